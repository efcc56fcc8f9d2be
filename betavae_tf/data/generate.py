"""Dataset generation: a grid of (J, T) points sampled by mc_ext, or the paper's synthetic Z3 set.

Models and what a dataset of each holds:
  ising  bits (sigma in {0, 1}); phases FM / AFM / PM from T, J and Onsager's Tc.
  potts  categorical, D = q one-hot channels; magnetization = the Potts order
         parameter |M|; phases FM_a (T < Tc, J > 0; a = the sample's majority
         state) and PM.
  xy     float32, 2 channels (cos theta, sin theta); magnetization = |m|;
         phases QLRO (T < T_BKT ~ 0.893 |J|) and PM.
  z3     the synthetic D = 3 set of Sec. V-A: independent sites, one class of
         samples_per_point samples per parameter vector, (1/3, 1/3, 1/3) (PM)
         and the three polarized ones ((p, r, r), ... with r = (1 - p) / 2,
         p = polarization = 0.9 in the paper), labelled FM_a.
Labels that mean nothing for a model (T of the synthetic set, m_s off Ising) are NaN.
"""
import dataclasses
import time
from typing import Optional, Tuple

import numpy as np

import mc_ext
from betavae_tf.data import format as fmt
from betavae_tf.physics import (ISING_CRITICAL_TEMPERATURE, energy_per_site, magnetization,
                                staggered_magnetization)

MODELS = ("ising", "potts", "xy", "z3")
ISING_PHASES = fmt.PHASES
XY_PHASES = {"QLRO": 0, "PM": 2, "unknown": -1}


def potts_phases(q):
    """PM = 2 as for Ising, FM_a = 3 + a for an ordered sample whose majority state is a."""
    return {"PM": 2, **{f"FM_{a}": 3 + a for a in range(q)}, "unknown": -1}


def phases_of(model, q=3):
    return {"ising": ISING_PHASES, "xy": XY_PHASES}.get(model) or potts_phases(q)


@dataclasses.dataclass(frozen=True)
class GenerateConfig:
    """What to sample. Every (coupling, temperature) pair is one point of the grid.

    The phase label of a sample is that of its generating point: FM (J > 0) or
    AFM (J < 0) for T < Tc(|J|) = 2.269 |J|, PM otherwise.
    """
    model: str = "ising"
    lattice_size: int = 32
    couplings: Tuple[float, ...] = (1.0, -1.0)
    temperatures: Tuple[float, ...] = tuple(np.linspace(1.0, 3.5, 16).round(6))
    samples_per_point: int = 400
    field: float = 0.0
    seed: int = 0
    algorithm: str = "auto"
    n_threads: Optional[int] = None
    n_shards: int = 8
    q: int = 3                       # Potts states
    polarization: float = 0.9        # z3: the dominant state's probability

    def validate(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}.")
        if self.model == "z3":
            if not 1 / 3 <= self.polarization < 1:
                raise ValueError(f"polarization must be in [1/3, 1), got {self.polarization}.")
            if self.lattice_size < 2 or self.samples_per_point < 1 or self.seed < 0 or self.n_shards < 1:
                raise ValueError("lattice_size >= 2, samples_per_point >= 1, seed >= 0 and n_shards >= 1 "
                                 "are required.")
            return
        if self.model == "potts" and not 2 <= self.q <= mc_ext.MAX_POTTS_Q:
            raise ValueError(f"q must be in [2, {mc_ext.MAX_POTTS_Q}], got {self.q}.")
        if self.lattice_size < 2:
            raise ValueError(f"lattice_size must be at least 2, got {self.lattice_size}.")
        if not self.couplings:
            raise ValueError("couplings must list at least one value.")
        if not self.temperatures:
            raise ValueError("temperatures must list at least one value.")
        if any(not np.isfinite(t) or t <= 0 for t in self.temperatures):
            raise ValueError(f"temperatures must be finite and positive, got {list(self.temperatures)}.")
        if any(not np.isfinite(j) for j in self.couplings):
            raise ValueError(f"couplings must be finite, got {list(self.couplings)}.")
        if self.samples_per_point < 1:
            raise ValueError(f"samples_per_point must be at least 1, got {self.samples_per_point}.")
        if self.n_shards < 1:
            raise ValueError(f"n_shards must be at least 1, got {self.n_shards}.")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}.")
        if self.model != "ising":
            if self.field != 0:
                raise ValueError(f"the {self.model} sampler has no field; got field = {self.field}.")
            names = mc_ext.POTTS_ALGORITHMS if self.model == "potts" else mc_ext.XY_ALGORITHMS
            if self.algorithm not in names:
                raise ValueError(f"algorithm for {self.model} must be one of {names}, got {self.algorithm!r}.")
            for j in self.couplings:
                if self.algorithm in ("wolff", "hybrid") and j <= 0:
                    raise ValueError(f"the {self.algorithm} algorithm needs J > 0, got J = {j}.")
            return
        for t in self.temperatures:  # the sampler's own checks, before any work
            algorithm = mc_ext.resolve_algorithm(self.algorithm, t, 1.0, self.field)
            if algorithm in ("metropolis", "hybrid") and self.lattice_size % 2:
                raise ValueError(f"lattice_size must be even for the {algorithm} algorithm, "
                                 f"got {self.lattice_size}.")
            if algorithm in ("wolff", "hybrid") and self.field != 0:
                raise ValueError(f"the {algorithm} algorithm needs field = 0, got {self.field}.")


def point_seed(seed, point_index):
    """A 64-bit seed per grid point, independent across points (numpy SeedSequence)."""
    return int(np.random.SeedSequence([seed, point_index]).generate_state(1, dtype=np.uint64)[0])


def _sample_point(config, temperature, coupling, seed):
    """(samples, labels dict, info) of one grid point for the lattice models."""
    from betavae_tf.physics import potts as potts_physics
    from betavae_tf.physics import xy as xy_physics
    common = dict(coupling=coupling, seed=seed, algorithm=config.algorithm,
                  n_threads=config.n_threads, return_info=True)
    if config.model == "ising":
        spins, info = mc_ext.sample_ising(config.lattice_size, temperature, config.samples_per_point,
                                          field=config.field, **common)
        phase = np.full(len(spins), fmt.phase_of(temperature, coupling, ISING_CRITICAL_TEMPERATURE))
        return spins, {"energy": energy_per_site(spins, coupling, config.field),
                       "magnetization": magnetization(spins),
                       "staggered_magnetization": staggered_magnetization(spins), "phase": phase}, info
    nan = np.full(config.samples_per_point, np.nan)
    if config.model == "potts":
        spins, info = mc_ext.sample_potts(config.lattice_size, temperature, config.samples_per_point,
                                          q=config.q, **common)
        ordered = coupling > 0 and temperature < potts_physics.potts_critical_temperature(config.q, coupling)
        majority = np.argmax(potts_physics.potts_state_fractions(spins, config.q), axis=1)
        phase = 3 + majority if ordered else np.full(len(spins), 2)
        return spins, {"energy": potts_physics.potts_energy_per_site(spins, coupling),
                       "magnetization": potts_physics.potts_order_parameter(spins, config.q),
                       "staggered_magnetization": nan, "phase": phase}, info
    angles, info = mc_ext.sample_xy(config.lattice_size, temperature, config.samples_per_point, **common)
    # J < 0 on an even torus is the same model after rotating one sublattice by pi.
    ordered = temperature < mc_ext.XY_BKT_TEMPERATURE * abs(coupling)
    return xy_physics.xy_channels(angles), {
        "energy": xy_physics.xy_energy_per_site(angles, coupling),
        "magnetization": xy_physics.xy_magnetization(angles), "staggered_magnetization": nan,
        "phase": np.full(len(angles), XY_PHASES["QLRO"] if ordered else XY_PHASES["PM"])}, info


def synthetic_z3(config: GenerateConfig):
    """The paper's Sec. V-A data: (samples (N, L, L) states in [0, 3), labels, class records)."""
    from betavae_tf.physics import potts as potts_physics
    p = config.polarization
    r = (1 - p) / 2
    classes = [("PM", (1 / 3, 1 / 3, 1 / 3))] + [
        (f"FM_{a}", tuple(p if b == a else r for b in range(3))) for a in range(3)]
    phases = potts_phases(3)
    rng = np.random.default_rng(config.seed)
    n, L = config.samples_per_point, config.lattice_size
    spins, phase = [], []
    for name, probs in classes:
        spins.append(rng.choice(3, size=(n, L, L), p=probs).astype(np.uint8))
        phase.append(np.full(n, phases[name]))
    spins = np.concatenate(spins)
    nan = np.full(len(spins), np.nan)
    labels = {"temperature": nan, "coupling": nan, "energy": nan,
              "magnetization": potts_physics.potts_order_parameter(spins, 3),
              "staggered_magnetization": nan, "phase": np.concatenate(phase)}
    return spins, labels, [{"class": name, "probabilities": list(probs), "n_samples": n}
                           for name, probs in classes]


def sample_grid(config: GenerateConfig, log=print):
    """Samples and labels for every grid point, in grid order, and the points' records."""
    config.validate()
    all_spins, labels, points = [], {k: [] for k in fmt.FLOAT_LABELS + ("phase",)}, []
    grid = [(j, t) for j in config.couplings for t in config.temperatures]
    for k, (coupling, temperature) in enumerate(grid):
        seed = point_seed(config.seed, k)
        start = time.perf_counter()
        spins, point_labels, info = _sample_point(config, temperature, coupling, seed)
        n = len(spins)
        all_spins.append(spins)
        labels["temperature"].append(np.full(n, temperature))
        labels["coupling"].append(np.full(n, coupling))
        for key, value in point_labels.items():
            labels[key].append(value)
        if config.model == "ising":
            phase = fmt.PHASE_NAMES[int(point_labels["phase"][0])]
        else:
            phase = "ordered" if np.all(point_labels["phase"] != 2) else "PM"
        points.append({
            "coupling": coupling, "temperature": temperature, "seed": seed, "n_samples": n,
            "phase": phase, "algorithm": info["algorithm"], "n_chains": info["n_chains"],
            "n_thermalize": info["n_thermalize"], "pilot_steps": info["pilot_steps"],
            "clusters_per_step": info["clusters_per_step"], "tau_int": info["tau_int"],
            "spacing": info["spacing"], "production_steps_per_chain": info["production_steps_per_chain"],
            "seconds": round(time.perf_counter() - start, 3),
        })
        if log:
            log(f"{config.model} J = {coupling:+g}, T = {temperature:.4f}: {n} samples ({info['algorithm']}, "
                f"tau_int = {max(info['tau_int'].values()):.2f}, spacing {info['spacing']})")
    return (np.concatenate(all_spins), {k: np.concatenate(v) for k, v in labels.items()}, points)


ENCODING = {"ising": ("bits", None), "xy": ("float32", None)}


def generate(config: GenerateConfig, out_dir, *, overwrite=False, log=print):
    """Sample the grid (or the synthetic set) and write it as a dataset directory (shuffled order)."""
    config.validate()
    fmt.check_output_dir(out_dir, overwrite)
    start = time.perf_counter()
    classes = None
    if config.model == "z3":
        spins, labels, classes = synthetic_z3(config)
        points = []
    else:
        spins, labels, points = sample_grid(config, log=log)
    encoding, channels = ENCODING.get(config.model, ("categorical", 3 if config.model == "z3" else config.q))
    critical = {"ising": ISING_CRITICAL_TEMPERATURE, "xy": mc_ext.XY_BKT_TEMPERATURE,
                "potts": mc_ext.potts_critical_temperature(config.q), "z3": None}[config.model]
    sampling_seconds = time.perf_counter() - start
    # Shuffle so that every shard, and every split by index, spans all points.
    order = np.random.default_rng([config.seed, 2**31]).permutation(spins.shape[0])
    steps = {"ising": {"metropolis": "one checkerboard sweep",
                       "wolff": "clusters_per_step Wolff clusters (about N spins)",
                       "hybrid": "one wolff step then one metropolis sweep"},
             "potts": {"heatbath": "one sequential heat-bath sweep",
                       "wolff": "clusters_per_step Wolff clusters (about N spins)",
                       "hybrid": "one wolff step then one heat-bath sweep"},
             "xy": {"metropolis": "one sequential Metropolis sweep (window tuned in thermalization)",
                    "wolff": "clusters_per_step embedded-Ising Wolff clusters (about N spins)",
                    "hybrid": "one wolff step then one metropolis sweep"}}
    manifest = {
        "model": config.model,
        "source": "synthetic" if config.model == "z3" else "mc_ext",
        "config": dataclasses.asdict(config),
        "couplings": list(config.couplings),
        "field": config.field,
        "temperatures": list(config.temperatures),
        "critical_temperature": critical,
        "seed": config.seed,
        "algorithm": config.algorithm,
        "step_definition": steps.get(config.model),
        "points": points,
        "sampling_seconds": round(sampling_seconds, 3),
    }
    if classes is not None:
        manifest.update(classes=classes, couplings=[], temperatures=[])
    if config.model == "potts":
        manifest["q"] = config.q
    path = fmt.write_dataset(out_dir, spins[order], {k: v[order] for k, v in labels.items()},
                             dict(manifest, generation_seconds=round(time.perf_counter() - start, 3)),
                             n_shards=config.n_shards, overwrite=overwrite, encoding=encoding,
                             channels=channels, phases=phases_of(config.model, config.q))
    return path
