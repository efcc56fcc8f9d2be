"""Fig. 7 and Sec. VI: one-phase learning with the beta-VAE, the beta^2-VAE and the autoregressive head.

For a one-phase data set (one J, one T: FM at T = 2.0, critical at T = 2.269,
PM at T = 3.0) each model's generated configurations (sigma drawn from
p(x|z), z ~ N(0, I)) are compared with the Monte Carlo data on energy, |m|,
nearest-neighbour correlation, specific heat and susceptibility
(analysis.fidelity); the beta^2 head's inverse temperatures beta_k are
summarised per phase. Both factorised heads draw every site independently
given z, so they cannot put correlations between neighbours; the
autoregressive head can. Its samples are then corrected to exact Boltzmann
samples (betavae_tf.sampling: independence Metropolis-Hastings on (x, z),
and importance sampling with the same weights), whose energy is compared
with the exact finite-torus value and whose cost is set against the compiled
Monte Carlo sampler's in the same run. run() also trains the beta^2 and the
autoregressive heads on the three-phase data of Figs. 2-4, to see whether the
latent keeps its meaning.
"""
import os
import time

import numpy as np

from betavae_tf.analysis import claims as cl
from betavae_tf.analysis import fidelity, ising
from betavae_tf.models import inference
from betavae_tf.analysis import figures as fig_lib
from betavae_tf.analysis import metrics as mt
from betavae_tf.analysis.text import fmt_number as _f
from betavae_tf.analysis.text import fractions

MEASURES = ("energy", "abs_m", "nn_correlation", "specific_heat", "susceptibility")
SCALES = {
    "quick": ({"FM": "data/ising_fm_only_quick.flags", "TC": "data/ising_tc_only_quick.flags",
               "PM": "data/ising_pm_only_quick.flags"}, "repro/fig7_quick.flags"),
    "paper": ({"FM": "data/ising_fm_only.flags", "TC": "data/ising_tc_only.flags",
               "PM": "data/ising_pm_only.flags"}, "repro/fig7_paper.flags"),
}
# The autoregressive heads' one-phase runs (more steps at quick scale: see the flagfile).
AR_TRAIN = {"quick": "repro/fig7_autoregressive_quick.flags", "paper": "repro/fig7_paper.flags"}
MODELS = (("beta-VAE", "bernoulli"), ("beta^2-VAE", "temperature"), ("autoregressive", "autoregressive"),
          ("autoregressive_wide", "autoregressive_wide"))
# Fidelity is judged on the wide head (the one built for samples), the latent on the nearest-neighbour head
# (the one built to keep it); the exact correction uses the wide head as its proposal.
AR, ARW = "autoregressive", "autoregressive_wide"
EXACT, SWEEP = "autoregressive_wide + exact", "autoregressive_wide + exact + sweep"
EXACT_VARIANTS = ((EXACT, 0), (SWEEP, 1))   # (row, Metropolis sweeps between the model's proposals)
# The exact correction: chains x measured steps (one batch of model proposals per step), unmeasured steps.
EXACT_SETTINGS = {"quick": dict(n_chains=64, n_steps=200, burn_in=50),  # --exact_steps changes n_steps
                  "paper": dict(n_chains=256, n_steps=1000, burn_in=100)}
AXIS_CORR = 0.95
AR_ENERGY_TOLERANCE = 0.01      # relative, generated vs data energy per site (FM and PM)
AR_NN_TOLERANCE = 0.02          # absolute, nearest-neighbour correlation (PM)
EXACT_SIGMAS = 3.0              # exact chain's energy vs the exact finite-torus value
LATENT_RATE = 0.5               # nat: the autoregressive head must still use z on the three-phase data
LATENT_TC_TOLERANCE = 0.03      # relative deviation of Tc from the latent


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


def exact_entry(model, spins, temperature, coupling, settings, seed=0, n_kept=None):
    """Exact Boltzmann samples with the model as the proposal: fidelity to the data, and the chain's energy
    against the exact finite-torus value (Kaufman)."""
    from betavae_tf import sampling
    from betavae_tf.physics import finite_lattice_energy
    r = sampling.exact_sample(model, temperature=temperature, coupling=coupling, seed=seed, keep_states=True,
                              **settings)
    states = r.states.reshape(-1, *r.states.shape[2:]).astype(np.uint8)
    if n_kept and len(states) > n_kept:
        states = states[np.linspace(0, len(states) - 1, n_kept).astype(int)]
    L = spins.shape[-1]
    exact = float(finite_lattice_energy(L, temperature, coupling))
    energy, error = r.observables["energy"]
    out = {"fidelity": fidelity.compare(states, spins, temperature, coupling), **r.summary(),
           "exact_energy": exact, "energy_deviation_in_errors": float((energy - exact) / error) if error > 0 else None}
    return out, states[:4]


def compiled_reference(L, temperature, coupling, n, seed=0):
    """The compiled sampler (mc_ext, algorithm auto) making n decorrelated configurations, timed."""
    import mc_ext
    from betavae_tf.physics import energy_per_site, magnetization
    start = time.perf_counter()
    samples, info = mc_ext.sample_ising(L, temperature, n, coupling=coupling, seed=seed + 17, return_info=True)
    seconds = time.perf_counter() - start
    m, e = np.abs(magnetization(samples)), energy_per_site(samples, coupling)
    return {"algorithm": info["algorithm"], "n": n, "seconds": seconds, "independent_per_second": n / seconds,
            "spacing": info["spacing"], "tau_int": info["tau_int"],
            "abs_m": (float(m.mean()), float(m.std(ddof=1) / np.sqrt(n))),
            "energy": (float(e.mean()), float(e.std(ddof=1) / np.sqrt(n)))}


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


def _relative_energy(result, phase, head=ARW):
    f = result["one_phase"][phase][head]["fidelity"]["energy"]
    return abs(f["generated_mean"] - f["data_mean"]) / abs(f["data_mean"])


def _nn_gap(result, phase, head=ARW):
    f = result["one_phase"][phase][head]["fidelity"]["nn_correlation"]
    return abs(f["generated_mean"] - f["data_mean"])


def _has_ar(result):
    return {"FM", "PM"} <= set(result["one_phase"]) and all(ARW in result["one_phase"][p] for p in ("FM", "PM"))


def _exact_evidence(result, variant=EXACT, phases=None):
    parts = []
    for phase, models in result["one_phase"].items():
        e = models.get(variant)
        if e and (phases is None or phase in phases):
            energy, error = e["observables"]["energy"]
            parts.append(f"{phase} (T = {e['temperature']:g}): {energy:.4f} +- {error:.4f} vs {e['exact_energy']:.4f}, "
                         f"acceptance {e['acceptance']:.3f}, ESS {e['ess']:.1f} of {e['n_proposals']}")
    return "; ".join(parts)


def _exact_holds(result, variant=EXACT, phases=None):
    entries = [m[variant] for p, m in result["one_phase"].items() if variant in m and (phases is None or p in phases)]
    return bool(entries) and all(e["energy_deviation_in_errors"] is not None
                                 and abs(e["energy_deviation_in_errors"]) <= EXACT_SIGMAS
               for e in entries)


def _latent(result):
    return result["three_phase_autoregressive"]


def _latent_tc(entry):
    """(Tc, the largest relative deviation over the couplings) from the distance to the disordered codes
    (latent_transition): every coupling's transition must be within the tolerance, not only their mean."""
    from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE
    t = entry.get("latent_transition") or {}
    per = [v["tc"] for v in t.get("by_coupling", {}).values()] or [t.get("tc", np.nan)]
    if not per or not all(np.isfinite(per)):
        return np.nan, np.inf
    return t.get("tc", np.nan), max(abs(v - ISING_CRITICAL_TEMPERATURE) / ISING_CRITICAL_TEMPERATURE for v in per)


def _logistic_text(v):
    return f" (logistic midpoint {_f(v['logistic']['tc'])})" if "logistic" in v else ""


def _latent_text(entry):
    t = entry.get("latent_transition") or {}
    parts = [f"J = {j}: {_f(v['tc'])} +- {_f(v['error'])}{_logistic_text(v)}"
             for j, v in t.get("by_coupling", {}).items()]
    axis = entry.get("tc", {}).get("combined", entry.get("tc_combined"))
    return (f"{_f(t.get('tc'))} (mean; " + ", ".join(parts)
            + f"; from |z| on the m / m_s axes {_f(axis)})")


CLAIMS += (
    cl.Claim(id="fig7.autoregressive_energy", source="this package (autoregressive head)",
             reads="one_phase.FM/PM.autoregressive_wide.fidelity.energy", threshold=AR_ENERGY_TOLERANCE,
             applies=_has_ar,
             text=cl.fixed(f"The wide autoregressive head's samples have the data's energy per site within "
                           f"{100 * AR_ENERGY_TOLERANCE:g}% in FM (T = 2) and PM (T = 3)."),
             holds=lambda r: all(_relative_energy(r, p) <= AR_ENERGY_TOLERANCE for p in ("FM", "PM")),
             evidence=lambda r: "; ".join(
                 f"{p}: {r['one_phase'][p][ARW]['fidelity']['energy']['generated_mean']:.4f} vs "
                 f"{r['one_phase'][p][ARW]['fidelity']['energy']['data_mean']:.4f} "
                 f"({100 * _relative_energy(r, p):.2f}%; nearest-neighbour head "
                 f"{100 * _relative_energy(r, p, AR):.2f}%)" for p in ("FM", "PM"))),
    cl.Claim(id="fig7.autoregressive_nn", source="this package (autoregressive head)",
             reads="one_phase.PM.autoregressive_wide.fidelity.nn_correlation", threshold=AR_NN_TOLERANCE,
             applies=_has_ar,
             text=cl.fixed(f"In PM (T = 3) the wide autoregressive head's nearest-neighbour correlation is within "
                           f"{AR_NN_TOLERANCE:g} of the data's (the factorised heads give 0)."),
             holds=lambda r: _nn_gap(r, "PM") <= AR_NN_TOLERANCE,
             evidence=lambda r: "; ".join(
                 f"{name} {r['one_phase']['PM'][name]['fidelity']['nn_correlation']['generated_mean']:.4f}"
                 for name in (ARW, AR, "beta-VAE")) + (
                 f" (data {r['one_phase']['PM'][ARW]['fidelity']['nn_correlation']['data_mean']:.4f})")),
    cl.Claim(id="fig7.exact_energy", source="this package (exact sampling with the model as proposal)",
             reads="one_phase.FM/PM.autoregressive + exact", threshold=EXACT_SIGMAS,
             applies=lambda r: all(EXACT in r["one_phase"].get(p, {}) for p in ("FM", "PM")),
             text=cl.fixed(f"With the wide autoregressive model as the proposal of an independence Metropolis-Hastings "
                           f"chain, the energy per site agrees with the exact finite-torus value within "
                           f"{EXACT_SIGMAS:g} standard errors at T = 2 and T = 3."),
             holds=lambda r: _exact_holds(r, EXACT, ("FM", "PM")),
             evidence=lambda r: _exact_evidence(r, EXACT, ("FM", "PM"))),
    cl.Claim(id="fig7.exact_energy_with_sweeps", source="this package (exact sampling with the model as proposal)",
             reads="one_phase.*.autoregressive + exact + sweep", threshold=EXACT_SIGMAS,
             applies=lambda r: any(SWEEP in m for m in r["one_phase"].values()),
             text=cl.fixed(f"With one Metropolis sweep between the model's proposals, the chain's energy per site "
                           f"agrees with the exact finite-torus value within {EXACT_SIGMAS:g} standard errors at "
                           f"every temperature, T = 2.269 included."),
             holds=lambda r: _exact_holds(r, SWEEP), evidence=lambda r: _exact_evidence(r, SWEEP)),
    cl.Claim(id="fig7.autoregressive_latent", source="this package (autoregressive head)",
             reads="three_phase_autoregressive.rate / latent_transition.tc", threshold=LATENT_RATE,
             applies=lambda r: "three_phase_autoregressive" in r,
             text=cl.fixed(f"On the three-phase data at beta = 100 the (nearest-neighbour) autoregressive head still "
                           f"uses its latent (rate > {LATENT_RATE:g} nat) and Tc from the latent (the steepest "
                           f"slope of the mean distance from the disordered codes against T, as betavae-analyze) "
                           f"is within {100 * LATENT_TC_TOLERANCE:g}% of Onsager's for J = +1 and for J = -1."),
             holds=lambda r: (_latent(r)["rate"] > LATENT_RATE
                              and _latent_tc(_latent(r))[1] <= LATENT_TC_TOLERANCE),
             evidence=lambda r: (f"rate {_latent(r)['rate']:.2f} nat, Tc {_latent_text(_latent(r))}; "
                                 f"|corr| with m {_latent(r)['best_abs_corr_m']:.3f}, m_s "
                                 f"{_latent(r)['best_abs_corr_ms']:.3f}" + (
                                     f"; the wide head: rate {r['three_phase_autoregressive_wide']['rate']:.2f}"
                                     if "three_phase_autoregressive_wide" in r else "") + (
                                     f"; the Bernoulli head: rate {r['beta100_bernoulli']['rate']:.2f}, Tc "
                                     f"{_latent_text(r['beta100_bernoulli'])}"
                                     if "rate" in r.get("beta100_bernoulli", {}) else ""))),
)


def claims(result):
    return cl.judge(CLAIMS, result)


def blocks(fig7):
    out = [("h2", "Fig. 7: beta-VAE, beta^2-VAE and the autoregressive head, one-phase learning at beta = 100"),
           ("p", "Each model is trained on one phase alone (" + ", ".join(
               f"{p}: J = {v['J']:g}, T = {v['T']:g}" for p, v in fig7["temperatures"].items()) +
            "); configurations sigma are drawn from its decoder at z ~ N(0, I) and compared with the "
            "Monte Carlo data: Wasserstein-1 distance (W1) and means of the energy per site e, |m| and "
            "the nearest-neighbour correlation; specific heat c = N var(e) / T^2 and susceptibility "
            "chi = N (<m^2> - <|m|>^2) / T of each set. The rows 'autoregressive_wide + exact' hold the "
            "states of Metropolis-Hastings chains that use the wide autoregressive model as their proposal "
            "(exact Boltzmann samples whatever the model's quality; '+ sweep': one Metropolis sweep between "
            "proposals).")]
    rows = []
    for phase, models in fig7["one_phase"].items():
        for name in [n for n, _ in MODELS] + [v for v, _ in EXACT_VARIANTS]:
            if name not in models:
                continue
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
    exact_rows = []
    for phase, models in fig7["one_phase"].items():
        for variant, sweeps in EXACT_VARIANTS:
            e, ref = models.get(variant), models.get("compiled_sampler")
            if not e:
                continue
            energy, error = e["observables"]["energy"]
            m, m_error = e["observables"]["abs_order_parameter"]
            is_energy, is_error = e["importance"]["energy"]
            exact_rows.append([
                phase, f"{e['temperature']:g}", str(sweeps), f"{e['acceptance']:.4f}",
                f"{e['ess']:.1f} / {e['n_proposals']}",
                f"{e['tau_int']['energy']:.1f}", f"{energy:.4f} ± {error:.4f}", f"{e['exact_energy']:.4f}",
                f"{is_energy:.4f} ± {is_error:.4f}", f"{m:.4f} ± {m_error:.4f}",
                f"{ref['abs_m'][0]:.4f} ± {ref['abs_m'][1]:.4f}" if ref else "-",
                f"{e['independent_per_second']:.3g}",
                f"{ref['independent_per_second']:.3g} ({ref['algorithm']})" if ref else "-"])
    if exact_rows:
        out.append(("p", "Exact sampling with the wide autoregressive model as the proposal (independence "
                         "Metropolis-Hastings on (x, z), target exp(-E/T) q(z|x); betavae_tf.sampling), without and "
                         "with one checkerboard Metropolis sweep (and a fresh z ~ q(z|x)) between the model's "
                         "proposals: acceptance "
                         "of the model's proposals, the importance weights' effective sample size (ESS) over all "
                         "proposals, the chains' tau_int of e in steps, e from the chains and from importance "
                         "sampling against the exact finite-torus energy (Kaufman), |m| against the compiled "
                         "sampler's decorrelated samples, and independent samples per "
                         "second (chains x steps / 2 tau_int / seconds) against the compiled Monte Carlo sampler "
                         "making decorrelated samples in the same run."))
        out.append(("table", ["phase", "T", "sweeps", "acceptance", "ESS / proposals", "tau_int(e)", "e chain",
                              "e exact", "e importance", "|m| chain", "|m| compiled", "indep./s model",
                              "indep./s compiled"], exact_rows))
    t = fig7.get("three_phase_beta2")
    if t:
        g = t["generated_fractions"]
        out.append(("p", f"beta^2 head on the three-phase data, beta = 100, {t['epochs']} epochs: |corr| with m "
                         f"{t['best_abs_corr_m']:.3f} (z{t['axis_m']}), with m_s {t['best_abs_corr_ms']:.3f} "
                         f"(z{t['axis_ms']}), FM-AFM |cos| {_f(t['fm_afm_cos'])}, generated " +
                         ", ".join(f"{k} {100 * v:.1f}%" for k, v in g.items()) + f", rate {t['rate']:.2f}."))
    ref = fig7.get("beta100_bernoulli", {})
    def distance_tc(entry):
        t = entry.get("latent_transition")
        if not t:
            return "-"
        return f"{_f(t['tc'])} (" + ", ".join(f"J = {j}: {_f(v['tc'])} ± {_f(v['error'])}{_logistic_text(v)}"
                                             for j, v in t["by_coupling"].items()) + ")"

    rows = [["bernoulli (Figs. 2-4)", _f(ref.get("rate")), _f(ref.get("best_abs_corr_m")),
             _f(ref.get("best_abs_corr_ms")), "-", _f(ref.get("tc_combined")), distance_tc(ref)]] if ref else []
    for head, key in ((AR, "three_phase_autoregressive"), (ARW, "three_phase_autoregressive_wide")):
        t = fig7.get(key)
        if t:
            rows.append([f"{head} ({t['epochs']} epochs)", _f(t["rate"]), _f(t["best_abs_corr_m"]),
                         _f(t["best_abs_corr_ms"]), _f(t["fm_afm_cos"]), _f(t["tc"].get("combined")),
                         distance_tc(t)])
    if len(rows) > 1:
        out.append(("p", "The autoregressive heads on the three-phase data at beta = 100: does the latent keep "
                         "its meaning? The nearest-neighbour head's conditionals are linear in the two neighbours "
                         "drawn before, with couplings from z, so the phase must come from z; the wide head sees "
                         "sites of the same sublattice, which are aligned in FM and AFM alike, and needs no z."))
        out.append(("p", "Tc from the latent, two ways: from |z| on the axes that track m and m_s (Figs. 2-4; it "
                         "assumes a latent axis signed like m) and from the distance to the disordered cluster's "
                         "centre (betavae-analyze, per J: the steepest slope of its mean against T, the logistic "
                         "step's midpoint in brackets). A head whose couplings come from z needs no sign of m "
                         "in z, so only the second measures every head on an equal footing; its codes track the "
                         "nearest-neighbour coupling, which grows over the whole range of T, and a logistic step "
                         "fitted to that puts its midpoint too high."))
        out.append(("table", ["head", "rate (nat)", "|corr| z-m", "|corr| z-m_s", "FM-AFM |cos|",
                              "Tc, |z| on the m / m_s axes", "Tc, distance from the disordered codes"], rows))
    return out


# -- the run ------------------------------------------------------------------------------
def run(ctx, three_phase_dir, three_phase, beta100_bernoulli=None):
    """One-phase beta-VAE, beta^2-VAE and autoregressive head (Fig. 7) with the exact correction, and the
    beta^2 and autoregressive heads on the three-phase data."""
    from betavae_tf.data import read_manifest
    from betavae_tf.data.pipeline import load_numpy
    config = ctx.config
    data_files, train_file = SCALES[config.scale]
    result = {"one_phase": {}, "temperatures": {}}
    arrays_by_phase, samples_by_phase = {}, {}
    for phase, data_file in data_files.items():
        data_dir = ctx.dataset(f"fig7_data_{phase}", data_file, ctx.path("fig7", f"data_{phase.lower()}"))
        manifest = read_manifest(data_dir)
        temperature, coupling = float(manifest["temperatures"][0]), float(manifest["couplings"][0])
        result["temperatures"][phase] = {"T": temperature, "J": coupling}
        spins = load_numpy(data_dir)["samples"]
        samples_by_phase[phase] = {"data": spins[:2]}
        entries = result["one_phase"].setdefault(phase, {})
        for name, decoder in MODELS:
            workdir = ctx.path("fig7", f"{phase.lower()}_{decoder}")
            flagfile = AR_TRAIN[config.scale] if decoder in (AR, ARW) else train_file
            model, epochs = ctx.train(os.path.basename(workdir), [flagfile], data_dir, workdir,
                                      decoder=decoder, beta=100.0)
            start = time.perf_counter()
            entry, arrays = evaluate_one_phase(model, spins, temperature, coupling, config.n_generated, config.seed)
            entry["sampling_seconds"] = time.perf_counter() - start
            entry["epochs"] = epochs
            entries[name] = entry
            samples_by_phase[phase][name] = arrays["samples"][:2]
            if decoder == "temperature":
                arrays_by_phase[phase] = arrays
            if decoder == ARW:
                settings = dict(EXACT_SETTINGS[config.scale])
                if config.exact_steps:
                    settings.update(n_steps=config.exact_steps, burn_in=max(1, config.exact_steps // 4))
                for variant, sweeps in EXACT_VARIANTS:
                    entries[variant], states = exact_entry(model, spins, temperature, coupling,
                                                           {**settings, "local_sweeps": sweeps}, config.seed,
                                                           config.n_generated)
                    samples_by_phase[phase][variant] = states[:2]
                entries["compiled_sampler"] = compiled_reference(spins.shape[-1], temperature, coupling,
                                                                 config.n_generated, config.seed)
                for variant, sweeps in EXACT_VARIANTS:
                    e = entries[variant]
                    ctx.log("fig7 %s (T = %g), %d sweep(s): exact correction acceptance %.4f, ESS %.1f of %d, "
                            "e %.4f +- %.4f (exact %.4f)", phase, temperature, sweeps, e["acceptance"], e["ess"],
                            e["n_proposals"], *e["observables"]["energy"], e["exact_energy"])
        entries["beta2_closer_on"] = closer_count(entries["beta^2-VAE"], entries["beta-VAE"])
        ctx.log("fig7 %s (T = %g): beta_k mean %.3f; beta^2-VAE closer to the data on %d of %d measures", phase,
                temperature, entries["beta^2-VAE"]["inverse_temperature"]["mean"], entries["beta2_closer_on"],
                len(MEASURES))
    ctx.figures["Fig. 7(b): beta^2-VAE samples, h_k and beta_k"] = fig_lib.figure7(
        arrays_by_phase, ctx.path("figures", "fig7_beta2"))
    ctx.figures["Fig. 7 samples: data and every model, per phase"] = fig_lib.figure7_samples(
        samples_by_phase, ctx.path("figures", "fig7_samples"))
    # The beta^2 and autoregressive heads on the three-phase data at beta = 100 (the Fig. 2/3 setting).
    manifest = read_manifest(three_phase_dir)
    for decoder, key in (("temperature", "three_phase_beta2"), (AR, "three_phase_autoregressive"),
                         (ARW, "three_phase_autoregressive_wide")):
        workdir = ctx.path(f"beta100_{decoder}")
        model, epochs = ctx.train(f"beta100_{decoder}", [ising.SCALES[config.scale][1]], three_phase_dir, workdir,
                                  decoder=decoder, beta=100.0)
        metrics, _ = ising.evaluate(model, three_phase, n_generated=config.n_generated, seed=config.seed)
        metrics["epochs"] = epochs
        if decoder != "temperature":
            metrics["latent_transition"] = latent_transition(model, three_phase, manifest, config.seed)
        result[key] = metrics
    if beta100_bernoulli is not None:
        result["beta100_bernoulli"] = {k: beta100_bernoulli[k] for k in ("best_abs_corr_m", "best_abs_corr_ms")}
        result["beta100_bernoulli"]["rate"] = beta100_bernoulli.get("rate")
        result["beta100_bernoulli"]["tc_combined"] = beta100_bernoulli.get("tc", {}).get("combined")
        bernoulli_dir = ctx.path(ising.beta_name(100.0))
        if os.path.isdir(bernoulli_dir):
            from betavae_tf import export
            model, _ = export.model_from_workdir(bernoulli_dir)
            result["beta100_bernoulli"]["latent_transition"] = latent_transition(model, three_phase, manifest,
                                                                                 config.seed)
    return result


def latent_transition(model, data, manifest, seed=0):
    """Tc from the latent by the model-agnostic estimators of betavae-analyze (analysis.discovery), per
    coupling: where the mean distance from the disordered cluster's centre changes fastest with T. Judged
    on the steepest slope read off the data (metrics.steepest_change; "tc", "error"), with the logistic
    step's midpoint beside it ("logistic"); and their mean over couplings with the largest deviation
    from Onsager's Tc.

    The |z_a| estimator of ising.evaluate assumes one latent axis per order parameter, signed like m (or
    m_s), as the factorised heads learn it; a head whose couplings come from z needs no sign in z (the
    first sites drawn choose it) and codes the phase and its strength by position instead, so only a
    distance from the disordered codes measures its order on an equal footing with the other heads. The
    nearest-neighbour head's codes track the nearest-neighbour coupling (the energy), which grows over
    the whole range of T, not a step: the logistic midpoint lands where that long high-T tail puts it,
    while the steepest slope stays at the specific-heat-like peak (for the step-like codes of the
    Bernoulli head the two agree within their errors)."""
    from betavae_tf.analysis import discovery
    from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE
    summary, _ = discovery.analyze_run(model, data, manifest, n_bootstrap=100, seed=seed)
    per = {j: {"tc": v["latent"]["steepest"]["tc"], "error": v["latent"]["steepest"]["error"],
               "logistic": {"tc": v["latent"]["tc"], "error": v["latent"]["error"]}}
           for j, v in summary.get("by_coupling", {}).items()}
    finite = [v["tc"] for v in per.values() if np.isfinite(v["tc"])]
    tc = float(np.mean(finite)) if finite else float("nan")
    worst = (max(abs(t - ISING_CRITICAL_TEMPERATURE) for t in finite) / ISING_CRITICAL_TEMPERATURE
             if finite and len(finite) == len(per) else float("nan"))
    # tc: the mean over couplings; relative_deviation: the largest of the couplings' deviations.
    return {"estimator": "steepest slope of the mean distance from the disordered codes", "by_coupling": per,
            "tc": tc, "n_clusters": summary["n_clusters"], "n_ordered_branches": summary["n_ordered_branches"],
            "relative_deviation": worst}


def planned_runs(config):
    return ([f"fig7_{p.lower()}_{d}" for p in SCALES[config.scale][0] for _, d in MODELS]
            + ["beta100_temperature", f"beta100_{AR}", f"beta100_{ARW}"])
