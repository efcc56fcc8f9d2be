"""report.md and report.html from reproduce()'s summary: one list of blocks, two renderings.

A block is ("h1" | "h2" | "p", text), ("table", header, rows) or ("img", path,
caption). The header and the claims table are built here; each experiment
module (ising, sec5, fig7, finite_size, seed_study) contributes its own blocks.
"""
import html
import os

from betavae_tf import fileio
from betavae_tf.analysis import fig7, finite_size, ising, sec5, seed_study


def blocks(summary):
    runs = summary["runs"]
    cfg = summary["config"]
    figs = ", ".join(str(f) for f in cfg["figures"])
    ds = summary.get("dataset")
    scale = (f"Scale `{cfg['scale']}`, figures {figs}, seed {cfg['seed']}. " +
             (f"Ising set: {ds['n_samples']:,} samples, L = {ds['lattice_size']}, betas "
              f"{', '.join(f'{b:g}' for b in cfg['betas'])}. " if ds else ""))
    out = [("h1", f"Reproduction of the paper's results (Figs. {figs})"),
           ("p", scale + "Every number below is measured on the whole dataset by the trained models; "
                 f"generated fractions come from {cfg['n_generated']} samples decoded from z ~ N(0, I)."),
           ("h2", "The paper's claims"),
           ("table", ["claim", "where", "verdict", "measured"],
            [[c["claim"], c["source"], f"**{c['verdict']}**", c["evidence"]] for c in summary["claims"]])]
    if runs:
        out += ising.blocks(runs)
    if summary.get("sec5"):
        out += sec5.blocks(summary["sec5"])
    if summary.get("fig7"):
        out += fig7.blocks(summary["fig7"])
    if summary.get("finite_size"):
        out += finite_size.blocks(summary["finite_size"])
    if summary.get("seed_study"):
        out += seed_study.blocks(summary["seed_study"])
    out.append(("h2", "Figures"))
    for caption, path in summary["figures"].items():
        out.append(("img", path, caption))
    timings = summary.get("timings_seconds", {})
    if timings:
        out.append(("p", "Wall time of this call: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
                    + " (a few seconds means a finished run was reused)."))
    return out


def to_markdown(items):
    lines = []
    for item in items:
        kind = item[0]
        if kind in ("h1", "h2"):
            lines += [("# " if kind == "h1" else "## ") + item[1], ""]
        elif kind == "p":
            lines += [item[1], ""]
        elif kind == "table":
            header, rows = item[1], item[2]
            lines.append("| " + " | ".join(str(h) for h in header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
            lines.append("")
        elif kind == "img":
            lines += [f"![{item[2]}]({item[1]})", "", f"*{item[2]}*", ""]
    return "\n".join(lines)


def to_html(items):
    def cell(c):
        text = html.escape(str(c))
        return text.replace("**", "") if not text.startswith("**") else f"<b>{text.strip('*')}</b>"

    body = []
    for item in items:
        kind = item[0]
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{html.escape(item[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{html.escape(item[1]).replace('`', '')}</p>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(str(h))}</th>" for h in item[1])
            rows = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in item[2])
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
        elif kind == "img":
            body.append(f'<figure><img src="{html.escape(item[1])}" style="max-width:100%">'
                        f"<figcaption>{html.escape(item[2])}</figcaption></figure>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #999;padding:3px 6px;font-size:13px}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>betavae_tf reproduction</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(summary, out):
    items = blocks(summary)
    for name, text in (("report.md", to_markdown(items)), ("report.html", to_html(items))):
        fileio.write_text_atomic(os.path.join(out, name), text)
