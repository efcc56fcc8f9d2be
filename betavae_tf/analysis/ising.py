"""Sec. III-IV: the Ising beta sweep (Figs. 2-4): evaluation of one model, the claims, report blocks, the run.

evaluate() measures one trained model on the whole three-phase dataset:
generated phase fractions, correlations of each latent with m and m_s,
axis alignment, the FM-AFM angle, MMD isometry, MIG, local fields and Tc
from the latent. run() trains the sweep's betas and draws the figures.
"""

import os

import numpy as np

from betavae_tf import fileio
from betavae_tf import phases as ph
from betavae_tf.analysis import claims as cl
from betavae_tf.analysis import figures as fig_lib
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis import transition
from betavae_tf.analysis.text import fmt_number as _f
from betavae_tf.analysis.text import fractions
from betavae_tf.models import inference
from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE

BETAS = (1.0, 10.0, 100.0, 2000.0)
SCALES = {
    "quick": ("data/ising_three_phase_quick.flags", "repro/quick.flags"),
    "paper": ("data/ising_three_phase.flags", "repro/paper.flags"),
}
# Thresholds of the claims below (the paper gives none).
AXIS_CORR = 0.95
PERPENDICULAR_COS = 0.2
EVERY_PHASE_SHARE = 0.15
COLLAPSE_RATE = 1.0
COLLAPSE_PM = 0.95
SMALL_BETA_PM = 0.10
MMD_SPREAD = 1.25
TC_TOLERANCE = 0.03


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
def _r(beta):
    return lambda runs: runs.get(beta)


_r100, _r2000 = _r(100.0), _r(2000.0)


def _axes_hold(r):
    return r["best_abs_corr_m"] >= AXIS_CORR and r["best_abs_corr_ms"] >= AXIS_CORR and r["axis_m"] != r["axis_ms"]


def _phases_hold(r):
    return all(r["generated_fractions"][p] >= EVERY_PHASE_SHARE for p in ("FM", "AFM", "PM"))


def _small_beta_claim(beta):
    return cl.Claim(
        id=f"ising.beta{beta:g}.pm_ignored",
        source="Fig. 2(a,b)",
        reads="generated_fractions.PM",
        threshold=SMALL_BETA_PM,
        applies=lambda runs: beta in runs,
        text=lambda runs: (
            f"At beta = {beta:g} the PM phase is ignored by the generated samples (PM < "
            f"{100 * SMALL_BETA_PM:.0f}%, the data: "
            f"{100 * runs[beta]['data_fractions_labels']['PM']:.0f}%)."
        ),
        holds=lambda runs: runs[beta]["generated_fractions"]["PM"] < SMALL_BETA_PM,
        evidence=lambda runs: fractions(runs[beta]["generated_fractions"]),
    )


def _good_beta100(runs):
    return _phases_hold(runs[100.0]) and _axes_hold(runs[100.0])


def _mmd_spread(r):
    return r["mmd"].get("ratio_spread", float("nan"))


# Each claim reads the sweep's {beta: metrics}; a claim about a beta that was not run is left out.
CLAIMS = (
    cl.Claim(
        id="ising.beta100.every_phase",
        source="Fig. 2(c)",
        reads="runs[100].generated_fractions",
        threshold=EVERY_PHASE_SHARE,
        applies=lambda runs: 100.0 in runs,
        text=cl.fixed(
            f"At beta = 100 the generated samples cover all three phases (each >= {100 * EVERY_PHASE_SHARE:.0f}%)."
        ),
        holds=lambda runs: _phases_hold(runs[100.0]),
        evidence=lambda runs: fractions(runs[100.0]["generated_fractions"]),
    ),
    cl.Claim(
        id="ising.beta100.axes",
        source="Fig. 3(c), Fig. 4",
        reads="runs[100].best_abs_corr_m / _ms",
        threshold=AXIS_CORR,
        applies=lambda runs: 100.0 in runs,
        text=cl.fixed(f"At beta = 100 one latent axis tracks m and another tracks m_s (|corr| >= {AXIS_CORR} each)."),
        holds=lambda runs: _axes_hold(runs[100.0]),
        evidence=lambda runs: (
            f"|corr(z{runs[100.0]['axis_m']}, m)| = {runs[100.0]['best_abs_corr_m']:.3f}, "
            f"|corr(z{runs[100.0]['axis_ms']}, m_s)| = {runs[100.0]['best_abs_corr_ms']:.3f}"
        ),
    ),
    cl.Claim(
        id="ising.beta100.perpendicular",
        source="Sec. III, |z_FM . z_AFM| ~ 0",
        reads="runs[100].fm_afm_cos",
        threshold=PERPENDICULAR_COS,
        applies=lambda runs: 100.0 in runs,
        text=cl.fixed(
            f"At beta = 100 the FM and AFM clusters lie on perpendicular axes (|cos| <= {PERPENDICULAR_COS})."
        ),
        holds=lambda runs: bool(
            np.isfinite(runs[100.0]["fm_afm_cos"]) and runs[100.0]["fm_afm_cos"] <= PERPENDICULAR_COS
        ),
        evidence=lambda runs: f"|cos| = {runs[100.0]['fm_afm_cos']:.3f}",
    ),
    cl.Claim(
        id="ising.beta100.mmd_isometry",
        source="Sec. III, Eq. 9",
        reads="runs[100].mmd.ratio_spread",
        threshold=MMD_SPREAD,
        applies=lambda runs: 100.0 in runs,
        text=cl.fixed(
            "MMD distances between P+, P- and P_PM are kept up to one scale factor "
            f"(latent/input ratios within {100 * (MMD_SPREAD - 1):.0f}% of each other)."
        ),
        holds=lambda runs: bool(np.isfinite(_mmd_spread(runs[100.0])) and _mmd_spread(runs[100.0]) <= MMD_SPREAD),
        evidence=lambda runs: (
            "latent/input ratios "
            + ", ".join(f"({k}) {v['ratio']:.4f}" for k, v in runs[100.0]["mmd"].items() if isinstance(v, dict))
            + f"; max/min {_mmd_spread(runs[100.0]):.3f}"
        ),
    ),
    cl.Claim(
        id="ising.beta100.tc",
        source="(extension of Sec. III)",
        reads="runs[100].tc.combined",
        threshold=TC_TOLERANCE,
        applies=lambda runs: 100.0 in runs and "combined" in runs[100.0]["tc"],
        text=cl.fixed(f"The latent order parameter locates Tc = 2.269 within {100 * TC_TOLERANCE:.0f}%."),
        holds=lambda runs: runs[100.0]["tc"]["combined_relative_deviation"] <= TC_TOLERANCE,
        evidence=lambda runs: (
            f"Tc = {runs[100.0]['tc']['combined']:.3f} "
            f"({100 * runs[100.0]['tc']['combined_relative_deviation']:.1f}% from "
            f"{ISING_CRITICAL_TEMPERATURE:.3f})"
        ),
    ),
    cl.Claim(
        id="ising.beta100.local_fields",
        source="Sec. IV-A, Eq. 10-11",
        reads="runs[100].local_fields",
        threshold=2.0,
        applies=lambda runs: 100.0 in runs and {"FM", "PM"} <= set(runs[100.0]["local_fields"]),
        text=cl.fixed("The decoder's local fields h_k are large and uniform in FM maps and near zero in PM maps."),
        holds=lambda runs: (
            runs[100.0]["local_fields"]["FM"]["mean_abs_h"] > 2 * runs[100.0]["local_fields"]["PM"]["mean_abs_h"]
        ),
        evidence=lambda runs: (
            f"mean |h|: FM {runs[100.0]['local_fields']['FM']['mean_abs_h']:.2f}, "
            f"PM {runs[100.0]['local_fields']['PM']['mean_abs_h']:.2f}"
        ),
    ),
    cl.Claim(
        id="ising.beta2000.collapse",
        source="Fig. 2(d), Fig. 3(d)",
        reads="runs[2000].rate, generated PM",
        threshold=COLLAPSE_PM,
        applies=lambda runs: 2000.0 in runs,
        text=cl.fixed(
            f"At beta = 2000 the representation collapses (rate < {COLLAPSE_RATE:g} nat) and only "
            f"PM is generated (>= {100 * COLLAPSE_PM:.0f}%)."
        ),
        holds=lambda runs: (
            runs[2000.0]["rate"] < COLLAPSE_RATE and runs[2000.0]["generated_fractions"]["PM"] >= COLLAPSE_PM
        ),
        evidence=lambda runs: (
            f"rate {runs[2000.0]['rate']:.3f} nat, PM {100 * runs[2000.0]['generated_fractions']['PM']:.1f}%"
        ),
    ),
    _small_beta_claim(1.0),
    _small_beta_claim(10.0),
    cl.Claim(
        id="ising.good_beta",
        source="Sec. IV-B",
        reads="runs[100], runs[2000]",
        threshold=None,
        applies=lambda runs: 100.0 in runs and 2000.0 in runs,
        text=cl.fixed(
            "A good beta is a fraction of |J| L^2 / 2 = 512: beta = 100 separates the phases, "
            "beta = 2000 > 512 does not."
        ),
        holds=lambda runs: _good_beta100(runs) and runs[2000.0]["generated_fractions"]["PM"] >= COLLAPSE_PM,
        evidence=lambda runs: (
            f"beta 100: phases and axes "
            f"{'hold' if _good_beta100(runs) else 'do not both hold'}; "
            f"beta 2000: PM {100 * runs[2000.0]['generated_fractions']['PM']:.0f}%"
        ),
    ),
)
BETA100_CLAIMS = tuple(c for c in CLAIMS if c.id.startswith("ising.beta100."))


def claims(runs):
    """Verdicts of the sweep's claims on {beta: metrics}."""
    return cl.judge(CLAIMS, runs)


# -- report blocks ----------------------------------------------------------------------
def _pct(x):
    return f"{100 * x:.1f}%"


def blocks(runs):
    """Report blocks: a table per beta and the beta = 100 details. runs: {"100": metrics, ...}."""
    out = []
    header = [
        "beta",
        "epochs",
        "distortion",
        "rate",
        "gen FM",
        "gen AFM",
        "gen PM",
        "gen mixed",
        "|corr| z0 m / m_s",
        "|corr| z1 m / m_s",
        "alignment",
        "FM-AFM |cos|",
        "MMD ratio max/min",
        "MIG",
        "Tc (latent)",
    ]
    rows = []
    for beta, r in runs.items():
        g = r["generated_fractions"]
        corr = [
            f"{abs(r['pearson']['m'][i]):.3f} / {abs(r['pearson']['ms'][i]):.3f}"
            for i in range(min(2, len(r["pearson"]["m"])))
        ] + ["n/a"] * (2 - min(2, len(r["pearson"]["m"])))
        tc = r["tc"].get("combined")
        rows.append(
            [
                beta,
                r["epochs"],
                _f(r["distortion"], 1),
                _f(r["rate"], 2),
                _pct(g["FM"]),
                _pct(g["AFM"]),
                _pct(g["PM"]),
                _pct(g["mixed"]),
                *corr,
                _f(r["alignment"]),
                _f(r["fm_afm_cos"]),
                _f(r["mmd"].get("ratio_spread")),
                _f(r["mig"]["mig"]),
                _f(tc) if tc is not None else "n/a",
            ]
        )
    out += [("h2", "Per beta"), ("table", header, rows)]
    first = next(iter(runs.values()))
    out.append(
        (
            "p",
            "Data phase fractions (labels from the generating T and J): "
            + ", ".join(f"{k} {_pct(v)}" for k, v in first["data_fractions_labels"].items())
            + "; classified from the configurations with the same thresholds as the generated maps: "
            + ", ".join(f"{k} {_pct(v)}" for k, v in first["data_fractions_classified"].items())
            + ".",
        )
    )
    out.append(
        (
            "p",
            f"Phase of a map or configuration: FM if |M| >= {mt.ORDERED} and |M_s| < "
            f"{mt.DISORDERED}, AFM if |M_s| >= {mt.ORDERED} and |M| < {mt.DISORDERED}, PM if "
            f"both < {mt.DISORDERED}, else mixed (M, M_s: mean of 2 m_k - 1 without and with "
            "the checkerboard sign). Alignment: 1 when m and m_s each live on one axis alone. "
            "MMD ratio: latent MMD / input MMD for the pairs (+,-), (+,PM), (-,PM); max/min = 1 "
            "is an isometry up to one scale factor. MIG over phase, sign of m (FM), sign of "
            "m_s (AFM) and temperature bin.",
        )
    )
    if "100" in runs:
        r = runs["100"]
        out += [("h2", "beta = 100 in detail")]
        out.append(
            (
                "table",
                ["pair", "input MMD", "latent MMD", "latent / input"],
                [
                    [f"({k})", _f(v["input"], 2), _f(v["latent"], 3), _f(v["ratio"], 4)]
                    for k, v in r["mmd"].items()
                    if isinstance(v, dict)
                ],
            )
        )
        out.append(
            (
                "table",
                ["generated phase", "maps", "mean h", "mean |h|", "spatial std of h"],
                [
                    [k, v["n"], _f(v["mean_h"], 2), _f(v["mean_abs_h"], 2), _f(v["spatial_std_h"], 2)]
                    for k, v in r["local_fields"].items()
                ],
            )
        )
        tc_rows = [
            [name, _f(v["tc"]), _f(v["error"]), _pct(v["relative_deviation"])]
            for name, v in r["tc"].items()
            if isinstance(v, dict)
        ]
        if tc_rows:
            out.append(("table", ["Tc estimate", "Tc", "bootstrap error", "deviation from 2.269"], tc_rows))
        out.append(("table", ["MIG factor", "gap / entropy"], [[k, _f(v)] for k, v in r["mig"].items()]))
    return out


# -- the run ------------------------------------------------------------------------------
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


def run(ctx, data_dir, data):
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
