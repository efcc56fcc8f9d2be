"""Sec. III-IV: the Ising beta sweep (Figs. 2-4): evaluation of one model, the claims, report blocks, the run.

evaluate() measures one trained model on the whole three-phase dataset:
generated phase fractions, correlations of each latent with m and m_s,
axis alignment, the FM-AFM angle, MMD isometry, MIG, local fields and Tc
from the latent. sweep() trains the sweep's betas and draws the figures.
"""

import os

import numpy as np

from betavae_tf import fileio
from betavae_tf import phases as ph
from betavae_tf.analysis import figures as fig_lib
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis import transition
from betavae_tf.analysis.ising_report import BETA100_CLAIMS, CLAIMS, blocks, claims  # noqa: F401
from betavae_tf.analysis.text import fractions
from betavae_tf.models import inference
from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE

BETAS = (1.0, 10.0, 100.0, 2000.0)
SCALES = {
    "quick": ("data/ising_three_phase_quick.flags", "repro/quick.flags"),
    "paper": ("data/ising_three_phase.flags", "repro/paper.flags"),
}


# Thresholds of the claims below (the paper gives none).
def beta_name(beta):
    return f"beta{beta:g}"


def evaluate(model, data, *, n_generated=1000, seed=0, n_bootstrap=200):
    """All metrics of one model on a dataset loaded by load_numpy (every sample).

    Returns (metrics dict of plain numbers, arrays dict for the figures).
    """
    spins = data["samples"]
    m, ms = data["magnetization"], data["staggered_magnetization"]
    phase, temperature = data["phase"], data["temperature"]
    latent, _ = inference.encode(model, spins)
    params, _ = inference.decode_prior(model, n_generated, seed)
    maps, fields = params["probs"][..., 0], params["local_field"][..., 0]
    gen_phase = mt.classify_phase(maps)
    corr = mt.latent_correlations(latent, {"m": m, "ms": ms})
    axis_m, axis_ms, alignment = mt.axis_alignment(corr["pearson"]["m"], corr["pearson"]["ms"])
    distortion, rate, kl_per_dim = inference.mean_terms(model, spins, seed=seed)
    t_grid = np.unique(temperature)
    factors = {
        "phase": phase,
        "sign_m": np.where(phase == ph.FM, np.sign(m), 0).astype(int),
        "sign_ms": np.where(phase == ph.AFM, np.sign(ms), 0).astype(int),
        "temperature_bin": np.searchsorted(t_grid, temperature),
    }
    out = {
        "n_samples": int(len(spins)),
        "distortion": distortion,
        "rate": rate,
        "kl_per_dim": kl_per_dim.tolist(),
        "generated_fractions": mt.phase_fractions(gen_phase),
        "data_fractions_classified": mt.phase_fractions(mt.classify_phase(spins)),
        "data_fractions_labels": {
            name: float(np.mean(phase == code)) for name, code in (("FM", ph.FM), ("AFM", ph.AFM), ("PM", ph.PM))
        },
        "pearson": corr["pearson"],
        "spearman": corr["spearman"],
        "axis_m": int(axis_m),
        "axis_ms": int(axis_ms),
        "alignment": alignment,
        "best_abs_corr_m": float(abs(corr["pearson"]["m"][axis_m])),
        "best_abs_corr_ms": float(abs(corr["pearson"]["ms"][axis_ms])),
        "mig": mt.mutual_information_gap(latent, factors),
        "local_fields": mt.local_field_stats(maps),
        "latent_std": latent.std(axis=0).tolist(),
    }
    try:
        out["fm_afm_cos"] = mt.fm_afm_cosine(latent, phase)
    except ValueError:
        out["fm_afm_cos"] = float("nan")
    out["mmd"] = mt.mmd_isometry(spins, latent, m, phase)
    # Tc from the latent alone: |z| on the axis that tracks m (J > 0 samples)
    # and on the one that tracks m_s (J < 0 samples), against T.
    tc = {}
    coupling = data["coupling"]
    for name, axis, sel in (("from_m_axis", axis_m, coupling > 0), ("from_ms_axis", axis_ms, coupling < 0)):
        if sel.sum() and len(np.unique(temperature[sel])) >= 4:
            value, err, curve = transition.critical_temperature(
                temperature[sel], np.abs(latent[sel, axis]), n_bootstrap=n_bootstrap, seed=seed
            )
            tc[name] = {
                "tc": value,
                "error": err,
                "curve": curve,
                "relative_deviation": abs(value - ISING_CRITICAL_TEMPERATURE) / ISING_CRITICAL_TEMPERATURE,
            }
    finite = [v["tc"] for v in tc.values() if np.isfinite(v["tc"])]
    if finite:
        tc["combined"] = float(np.mean(finite))
        tc["combined_relative_deviation"] = (
            abs(tc["combined"] - ISING_CRITICAL_TEMPERATURE) / ISING_CRITICAL_TEMPERATURE
        )
    out["tc"] = tc
    arrays = {
        "latent": latent,
        "phase": phase,
        "temperature": temperature,
        "coupling": coupling,
        "maps": maps[:16],
        "fields": fields[:16],
        "gen_phase": gen_phase,
    }
    return out, arrays


# -- claims -----------------------------------------------------------------------------
def sweep_betas(config):
    """The betas this reproduction trains: the sweep for Figs. 2-3, beta = 100 alone for Fig. 4."""
    if not any(f in config.figures for f in (2, 3, 4)):
        return ()
    return tuple(config.betas) if (2 in config.figures or 3 in config.figures) else (100.0,)


def three_phase_data(ctx):
    """The three-phase dataset of the scale (generated once), loaded."""
    from betavae_tf.data.pipeline import load_numpy  # TensorFlow: loaded when a run needs it

    data_dir = ctx.dataset("data", SCALES[ctx.config.scale][0], ctx.path("data"))
    return data_dir, load_numpy(data_dir)


NEEDS_THREE_PHASE = True


def applies(config):
    return bool(sweep_betas(config))


def flagfiles(config):
    return list(SCALES[config.scale])


def planned_runs(config):
    return [beta_name(b) for b in sweep_betas(config)]


def run(ctx, shared):
    """The sweep on the three-phase data; leaves its {beta: metrics} in shared["runs"] for the later experiments."""
    data_dir, data = shared["three_phase"]
    runs = sweep(ctx, data_dir, data)["runs"]
    shared["runs"] = runs
    return {f"{b:g}": r for b, r in runs.items()}


def sweep(ctx, data_dir, data):
    """Train and evaluate the sweep; draw Figs. 2-4, the MMD chart and the order parameter vs T.

    Returns {"runs": {beta: metrics}, "models": {beta: model}} (arrays stay here).
    """
    config = ctx.config
    betas = sweep_betas(config)
    runs, arrays, models = {}, {}, {}
    for beta in betas:
        workdir = ctx.path(beta_name(beta))
        model, epochs = ctx.train(beta_name(beta), [SCALES[config.scale][1]], data_dir, workdir, beta=float(beta))
        metrics, arr = evaluate(model, data, n_generated=config.n_generated, seed=config.seed)
        metrics["epochs"] = epochs
        metrics["train_seconds_this_call"] = ctx.timings.get(beta_name(beta))
        metrics["final_train_metrics"] = fileio.read_json(os.path.join(workdir, "result.json"), "training result").get(
            "final", {}
        )
        ctx.save_metrics(workdir, metrics)
        runs[beta], arrays[beta], models[beta] = metrics, arr, model
        ctx.log(
            "beta %g: generated %s; |corr| m %.3f (z%d), m_s %.3f (z%d); rate %.2f",
            beta,
            fractions(metrics["generated_fractions"]),
            metrics["best_abs_corr_m"],
            metrics["axis_m"],
            metrics["best_abs_corr_ms"],
            metrics["axis_ms"],
            metrics["rate"],
        )
    figures_dir = ctx.path("figures")
    if 2 in config.figures:
        ctx.figures["Fig. 2: generated samples"] = fig_lib.figure2(
            {b: arrays[b]["maps"] for b in betas}, os.path.join(figures_dir, "fig2_generated")
        )
    if 3 in config.figures:
        ctx.figures["Fig. 3: latent representations"] = fig_lib.figure3(
            {b: arrays[b]["latent"] for b in betas},
            data["phase"],
            data["temperature"],
            os.path.join(figures_dir, "fig3_latent"),
        )
        ctx.figures["MMD between P+, P- and P_PM"] = fig_lib.mmd_chart(
            {b: runs[b]["mmd"] for b in betas}, os.path.join(figures_dir, "mmd")
        )
    if 100.0 in runs:
        r, model = runs[100.0], models[100.0]
        if 4 in config.figures:
            ctx.figures["Fig. 4: latent traversal"] = fig_lib.figure4(
                lambda z: model.decoder(z, training=False)["probs"].numpy()[..., 0],
                r["axis_m"],
                r["axis_ms"],
                model.config.latent_dim,
                os.path.join(figures_dir, "fig4_traversal"),
                corr_m=r["pearson"]["m"][r["axis_m"]],
                corr_ms=r["pearson"]["ms"][r["axis_ms"]],
            )
        if r["tc"]:
            ctx.figures["Latent order parameter vs T"] = fig_lib.order_parameter_vs_temperature(
                r["tc"], os.path.join(figures_dir, "order_parameter_vs_T")
            )
    return {"runs": runs, "models": models}
