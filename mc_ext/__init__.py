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
    from . import _ising, _potts, _xy
except ImportError as e:  # e.g. importing the source tree instead of the installed package
    raise ImportError(
        f"mc_ext's compiled kernels are not built in {os.path.dirname(__file__)}; install the package "
        "(make install, or pip install .) and import it from outside the source directory.") from e
from .autocorr import binning_error, integrated_autocorrelation_time

__all__ = [
    "sample_ising",
    "sample_potts",
    "sample_xy",
    "potts_critical_temperature",
    "XY_BKT_TEMPERATURE",
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


class _BoundIsing:
    """An Ising _Chains with its J, h and T bound, in the interface _sample_chains drives."""

    def __init__(self, chains, coupling, field, temperature):
        self.chains, self.args = chains, (coupling, field, temperature)
        self.L, self.spins, self.flipped = chains.L, chains.spins, chains.flipped

    @property
    def clusters_per_step(self):
        return self.chains.clusters_per_step

    def thermalize(self, algorithm, n_steps, n_threads, local_name):
        del local_name
        self.chains.thermalize(algorithm, *self.args, n_steps, n_threads)

    def run(self, algorithm, n_steps, n_threads, trace=False, n_records=0, record_every=1):
        return self.chains.run(algorithm, *self.args, n_steps, n_threads, trace=trace, n_records=n_records,
                               record_every=record_every)


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

    chains = _BoundIsing(_Chains(L, n_chains, seed), coupling, field, temperature)
    samples, info = _sample_chains(chains, chosen, "metropolis", n_samples, n_thermalize, spacing,
                                   n_threads, f"sample_ising at T = {temperature}", tau_of=_pilot_tau)
    return (samples, info) if return_info else samples


# -- the q-state Potts and the XY model ----------------------------------------------
POTTS_ALGORITHMS = ("auto", "heatbath", "wolff", "hybrid")
XY_ALGORITHMS = ("auto", "metropolis", "wolff", "hybrid")
MAX_POTTS_Q = 127
# The BKT temperature of the square-lattice XY model, J = 1 (Hasenbusch 2005,
# J. Phys. A 38, 5869: T_BKT = 0.8929(1)); known numerically, not exactly.
XY_BKT_TEMPERATURE = 0.8929
XY_CALIBRATION_ACCEPTANCE = 0.5


def potts_critical_temperature(q=3, coupling=1.0):
    """The exact Tc = J / ln(1 + sqrt q) of the ferromagnetic square-lattice q-state Potts model."""
    return abs(coupling) / math.log1p(math.sqrt(q))


class _GenericChains:
    """Chains of a model whose kernel is run_chains(...) with a (chains, steps, 2) trace."""

    def __init__(self, L, n_chains, seed):
        self.L = L
        self.rng = _ising.seed_streams(seed, n_chains)
        self.stack = np.zeros((n_chains, L * L), dtype=np.int32)
        self.flipped = np.zeros(n_chains, dtype=np.int64)
        self.accepted = np.zeros(n_chains, dtype=np.int64)
        self.clusters_per_step = 1
        self.delta = math.pi

    def thermalize(self, algorithm, n_steps, n_threads, local_name):
        """Run n_steps, recalibrating clusters_per_step (cluster algorithms) to about N
        flipped spins per step and the Metropolis window (XY) to about 50% acceptance;
        both are frozen afterwards, so every later step is the same Markov move."""
        n_sites, done, n_chains = self.L * self.L, 0, len(self.flipped)
        while done < n_steps:
            chunk = min(CALIBRATION_STEPS, n_steps - done)
            flipped, accepted = self.flipped.sum(), self.accepted.sum()
            self.run(algorithm, chunk, n_threads)
            if algorithm != local_name:
                mean_cluster = (self.flipped.sum() - flipped) / (chunk * self.clusters_per_step * n_chains)
                self.clusters_per_step = max(1, int(round(n_sites / mean_cluster)))
            if algorithm != "wolff" and self.tunes_window:
                rate = (self.accepted.sum() - accepted) / (chunk * n_sites * n_chains)
                self.delta = float(np.clip(self.delta * max(rate, 0.05) / XY_CALIBRATION_ACCEPTANCE,
                                           0.01, math.pi))
            done += chunk


class _PottsChains(_GenericChains):
    tunes_window = False

    def __init__(self, L, q, n_chains, seed, coupling, temperature):
        super().__init__(L, n_chains, seed)
        self.q, self.coupling, self.temperature = q, coupling, temperature
        self.spins = _potts.random_states(self.rng, L, q)

    def run(self, algorithm, n_steps, n_threads, trace=False, n_records=0, record_every=1):
        n_chains = self.spins.shape[0]
        trace_buf = np.zeros((n_chains, n_steps if trace else 0, 2))
        records = np.zeros((n_chains, n_records, self.L, self.L), dtype=np.uint8)
        _potts.run_chains(self.spins, self.rng, self.stack, self.q, self.coupling, self.temperature,
                          _potts.ALGORITHM_CODES[algorithm], self.clusters_per_step, n_steps,
                          trace_buf, records, record_every, self.flipped, n_threads)
        return trace_buf, records


class _XYChains(_GenericChains):
    tunes_window = True  # the Metropolis window is calibrated during thermalization

    def __init__(self, L, n_chains, seed, coupling, temperature):
        super().__init__(L, n_chains, seed)
        self.coupling, self.temperature = coupling, temperature
        self.spins = _xy.random_angles(self.rng, L)
        self.nbr = _potts.neighbour_table(L)

    def run(self, algorithm, n_steps, n_threads, trace=False, n_records=0, record_every=1):
        n_chains = self.spins.shape[0]
        trace_buf = np.zeros((n_chains, n_steps if trace else 0, 2))
        records = np.zeros((n_chains, n_records, self.L, self.L), dtype=np.float32)
        _xy.run_chains(self.spins, self.rng, self.stack, self.nbr, self.coupling, self.temperature,
                       self.delta, _xy.ALGORITHM_CODES[algorithm], self.clusters_per_step, n_steps,
                       trace_buf, records, record_every, self.flipped, self.accepted, n_threads)
        return trace_buf, records


def _order_and_energy_tau(trace):
    """tau_int of |M| and E/N over a (chains, steps, 2) trace (Potts, XY)."""
    return {"abs_order_parameter": integrated_autocorrelation_time(trace[..., 0]),
            "energy": integrated_autocorrelation_time(trace[..., 1])}


def _sample_chains(chains, algorithm, local_name, n_samples, n_thermalize, spacing, n_threads,
                   what, tau_of=_order_and_energy_tau):
    """Thermalize, measure tau_int with a doubling pilot, record every `spacing` steps.

    The procedure of every sampler: the pilot is doubled until it is at
    least 50 tau_int long (the largest of tau_of(trace), pooled over chains),
    and spacing defaults to ceil(2 tau_int). local_name is the algorithm
    without clusters (no clusters_per_step to report).
    """
    n_chains = chains.spins.shape[0]
    chains.thermalize(algorithm, n_thermalize, n_threads, local_name)
    pilot_steps = MIN_PILOT_STEPS
    while True:
        trace, _ = chains.run(algorithm, pilot_steps, n_threads, trace=True)
        taus = tau_of(trace)
        tau = max(taus.values())
        if pilot_steps >= PILOT_LENGTH_IN_TAU * tau:
            break
        if pilot_steps >= MAX_PILOT_STEPS:
            warnings.warn(f"{what}: tau_int = {tau:.0f} steps is too long for a reliable estimate "
                          f"from a {pilot_steps}-step pilot; samples may be correlated.",
                          RuntimeWarning, stacklevel=3)
            break
        pilot_steps *= 2
    if spacing is None:
        spacing = max(1, math.ceil(2.0 * tau))
    per_chain = -(-n_samples // n_chains)
    flipped_before = chains.flipped.sum()
    _, records = chains.run(algorithm, per_chain * spacing, n_threads, n_records=per_chain,
                            record_every=spacing)
    L = chains.L
    samples = np.ascontiguousarray(records.transpose(1, 0, 2, 3).reshape(-1, L, L)[:n_samples])
    info = {
        "algorithm": algorithm,
        "n_chains": n_chains,
        "n_thermalize": n_thermalize,
        "pilot_steps": pilot_steps,
        "tau_int": taus,
        "spacing": spacing,
        "production_steps_per_chain": per_chain * spacing,
        "clusters_per_step": chains.clusters_per_step if algorithm != local_name else 0,
        "mean_flipped_per_step": (float(chains.flipped.sum() - flipped_before)
                                  / (n_chains * per_chain * spacing) if algorithm != local_name else 0.0),
    }
    return samples, info


def _common_checks(L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize,
                   spacing, algorithm, algorithms, cluster_needs_positive_j=True):
    L = _check_int("L", L, 2)
    n_samples = _check_int("n_samples", n_samples, 1)
    temperature = _check_real("temperature", temperature, positive=True)
    coupling = _check_real("coupling", coupling)
    seed = _check_int("seed", seed, 0)
    if seed >= 2**64:
        raise ValueError(f"seed must be below 2**64, got {seed}.")
    if not isinstance(algorithm, str) or algorithm not in algorithms:
        raise ValueError(f"algorithm must be one of {algorithms}, got {algorithm!r}.")
    n_threads = _default_threads() if n_threads is None else _check_int("n_threads", n_threads, 1)
    n_chains = min(n_samples, DEFAULT_CHAINS) if n_chains is None else _check_int("n_chains", n_chains, 1)
    if n_thermalize is not None:
        n_thermalize = _check_int("n_thermalize", n_thermalize, 0)
    if spacing is not None:
        spacing = _check_int("spacing", spacing, 1)
    return L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing


def resolve_potts_algorithm(algorithm, coupling=1.0):
    """auto: Wolff clusters plus a heat-bath sweep ("hybrid") for J > 0, heat bath for J <= 0."""
    if algorithm not in POTTS_ALGORITHMS:
        raise ValueError(f"algorithm must be one of {POTTS_ALGORITHMS}, got {algorithm!r}.")
    if algorithm != "auto":
        return algorithm
    return "hybrid" if coupling > 0 else "heatbath"


def sample_potts(L, temperature, n_samples, *, q=3, coupling=1.0, seed=0, algorithm="auto",
                 n_threads=None, n_chains=None, n_thermalize=None, spacing=None, return_info=False):
    """Thermalized, decorrelated configurations of the q-state Potts model on an L x L torus.

    H = -J sum_<ij> delta(s_i, s_j), s_i in {0, ..., q-1}, at temperature T
    (k_B = 1). The ferromagnet (J > 0) orders below Tc = J / ln(1 + sqrt q)
    (0.99497 for q = 3); the transition is continuous for q <= 4.

    Sampling follows sample_ising: independent chains with their own RNG
    streams, a pilot run that measures tau_int of |M| and E (doubled until
    50 tau_int long), then one record per chain every spacing = ceil(2 tau_int)
    steps. A step is one heat-bath sweep, one Wolff step (a fixed number of
    clusters, about N spins) or, for "hybrid" (the auto choice for J > 0),
    one Wolff step and one heat-bath sweep.

    Args:
      L: linear lattice size, >= 2.
      temperature: T > 0.
      n_samples: number of configurations, >= 1.
      q: number of states, 2 <= q <= 127 (q = 2 is the Ising model with
        J_Ising = J / 2).
      coupling: J (any finite real; Wolff and hybrid need J > 0).
      seed: integer in [0, 2^64); the same seed gives the same bits for any n_threads.
      algorithm: "auto", "heatbath", "wolff" or "hybrid".
      n_threads, n_chains, n_thermalize, spacing, return_info: as in sample_ising
        (default n_thermalize: 1000 heat-bath sweeps, 100 cluster steps).

    Returns:
      uint8 array (n_samples, L, L) of states in [0, q); with return_info,
      (samples, info).
    """
    (L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize,
     spacing) = _common_checks(L, temperature, n_samples, coupling, seed, n_threads, n_chains,
                               n_thermalize, spacing, algorithm, POTTS_ALGORITHMS)
    q = _check_int("q", q, 2)
    if q > MAX_POTTS_Q:
        raise ValueError(f"q must be at most {MAX_POTTS_Q}, got {q}.")
    chosen = resolve_potts_algorithm(algorithm, coupling)
    if chosen in ("wolff", "hybrid") and coupling <= 0:
        raise ValueError(f"the {chosen} algorithm needs a ferromagnetic coupling J > 0, got "
                         f"J = {coupling}; use algorithm='heatbath'.")
    if n_thermalize is None:
        n_thermalize = 1000 if chosen == "heatbath" else 100
    chains = _PottsChains(L, q, n_chains, seed, coupling, temperature)
    samples, info = _sample_chains(chains, chosen, "heatbath", n_samples, n_thermalize, spacing,
                                   n_threads, "sample_potts")
    info["q"] = q
    return (samples, info) if return_info else samples


def resolve_xy_algorithm(algorithm, coupling=1.0):
    """auto: Wolff clusters plus a Metropolis sweep ("hybrid") for J > 0, Metropolis for J <= 0."""
    if algorithm not in XY_ALGORITHMS:
        raise ValueError(f"algorithm must be one of {XY_ALGORITHMS}, got {algorithm!r}.")
    if algorithm != "auto":
        return algorithm
    return "hybrid" if coupling > 0 else "metropolis"


def sample_xy(L, temperature, n_samples, *, coupling=1.0, seed=0, algorithm="auto",
              n_threads=None, n_chains=None, n_thermalize=None, spacing=None, return_info=False):
    """Thermalized, decorrelated configurations of the classical XY model on an L x L torus.

    H = -J sum_<ij> cos(theta_i - theta_j) with angles theta in [0, 2 pi), at
    temperature T (k_B = 1). The ferromagnet has a BKT transition at
    T_BKT ~ 0.8929 J (XY_BKT_TEMPERATURE; known numerically).

    Sampling follows sample_ising (pilot tau_int of |m| and E, spacing
    ceil(2 tau_int)). A step is one Metropolis sweep (window tuned to 50%
    acceptance during thermalization, then frozen), one embedded-Ising Wolff
    step (a fixed number of clusters, about N spins) or, for "hybrid" (the
    auto choice for J > 0), one of each.

    Args: as sample_potts, without q; wolff and hybrid need J > 0.

    Returns:
      float32 array (n_samples, L, L) of angles in [0, 2 pi); with
      return_info, (samples, info). The Gaussian decoder's two channels are
      (cos theta, sin theta): betavae_tf.physics.xy_channels.
    """
    (L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize,
     spacing) = _common_checks(L, temperature, n_samples, coupling, seed, n_threads, n_chains,
                               n_thermalize, spacing, algorithm, XY_ALGORITHMS)
    chosen = resolve_xy_algorithm(algorithm, coupling)
    if chosen in ("wolff", "hybrid") and coupling <= 0:
        raise ValueError(f"the {chosen} algorithm needs a ferromagnetic coupling J > 0, got "
                         f"J = {coupling}; use algorithm='metropolis'.")
    if n_thermalize is None:
        n_thermalize = 1000 if chosen == "metropolis" else 100
    chains = _XYChains(L, n_chains, seed, coupling, temperature)
    samples, info = _sample_chains(chains, chosen, "metropolis", n_samples, n_thermalize, spacing,
                                   n_threads, "sample_xy")
    info["metropolis_window"] = chains.delta if chosen != "wolff" else 0.0
    return (samples, info) if return_info else samples
