"""Exact results for the square-lattice Ising model (k_B = 1, |J| sets the energy unit).

- Onsager (1944) / Yang (1952): infinite-lattice energy and spontaneous magnetization.
- Kaufman (1949), in the form of Ferdinand and Fisher (1969) and Beale (1996):
  the partition function of a finite n x m torus, hence its exact energy.
- Brute-force enumeration of all 2^(L^2) states for L <= 4.
"""

import math

import numpy as np
from scipy.special import ellipk, logsumexp

from betavae_tf.physics.observables import energy_per_site, magnetization, staggered_magnetization
from mc_ext.critical import ISING_CRITICAL_TEMPERATURE  # noqa: F401 - Tc / |J| ~ 2.269, the home of the constant


def _check_temperature(temperature):
    t = np.asarray(temperature, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"temperature must be finite and positive, got {temperature}.")
    return t


def onsager_magnetization(temperature, coupling=1.0):
    """Spontaneous |m| (or |m_s| for J < 0): (1 - sinh(2|J|/T)^-4)^(1/8) below Tc, 0 above."""
    t = _check_temperature(temperature)
    k = 2.0 * abs(coupling) / t
    with np.errstate(over="ignore"):
        inner = 1.0 - np.sinh(k) ** -4.0
    return np.where(inner > 0, np.abs(inner) ** 0.125, 0.0)


def onsager_energy(temperature, coupling=1.0):
    """Infinite-lattice energy per site, the same for J and -J (zero field).

    u = -|J| coth(2K) [1 + (2/pi)(2 tanh^2(2K) - 1) K1(kappa)], K = |J|/T,
    kappa = 2 sinh(2K) / cosh^2(2K), K1 the complete elliptic integral of
    the first kind (scipy's ellipk takes the parameter kappa^2).
    """
    t = _check_temperature(temperature)
    k = abs(coupling) / t
    kappa = 2.0 * np.sinh(2 * k) / np.cosh(2 * k) ** 2
    k1 = ellipk(np.minimum(kappa**2, 1.0 - 1e-16))
    return -abs(coupling) / np.tanh(2 * k) * (1 + 2 / np.pi * (2 * np.tanh(2 * k) ** 2 - 1) * k1)


def _log_partition_function(k, rows, cols):
    """ln Z of the zero-field ferromagnet on a rows x cols torus at K = J/T > 0.

    Z = (1/2) (2 sinh 2K)^(nm/2) sum_{i=1..4} Z_i (Kaufman), n = rows, m = cols:
      Z_1 = prod_{r=0}^{n-1} 2 cosh(m gamma_{2r+1} / 2),  Z_2 = same with sinh,
      Z_3 = prod_{r=0}^{n-1} 2 cosh(m gamma_{2r} / 2),    Z_4 = same with sinh,
    cosh gamma_l = cosh 2K coth 2K - cos(pi l / n) for l >= 1, and
    gamma_0 = 2K + ln tanh K, whose sign (negative above Tc) must be kept.
    Products are summed as logs with signs to stay finite at large n m.
    """
    n, m = rows, cols
    ell = np.arange(2 * n)
    cosh_gamma = np.cosh(2 * k) / np.tanh(2 * k) - np.cos(np.pi * ell / n)
    gamma = np.arccosh(np.maximum(cosh_gamma, 1.0))
    gamma[0] = 2 * k + math.log(math.tanh(k))
    odd, even = gamma[1::2], gamma[0::2]

    def log_prod_cosh(g):
        x = np.abs(m * g / 2)
        return float(np.sum(x + np.log1p(np.exp(-2 * x))))  # ln 2cosh = |x| + ln(1 + e^-2|x|)

    def log_prod_sinh(g):
        x = m * g / 2
        if np.any(x == 0):
            return -np.inf, 0.0
        ax = np.abs(x)
        return float(np.sum(ax + np.log(-np.expm1(-2 * ax)))), float(np.prod(np.sign(x)))

    terms = [log_prod_cosh(odd), log_prod_cosh(even)]
    signs = [1.0, 1.0]
    for g in (odd, even):
        value, sign = log_prod_sinh(g)
        terms.append(value)
        signs.append(sign)
    total, sign = logsumexp(terms, b=signs, return_sign=True)
    if sign <= 0:
        raise ArithmeticError("Kaufman sum is not positive; numerical cancellation.")
    return math.log(0.5) + n * m / 2 * math.log(2 * math.sinh(2 * k)) + float(total)


def finite_lattice_energy(L, temperature, coupling=1.0):
    """Exact <E>/N of the zero-field Ising model on an L x L torus (L even for J < 0).

    -d ln Z / d beta from Kaufman's partition function, by a central
    difference in K (relative step 1e-5; error ~1e-9 per site). For J < 0 on
    an even torus the sublattice flip maps the model onto J > 0 exactly.
    """
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2:
        raise ValueError(f"L must be an integer >= 2, got {L!r}.")
    if coupling < 0 and L % 2:
        raise ValueError(f"an antiferromagnet needs even L on a torus, got L = {L}.")
    if coupling == 0:
        return 0.0
    t = float(_check_temperature(temperature))
    k = abs(coupling) / t
    step = 1e-5 * k
    derivative = (_log_partition_function(k + step, L, L) - _log_partition_function(k - step, L, L)) / (2 * step)
    return -abs(coupling) * derivative / (L * L)


def _derivatives(log_z, k, relative_step=1e-4):
    """(d ln Z / dK, d^2 ln Z / dK^2) by central differences (relative step in K)."""
    h = relative_step * k
    lo, mid, hi = log_z(k - h), log_z(k), log_z(k + h)
    return (hi - lo) / (2 * h), (hi - 2 * mid + lo) / h**2


def thermodynamics_from_log_z(log_z, n_sites, temperature, coupling):
    """F, U, S and C per site (k_B = 1) from ln Z as a function of K = |J| / T (a callable), exactly up to the
    central differences of its derivatives (relative step 1e-4 in K: errors ~1e-8 per site)."""
    t = float(temperature)
    k = abs(coupling) / t
    ln_z = log_z(k)
    d1, d2 = _derivatives(log_z, k)
    energy = -abs(coupling) * d1 / n_sites  # U = -d ln Z / d beta, beta = K / |J|
    free = -t * ln_z / n_sites
    return {
        "log_z": float(ln_z),
        "free_energy": float(free),
        "energy": float(energy),
        "entropy": float((energy - free) / t),
        "specific_heat": float(k * k * d2 / n_sites),  # C = beta^2 d^2 ln Z / d beta^2
    }


def ising_thermodynamics(L, temperature, coupling=1.0):
    """Exact F, U, S and C per site (and ln Z) of the zero-field Ising model on an L x L torus (Kaufman).

    For J < 0 on an even torus the sublattice flip maps the model onto J > 0, so ln Z is the same.
    """
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2:
        raise ValueError(f"L must be an integer >= 2, got {L!r}.")
    if coupling == 0 or (coupling < 0 and L % 2):
        raise ValueError(f"needs J != 0 (and even L for J < 0), got J = {coupling}, L = {L}.")
    _check_temperature(temperature)
    return thermodynamics_from_log_z(lambda k: _log_partition_function(k, L, L), L * L, temperature, coupling)


def enumerate_ising(L, temperature, coupling=1.0, field=0.0):
    """Exact thermal averages on an L x L torus (L <= 4) by summing all 2^(L^2) states.

    Returns a dict with energy (<E>/N), abs_magnetization (<|m|>),
    magnetization_sq (<m^2>), abs_staggered_magnetization (<|m_s|>),
    staggered_magnetization_sq (<m_s^2>), specific_heat (N (<e^2> - <e>^2) / T^2), log_z (ln Z),
    free_energy (-T ln Z / N) and entropy ((<E> - F) / (N T)).
    """
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or not 2 <= L <= 4:
        raise ValueError(f"exact enumeration needs an integer 2 <= L <= 4, got {L!r}.")
    t = float(_check_temperature(temperature))
    n_sites = L * L
    states = np.arange(2**n_sites, dtype=np.int64)
    s = (((states[:, None] >> np.arange(n_sites)) & 1) * 2 - 1).astype(np.int8).reshape(-1, L, L)
    e = energy_per_site(s, coupling, field)
    m = magnetization(s)
    ms = staggered_magnetization(s)
    log_w = -n_sites * e / t
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    mean_e = float(w @ e)
    log_z = float(logsumexp(log_w))
    free = -t * log_z / n_sites
    return {
        "log_z": log_z,
        "free_energy": free,
        "entropy": (mean_e - free) / t,
        "energy": mean_e,
        "abs_magnetization": float(w @ np.abs(m)),
        "magnetization_sq": float(w @ m**2),
        "abs_staggered_magnetization": float(w @ np.abs(ms)),
        "staggered_magnetization_sq": float(w @ ms**2),
        "specific_heat": float(n_sites * (w @ (e - mean_e) ** 2) / t**2),
    }
