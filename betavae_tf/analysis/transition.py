"""Where an order parameter changes fastest with temperature: Tc of one run, with bootstrap errors.

Pure statistics on (temperature, order parameter) arrays, no model: the
midpoint of a logistic step fitted to the mean against T, the steepest slope
between successive temperatures (no fitted shape), the latent Binder ratio,
and the classic PCA baseline of the raw configurations.
"""

import warnings

import numpy as np

from betavae_tf.analysis.results import Estimate, Transition


def _logistic(t, top, bottom, tc, width):
    return bottom + (top - bottom) / (1.0 + np.exp((t - tc) / width))


def critical_temperature(temperature, order, n_bootstrap=200, seed=0):
    """Tc from a latent order parameter alone: the inflection of its mean vs T.

    order is a per-sample latent order parameter (e.g. |z_a| of FM samples).
    Its mean at each temperature is fitted with a logistic step
    bottom + (top - bottom) / (1 + exp((T - Tc) / w)); Tc is the step's
    midpoint, where the curve changes fastest. The error is the spread over
    bootstrap resamples of the samples at each temperature.
    Returns Estimate(tc, error, {"temperatures", "mean"}).
    """
    from scipy.optimize import curve_fit

    grid, groups = by_temperature(temperature, order)

    def fit(means):
        p0 = [
            means.max(),
            means.min(),
            grid[np.argmax(-np.diff(means))] + np.diff(grid).mean() / 2,
            np.diff(grid).mean(),
        ]
        try:
            params, _ = curve_fit(_logistic, grid, means, p0=p0, maxfev=10000)
        except RuntimeError:
            return np.nan
        return params[2] if grid[0] <= params[2] <= grid[-1] else np.nan

    means = np.array([g.mean() for g in groups])
    with warnings.catch_warnings():  # a fit that does not converge is dropped, not reported per resample
        warnings.simplefilter("ignore")
        tc = fit(means)
        err = _bootstrap_spread(fit, groups, n_bootstrap, seed)
    return Estimate(float(tc), err, {"temperatures": grid.tolist(), "mean": means.tolist()})


def by_temperature(temperature, order):
    """(the temperatures, the order parameter's samples at each); at least 4 temperatures."""
    t = np.asarray(temperature, float)
    order = np.asarray(order, float)
    grid = np.unique(t)
    if len(grid) < 4:
        raise ValueError(f"need at least 4 temperatures to locate Tc, got {len(grid)}.")
    return grid, [order[t == g] for g in grid]


def _bootstrap_spread(locate, groups, n_bootstrap, seed):
    """Spread of locate(means) over resamples of the samples at each temperature (nan results dropped)."""
    rng = np.random.default_rng(seed)
    boots = np.array([locate(np.array([rng.choice(g, len(g)).mean() for g in groups])) for _ in range(n_bootstrap)])
    boots = boots[np.isfinite(boots)]
    return float(boots.std()) if len(boots) > 1 else np.nan


def steepest_change(temperature, order, n_bootstrap=200, seed=0):
    """Tc from a latent order parameter alone: where its mean changes fastest with T, without a fitted shape.

    The logistic midpoint of critical_temperature is the steepest point only if the mean follows a
    symmetric step; a code that tracks the energy (short-range order, growing smoothly over the whole
    range of T) has a long tail on the high-T side that pulls the midpoint up. Here the slopes of the mean
    between successive temperatures, signed along its overall trend (mean at the highest T minus the
    mean at the lowest), are read directly and Tc is the vertex of the parabola through the steepest
    slope and its two neighbours (at the midpoints of their intervals; any grid). At a continuous
    transition the T-derivative of an order parameter (and of the energy: the specific heat) peaks at
    Tc(L). The steepest slope in the first or last interval is no transition in the range: nan. The error
    is the spread over bootstrap resamples of the samples at each temperature.
    Returns Estimate(tc, error, {"temperatures", "slope"}) with the slopes at the intervals' midpoints.
    """
    grid, groups = by_temperature(temperature, order)
    mid = (grid[1:] + grid[:-1]) / 2

    def slopes(means):
        return np.diff(means) / np.diff(grid) * np.sign(means[-1] - means[0] or 1.0)

    def locate(means):
        s = slopes(means)
        k = int(np.argmax(s))
        if k == 0 or k == len(s) - 1:
            return np.nan
        a, b, _ = np.polyfit(mid[k - 1 : k + 2], s[k - 1 : k + 2], 2)
        return float(np.clip(-b / (2 * a), mid[k - 1], mid[k + 1])) if a < 0 else float(mid[k])

    means = np.array([g.mean() for g in groups])
    return Estimate(
        locate(means),
        _bootstrap_spread(locate, groups, n_bootstrap, seed),
        {"temperatures": mid.tolist(), "slope": slopes(means).tolist()},
    )


MAX_FIT_SAMPLES = 20000


def binder_ratio(r):
    """U = 1 - <r^4> / (3 <r^2>^2) of a set of radii."""
    r2 = np.mean(np.square(r))
    return float(1.0 - np.mean(np.power(r, 4)) / (3.0 * r2 * r2)) if r2 > 0 else float("nan")


def pca_radius(x, temperature, n_components, seed=0):
    """The classic baseline: distance from the high-temperature centroid in the first principal components of
    the raw configurations (flattened model inputs)."""
    from sklearn.decomposition import PCA

    flat = np.asarray(x, np.float32).reshape(len(x), -1)
    rng = np.random.default_rng(seed)
    fit_on = flat if len(flat) <= MAX_FIT_SAMPLES else flat[rng.choice(len(flat), MAX_FIT_SAMPLES, replace=False)]
    pca = PCA(n_components=n_components, random_state=seed).fit(fit_on)
    y = pca.transform(flat)
    hot = temperature >= np.nanmax(temperature) if np.isfinite(temperature).any() else np.ones(len(y), bool)
    return np.linalg.norm(y - y[hot].mean(axis=0), axis=1), pca.explained_variance_ratio_.tolist()


def transition(temperature, order, n_bootstrap, seed) -> Transition:
    """Tc from an order parameter's mean against T (logistic midpoint and steepest slope, bootstrap errors)."""
    ok = np.isfinite(temperature)
    if len(np.unique(temperature[ok])) < 4:
        nan = float("nan")
        return Transition(nan, nan, None, None, note="fewer than 4 temperatures: no transition can be located")
    tc, err, curve = critical_temperature(temperature[ok], order[ok], n_bootstrap=n_bootstrap, seed=seed)
    steepest = steepest_change(temperature[ok], order[ok], n_bootstrap=n_bootstrap, seed=seed)
    return Transition(tc, err, curve, steepest)


def temperature_table(temperature, order, n_sites):
    """Per temperature of the grid: n, <r>, its standard error, the Binder ratio U and chi = N (<r^2> - <r>^2) / T.

    chi is the susceptibility of the order parameter r (here a latent
    distance, so its scale is the code's, not the lattice's; its peak marks
    the transition at finite L). The standard error std / sqrt(n) treats the
    samples at a temperature as independent (generated data are spaced by
    their integrated autocorrelation time).
    """
    t = np.asarray(temperature, float)
    order = np.asarray(order, float)
    rows = {"temperature": [], "n": [], "mean": [], "standard_error": [], "binder": [], "susceptibility": []}
    for g in np.unique(t[np.isfinite(t)]):
        r = order[t == g]
        rows["temperature"].append(float(g))
        rows["n"].append(int(len(r)))
        rows["mean"].append(float(r.mean()))
        rows["standard_error"].append(float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan"))
        rows["binder"].append(binder_ratio(r))
        rows["susceptibility"].append(float(n_sites * r.var() / g) if g > 0 else float("nan"))
    return rows
