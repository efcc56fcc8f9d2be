"""Images of a model's output: sample grids and latent scatter plots."""

import io

import numpy as np

from betavae_tf import phases as ph

PHASE_COLOURS = {"FM": "tab:blue", "AFM": "tab:red", "PM": "tab:gray", "unknown": "black"}


def tile(images, columns=4, gap=1, fill=1.0):
    """[N, H, W, C] in [0, 1] -> one [rows*(H+gap)-gap, cols*(W+gap)-gap, C] mosaic."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w, c = images.shape
    rows = -(-n // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, c), fill, np.float32)
    for k in range(n):
        r, q = divmod(k, columns)
        out[r * (h + gap) : r * (h + gap) + h, q * (w + gap) : q * (w + gap) + w] = images[k]
    return out


def displayable(params_mean):
    """The head's mean parameter as an image: 1 channel gray, 3 channels RGB, else channel 0."""
    m = np.asarray(params_mean, dtype=np.float32)
    if m.shape[-1] in (1, 3):
        return np.clip(m, 0.0, 1.0)
    return np.clip(m[..., :1], 0.0, 1.0)


def generated_grid(model, n=16, seed=0):
    """Mean parameters (m_k, Fig. 2's convention) decoded from n prior draws z ~ N(0, I), tiled."""
    from betavae_tf.models import inference

    params, _ = inference.decode_prior(model, n, seed)
    return tile(displayable(inference.mean_of(model, params)))


def phase_colour(name, code):
    """Fig. 3's colours for the Ising phases, matplotlib's tab10 cycle for other labels."""
    return PHASE_COLOURS.get(name, f"C{int(code) % 10}")


def latent_scatter_png(latent, phases, title="", phase_names=None, temperature=None):
    """PNG bytes of the first two latent coordinates coloured by phase (Fig. 3 style).

    phase_names: {code: name} of the labels (default: the Ising phases). Data
    without phase labels (imported configurations) are coloured by their
    temperature instead, when they have one.
    """
    phase_names = ph.names(ph.ISING) if phase_names is None else phase_names
    from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone

    latent = np.asarray(latent, dtype=np.float64)
    phases = np.asarray(phases)
    x = latent[:, 0]
    y = latent[:, 1] if latent.shape[1] > 1 else np.zeros_like(x)
    fig = Figure(figsize=(4, 4), dpi=80)
    ax = fig.subplots()
    labelled = any(phase_names.get(int(code), "unknown") != "unknown" for code in np.unique(phases))
    t = None if temperature is None else np.asarray(temperature, dtype=np.float64)
    if not labelled and t is not None and np.isfinite(t).any():
        points = ax.scatter(x, y, s=3, alpha=0.8, c=t, cmap="coolwarm")
        fig.colorbar(points, ax=ax, label="T")
    else:
        for code in np.unique(phases):
            name = phase_names.get(int(code), "unknown")
            sel = phases == code
            ax.scatter(x[sel], y[sel], s=3, alpha=0.6, label=name, color=phase_colour(name, code))
        ax.legend(loc="best", markerscale=3, fontsize=8)
    ax.set_xlabel("z0")
    ax.set_ylabel("z1" if latent.shape[1] > 1 else "")
    ax.set_title(title)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    return buf.getvalue()
