"""The figures and report blocks of a phase-discovery analysis (betavae_tf.analysis.discovery)."""

import numpy as np

from betavae_tf.analysis import clusters as cl
from betavae_tf.analysis import run_report, scaling
from betavae_tf.analysis.run_report import figure_run  # noqa: F401 - the run's figure, beside the sizes' one
from betavae_tf.analysis.text import fmt_number as f


def figure_sizes(fs, runs, path):
    from betavae_tf.analysis.figures import save_figure, subplots

    first_set = fs["replicates"][0] if fs.get("replicates") else fs  # with seeds: the first set's fits
    collapse = first_set.get("collapse")
    fig, axes = subplots(1, 3 if collapse else 2, figsize=(15 if collapse else 10, 3.8))
    seen = {}
    for run in runs:  # with several seeds, the k-th run of each size is set k
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
        for run in runs:  # the first set: the first run given at each size
            first.setdefault(run["lattice_size"], run)
        tc, inverse_nu, y = collapse["tc"], collapse["inverse_nu"], collapse["y"]
        for L, run in sorted(first.items()):
            curve = run["transition_latent"].get("curve")
            if curve:
                t, m = np.asarray(curve["temperatures"]), np.asarray(curve["mean"])
                x = (t / tc - 1) * L**inverse_nu
                keep = np.abs(x) <= 2 * collapse["window"]
                axes[2].plot(x[keep], m[keep] / m[0] * L**y, "o-", ms=3, label=f"L = {L}")
        axes[2].axvspan(-collapse["window"], collapse["window"], color="0.92", zorder=0)
        axes[2].set_xlabel("(T / Tc - 1) L^(1/nu)")
        axes[2].set_ylabel("<r> / <r>(lowest T) · L^y")
        axes[2].set_title(
            f"collapse{' (set 0)' if fs.get('replicates') else ''}: Tc = {f(tc, 4)}, "
            f"1/nu = {f(inverse_nu, 2)}, y = {f(y, 3)}",
            fontsize=9,
        )
        axes[2].legend(fontsize=7)
    return save_figure(fig, path)


def _crossing_text(c):
    return (
        f"Tc = {f(c['tc'])} ± {f(c['error'])} from "
        + ", ".join(f"{a} / {b}" for a, b in c["used"])
        + (f" (error scaled by {c['scale']:.2f})" if c["scale"] > 1 else "")
    )


def _collapse_text(c):
    return (
        f"Tc = {f(c['tc'], 4)} ± {f(c['error'], 4)}, 1/nu = {f(c['inverse_nu'], 2)} ± {f(c['inverse_nu_error'], 2)}, "
        f"y = {f(c['y'], 3)} ± {f(c['y_error'], 3)} (quality {f(c['quality'], 2)} over {c['n_points']} points)"
    )


def _seeds_text(c):
    return (
        f"{f(c['tc'], 4)} ± {f(c['error'], 4)} (seeds: "
        + ", ".join(f"{f(v, 4)} ± {f(e, 4)}" for v, e in zip(c["values"], c["errors"]))
        + f"; between-seed spread tau {f(c['tau'], 4)}, bootstrap {f(c['bootstrap_error'], 4)})"
    )


def _tc_text(tr):
    """Both estimators of one transition: 'logistic ± e / steepest ± e'."""
    steep = tr.get("steepest") or {}
    return (
        f"{f(tr['tc'])} ± {f(tr['error'])} / {f(steep.get('tc', float('nan')))} ± {f(steep.get('error', float('nan')))}"
    )


def report_blocks(summary):
    out = [("h1", "Phase discovery")]
    out.append(("h2", "Result"))
    for run in summary["runs"]:
        out.append(("p", f"{run['workdir']} (L = {run['lattice_size']}): " + run_report.headline(run)))
    out += [("p", f"**Warning:** {w}") for w in summary.get("warnings", [])]
    out += [
        (
            "p",
            "How it was found, from the configurations and their temperatures only: clusters of the latent "
            "codes (Gaussian mixtures, number by BIC), the disordered cluster (highest mean temperature), ordered "
            f"branches (clusters pointing the same way from it, cosine >= {cl.BRANCH_COSINE}), the latent order "
            "parameter r (distance from the disordered centre) and the transition where its mean against T "
            "changes fastest, by two estimators (bootstrap errors): the midpoint of a logistic step fitted to it, "
            "and the steepest slope read off the data (no fitted shape; a code that tracks the energy rather "
            "than a step pulls the logistic midpoint to high T), next to the same estimators on PCA of the raw "
            "configurations.",
        )
    ]
    rows = []
    for run in summary["runs"]:
        s = run.get("ordered_set", {})
        rows.append(
            [
                run["workdir"],
                run["lattice_size"],
                run["n_clusters"],
                run["n_ordered_branches"],
                f"{f(s.get('max_angular_gap_deg'), 0)} deg / {f(s.get('mean_resultant_length'), 2)}"
                + (" (ring)" if s.get("ring") else ""),
                _tc_text(run["transition_latent"]),
                _tc_text(run["transition_pca"]),
            ]
        )
    out.append(
        (
            "table",
            [
                "run",
                "L",
                "clusters (BIC)",
                "ordered branches",
                "ordered set: largest gap / resultant",
                "Tc from the latent: logistic / steepest",
                "Tc from PCA: logistic / steepest",
            ],
            rows,
        )
    )
    for run in summary["runs"]:
        out.append(("h2", f"{run['workdir']} (L = {run['lattice_size']})"))
        if "by_temperature" in run:
            out.append(
                (
                    "p",
                    f"Per temperature: the mean of r with its standard error, the Binder ratio, the "
                    f"susceptibility (N = {run['lattice_size'] ** 2} sites) and the share of each phase; "
                    f"the code carries {f(run.get('rate'), 2)} nat per configuration.",
                )
            )
            out.append(run_report.temperature_table(run))
        temps = run["temperatures"]
        shown = list(range(0, len(temps), max(1, len(temps) // 8)))
        out.append(
            (
                "table",
                ["cluster", "role", "n", "mean T"] + [f"T={temps[i]:.3g}" for i in shown],
                [
                    [c["cluster"], c["role"], c["n"], f(c["mean_temperature"], 2)]
                    + [f"{100 * c['share_by_temperature'][i]:.0f}%" for i in shown]
                    for c in run["clusters"]
                ],
            )
        )
        if run.get("by_coupling"):
            out.append(
                (
                    "table",
                    ["coupling J", "Tc from the latent: logistic / steepest", "Tc from PCA: logistic / steepest"],
                    [[j, _tc_text(v["latent"]), _tc_text(v["pca"])] for j, v in run["by_coupling"].items()],
                )
            )
        if run["correlations"]:
            keys = sorted({k for v in run["correlations"].values() for k in v})
            out.append(
                (
                    "table",
                    ["observable"] + keys,
                    [[name] + [f(v.get(k)) for k in keys] for name, v in run["correlations"].items()],
                )
            )
    fs = summary.get("finite_size")
    if fs:
        out.append(("h2", "Several lattice sizes"))
        if fs.get("seeds"):
            out.append(
                (
                    "p",
                    f"{fs['seeds']} runs per size (training seeds, the k-th run given at each size forming "
                    "one set): Tc(L) and the crossings below are the first set's; the estimates combined "
                    "over the sets are random-effects means (weights 1 / (bootstrap error^2 + tau^2), tau "
                    "the spread between seeds beyond their bootstrap errors), with tau^2 over the "
                    "effective number of seeds added to the bootstrap error, which the seeds share.",
                )
            )
            out.append(
                (
                    "table",
                    ["L", "Tc(L) from the latent, per seed"],
                    [
                        [L, " / ".join(f(r["tc_latent"][k]) for r in fs["replicates"])]
                        for k, L in enumerate(fs["sizes"])
                    ],
                )
            )
            rows = []
            for j, entry in [("all", fs)] + list((fs.get("by_coupling") or {}).items()):
                for key, name in (
                    ("collapse_seeds", "data collapse"),
                    ("crossing_seeds", "crossings combined"),
                    ("three_size_seeds", "Tc + a L^-x"),
                    ("extrapolation_seeds", "Tc + a/L"),
                ):
                    if key in entry:
                        rows.append([j, name, _seeds_text(entry[key])])
            out.append(("table", ["J", "estimate", "over the seeds"], rows))
            rows = [
                [k, j, _collapse_text(entry["collapse"])]
                for k, rep in enumerate(fs["replicates"])
                for j, entry in [("all", rep)] + list((rep.get("by_coupling") or {}).items())
                if "collapse" in entry
            ]
            if rows:
                out.append(("table", ["seed set", "J", "data collapse"], rows))
        else:
            out.append(
                (
                    "table",
                    ["L", "Tc(L) from the latent"],
                    [[L, f"{f(t)} ± {f(e)}"] for L, t, e in zip(fs["sizes"], fs["tc_latent"], fs["tc_latent_error"])],
                )
            )
        out.append(
            (
                "table",
                ["sizes", "Binder-ratio crossing", "found in"],
                [
                    [
                        f"{c['sizes'][0]} / {c['sizes'][1]}",
                        f"{f(c['tc'])} ± {f(c['error'])}",
                        f"{100 * c['found_in']:.0f}% of resamples",
                    ]
                    for c in fs["crossings"]
                ],
            )
        )
        if "crossing" in fs:
            out.append(
                (
                    "p",
                    "The crossings found in at least "
                    f"{100 * scaling.CROSSING_FOUND:.0f}% of resamples, combined: " + _crossing_text(fs["crossing"]),
                )
            )
        if "extrapolation" in fs:
            e = fs["extrapolation"]
            out.append(("p", f"Tc(L) = Tc + a/L: Tc = {f(e['tc_inf'])} ± {f(e['error'])}, a = {f(e['slope'], 2)}."))
        if "three_size" in fs:
            e = fs["three_size"]
            out.append(
                (
                    "p",
                    f"Tc(L) = Tc + a L^-x through the three largest sizes, x free: Tc = {f(e['tc_inf'])} ± "
                    f"{f(e['error'])}, x = {f(e['exponent'], 2)}.",
                )
            )
        if "collapse" in fs:
            out.append(
                (
                    "p",
                    "Data collapse of the mean of r over all sizes, m(T, L) L^y = F((T / Tc - 1) L^(1/nu)) "
                    f"within |T / Tc - 1| L^(1/nu) <= {f(fs['collapse']['window'], 1)}: "
                    + _collapse_text(fs["collapse"])
                    + ".",
                )
            )
        for j, entry in (fs.get("by_coupling") or {}).items():
            rows = [
                [
                    f"{c['sizes'][0]} / {c['sizes'][1]}",
                    f"{f(c['tc'])} ± {f(c['error'])} (found in {100 * c['found_in']:.0f}% of resamples)",
                ]
                for c in entry["crossings"]
            ]
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


def _tc(tr):
    steep = tr["steepest"]
    return f"{tr['tc']:.4f} +- {tr['error']:.4f} / {steep['tc']:.4f} +- {steep['error']:.4f}"


def console_lines(result):
    """What betavae-analyze prints: warnings, each run's Tc estimates, and the finite-size estimates."""
    out = [f"warning: {w}" for w in result["warnings"]]
    for run in result["runs"]:
        tr = run["transition_latent"]
        method = "logistic midpoint of <r>(T)"
        ref = run.get("reference_tc")
        beside = f"; reference {ref['tc']:.4g}: {run_report.deviation(tr['tc'], tr['error'], ref['tc'])}" if ref else ""
        out.append(f"{run['workdir']}: Tc = {tr['tc']:.4f} +- {tr['error']:.4f} ({method}){beside}")
        out.append(
            f"{run['workdir']}: {run['n_clusters']} clusters, {run['n_ordered_branches']} ordered branches; "
            f"Tc from the latent (logistic midpoint / steepest slope) {_tc(run['transition_latent'])}, "
            f"from PCA {_tc(run['transition_pca'])}"
        )
    fs = result["finite_size"] or {}
    for c in fs.get("crossings", []):
        out.append(f"L = {c['sizes'][0]} / {c['sizes'][1]}: Binder-ratio crossing at {c['tc']:.4f} +- {c['error']:.4f}")
    names = {
        "crossing": "crossings combined",
        "crossing_seeds": "crossings combined over the seeds",
        "collapse": "data collapse",
        "collapse_seeds": "data collapse over the seeds",
    }
    for j, entry in [("all", fs)] + list((fs.get("by_coupling") or {}).items()):
        for key in (k for k in names if k in entry):
            c = entry[key]
            exponents = f" (1/nu {c['inverse_nu']:.2f}, y {c['y']:.3f})" if key == "collapse" else ""
            out.append(f"J = {j}: {names[key]} {c['tc']:.4f} +- {c['error']:.4f}{exponents}")
    return out
