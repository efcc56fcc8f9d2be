"""The paper's Ising figures (2-4), an MMD chart and the latent order parameter vs T.

Each function takes arrays, writes PNG and PDF next to each other and returns
the PNG path. Gray scale as in the paper: m_k = 0 white, 1 black, 1/2 gray.
"""

import os

import numpy as np
from matplotlib.lines import Line2D

from betavae_tf import phases as ph
from betavae_tf.images import tile
from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE

PHASE_STYLE = {
    ph.FM: ("FM", "tab:blue"),
    ph.AFM: ("AFM", "tab:red"),
    ph.PM: ("PM", "tab:gray"),
    ph.UNKNOWN: ("unknown", "k"),
}


def subplots(nrows=1, ncols=1, figsize=None, squeeze=True):
    """A Figure without pyplot: the caller's matplotlib backend (e.g. a notebook's) is left alone."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze)


def save_figure(fig, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path + ".png", bbox_inches="tight", dpi=150)
    fig.savefig(path + ".pdf", bbox_inches="tight")
    return path + ".png"


def _panel(letter, beta):
    return f"({letter}) $\\beta$ = {beta:g}"


def figure2(maps_by_beta, path):
    """Fig. 2: 16 generated Bernoulli maps m_k per beta, 4 x 4 in each panel."""
    betas = list(maps_by_beta)
    fig, axes = subplots(1, len(betas), figsize=(2.6 * len(betas), 2.9), squeeze=False)
    for k, (ax, beta) in enumerate(zip(axes[0], betas)):
        grid = tile(np.asarray(maps_by_beta[beta])[:16, ..., None], columns=4, gap=2, fill=np.nan)
        ax.imshow(grid[..., 0], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(_panel("abcdefgh"[k], beta))
        ax.axis("off")
    return save_figure(fig, path)


def figure3(latent_by_beta, phase, temperature, path):
    """Fig. 3: latent means per beta, coloured by phase (top) and by temperature (bottom)."""
    betas = list(latent_by_beta)
    fig, axes = subplots(2, len(betas), figsize=(2.9 * len(betas), 5.6), squeeze=False)
    order = np.random.default_rng(0).permutation(len(phase))  # no phase drawn on top of the others
    for k, beta in enumerate(betas):
        z = np.asarray(latent_by_beta[beta])[order]
        y = z[:, 1] if z.shape[1] > 1 else np.zeros(len(z))
        ax = axes[0, k]
        colours = [PHASE_STYLE.get(int(p), PHASE_STYLE[ph.UNKNOWN])[1] for p in phase[order]]
        ax.scatter(z[:, 0], y, s=2, c=colours, alpha=0.5, linewidths=0)
        ax.set_title(_panel("abcdefgh"[k], beta))
        ax.set_xlabel("$z_0$")
        ax.set_ylabel("$z_1$")
        sc = axes[1, k].scatter(z[:, 0], y, s=2, c=temperature[order], cmap="coolwarm", alpha=0.6, linewidths=0)
        axes[1, k].set_xlabel("$z_0$")
        axes[1, k].set_ylabel("$z_1$")
    handles = [
        Line2D([], [], marker="o", ls="", color=c, label=n)
        for code, (n, c) in PHASE_STYLE.items()
        if code in set(np.unique(phase).tolist())
    ]
    axes[0, -1].legend(handles=handles, loc="upper right", fontsize=7)
    fig.colorbar(sc, ax=axes[1, :].tolist(), label="T / |J|", shrink=0.8)
    return save_figure(fig, path)


def figure4(decode_fn, axis_m, axis_ms, latent_dim, path, corr_m=None, corr_ms=None, n=7, extent=2.5):
    """Fig. 4: maps decoded on a grid of the two order-parameter axes (others at 0).

    decode_fn(z [K, d_z]) -> maps [K, L, L].
    """
    values = np.linspace(-extent, extent, n)
    z = np.zeros((n * n, latent_dim), np.float32)
    for r, vy in enumerate(values[::-1]):
        for c, vx in enumerate(values):
            z[r * n + c, axis_m] = vx
            if axis_ms != axis_m:
                z[r * n + c, axis_ms] = vy
    maps = np.asarray(decode_fn(z))
    grid = tile(maps[..., None], columns=n, gap=2, fill=np.nan)[..., 0]
    fig, ax = subplots(figsize=(5.2, 5.2))
    ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1, extent=(-extent, extent, -extent, extent), interpolation="nearest")
    label_m = f"$z_{axis_m}$: magnetization m" + (f" (corr {corr_m:+.2f})" if corr_m is not None else "")
    label_ms = f"$z_{axis_ms}$: staggered magnetization $m_s$" + (
        f" (corr {corr_ms:+.2f})" if corr_ms is not None else ""
    )
    ax.set_xlabel(label_m)
    ax.set_ylabel(label_ms)
    ax.set_title("decoded $m_k$ across the latent plane, $\\beta$ = 100")
    return save_figure(fig, path)


def mmd_chart(mmd_by_beta, path):
    """MMD between P+, P-, P_PM in input and latent space, each scaled by its (+,PM) value."""
    pairs = ["+,-", "+,PM", "-,PM"]
    betas = [b for b in mmd_by_beta if all(p in mmd_by_beta[b] for p in pairs)]
    fig, ax = subplots(figsize=(1.6 + 1.6 * max(len(betas), 1), 3.2))
    width = 0.8 / (len(betas) + 1)
    base = mmd_by_beta[betas[0]] if betas else {}
    x = np.arange(len(pairs))
    if base:
        ax.bar(x, [base[p]["input"] / base["+,PM"]["input"] for p in pairs], width, label="input", color="k")
    for k, beta in enumerate(betas):
        d = mmd_by_beta[beta]
        ax.bar(
            x + (k + 1) * width,
            [d[p]["latent"] / d["+,PM"]["latent"] for p in pairs],
            width,
            label=f"latent, $\\beta$ = {beta:g}",
        )
    ax.set_xticks(x + width * len(betas) / 2, [f"({p})" for p in pairs])
    ax.set_ylabel("MMD / MMD(+, PM)")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def order_parameter_vs_temperature(tc_by_name, path, beta=100):
    """Mean |z| on the m axis (J > 0 samples) and on the m_s axis (J < 0) against T, with Tc."""
    fig, ax = subplots(figsize=(4.6, 3.2))
    for (name, entry), colour in zip(
        ((k, v) for k, v in tc_by_name.items() if isinstance(v, dict)), ("tab:blue", "tab:red")
    ):
        curve = entry["curve"]
        label = {"from_m_axis": "|z| on the m axis, J = +1", "from_ms_axis": "|z| on the m_s axis, J = -1"}[name]
        ax.plot(
            curve["temperatures"],
            curve["mean"],
            "o-",
            color=colour,
            ms=3,
            label=f"{label}: Tc = {entry['tc']:.3f} ± {entry['error']:.3f}",
        )
        ax.axvline(entry["tc"], color=colour, ls=":", lw=1)
    ax.axvline(
        ISING_CRITICAL_TEMPERATURE, color="k", ls="--", lw=1, label=f"exact Tc = {ISING_CRITICAL_TEMPERATURE:.3f}"
    )
    ax.set_xlabel("T / |J|")
    ax.set_ylabel("mean |z|")
    ax.set_title(f"latent order parameter, $\\beta$ = {beta:g}")
    ax.legend(fontsize=6.5)
    return save_figure(fig, path)


def figure7(arrays_by_phase, path):
    """Fig. 7(b): per phase, generated samples, local fields h_k and inverse temperatures beta_k."""
    phases = list(arrays_by_phase)
    n = len(next(iter(arrays_by_phase.values()))["samples"])
    rows = [
        ("samples", "generated $\\sigma$", "gray_r", (0, 1)),
        ("local_field", "$h_k$", "RdBu_r", None),
        ("inverse_temperature", "$\\beta_k$", "viridis", (0, 1)),
    ]
    fig, axes = subplots(
        len(rows) * len(phases), n, figsize=(1.5 * n + 0.8, 1.5 * len(rows) * len(phases)), squeeze=False
    )
    for p, phase in enumerate(phases):
        arr = arrays_by_phase[phase]
        for r, (key, label, cmap, lim) in enumerate(rows):
            row = p * len(rows) + r
            values = np.asarray(arr[key])
            if lim is None:
                bound = float(np.nanmax(np.abs(values))) or 1.0
                lim = (-bound, bound)
            for c in range(n):
                ax = axes[row, c]
                im = ax.imshow(values[c], cmap=cmap, vmin=lim[0], vmax=lim[1], interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
                if c == 0:
                    ax.set_ylabel(f"{phase}\n{label}", fontsize=8)
            fig.colorbar(im, ax=axes[row, :].tolist(), shrink=0.8, pad=0.01)
    return save_figure(fig, path)


def figure7_samples(samples_by_phase, path):
    """One row per phase: two data configurations, then two from each model (sigma in {0, 1})."""
    phases = list(samples_by_phase)
    columns = [(name, k) for name in samples_by_phase[phases[0]] for k in range(2)]
    fig, axes = subplots(
        len(phases), len(columns), figsize=(1.3 * len(columns) + 0.5, 1.5 * len(phases)), squeeze=False
    )
    for p, phase in enumerate(phases):
        for c, (name, k) in enumerate(columns):
            ax = axes[p, c]
            values = np.asarray(samples_by_phase[phase].get(name, []))
            if k < len(values):
                ax.imshow(np.squeeze(values[k]), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if p == 0 and k == 0:
                ax.set_title(name, fontsize=7, loc="left")
            if c == 0:
                ax.set_ylabel(phase, fontsize=8)
    return save_figure(fig, path)


def finite_size_figure(fits, path):
    """Tc(L) from the latent against 1/L with the fit Tc + a/L and Onsager's Tc."""
    fig, ax = subplots(figsize=(4.5, 3.5))
    for (key, fit), colour in zip(fits.items(), ("tab:blue", "tab:red")):
        inv = 1.0 / np.asarray(fit["sizes"], float)
        ax.errorbar(inv, fit["tc"], yerr=fit["tc_error"], fmt="o", color=colour, label=key.replace("_", " "))
        x = np.linspace(0, inv.max() * 1.1, 50)
        ax.plot(x, fit["tc_inf"] + fit["slope"] * x, color=colour, lw=1)
    ax.axhline(
        ISING_CRITICAL_TEMPERATURE, color="k", ls="--", lw=0.8, label=f"Onsager {ISING_CRITICAL_TEMPERATURE:.3f}"
    )
    ax.set_xlabel("1 / L")
    ax.set_ylabel("Tc(L) from the latent")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def display_images(params):
    """Decoder means as images: 3 channels as RGB (m_kd), more as the tab10 colours of the states mixed by
    their probabilities, 2 channels (cos, sin) as hue = angle and value = length, 1 channel gray."""
    from matplotlib.colors import hsv_to_rgb

    p = np.asarray(params, float)
    if p.shape[-1] == 2:
        hue = (np.arctan2(p[..., 1], p[..., 0]) / (2 * np.pi)) % 1.0
        value = np.clip(np.hypot(p[..., 0], p[..., 1]), 0, 1)
        return hsv_to_rgb(np.stack([hue, np.ones_like(hue), value], axis=-1))
    if p.shape[-1] == 3:
        return np.clip(p, 0, 1)
    if p.shape[-1] > 3:  # D one-hot states: each state a colour of matplotlib's tab10 cycle, mixed by m_kd
        from matplotlib import colormaps

        colours = np.asarray(colormaps["tab10"].colors)[np.arange(p.shape[-1]) % 10]
        weights = np.clip(p, 0, None)
        return np.clip(weights @ colours / np.maximum(weights.sum(-1, keepdims=True), 1e-12), 0, 1)
    return np.clip(p[..., :1], 0, 1).repeat(3, axis=-1)
