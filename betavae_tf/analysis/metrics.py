"""Metrics of Sec. III-IV as small pure functions on NumPy arrays.

Conventions: configurations or Bernoulli maps are arrays [N, L, L] (a
trailing channel of 1 is accepted) with values in [0, 1]: sigma in {0, 1} for
samples, m_k in [0, 1] for maps (1 = up). Latent codes are [N, d_z].
"""
import warnings

import numpy as np
from scipy import stats

from betavae_tf import phases as ph

PHASE_CODES = ph.ISING_GENERATED  # FM, AFM, PM and mixed (codes from betavae_tf.phases)
# Phase of one configuration or map from its order parameters, with M = mean
# of (2 m_k - 1) and M_s the same with the checkerboard sign (-1)^(i+j):
#   FM     |M| >= 0.5  and |M_s| < 0.25
#   AFM    |M_s| >= 0.5 and |M| < 0.25
#   PM     |M| < 0.25 and |M_s| < 0.25
#   mixed  anything else (e.g. domain walls, half-ordered maps)
# Below Tc the finite L = 32 lattice has |m| >= 0.6 at the grid's T <= 2.17,
# and above Tc |m| is O(L^-1/8 ...) falling to below 0.25 by T = 2.5.
ORDERED, DISORDERED = 0.5, 0.25


def _lattice(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1] != x.shape[2]:
        raise ValueError(f"expected configurations or maps [N, L, L], got shape {x.shape}.")
    return x


def order_parameters(x):
    """(M, M_s) per configuration/map, each [N], from values in [0, 1]."""
    s = 2.0 * _lattice(x) - 1.0
    L = s.shape[1]
    sign = np.where((np.add.outer(np.arange(L), np.arange(L)) % 2) == 0, 1.0, -1.0)
    return s.mean(axis=(1, 2)), (s * sign).mean(axis=(1, 2))


def classify_phase(x, ordered=ORDERED, disordered=DISORDERED):
    """Phase codes (PHASE_CODES) of configurations or Bernoulli maps [N, L, L]."""
    m, ms = (np.abs(v) for v in order_parameters(x))
    phase = np.full(m.shape, PHASE_CODES["mixed"], dtype=np.int64)
    phase[(m >= ordered) & (ms < disordered)] = PHASE_CODES["FM"]
    phase[(ms >= ordered) & (m < disordered)] = PHASE_CODES["AFM"]
    phase[(m < disordered) & (ms < disordered)] = PHASE_CODES["PM"]
    return phase


def phase_fractions(phases):
    """{"FM": f, "AFM": f, "PM": f, "mixed": f} of an array of phase codes."""
    phases = np.asarray(phases)
    n = max(len(phases), 1)
    return {name: float(np.sum(phases == code)) / n for name, code in PHASE_CODES.items()}


def latent_correlations(latent, factors):
    """Pearson and Spearman correlation of each latent coordinate with each factor.

    Args: latent [N, d_z]; factors {name: [N]}.
    Returns {"pearson": {name: [d_z]}, "spearman": {name: [d_z]}}.
    """
    z = np.asarray(latent, dtype=np.float64)
    out = {"pearson": {}, "spearman": {}}
    for name, f in factors.items():
        f = np.asarray(f, dtype=np.float64)
        if len(f) != len(z):
            raise ValueError(f"factor {name} has {len(f)} values for {len(z)} latent codes.")
        out["pearson"][name] = [pearson(z[:, i], f) for i in range(z.shape[1])]
        out["spearman"][name] = [_correlation(stats.spearmanr, z[:, i], f) for i in range(z.shape[1])]
    return out


def _correlation(fn, a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0  # a constant carries no correlation
    return float(fn(a, b)[0])


def pearson(a, b):
    """Pearson correlation of two arrays; 0 when either is constant."""
    return _correlation(stats.pearsonr, a, b)


def axis_alignment(corr_m, corr_ms):
    """Which latent axes carry m and m_s, and how exclusively.

    Args: |corr| or corr of each latent coordinate with m and with m_s ([d_z] each).
    Returns (axis_m, axis_ms, score): the pair of different axes maximising
    |c_m[a]| + |c_ms[b]|, and score = ((|c_m[a]| - |c_m[b]|) + (|c_ms[b]| - |c_ms[a]|)) / 2,
    1 when each order parameter lives on its own axis alone, 0 when both axes
    see both equally. With one latent dimension both share axis 0 and score 0.
    """
    cm, cs = np.abs(np.asarray(corr_m, float)), np.abs(np.asarray(corr_ms, float))
    d = len(cm)
    if d == 1:
        return 0, 0, 0.0
    best = max(((a, b) for a in range(d) for b in range(d) if a != b),
               key=lambda ab: cm[ab[0]] + cs[ab[1]])
    a, b = best
    return a, b, float(((cm[a] - cm[b]) + (cs[b] - cs[a])) / 2)


def cluster_direction(latent, center):
    """Unit principal axis of codes about a center (the +-order clusters lie along it)."""
    d = np.asarray(latent, float) - np.asarray(center, float)
    if len(d) == 0:
        raise ValueError("no latent codes to find a direction from.")
    _, vecs = np.linalg.eigh(d.T @ d / len(d))
    return vecs[:, -1]


def fm_afm_cosine(latent, phase):
    """|cos| of the angle between the FM and AFM cluster axes, both about the PM mean.

    The paper's |z_FM^T z_AFM| ~ 0. phase holds the data's phase codes
    (betavae_tf.phases: FM, AFM, PM).
    """
    latent, phase = np.asarray(latent, float), np.asarray(phase)
    center = latent[phase == ph.PM].mean(axis=0) if np.any(phase == ph.PM) else latent.mean(axis=0)
    v_fm = cluster_direction(latent[phase == ph.FM], center)
    v_afm = cluster_direction(latent[phase == ph.AFM], center)
    return float(abs(v_fm @ v_afm))


def mmd2(x, y):
    """Eq. 9: squared MMD over the scaling functions f(x) = c x, 0 <= c <= 1.

    sup_c |c (E x - E y)|^2 = ||E[x] - E[y]||^2, the squared distance of first
    moments; x, y are [N, ...] samples (flattened per sample).
    """
    x = np.asarray(x, float).reshape(len(x), -1)
    y = np.asarray(y, float).reshape(len(y), -1)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"samples of different dimension: {x.shape[1]} and {y.shape[1]}.")
    diff = x.mean(axis=0) - y.mean(axis=0)
    return float(diff @ diff)


def mmd_isometry(spins, latent, magnetization, phase):
    """MMD between P+, P- (FM with m > 0, m < 0) and P_PM in input and latent space.

    spins in {0, 1} are mapped to S = 2 sigma - 1. Returns {pair: {"input":
    MMD, "latent": MMD, "ratio": latent / input}} for the pairs (+,-), (+,PM),
    (-,PM), with MMD = sqrt(MMD^2), and "ratio_spread" = max/min ratio (1 for
    an isometry up to one scale factor).
    """
    s = 2.0 * _lattice(spins) - 1.0
    latent, m, phase = np.asarray(latent, float), np.asarray(magnetization), np.asarray(phase)
    groups = {"+": (phase == ph.FM) & (m > 0), "-": (phase == ph.FM) & (m < 0), "PM": phase == ph.PM}
    out = {}
    for a, b in (("+", "-"), ("+", "PM"), ("-", "PM")):
        if not (groups[a].any() and groups[b].any()):
            continue
        d_in = np.sqrt(mmd2(s[groups[a]], s[groups[b]]))
        d_z = np.sqrt(mmd2(latent[groups[a]], latent[groups[b]]))
        out[f"{a},{b}"] = {"input": d_in, "latent": d_z, "ratio": d_z / d_in if d_in else np.nan}
    ratios = [v["ratio"] for v in out.values() if np.isfinite(v["ratio"])]
    out["ratio_spread"] = float(max(ratios) / min(ratios)) if ratios and min(ratios) > 0 else np.nan
    return out


def cosine_similarity_matrix(latent):
    """[N, N] inner products of the normalised latent codes (Fig. 5d, 6c)."""
    z = np.asarray(latent, float)
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    u = z / np.where(norms > 0, norms, 1.0)
    return u @ u.T


def _entropy(a):
    _, counts = np.unique(a, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def mutual_information_gap(latent, factors, n_bins=20):
    """MIG (Chen et al. 2018): per factor, (I_top1 - I_top2) / H(factor), and their mean.

    Latent coordinates are discretised into n_bins equal-width bins; factors
    are discrete ({name: [N] int}). Returns {"mig": mean, name: gap, ...}; a
    constant representation scores 0.
    """
    from sklearn.metrics import mutual_info_score  # I(a; b) in nats of two discrete arrays

    z = np.asarray(latent, float)
    bins = []
    for i in range(z.shape[1]):
        col = z[:, i]
        edges = np.linspace(col.min(), col.max(), n_bins + 1)[1:-1] if np.ptp(col) > 0 else []
        bins.append(np.digitize(col, edges))
    out = {}
    for name, f in factors.items():
        h = _entropy(f)
        if h == 0:
            continue
        mi = sorted((mutual_info_score(b, f) for b in bins), reverse=True)
        out[name] = (mi[0] - (mi[1] if len(mi) > 1 else 0.0)) / h
    out["mig"] = float(np.mean(list(out.values()))) if out else 0.0
    return out


def local_field_stats(maps, eps=1e-6):
    """Sec. IV: h_k = logit(m_k) of Bernoulli maps; per phase the mean and spread over sites.

    Returns {phase: {"n", "mean_h", "mean_abs_h", "spatial_std_h"}} with the
    phase of each map from classify_phase; mean_h of the spins' sign
    convention (h > 0 favours up).
    """
    m = np.clip(_lattice(maps), eps, 1 - eps)
    h = np.log(m) - np.log1p(-m)
    phases = classify_phase(m)
    out = {}
    for name, code in PHASE_CODES.items():
        sel = phases == code
        if sel.any():
            out[name] = {"n": int(sel.sum()), "mean_h": float(h[sel].mean()),
                         "mean_abs_h": float(np.abs(h[sel]).mean()),
                         "spatial_std_h": float(h[sel].std(axis=(1, 2)).mean())}
    return out


def _logistic(t, top, bottom, tc, width):
    return bottom + (top - bottom) / (1.0 + np.exp((t - tc) / width))


def critical_temperature(temperature, order, n_bootstrap=200, seed=0):
    """Tc from a latent order parameter alone: the inflection of its mean vs T.

    order is a per-sample latent order parameter (e.g. |z_a| of FM samples).
    Its mean at each temperature is fitted with a logistic step
    bottom + (top - bottom) / (1 + exp((T - Tc) / w)); Tc is the step's
    midpoint, where the curve changes fastest. The error is the spread over
    bootstrap resamples of the samples at each temperature.
    Returns (tc, tc_error, {"temperatures", "mean"}).
    """
    from scipy.optimize import curve_fit

    grid, groups = _by_temperature(temperature, order)

    def fit(means):
        p0 = [means.max(), means.min(), grid[np.argmax(-np.diff(means))] + np.diff(grid).mean() / 2,
              np.diff(grid).mean()]
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
    return float(tc), err, {"temperatures": grid.tolist(), "mean": means.tolist()}


def _by_temperature(temperature, order):
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
    Returns (tc, tc_error, {"temperatures", "slope"}) with the slopes at the intervals' midpoints.
    """
    grid, groups = _by_temperature(temperature, order)
    mid = (grid[1:] + grid[:-1]) / 2

    def slopes(means):
        return np.diff(means) / np.diff(grid) * np.sign(means[-1] - means[0] or 1.0)

    def locate(means):
        s = slopes(means)
        k = int(np.argmax(s))
        if k == 0 or k == len(s) - 1:
            return np.nan
        a, b, _ = np.polyfit(mid[k - 1:k + 2], s[k - 1:k + 2], 2)
        return float(np.clip(-b / (2 * a), mid[k - 1], mid[k + 1])) if a < 0 else float(mid[k])

    means = np.array([g.mean() for g in groups])
    return (locate(means), _bootstrap_spread(locate, groups, n_bootstrap, seed),
            {"temperatures": mid.tolist(), "slope": slopes(means).tolist()})


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
        x = (grid / tc - 1.0) * L ** inverse_nu
        keep = np.abs(x) <= window
        if keep.sum() < 3:
            return np.inf, 0
        scaled.append((x[keep], mean[keep] * L ** y, sem[keep] * L ** y))
    total, n = 0.0, 0
    for i, (x, v, e) in enumerate(scaled):
        for j, (x2, v2, e2) in enumerate(scaled):
            inside = (x >= x2[0]) & (x <= x2[-1])
            if i == j or not inside.any():
                continue
            total += float(np.sum((v[inside] - np.interp(x[inside], x2, v2)) ** 2
                                  / (e[inside] ** 2 + np.interp(x[inside], x2, e2) ** 2)))
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
    grouped = [(L, *_by_temperature(temperature, order)) for L, temperature, order in samples]
    curves = _collapse_curves(grouped)
    largest = max(range(len(samples)), key=lambda k: samples[k][0])
    grid = curves[largest][1]
    if tc_start is None:
        tc_start = steepest_change(samples[largest][1], samples[largest][2], n_bootstrap=0)[0]
        if not np.isfinite(tc_start):
            tc_start = float(np.median(grid))

    def objective(p, curves):
        q = collapse_quality(p, curves, window)[0]
        return q if np.isfinite(q) else 1e12

    def fit(curves, start):
        res = minimize(objective, start, args=(curves,), method="Nelder-Mead",
                       options={"xatol": 1e-4, "fatol": 1e-4, "maxiter": 2000})
        return res.x, float(res.fun) if res.fun < 1e12 else np.inf

    # A coarse search first (the quality has several local minima), then Nelder-Mead from its five best.
    tcs = np.union1d(np.linspace(grid[1], grid[-2], 40), tc_start * (1 + np.linspace(-0.03, 0.03, 31)))
    coarse = sorted((objective((tc, inverse_nu, y), curves), tc, inverse_nu, y) for tc in tcs
                    for inverse_nu in (0.4, 0.55, 0.7, 0.85, 1.0, 1.2, 1.45, 1.75, 2.1, 2.5)
                    for y in np.linspace(-0.1, 0.6, 15))
    starts = [start[1:] for start in coarse[:5]]

    def best_fit(curves):
        return min((fit(curves, start) for start in starts), key=lambda pair: pair[1])

    best, quality = best_fit(curves)
    nan = float("nan")
    if not np.isfinite(quality):
        return {"tc": nan, "error": nan, "inverse_nu": nan, "inverse_nu_error": nan, "y": nan, "y_error": nan,
                "quality": nan, "n_points": 0, "window": window}
    rng = np.random.default_rng(seed)
    boots = np.array([p for p, q in (best_fit(_collapse_curves(grouped, rng)) for _ in range(n_bootstrap))
                      if np.isfinite(q)]).reshape(-1, 3)
    spread = boots.std(axis=0) if len(boots) > 1 else np.full(3, nan)
    return {"tc": float(best[0]), "error": float(spread[0]), "inverse_nu": float(best[1]),
            "inverse_nu_error": float(spread[1]), "y": float(best[2]), "y_error": float(spread[2]),
            "quality": quality, "n_points": collapse_quality(best, curves, window)[1], "window": window}


# -- Sec. V: clusters of latent codes (Figs. 5 and 6) ---------------------------------
def kmeans_purity(latent, labels, n_clusters=None, seed=0, n_init=10):
    """Cluster purity of the latent codes: k-means (k = number of classes) against the labels.

    purity = (1/N) sum over clusters of the cluster's majority-label count
    (1 when every cluster holds one class, about 1/k for codes that carry
    no class information). Also returns, per class c, the fraction of its
    samples that fall in clusters whose majority class is c (per-class
    purity, e.g. per MNIST digit). k-means is scipy's kmeans2 (k-means++
    starts); the best of n_init runs by within-cluster sum of squares is kept.
    Returns (purity, {class: per-class purity}, cluster index per sample).
    """
    from scipy.cluster.vq import kmeans2

    z = np.asarray(latent, float)
    labels = np.asarray(labels)
    classes = np.unique(labels)
    k = len(classes) if n_clusters is None else int(n_clusters)
    scale = z.std(axis=0).mean() or 1.0
    best, best_sse = None, np.inf
    for i in range(n_init):
        centres, assign = kmeans2(z / scale, k, minit="++", seed=seed + i)
        sse = float(((z / scale - centres[assign]) ** 2).sum())
        if sse < best_sse:
            best, best_sse = assign, sse
    majority = {}
    correct = 0
    for c in np.unique(best):
        members = labels[best == c]
        values, counts = np.unique(members, return_counts=True)
        majority[c] = values[np.argmax(counts)]
        correct += counts.max()
    per_class = {}
    for cls in classes:
        sel = labels == cls
        per_class[cls.item() if hasattr(cls, "item") else cls] = float(
            np.mean([majority[c] == cls for c in best[sel]]))
    return float(correct / len(labels)), per_class, best


def class_centres(latent, labels):
    """{class: mean latent code}."""
    z = np.asarray(latent, float)
    labels = np.asarray(labels)
    return {c.item(): z[labels == c].mean(axis=0) for c in np.unique(labels)}


def distance_spread(centres, reference, others):
    """Distances of the `others` centres to the `reference` centre and their spread.

    spread = (max - min) / mean: 0 when all are equally far (the paper's Z3
    claim for the polarized clusters around the disordered one).
    """
    d = np.array([np.linalg.norm(centres[o] - centres[reference]) for o in others])
    return d.tolist(), float((d.max() - d.min()) / d.mean()) if d.mean() > 0 else float("nan")


def tetrahedron_ratio(points):
    """Longest over shortest of the 6 pairwise distances of 4 points (1 for a regular tetrahedron),
    and the volume relative to a regular tetrahedron with the same mean edge (0 when coplanar)."""
    p = np.asarray(points, float)
    if p.shape[0] != 4:
        raise ValueError(f"a tetrahedron needs 4 points, got {p.shape[0]}.")
    d = np.array([np.linalg.norm(p[i] - p[j]) for i in range(4) for j in range(i + 1, 4)])
    ratio = float(d.max() / d.min()) if d.min() > 0 else float("inf")
    if p.shape[1] < 3:
        return ratio, 0.0
    edges = p[1:] - p[0]
    # Volume of the 3-simplex in any dimension: sqrt(det Gram) / 3!.
    volume = np.sqrt(max(np.linalg.det(edges @ edges.T), 0.0)) / 6.0
    regular = d.mean() ** 3 / (6.0 * np.sqrt(2.0))
    return ratio, float(volume / regular)


def block_diagonality(similarity, labels):
    """Mean similarity within a class block (off the diagonal) minus the mean across blocks.

    Near 2 for codes that are +1 within and -1 across classes, 0 when the
    matrix does not see the classes. Returns (contrast, within, across).
    """
    s = np.asarray(similarity, float)
    labels = np.asarray(labels)
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(labels), dtype=bool)
    within, across = s[same & off].mean(), s[~same].mean()
    return float(within - across), float(within), float(across)


def classify_categorical(probs, polarized=0.6, disordered=0.45):
    """Phase of D-state maps m_kd [N, L, L, D] from their mean state fractions f_d:
    polarized towards d (ph.ordered_state(d), as the Potts/Z3 labels) when f_d >= polarized,
    disordered (ph.PM) when every f_d < disordered, else ph.MIXED."""
    f = np.asarray(probs, float).mean(axis=(1, 2))
    top, arg = f.max(axis=1), f.argmax(axis=1)
    return np.where(top >= polarized, ph.ordered_state(arg),
                    np.where(top < disordered, ph.PM, ph.MIXED)).astype(int)


def angle_alignment(latent_2d, vectors_2d, centre=None):
    """How well the latent angle follows the angle of a 2-D physical vector, up to a global
    rotation and reflection (an isotropic prior N(0, I) cannot prefer any axis, so only
    the angle relative to a fixed offset is identifiable).

    phi_z = angle of (z - centre), phi_v = angle of the vector; for s = +1 (rotation) and
    s = -1 (reflection), R_s = |mean exp(i (phi_z - s phi_v))|, the mean resultant length
    (1: phi_z = s phi_v + constant for every sample; ~1/sqrt(N) for unrelated angles).
    Returns (R, s, offset in radians).
    """
    z = np.asarray(latent_2d, float)
    v = np.asarray(vectors_2d, float)
    if z.ndim != 2 or z.shape[1] != 2 or v.shape != z.shape:
        raise ValueError(f"need two (N, 2) arrays, got {z.shape} and {v.shape}.")
    c = z.mean(axis=0) if centre is None else np.asarray(centre, float)
    phi_z = np.arctan2(z[:, 1] - c[1], z[:, 0] - c[0])
    phi_v = np.arctan2(v[:, 1], v[:, 0])
    best = (0.0, 1, 0.0)
    for s in (1, -1):
        m = np.mean(np.exp(1j * (phi_z - s * phi_v)))
        if abs(m) > best[0]:
            best = (float(abs(m)), s, float(np.angle(m)))
    return best


def finite_size_extrapolation(sizes, tcs, errors=None, nu=1.0):
    """Tc(L) = Tc_inf + a L^(-1/nu) fitted by (weighted) least squares (2D Ising: nu = 1).

    Returns (tc_inf, tc_inf_error, a); the error is from the fit's covariance
    (np.polyfit with weights 1/error, scaled up by the reduced chi^2 when there
    are more points than parameters and it exceeds 1).
    """
    L = np.asarray(sizes, float)
    t = np.asarray(tcs, float)
    if len(L) < 2 or len(np.unique(L)) < 2:
        raise ValueError(f"need at least two lattice sizes, got {list(sizes)}.")
    x = L ** (-1.0 / nu)
    weights = None if errors is None else 1.0 / np.maximum(np.asarray(errors, float), 1e-12)
    (a, tc_inf), cov = np.polyfit(x, t, 1, w=weights, cov="unscaled")
    dof = len(L) - 2
    if dof > 0:
        chi2 = float((((t - (tc_inf + a * x)) * (1.0 if weights is None else weights)) ** 2).sum())
        cov = cov * (max(chi2 / dof, 1.0) if errors is not None else chi2 / dof)
    elif errors is None:
        return float(tc_inf), float("nan"), float(a)
    return float(tc_inf), float(np.sqrt(cov[1, 1])), float(a)
