"""Finite-size scaling of a latent order parameter: Binder-ratio crossings, extrapolations, data collapse, seeds.

Pure statistics on per-run summaries and (temperature, r) arrays, no model:
the crossing of U_L(T) between successive sizes and their combination, the
extrapolations Tc(L) = Tc + a/L and Tc + a L^-x, the data collapse of the
mean of r (Houdayer and Hartmann's quality), and the random-effects
combination of an estimate over training seeds.
"""

import warnings

import numpy as np
from scipy import optimize, stats

from betavae_tf.analysis import transition as tr
from betavae_tf.analysis.results import OrderParameterRun

COLLAPSE_WINDOW = 2.0  # |T / Tc - 1| L^(1/nu) at most this: the critical region a collapse compares


def _collapse_curves(grouped, rng=None):
    """Per size of grouped [(L, temperatures, samples at each)]: (L, temperatures, mean / its value at the
    lowest T, standard error likewise), the samples at each temperature optionally resampled."""
    curves = []
    for L, grid, groups in grouped:
        if rng is not None:
            groups = [rng.choice(g, len(g)) for g in groups]
        mean = np.array([g.mean() for g in groups])
        sem = np.array([g.std() / np.sqrt(max(len(g) - 1, 1)) for g in groups])
        ref = mean[0] if mean[0] != 0 else 1.0
        curves.append((float(L), grid, mean / ref, np.maximum(sem / abs(ref), 1e-9)))
    return curves


def collapse_quality(params, curves, window=COLLAPSE_WINDOW):
    """How well the curves of several sizes fall on one, m L^y against x = (T / Tc - 1) L^(1/nu): the mean,
    over every point with |x| <= window of every size and every other size whose range of x holds it, of
    (its value - the other size's curve at its x, linearly interpolated)^2 / (the two standard errors
    squared, summed) (Houdayer and Hartmann, Phys. Rev. B 70, 014418 (2004)). Near 1 for a collapse within
    the noise. Returns (quality, number of comparisons); inf where a size has fewer than
    3 points in the window or the exponents leave their range."""
    tc, inverse_nu, y = params
    if not (0.2 <= inverse_nu <= 5.0 and -1.0 <= y <= 2.0 and tc > 0):
        return np.inf, 0
    scaled = []
    for L, grid, mean, sem in curves:
        x = (grid / tc - 1.0) * L**inverse_nu
        keep = np.abs(x) <= window
        if keep.sum() < 3:
            return np.inf, 0
        scaled.append((x[keep], mean[keep] * L**y, sem[keep] * L**y))
    total, n = 0.0, 0
    for i, (x, v, e) in enumerate(scaled):
        for j, (x2, v2, e2) in enumerate(scaled):
            inside = (x >= x2[0]) & (x <= x2[-1])
            if i == j or not inside.any():
                continue
            total += float(
                np.sum(
                    (v[inside] - np.interp(x[inside], x2, v2)) ** 2
                    / (e[inside] ** 2 + np.interp(x[inside], x2, e2) ** 2)
                )
            )
            n += int(inside.sum())
    return (total / n, n) if n >= 2 * len(scaled) else (np.inf, n)


def scaling_collapse(samples, window=COLLAPSE_WINDOW, tc_start=None, n_bootstrap=200, seed=0):
    """Tc, 1/nu and y from a finite-size data collapse of an order parameter's mean over several sizes:
    near a continuous transition m(T, L) = L^-y F((T / Tc - 1) L^(1/nu)) (y = beta / nu for an order
    parameter), so the three are the values that make the curves of all sizes one curve
    (collapse_quality, minimised by a coarse search over Tc, 1/nu in [0.4, 2.5] and y in [-0.1, 0.6], then
    Nelder-Mead from its five best points; the lowest quality wins).
    No exponent is assumed and every temperature in the critical region of every size is used, where a
    crossing uses two sizes and an extrapolation of Tc(L) one number per size. Each curve is divided by its
    mean at the lowest temperature (the grid must reach the ordered phase, where every size is fully
    ordered: an encoder's scale differs from run to run). Errors: spread over bootstrap resamples of the
    samples at each temperature, each refitted from the same five starting points (so that a resample may
    fall into another of the quality's minima: Tc and 1/nu are correlated along a shallow valley).
    samples: [(L, temperatures, order parameter)] per size (two or more sizes). Returns {"tc", "error",
    "inverse_nu", "inverse_nu_error", "y", "y_error", "quality", "n_points", "window"}."""
    from scipy.optimize import minimize

    if len({L for L, _, _ in samples}) < 2:
        raise ValueError(f"a collapse needs at least two lattice sizes, got {sorted({L for L, _, _ in samples})}.")
    grouped = [(L, *tr.by_temperature(temperature, order)) for L, temperature, order in samples]
    curves = _collapse_curves(grouped)
    largest = max(range(len(samples)), key=lambda k: samples[k][0])
    grid = curves[largest][1]
    if tc_start is None:
        tc_start = tr.steepest_change(samples[largest][1], samples[largest][2], n_bootstrap=0)[0]
        if not np.isfinite(tc_start):
            tc_start = float(np.median(grid))

    def objective(p, curves):
        q = collapse_quality(p, curves, window)[0]
        return q if np.isfinite(q) else 1e12

    def fit(curves, start):
        res = minimize(
            objective,
            start,
            args=(curves,),
            method="Nelder-Mead",
            options={"xatol": 1e-4, "fatol": 1e-4, "maxiter": 2000},
        )
        return res.x, float(res.fun) if res.fun < 1e12 else np.inf

    # A coarse search first (the quality has several local minima), then Nelder-Mead from its five best.
    tcs = np.union1d(np.linspace(grid[1], grid[-2], 40), tc_start * (1 + np.linspace(-0.03, 0.03, 31)))
    coarse = sorted(
        (objective((tc, inverse_nu, y), curves), tc, inverse_nu, y)
        for tc in tcs
        for inverse_nu in (0.4, 0.55, 0.7, 0.85, 1.0, 1.2, 1.45, 1.75, 2.1, 2.5)
        for y in np.linspace(-0.1, 0.6, 15)
    )
    starts = [start[1:] for start in coarse[:5]]

    def best_fit(curves):
        return min((fit(curves, start) for start in starts), key=lambda pair: pair[1])

    best, quality = best_fit(curves)
    nan = float("nan")
    if not np.isfinite(quality):
        return {
            "tc": nan,
            "error": nan,
            "inverse_nu": nan,
            "inverse_nu_error": nan,
            "y": nan,
            "y_error": nan,
            "quality": nan,
            "n_points": 0,
            "window": window,
        }
    rng = np.random.default_rng(seed)
    boots = np.array(
        [p for p, q in (best_fit(_collapse_curves(grouped, rng)) for _ in range(n_bootstrap)) if np.isfinite(q)]
    ).reshape(-1, 3)
    spread = boots.std(axis=0) if len(boots) > 1 else np.full(3, nan)
    return {
        "tc": float(best[0]),
        "error": float(spread[0]),
        "inverse_nu": float(best[1]),
        "inverse_nu_error": float(spread[1]),
        "y": float(best[2]),
        "y_error": float(spread[2]),
        "quality": quality,
        "n_points": collapse_quality(best, curves, window)[1],
        "window": window,
    }


def finite_size_extrapolation(sizes, tcs, errors=None, nu=1.0):
    """Tc(L) = Tc_inf + a L^(-1/nu) fitted by (weighted) least squares (2D Ising: nu = 1).

    Returns (tc_inf, tc_inf_error, a); the error is from the fit's covariance
    (scipy's curve_fit with the errors as absolute sigma, scaled up by the
    reduced chi^2 when there are more points than parameters and it exceeds 1;
    without errors, the residuals set the scale).
    """
    L = np.asarray(sizes, float)
    t = np.asarray(tcs, float)
    if len(L) < 2 or len(np.unique(L)) < 2:
        raise ValueError(f"need at least two lattice sizes, got {list(sizes)}.")
    x = L ** (-1.0 / nu)
    sigma = None if errors is None else np.maximum(np.asarray(errors, float), 1e-12)
    with warnings.catch_warnings():  # two sizes and no errors: an exact fit, whose error is unknown (NaN below)
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        (tc_inf, a), cov = optimize.curve_fit(
            lambda x, tc_inf, a: tc_inf + a * x,
            x,
            t,
            p0=(t.mean(), 0.0),
            sigma=sigma,
            absolute_sigma=errors is not None,
        )
    dof = len(L) - 2
    if dof > 0 and errors is not None:
        chi2 = float((((t - (tc_inf + a * x)) / sigma) ** 2).sum())
        cov = cov * max(chi2 / dof, 1.0)
    elif dof == 0 and errors is None:
        return float(tc_inf), float("nan"), float(a)
    return float(tc_inf), float(np.sqrt(cov[0, 0])), float(a)


CROSSING_FOUND = 0.95  # share of bootstrap resamples in which a Binder-ratio crossing must exist to be used


def crossing(t_grid, u_small, u_large):
    """Where the Binder ratio of the larger lattice falls below the smaller one's as T rises, by linear
    interpolation of their difference; NaN if it never does. Below Tc the larger lattice is the more
    ordered (U nearer its ordered value 2/3), above it the less, so U_large - U_small changes sign from + to
    - at the transition; a crossing the other way is not a transition (it is where the two models' codes of
    the disordered phase differ in shape). Of several, the one nearest the middle of the grid."""
    d = np.asarray(u_large) - np.asarray(u_small)
    ok = np.isfinite(d)
    t, d = np.asarray(t_grid)[ok], d[ok]
    n = len(d)
    zeros = [i for i in np.flatnonzero(d == 0) if (i == 0 or d[i - 1] > 0) and (i == n - 1 or d[i + 1] < 0)]
    if zeros:
        return float(t[min(zeros, key=lambda i: abs(i - n / 2))])
    changes = np.flatnonzero((d[:-1] > 0) & (d[1:] < 0))
    if not len(changes):
        return float("nan")
    i = changes[np.argmin(np.abs(changes - n / 2))]
    return float(t[i] - d[i] * (t[i + 1] - t[i]) / (d[i + 1] - d[i]))


def _binder_curves(run, common, select=None, rng=None):
    """U(T) on the common temperatures for one run (optionally a subset, optionally resampled)."""
    t, r = run.temperature, run.r
    if select is not None:
        t, r = t[select], r[select]
    curve = []
    for temp in common:
        v = r[t == temp]
        curve.append(tr.binder_ratio(rng.choice(v, len(v)) if rng is not None else v) if len(v) else float("nan"))
    return curve


def _crossings(by_size, runs, n_bootstrap, rng, subset=None):
    out = []
    for (L1, i1), (L2, i2) in zip(by_size, by_size[1:]):
        one, two = runs[i1], runs[i2]
        common = np.intersect1d(one.temperatures, two.temperatures)
        sel1 = subset(one) if subset else None
        sel2 = subset(two) if subset else None
        tc = crossing(common, _binder_curves(one, common, sel1), _binder_curves(two, common, sel2))
        boots = np.array(
            [
                crossing(common, _binder_curves(one, common, sel1, rng), _binder_curves(two, common, sel2, rng))
                for _ in range(n_bootstrap)
            ]
        )
        boots = boots[np.isfinite(boots)]
        out.append(
            {
                "sizes": [L1, L2],
                "tc": tc,
                "error": float(boots.std()) if len(boots) > 1 else float("nan"),
                "found_in": float(len(boots) / n_bootstrap),
            }
        )
    return out


def _collapse(by_size, runs, n_bootstrap, seed, subset=None, window=COLLAPSE_WINDOW):
    """The data collapse (metrics.scaling_collapse) of the latent order parameter r over the sizes, or None
    where it cannot be made (too few temperatures in the critical region of a size)."""
    samples = []
    for L, i in by_size:
        t, r = runs[i].temperature, runs[i].r
        keep = np.isfinite(t) & (subset(runs[i]) if subset else True)
        samples.append((L, t[keep], r[keep]))
    try:
        result = scaling_collapse(samples, window=window, n_bootstrap=n_bootstrap, seed=seed)
    except ValueError:
        return None
    return result if np.isfinite(result["tc"]) else None


def combined_crossing(crossings, min_found=CROSSING_FOUND):
    """Tc from the Binder-ratio crossings of successive sizes: their inverse-variance weighted mean, over the
    crossings found in at least min_found of the bootstrap resamples (a crossing that resampling often
    removes is noise, not the transition). When they disagree beyond their errors the error is scaled by
    sqrt(chi^2 / (n - 1)) (the Particle Data Group's rule). Returns {"tc", "error", "used", "scale"} or None."""
    used = [
        c
        for c in crossings
        if np.isfinite(c["tc"]) and np.isfinite(c["error"]) and c["error"] > 0 and c["found_in"] >= min_found
    ]
    if not used:
        return None
    tc = np.array([c["tc"] for c in used])
    w = 1.0 / np.square([c["error"] for c in used])
    mean = float(np.sum(w * tc) / np.sum(w))
    scale = float(np.sqrt(np.sum(w * (tc - mean) ** 2) / (len(used) - 1))) if len(used) > 1 else 1.0
    return {
        "tc": mean,
        "error": float(max(scale, 1.0) / np.sqrt(np.sum(w))),
        "scale": scale,
        "used": [c["sizes"] for c in used],
    }


def three_size_extrapolation(sizes, tcs, errors, n_draws=2000, seed=0):
    """Tc(L) = Tc + a L^-x through the three largest sizes with x free (no exponent assumed):
    Tc = (T1 T3 - T2^2) / (T1 + T3 - 2 T2) for sizes in a ratio L, 2L, 4L; the error propagates the
    Tc(L) errors by drawing them. Returns {"tc_inf", "error", "exponent"} or None."""
    L, t, e = (np.asarray(v, float)[-3:] for v in (sizes, tcs, errors))
    if len(L) < 3 or not (np.allclose(L[1] / L[0], 2) and np.allclose(L[2] / L[1], 2)):
        return None

    def solve(a, b, c):
        d = a + c - 2 * b
        if d == 0 or (a - b) / (b - c) <= 0:
            return float("nan"), float("nan")
        return (a * c - b * b) / d, np.log2((a - b) / (b - c))

    tc, x = solve(*t)
    rng = np.random.default_rng(seed)
    draws = np.array([solve(*(t + rng.normal(0, 1, 3) * np.nan_to_num(e, nan=0.0)))[0] for _ in range(n_draws)])
    draws = draws[np.isfinite(draws)]
    # The median absolute deviation: a draw where two Tc(L) nearly tie sends the ratio far off.
    error = float(stats.median_abs_deviation(draws, scale="normal")) if len(draws) > 10 else float("nan")
    return {"tc_inf": float(tc), "error": error, "exponent": float(x)}


def seeds_combined(estimates, key="tc"):
    """One estimate repeated over training seeds on the same data, combined as a random-effects mean
    (DerSimonian-Laird): the seeds scatter by their bootstrap errors b_k (the data's sampling noise) and by
    a between-seed variance tau^2 that the training adds, estimated from the scatter beyond the b_k
    (zero if there is none). Weights 1 / (b_k^2 + tau^2): a seed whose estimate is poorly determined counts
    little, and when the training scatter dominates the seeds count alike. The error adds the training part,
    tau^2 over the effective number of seeds, to the weighted mean of b_k^2, not divided by the number of
    seeds: the seeds share the data, so averaging does not reduce its noise.
    estimates: dicts with key and "error" (None or nan where absent). Returns {"tc", "error", "tau",
    "bootstrap_error", "values", "errors", "n_seeds"} or None (fewer than 2)."""
    found = [e for e in estimates if e and np.isfinite(e[key]) and np.isfinite(e["error"]) and e["error"] > 0]
    if len(found) < 2:
        return None
    x = np.array([e[key] for e in found])
    b2 = np.square([e["error"] for e in found])
    w = 1.0 / b2
    fixed = np.sum(w * x) / np.sum(w)
    q = np.sum(w * (x - fixed) ** 2)
    tau2 = max(0.0, (q - (len(x) - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    ws = 1.0 / (b2 + tau2)
    bootstrap2 = float(np.sum(ws * b2) / np.sum(ws))
    n_eff = float(np.sum(ws) ** 2 / np.sum(ws**2))
    return {
        "tc": float(np.sum(ws * x) / np.sum(ws)),
        "error": float(np.sqrt(bootstrap2 + tau2 / n_eff)),
        "tau": float(np.sqrt(tau2)),
        "bootstrap_error": float(np.sqrt(bootstrap2)),
        "values": x.tolist(),
        "errors": np.sqrt(b2).tolist(),
        "n_seeds": len(x),
    }


def replicate_groups(sizes):
    """Runs by lattice size -> the replicate sets (one run per size each: the k-th run given at every size,
    e.g. one per training seed). Every size must have the same number of runs."""
    groups = {}
    for i, L in enumerate(sizes):
        groups.setdefault(int(L), []).append(i)
    counts = sorted({len(v) for v in groups.values()})
    if len(counts) > 1:
        raise ValueError(
            "every lattice size needs the same number of runs (one per training seed, in the same "
            "seed order at every size), got "
            + ", ".join(f"{len(v)} at L = {L}" for L, v in sorted(groups.items()))
            + "."
        )
    return [[groups[L][k] for L in sorted(groups)] for k in range(counts[0])]


def finite_size(runs: list[OrderParameterRun], n_bootstrap=200, seed=0, window=COLLAPSE_WINDOW):
    """The finite-size study (finite_size_one) of every replicate set (replicate_groups: the k-th run of
    each size); with several, the crossings and extrapolations combined over them (seeds_combined), the
    first set's full study kept as the frame and every set's under "replicates"."""
    sets = replicate_groups([run.lattice_size for run in runs])
    reps = [finite_size_one([runs[i] for i in k], n_bootstrap, seed, window) for k in sets]
    if reps[0] is None or len(reps) == 1:
        return reps[0]
    out = dict(reps[0], seeds=len(reps), replicates=reps)
    out["tc_latent"] = [float(np.mean(v)) for v in zip(*(r["tc_latent"] for r in reps))]
    out["tc_latent_error"] = [float(np.std(v, ddof=1)) for v in zip(*(r["tc_latent"] for r in reps))]

    def combine(entries, into):
        for key, value in (
            ("crossing", "tc"),
            ("three_size", "tc_inf"),
            ("extrapolation", "tc_inf"),
            ("collapse", "tc"),
        ):
            into.pop(key, None)
            combined = seeds_combined([e.get(key) for e in entries], value)
            if combined:
                into[f"{key}_seeds"] = combined

    combine(reps, out)
    if "by_coupling" in out:
        out["by_coupling"] = {j: dict(entry) for j, entry in out["by_coupling"].items()}
        for j, entry in out["by_coupling"].items():
            combine([r["by_coupling"][j] for r in reps], entry)
    return out


def finite_size_one(runs: list[OrderParameterRun], n_bootstrap=200, seed=0, window=COLLAPSE_WINDOW):
    """Tc(L) per run, Binder-ratio crossings between successive sizes (bootstrap errors; per coupling too when
    the data have several), Tc + a/L, the three-size extrapolation with a free exponent, and the data
    collapse of the mean of r over all sizes (Tc, 1/nu and y together; per coupling too)."""
    by_size = sorted(((run.lattice_size, i) for i, run in enumerate(runs)))
    sizes = [L for L, _ in by_size]
    if len(set(sizes)) < 2:
        return None
    out = {
        "sizes": sizes,
        "tc_latent": [runs[i].transition.tc for _, i in by_size],
        "tc_latent_error": [runs[i].transition.error for _, i in by_size],
    }
    rng = np.random.default_rng(seed)
    out["crossings"] = _crossings(by_size, runs, n_bootstrap, rng)
    combined = combined_crossing(out["crossings"])
    if combined:
        out["crossing"] = combined
    couplings = sorted(set.intersection(*(set(runs[i].by_coupling) for _, i in by_size)))
    if couplings:
        out["by_coupling"] = {}
        for j in couplings:
            value = float(j)
            entry = {
                "tc_latent": [runs[i].by_coupling[j].tc for _, i in by_size],
                "tc_latent_error": [runs[i].by_coupling[j].error for _, i in by_size],
                "crossings": _crossings(by_size, runs, n_bootstrap, rng, subset=lambda a, v=value: a.coupling == v),
            }
            three = three_size_extrapolation(sizes, entry["tc_latent"], entry["tc_latent_error"], seed=seed)
            if three:
                entry["three_size"] = three
            collapsed = _collapse(
                by_size, runs, n_bootstrap, seed, subset=lambda a, v=value: a.coupling == v, window=window
            )
            if collapsed:
                entry["collapse"] = collapsed
            combined = combined_crossing(entry["crossings"])
            if combined:
                entry["crossing"] = combined
            out["by_coupling"][j] = entry
    pts = [(L, t, e) for L, t, e in zip(sizes, out["tc_latent"], out["tc_latent_error"]) if np.isfinite(t)]
    if len(pts) >= 2:
        L, t, e = (np.array(v, float) for v in zip(*pts))
        e = np.where(np.isfinite(e) & (e > 0), e, 0.01)
        tc, err, a = finite_size_extrapolation(L, t, e)
        out["extrapolation"] = {"tc_inf": tc, "error": err, "slope": a}
    three = three_size_extrapolation(sizes, out["tc_latent"], out["tc_latent_error"], seed=seed)
    if three:
        out["three_size"] = three
    collapsed = _collapse(by_size, runs, n_bootstrap, seed, window=window)
    if collapsed:
        out["collapse"] = collapsed
    return out
