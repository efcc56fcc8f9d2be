"""The q-state Potts model on the square-lattice torus: observables and exact results.

H = -J sum_<ij> delta(s_i, s_j), s_i in {0, ..., q-1}, k_B = 1.
Exact results used to validate mc_ext.sample_potts:
- Tc = J / ln(1 + sqrt q) (self-duality; Potts 1952, Baxter 1973);
- the internal energy at Tc of the infinite lattice, E/N = -J (1 + 1/sqrt q)
  (Baxter 1973; from duality);
- a finite L x L torus exactly: by enumeration of all q^(L^2) states (small L)
  and by the row transfer matrix (energy, any L with q^L states per row);
- q = 2 is the Ising model with J_Ising = J / 2: E_Potts = E_Ising - J N.
"""

import math

import numpy as np
from scipy.special import logsumexp

from mc_ext.critical import potts_critical_temperature  # noqa: F401 - the home of the constant


def potts_critical_energy(q=3, coupling=1.0):
    """Infinite-lattice internal energy per site at Tc: -|J| (1 + 1/sqrt q)."""
    return -abs(coupling) * (1.0 + 1.0 / math.sqrt(q))


def _states(configurations, q):
    s = np.asarray(configurations)
    if s.ndim < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"Potts configurations must have shape (..., L, L), got {s.shape}.")
    if not np.issubdtype(s.dtype, np.integer) or s.min() < 0 or s.max() >= q:
        raise ValueError(f"Potts states must be integers in [0, {q}).")
    return s


def potts_order_parameter(configurations, q=3):
    """|M| per configuration, M = (1/N) sum_k exp(2 pi i s_k / q): 1 ordered, ~0 disordered."""
    s = _states(configurations, q)
    phase = np.exp(2j * np.pi * s / q)
    return np.abs(phase.mean(axis=(-2, -1)))


def potts_energy_per_site(configurations, coupling=1.0, q=None):
    """E/N = -J (number of equal nearest-neighbour pairs) / N on the torus."""
    s = np.asarray(configurations) if q is None else _states(configurations, q)
    equal = (s == np.roll(s, 1, axis=-1)).sum(axis=(-2, -1)) + (s == np.roll(s, 1, axis=-2)).sum(axis=(-2, -1))
    return -coupling * equal / (s.shape[-1] * s.shape[-2])


def potts_state_fractions(configurations, q=3):
    """(..., q) fraction of sites in each state."""
    s = _states(configurations, q)
    return np.stack([(s == a).mean(axis=(-2, -1)) for a in range(q)], axis=-1)


def enumerate_potts(L, temperature, q=3, coupling=1.0):
    """Exact averages on an L x L torus by summing all q^(L^2) states (at most 3^9 or 2^16).

    Returns energy (<E>/N), abs_order_parameter (<|M|>), order_parameter_sq (<|M|^2>), log_z, free_energy
    (-T ln Z / N), entropy and specific_heat per site.
    """
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2 or q ** (L * L) > 2**20:
        raise ValueError(f"exact enumeration needs an integer L >= 2 with q^(L^2) <= 2^20, got L = {L!r}, q = {q}.")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be finite and positive, got {temperature}.")
    n = L * L
    index = np.arange(q**n, dtype=np.int64)
    s = ((index[:, None] // q ** np.arange(n)) % q).reshape(-1, L, L)
    e = potts_energy_per_site(s, coupling)
    m = potts_order_parameter(s, q)
    log_w = -n * e / temperature
    log_z = float(logsumexp(log_w))
    w = np.exp(log_w - log_z)
    free = -temperature * log_z / n
    return {
        "energy": float(w @ e),
        "abs_order_parameter": float(w @ m),
        "order_parameter_sq": float(w @ m**2),
        "log_z": log_z,
        "free_energy": free,
        "entropy": float((w @ e - free) / temperature),
        "specific_heat": float(n * (w @ (e - w @ e) ** 2) / temperature**2),
    }


def _log_z_transfer(L, K, q):
    """ln Z of the L x L torus from the symmetric row transfer matrix (q^L row states)."""
    rows = (np.arange(q**L)[:, None] // q ** np.arange(L)) % q
    intra = (rows == np.roll(rows, 1, axis=1)).sum(axis=1)
    inter = (rows[:, None, :] == rows[None, :, :]).sum(axis=2)
    log_t = K * (0.5 * (intra[:, None] + intra[None, :]) + inter)
    shift = log_t.max()
    eig = np.linalg.eigvalsh(np.exp(log_t - shift))
    # Tr T^L = sum lambda^L; signs matter for odd L, so sum with signs.
    lam = np.abs(eig)
    sign = np.sign(eig) ** L
    return (
        L * shift
        + np.log(np.sum(sign * np.exp(L * (np.log(lam + 1e-300) - np.log(lam.max())))))
        + L * np.log(lam.max())
    )


def potts_finite_lattice_energy(L, temperature, q=3, coupling=1.0):
    """Exact <E>/N of the L x L torus (q^L <= 4096) by the row transfer matrix."""
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2 or q**L > 4096:
        raise ValueError(f"the transfer matrix needs an integer L >= 2 with q^L <= 4096, got L = {L!r}, q = {q}.")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be finite and positive, got {temperature}.")
    K = coupling / temperature
    h = 1e-5 * max(abs(K), 1e-3)
    d = (_log_z_transfer(L, K + h, q) - _log_z_transfer(L, K - h, q)) / (2 * h)
    return float(-coupling * d / (L * L))


def potts_thermodynamics(L, temperature, q=3, coupling=1.0):
    """Exact F, U, S and C per site (and ln Z) of the L x L torus (q^L <= 4096) by the row transfer matrix."""
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2 or q**L > 4096:
        raise ValueError(f"the transfer matrix needs an integer L >= 2 with q^L <= 4096, got L = {L!r}, q = {q}.")
    if not np.isfinite(temperature) or temperature <= 0 or coupling <= 0:
        raise ValueError(f"needs a finite T > 0 and J > 0, got T = {temperature}, J = {coupling}.")
    from betavae_tf.physics.exact import thermodynamics_from_log_z

    return thermodynamics_from_log_z(lambda k: _log_z_transfer(L, k, q), L * L, temperature, coupling)
