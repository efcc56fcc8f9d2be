"""The beta sweep's claims and report blocks (Figs. 2-4), with the thresholds that decide them."""

import numpy as np

from betavae_tf.analysis import claims as cl
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis.text import fmt_number as _f
from betavae_tf.analysis.text import fractions
from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE

AXIS_CORR = 0.95
PERPENDICULAR_COS = 0.2
EVERY_PHASE_SHARE = 0.15
COLLAPSE_RATE = 1.0
COLLAPSE_PM = 0.95
SMALL_BETA_PM = 0.10
MMD_SPREAD = 1.25
TC_TOLERANCE = 0.03


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
