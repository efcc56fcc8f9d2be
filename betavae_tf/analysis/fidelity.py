"""Physics of generated configurations against Monte Carlo data (the beta^2-VAE question, Sec. VI).

All functions take configurations [N, L, L] in {0, 1} (or {-1, +1}) of the
Ising model with coupling J at one temperature T and compare observable
distributions: energy per site e, |m|, the nearest-neighbour correlation,
and the fluctuation estimates of the specific heat and susceptibility
  c = N (<e^2> - <e>^2) / T^2,   chi = N (<m^2> - <|m|>^2) / T   (per site, k_B = 1).
"""

import numpy as np
from scipy import stats

from betavae_tf.physics import energy_per_site, magnetization, to_spins


def nearest_neighbour_correlation(configurations):
    """<S_i S_j> over nearest-neighbour pairs (periodic), per configuration."""
    s = to_spins(configurations).astype(np.float64)
    return 0.5 * (s * np.roll(s, 1, axis=-1) + s * np.roll(s, 1, axis=-2)).mean(axis=(-2, -1))


def observables(configurations, temperature, coupling=1.0):
    """Per-configuration e, |m|, nn correlation, and the fluctuation estimates c, chi."""
    x = np.asarray(configurations)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
    n_sites = x.shape[-1] * x.shape[-2]
    e = energy_per_site(x, coupling=coupling)
    m = magnetization(x)
    return {
        "energy": e,
        "abs_m": np.abs(m),
        "nn_correlation": nearest_neighbour_correlation(x),
        "specific_heat": float(n_sites * e.var() / temperature**2),
        "susceptibility": float(n_sites * (np.mean(m**2) - np.mean(np.abs(m)) ** 2) / temperature),
    }


def compare(generated, data, temperature, coupling=1.0):
    """Distances of the generated set's physics from the data's.

    Returns {observable: {"w1", "mean_diff", "std_diff", "generated_mean", "data_mean"}} for
    energy, |m| and the nn correlation, and {"generated", "data", "relative_diff"} for c and chi.
    Identical sets give 0 everywhere.
    """
    g, d = observables(generated, temperature, coupling), observables(data, temperature, coupling)
    out = {}
    for name in ("energy", "abs_m", "nn_correlation"):
        out[name] = {
            "w1": float(stats.wasserstein_distance(g[name], d[name])),
            "mean_diff": float(g[name].mean() - d[name].mean()),
            "std_diff": float(g[name].std() - d[name].std()),
            "generated_mean": float(g[name].mean()),
            "data_mean": float(d[name].mean()),
            "generated_std": float(g[name].std()),
            "data_std": float(d[name].std()),
        }
    for name in ("specific_heat", "susceptibility"):
        rel = (g[name] - d[name]) / d[name] if d[name] else float("nan")
        out[name] = {"generated": g[name], "data": d[name], "relative_diff": float(rel)}
    return out
