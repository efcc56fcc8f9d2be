"""report.md and report.html from reproduce()'s summary: one list of blocks, two renderings."""
import html
import math
import os

from betavae_tf.analysis import metrics as mt


def _f(x, digits=3):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def _pct(x):
    return f"{100 * x:.1f}%"


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
        out += _sweep_blocks(runs)
    if summary.get("sec5"):
        from betavae_tf.analysis import sec5
        out += sec5.blocks(summary["sec5"])
    if summary.get("fig7"):
        out += _fig7_blocks(summary["fig7"])
    if summary.get("finite_size"):
        fs = summary["finite_size"]
        out.append(("h2", "Tc at several lattice sizes"))
        out.append(("table", ["L", "beta", "epochs", "Tc from m axis", "Tc from m_s axis", "|corr| m / m_s"],
                    [[L, f"{e['beta']:g}", e["epochs"], _f(e["tc"].get("from_m_axis", {}).get("tc")),
                      _f(e["tc"].get("from_ms_axis", {}).get("tc")),
                      f"{_f(e['best_abs_corr_m'])} / {_f(e['best_abs_corr_ms'])}"] for L, e in fs["sizes"].items()]))
        out.append(("table", ["axis", "Tc(inf)", "error", "a (Tc + a/L)", "deviation from 2.269"],
                    [[k, _f(v["tc_inf"]), _f(v["error"]), _f(v["slope"], 2), _pct(v["relative_deviation"])]
                     for k, v in fs["fits"].items()]))
    if summary.get("seed_study"):
        out += _seed_blocks(summary["seed_study"])
    out.append(("h2", "Figures"))
    for caption, path in summary["figures"].items():
        out.append(("img", path, caption))
    timings = summary.get("timings_seconds", {})
    if timings:
        out.append(("p", "Wall time of this call: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
                    + " (a few seconds means a finished run was reused)."))
    return out


def _seed_blocks(study):
    out = [("h2", "beta = 100 across training seeds"),
            ("p", "The beta = 100 run repeated on the same data with other training seeds (initialisation, "
                  f"data order, sampling noise); the claims above are judged at the default seed "
                  f"{study['default_seed']}. Each seed is judged by the same thresholds.")]
    rows = []
    for s, e in study["seeds"].items():
        g = e["generated_fractions"]
        rows.append([s + (" (default)" if int(s) == study["default_seed"] else ""),
                     f"{_f(e['best_abs_corr_m'])} (z{e['axis_m']})", f"{_f(e['best_abs_corr_ms'])} (z{e['axis_ms']})",
                     _f(e["fm_afm_cos"]), " / ".join(_pct(g[p]) for p in ("FM", "AFM", "PM", "mixed")),
                     _f(e["mmd_ratio_spread"]), _f(e["tc"]), _f(e["rate"], 2)])
    out.append(("table", ["seed", "|corr| m", "|corr| m_s", "FM-AFM |cos|", "gen FM / AFM / PM / mixed",
                          "MMD ratio max/min", "Tc (latent)", "rate"], rows))
    out.append(("table", ["claim (beta = 100)", "holds at"],
                [[c["claim"], f"{c['holds_at']} of {c['of']} seeds"] for c in study["claims"]]))
    return out


def _fig7_blocks(fig7):
    from betavae_tf.analysis.fig7 import MEASURES
    out = [("h2", "Fig. 7: beta-VAE and beta^2-VAE, one-phase learning at beta = 100"),
           ("p", "Each model is trained on one phase alone (" + ", ".join(
               f"{p}: J = {v['J']:g}, T = {v['T']:g}" for p, v in fig7["temperatures"].items()) +
            "); configurations sigma are drawn from its decoder at z ~ N(0, I) and compared with the "
            "Monte Carlo data: Wasserstein-1 distance (W1) and means of the energy per site e, |m| and "
            "the nearest-neighbour correlation; specific heat c = N var(e) / T^2 and susceptibility "
            "chi = N (<m^2> - <|m|>^2) / T of each set.")]
    rows = []
    for phase, models in fig7["one_phase"].items():
        for name in ("beta-VAE", "beta^2-VAE"):
            e = models[name]
            f = e["fidelity"]
            beta = e.get("inverse_temperature")
            rows.append([phase, name, _f(f["energy"]["w1"], 4),
                         f"{_f(f['energy']['generated_mean'])} / {_f(f['energy']['data_mean'])}",
                         _f(f["abs_m"]["w1"], 4), f"{_f(f['abs_m']['generated_mean'])} / {_f(f['abs_m']['data_mean'])}",
                         f"{_f(f['nn_correlation']['generated_mean'])} / {_f(f['nn_correlation']['data_mean'])}",
                         f"{_f(f['specific_heat']['generated'], 2)} / {_f(f['specific_heat']['data'], 2)}",
                         f"{_f(f['susceptibility']['generated'], 2)} / {_f(f['susceptibility']['data'], 2)}",
                         f"{_f(beta['mean'])} ± {_f(beta['std_over_sites'])}" if beta else "-"])
        rows.append([phase, "beta^2 closer on", f"{models['beta2_closer_on']} of {len(MEASURES)}", "", "", "", "",
                     "", "", ""])
    out.append(("table", ["phase", "model", "W1 e", "mean e gen / data", "W1 |m|", "mean |m| gen / data",
                          "nn corr gen / data", "c gen / data", "chi gen / data", "beta_k mean ± site spread"],
                rows))
    t = fig7.get("three_phase_beta2")
    if t:
        g = t["generated_fractions"]
        out.append(("p", f"beta^2 head on the three-phase data, beta = 100, {t['epochs']} epochs: |corr| with m "
                         f"{t['best_abs_corr_m']:.3f} (z{t['axis_m']}), with m_s {t['best_abs_corr_ms']:.3f} "
                         f"(z{t['axis_ms']}), FM-AFM |cos| {_f(t['fm_afm_cos'])}, generated " +
                         ", ".join(f"{k} {_pct(v)}" for k, v in g.items()) + f", rate {t['rate']:.2f}."))
    return out


def _sweep_blocks(runs):
    out = []
    header = ["beta", "epochs", "distortion", "rate", "gen FM", "gen AFM", "gen PM", "gen mixed",
              "|corr| z0 m / m_s", "|corr| z1 m / m_s", "alignment", "FM-AFM |cos|",
              "MMD ratio max/min", "MIG", "Tc (latent)"]
    rows = []
    for beta, r in runs.items():
        g = r["generated_fractions"]
        corr = [f"{abs(r['pearson']['m'][i]):.3f} / {abs(r['pearson']['ms'][i]):.3f}"
                for i in range(min(2, len(r["pearson"]["m"])))] + ["n/a"] * (2 - min(2, len(r["pearson"]["m"])))
        tc = r["tc"].get("combined")
        rows.append([beta, r["epochs"], _f(r["distortion"], 1), _f(r["rate"], 2), _pct(g["FM"]),
                     _pct(g["AFM"]), _pct(g["PM"]), _pct(g["mixed"]), *corr, _f(r["alignment"]),
                     _f(r["fm_afm_cos"]), _f(r["mmd"].get("ratio_spread")), _f(r["mig"]["mig"]),
                     _f(tc) if tc is not None else "n/a"])
    out += [("h2", "Per beta"), ("table", header, rows)]
    first = next(iter(runs.values()))
    out.append(("p", "Data phase fractions (labels from the generating T and J): " + ", ".join(
        f"{k} {_pct(v)}" for k, v in first["data_fractions_labels"].items()) +
        "; classified from the configurations with the same thresholds as the generated maps: " +
        ", ".join(f"{k} {_pct(v)}" for k, v in first["data_fractions_classified"].items()) + "."))
    out.append(("p", f"Phase of a map or configuration: FM if |M| >= {mt.ORDERED} and |M_s| < "
                     f"{mt.DISORDERED}, AFM if |M_s| >= {mt.ORDERED} and |M| < {mt.DISORDERED}, PM if "
                     f"both < {mt.DISORDERED}, else mixed (M, M_s: mean of 2 m_k - 1 without and with "
                     "the checkerboard sign). Alignment: 1 when m and m_s each live on one axis alone. "
                     "MMD ratio: latent MMD / input MMD for the pairs (+,-), (+,PM), (-,PM); max/min = 1 "
                     "is an isometry up to one scale factor. MIG over phase, sign of m (FM), sign of "
                     "m_s (AFM) and temperature bin."))
    if "100" in runs:
        r = runs["100"]
        out += [("h2", "beta = 100 in detail")]
        out.append(("table", ["pair", "input MMD", "latent MMD", "latent / input"],
                    [[f"({k})", _f(v["input"], 2), _f(v["latent"], 3), _f(v["ratio"], 4)]
                     for k, v in r["mmd"].items() if isinstance(v, dict)]))
        out.append(("table", ["generated phase", "maps", "mean h", "mean |h|", "spatial std of h"],
                    [[k, v["n"], _f(v["mean_h"], 2), _f(v["mean_abs_h"], 2), _f(v["spatial_std_h"], 2)]
                     for k, v in r["local_fields"].items()]))
        tc_rows = [[name, _f(v["tc"]), _f(v["error"]), _pct(v["relative_deviation"])]
                   for name, v in r["tc"].items() if isinstance(v, dict)]
        if tc_rows:
            out.append(("table", ["Tc estimate", "Tc", "bootstrap error", "deviation from 2.269"], tc_rows))
        out.append(("table", ["MIG factor", "gap / entropy"], [[k, _f(v)] for k, v in r["mig"].items()]))
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
        tmp = os.path.join(out, f".{name}.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(out, name))
