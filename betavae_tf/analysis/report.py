"""report.md and report.html from reproduce()'s summary: one list of blocks, two renderings.

A block is ("h1" | "h2" | "p", text), ("table", header, rows) or ("img", path,
caption; betavae_tf.analysis.render). The header and the claims table are
built here; each experiment of betavae_tf.analysis.experiments contributes its
own blocks, in its report order.
"""

import os

from betavae_tf import fileio
from betavae_tf.analysis import experiments
from betavae_tf.analysis.render import to_html, to_markdown


def blocks(summary):
    cfg = summary["config"]
    figs = ", ".join(str(f) for f in cfg["figures"])
    ds = summary.get("dataset")
    scale = f"Scale `{cfg['scale']}`, figures {figs}, seed {cfg['seed']}. " + (
        f"Ising set: {ds['n_samples']:,} samples, L = {ds['lattice_size']}, betas "
        f"{', '.join(f'{b:g}' for b in cfg['betas'])}. "
        if ds
        else ""
    )
    out = [
        ("h1", f"Reproduction of the paper's results (Figs. {figs})"),
        (
            "p",
            scale + "Every number below is measured on the whole dataset by the trained models; "
            f"generated fractions come from {cfg['n_generated']} samples decoded from z ~ N(0, I).",
        ),
        ("h2", "The paper's claims"),
        (
            "table",
            ["claim", "where", "verdict", "measured"],
            [[c["claim"], c["source"], f"**{c['verdict']}**", c["evidence"]] for c in summary["claims"]],
        ),
    ]
    for experiment, result in experiments.in_report_order(summary):
        out += experiment.blocks(result)
    out.append(("h2", "Figures"))
    for caption, path in summary["figures"].items():
        out.append(("img", path, caption))
    timings = summary.get("timings_seconds", {})
    if timings:
        out.append(
            (
                "p",
                "Wall time of this call: "
                + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
                + " (a few seconds means a finished run was reused).",
            )
        )
    return out


def write_report(summary, out):
    items = blocks(summary)
    for name, text in (("report.md", to_markdown(items)), ("report.html", to_html(items))):
        fileio.write_text_atomic(os.path.join(out, name), text)
