"""Fig. 7 and Sec. VI: one-phase learning with the beta-VAE and the beta^2-VAE.

For a one-phase data set (one J, one T) each model's generated configurations
(sigma drawn from p(x|z), z ~ N(0, I)) are compared with the Monte Carlo data
on energy, |m|, nearest-neighbour correlation, specific heat and
susceptibility (analysis.fidelity); the beta^2 head's inverse temperatures
beta_k are summarised per phase. run() also trains the beta^2 head on the
three-phase data of Figs. 2-4 to see whether it keeps the axis-aligned latent.
"""
import os

import numpy as np

from betavae_tf.analysis import claims as cl
from betavae_tf.analysis import fidelity, inference, ising
from betavae_tf.analysis import figures as fig_lib
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis.text import fmt_number as _f
from betavae_tf.analysis.text import fractions

MEASURES = ("energy", "abs_m", "nn_correlation", "specific_heat", "susceptibility")
SCALES = {
    "quick": ({"FM": "data/ising_fm_only_quick.flags", "PM": "data/ising_pm_only_quick.flags"},
              "repro/fig7_quick.flags"),
    "paper": ({"FM": "data/ising_fm_only.flags", "PM": "data/ising_pm_only.flags"}, "repro/fig7_paper.flags"),
}
MODELS = (("beta-VAE", "bernoulli"), ("beta^2-VAE", "temperature"))
AXIS_CORR = 0.95


def evaluate_one_phase(model, spins, temperature, coupling, n_generated=1000, seed=0):
    """Fidelity of the model's samples to one-phase data, and beta_k statistics."""
    generated, params, _ = inference.sample_prior(model, n_generated, seed)
    generated = generated[..., 0].astype(np.uint8)
    params = {k: v[..., 0] for k, v in params.items()}
    out = {"fidelity": fidelity.compare(generated, spins, temperature, coupling),
           "generated_phase_fractions": mt.phase_fractions(mt.classify_phase(generated)),
           "mean_abs_local_field": float(np.abs(params["local_field"]).mean())}
    if "inverse_temperature" in params:
        beta = params["inverse_temperature"]
        out["inverse_temperature"] = {"mean": float(beta.mean()), "std_over_sites": float(beta.std(axis=(1, 2)).mean()),
                                      "std_of_sample_means": float(beta.mean(axis=(1, 2)).std()),
                                      "min": float(beta.min()), "max": float(beta.max())}
    arrays = {"samples": generated[:4], "local_field": params["local_field"][:4],
              "inverse_temperature": params.get("inverse_temperature", np.full_like(params["local_field"], np.nan))[:4]}
    return out, arrays


def distance(entry, measure):
    """One number per measure, smaller = closer to the data: W1 or |relative difference|."""
    f = entry["fidelity"][measure]
    return f["w1"] if "w1" in f else abs(f["relative_diff"])


def closer_count(beta2, beta_vae):
    """How many of MEASURES the beta^2-VAE's samples match better than the beta-VAE's."""
    return sum(distance(beta2, m) < distance(beta_vae, m) for m in MEASURES)


# -- claims -----------------------------------------------------------------------------
def _beta_k(result, phase):
    return result["one_phase"][phase]["beta^2-VAE"]["inverse_temperature"]


def _counts(result):
    return {p: result["one_phase"][p]["beta2_closer_on"] for p in result["one_phase"]}


def _three_phase_evidence(result):
    t, ref = result["three_phase_beta2"], result.get("beta100_bernoulli")
    text = (f"|corr(z{t['axis_m']}, m)| = {t['best_abs_corr_m']:.3f}, |corr(z{t['axis_ms']}, m_s)| = "
            f"{t['best_abs_corr_ms']:.3f}; generated {fractions(t['generated_fractions'])}")
    if ref:
        text += f"; the beta-VAE: {ref['best_abs_corr_m']:.3f} / {ref['best_abs_corr_ms']:.3f}"
    return text


CLAIMS = (
    cl.Claim(id="fig7.beta_k_fm_above_pm", source="Fig. 7(b), Sec. VI",
             reads="one_phase.*.beta^2-VAE.inverse_temperature",
             threshold=None, applies=lambda r: {"FM", "PM"} <= set(r["one_phase"]),
             text=cl.fixed("The beta^2-VAE learns a larger inverse temperature beta_k in FM than in PM."),
             holds=lambda r: _beta_k(r, "FM")["mean"] > _beta_k(r, "PM")["mean"],
             evidence=lambda r: (f"mean beta_k FM {_beta_k(r, 'FM')['mean']:.3f} (site spread "
                                 f"{_beta_k(r, 'FM')['std_over_sites']:.3f}), PM {_beta_k(r, 'PM')['mean']:.3f} "
                                 f"(site spread {_beta_k(r, 'PM')['std_over_sites']:.3f})")),
    cl.Claim(id="fig7.fluctuations", source="Sec. VI (the paper shows this only qualitatively)",
             reads="one_phase.*.beta2_closer_on", threshold=None,
             text=cl.fixed("The beta^2-VAE's samples have the data's thermal fluctuations better than the "
                           "beta-VAE's (closer on most of e, |m|, nn correlation, c, chi in every phase)."),
             holds=lambda r: all(c > len(MEASURES) / 2 for c in _counts(r).values()),
             evidence=lambda r: "; ".join(f"{p}: closer on {c} of {len(MEASURES)}" for p, c in _counts(r).items())),
    cl.Claim(id="fig7.three_phase_axes", source="Sec. VI", reads="three_phase_beta2.best_abs_corr_m / _ms",
             threshold=AXIS_CORR, applies=lambda r: "three_phase_beta2" in r,
             text=cl.fixed(f"On the three-phase data at beta = 100 the beta^2 head keeps one latent axis for m "
                           f"and another for m_s (|corr| >= {AXIS_CORR})."),
             holds=lambda r: (r["three_phase_beta2"]["best_abs_corr_m"] >= AXIS_CORR
                              and r["three_phase_beta2"]["best_abs_corr_ms"] >= AXIS_CORR
                              and r["three_phase_beta2"]["axis_m"] != r["three_phase_beta2"]["axis_ms"]),
             evidence=_three_phase_evidence),
)


def claims(result):
    return cl.judge(CLAIMS, result)


def blocks(fig7):
    out = [("h2", "Fig. 7: beta-VAE and beta^2-VAE, one-phase learning at beta = 100"),
           ("p", "Each model is trained on one phase alone (" + ", ".join(
               f"{p}: J = {v['J']:g}, T = {v['T']:g}" for p, v in fig7["temperatures"].items()) +
            "); configurations sigma are drawn from its decoder at z ~ N(0, I) and compared with the "
            "Monte Carlo data: Wasserstein-1 distance (W1) and means of the energy per site e, |m| and "
            "the nearest-neighbour correlation; specific heat c = N var(e) / T^2 and susceptibility "
            "chi = N (<m^2> - <|m|>^2) / T of each set.")]
    rows = []
    for phase, models in fig7["one_phase"].items():
        for name, _ in MODELS:
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
                         ", ".join(f"{k} {100 * v:.1f}%" for k, v in g.items()) + f", rate {t['rate']:.2f}."))
    return out


# -- the run ------------------------------------------------------------------------------
def run(ctx, three_phase_dir, three_phase, beta100_bernoulli=None):
    """One-phase beta-VAE vs beta^2-VAE (Fig. 7), and the beta^2 head on the three-phase data."""
    from betavae_tf.data import read_manifest
    from betavae_tf.data.pipeline import load_numpy
    config = ctx.config
    data_files, train_file = SCALES[config.scale]
    result = {"one_phase": {}, "temperatures": {}}
    arrays_by_phase = {}
    for phase, data_file in data_files.items():
        data_dir = ctx.dataset(f"fig7_data_{phase}", data_file, ctx.path("fig7", f"data_{phase.lower()}"))
        manifest = read_manifest(data_dir)
        temperature, coupling = float(manifest["temperatures"][0]), float(manifest["couplings"][0])
        result["temperatures"][phase] = {"T": temperature, "J": coupling}
        spins = load_numpy(data_dir)["samples"]
        for name, decoder in MODELS:
            workdir = ctx.path("fig7", f"{phase.lower()}_{decoder}")
            model, epochs = ctx.train(os.path.basename(workdir), [train_file], data_dir, workdir,
                                      extra=[f"--decoder={decoder}", "--beta=100"])
            entry, arrays = evaluate_one_phase(model, spins, temperature, coupling, config.n_generated, config.seed)
            entry["epochs"] = epochs
            result["one_phase"].setdefault(phase, {})[name] = entry
            if decoder == "temperature":
                arrays_by_phase[phase] = arrays
        pair = result["one_phase"][phase]
        pair["beta2_closer_on"] = closer_count(pair["beta^2-VAE"], pair["beta-VAE"])
        ctx.log("fig7 %s (T = %g): beta_k mean %.3f; beta^2-VAE closer to the data on %d of %d measures", phase,
                temperature, pair["beta^2-VAE"]["inverse_temperature"]["mean"], pair["beta2_closer_on"],
                len(MEASURES))
    ctx.figures["Fig. 7(b): beta^2-VAE samples, h_k and beta_k"] = fig_lib.figure7(
        arrays_by_phase, ctx.path("figures", "fig7_beta2"))
    # The beta^2 head on the three-phase data at beta = 100 (the Fig. 2/3 setting).
    workdir = ctx.path("beta100_temperature")
    model, epochs = ctx.train("beta100_temperature", [ising.SCALES[config.scale][1]], three_phase_dir, workdir,
                              extra=["--decoder=temperature", "--beta=100"])
    metrics, _ = ising.evaluate(model, three_phase, n_generated=config.n_generated, seed=config.seed)
    metrics["epochs"] = epochs
    result["three_phase_beta2"] = metrics
    if beta100_bernoulli is not None:
        result["beta100_bernoulli"] = {k: beta100_bernoulli[k] for k in ("best_abs_corr_m", "best_abs_corr_ms")}
    return result


def planned_runs(config):
    return [f"fig7_{p}_{d}" for p in ("fm", "pm") for _, d in MODELS] + ["beta100_temperature"]
