"""Phases as clusters of latent codes: a Gaussian mixture chosen by BIC, ordered branches, and the ring test.

Pure statistics on latent codes and temperatures, no model (see
betavae_tf.analysis.discovery for how they are used).
"""

import numpy as np
from scipy import stats

from betavae_tf.analysis.transition import MAX_FIT_SAMPLES

BRANCH_COSINE = 0.9
INSIDE_DISORDERED = 2.0
RING_GAP = 45.0
RING_RESULTANT = 0.5


def choose_mixture(z, max_clusters=8, seed=0):
    """Gaussian mixtures of 1..max_clusters full-covariance components; the BIC minimum.

    Returns (fitted GaussianMixture, {k: BIC}); z is standardised per coordinate first.
    """
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(seed)
    fit_on = z if len(z) <= MAX_FIT_SAMPLES else z[rng.choice(len(z), MAX_FIT_SAMPLES, replace=False)]
    bic, models = {}, {}
    for k in range(1, max_clusters + 1):
        gm = GaussianMixture(n_components=k, covariance_type="full", random_state=seed, n_init=2, reg_covar=1e-4).fit(
            fit_on
        )
        bic[k], models[k] = float(gm.bic(fit_on)), gm
    best = min(bic, key=bic.get)
    return models[best], bic


def group_clusters(z, assign, temperature, centres, covariances):
    """Disordered cluster and ordered branches from a mixture's clusters.

    The disordered cluster holds the highest mean temperature. The others
    whose centres lie at least half as far from it as the farthest one are the
    main clusters; main clusters pointing the same way (cosine >=
    BRANCH_COSINE) form one branch (an arm the mixture cut into pieces). A
    cluster nearer the disordered centre (a crossover at intermediate
    temperatures) joins the disordered cluster when it lies inside its spread
    (Mahalanobis distance < INSIDE_DISORDERED) and otherwise the branch it
    points to most. Returns (disordered index, [[cluster indices of each branch], ...]).
    """
    k = len(centres)
    if np.isfinite(temperature).any():
        mean_t = np.array([np.nanmean(temperature[assign == c]) if np.any(assign == c) else -np.inf for c in range(k)])
        disordered = int(np.argmax(mean_t))
    else:  # no temperatures: the cluster nearest the prior's centre
        disordered = int(np.argmin(np.linalg.norm(centres, axis=1)))
    c0 = centres[disordered]
    inv = np.linalg.pinv(covariances[disordered])
    others = [c for c in range(k) if c != disordered]
    if not others:
        return disordered, []
    offsets = {c: centres[c] - c0 for c in others}
    far = max(np.linalg.norm(d) for d in offsets.values())
    main = [c for c in others if np.linalg.norm(offsets[c]) >= 0.5 * far]
    branches = []
    for c in sorted(main, key=lambda c: -np.linalg.norm(offsets[c])):
        u = offsets[c] / np.linalg.norm(offsets[c])
        for branch in branches:
            v = offsets[branch[0]]
            if u @ v / np.linalg.norm(v) >= BRANCH_COSINE:
                branch.append(c)
                break
        else:
            branches.append([c])
    for c in others:
        if c in main:
            continue
        d = offsets[c]
        if np.sqrt(d @ inv @ d) < INSIDE_DISORDERED or np.linalg.norm(d) == 0:
            continue
        u = d / np.linalg.norm(d)
        best = max(branches, key=lambda b: u @ offsets[b[0]] / np.linalg.norm(offsets[b[0]]))
        best.append(c)
    return disordered, branches


def ring_measure(z, centre):
    """Angles of codes about centre in the plane of their two main directions: (largest gap in degrees,
    mean resultant length). A uniform ring: small gap, resultant near 0; one branch: resultant near 1."""
    d = np.asarray(z, float) - centre
    if d.shape[1] >= 2:
        _, _, vt = np.linalg.svd(d - d.mean(axis=0), full_matrices=False)
        plane = d @ vt[:2].T
    else:
        plane = np.stack([d[:, 0], np.zeros(len(d))], axis=1)
    angles = np.sort(np.degrees(np.arctan2(plane[:, 1], plane[:, 0])))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 360.0]))
    unit = np.stack([np.cos(np.radians(angles)), np.sin(np.radians(angles))], axis=1)
    resultant = float(stats.directional_stats(unit).mean_resultant_length)
    return float(gaps.max()), resultant
