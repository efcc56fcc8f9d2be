"""Sec. V's claims and report blocks (Figs. 5 and 6), with the thresholds that decide them."""

import numpy as np

from betavae_tf.analysis import claims as cl
from betavae_tf.analysis.text import fmt_number as f
from betavae_tf.physics.xy import XY_BKT_TEMPERATURE

SEPARATE_PURITY = 0.95
EQUAL_SPREAD = 0.10
TETRA_RATIO = 1.5
BLOCK_CONTRAST = 0.5
TRACK_CORR = 0.9
TC_TOLERANCE = 0.03
GENERATED_SHARE = 0.10
MAX_SIMILARITY_SAMPLES = 1500

# (panel, latent dimension, beta, training flagfile) of Fig. 5, as in the caption.


def _fig5(name):
    return lambda r: r.get("fig5", {}).get(name) or {}


def _fig6(name):
    return lambda r: r.get("fig6", {}).get(name)


CLAIMS = cl.Claims()


def _fig5_claims(name, label):
    runs = _fig5(name)

    def has(panel, key):
        return lambda r: key in runs(r).get(panel, {})

    def add(claim, source, reads, threshold, applies):
        return CLAIMS.add(f"sec5.{name}.{claim}", source, reads, threshold, applies=applies, label=label)

    @add("separate", "Fig. 5(b-d), Sec. V-A", "kmeans_purity", SEPARATE_PURITY, lambda r: bool(runs(r)))
    def separate(r):
        """The multinomial decoder separates the four phases in the latent space for d_z = 2, 3 and 4 (k-means
        purity >= {threshold}), {label}."""
        purities = {p: x["kmeans_purity"] for p, x in runs(r).items()}
        evidence = ", ".join(f"({p}) {v:.3f}" for p, v in purities.items())
        return all(v >= SEPARATE_PURITY for v in purities.values()), evidence

    @add("generated", "Fig. 5(b)", "b.generated_fractions", GENERATED_SHARE, has("b", "generated_fractions"))
    def generated(r):
        """d_z = 2: the decoder generates every phase (PM and each polarized phase >= {threshold:.0%} of samples
        decoded from the prior), {label}."""
        g = runs(r)["b"]["generated_fractions"]
        polarized = [v for k, v in g.items() if k.startswith("FM_")] + [g.get("PM", 0)]
        return min(polarized) >= GENERATED_SHARE, ", ".join(f"{k} {100 * v:.0f}%" for k, v in g.items())

    @add(
        "equal_distances",
        "Fig. 5(c)",
        "c.polarized_distance_spread",
        EQUAL_SPREAD,
        has("c", "polarized_distance_spread"),
    )
    def equal_distances(r):
        """d_z = 3: the three polarized clusters are equally far from the disordered one (spread <=
        {threshold:.0%}), {label}."""
        c = runs(r)["c"]
        distances = ", ".join(f"{d:.2f}" for d in c["polarized_to_pm_distances"])
        spread = c["polarized_distance_spread"]
        return spread <= EQUAL_SPREAD, f"distances {distances}; spread {spread:.3f}"

    @add("tetrahedron", "Fig. 5(c)", "c.tetrahedron_ratio", TETRA_RATIO, has("c", "tetrahedron_ratio"))
    def tetrahedron(r):
        """d_z = 3: the four cluster centres sit on a tetrahedron (longest/shortest edge <= {threshold}), {label}."""
        ratio, volume = runs(r)["c"]["tetrahedron_ratio"], runs(r)["c"]["tetrahedron_volume"]
        return ratio <= TETRA_RATIO, f"edge ratio {ratio:.3f}, volume / regular {volume:.3f}"

    @add("block_diagonal", "Fig. 5(d)", "d.block_contrast", BLOCK_CONTRAST, lambda r: "d" in runs(r))
    def block_diagonal(r):
        """d_z = 4: the cosine-similarity matrix is approximately block diagonal (within - across >= {threshold}),
        {label}."""
        return _blocks(runs(r)["d"], contrast=True)


def _blocks(run, contrast=False):
    """(within - across >= BLOCK_CONTRAST, the cosine similarities within and across the class blocks)."""
    evidence = f"within {run['cosine_within']:.3f}, across {run['cosine_across']:.3f}"
    return run["block_contrast"] >= BLOCK_CONTRAST, evidence + (
        f", contrast {run['block_contrast']:.3f}" if contrast else ""
    )


def _best_tracking(r):
    runs = _fig5("potts")(r)
    return max(runs.items(), key=lambda kv: abs(kv[1]["corr_radius_order_parameter"]))


def _tracks(run):
    t = run["transition_from_latent"]
    return (
        abs(run["corr_radius_order_parameter"]) >= TRACK_CORR
        and np.isfinite(t["tc"])
        and abs(t["tc"] - t["reference"]) <= TC_TOLERANCE * t["reference"]
    )


_fig5_claims("z3", "synthetic Z3 data")
_fig5_claims("potts", "q = 3 Potts data (our extension)")


@CLAIMS.add(
    "sec5.potts.tracks_order",
    "our extension of Sec. V-A",
    "corr_radius_order_parameter, transition_from_latent",
    TRACK_CORR,
    applies=lambda r: bool(_fig5("potts")(r)),
)
def _tracks_order(r):
    """Potts: the latent distance from the disordered cluster tracks the Potts order parameter |M|
    (|corr| >= {TRACK_CORR}) and locates Tc within {TC_TOLERANCE:.0%}."""
    key, run = _best_tracking(r)
    t = run["transition_from_latent"]
    return _tracks(run), (
        f"best ({key}): corr {run['corr_radius_order_parameter']:.3f}; transition at T = {t['tc']:.3f} +- "
        f"{t['error']:.3f} from the latent radius (exact Tc = {t['reference']:.4f}, "
        f"{100 * abs(t['tc'] - t['reference']) / t['reference']:.1f}% off)"
    )


@CLAIMS.add("sec5.mnist.clusters", "Fig. 6(a,c)", "kmeans_purity", applies=lambda r: bool(_fig6("mnist")(r)))
def _mnist_clusters(r):
    """MNIST: images of the same digit cluster together in the latent space, better at d_z = 16 than at
    d_z = 2 (k-means purity)."""
    low, high = (_fig6("mnist")(r)[k]["kmeans_purity"] for k in ("dz2", "dz16"))
    return high > low, f"purity d_z = 2 {low:.3f}, d_z = 16 {high:.3f}"


@CLAIMS.add(
    "sec5.mnist.blocks", "Fig. 6(c)", "dz16.block_contrast", BLOCK_CONTRAST, applies=lambda r: bool(_fig6("mnist")(r))
)
def _mnist_blocks(r):
    """MNIST d_z = 16: the cosine-similarity matrix is divided into blocks by digit (within - across >=
    {threshold})."""
    return _blocks(_fig6("mnist")(r)["dz16"])


@CLAIMS.add(
    "sec5.mnist.not_tested", "Fig. 6", "fig6.mnist_skipped", applies=lambda r: "mnist_skipped" in r.get("fig6", {})
)
def _mnist_skipped(r):
    """MNIST (Fig. 6)"""
    return None, r["fig6"]["mnist_skipped"]


@CLAIMS.add(
    "sec5.xy.angle",
    "our extension of Sec. V-B",
    "dz2.angle_alignment.resultant_length",
    TRACK_CORR,
    applies=lambda r: bool(_fig6("xy")(r)) and "angle_alignment" in _fig6("xy")(r)["dz2"],
)
def _xy_angle(r):
    """XY, Gaussian decoder, d_z = 2: in the ordered (QLRO) samples the latent angle about the PM centre follows
    the direction of the magnetization, up to one global rotation or reflection (mean resultant length >=
    {threshold})."""
    run = _fig6("xy")(r)["dz2"]
    a = run["angle_alignment"]
    mx, my = np.abs(run["corr_mx"]), np.abs(run["corr_my"])
    return a["resultant_length"] >= TRACK_CORR, (
        f"R = {a['resultant_length']:.3f} over {a['n_samples']} samples "
        f"({'reflection' if a['reflection'] else 'rotation'} by {np.degrees(a['offset']):.0f} deg); per-axis "
        f"|corr| with m_x {', '.join(f'{v:.2f}' for v in mx)}, with m_y {', '.join(f'{v:.2f}' for v in my)} "
        "(no axis is preferred: the prior and the data are rotation invariant)"
    )


@CLAIMS.add(
    "sec5.xy.crossover",
    "our extension of Sec. V-B",
    "dz2.transition_from_latent",
    reported=True,
    applies=lambda r: bool(_fig6("xy")(r)) and "transition_from_latent" in _fig6("xy")(r)["dz2"],
    t_bkt=XY_BKT_TEMPERATURE,
)
def _xy_crossover(r):
    """XY d_z = 2: the latent distance from the disordered cluster tracks |m| and puts the crossover near
    T_BKT = {t_bkt:.3f} (a finite-size crossover, reported, not judged)."""
    run = _fig6("xy")(r)["dz2"]
    t = run["transition_from_latent"]
    evidence = f"corr(radius, |m|) {run['corr_radius_order_parameter']:.3f}; crossover at T = {t['tc']:.3f} +- "
    return None, evidence + f"{t['error']:.3f}"


def claims(sec5):
    """The paper's Sec. V claims (and ours for Potts and XY) with the deciding numbers."""
    return cl.judge(CLAIMS, sec5)


def blocks(sec5):
    """Report blocks (see report.py) for Figs. 5 and 6."""

    out = []
    for fig_key, title in (("fig5", "Fig. 5: multinomial decoder"), ("fig6", "Fig. 6: Gaussian decoder")):
        section = sec5.get(fig_key) or {}
        for data_name, runs in section.items():
            if not isinstance(runs, dict):
                continue
            out.append(("h2", f"{title} on {data_name}"))
            rows = []
            for key, r in runs.items():
                gen = r.get("generated_fractions")
                rows.append(
                    [
                        key,
                        r["latent_dim"],
                        f"{r['beta']:g}",
                        r.get("epochs", "?"),
                        f(r["distortion"], 1),
                        f(r["rate"], 2),
                        f(r["kmeans_purity"]),
                        f(r["block_contrast"]),
                        f(r.get("polarized_distance_spread")),
                        f(r.get("tetrahedron_ratio")),
                        f(r.get("corr_radius_order_parameter")),
                        f((r.get("transition_from_latent") or {}).get("tc")),
                        ", ".join(f"{k} {100 * v:.0f}%" for k, v in gen.items()) if gen else "-",
                    ]
                )
            out.append(
                (
                    "table",
                    [
                        "run",
                        "d_z",
                        "beta",
                        "epochs",
                        "distortion",
                        "rate",
                        "k-means purity",
                        "block contrast",
                        "polarized-PM distance spread",
                        "tetrahedron edge ratio",
                        "corr(radius, order parameter)",
                        "transition T (latent)",
                        "generated",
                    ],
                    rows,
                )
            )
            per_class = {k: r["purity_per_class"] for k, r in runs.items()}
            classes = sorted({c for v in per_class.values() for c in v})
            out.append(
                ("table", ["run"] + classes, [[k] + [f(v.get(c)) for c in classes] for k, v in per_class.items()])
            )
    out.append(
        (
            "p",
            "Purity: k-means (k = number of classes) on the latent means, the share of samples in "
            "their cluster's majority class; per class: the share of a class's samples in clusters "
            "that it dominates. Block contrast: mean cosine similarity within a class block minus "
            "across blocks (at most 1500 samples). Generated: 1000 decoder means at z ~ N(0, I), "
            "polarized (FM_d) when the mean share of state d is >= 0.6, PM when every share < 0.45, "
            "else mixed. Radius: the latent distance from the PM cluster's centre; the transition is "
            "the midpoint of a logistic fit of its mean against T (bootstrap error).",
        )
    )
    return out


# -- the run ------------------------------------------------------------------------------
