"""Ising observables for batches of L x L configurations with periodic boundaries.

Every function takes configurations of shape (..., L, L) as either sigma in
{0, 1} (1 = up, the dataset convention) or S in {-1, +1}; an array that
contains a 0 is read as sigma, one without is read as S (an all-ones array
means all spins up either way), and anything else is rejected.
"""

import numpy as np


def to_spins(configurations):
    """S in {-1, +1} (int8) from sigma in {0, 1} or from S itself."""
    x = np.asarray(configurations)
    if x.ndim < 2:
        raise ValueError(f"configurations must have shape (..., L, L), got {x.shape}.")
    if x.dtype.kind not in "biuf":
        raise ValueError(f"configurations must be numeric, got dtype {x.dtype}.")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise ValueError("configurations contain NaN or infinite values.")
    values = np.unique(x)
    if np.isin(values, (0, 1)).all():
        return (2 * x.astype(np.int8) - 1).astype(np.int8)
    if np.isin(values, (-1, 1)).all():
        return x.astype(np.int8)
    raise ValueError(
        f"configurations must hold spins in {{0, 1}} or {{-1, +1}}, found values in {values[:6].tolist()}."
    )


def _staggering(L):
    """(-1)^(i + j) on an L x L lattice, +1 at the origin."""
    idx = np.arange(L)
    return 1 - 2 * ((idx[:, None] + idx[None, :]) % 2)


def magnetization(configurations):
    """m = (1/N) sum_i S_i for each configuration; shape (...)."""
    s = to_spins(configurations)
    return s.mean(axis=(-2, -1), dtype=np.float64)


def staggered_magnetization(configurations):
    """m_s = (1/N) sum_i (-1)^(x_i + y_i) S_i, the antiferromagnetic order parameter."""
    s = to_spins(configurations)
    if s.shape[-1] != s.shape[-2]:
        raise ValueError(f"configurations must be square L x L, got {s.shape[-2:]}.")
    return (s * _staggering(s.shape[-1])).mean(axis=(-2, -1), dtype=np.float64)


def energy_per_site(configurations, coupling=1.0, field=0.0):
    """E/N with H = -J sum_<ij> S_i S_j - h sum_i S_i, periodic (2N bonds)."""
    s = to_spins(configurations).astype(np.int64)
    bonds = s * (np.roll(s, -1, axis=-1) + np.roll(s, -1, axis=-2))
    n_sites = s.shape[-1] * s.shape[-2]
    return (-coupling * bonds.sum(axis=(-2, -1)) - field * s.sum(axis=(-2, -1))) / n_sites
