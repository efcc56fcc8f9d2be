"""Phase discovery on any lattice model: from a trained beta-VAE and its data to phases, an order parameter and Tc.

Nothing here knows the model: it reads the configurations, their temperatures
and (for reporting only) any observables the dataset carries. For one run:

1. Encode every configuration (posterior means z).
2. Cluster z with Gaussian mixtures of 1..max_clusters components, choosing
   the number by BIC; the cluster whose samples have the highest mean
   temperature is the disordered one.
3. Group the other clusters into ordered branches (group_clusters): the
   clusters far from the disordered centre that point the same way from it
   (cosine >= BRANCH_COSINE) are one branch (a phase whose latent arm the
   mixture cut into pieces); a cluster near the disordered centre is a
   crossover: it joins the disordered cluster if it lies inside its spread
   (Mahalanobis distance < 2), else the branch it points to.
4. The latent order parameter r is the distance from the disordered centre;
   per branch, the projection on its direction. Its correlation with every
   observable the data carry is reported.
5. Shape of the ordered set: the angles of the ordered codes about the
   disordered centre (in the plane of their two main directions). A ring
   (a continuous symmetry broken, e.g. XY) has no angular gap wider than
   RING_GAP degrees and a mean resultant length of its angles <= RING_RESULTANT
   (it goes round the centre); discrete branches leave wide gaps. For a ring,
   the "branches" are arcs of one connected set.
6. Tc from the latent alone, where the mean of r changes fastest with T, by
   two estimators (bootstrap errors): the midpoint of a logistic step fitted
   to it, and the steepest slope between successive temperatures with no
   fitted shape (metrics.steepest_change). They agree when the mean of r is a
   step (|m|-like codes); a code that tracks the energy, growing smoothly over
   the whole range, pulls the logistic midpoint to high T while its steepest
   slope stays at the specific-heat-like peak near Tc(L). Both also on the
   classic baseline, the distance from the high-temperature centroid in the
   space of the first principal components of the raw configurations.
7. Several runs of one model at different L: Tc(L) of each, the crossing of
   the latent Binder ratio U_L(T) = 1 - <r^4> / (3 <r^2>^2) between
   successive sizes (bootstrap errors) and their weighted mean over the
   crossings that resampling does not remove (combined_crossing), and the
   extrapolations Tc(L) = Tc + a / L and Tc + a L^-x (x free), and a data
   collapse of the mean of r over all sizes (metrics.scaling_collapse: Tc,
   1/nu and y that put m(T, L) L^y against (T / Tc - 1) L^(1/nu) on one
   curve within the critical region). The crossings and the collapse need
   temperatures dense near the transition (steps of about 0.5% of Tc):
   between grid points they are interpolated linearly.
8. Several runs per size (training seeds; the k-th run given at every size
   forms one set): step 7 for every set, and each estimate combined over the
   sets as a random-effects mean (seeds_combined: the spread between seeds
   beyond their bootstrap errors enters the weights and the error). The bootstrap alone measures the noise
   of the data, not of the training: at L = 32 the Ising Tc of the beta = 100
   run moves by about 1% between seeds, well beyond its bootstrap error.
"""
import dataclasses
from typing import Optional
import json
import os

import numpy as np
from absl import logging

from betavae_tf import fileio
from betavae_tf.config_flags import setting
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis.text import fmt_number as f

BRANCH_COSINE = 0.9
INSIDE_DISORDERED = 2.0
RING_GAP = 45.0
RING_RESULTANT = 0.5
CROSSING_FOUND = 0.95   # share of bootstrap resamples in which a Binder-ratio crossing must exist to be used
MAX_FIT_SAMPLES = 20000


@dataclasses.dataclass
class AnalyzeConfig:
    """betavae-analyze's settings (its flags are made from them)."""
    workdirs: tuple = setting((), "A betavae-train workdir (repeat for runs at several lattice sizes, and for several "
                              "training seeds per size).", kind="multi", flag="workdir")
    out: Optional[str] = setting(None, "Output directory: summary.json, figures, report.md / report.html.")
    # one per workdir, one for all, or none (each workdir's training data)
    data_dirs: tuple = setting((), "Dataset to analyse: one for every run, or one per --workdir (default: each "
                               "run's training data).", kind="multi", flag="data")
    max_clusters: int = setting(8, "Largest number of mixture components tried (BIC picks one).")
    n_bootstrap: int = setting(200, "Bootstrap resamples for the errors of Tc.")
    n_components_pca: int = setting(0, "Principal components of the PCA baseline (0: the latent dimension).",
                                    flag="pca_components")
    seed: int = setting(0, "Seed of the clustering and the bootstrap.")
    collapse_window: float = setting(mt.COLLAPSE_WINDOW, "Several sizes: the data collapse compares the points with "
                                     "|T / Tc - 1| L^(1/nu) at most this (the critical region).")
    overwrite: bool = setting(False, "Replace an earlier betavae-analyze output in --out (never other files).")

    def validate(self):
        if not self.out:
            raise ValueError("--out is required: the directory for the report.")
        if not self.workdirs:
            raise ValueError("give at least one --workdir (a betavae-train run).")
        for w in self.workdirs:
            if not os.path.isfile(os.path.join(w, "config.json")):
                raise FileNotFoundError(f"{w} is not a training workdir: it has no config.json.")
        if self.data_dirs and len(self.data_dirs) not in (1, len(self.workdirs)):
            raise ValueError(f"give one --data for all runs or one per --workdir, got {len(self.data_dirs)} for "
                             f"{len(self.workdirs)}.")
        if not 2 <= self.max_clusters <= 20:
            raise ValueError(f"max_clusters must be in [2, 20], got {self.max_clusters}.")
        if self.n_bootstrap < 10:
            raise ValueError(f"n_bootstrap must be at least 10, got {self.n_bootstrap}.")
        if not 0.5 <= self.collapse_window <= 10:
            raise ValueError(f"collapse_window must be in [0.5, 10] (|T / Tc - 1| L^(1/nu) at most this), got "
                             f"{self.collapse_window}.")
        return self


# -- clustering --------------------------------------------------------------------------
def choose_mixture(z, max_clusters=8, seed=0):
    """Gaussian mixtures of 1..max_clusters full-covariance components; the BIC minimum.

    Returns (fitted GaussianMixture, {k: BIC}); z is standardised per coordinate first.
    """
    from sklearn.mixture import GaussianMixture
    rng = np.random.default_rng(seed)
    fit_on = z if len(z) <= MAX_FIT_SAMPLES else z[rng.choice(len(z), MAX_FIT_SAMPLES, replace=False)]
    bic, models = {}, {}
    for k in range(1, max_clusters + 1):
        gm = GaussianMixture(n_components=k, covariance_type="full", random_state=seed, n_init=2,
                             reg_covar=1e-4).fit(fit_on)
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
        mean_t = np.array([np.nanmean(temperature[assign == c]) if np.any(assign == c) else -np.inf
                           for c in range(k)])
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
    resultant = float(np.abs(np.mean(np.exp(1j * np.radians(angles)))))
    return float(gaps.max()), resultant


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


def transition(temperature, order, n_bootstrap, seed):
    """Tc from an order parameter's mean against T (logistic midpoint, bootstrap error), or n/a."""
    ok = np.isfinite(temperature)
    if len(np.unique(temperature[ok])) < 4:
        return {"tc": float("nan"), "error": float("nan"), "curve": None,
                "steepest": {"tc": float("nan"), "error": float("nan"), "slope": None},
                "note": "fewer than 4 temperatures: no transition can be located"}
    tc, err, curve = mt.critical_temperature(temperature[ok], order[ok], n_bootstrap=n_bootstrap, seed=seed)
    steep, steep_err, slope = mt.steepest_change(temperature[ok], order[ok], n_bootstrap=n_bootstrap, seed=seed)
    return {"tc": tc, "error": err, "curve": curve,
            "steepest": {"tc": steep, "error": steep_err, "slope": slope}}


# -- one run ---------------------------------------------------------------------------
def analyze_run(model, data, manifest, *, max_clusters=8, n_bootstrap=200, n_components_pca=0, seed=0):
    """Every measure of steps 1-6 for one model on its data. Returns (summary of plain numbers, arrays)."""
    from betavae_tf.models import inference
    from betavae_tf.data import format as fmt
    from betavae_tf.data.pipeline import model_input

    x = model_input(data["samples"], manifest)
    temperature = np.asarray(data["temperature"], float)
    z, _ = inference.encode(model, x)
    scale = z.std(axis=0)
    scale[scale == 0] = 1.0
    mixture, bic = choose_mixture(z / scale, max_clusters, seed)
    assign = mixture.predict(z / scale)
    centres = mixture.means_ * scale
    covariances = mixture.covariances_ * np.outer(scale, scale)
    disordered, branches = group_clusters(z, assign, temperature, centres, covariances)
    c0 = centres[disordered]
    r = np.linalg.norm(z - c0, axis=1)
    branch_of = np.full(len(z), -1)
    for b, members in enumerate(branches):
        branch_of[np.isin(assign, members)] = b
    t_grid = np.unique(temperature[np.isfinite(temperature)])
    out = {"n_samples": int(len(z)), "latent_dim": int(z.shape[1]), "lattice_size": int(manifest["lattice_size"]),
           "model": manifest.get("model"), "bic": {str(k): v for k, v in bic.items()}, "n_clusters": len(centres),
           "disordered_cluster": disordered, "n_ordered_branches": len(branches),
           "temperatures": t_grid.tolist(), "clusters": []}
    for c in range(len(centres)):
        members = assign == c
        role = ("disordered" if c == disordered else
                next((f"ordered branch {b}" for b, m in enumerate(branches) if c in m), "disordered (inside)"))
        out["clusters"].append({
            "cluster": c, "role": role, "n": int(members.sum()), "centre": centres[c].tolist(),
            "mean_temperature": float(np.nanmean(temperature[members])) if members.any() else float("nan"),
            "share_by_temperature": [float(np.mean(members[temperature == t])) for t in t_grid]})
    ordered = branch_of >= 0
    if ordered.sum() >= 3:
        gap, resultant = ring_measure(z[ordered], c0)
        # A ring: no wide angular gap, and around the disordered centre (not one lopsided arc).
        out["ordered_set"] = {"max_angular_gap_deg": gap, "mean_resultant_length": resultant,
                              "ring": bool(gap <= RING_GAP and resultant <= RING_RESULTANT), "n": int(ordered.sum())}
    # The latent order parameter and its projections on each branch.
    projections = []
    for members in branches:
        u = centres[members].mean(axis=0) - c0
        projections.append((z - c0) @ (u / np.linalg.norm(u)))
    out["transition_latent"] = transition(temperature, r, n_bootstrap, seed)
    n_pca = n_components_pca or z.shape[1]
    r_pca, explained = pca_radius(x, temperature, n_pca, seed)
    out["transition_pca"] = dict(transition(temperature, r_pca, n_bootstrap, seed), n_components=n_pca,
                                 explained_variance=explained)
    # Data made at several couplings: each coupling's transition on its own (Tc scales with |J|).
    coupling = np.asarray(data.get("coupling", np.full(len(z), np.nan)), float)
    values = np.unique(coupling[np.isfinite(coupling)])
    if len(values) > 1:
        out["by_coupling"] = {f"{j:g}": {"latent": transition(temperature[coupling == j], r[coupling == j],
                                                              n_bootstrap, seed),
                                         "pca": transition(temperature[coupling == j], r_pca[coupling == j],
                                                           n_bootstrap, seed)} for j in values}
    out["binder_latent"] = [binder_ratio(r[temperature == t]) for t in t_grid]
    out["binder_pca"] = [binder_ratio(r_pca[temperature == t]) for t in t_grid]
    # Correlations with whatever the data carry besides configurations and T (reporting only).
    given = {name: np.asarray(data[name], float) for name in fmt.observables_of(manifest)}
    for name in ("magnetization", "staggered_magnetization", "energy"):
        if name in data and np.isfinite(data[name]).all() and name not in given:
            given[f"label:{name}"] = np.asarray(data[name], float)
    out["correlations"] = {
        name: {"radius": mt.pearson(r, v), "radius_pca": mt.pearson(r_pca, v),
               **{f"branch {b}": mt.pearson(np.abs(p), np.abs(v)) for b, p in enumerate(projections)}}
        for name, v in given.items()}
    decoded = inference.mean_of(model, {k: np.asarray(v) for k, v in
                                        model.decoder(centres.astype(np.float32), training=False).items()})
    arrays = {"z": z, "assign": assign, "branch_of": branch_of, "temperature": temperature, "r": r, "r_pca": r_pca,
              "coupling": coupling,
              "decoded_centres": decoded, "centres": centres}
    return out, arrays


# -- several sizes -----------------------------------------------------------------------
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


def _binder_curves(arrays, common, select=None, rng=None):
    """U(T) on the common temperatures for one run's arrays (optionally a subset, optionally resampled)."""
    t, r = arrays["temperature"], arrays["r"]
    if select is not None:
        t, r = t[select], r[select]
    curve = []
    for temp in common:
        v = r[t == temp]
        curve.append(binder_ratio(rng.choice(v, len(v)) if rng is not None else v) if len(v) else float("nan"))
    return curve


def _crossings(by_size, grids, arrays, n_bootstrap, rng, subset=None):
    out = []
    for (L1, i1), (L2, i2) in zip(by_size, by_size[1:]):
        common = np.intersect1d(grids[i1], grids[i2])
        sel1 = subset(arrays[i1]) if subset else None
        sel2 = subset(arrays[i2]) if subset else None
        tc = crossing(common, _binder_curves(arrays[i1], common, sel1), _binder_curves(arrays[i2], common, sel2))
        boots = np.array([crossing(common, _binder_curves(arrays[i1], common, sel1, rng),
                                   _binder_curves(arrays[i2], common, sel2, rng)) for _ in range(n_bootstrap)])
        boots = boots[np.isfinite(boots)]
        out.append({"sizes": [L1, L2], "tc": tc, "error": float(boots.std()) if len(boots) > 1 else float("nan"),
                    "found_in": float(len(boots) / n_bootstrap)})
    return out


def _collapse(by_size, arrays, n_bootstrap, seed, subset=None, window=mt.COLLAPSE_WINDOW):
    """The data collapse (metrics.scaling_collapse) of the latent order parameter r over the sizes, or None
    where it cannot be made (too few temperatures in the critical region of a size)."""
    samples = []
    for L, i in by_size:
        t, r = arrays[i]["temperature"], arrays[i]["r"]
        keep = np.isfinite(t) & (subset(arrays[i]) if subset else True)
        samples.append((L, t[keep], r[keep]))
    try:
        result = mt.scaling_collapse(samples, window=window, n_bootstrap=n_bootstrap, seed=seed)
    except ValueError:
        return None
    return result if np.isfinite(result["tc"]) else None


def combined_crossing(crossings, min_found=CROSSING_FOUND):
    """Tc from the Binder-ratio crossings of successive sizes: their inverse-variance weighted mean, over the
    crossings found in at least min_found of the bootstrap resamples (a crossing that resampling often
    removes is noise, not the transition). When they disagree beyond their errors the error is scaled by
    sqrt(chi^2 / (n - 1)) (the Particle Data Group's rule). Returns {"tc", "error", "used", "scale"} or None."""
    used = [c for c in crossings if np.isfinite(c["tc"]) and np.isfinite(c["error"]) and c["error"] > 0
            and c["found_in"] >= min_found]
    if not used:
        return None
    tc = np.array([c["tc"] for c in used])
    w = 1.0 / np.square([c["error"] for c in used])
    mean = float(np.sum(w * tc) / np.sum(w))
    scale = float(np.sqrt(np.sum(w * (tc - mean) ** 2) / (len(used) - 1))) if len(used) > 1 else 1.0
    return {"tc": mean, "error": float(max(scale, 1.0) / np.sqrt(np.sum(w))), "scale": scale,
            "used": [c["sizes"] for c in used]}


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
    error = float(1.4826 * np.median(np.abs(draws - np.median(draws)))) if len(draws) > 10 else float("nan")
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
    return {"tc": float(np.sum(ws * x) / np.sum(ws)), "error": float(np.sqrt(bootstrap2 + tau2 / n_eff)),
            "tau": float(np.sqrt(tau2)), "bootstrap_error": float(np.sqrt(bootstrap2)), "values": x.tolist(),
            "errors": np.sqrt(b2).tolist(), "n_seeds": len(x)}


def replicate_groups(sizes):
    """Runs by lattice size -> the replicate sets (one run per size each: the k-th run given at every size,
    e.g. one per training seed). Every size must have the same number of runs."""
    groups = {}
    for i, L in enumerate(sizes):
        groups.setdefault(int(L), []).append(i)
    counts = sorted({len(v) for v in groups.values()})
    if len(counts) > 1:
        raise ValueError("every lattice size needs the same number of runs (one per training seed, in the same "
                         "seed order at every size), got " + ", ".join(f"{len(v)} at L = {L}"
                                                                        for L, v in sorted(groups.items())) + ".")
    return [[groups[L][k] for L in sorted(groups)] for k in range(counts[0])]


def finite_size(runs, arrays, n_bootstrap=200, seed=0, window=mt.COLLAPSE_WINDOW):
    """The finite-size study (finite_size_one) of every replicate set (replicate_groups: the k-th run of
    each size); with several, the crossings and extrapolations combined over them (seeds_combined), the
    first set's full study kept as the frame and every set's under "replicates"."""
    sets = replicate_groups([run["lattice_size"] for run in runs])
    reps = [finite_size_one([runs[i] for i in k], [arrays[i] for i in k], n_bootstrap, seed, window) for k in sets]
    if reps[0] is None or len(reps) == 1:
        return reps[0]
    out = dict(reps[0], seeds=len(reps), replicates=reps)
    out["tc_latent"] = [float(np.mean(v)) for v in zip(*(r["tc_latent"] for r in reps))]
    out["tc_latent_error"] = [float(np.std(v, ddof=1)) for v in zip(*(r["tc_latent"] for r in reps))]

    def combine(entries, into):
        for key, value in (("crossing", "tc"), ("three_size", "tc_inf"), ("extrapolation", "tc_inf"),
                           ("collapse", "tc")):
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


def finite_size_one(runs, arrays, n_bootstrap=200, seed=0, window=mt.COLLAPSE_WINDOW):
    """Tc(L) per run, Binder-ratio crossings between successive sizes (bootstrap errors; per coupling too when
    the data have several), Tc + a/L, the three-size extrapolation with a free exponent, and the data
    collapse of the mean of r over all sizes (Tc, 1/nu and y together; per coupling too)."""
    by_size = sorted(((run["lattice_size"], i) for i, run in enumerate(runs)))
    sizes = [L for L, _ in by_size]
    if len(set(sizes)) < 2:
        return None
    out = {"sizes": sizes, "tc_latent": [runs[i]["transition_latent"]["tc"] for _, i in by_size],
           "tc_latent_error": [runs[i]["transition_latent"]["error"] for _, i in by_size]}
    grids = {i: np.asarray(runs[i]["temperatures"]) for _, i in by_size}
    rng = np.random.default_rng(seed)
    out["crossings"] = _crossings(by_size, grids, arrays, n_bootstrap, rng)
    combined = combined_crossing(out["crossings"])
    if combined:
        out["crossing"] = combined
    couplings = sorted(set.intersection(*(set(runs[i].get("by_coupling", {})) for _, i in by_size)))
    if couplings:
        out["by_coupling"] = {}
        for j in couplings:
            value = float(j)
            entry = {"tc_latent": [runs[i]["by_coupling"][j]["latent"]["tc"] for _, i in by_size],
                     "tc_latent_error": [runs[i]["by_coupling"][j]["latent"]["error"] for _, i in by_size],
                     "crossings": _crossings(by_size, grids, arrays, n_bootstrap, rng,
                                             subset=lambda a, v=value: a["coupling"] == v)}
            three = three_size_extrapolation(sizes, entry["tc_latent"], entry["tc_latent_error"], seed=seed)
            if three:
                entry["three_size"] = three
            collapsed = _collapse(by_size, arrays, n_bootstrap, seed, subset=lambda a, v=value: a["coupling"] == v,
                                  window=window)
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
        tc, err, a = mt.finite_size_extrapolation(L, t, e)
        out["extrapolation"] = {"tc_inf": tc, "error": err, "slope": a}
    three = three_size_extrapolation(sizes, out["tc_latent"], out["tc_latent_error"], seed=seed)
    if three:
        out["three_size"] = three
    collapsed = _collapse(by_size, arrays, n_bootstrap, seed, window=window)
    if collapsed:
        out["collapse"] = collapsed
    return out


# -- figures and report ------------------------------------------------------------------
def figure_run(summary, arrays, path, title):
    from betavae_tf.analysis.figures import _save, _subplots
    from betavae_tf.images import tile
    from betavae_tf.analysis.sec5 import display_images
    fig, axes = _subplots(1, 4, figsize=(18, 4))
    z, t = arrays["z"], arrays["temperature"]
    y = z[:, 1] if z.shape[1] > 1 else np.zeros(len(z))
    sc = axes[0].scatter(z[:, 0], y, c=t, s=2, cmap="coolwarm", linewidths=0)
    fig.colorbar(sc, ax=axes[0], label="T")
    axes[0].set_title("latent means by temperature", fontsize=9)
    for c in np.unique(arrays["assign"]):
        sel = arrays["assign"] == c
        role = summary["clusters"][c]["role"]
        axes[1].scatter(z[sel, 0], y[sel], s=2, label=f"{c}: {role}", linewidths=0)
    axes[1].legend(fontsize=6, markerscale=4)
    axes[1].set_title(f"clusters (BIC: {summary['n_clusters']}), {summary['n_ordered_branches']} ordered branches",
                      fontsize=9)
    axes[2].imshow(tile(display_images(arrays["decoded_centres"]), columns=min(4, len(arrays["centres"])), gap=2),
                   interpolation="nearest")
    axes[2].set_axis_off()
    axes[2].set_title("decoded cluster centres (cluster order)", fontsize=9)
    for key, label, colour in (("transition_latent", "latent r", "tab:blue"), ("transition_pca", "PCA r", "k")):
        tr = summary[key]
        if tr.get("curve"):
            mean = np.asarray(tr["curve"]["mean"])
            axes[3].plot(tr["curve"]["temperatures"], mean / mean.max(), "o-", ms=3, color=colour,
                         label=f"{label}: Tc = {f(tr['tc'])} ± {f(tr['error'])}")
            if np.isfinite(tr["tc"]):
                axes[3].axvline(tr["tc"], color=colour, ls=":")
    axes[3].set_xlabel("T")
    axes[3].set_ylabel("mean order parameter / max")
    axes[3].legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def figure_sizes(fs, runs, path):
    from betavae_tf.analysis.figures import _save, _subplots
    first_set = fs["replicates"][0] if fs.get("replicates") else fs   # with seeds: the first set's fits
    collapse = first_set.get("collapse")
    fig, axes = _subplots(1, 3 if collapse else 2, figsize=(15 if collapse else 10, 3.8))
    seen = {}
    for run in runs:   # with several seeds, the k-th run of each size is set k
        k = seen[run["lattice_size"]] = seen.get(run["lattice_size"], -1) + 1
        run_label = f"L = {run['lattice_size']}" + (f", set {k}" if fs.get("replicates") else "")
        axes[0].plot(run["temperatures"], run["binder_latent"], "o-", ms=3, label=run_label)
    for c in fs["crossings"]:
        if np.isfinite(c["tc"]):
            axes[0].axvline(c["tc"], ls=":", color="gray")
    axes[0].set_xlabel("T")
    axes[0].set_ylabel("latent Binder ratio U_L")
    axes[0].legend(fontsize=7)
    inv = 1.0 / np.asarray(fs["sizes"], float)
    axes[1].errorbar(inv, fs["tc_latent"], yerr=fs["tc_latent_error"], fmt="o", label="midpoint Tc(L)")
    if "extrapolation" in first_set:
        e = first_set["extrapolation"]
        xs = np.linspace(0, inv.max() * 1.1, 20)
        axes[1].plot(xs, e["tc_inf"] + e["slope"] * xs, lw=1, label=f"Tc + a/L: {f(e['tc_inf'])} ± {f(e['error'])}")
    axes[1].set_xlabel("1 / L")
    axes[1].set_ylabel("Tc(L)")
    axes[1].legend(fontsize=7)
    if collapse:
        first = {}
        for run in runs:   # the first set: the first run given at each size
            first.setdefault(run["lattice_size"], run)
        tc, inverse_nu, y = collapse["tc"], collapse["inverse_nu"], collapse["y"]
        for L, run in sorted(first.items()):
            curve = run["transition_latent"].get("curve")
            if curve:
                t, m = np.asarray(curve["temperatures"]), np.asarray(curve["mean"])
                x = (t / tc - 1) * L ** inverse_nu
                keep = np.abs(x) <= 2 * collapse["window"]
                axes[2].plot(x[keep], m[keep] / m[0] * L ** y, "o-", ms=3, label=f"L = {L}")
        axes[2].axvspan(-collapse["window"], collapse["window"], color="0.92", zorder=0)
        axes[2].set_xlabel("(T / Tc - 1) L^(1/nu)")
        axes[2].set_ylabel("<r> / <r>(lowest T) · L^y")
        axes[2].set_title(f"collapse{' (set 0)' if fs.get('replicates') else ''}: Tc = {f(tc, 4)}, "
                          f"1/nu = {f(inverse_nu, 2)}, y = {f(y, 3)}", fontsize=9)
        axes[2].legend(fontsize=7)
    return _save(fig, path)


def _crossing_text(c):
    return (f"Tc = {f(c['tc'])} ± {f(c['error'])} from "
            + ", ".join(f"{a} / {b}" for a, b in c["used"]) + (f" (error scaled by {c['scale']:.2f})"
                                                                if c["scale"] > 1 else ""))


def _collapse_text(c):
    return (f"Tc = {f(c['tc'], 4)} ± {f(c['error'], 4)}, 1/nu = {f(c['inverse_nu'], 2)} ± {f(c['inverse_nu_error'], 2)}, "
            f"y = {f(c['y'], 3)} ± {f(c['y_error'], 3)} (quality {f(c['quality'], 2)} over {c['n_points']} points)")


def _seeds_text(c):
    return (f"{f(c['tc'], 4)} ± {f(c['error'], 4)} (seeds: " + ", ".join(f"{f(v, 4)} ± {f(e, 4)}" for v, e in
                                                                     zip(c["values"], c["errors"]))
            + f"; between-seed spread tau {f(c['tau'], 4)}, bootstrap {f(c['bootstrap_error'], 4)})")


def _tc_text(tr):
    """Both estimators of one transition: 'logistic ± e / steepest ± e'."""
    steep = tr.get("steepest") or {}
    return (f"{f(tr['tc'])} ± {f(tr['error'])} / {f(steep.get('tc', float('nan')))} ± "
            f"{f(steep.get('error', float('nan')))}")


def report_blocks(summary):
    out = [("h1", "Phase discovery")]
    out += [("p", f"**Warning:** {w}") for w in summary.get("warnings", [])]
    out += [("p", "From the configurations and their temperatures only: clusters of the latent codes (Gaussian "
                 "mixtures, number by BIC), the disordered cluster (highest mean temperature), ordered branches "
                 f"(clusters pointing the same way from it, cosine >= {BRANCH_COSINE}), the latent order parameter r "
                 "(distance from the disordered centre) and the transition where its mean against T changes "
                 "fastest, by two estimators (bootstrap errors): the midpoint of a logistic step fitted to it, and "
                 "the steepest slope read off the data (no fitted shape; a code that tracks the energy rather than "
                 "a step pulls the logistic midpoint to high T), next to the same estimators on PCA of the raw "
                 "configurations.")]
    rows = []
    for run in summary["runs"]:
        s = run["ordered_set"] if "ordered_set" in run else {}
        rows.append([run["workdir"], run["lattice_size"], run["n_clusters"], run["n_ordered_branches"],
                     f"{f(s.get('max_angular_gap_deg'), 0)} deg / {f(s.get('mean_resultant_length'), 2)}"
                     + (" (ring)" if s.get("ring") else ""),
                     _tc_text(run["transition_latent"]), _tc_text(run["transition_pca"])])
    out.append(("table", ["run", "L", "clusters (BIC)", "ordered branches", "ordered set: largest gap / resultant",
                          "Tc from the latent: logistic / steepest", "Tc from PCA: logistic / steepest"], rows))
    for run in summary["runs"]:
        out.append(("h2", f"{run['workdir']} (L = {run['lattice_size']})"))
        temps = run["temperatures"]
        shown = list(range(0, len(temps), max(1, len(temps) // 8)))
        out.append(("table", ["cluster", "role", "n", "mean T"] + [f"T={temps[i]:.3g}" for i in shown],
                    [[c["cluster"], c["role"], c["n"], f(c["mean_temperature"], 2)]
                     + [f"{100 * c['share_by_temperature'][i]:.0f}%" for i in shown] for c in run["clusters"]]))
        if run.get("by_coupling"):
            out.append(("table", ["coupling J", "Tc from the latent: logistic / steepest",
                                  "Tc from PCA: logistic / steepest"],
                        [[j, _tc_text(v["latent"]), _tc_text(v["pca"])] for j, v in run["by_coupling"].items()]))
        if run["correlations"]:
            keys = sorted({k for v in run["correlations"].values() for k in v})
            out.append(("table", ["observable"] + keys, [[name] + [f(v.get(k)) for k in keys]
                                                         for name, v in run["correlations"].items()]))
    fs = summary.get("finite_size")
    if fs:
        out.append(("h2", "Several lattice sizes"))
        if fs.get("seeds"):
            out.append(("p", f"{fs['seeds']} runs per size (training seeds, the k-th run given at each size forming "
                             "one set): Tc(L) and the crossings below are the first set's; the estimates combined "
                             "over the sets are random-effects means (weights 1 / (bootstrap error^2 + tau^2), tau "
                             "the spread between seeds beyond their bootstrap errors), with tau^2 over the "
                             "effective number of seeds added to the bootstrap error, which the seeds share."))
            out.append(("table", ["L", "Tc(L) from the latent, per seed"],
                        [[L, " / ".join(f(r["tc_latent"][k]) for r in fs["replicates"])]
                         for k, L in enumerate(fs["sizes"])]))
            rows = []
            for j, entry in [("all", fs)] + list((fs.get("by_coupling") or {}).items()):
                for key, name in (("collapse_seeds", "data collapse"), ("crossing_seeds", "crossings combined"),
                                  ("three_size_seeds", "Tc + a L^-x"), ("extrapolation_seeds", "Tc + a/L")):
                    if key in entry:
                        rows.append([j, name, _seeds_text(entry[key])])
            out.append(("table", ["J", "estimate", "over the seeds"], rows))
            rows = [[k, j, _collapse_text(entry["collapse"])] for k, rep in enumerate(fs["replicates"])
                    for j, entry in [("all", rep)] + list((rep.get("by_coupling") or {}).items())
                    if "collapse" in entry]
            if rows:
                out.append(("table", ["seed set", "J", "data collapse"], rows))
        else:
            out.append(("table", ["L", "Tc(L) from the latent"],
                        [[L, f"{f(t)} ± {f(e)}"] for L, t, e in zip(fs["sizes"], fs["tc_latent"],
                                                                    fs["tc_latent_error"])]))
        out.append(("table", ["sizes", "Binder-ratio crossing", "found in"],
                    [[f"{c['sizes'][0]} / {c['sizes'][1]}", f"{f(c['tc'])} ± {f(c['error'])}",
                      f"{100 * c['found_in']:.0f}% of resamples"] for c in fs["crossings"]]))
        if "crossing" in fs:
            out.append(("p", "The crossings found in at least "
                             f"{100 * CROSSING_FOUND:.0f}% of resamples, combined: " + _crossing_text(fs["crossing"])))
        if "extrapolation" in fs:
            e = fs["extrapolation"]
            out.append(("p", f"Tc(L) = Tc + a/L: Tc = {f(e['tc_inf'])} ± {f(e['error'])}, a = {f(e['slope'], 2)}."))
        if "three_size" in fs:
            e = fs["three_size"]
            out.append(("p", f"Tc(L) = Tc + a L^-x through the three largest sizes, x free: Tc = {f(e['tc_inf'])} ± "
                             f"{f(e['error'])}, x = {f(e['exponent'], 2)}."))
        if "collapse" in fs:
            out.append(("p", "Data collapse of the mean of r over all sizes, m(T, L) L^y = F((T / Tc - 1) L^(1/nu)) "
                             f"within |T / Tc - 1| L^(1/nu) <= {f(fs['collapse']['window'], 1)}: "
                             + _collapse_text(fs["collapse"]) + "."))
        for j, entry in (fs.get("by_coupling") or {}).items():
            rows = [[f"{c['sizes'][0]} / {c['sizes'][1]}", f"{f(c['tc'])} ± {f(c['error'])} (found in "
                     f"{100 * c['found_in']:.0f}% of resamples)"] for c in entry["crossings"]]
            if "crossing" in entry:
                rows.append(["crossings combined", _crossing_text(entry["crossing"])])
            if "three_size" in entry:
                e = entry["three_size"]
                rows.append(["Tc + a L^-x (x free)", f"{f(e['tc_inf'])} ± {f(e['error'])} (x = {f(e['exponent'], 2)})"])
            if "collapse" in entry:
                rows.append(["data collapse", _collapse_text(entry["collapse"])])
            out.append(("table", [f"J = {j}: estimate", "Tc"], rows))
    out.append(("h2", "Figures"))
    for caption, path in summary["figures"].items():
        out.append(("img", path, caption))
    return out


# -- the command ---------------------------------------------------------------------------
def analyze(config, log=logging.info):
    """betavae-analyze: every run of config.workdirs analysed, figures and report written to config.out.

    config.out is written whole or not at all (a hidden temporary renamed into
    place); it must be new, empty or (with config.overwrite) an earlier
    analysis output holding nothing else, and apart from every workdir and
    dataset it reads. A run short of its planned epochs is analysed with a
    warning in the result, the report and the log.
    """
    from betavae_tf import places
    from betavae_tf.analysis.report import to_html, to_markdown
    from betavae_tf.data.format import read_manifest
    config.validate()
    out = places.resolve(config.out)
    data_dirs = [(config.data_dirs[i] if len(config.data_dirs) > 1 else config.data_dirs[0]) if config.data_dirs
                 else fileio.read_json(os.path.join(w, "config.json"), "workdir config")["train"]["data_dir"]
                 for i, w in enumerate(config.workdirs)]
    places.check_apart(out, "analysis output", [(w, "workdir") for w in config.workdirs]
                       + [(d, "dataset") for d in data_dirs])
    out, _ = places.check_output(out, "analysis", config.overwrite)
    manifests = [read_manifest(d) for d in data_dirs]
    replicate_groups([m["lattice_size"] for m in manifests])   # refused before any work
    with fileio.staged_directory(out, replace=os.path.lexists(out),
                                 before_replace=lambda: places.check_output(out, "analysis", config.overwrite)) as tmp:
        result = _analyze_into(config, tmp, data_dirs, manifests, log)
        fileio.write_text_atomic(os.path.join(tmp, "summary.json"),
                                 json.dumps(result, indent=2, default=float) + "\n")
        items = report_blocks(result)
        fileio.write_text_atomic(os.path.join(tmp, "report.md"), to_markdown(items))
        fileio.write_text_atomic(os.path.join(tmp, "report.html"), to_html(items))
        places.write_marker(tmp, "analysis")
    log("report: %s and report.html", os.path.join(out, "report.md"))
    return result


def _analyze_into(config, out, data_dirs, manifests, log):
    """Every run analysed, its figures drawn into out; returns the summary (written by analyze)."""
    from betavae_tf import checkpoints, export
    from betavae_tf.data.pipeline import load_numpy
    runs, arrays, figures, warnings = [], [], {}, []
    for i, workdir in enumerate(config.workdirs):
        data_dir, manifest = data_dirs[i], manifests[i]
        model, epoch, info = export.load_workdir_model(workdir)
        unfinished = checkpoints.unfinished_sentence(workdir, info)
        if unfinished:
            warnings.append(unfinished)
            log("warning: %s", unfinished)
        if manifest["lattice_size"] != model.config.lattice_size:
            raise ValueError(f"{data_dir} has L = {manifest['lattice_size']}, but {workdir} was trained at "
                             f"L = {model.config.lattice_size}.")
        log("analyzing %s (epoch %d) on %s", workdir, epoch, data_dir)
        summary, arr = analyze_run(model, load_numpy(data_dir), manifest, max_clusters=config.max_clusters,
                                   n_bootstrap=config.n_bootstrap, n_components_pca=config.n_components_pca,
                                   seed=config.seed)
        summary.update(workdir=os.path.basename(os.path.abspath(workdir)), data_dir=os.path.abspath(data_dir),
                       epoch=epoch, training=info)
        log("%s: %d clusters, %d ordered branches, Tc from the latent %s +- %s, from PCA %s +- %s",
            summary["workdir"], summary["n_clusters"], summary["n_ordered_branches"],
            f(summary["transition_latent"]["tc"]), f(summary["transition_latent"]["error"]),
            f(summary["transition_pca"]["tc"]), f(summary["transition_pca"]["error"]))
        name = f"run{i}_{summary['workdir']}"
        figures[f"{summary['workdir']}: latent, clusters, decoded centres, order parameter"] = figure_run(
            summary, arr, os.path.join(out, "figures", name), f"{summary['workdir']} (L = {summary['lattice_size']})")
        runs.append(summary)
        arrays.append(arr)
    fs = finite_size(runs, arrays, config.n_bootstrap, config.seed, config.collapse_window)
    if fs:
        figures["Binder ratio of the latent order parameter, Tc(L) and the data collapse"] = figure_sizes(
            fs, runs, os.path.join(out, "figures", "sizes"))
    return {"config": dataclasses.asdict(config), "warnings": warnings, "runs": runs, "finite_size": fs,
            "figures": {k: os.path.relpath(v, out) for k, v in figures.items()}}
