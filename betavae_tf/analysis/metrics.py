"""Metrics of Sec. III-IV as small pure functions on NumPy arrays.

Conventions: configurations or Bernoulli maps are arrays [N, L, L] (a
trailing channel of 1 is accepted) with values in [0, 1]: sigma in {0, 1} for
samples, m_k in [0, 1] for maps (1 = up). Latent codes are [N, d_z].
"""

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
    best = max(((a, b) for a in range(d) for b in range(d) if a != b), key=lambda ab: cm[ab[0]] + cs[ab[1]])
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
    """[N, N] inner products of the normalised latent codes (Fig. 5d, 6c); a zero code is orthogonal to all."""
    from sklearn.metrics.pairwise import cosine_similarity

    return cosine_similarity(np.asarray(latent, float))


def _entropy(a):
    """H of a discrete array in nats."""
    _, counts = np.unique(a, return_counts=True)
    return float(stats.entropy(counts))


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
            out[name] = {
                "n": int(sel.sum()),
                "mean_h": float(h[sel].mean()),
                "mean_abs_h": float(np.abs(h[sel]).mean()),
                "spatial_std_h": float(h[sel].std(axis=(1, 2)).mean()),
            }
    return out


# -- Sec. V: clusters of latent codes (Figs. 5 and 6) ---------------------------------
def kmeans_purity(latent, labels, n_clusters=None, seed=0, n_init=10):
    """Cluster purity of the latent codes: k-means (k = number of classes) against the labels.

    purity = (1/N) sum over clusters of the cluster's majority-label count
    (1 when every cluster holds one class, about 1/k for codes that carry
    no class information). Also returns, per class c, the fraction of its
    samples that fall in clusters whose majority class is c (per-class
    purity, e.g. per MNIST digit). k-means is scikit-learn's (k-means++
    starts); the best of n_init runs by within-cluster sum of squares is kept.
    Returns (purity, {class: per-class purity}, cluster index per sample).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics.cluster import contingency_matrix

    z = np.asarray(latent, float)
    labels = np.asarray(labels)
    classes = np.unique(labels)
    k = len(classes) if n_clusters is None else int(n_clusters)
    scale = z.std(axis=0).mean() or 1.0
    best = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed).fit_predict(z / scale)
    table = contingency_matrix(labels, best)  # [class, cluster] counts, both in sorted order
    clusters = np.unique(best)
    majority = {c: classes[np.argmax(table[:, j])] for j, c in enumerate(clusters)}
    correct = int(table.max(axis=0).sum())
    per_class = {}
    for cls in classes:
        sel = labels == cls
        per_class[cls.item() if hasattr(cls, "item") else cls] = float(np.mean([majority[c] == cls for c in best[sel]]))
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
    return np.where(top >= polarized, ph.ordered_state(arg), np.where(top < disordered, ph.PM, ph.MIXED)).astype(int)


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
