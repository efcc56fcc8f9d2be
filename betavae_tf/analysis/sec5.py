"""Sec. V: the multinomial decoder (Fig. 5) and the Gaussian decoder (Fig. 6), and their claims.

Fig. 5 is trained on the paper's synthetic Z3 set and, as our extension, on
q = 3 Potts Monte Carlo data; Fig. 6 on MNIST (when the user gives the files)
and, as our extension, on XY Monte Carlo data (cos theta, sin theta channels).
evaluate_run() measures one trained model on its whole dataset; figure5/6
draw the panels; claims() states each claim with holds / does not hold and the
number that decides it.

Thresholds (the paper gives none; chosen here, printed in the report):
  clusters separate          k-means purity >= SEPARATE_PURITY (0.95)
  equal distances (Z3)       spread (max - min) / mean of the three polarized
                             centres' distances to the disordered one <= EQUAL_SPREAD (0.10)
  tetrahedron                longest / shortest centre distance <= TETRA_RATIO (1.5)
  block diagonal             within-block minus across-block mean cosine >= BLOCK_CONTRAST (0.5)
  order parameter tracked    |corr| >= TRACK_CORR (0.9); Tc within TC_TOLERANCE (3%, as for Ising)
  every phase generated      each phase >= GENERATED_SHARE (10%) of decoded prior samples
"""

import os

import numpy as np

from betavae_tf import phases as ph
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis import transition
from betavae_tf.analysis.sec5_figures import figure5, figure6
from betavae_tf.analysis.sec5_report import CLAIMS, MAX_SIMILARITY_SAMPLES, blocks, claims  # noqa: F401
from betavae_tf.data import format as fmt
from betavae_tf.models import inference

FIG5_RUNS = (
    ("b", 2, 65.0, "train/fig5b.flags"),
    ("c", 3, 70.0, "train/fig5c.flags"),
    ("d", 4, 71.0, "train/fig5d.flags"),
)
# Fig. 6: d_z = 2 and 16; the flagfiles carry the beta chosen per data set.
FIG6_RUNS = {
    "mnist": (("dz2", 2, "train/fig6_mnist_dz2.flags"), ("dz16", 16, "train/fig6_mnist_dz16.flags")),
    "xy": (("dz2", 2, "train/fig6_xy_dz2.flags"), ("dz16", 16, "train/fig6_xy_dz16.flags")),
}
DATA_FLAGS = {
    "quick": {"z3": "data/z3_synthetic_quick.flags", "potts": "data/potts_q3_quick.flags", "xy": "data/xy_quick.flags"},
    "paper": {"z3": "data/z3_synthetic.flags", "potts": "data/potts_q3.flags", "xy": "data/xy.flags"},
}
EPOCH_FLAGS = {"quick": "repro/sec5_quick.flags", "paper": "repro/sec5_paper.flags"}
MNIST_LIMIT = {"quick": 4000, "paper": 0}


def _similarity_subset(latent, labels, seed=0):
    """At most MAX_SIMILARITY_SAMPLES codes, sorted by label (for the matrix and its contrast)."""
    n = len(labels)
    idx = np.arange(n)
    if n > MAX_SIMILARITY_SAMPLES:
        idx = np.random.default_rng(seed).choice(n, MAX_SIMILARITY_SAMPLES, replace=False)
    idx = idx[np.argsort(labels[idx], kind="stable")]
    return mt.cosine_similarity_matrix(latent[idx]), labels[idx]


def evaluate_run(model, data, manifest, *, n_generated=1000, seed=0):
    """Every Sec. V measure of one model on its whole dataset (load_numpy output).

    Returns (metrics of plain numbers, arrays for the figures).
    """
    from betavae_tf.data.pipeline import model_input

    x = model_input(data["samples"], manifest)
    phase = np.asarray(data["phase"])
    names = fmt.phase_names_of(manifest)
    latent, _ = inference.encode(model, x)
    distortion, rate, kl = inference.mean_terms(model, x, seed=seed)
    purity, per_class, _ = mt.kmeans_purity(latent, phase, seed=seed)
    centres = mt.class_centres(latent, phase)
    sim, sim_labels = _similarity_subset(latent, phase, seed)
    contrast, within, across = mt.block_diagonality(sim, sim_labels)
    out = {
        "model": manifest.get("model"),
        "latent_dim": int(latent.shape[1]),
        "beta": float(model.config.beta),
        "n_samples": int(len(phase)),
        "distortion": distortion,
        "rate": rate,
        "kl_per_dimension": [float(k) for k in kl],
        "kmeans_purity": purity,
        "purity_per_class": {names.get(int(k), str(k)): v for k, v in per_class.items()},
        "block_contrast": contrast,
        "cosine_within": within,
        "cosine_across": across,
        "centres": {names.get(int(k), str(k)): v.tolist() for k, v in centres.items()},
    }
    categorical = fmt.encoding_of(manifest) == "categorical"
    # Phase fractions need many decoded maps; otherwise only the 16 shown are decoded.
    params, _ = inference.decode_prior(model, n_generated if categorical else 16, seed)
    generated = inference.mean_of(model, params)
    if categorical:
        gen_phase = mt.classify_categorical(generated)
        labels_present = sorted(set(np.unique(phase).tolist()))
        out["generated_fractions"] = {
            names.get(c, str(c)): float(np.mean(gen_phase == c)) for c in labels_present + [ph.MIXED]
        }
        polarized = [c for c in labels_present if ph.is_ordered_state(c)]
        if ph.PM in centres and polarized:
            d, spread = mt.distance_spread(centres, ph.PM, polarized)
            out["polarized_to_pm_distances"], out["polarized_distance_spread"] = d, spread
        if len(centres) == 4 and latent.shape[1] >= 3:
            ratio, volume = mt.tetrahedron_ratio(np.stack([centres[c] for c in sorted(centres)]))
            out["tetrahedron_ratio"], out["tetrahedron_volume"] = ratio, volume
    temperature = np.asarray(data["temperature"], float)
    # Data with a temperature grid and a known transition (the lattice models) get the transition read
    # from the latent; the order parameter is the model's own (its "magnetization" label).
    if manifest.get("critical_temperature") and np.isfinite(temperature).all() and len(np.unique(temperature)) >= 4:
        order = np.asarray(data["magnetization"], float)
        pm = centres.get(ph.PM, latent[temperature == temperature.max()].mean(axis=0))
        radius = np.linalg.norm(latent - pm, axis=1)
        out["corr_order_parameter"] = [mt.pearson(latent[:, i], order) for i in range(latent.shape[1])]
        out["corr_radius_order_parameter"] = mt.pearson(radius, order)
        try:
            tc, err, curve = transition.critical_temperature(temperature, radius, n_bootstrap=100, seed=seed)
        except ValueError:
            tc, err, curve = float("nan"), float("nan"), None
        out["transition_from_latent"] = {
            "tc": tc,
            "error": err,
            "reference": manifest.get("critical_temperature"),
            "curve": curve,
        }
        if fmt.encoding_of(manifest) == "float32" and x.shape[-1] == 2:
            # A planar spin: the direction of m is the mean of the (cos, sin) channels of each configuration.
            m_vec = x.mean(axis=(1, 2))
            out["corr_mx"] = [mt.pearson(latent[:, i], m_vec[:, 0]) for i in range(latent.shape[1])]
            out["corr_my"] = [mt.pearson(latent[:, i], m_vec[:, 1]) for i in range(latent.shape[1])]
            ordered = phase != ph.PM
            if latent.shape[1] == 2 and ordered.any():
                r, sign, offset = mt.angle_alignment(latent[ordered], m_vec[ordered, :2], centre=pm)
                out["angle_alignment"] = {
                    "resultant_length": r,
                    "reflection": sign == -1,
                    "offset": offset,
                    "n_samples": int(ordered.sum()),
                }
    arrays = {
        "latent": latent,
        "phase": phase,
        "names": names,
        "generated": generated[:16],
        "similarity": sim,
        "similarity_labels": sim_labels,
    }
    return out, arrays


# -- figures ----------------------------------------------------------------------------


# -- claims -----------------------------------------------------------------------------
NEEDS_THREE_PHASE = False


def applies(config):
    return 5 in config.figures or 6 in config.figures


def flagfiles(config):
    names = [EPOCH_FLAGS[config.scale]]
    if 5 in config.figures:
        names += [DATA_FLAGS[config.scale][d] for d in ("z3", "potts")]
        names += [f for _, _, _, f in FIG5_RUNS]
    if 6 in config.figures:
        names.append(DATA_FLAGS[config.scale]["xy"])
        names += [f for runs in FIG6_RUNS.values() for _, _, f in runs]
    return names


def run(ctx, shared=None):
    """Figs. 5 (multinomial: Z3 and Potts) and 6 (Gaussian: MNIST when given, and XY)."""
    from betavae_tf.data import read_manifest
    from betavae_tf.data.mnist import import_mnist
    from betavae_tf.data.pipeline import load_numpy

    config = ctx.config
    epochs_flags = EPOCH_FLAGS[config.scale]
    result = {"fig5": {}, "fig6": {}}

    def run_all(data_name, data_dir, specs):
        manifest = read_manifest(data_dir)
        data = load_numpy(data_dir)
        metrics, arrays = {}, {}
        for key, flagfile in specs:
            workdir = ctx.path("sec5", f"{data_name}_{key}")
            model, epochs = ctx.train(f"{data_name}_{key}", [flagfile, epochs_flags], data_dir, workdir)
            m, a = evaluate_run(model, data, manifest, n_generated=config.n_generated, seed=config.seed)
            m["epochs"] = epochs
            ctx.save_metrics(workdir, m)
            metrics[key], arrays[key] = m, a
            ctx.log(
                "%s %s: purity %.3f, block contrast %.3f, rate %.2f",
                data_name,
                key,
                m["kmeans_purity"],
                m["block_contrast"],
                m["rate"],
            )
        return metrics, arrays

    if 5 in config.figures:
        for data_name, title in (("z3", "Fig. 5 on the synthetic Z3 data"), ("potts", "Fig. 5 on q = 3 Potts data")):
            data_dir = ctx.dataset(
                f"data_{data_name}", DATA_FLAGS[config.scale][data_name], ctx.path("sec5", f"data_{data_name}")
            )
            metrics, arrays = run_all(data_name, data_dir, [(p, f) for p, _, _, f in FIG5_RUNS])
            result["fig5"][data_name] = metrics
            ctx.figures[title] = figure5(arrays, metrics, title, ctx.path("figures", f"fig5_{data_name}"))
    if 6 in config.figures:
        sets = []
        if config.mnist:
            data_dir = ctx.path("sec5", "data_mnist")
            if not os.path.isfile(os.path.join(data_dir, "manifest.json")):
                import_mnist(os.path.abspath(config.mnist), data_dir, split="train", limit=MNIST_LIMIT[config.scale])
            sets.append(("mnist", data_dir, "Fig. 6 on MNIST"))
        else:
            result["fig6"]["mnist_skipped"] = (
                "no MNIST files given (--mnist=DIR with the four IDX files, or mnist.npz); nothing is downloaded"
            )
        data_dir = ctx.dataset("data_xy", DATA_FLAGS[config.scale]["xy"], ctx.path("sec5", "data_xy"))
        sets.append(("xy", data_dir, "Fig. 6 on XY data"))
        for data_name, data_dir, title in sets:
            metrics, arrays = run_all(data_name, data_dir, [(k, f) for k, _, f in FIG6_RUNS[data_name]])
            result["fig6"][data_name] = metrics
            ctx.figures[title] = figure6(arrays, metrics, title, ctx.path("figures", f"fig6_{data_name}"))
    return result


def planned_runs(config):
    runs = []
    if 5 in config.figures:
        runs += [f"{d}_{p}" for d in ("z3", "potts") for p, _, _, _ in FIG5_RUNS]
    if 6 in config.figures:
        runs += [f"{d}_{k}" for d in (("mnist", "xy") if config.mnist else ("xy",)) for k, _, _ in FIG6_RUNS[d]]
    return runs
