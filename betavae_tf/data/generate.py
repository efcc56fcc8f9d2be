"""Monte Carlo dataset generation: a grid of (J, T) points sampled by mc_ext."""
import dataclasses
import time
from typing import Optional, Tuple

import numpy as np

import mc_ext
from betavae_tf.data import format as fmt
from betavae_tf.physics import (ISING_CRITICAL_TEMPERATURE, energy_per_site, magnetization,
                                staggered_magnetization)

MODELS = ("ising",)


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

    def validate(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}.")
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


def sample_grid(config: GenerateConfig, log=print):
    """Samples and labels for every grid point, in grid order, and the points' records."""
    config.validate()
    all_spins, labels, points = [], {k: [] for k in fmt.FLOAT_LABELS + ("phase",)}, []
    grid = [(j, t) for j in config.couplings for t in config.temperatures]
    for k, (coupling, temperature) in enumerate(grid):
        seed = point_seed(config.seed, k)
        start = time.perf_counter()
        spins, info = mc_ext.sample_ising(
            config.lattice_size, temperature, config.samples_per_point, coupling=coupling,
            field=config.field, seed=seed, algorithm=config.algorithm, n_threads=config.n_threads,
            return_info=True)
        n = spins.shape[0]
        phase = int(fmt.phase_of(temperature, coupling, ISING_CRITICAL_TEMPERATURE))
        all_spins.append(spins)
        labels["temperature"].append(np.full(n, temperature))
        labels["coupling"].append(np.full(n, coupling))
        labels["energy"].append(energy_per_site(spins, coupling, config.field))
        labels["magnetization"].append(magnetization(spins))
        labels["staggered_magnetization"].append(staggered_magnetization(spins))
        labels["phase"].append(np.full(n, phase))
        points.append({
            "coupling": coupling, "temperature": temperature, "seed": seed, "n_samples": n,
            "phase": fmt.PHASE_NAMES[phase], "algorithm": info["algorithm"],
            "n_chains": info["n_chains"], "n_thermalize": info["n_thermalize"],
            "pilot_steps": info["pilot_steps"], "clusters_per_step": info["clusters_per_step"],
            "tau_int": info["tau_int"], "spacing": info["spacing"],
            "production_steps_per_chain": info["production_steps_per_chain"],
            "seconds": round(time.perf_counter() - start, 3),
        })
        if log:
            log(f"J = {coupling:+g}, T = {temperature:.4f}: {n} samples ({info['algorithm']}, "
                f"tau_int = {max(info['tau_int'].values()):.2f}, spacing {info['spacing']})")
    return (np.concatenate(all_spins),
            {k: np.concatenate(v) for k, v in labels.items()},
            points)


def generate(config: GenerateConfig, out_dir, *, overwrite=False, log=print):
    """Sample the grid and write it as a dataset directory (shuffled write order)."""
    config.validate()
    fmt.check_output_dir(out_dir, overwrite)
    start = time.perf_counter()
    spins, labels, points = sample_grid(config, log=log)
    sampling_seconds = time.perf_counter() - start
    # Shuffle so that every shard, and every split by index, spans all points.
    order = np.random.default_rng([config.seed, 2**31]).permutation(spins.shape[0])
    manifest = {
        "model": config.model,
        "source": "mc_ext",
        "config": dataclasses.asdict(config),
        "couplings": list(config.couplings),
        "field": config.field,
        "temperatures": list(config.temperatures),
        "critical_temperature": ISING_CRITICAL_TEMPERATURE,
        "seed": config.seed,
        "algorithm": config.algorithm,
        "step_definition": {"metropolis": "one checkerboard sweep",
                            "wolff": "clusters_per_step Wolff clusters (about N spins)",
                            "hybrid": "one wolff step then one metropolis sweep"},
        "points": points,
        "sampling_seconds": round(sampling_seconds, 3),
    }
    path = fmt.write_dataset(out_dir, spins[order], {k: v[order] for k, v in labels.items()},
                             dict(manifest, generation_seconds=round(time.perf_counter() - start, 3)),
                             n_shards=config.n_shards, overwrite=overwrite)
    return path
