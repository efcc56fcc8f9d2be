"""The validating public API of the compiled Monte Carlo samplers (Ising, q-state Potts, XY).

Every model runs through one driver: independent chains, each with its own
xoshiro256++ stream (mc_ext._lattice.seed_streams), start from random spins;
after thermalization a pilot run measures the integrated autocorrelation
time tau_int (doubled until it is at least 50 tau_int long) and each chain
then records a configuration every ceil(2 tau_int) steps. What differs per
model is a small kernel record (mc_ext.kernels.Kernel): how its chains start, what one
step of each algorithm is, what the pilot traces, and which algorithm
"auto" stands for.

Long calls are cut into pieces of about a quarter of a second (at record
boundaries, so the result does not depend on the cut): Ctrl-C stops a call
within a second. A call whose arrays would not fit in the memory this process
may use is refused before anything is allocated.
"""

import math
import os

import numpy as np

from .chains import MAX_PILOT_STEPS, Chains, sample_chains
from .critical import XY_BKT_TEMPERATURE, ising_critical_temperature, potts_critical_temperature  # noqa: F401
from .kernels import ALGORITHMS, ISING, POTTS, POTTS_ALGORITHMS, XY, XY_ALGORITHMS  # noqa: F401
from .memory import check_memory

# auto (Ising): below this multiple of Tc(|J|) clusters pay off; above it local moves do.
AUTO_CLUSTER_BELOW_TC = 1.5
DEFAULT_CHAINS = 16
LOCAL_THERMALIZE, CLUSTER_THERMALIZE = 1000, 100
MAX_POTTS_Q = 127
MAX_LATTICE_SIZE = 46340  # L^2 sites must fit a 32-bit index


# -- argument checks -------------------------------------------------------------------
def _check_int(name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def _check_real(name, value, positive=False):
    # Strings and booleans convert to floats silently ("2.0", True); a physical
    # parameter given that way is a mistake, not a number.
    if isinstance(value, (bool, np.bool_, str, bytes)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
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


def _prepare(kernel, L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing, algorithm):
    """Checks every sampler shares; returns the checked values (n_thermalize may stay None)."""
    L = _check_int("L", L, 2)
    n_samples = _check_int("n_samples", n_samples, 1)
    temperature = _check_real("temperature", temperature, positive=True)
    coupling = _check_real("coupling", coupling)
    seed = _check_int("seed", seed, 0)
    if seed >= 2**64:
        raise ValueError(f"seed must be below 2**64, got {seed}.")
    if not isinstance(algorithm, str) or algorithm not in kernel.algorithms:
        raise ValueError(f"algorithm must be one of {kernel.algorithms}, got {algorithm!r}.")
    n_threads = _default_threads() if n_threads is None else _check_int("n_threads", n_threads, 1)
    n_chains = min(n_samples, DEFAULT_CHAINS) if n_chains is None else _check_int("n_chains", n_chains, 1)
    if n_thermalize is not None:
        n_thermalize = _check_int("n_thermalize", n_thermalize, 0)
    if spacing is not None:
        spacing = _check_int("spacing", spacing, 1)
    check_memory(
        memory_needed(kernel, L, n_samples, n_chains),
        f"sample_{kernel.name}(L={L}, n_samples={n_samples}, n_chains={n_chains})",
    )
    if L > MAX_LATTICE_SIZE:
        raise ValueError(f"L must be at most {MAX_LATTICE_SIZE} (L^2 sites must fit a 32-bit index), got {L}.")
    return L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing


def memory_needed(kernel, L, n_samples, n_chains):
    """Bytes a sampler call holds at its peak: the chains' state and scratch, the records and the result."""
    n_sites = L * L
    per_chain = -(-n_samples // n_chains)
    state = n_chains * n_sites * (np.dtype(kernel.spin_dtype).itemsize + 4 + kernel.scratch_bytes_per_site)
    records = n_chains * per_chain * n_sites * np.dtype(kernel.record_dtype).itemsize
    pilot = n_chains * MAX_PILOT_STEPS * kernel.trace_width * 8
    return state + 2 * records + pilot + 16 * n_sites


def _run(kernel, name, params, call, chosen):
    """Sample with the checked arguments `call` (what _prepare returned) and the concrete algorithm."""
    L, _, n_samples, _, seed, n_threads, n_chains, n_thermalize, spacing = call
    if n_thermalize is None:
        n_thermalize = LOCAL_THERMALIZE if chosen == kernel.local else CLUSTER_THERMALIZE
    chains = Chains(kernel, L, n_chains, seed, params)
    samples, info = sample_chains(
        chains, chosen, n_samples, n_thermalize, spacing, n_threads, f"{name} at T = {params[-1]}"
    )
    return samples, info, chains


# -- Ising -----------------------------------------------------------------------------
def resolve_algorithm(algorithm, temperature, coupling=1.0, field=0.0):
    """The concrete Ising algorithm that `algorithm` ("auto" or explicit) stands for.

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


def sample_ising(
    L,
    temperature,
    n_samples,
    *,
    coupling=1.0,
    field=0.0,
    seed=0,
    algorithm="auto",
    n_threads=None,
    n_chains=None,
    n_thermalize=None,
    spacing=None,
    return_info=False,
):
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
    call = _prepare(
        ISING, L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing, algorithm
    )
    L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing = call
    field = _check_real("field", field)
    chosen = resolve_algorithm(algorithm, temperature, coupling, field)
    if chosen in ("metropolis", "hybrid") and L % 2:
        raise ValueError(f"L must be even for the {chosen} algorithm's checkerboard, got L = {L}.")
    if chosen in ("wolff", "hybrid") and field != 0.0:
        raise ValueError(f"the {chosen} algorithm needs field = 0, got field = {field}.")
    samples, info, _ = _run(ISING, "sample_ising", (coupling, field, temperature), call, chosen)
    return (samples, info) if return_info else samples


# -- q-state Potts and XY: clusters for the ferromagnet only -----------------------------
def _resolve_ferromagnet_clusters(kernel, algorithm, coupling):
    """auto: Wolff clusters plus a local sweep ("hybrid") for J > 0, the local sweep alone for J <= 0."""
    if algorithm not in kernel.algorithms:
        raise ValueError(f"algorithm must be one of {kernel.algorithms}, got {algorithm!r}.")
    if algorithm != "auto":
        return algorithm
    return "hybrid" if coupling > 0 else kernel.local


def _chosen_for_ferromagnet(kernel, algorithm, coupling):
    chosen = _resolve_ferromagnet_clusters(kernel, algorithm, coupling)
    if chosen in ("wolff", "hybrid") and coupling <= 0:
        raise ValueError(
            f"the {chosen} algorithm needs a ferromagnetic coupling J > 0, got "
            f"J = {coupling}; use algorithm='{kernel.local}'."
        )
    return chosen


def resolve_potts_algorithm(algorithm, coupling=1.0):
    """auto: Wolff clusters plus a heat-bath sweep ("hybrid") for J > 0, heat bath for J <= 0."""
    return _resolve_ferromagnet_clusters(POTTS, algorithm, coupling)


def sample_potts(
    L,
    temperature,
    n_samples,
    *,
    q=3,
    coupling=1.0,
    seed=0,
    algorithm="auto",
    n_threads=None,
    n_chains=None,
    n_thermalize=None,
    spacing=None,
    return_info=False,
):
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
    call = _prepare(
        POTTS, L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing, algorithm
    )
    L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing = call
    q = _check_int("q", q, 2)
    if q > MAX_POTTS_Q:
        raise ValueError(f"q must be at most {MAX_POTTS_Q}, got {q}.")
    chosen = _chosen_for_ferromagnet(POTTS, algorithm, coupling)
    samples, info, _ = _run(POTTS, "sample_potts", (q, coupling, temperature), call, chosen)
    info["q"] = q
    return (samples, info) if return_info else samples


# -- XY ----------------------------------------------------------------------------------
def resolve_xy_algorithm(algorithm, coupling=1.0):
    """auto: Wolff clusters plus a Metropolis sweep ("hybrid") for J > 0, Metropolis for J <= 0."""
    return _resolve_ferromagnet_clusters(XY, algorithm, coupling)


def sample_xy(
    L,
    temperature,
    n_samples,
    *,
    coupling=1.0,
    seed=0,
    algorithm="auto",
    n_threads=None,
    n_chains=None,
    n_thermalize=None,
    spacing=None,
    return_info=False,
):
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
    call = _prepare(
        XY, L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing, algorithm
    )
    L, temperature, n_samples, coupling, seed, n_threads, n_chains, n_thermalize, spacing = call
    chosen = _chosen_for_ferromagnet(XY, algorithm, coupling)
    samples, info, chains = _run(XY, "sample_xy", (coupling, temperature), call, chosen)
    info["metropolis_window"] = chains.delta if chosen != "wolff" else 0.0
    return (samples, info) if return_info else samples
