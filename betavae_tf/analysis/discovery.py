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
   cl.RING_GAP degrees and a mean resultant length of its angles <= cl.RING_RESULTANT
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
import json
import os

import numpy as np
from absl import logging

from betavae_tf import fileio
from betavae_tf.analysis import clusters as cl
from betavae_tf.analysis import discovery_report as rep
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis import quality
from betavae_tf.analysis import scaling as sc
from betavae_tf.analysis import transition as tr
from betavae_tf.analysis.projector import write_projector
from betavae_tf.analysis.results import RunArrays
from betavae_tf.analysis.text import fmt_number as f
from betavae_tf.config_flags import setting


@dataclasses.dataclass
class AnalyzeConfig:
    """betavae-analyze's settings (its flags are made from them)."""

    workdirs: tuple = setting(
        (),
        "A betavae-train workdir (repeat for runs at several lattice sizes, and for several training seeds per size).",
        kind="multi",
        flag="workdir",
    )
    out: str | None = setting(None, "Output directory: summary.json, figures, report.md / report.html.")
    # one per workdir, one for all, or none (each workdir's training data)
    data_dirs: tuple = setting(
        (),
        "Dataset to analyse: one for every run, or one per --workdir (default: each run's training data).",
        kind="multi",
        flag="data",
    )
    max_clusters: int = setting(8, "Largest number of mixture components tried (BIC picks one).")
    n_bootstrap: int = setting(200, "Bootstrap resamples for the errors of Tc.")
    n_components_pca: int = setting(
        0, "Principal components of the PCA baseline (0: the latent dimension).", flag="pca_components"
    )
    seed: int = setting(0, "Seed of the clustering and the bootstrap.")
    known_tc: float | None = setting(
        None,
        "A known Tc to compare with: the report gives the deviation of each estimate from it (default: the "
        "exact value a generated dataset records, if any).",
    )
    collapse_window: float = setting(
        sc.COLLAPSE_WINDOW,
        "Several sizes: the data collapse compares the points with "
        "|T / Tc - 1| L^(1/nu) at most this (the critical region).",
    )
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
            raise ValueError(
                f"give one --data for all runs or one per --workdir, got {len(self.data_dirs)} for "
                f"{len(self.workdirs)}."
            )
        if not 2 <= self.max_clusters <= 20:
            raise ValueError(f"max_clusters must be in [2, 20], got {self.max_clusters}.")
        if self.n_bootstrap < 10:
            raise ValueError(f"n_bootstrap must be at least 10, got {self.n_bootstrap}.")
        if not 0.5 <= self.collapse_window <= 10:
            raise ValueError(
                f"collapse_window must be in [0.5, 10] (|T / Tc - 1| L^(1/nu) at most this), got "
                f"{self.collapse_window}."
            )
        if self.known_tc is not None and not (np.isfinite(self.known_tc) and self.known_tc > 0):
            raise ValueError(f"known_tc must be a positive temperature, got {self.known_tc}.")
        return self


# -- one run ---------------------------------------------------------------------------
def analyze_run(
    model,
    data: np.ndarray,
    manifest: dict,
    *,
    max_clusters: int = 8,
    n_bootstrap: int = 200,
    n_components_pca: int = 0,
    seed: int = 0,
) -> tuple[dict, RunArrays]:
    """Every measure of steps 1-6 for one model on its data. Returns (summary of plain numbers, RunArrays)."""
    from betavae_tf.data import format as fmt
    from betavae_tf.data.pipeline import model_input
    from betavae_tf.models import inference

    x = model_input(data["samples"], manifest)
    temperature = np.asarray(data["temperature"], float)
    z, stddev = inference.encode(model, x)
    # the rate of Eq. 4 on these data: KL(q(z|x) || N(0, I)) per configuration, in nat
    rate = 0.5 * np.sum(np.square(z) + np.square(stddev) - 1.0 - 2.0 * np.log(stddev), axis=1)
    scale = z.std(axis=0)
    scale[scale == 0] = 1.0
    mixture, bic = cl.choose_mixture(z / scale, max_clusters, seed)
    assign = mixture.predict(z / scale)
    centres = mixture.means_ * scale
    covariances = mixture.covariances_ * np.outer(scale, scale)
    disordered, branches = cl.group_clusters(z, assign, temperature, centres, covariances)
    c0 = centres[disordered]
    r = np.linalg.norm(z - c0, axis=1)
    branch_of = np.full(len(z), -1)
    for b, members in enumerate(branches):
        branch_of[np.isin(assign, members)] = b
    t_grid = np.unique(temperature[np.isfinite(temperature)])
    out = {
        "n_samples": int(len(z)),
        "latent_dim": int(z.shape[1]),
        "lattice_size": int(manifest["lattice_size"]),
        "model": manifest.get("model"),
        "bic": {str(k): v for k, v in bic.items()},
        "n_clusters": len(centres),
        "disordered_cluster": disordered,
        "n_ordered_branches": len(branches),
        "temperatures": t_grid.tolist(),
        "rate": float(np.mean(rate)),
        "reference_tc": _manifest_tc(manifest),
        "clusters": [],
        # what the SavedModel's phase signature needs to place new configurations (export.PhaseMap)
        "mixture": {
            "scale": scale.tolist(),
            "weights": mixture.weights_.tolist(),
            "means": mixture.means_.tolist(),
            "precisions_cholesky": mixture.precisions_cholesky_.tolist(),
            "disordered_centre": c0.tolist(),
        },
    }
    for c in range(len(centres)):
        members = assign == c
        role = (
            "disordered"
            if c == disordered
            else next((f"ordered branch {b}" for b, m in enumerate(branches) if c in m), "disordered (inside)")
        )
        out["clusters"].append(
            {
                "cluster": c,
                "role": role,
                "n": int(members.sum()),
                "centre": centres[c].tolist(),
                "mean_temperature": float(np.nanmean(temperature[members])) if members.any() else float("nan"),
                "share_by_temperature": [float(np.mean(members[temperature == t])) for t in t_grid],
            }
        )
    ordered = branch_of >= 0
    if ordered.sum() >= 3:
        gap, resultant = cl.ring_measure(z[ordered], c0)
        # A ring: no wide angular gap, and around the disordered centre (not one lopsided arc).
        out["ordered_set"] = {
            "max_angular_gap_deg": gap,
            "mean_resultant_length": resultant,
            "ring": bool(gap <= cl.RING_GAP and resultant <= cl.RING_RESULTANT),
            "n": int(ordered.sum()),
        }
    # The latent order parameter and its projections on each branch.
    projections = []
    for members in branches:
        u = centres[members].mean(axis=0) - c0
        projections.append((z - c0) @ (u / np.linalg.norm(u)))
    latent = tr.transition(temperature, r, n_bootstrap, seed)
    out["transition_latent"] = latent.summary()
    n_pca = n_components_pca or z.shape[1]
    r_pca, explained = tr.pca_radius(x, temperature, n_pca, seed)
    out["transition_pca"] = dict(
        tr.transition(temperature, r_pca, n_bootstrap, seed).summary(), n_components=n_pca, explained_variance=explained
    )
    # Data made at several couplings: each coupling's transition on its own (Tc scales with |J|).
    coupling = np.asarray(data.get("coupling", np.full(len(z), np.nan)), float)
    values = np.unique(coupling[np.isfinite(coupling)])
    latent_by_coupling = {}
    if len(values) > 1:
        out["by_coupling"] = {}
        for j in values:
            at, key = coupling == j, f"{j:g}"
            latent_by_coupling[key] = tr.transition(temperature[at], r[at], n_bootstrap, seed)
            out["by_coupling"][key] = {
                "latent": latent_by_coupling[key].summary(),
                "pca": tr.transition(temperature[at], r_pca[at], n_bootstrap, seed).summary(),
            }
    out["by_temperature"] = tr.temperature_table(temperature, r, n_sites=int(manifest["lattice_size"]) ** 2)
    out["shares_by_role"] = _shares_by_role(out["clusters"])
    out["binder_latent"] = [tr.binder_ratio(r[temperature == t]) for t in t_grid]
    out["binder_pca"] = [tr.binder_ratio(r_pca[temperature == t]) for t in t_grid]
    # Correlations with whatever the data carry besides configurations and T (reporting only).
    given = {name: np.asarray(data[name], float) for name in fmt.observables_of(manifest)}
    for name in ("magnetization", "staggered_magnetization", "energy"):
        if name in data and np.isfinite(data[name]).all() and name not in given:
            given[f"label:{name}"] = np.asarray(data[name], float)
    out["correlations"] = {
        name: {
            "radius": mt.pearson(r, v),
            "radius_pca": mt.pearson(r_pca, v),
            **{f"branch {b}": mt.pearson(np.abs(p), np.abs(v)) for b, p in enumerate(projections)},
        }
        for name, v in given.items()
    }
    decoded = inference.mean_of(
        model, {k: np.asarray(v) for k, v in model.decoder(centres.astype(np.float32), training=False).items()}
    )
    flat = decoded.reshape(len(decoded), -1)
    out["decoded_contrast"] = float(
        max((np.mean(np.abs(flat[a] - flat[b])) for a in range(len(flat)) for b in range(a)), default=float("nan"))
    )
    arrays = RunArrays(
        lattice_size=out["lattice_size"],
        temperature=temperature,
        r=r,
        coupling=coupling,
        transition=latent,
        by_coupling=latent_by_coupling,
        z=z,
        assign=assign,
        branch_of=branch_of,
        r_pca=r_pca,
        centres=centres,
        decoded_centres=decoded,
    )
    return out, arrays


# -- several sizes -----------------------------------------------------------------------


# -- figures and report ------------------------------------------------------------------


# -- the command ---------------------------------------------------------------------------
def _manifest_tc(manifest):
    """The dataset's own exact Tc (generated data know it; imported data do not), as a reference."""
    tc = manifest.get("critical_temperature")
    if tc is None or not np.isfinite(tc):
        return None
    return {"tc": float(tc), "source": "exact, from the dataset's manifest"}


def _projector_columns(data, manifest, summary, arrays):
    """The metadata of each configuration for the Embedding Projector: T, J, phase, |m|, cluster, role."""
    from betavae_tf.data.format import phase_names_of

    names = phase_names_of(manifest)
    columns = {
        "temperature": arrays.temperature,
        "coupling": arrays.coupling,
        "phase": [names.get(int(p), "unknown") for p in data["phase"]],
    }
    if "magnetization" in data:
        columns["abs_magnetization"] = np.abs(np.asarray(data["magnetization"], float))
    columns["cluster"] = arrays.assign
    columns["role"] = [summary["clusters"][c]["role"] for c in arrays.assign]
    return columns


def _shares_by_role(clusters):
    """Per temperature, the share of the samples in the disordered clusters and in each ordered branch."""
    shares = {}
    for c in clusters:
        role = "disordered" if c["role"].startswith("disordered") else c["role"]
        values = shares.setdefault(role, [0.0] * len(c["share_by_temperature"]))
        for i, v in enumerate(c["share_by_temperature"]):
            values[i] += v
    return dict(sorted(shares.items(), key=lambda kv: (kv[0] != "disordered", kv[0])))


def analyze(config: AnalyzeConfig, log=logging.info) -> dict:
    """betavae-analyze: every run of config.workdirs analysed, figures and report written to config.out.

    config.out is written whole or not at all (a hidden temporary renamed into
    place); it must be new, empty or (with config.overwrite) an earlier
    analysis output holding nothing else, and apart from every workdir and
    dataset it reads. A run short of its planned epochs is analysed with a
    warning in the result, the report and the log.
    """
    from betavae_tf import places
    from betavae_tf.analysis.render import to_html, to_markdown
    from betavae_tf.data.format import read_manifest

    config.validate()
    out = places.resolve(config.out)
    data_dirs = [
        (config.data_dirs[i] if len(config.data_dirs) > 1 else config.data_dirs[0])
        if config.data_dirs
        else fileio.read_json(os.path.join(w, "config.json"), "workdir config")["train"]["data_dir"]
        for i, w in enumerate(config.workdirs)
    ]
    places.check_apart(
        out, "analysis output", [(w, "workdir") for w in config.workdirs] + [(d, "dataset") for d in data_dirs]
    )
    out, _ = places.check_output(out, "analysis", config.overwrite)
    manifests = [read_manifest(d) for d in data_dirs]
    sc.replicate_groups([m["lattice_size"] for m in manifests])  # refused before any work
    with fileio.staged_directory(
        out, replace=os.path.lexists(out), before_replace=lambda: places.check_output(out, "analysis", config.overwrite)
    ) as tmp:
        result = _analyze_into(config, tmp, data_dirs, manifests, log)
        fileio.write_text_atomic(os.path.join(tmp, "summary.json"), json.dumps(result, indent=2, default=float) + "\n")
        items = rep.report_blocks(result)
        fileio.write_text_atomic(os.path.join(tmp, "report.md"), to_markdown(items))
        fileio.write_text_atomic(os.path.join(tmp, "report.html"), to_html(items, title="betavae_tf phase discovery"))
        places.write_marker(tmp, "analysis")
    log("report: %s and report.html", os.path.join(out, "report.md"))
    return result


def _analyze_into(config, out, data_dirs, manifests, log):
    """Every run analysed, its figures drawn into out; returns the summary (written by analyze)."""
    from betavae_tf import checkpoints, export
    from betavae_tf.data.pipeline import load_numpy
    from betavae_tf.run_dir import read_history

    runs, arrays, figures, warnings = [], [], {}, []
    for i, workdir in enumerate(config.workdirs):
        data_dir, manifest = data_dirs[i], manifests[i]
        model, epoch, info = export.load_workdir_model(workdir)
        unfinished = checkpoints.unfinished_sentence(workdir, info)
        if unfinished:
            warnings.append(unfinished)
            log("warning: %s", unfinished)
        if manifest["lattice_size"] != model.config.lattice_size:
            raise ValueError(
                f"{data_dir} has L = {manifest['lattice_size']}, but {workdir} was trained at "
                f"L = {model.config.lattice_size}."
            )
        log("analyzing %s (epoch %d) on %s", workdir, epoch, data_dir)
        data = load_numpy(data_dir)
        summary, arr = analyze_run(
            model,
            data,
            manifest,
            max_clusters=config.max_clusters,
            n_bootstrap=config.n_bootstrap,
            n_components_pca=config.n_components_pca,
            seed=config.seed,
        )
        if config.known_tc is not None:
            summary["reference_tc"] = {"tc": float(config.known_tc), "source": "--known_tc"}
        summary["quality_warnings"] = quality.run_warnings(summary, read_history(workdir))
        for sentence in summary["quality_warnings"]:
            warnings.append(f"{os.path.basename(os.path.abspath(workdir))}: {sentence}")
        summary.update(
            workdir=os.path.basename(os.path.abspath(workdir)),
            data_dir=os.path.abspath(data_dir),
            epoch=epoch,
            training=info,
        )
        log(
            "%s: %d clusters, %d ordered branches, Tc from the latent %s +- %s, from PCA %s +- %s",
            summary["workdir"],
            summary["n_clusters"],
            summary["n_ordered_branches"],
            f(summary["transition_latent"]["tc"]),
            f(summary["transition_latent"]["error"]),
            f(summary["transition_pca"]["tc"]),
            f(summary["transition_pca"]["error"]),
        )
        name = f"run{i}_{summary['workdir']}"
        figures[f"{summary['workdir']}: latent, clusters, decoded centres, order parameter"] = rep.figure_run(
            summary, arr, os.path.join(out, "figures", name), f"{summary['workdir']} (L = {summary['lattice_size']})"
        )
        write_projector(os.path.join(out, "tensorboard", name), arr.z, _projector_columns(data, manifest, summary, arr))
        runs.append(summary)
        arrays.append(arr)
    fs = sc.finite_size(arrays, config.n_bootstrap, config.seed, config.collapse_window)
    if fs:
        figures["Binder ratio of the latent order parameter, Tc(L) and the data collapse"] = rep.figure_sizes(
            fs, runs, os.path.join(out, "figures", "sizes")
        )
    return {
        "config": dataclasses.asdict(config),
        "warnings": warnings,
        "runs": runs,
        "finite_size": fs,
        "figures": {k: os.path.relpath(v, out) for k, v in figures.items()},
    }


def analyze_command(config, echo=print):
    """betavae-analyze: analyze(config), then its summary in a few lines (discovery_report.console_lines)."""
    for line in rep.console_lines(analyze(config)):
        echo(line)
