"""Dataset generation: a grid of (J, T) points of a lattice model sampled by mc_ext, or the paper's synthetic Z3 set.

The lattice models are the records of betavae_tf.lattice (Ising: bits, FM /
AFM / PM from T, J and Onsager's Tc; Potts: categorical, q one-hot channels,
FM_a below Tc with a = the sample's majority state; XY: float32 (cos, sin)
channels, QLRO below T_BKT); their magnetization label is the model's order
parameter. The synthetic Z3 set of Sec. V-A has independent sites, one class
of samples_per_point samples per parameter vector: (1/3, 1/3, 1/3) (PM) and
the three polarized ones ((p, r, r), ... with r = (1 - p) / 2, p =
polarization = 0.9 in the paper), labelled FM_a. Labels that mean nothing
for a model (T of the synthetic set, m_s off Ising) are NaN.
"""

import dataclasses
import os
import time
from collections.abc import Callable

import numpy as np
from absl import logging

import mc_ext
from betavae_tf import fileio, lattice
from betavae_tf import phases as ph
from betavae_tf.config_flags import setting
from betavae_tf.data import format as fmt
from betavae_tf.data import shards
from betavae_tf.progress import Progress


@dataclasses.dataclass(frozen=True)
class SyntheticSet:
    """A dataset drawn without Monte Carlo (no temperature grid): the generator's record of it."""

    name: str
    encoding: str
    channels: int
    n_points: int  # classes of samples_per_point samples each
    phase_map: Callable  # (config) -> {name: code}
    make: Callable  # (config) -> (samples, labels, class records)
    check: Callable  # (config) -> None, raising ValueError for a refused setting


def _check_polarization(config):
    if not 1 / 3 <= config.polarization < 1:
        raise ValueError(f"polarization must be in [1/3, 1), got {config.polarization}.")


def phases_of(model, q=3):
    """The {name: code} phase map of a model's datasets."""
    config = GenerateConfig(model=model, q=q)
    return (SYNTHETIC[model] if model in SYNTHETIC else lattice.get(model)).phase_map(config)


@dataclasses.dataclass(frozen=True)
class GenerateConfig:
    """What to sample. Every (coupling, temperature) pair is one point of the grid.

    The phase label of a sample is that of its generating point (see
    betavae_tf.lattice): for Ising, FM (J > 0) or AFM (J < 0) for
    T < Tc(|J|) = 2.269 |J|, PM otherwise.
    """

    model: str = "ising"
    lattice_size: int = 32
    couplings: tuple[float, ...] = (1.0, -1.0)
    temperatures: tuple[float, ...] = tuple(np.linspace(1.0, 3.5, 16).round(6))
    samples_per_point: int = 400
    field: float = 0.0
    seed: int = 0
    algorithm: str = "auto"
    n_threads: int | None = None
    n_shards: int = 8
    q: int = 3  # Potts states
    polarization: float = 0.9  # z3: the dominant state's probability

    def validate(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}.")
        for name in ("lattice_size", "samples_per_point", "n_shards", "seed", "q"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be an integer, got {value!r}.")
        if self.lattice_size < 2:
            raise ValueError(f"lattice_size must be at least 2, got {self.lattice_size}.")
        if self.samples_per_point < 1:
            raise ValueError(f"samples_per_point must be at least 1, got {self.samples_per_point}.")
        if self.n_shards < 1:
            raise ValueError(f"n_shards must be at least 1, got {self.n_shards}.")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}.")
        if self.model in SYNTHETIC:
            SYNTHETIC[self.model].check(self)
            return
        model = lattice.get(self.model)
        if model.check is not None:
            model.check(self)
        if not self.couplings:
            raise ValueError("couplings must list at least one value.")
        if not self.temperatures:
            raise ValueError("temperatures must list at least one value.")
        for name, values in (
            ("temperatures", self.temperatures),
            ("couplings", self.couplings),
            ("field", (self.field,)),
        ):
            if any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) for v in values):
                raise ValueError(f"{name} must be numbers, got {list(values)}.")
        if any(not np.isfinite(t) or t <= 0 for t in self.temperatures):
            raise ValueError(f"temperatures must be finite and positive, got {list(self.temperatures)}.")
        if any(not np.isfinite(j) for j in self.couplings):
            raise ValueError(f"couplings must be finite, got {list(self.couplings)}.")
        if not np.isfinite(self.field):
            raise ValueError(f"field must be finite, got {self.field}.")
        for name, values in (
            ("temperatures", self.temperatures),
            ("couplings", self.couplings),
            ("field", (self.field,)),
        ):
            fmt.check_float32(f"{name} (--{name})", values)  # stored as float32 labels: refused before sampling
        if self.field != 0 and not model.sampler.has_field:
            raise ValueError(f"the {self.model} sampler has no field; got field = {self.field}.")
        if self.algorithm not in model.sampler.algorithms:
            raise ValueError(
                f"algorithm for {self.model} must be one of {model.sampler.algorithms}, got {self.algorithm!r}."
            )
        for j in self.couplings:  # the sampler's own checks, before any work
            for t in self.temperatures:
                algorithm = model.sampler.resolve_algorithm(self.algorithm, t, j, self.field)
                if model.sampler.cluster_needs_ferromagnet and algorithm in ("wolff", "hybrid") and j <= 0:
                    raise ValueError(f"the {algorithm} algorithm needs J > 0, got J = {j}.")
                if algorithm in model.sampler.even_size_algorithms and self.lattice_size % 2:
                    raise ValueError(
                        f"lattice_size must be even for the {algorithm} algorithm, got {self.lattice_size}."
                    )
                if algorithm in ("wolff", "hybrid") and self.field != 0:
                    raise ValueError(f"the {algorithm} algorithm needs field = 0, got {self.field}.")

    @property
    def n_points(self):
        if self.model in SYNTHETIC:
            return SYNTHETIC[self.model].n_points
        return len(self.couplings) * len(self.temperatures)


def point_seed(seed, point_index):
    """A 64-bit seed per grid point, independent across points (numpy SeedSequence)."""
    return int(np.random.SeedSequence([seed, point_index]).generate_state(1, dtype=np.uint64)[0])


def synthetic_z3(config: GenerateConfig):
    """The paper's Sec. V-A data: (samples (N, L, L) states in [0, 3), labels, class records)."""
    from betavae_tf.physics import potts as potts_physics

    p = config.polarization
    r = (1 - p) / 2
    classes = [("PM", (1 / 3, 1 / 3, 1 / 3))] + [
        (f"FM_{a}", tuple(p if b == a else r for b in range(3))) for a in range(3)
    ]
    phases = ph.q_state(3)
    rng = np.random.default_rng(config.seed)
    n, L = config.samples_per_point, config.lattice_size
    spins, phase = [], []
    for name, probs in classes:
        spins.append(rng.choice(3, size=(n, L, L), p=probs).astype(np.uint8))
        phase.append(np.full(n, phases[name]))
    spins = np.concatenate(spins)
    nan = np.full(len(spins), np.nan)
    labels = {
        "temperature": nan,
        "coupling": nan,
        "energy": nan,
        "magnetization": potts_physics.potts_order_parameter(spins, 3),
        "staggered_magnetization": nan,
        "phase": np.concatenate(phase),
    }
    return spins, labels, [{"class": name, "probabilities": list(probs), "n_samples": n} for name, probs in classes]


SYNTHETIC = {
    "z3": SyntheticSet(
        name="z3",
        encoding="categorical",
        channels=3,
        n_points=4,
        phase_map=lambda config: ph.q_state(3),
        make=synthetic_z3,
        check=_check_polarization,
    )
}
MODELS = tuple(lattice.MODELS) + tuple(SYNTHETIC)


ALGORITHM_CHOICES = tuple(dict.fromkeys(a for m in lattice.MODELS.values() for a in m.sampler.algorithms))


@dataclasses.dataclass(frozen=True)
class GenerateRequest:
    """betavae-generate's settings (its flags): a GenerateConfig with the temperature grid as a range, plus where.

    config() is the GenerateConfig they describe: --temperatures if given,
    else --n_temperatures evenly spaced from --t_min to --t_max.
    """

    out: str | None = setting(None, "Dataset directory to create.")
    overwrite: bool = setting(False, "Replace an existing dataset directory (never anything else).")
    model: str = setting(
        "ising",
        "A lattice model of betavae_tf.lattice (ising: bits, potts: q one-hot channels, "
        "xy: (cos, sin) channels) or z3 (the paper's synthetic set).",
        kind="enum",
        choices=MODELS,
    )
    q: int = setting(3, "Potts states q (2..127).")
    polarization: float = setting(0.9, "z3: probability of the dominant state in a polarized class.")
    lattice_size: int = setting(32, "Linear lattice size L (L x L torus).")
    couplings: tuple[float, ...] = setting((1.0, -1.0), "Couplings J (+1 FM, -1 AFM).", kind="floats")
    temperatures: tuple[float, ...] | None = setting(
        None, "Explicit temperatures; overrides --t_min/--t_max/--n_temperatures.", kind="floats"
    )
    t_min: float = setting(1.0, "Lowest temperature of an evenly spaced grid.")
    t_max: float = setting(3.5, "Highest temperature of an evenly spaced grid.")
    n_temperatures: int = setting(16, "Number of grid temperatures.")
    samples_per_point: int = setting(400, "Samples per (J, T) point.")
    field: float = setting(0.0, "Magnetic field h.")
    seed: int = setting(0, "Seed; the same seed gives the same dataset bit for bit.")
    algorithm: str = setting(
        "auto",
        "Monte Carlo algorithm (heatbath: Potts only; metropolis: Ising and XY).",
        kind="enum",
        choices=ALGORITHM_CHOICES,
    )
    n_threads: int | None = setting(None, "OpenMP threads (default: all available).")
    n_shards: int = setting(8, "TFRecord shards (>= the number of workers that will read them).")

    def config(self) -> "GenerateConfig":
        if self.temperatures:
            temperatures = tuple(self.temperatures)
        else:
            if self.n_temperatures < 1:
                raise ValueError(f"--n_temperatures must be at least 1, got {self.n_temperatures}.")
            if not 0 < self.t_min <= self.t_max:
                raise ValueError(f"need 0 < --t_min <= --t_max, got {self.t_min} and {self.t_max}.")
            temperatures = tuple(np.linspace(self.t_min, self.t_max, self.n_temperatures).round(6).tolist())
        if self.n_threads is not None and self.n_threads < 1:
            raise ValueError(f"--n_threads must be at least 1, got {self.n_threads}.")
        same = {f.name: getattr(self, f.name) for f in dataclasses.fields(GenerateConfig) if f.name != "temperatures"}
        return GenerateConfig(**dict(same, couplings=tuple(self.couplings), temperatures=temperatures))


def _point_weights(config):
    """Relative cost of each grid point for the ETA: local moves near and below Tc decorrelate slowest."""
    model = lattice.get(config.model)
    weights = []
    for j in config.couplings:
        tc = model.critical_temperature(j, config) or 1.0
        for t in config.temperatures:
            weights.append(1.0 + 2.0 / (1.0 + abs(t / tc - 1.0) * 10))
    return weights


def sample_grid(config: GenerateConfig, log=logging.info):
    """Samples and labels for every grid point, in grid order, and the points' records.

    log(format, *args) receives one progress line per point (None: silent).
    """
    config.validate()
    model = lattice.get(config.model)
    names = ph.names(model.phase_map(config))
    all_spins, labels, points = [], {k: [] for k in fmt.FLOAT_LABELS + ("phase",)}, []
    grid = [(j, t) for j in config.couplings for t in config.temperatures]
    progress = Progress(len(grid), f"{config.model} L = {config.lattice_size}", log=log, weights=_point_weights(config))
    try:
        for k, (coupling, temperature) in enumerate(grid):
            seed = point_seed(config.seed, k)
            start = time.perf_counter()
            raw, info = model.sampler.sample(
                config.lattice_size,
                temperature,
                config.samples_per_point,
                coupling,
                seed,
                config,
                algorithm=config.algorithm,
                n_threads=config.n_threads,
            )
            spins, point_labels = model.label(raw, temperature, coupling, config)
            n = len(spins)
            all_spins.append(spins)
            labels["temperature"].append(np.full(n, temperature))
            labels["coupling"].append(np.full(n, coupling))
            for key, value in point_labels.items():
                labels[key].append(value)
            codes = np.unique(point_labels["phase"])
            phase = names.get(int(codes[0]), str(codes[0])) if len(codes) == 1 else "ordered"
            points.append(
                {
                    "coupling": coupling,
                    "temperature": temperature,
                    "seed": seed,
                    "n_samples": n,
                    "phase": phase,
                    "algorithm": info["algorithm"],
                    "n_chains": info["n_chains"],
                    "n_thermalize": info["n_thermalize"],
                    "pilot_steps": info["pilot_steps"],
                    "clusters_per_step": info["clusters_per_step"],
                    "tau_int": info["tau_int"],
                    "spacing": info["spacing"],
                    "production_steps_per_chain": info["production_steps_per_chain"],
                    "seconds": round(time.perf_counter() - start, 3),
                }
            )
            progress.step(
                f"J = {coupling:+g}, T = {temperature:.4f}: {n} samples ({info['algorithm']}, "
                f"tau_int = {max(info['tau_int'].values()):.2f}, spacing {info['spacing']})"
            )
    finally:
        progress.close()
    return (np.concatenate(all_spins), {k: np.concatenate(v) for k, v in labels.items()}, points)


def estimated_bytes(config: GenerateConfig):
    """(bytes held in memory while generating, bytes written to disk) for a configuration."""
    n_sites = config.lattice_size**2
    n = config.n_points * config.samples_per_point
    if config.model in SYNTHETIC:
        encoding, channels = SYNTHETIC[config.model].encoding, SYNTHETIC[config.model].channels
    else:
        encoding, channels = lattice.get(config.model).encoding, lattice.get(config.model).channels(config)
    stored = fmt.sample_bytes(encoding, config.lattice_size, channels)
    per_sample = max(stored, n_sites)
    # Samples are held as sampled, concatenated, shuffled and encoded: about four copies.
    return 4 * n * per_sample + 200 * n, n * (stored + 120)


def generate(config: GenerateConfig, out_dir: str | os.PathLike, *, overwrite: bool = False, log=logging.info) -> str:
    """Sample the grid (or the synthetic set) and write it as a dataset directory (shuffled order).

    Everything that can be checked is checked before sampling starts: the
    configuration, the output directory (created as a temporary at once, so
    an unwritable place fails now), the memory the samples need and the
    free disk space. log(format, *args) gets one progress line per grid point.
    """
    config.validate()
    out_dir = fmt.check_output_dir(out_dir, overwrite)
    fileio.check_writable(os.path.dirname(out_dir), "dataset")
    memory, disk = estimated_bytes(config)
    mc_ext.check_memory(memory, f"the dataset ({config.model}, L = {config.lattice_size})")
    fileio.check_free_space(os.path.dirname(out_dir), disk, f"the dataset {out_dir}")
    with fileio.staged_directory(
        out_dir, replace=os.path.lexists(out_dir), before_replace=lambda: fmt.check_output_dir(out_dir, overwrite)
    ) as tmp:
        _generate_into(config, tmp, log)
    return out_dir


def _generate_into(config, directory, log):
    start = time.perf_counter()
    classes, points, extra = None, [], {}
    synthetic = SYNTHETIC.get(config.model)
    if synthetic is not None:
        spins, labels, classes = synthetic.make(config)
        encoding, channels, critical, steps = synthetic.encoding, synthetic.channels, None, None
    else:
        spins, labels, points = sample_grid(config, log=log)
        model = lattice.get(config.model)
        encoding, channels, steps = model.encoding, model.channels(config), model.sampler.step_definitions
        critical = model.critical_temperature(1.0, config)
        extra = model.manifest(config)
    sampling_seconds = time.perf_counter() - start
    # Shuffle so that every shard, and every split by index, spans all points.
    order = np.random.default_rng([config.seed, 2**31]).permutation(spins.shape[0])
    manifest = {
        "model": config.model,
        "source": "synthetic" if synthetic is not None else "mc_ext",
        "config": dataclasses.asdict(config),
        "couplings": list(config.couplings),
        "field": config.field,
        "temperatures": list(config.temperatures),
        "critical_temperature": critical,
        "seed": config.seed,
        "algorithm": config.algorithm,
        "step_definition": steps,
        "points": points,
        "sampling_seconds": round(sampling_seconds, 3),
    }
    if classes is not None:
        manifest.update(classes=classes, couplings=[], temperatures=[])
    manifest.update(extra)
    shards.write_shards(
        directory,
        spins[order],
        {k: v[order] for k, v in labels.items()},
        dict(manifest, generation_seconds=round(time.perf_counter() - start, 3)),
        n_shards=config.n_shards,
        encoding=encoding,
        channels=channels,
        phases=phases_of(config.model, config.q),
    )


def generate_command(request: GenerateRequest, echo=print):
    """betavae-generate: the dataset request asks for, then its summary."""
    if not request.out:
        raise ValueError("--out is required: the dataset directory to write.")
    from betavae_tf.data import verify

    echo(verify.summarize(generate(request.config(), request.out, overwrite=request.overwrite)))
