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
MMD_SPREAD_PERCENT = 100 * (MMD_SPREAD - 1)
TC_TOLERANCE = 0.03


def _ran(*betas):
    return lambda runs: all(b in runs for b in betas)


def _axes_hold(r):
    return r["best_abs_corr_m"] >= AXIS_CORR and r["best_abs_corr_ms"] >= AXIS_CORR and r["axis_m"] != r["axis_ms"]


def _phases_hold(r):
    return all(r["generated_fractions"][p] >= EVERY_PHASE_SHARE for p in ("FM", "AFM", "PM"))


def _good_beta100(runs):
    return _phases_hold(runs[100.0]) and _axes_hold(runs[100.0])


def _mmd_spread(r):
    return r["mmd"].get("ratio_spread", float("nan"))


# Each claim reads the sweep's {beta: metrics}; a claim about a beta that was not run is left out.
CLAIMS = cl.Claims()
_AT_100 = _ran(100.0)


@CLAIMS.add(
    "ising.beta100.every_phase", "Fig. 2(c)", "runs[100].generated_fractions", EVERY_PHASE_SHARE, applies=_AT_100
)
def _every_phase(runs):
    """At beta = 100 the generated samples cover all three phases (each >= {threshold:.0%})."""
    return _phases_hold(runs[100.0]), fractions(runs[100.0]["generated_fractions"])


@CLAIMS.add("ising.beta100.axes", "Fig. 3(c), Fig. 4", "runs[100].best_abs_corr_m / _ms", AXIS_CORR, applies=_AT_100)
def _axes(runs):
    """At beta = 100 one latent axis tracks m and another tracks m_s (|corr| >= {threshold} each)."""
    r = runs[100.0]
    evidence = f"|corr(z{r['axis_m']}, m)| = {r['best_abs_corr_m']:.3f}, |corr(z{r['axis_ms']}, m_s)| = "
    return _axes_hold(r), evidence + f"{r['best_abs_corr_ms']:.3f}"


@CLAIMS.add(
    "ising.beta100.perpendicular",
    "Sec. III, |z_FM . z_AFM| ~ 0",
    "runs[100].fm_afm_cos",
    PERPENDICULAR_COS,
    applies=_AT_100,
)
def _perpendicular(runs):
    """At beta = 100 the FM and AFM clusters lie on perpendicular axes (|cos| <= {threshold})."""
    cos = runs[100.0]["fm_afm_cos"]
    return bool(np.isfinite(cos) and cos <= PERPENDICULAR_COS), f"|cos| = {cos:.3f}"


@CLAIMS.add("ising.beta100.mmd_isometry", "Sec. III, Eq. 9", "runs[100].mmd.ratio_spread", MMD_SPREAD, applies=_AT_100)
def _mmd_isometry(runs):
    """MMD distances between P+, P- and P_PM are kept up to one scale factor (latent/input ratios within
    {MMD_SPREAD_PERCENT:.0f}% of each other)."""
    mmd, spread = runs[100.0]["mmd"], _mmd_spread(runs[100.0])
    ratios = ", ".join(f"({k}) {v['ratio']:.4f}" for k, v in mmd.items() if isinstance(v, dict))
    return bool(np.isfinite(spread) and spread <= MMD_SPREAD), f"latent/input ratios {ratios}; max/min {spread:.3f}"


@CLAIMS.add(
    "ising.beta100.tc",
    "(extension of Sec. III)",
    "runs[100].tc.combined",
    TC_TOLERANCE,
    applies=lambda runs: 100.0 in runs and "combined" in runs[100.0]["tc"],
)
def _tc(runs):
    """The latent order parameter locates Tc = {ISING_CRITICAL_TEMPERATURE:.3f} within {threshold:.0%}."""
    tc = runs[100.0]["tc"]
    deviation = tc["combined_relative_deviation"]
    evidence = f"Tc = {tc['combined']:.3f} ({100 * deviation:.1f}% from {ISING_CRITICAL_TEMPERATURE:.3f})"
    return deviation <= TC_TOLERANCE, evidence


@CLAIMS.add(
    "ising.beta100.local_fields",
    "Sec. IV-A, Eq. 10-11",
    "runs[100].local_fields",
    2.0,
    applies=lambda runs: 100.0 in runs and {"FM", "PM"} <= set(runs[100.0]["local_fields"]),
)
def _local_fields(runs):
    """The decoder's local fields h_k are large and uniform in FM maps and near zero in PM maps."""
    fm, pm = (runs[100.0]["local_fields"][p]["mean_abs_h"] for p in ("FM", "PM"))
    return fm > 2 * pm, f"mean |h|: FM {fm:.2f}, PM {pm:.2f}"


@CLAIMS.add(
    "ising.beta2000.collapse",
    "Fig. 2(d), Fig. 3(d)",
    "runs[2000].rate, generated PM",
    COLLAPSE_PM,
    applies=_ran(2000.0),
)
def _collapse(runs):
    """At beta = 2000 the representation collapses (rate < {COLLAPSE_RATE:g} nat) and only PM is generated
    (>= {threshold:.0%})."""
    rate, pm = runs[2000.0]["rate"], runs[2000.0]["generated_fractions"]["PM"]
    return rate < COLLAPSE_RATE and pm >= COLLAPSE_PM, f"rate {rate:.3f} nat, PM {100 * pm:.1f}%"


def _small_beta_claim(beta):
    def text(runs):
        data_pm = runs[beta]["data_fractions_labels"]["PM"]
        return (
            f"At beta = {beta:g} the PM phase is ignored by the generated samples (PM < "
            f"{100 * SMALL_BETA_PM:.0f}%, the data: {100 * data_pm:.0f}%)."
        )

    @CLAIMS.add(
        f"ising.beta{beta:g}.pm_ignored",
        "Fig. 2(a,b)",
        "generated_fractions.PM",
        SMALL_BETA_PM,
        text=text,
        applies=_ran(beta),
    )
    def decide(runs):
        generated = runs[beta]["generated_fractions"]
        return generated["PM"] < SMALL_BETA_PM, fractions(generated)


_small_beta_claim(1.0)
_small_beta_claim(10.0)


@CLAIMS.add("ising.good_beta", "Sec. IV-B", "runs[100], runs[2000]", applies=_ran(100.0, 2000.0))
def _good_beta(runs):
    """A good beta is a fraction of |J| L^2 / 2 = 512: beta = 100 separates the phases,
    beta = 2000 > 512 does not."""
    good, pm = _good_beta100(runs), runs[2000.0]["generated_fractions"]["PM"]
    evidence = f"beta 100: phases and axes {'hold' if good else 'do not both hold'}; beta 2000: PM {100 * pm:.0f}%"
    return good and pm >= COLLAPSE_PM, evidence


BETA100_CLAIMS = tuple(c for c in CLAIMS if c.id.startswith("ising.beta100."))


def claims(runs):
    """Verdicts of the sweep's claims on {beta: metrics} (beta a number or its string)."""
    return cl.judge(CLAIMS, {float(b): r for b, r in runs.items()})


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
            out.append(
                (
                    "table",
                    ["Tc estimate", "Tc", "bootstrap error", f"deviation from {ISING_CRITICAL_TEMPERATURE:.3f}"],
                    tc_rows,
                )
            )
        out.append(("table", ["MIG factor", "gap / entropy"], [[k, _f(v)] for k, v in r["mig"].items()]))
    return out


# -- the run ------------------------------------------------------------------------------
