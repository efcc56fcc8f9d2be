"""Compiled Monte Carlo samplers for lattice spin models (validating public API).

The kernels in the private _ising extension are Cython with typed memoryviews,
run without the GIL and spread independent chains over OpenMP threads. Every
chain owns a xoshiro256++ stream: stream c is the seed's splitmix64 state
jumped c times by 2^128 draws, so a seed gives the same bits whatever the
number of threads.
"""
import math
import os
import warnings

import numpy as np

try:
    from . import _ising
except ImportError as e:  # e.g. importing the source tree instead of the installed package
    raise ImportError(
        f"mc_ext's compiled kernels are not built in {os.path.dirname(__file__)}; install the package "
        "(make install, or pip install .) and import it from outside the source directory.") from e
from .autocorr import binning_error, integrated_autocorrelation_time

__all__ = [
    "sample_ising",
    "ising_critical_temperature",
    "resolve_algorithm",
    "integrated_autocorrelation_time",
    "binning_error",
    "ALGORITHMS",
]

ALGORITHMS = ("auto", "metropolis", "wolff", "hybrid")
# auto: below this multiple of Tc(|J|) clusters pay off; above it local moves do.
AUTO_CLUSTER_BELOW_TC = 1.5
DEFAULT_CHAINS = 16
MAX_PILOT_STEPS = 1 << 16
MIN_PILOT_STEPS = 256
PILOT_LENGTH_IN_TAU = 50
DEFAULT_THERMALIZE = {"metropolis": 1000, "wolff": 100, "hybrid": 100}
CALIBRATION_STEPS = 10


def ising_critical_temperature(coupling=1.0):
    """Onsager's Tc = 2 |J| / ln(1 + sqrt 2) ~ 2.269 |J| of the square lattice."""
    return 2.0 * abs(coupling) / math.log1p(math.sqrt(2.0))


def resolve_algorithm(algorithm, temperature, coupling=1.0, field=0.0):
    """The concrete algorithm that `algorithm` ("auto" or explicit) stands for.

    The auto rule: with a field, Metropolis (Wolff needs h = 0). Otherwise the
    Wolff/Metropolis hybrid for T < 1.5 Tc(|J|) (critical slowing down and,
    below Tc, domain walls and the Z2 sign are what local moves cannot cure;
    the Metropolis sweep then relaxes the isolated minority spins that Wolff
    clusters rarely seed), and Metropolis above, where clusters are small
    and local moves already decorrelate in a few sweeps.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
    if algorithm != "auto":
        return algorithm
    if field != 0.0:
        return "metropolis"
    if temperature < AUTO_CLUSTER_BELOW_TC * ising_critical_temperature(coupling):
        return "hybrid"
    return "metropolis"


def _check_int(name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def _check_real(name, value, positive=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}.") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}.")
    return value


def _default_threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _Chains:
    """Spins, RNG streams and Wolff scratch space of a set of independent chains."""

    def __init__(self, L, n_chains, seed):
        self.L = L
        self.rng = _ising.seed_streams(seed, n_chains)
        self.spins = _ising.random_spins(self.rng, L)
        self.mark = np.zeros((n_chains, L * L), dtype=np.int32)
        self.label = np.zeros(n_chains, dtype=np.int32)
        self.stack = np.zeros((n_chains, L * L), dtype=np.int32)
        self.flipped = np.zeros(n_chains, dtype=np.int64)
        self.clusters_per_step = 1

    def thermalize(self, algorithm, coupling, field, temperature, n_steps, n_threads):
        """Run n_steps; for cluster algorithms also fix clusters_per_step.

        clusters_per_step is recalibrated every CALIBRATION_STEPS steps to
        N / (mean cluster size seen so far), so a cluster step flips about N
        spins; it is frozen afterwards, as a fixed count keeps every step an
        unbiased Markov move (see _ising's docstring).
        """
        if algorithm == "metropolis":
            self.run(algorithm, coupling, field, temperature, n_steps, n_threads)
            return
        n_sites, done = self.L * self.L, 0
        while done < n_steps:
            chunk = min(CALIBRATION_STEPS, n_steps - done)
            before = self.flipped.sum()
            self.run(algorithm, coupling, field, temperature, chunk, n_threads)
            mean_cluster = (self.flipped.sum() - before) / (chunk * self.clusters_per_step * len(self.label))
            self.clusters_per_step = max(1, int(round(n_sites / mean_cluster)))
            done += chunk

    def run(self, algorithm, coupling, field, temperature, n_steps, n_threads,
            trace=False, n_records=0, record_every=1):
        n_chains = self.spins.shape[0]
        trace_buf = np.zeros((n_chains, n_steps if trace else 0, 3))
        records = np.zeros((n_chains, n_records, self.L, self.L), dtype=np.uint8)
        _ising.run_chains(self.spins, self.rng, self.mark, self.label, self.stack,
                          coupling, field, temperature, _ising.ALGORITHM_CODES[algorithm],
                          self.clusters_per_step, n_steps, trace_buf, records, record_every, self.flipped, n_threads)
        return trace_buf, records


def _pilot_tau(trace):
    """Largest tau_int of |m|, |m_s| and E/N over a (chains, steps, 3) trace."""
    abs_m, abs_ms, energy = np.abs(trace[..., 0]), np.abs(trace[..., 1]), trace[..., 2]
    return {
        "abs_magnetization": integrated_autocorrelation_time(abs_m),
        "abs_staggered_magnetization": integrated_autocorrelation_time(abs_ms),
        "energy": integrated_autocorrelation_time(energy),
    }


def sample_ising(L, temperature, n_samples, *, coupling=1.0, field=0.0, seed=0,
                 algorithm="auto", n_threads=None, n_chains=None, n_thermalize=None,
                 spacing=None, return_info=False):
    """Thermalized, decorrelated configurations of the 2D Ising model on an L x L torus.

    H = -J sum_<ij> S_i S_j - h sum_i S_i with periodic boundaries, sampled at
    temperature T (k_B = 1).

    How the samples are made: `n_chains` independent chains start from random
    spins, each with its own RNG stream. After `n_thermalize` steps, a pilot
    run measures the integrated autocorrelation time tau_int (Sokal windowing,
    pooled over chains) of |m|, |m_s| and E; the pilot is doubled until it is
    at least 50 tau_int long, which also thermalizes the chains for at least
    that long. Each chain then records one configuration every `spacing`
    steps, spacing = ceil(2 max tau_int) unless given; sample k comes from
    chain k mod n_chains. A step is one checkerboard Metropolis sweep, one
    Wolff step (a fixed number of clusters) or, for "hybrid", one Wolff
    step and one Metropolis sweep. See resolve_algorithm for the "auto" rule.

    Args:
      L: linear lattice size, >= 2 (even for Metropolis and hybrid, whose
        checkerboard needs two sublattices).
      temperature: T > 0.
      n_samples: number of configurations to return, >= 1.
      coupling: J (+1 ferromagnet, -1 antiferromagnet; any finite real).
      field: h (must be 0 for Wolff).
      seed: integer in [0, 2^64); the same seed gives the same bits for any
        n_threads.
      algorithm: "auto", "metropolis", "wolff" or "hybrid".
      n_threads: OpenMP threads (default: the CPUs this process may use).
      n_chains: independent chains (default min(n_samples, 16)); part of
        what the seed reproduces, unlike n_threads.
      n_thermalize: steps before the pilot (default 1000 Metropolis sweeps,
        100 cluster steps).
      spacing: steps between recorded samples (default ceil(2 tau_int)).
      return_info: also return a dict with tau_int, spacing and the algorithm.

    Returns:
      uint8 array (n_samples, L, L), sigma in {0, 1} with 1 = spin up; with
      return_info, a tuple (samples, info).
    """
    L = _check_int("L", L, 2)
    n_samples = _check_int("n_samples", n_samples, 1)
    temperature = _check_real("temperature", temperature, positive=True)
    coupling = _check_real("coupling", coupling)
    field = _check_real("field", field)
    seed = _check_int("seed", seed, 0)
    if seed >= 2**64:
        raise ValueError(f"seed must be below 2**64, got {seed}.")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
    chosen = resolve_algorithm(algorithm, temperature, coupling, field)
    if chosen in ("metropolis", "hybrid") and L % 2:
        raise ValueError(f"L must be even for the {chosen} algorithm's checkerboard, got L = {L}.")
    if chosen in ("wolff", "hybrid") and field != 0.0:
        raise ValueError(f"the {chosen} algorithm needs field = 0, got field = {field}.")
    n_threads = _default_threads() if n_threads is None else _check_int("n_threads", n_threads, 1)
    n_chains = min(n_samples, DEFAULT_CHAINS) if n_chains is None else _check_int("n_chains", n_chains, 1)
    if n_thermalize is None:
        n_thermalize = DEFAULT_THERMALIZE[chosen]
    n_thermalize = _check_int("n_thermalize", n_thermalize, 0)
    if spacing is not None:
        spacing = _check_int("spacing", spacing, 1)

    chains = _Chains(L, n_chains, seed)
    chains.thermalize(chosen, coupling, field, temperature, n_thermalize, n_threads)
    pilot_steps = MIN_PILOT_STEPS
    while True:
        trace, _ = chains.run(chosen, coupling, field, temperature, pilot_steps, n_threads, trace=True)
        taus = _pilot_tau(trace)
        tau = max(taus.values())
        if pilot_steps >= PILOT_LENGTH_IN_TAU * tau:
            break
        if pilot_steps >= MAX_PILOT_STEPS:
            warnings.warn(
                f"sample_ising: tau_int = {tau:.0f} steps at T = {temperature} is too long for a "
                f"reliable estimate from a {pilot_steps}-step pilot; samples may be correlated.",
                RuntimeWarning, stacklevel=2)
            break
        pilot_steps *= 2
    if spacing is None:
        spacing = max(1, math.ceil(2.0 * tau))
    per_chain = -(-n_samples // n_chains)
    flipped_before = chains.flipped.sum()
    _, records = chains.run(chosen, coupling, field, temperature, per_chain * spacing,
                            n_threads, n_records=per_chain, record_every=spacing)
    # Interleave chains: sample k is record k // n_chains of chain k % n_chains.
    samples = np.ascontiguousarray(records.transpose(1, 0, 2, 3).reshape(-1, L, L)[:n_samples])
    if not return_info:
        return samples
    info = {
        "algorithm": chosen,
        "n_chains": n_chains,
        "n_thermalize": n_thermalize,
        "pilot_steps": pilot_steps,
        "tau_int": taus,
        "spacing": spacing,
        "production_steps_per_chain": per_chain * spacing,
        "clusters_per_step": chains.clusters_per_step if chosen != "metropolis" else 0,
        "mean_flipped_per_step": (float(chains.flipped.sum() - flipped_before)
                                  / (n_chains * per_chain * spacing)
                                  if chosen != "metropolis" else 0.0),
    }
    return samples, info
