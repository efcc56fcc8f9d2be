"""The classical XY model on the square-lattice torus: observables and reference results.

H = -J sum_<ij> cos(theta_i - theta_j), k_B = 1. Configurations are angles
(..., L, L) in radians. Observables:
- xy_magnetization: |m| = |(1/N) sum_k (cos theta_k, sin theta_k)| per configuration
  (it vanishes as L -> infinity at every T > 0 (Mermin-Wagner), but is
  finite on a finite torus below T_BKT, where it decays slowly with L);
- xy_energy_per_site;
- xy_helicity_modulus: the spin stiffness Upsilon (x direction) of an ensemble,
  which jumps to 0 at T_BKT from 2 T_BKT / pi (Nelson-Kosterlitz);
- xy_vortex_density: the density of plaquettes with winding number +-1.
Reference results: the high-temperature expansion of the energy,
E/N = -2 J (t + 2 t^3 + O(t^5)), t = I_1(K) / I_0(K), K = J / T (the
character expansion: one bond, plus the two three-bond detours around the
bond's plaquettes); and T_BKT ~ 0.8929 J (Hasenbusch 2005, numerical).
"""

import numpy as np
from scipy.special import i0, i1

from mc_ext.critical import XY_BKT_TEMPERATURE  # noqa: F401 - the home of the constant


def _angles(configurations):
    a = np.asarray(configurations, dtype=np.float64)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"XY configurations must have shape (..., L, L), got {a.shape}.")
    if not np.isfinite(a).all():
        raise ValueError("XY angles must be finite.")
    return a


def xy_channels(configurations):
    """(..., L, L, 2) float32 (cos theta, sin theta): the Gaussian decoder's input."""
    a = _angles(configurations)
    return np.stack([np.cos(a), np.sin(a)], axis=-1).astype(np.float32)


def xy_magnetization(configurations):
    a = _angles(configurations)
    return np.hypot(np.cos(a).mean(axis=(-2, -1)), np.sin(a).mean(axis=(-2, -1)))


def xy_energy_per_site(configurations, coupling=1.0):
    a = _angles(configurations)
    bonds = np.cos(a - np.roll(a, 1, axis=-1)).sum(axis=(-2, -1)) + np.cos(a - np.roll(a, 1, axis=-2)).sum(
        axis=(-2, -1)
    )
    return -coupling * bonds / (a.shape[-1] * a.shape[-2])


def xy_helicity_modulus(configurations, temperature, coupling=1.0):
    """Upsilon_x = (1/N) [ <sum_x J cos(d theta)> - (J^2 / T) <(sum_x sin(d theta))^2> ].

    d theta runs over the bonds in the x direction; an ensemble average over
    the configurations (..., L, L) given.
    """
    a = _angles(configurations)
    d = a - np.roll(a, -1, axis=-1)
    n = a.shape[-1] * a.shape[-2]
    c = coupling * np.cos(d).sum(axis=(-2, -1))
    s = np.sin(d).sum(axis=(-2, -1))
    return float((c.mean() - coupling**2 / temperature * (s**2).mean()) / n)


def xy_vortex_density(configurations):
    """Mean number of (anti)vortices per site: plaquettes whose angle winding is +-2 pi."""
    a = _angles(configurations)

    def wrap(x):
        return (x + np.pi) % (2 * np.pi) - np.pi

    right = np.roll(a, -1, axis=-1)
    diag = np.roll(right, -1, axis=-2)
    down = np.roll(a, -1, axis=-2)
    winding = wrap(right - a) + wrap(diag - right) + wrap(down - diag) + wrap(a - down)
    vortices = np.abs(np.round(winding / (2 * np.pi)))
    return vortices.mean(axis=(-2, -1))


def xy_high_temperature_energy(temperature, coupling=1.0):
    """E/N = -2 J (t + 2 t^3), t = I1(K)/I0(K): the series to third order (error O(t^5))."""
    K = coupling / np.asarray(temperature, dtype=np.float64)
    t = i1(K) / i0(K)
    return -2.0 * coupling * (t + 2.0 * t**3)
