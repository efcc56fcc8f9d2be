"""What a physicist reads first about one analysed run: the headline Tc, the table per temperature, the figure.

The headline names its estimator: the midpoint of a logistic step fitted to
the mean of the latent order parameter r against T (bootstrap error), with
the steepest slope, the PCA baseline and, when a reference Tc is known (the
dataset's exact value or --known_tc), the deviation from it. The table gives
per temperature <r> +- its standard error, the Binder ratio U, the
susceptibility chi = N (<r^2> - <r>^2) / T and the shares of the phases the
clusters were grouped into.
"""

import math

import numpy as np

from betavae_tf.analysis.text import fmt_number as f


def deviation(value, error, reference):
    if not (math.isfinite(value) and reference):
        return "n/a"
    text = f"{100 * (value - reference) / reference:+.1f}%"
    if error and math.isfinite(error) and error > 0:
        text += f" ({abs(value - reference) / error:.1f} sigma)"
    return text


def headline(run):
    """One sentence: Tc, its estimator and error, the other estimates beside it."""
    tr, pca = run["transition_latent"], run["transition_pca"]
    steep = tr.get("steepest") or {}
    if not math.isfinite(tr["tc"]):
        text = "**Tc could not be located** from the latent order parameter r" + (
            f" ({tr['note']})." if tr.get("note") else " (no logistic step fits <r>(T))."
        )
    else:
        text = (
            f"**Tc = {f(tr['tc'])} ± {f(tr['error'])}** from the latent order parameter r (the midpoint of a "
            f"logistic step fitted to <r>(T); bootstrap error). Steepest slope of <r>(T): "
            f"{f(steep.get('tc', float('nan')))} ± {f(steep.get('error', float('nan')))}."
        )
    text += f" PCA baseline (raw configurations): {f(pca['tc'])} ± {f(pca['error'])}."
    ref = run.get("reference_tc")
    if ref:
        latent, baseline = (deviation(x["tc"], x["error"], ref["tc"]) for x in (tr, pca))
        text += f" Reference Tc = {ref['tc']:.4g} ({ref['source']}): deviation {latent}, PCA {baseline}."
    return text


def temperature_table(run):
    """The report's table per temperature: <r> +- SE, U, chi and the share of each phase."""
    t = run["by_temperature"]
    roles = list(run.get("shares_by_role", {}))
    header = ["T", "n", "<r> ± SE", "Binder U", "chi = N var(r) / T"] + [f"share {r}" for r in roles]
    rows = []
    for i, temperature in enumerate(t["temperature"]):
        rows.append(
            [
                f"{temperature:.4g}",
                t["n"][i],
                f"{t['mean'][i]:.4g} ± {t['standard_error'][i]:.2g}",
                f(t["binder"][i]),
                f"{t['susceptibility'][i]:.4g}",
            ]
            + [f"{100 * run['shares_by_role'][r][i]:.0f}%" for r in roles]
        )
    return ("table", header, rows)


def _role_label(role):
    return role.replace("ordered branch", "ordered").replace("disordered (inside)", "disordered")


def figure_run(summary, arrays, path, title):
    """Six panels: latent means by T, clusters, decoded centres, <r>(T) with errors, U(T), chi(T)."""
    from betavae_tf.analysis.figures import display_images, save_figure, subplots
    from betavae_tf.images import tile

    fig, axes = subplots(2, 3, figsize=(16, 9.5))
    (a, b, c), (d, e, g) = axes
    z, t = arrays.z, arrays.temperature
    y = z[:, 1] if z.shape[1] > 1 else np.zeros(len(z))
    ylabel = "latent mean $z_1$" if z.shape[1] > 1 else "(one latent dimension)"
    scatter = a.scatter(z[:, 0], y, c=t, s=2, cmap="coolwarm", linewidths=0)
    fig.colorbar(scatter, ax=a, label="temperature T")
    a.set(xlabel="latent mean $z_0$", ylabel=ylabel, title="(a) latent means, coloured by T")
    for k in np.unique(arrays.assign):
        cluster = summary["clusters"][k]
        sel = arrays.assign == k
        b.scatter(
            z[sel, 0],
            y[sel],
            s=2,
            linewidths=0,
            label=f"{k}: {_role_label(cluster['role'])}, mean T {f(cluster['mean_temperature'], 2)}",
        )
        centre = arrays.centres[k]
        b.annotate(str(k), (centre[0], centre[1] if len(centre) > 1 else 0.0), fontsize=9, weight="bold")
    b.legend(fontsize=6, markerscale=4)
    b.set(
        xlabel="latent mean $z_0$",
        ylabel=ylabel,
        title=f"(b) {summary['n_clusters']} clusters (BIC), {summary['n_ordered_branches']} ordered branch(es)",
    )
    images = display_images(arrays.decoded_centres)
    columns = min(4, len(images))
    c.imshow(tile(images, columns=columns, gap=2), interpolation="nearest")
    h, w = images.shape[1:3]
    for k, cluster in enumerate(summary["clusters"]):
        row, col = divmod(k, columns)
        c.text(
            col * (w + 2) + 0.5,
            row * (h + 2) + 0.5,
            f"{k}: {_role_label(cluster['role'])}",
            fontsize=6,
            va="top",
            color="black",
            bbox={"facecolor": "white", "alpha": 0.7, "pad": 1, "linewidth": 0},
        )
    c.set_axis_off()
    c.set_title(f"(c) decoded cluster centres (largest mean difference {f(summary.get('decoded_contrast'))})")
    table = summary["by_temperature"]
    temps = np.asarray(table["temperature"])
    tr = summary["transition_latent"]
    d.errorbar(temps, table["mean"], yerr=table["standard_error"], fmt="o-", ms=3, capsize=2, label="latent <r>")
    for ax in (d, e, g):
        if math.isfinite(tr["tc"]):
            ax.axvline(tr["tc"], color="tab:blue", ls=":", label=f"Tc = {f(tr['tc'])} ± {f(tr['error'])}")
            ax.axvspan(tr["tc"] - tr["error"], tr["tc"] + tr["error"], color="tab:blue", alpha=0.1)
        ref = summary.get("reference_tc")
        if ref:
            ax.axvline(ref["tc"], color="k", ls="--", lw=1, label=f"reference {ref['tc']:.4g}")
        ax.set_xlabel("temperature T")
    d.set(ylabel="<r> (distance from the disordered centre)", title="(d) latent order parameter ± standard error")
    pca = summary["transition_pca"].get("curve")
    if pca:
        twin = d.twinx()
        twin.plot(pca["temperatures"], pca["mean"], "s--", ms=3, color="0.4")
        twin.set_ylabel("PCA r (squares, dashed)", color="0.4")
    d.legend(fontsize=7)
    e.plot(temps, table["binder"], "o-", ms=3)
    e.set(ylabel="Binder ratio U = 1 - <r^4> / (3 <r^2>^2)", title="(e) Binder ratio of r")
    g.plot(temps, table["susceptibility"], "o-", ms=3)
    g.set(ylabel="chi = N (<r^2> - <r>^2) / T", title="(f) susceptibility of r")
    if e.get_legend_handles_labels()[0]:  # a Tc or a reference line was drawn
        e.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
