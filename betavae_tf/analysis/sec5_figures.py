"""The figures of Sec. V (Figs. 5 and 6): latent scatter, generated maps and the cosine-similarity matrix."""

import numpy as np

from betavae_tf.analysis.figures import display_images, save_figure, subplots
from betavae_tf.images import phase_colour, tile


def _scatter(ax, latent, phase, names, dims=(0, 1)):
    for code in np.unique(phase):
        sel = phase == code
        name = names.get(int(code), str(code))
        coords = [latent[sel, d] for d in dims]
        ax.scatter(*coords, s=3, alpha=0.5, label=name, color=phase_colour(name, code))
    ax.legend(markerscale=4, fontsize=7, loc="best")


def _grid(ax, generated, title):
    ax.imshow(tile(display_images(generated[:16]), columns=4, gap=2), interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)


def _scatter_and_samples(axes, arrays, metrics, panel, samples_title):
    """A d_z = 2 latent scatter titled with its k-means purity, and the samples generated from the prior."""
    _scatter(axes[0], arrays["latent"], arrays["phase"], arrays["names"])
    axes[0].set_xlabel("z0")
    axes[0].set_ylabel("z1")
    purity = f"purity {metrics['kmeans_purity']:.3f}"
    axes[0].set_title(f"({panel}) d_z = 2, beta = {metrics['beta']:g}: {purity}", fontsize=9)
    _grid(axes[1], arrays["generated"], samples_title)


def _similarity(ax, fig, arrays, title):
    """The cosine-similarity matrix of a run's codes, sorted by label, with the label blocks marked."""
    sim, labels, names = arrays["similarity"], arrays["similarity_labels"], arrays["names"]
    image = ax.imshow(sim, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    edges = np.flatnonzero(np.diff(labels)) + 0.5
    for e in edges:
        ax.axhline(e, color="k", lw=0.4)
        ax.axvline(e, color="k", lw=0.4)
    starts = np.concatenate([[0], edges + 0.5])
    stops = np.concatenate([edges + 0.5, [len(labels)]])
    ax.set_xticks((starts + stops) / 2 - 0.5)
    ax.set_xticklabels([names.get(int(labels[int(s)]), "?") for s in starts], fontsize=6, rotation=90)
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046)


def figure5(arrays_by_panel, metrics_by_panel, title, path):
    """(b) d_z = 2 scatter and generated m_kd, (c) d_z = 3 scatter in 3-D, (d) d_z = 4 cosine matrix."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(17, 4))
    axes = [
        fig.add_subplot(1, 4, 1),
        fig.add_subplot(1, 4, 2),
        fig.add_subplot(1, 4, 3, projection="3d"),
        fig.add_subplot(1, 4, 4),
    ]
    b, c, d = (arrays_by_panel.get(k) for k in ("b", "c", "d"))
    if b:
        _scatter_and_samples(axes[:2], b, metrics_by_panel["b"], "b", "(b) generated m_kd (RGB = states 0, 1, 2)")
    if c:
        _scatter(axes[2], c["latent"], c["phase"], c["names"], dims=(0, 1, 2))
        m = metrics_by_panel["c"]
        axes[2].set_title(
            f"(c) d_z = 3, beta = {m['beta']:g}: edge ratio {m.get('tetrahedron_ratio', np.nan):.2f}", fontsize=9
        )
    if d:
        m = metrics_by_panel["d"]
        _similarity(axes[3], fig, d, f"(d) d_z = 4, beta = {m['beta']:g}: contrast {m['block_contrast']:.2f}")
    fig.suptitle(title)
    return save_figure(fig, path)


def figure6(arrays_by_run, metrics_by_run, title, path):
    """(a) d_z = 2 latent scatter, (b) its generated samples, (c) d_z = 16 cosine matrix, (d) its samples."""
    fig, axes = subplots(1, 4, figsize=(17, 4))
    a, c = arrays_by_run.get("dz2"), arrays_by_run.get("dz16")
    if a:
        _scatter_and_samples(axes[:2], a, metrics_by_run["dz2"], "a", "(b) generated, d_z = 2")
    if c:
        _similarity(axes[2], fig, c, f"(c) d_z = 16: contrast {metrics_by_run['dz16']['block_contrast']:.2f}")
        _grid(axes[3], c["generated"], "(d) generated, d_z = 16")
    fig.suptitle(title)
    return save_figure(fig, path)
