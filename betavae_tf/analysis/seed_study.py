"""The beta = 100 run repeated with other training seeds on the same data: at how many seeds each claim holds.

A seed changes the initialisation, the data order and the sampling noise.
The default seed's run is the sweep's own; every other seed trains in
OUT/seeds/beta100_seed{s}. Each run is judged by the sweep's beta = 100
claims (keyed by claim id), so the report can count verdicts per claim; a
claim a seed could not test counts for no seed. The claims table of the
report stays judged at the default seed.
"""

from betavae_tf.analysis import claims as cl
from betavae_tf.analysis import ising
from betavae_tf.analysis.text import fmt_number as f

NEEDS_THREE_PHASE = True


def applies(config):
    return bool(config.seeds)


def flagfiles(config):
    return []


def claims(study):
    """None of its own: the study counts the sweep's beta = 100 verdicts per seed (blocks shows them)."""
    return []


def run(ctx, shared):
    return study(ctx, *shared["three_phase"], shared.get("runs", {}))


def study(ctx, data_dir, data, sweep_runs):
    config = ctx.config
    per_seed = {}
    for s in sorted(config.seeds):
        if s == config.seed:  # validate() made sure the sweep trained beta = 100
            metrics = sweep_runs[100.0]
        else:
            workdir = ctx.path("seeds", f"beta100_seed{s}")
            model, _ = ctx.train(
                f"beta100_seed{s}", [ising.SCALES[config.scale][1]], data_dir, workdir, beta=100.0, seed=s
            )
            metrics, _ = ising.evaluate(model, data, n_generated=config.n_generated, seed=config.seed)
        verdicts = cl.judge(ising.BETA100_CLAIMS, {100.0: metrics})
        tc = metrics["tc"].get("combined")
        per_seed[str(s)] = {
            "best_abs_corr_m": metrics["best_abs_corr_m"],
            "axis_m": metrics["axis_m"],
            "best_abs_corr_ms": metrics["best_abs_corr_ms"],
            "axis_ms": metrics["axis_ms"],
            "fm_afm_cos": metrics["fm_afm_cos"],
            "generated_fractions": metrics["generated_fractions"],
            "mmd_ratio_spread": metrics["mmd"].get("ratio_spread", float("nan")),
            "rate": metrics["rate"],
            "tc": float("nan") if tc is None else tc,
            "verdicts": {v["id"]: v["verdict"] for v in verdicts},
        }
        ctx.log(
            "seed %d: |corr| m %.3f (z%d), m_s %.3f (z%d), |cos| %.3f",
            s,
            metrics["best_abs_corr_m"],
            metrics["axis_m"],
            metrics["best_abs_corr_ms"],
            metrics["axis_ms"],
            metrics["fm_afm_cos"],
        )
    return {"default_seed": config.seed, "seeds": per_seed, "claims": tally(per_seed)}


def tally(per_seed):
    """Per claim id: at how many seeds it holds, of the seeds that could test it."""
    texts = {c.id: c.text({}) for c in ising.BETA100_CLAIMS}
    ids = list(dict.fromkeys(i for e in per_seed.values() for i in e["verdicts"]))
    out = []
    for claim_id in ids:
        verdicts = [e["verdicts"].get(claim_id) for e in per_seed.values()]
        out.append(
            {
                "id": claim_id,
                "claim": texts.get(claim_id, claim_id),
                "holds_at": verdicts.count(cl.HOLDS),
                "of": verdicts.count(cl.HOLDS) + verdicts.count(cl.FAILS),
            }
        )
    return out


def blocks(study):
    out = [
        ("h2", "beta = 100 across training seeds"),
        (
            "p",
            "The beta = 100 run repeated on the same data with other training seeds (initialisation, "
            f"data order, sampling noise); the claims above are judged at the default seed "
            f"{study['default_seed']}. Each seed is judged by the same thresholds.",
        ),
    ]
    rows = []
    for s, e in study["seeds"].items():
        g = e["generated_fractions"]
        rows.append(
            [
                s + (" (default)" if int(s) == study["default_seed"] else ""),
                f"{f(e['best_abs_corr_m'])} (z{e['axis_m']})",
                f"{f(e['best_abs_corr_ms'])} (z{e['axis_ms']})",
                f(e["fm_afm_cos"]),
                " / ".join(f"{100 * g[p]:.1f}%" for p in ("FM", "AFM", "PM", "mixed")),
                f(e["mmd_ratio_spread"]),
                f(e["tc"]),
                f(e["rate"], 2),
            ]
        )
    out.append(
        (
            "table",
            [
                "seed",
                "|corr| m",
                "|corr| m_s",
                "FM-AFM |cos|",
                "gen FM / AFM / PM / mixed",
                "MMD ratio max/min",
                "Tc (latent)",
                "rate",
            ],
            rows,
        )
    )
    out.append(
        (
            "table",
            ["claim (beta = 100)", "holds at"],
            [[c["claim"], f"{c['holds_at']} of {c['of']} seeds"] for c in study["claims"]],
        )
    )
    return out


def planned_runs(config):
    return [f"seed{s}" for s in config.seeds if s != config.seed]
