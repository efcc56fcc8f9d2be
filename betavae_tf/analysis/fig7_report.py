"""Fig. 7's report blocks (its claims and thresholds: fig7_claims.py)."""

from betavae_tf.analysis.fig7_claims import AR, ARW, CLAIMS, EXACT_VARIANTS, MEASURES, MODELS, claims, logistic_text  # noqa: F401
from betavae_tf.analysis.text import fmt_number as _f


def blocks(fig7):
    out = [
        ("h2", "Fig. 7: beta-VAE, beta^2-VAE and the autoregressive head, one-phase learning at beta = 100"),
        (
            "p",
            "Each model is trained on one phase alone ("
            + ", ".join(f"{p}: J = {v['J']:g}, T = {v['T']:g}" for p, v in fig7["temperatures"].items())
            + "); configurations sigma are drawn from its decoder at z ~ N(0, I) and compared with the "
            "Monte Carlo data: Wasserstein-1 distance (W1) and means of the energy per site e, |m| and "
            "the nearest-neighbour correlation; specific heat c = N var(e) / T^2 and susceptibility "
            "chi = N (<m^2> - <|m|>^2) / T of each set. The rows 'autoregressive_wide + exact' hold the "
            "states of Metropolis-Hastings chains that use the wide autoregressive model as their proposal "
            "(exact Boltzmann samples whatever the model's quality; '+ sweep': one Metropolis sweep between "
            "proposals).",
        ),
    ]
    rows = []
    for phase, models in fig7["one_phase"].items():
        for name in [n for n, _ in MODELS] + [v for v, _ in EXACT_VARIANTS]:
            if name not in models:
                continue
            e = models[name]
            f = e["fidelity"]
            beta = e.get("inverse_temperature")
            rows.append(
                [
                    phase,
                    name,
                    _f(f["energy"]["w1"], 4),
                    f"{_f(f['energy']['generated_mean'])} / {_f(f['energy']['data_mean'])}",
                    _f(f["abs_m"]["w1"], 4),
                    f"{_f(f['abs_m']['generated_mean'])} / {_f(f['abs_m']['data_mean'])}",
                    f"{_f(f['nn_correlation']['generated_mean'])} / {_f(f['nn_correlation']['data_mean'])}",
                    f"{_f(f['specific_heat']['generated'], 2)} / {_f(f['specific_heat']['data'], 2)}",
                    f"{_f(f['susceptibility']['generated'], 2)} / {_f(f['susceptibility']['data'], 2)}",
                    f"{_f(beta['mean'])} ± {_f(beta['std_over_sites'])}" if beta else "-",
                ]
            )
        rows.append(
            [phase, "beta^2 closer on", f"{models['beta2_closer_on']} of {len(MEASURES)}", "", "", "", "", "", "", ""]
        )
    out.append(
        (
            "table",
            [
                "phase",
                "model",
                "W1 e",
                "mean e gen / data",
                "W1 |m|",
                "mean |m| gen / data",
                "nn corr gen / data",
                "c gen / data",
                "chi gen / data",
                "beta_k mean ± site spread",
            ],
            rows,
        )
    )
    exact_rows = []
    for phase, models in fig7["one_phase"].items():
        for variant, sweeps in EXACT_VARIANTS:
            e, ref = models.get(variant), models.get("compiled_sampler")
            if not e:
                continue
            energy, error = e["observables"]["energy"]
            m, m_error = e["observables"]["abs_order_parameter"]
            is_energy, is_error = e["importance"]["energy"]
            exact_rows.append(
                [
                    phase,
                    f"{e['temperature']:g}",
                    str(sweeps),
                    f"{e['acceptance']:.4f}",
                    f"{e['ess']:.1f} / {e['n_proposals']}",
                    f"{e['tau_int']['energy']:.1f}",
                    f"{energy:.4f} ± {error:.4f}",
                    f"{e['exact_energy']:.4f}",
                    f"{is_energy:.4f} ± {is_error:.4f}",
                    f"{m:.4f} ± {m_error:.4f}",
                    f"{ref['abs_m'][0]:.4f} ± {ref['abs_m'][1]:.4f}" if ref else "-",
                    f"{e['independent_per_second']:.3g}",
                    f"{ref['independent_per_second']:.3g} ({ref['algorithm']})" if ref else "-",
                ]
            )
    if exact_rows:
        out.append(
            (
                "p",
                "Exact sampling with the wide autoregressive model as the proposal (independence "
                "Metropolis-Hastings on (x, z), target exp(-E/T) q(z|x); betavae_tf.sampling), without and "
                "with one checkerboard Metropolis sweep (and a fresh z ~ q(z|x)) between the model's "
                "proposals: acceptance "
                "of the model's proposals, the importance weights' effective sample size (ESS) over all "
                "proposals, the chains' tau_int of e in steps, e from the chains and from importance "
                "sampling against the exact finite-torus energy (Kaufman), |m| against the compiled "
                "sampler's decorrelated samples, and independent samples per "
                "second (chains x steps / 2 tau_int / seconds) against the compiled Monte Carlo sampler "
                "making decorrelated samples in the same run.",
            )
        )
        out.append(
            (
                "table",
                [
                    "phase",
                    "T",
                    "sweeps",
                    "acceptance",
                    "ESS / proposals",
                    "tau_int(e)",
                    "e chain",
                    "e exact",
                    "e importance",
                    "|m| chain",
                    "|m| compiled",
                    "indep./s model",
                    "indep./s compiled",
                ],
                exact_rows,
            )
        )
    out += thermodynamics_blocks(fig7)
    t = fig7.get("three_phase_beta2")
    if t:
        g = t["generated_fractions"]
        out.append(
            (
                "p",
                f"beta^2 head on the three-phase data, beta = 100, {t['epochs']} epochs: |corr| with m "
                f"{t['best_abs_corr_m']:.3f} (z{t['axis_m']}), with m_s {t['best_abs_corr_ms']:.3f} "
                f"(z{t['axis_ms']}), FM-AFM |cos| {_f(t['fm_afm_cos'])}, generated "
                + ", ".join(f"{k} {100 * v:.1f}%" for k, v in g.items())
                + f", rate {t['rate']:.2f}.",
            )
        )
    ref = fig7.get("beta100_bernoulli", {})

    def distance_tc(entry):
        t = entry.get("latent_transition")
        if not t:
            return "-"
        return (
            f"{_f(t['tc'])} ("
            + ", ".join(
                f"J = {j}: {_f(v['tc'])} ± {_f(v['error'])}{logistic_text(v)}" for j, v in t["by_coupling"].items()
            )
            + ")"
        )

    rows = (
        [
            [
                "bernoulli (Figs. 2-4)",
                _f(ref.get("rate")),
                _f(ref.get("best_abs_corr_m")),
                _f(ref.get("best_abs_corr_ms")),
                "-",
                _f(ref.get("tc_combined")),
                distance_tc(ref),
            ]
        ]
        if ref
        else []
    )
    for head, key in ((AR, "three_phase_autoregressive"), (ARW, "three_phase_autoregressive_wide")):
        t = fig7.get(key)
        if t:
            rows.append(
                [
                    f"{head} ({t['epochs']} epochs)",
                    _f(t["rate"]),
                    _f(t["best_abs_corr_m"]),
                    _f(t["best_abs_corr_ms"]),
                    _f(t["fm_afm_cos"]),
                    _f(t["tc"].get("combined")),
                    distance_tc(t),
                ]
            )
    if len(rows) > 1:
        out.append(
            (
                "p",
                "The autoregressive heads on the three-phase data at beta = 100: does the latent keep "
                "its meaning? The nearest-neighbour head's conditionals are linear in the two neighbours "
                "drawn before, with couplings from z, so the phase must come from z; the wide head sees "
                "sites of the same sublattice, which are aligned in FM and AFM alike, and needs no z.",
            )
        )
        out.append(
            (
                "p",
                "Tc from the latent, two ways: from |z| on the axes that track m and m_s (Figs. 2-4; it "
                "assumes a latent axis signed like m) and from the distance to the disordered cluster's "
                "centre (betavae-analyze, per J: the steepest slope of its mean against T, the logistic "
                "step's midpoint in brackets). A head whose couplings come from z needs no sign of m "
                "in z, so only the second measures every head on an equal footing; its codes track the "
                "nearest-neighbour coupling, which grows over the whole range of T, and a logistic step "
                "fitted to that puts its midpoint too high.",
            )
        )
        out.append(
            (
                "table",
                [
                    "head",
                    "rate (nat)",
                    "|corr| z-m",
                    "|corr| z-m_s",
                    "FM-AFM |cos|",
                    "Tc, |z| on the m / m_s axes",
                    "Tc, distance from the disordered codes",
                ],
                rows,
            )
        )
    return out


# -- the run ------------------------------------------------------------------------------


def thermodynamics_blocks(fig7):
    """F, U, S per site from the exact-sampling runs' importance weights, beside the finite torus's exact values."""
    rows = []
    for phase, models in fig7["one_phase"].items():
        e = models.get(EXACT_VARIANTS[0][0])
        if not e or not e.get("thermodynamics") or not e.get("exact_thermodynamics"):
            continue
        est, truth = e["thermodynamics"], e["exact_thermodynamics"]
        cells = [phase, f"{e['temperature']:g}"]
        for name in ("free_energy", "energy", "entropy"):
            value, error = est[name]
            cells += [f"{value:.5f} ± {error:.5f}", f"{truth[name]:.5f}"]
        bound = est["variational_free_energy"][0]
        cells += [f"{bound:.5f}", f"{est['ess']:.1f} / {est['n']}", f"{e['seconds']:.1f}"]
        rows.append(cells)
    if not rows:
        return []
    return [
        (
            "p",
            "Thermodynamics from the same proposals (betavae_tf.thermo): the mean importance weight estimates Z, "
            "so F/N = -T ln Z / N, U/N and S/N = (U - F) / (N T) with bootstrap errors, and the variational bound "
            "-T <ln w> / N, which must lie above the exact F; the exact values are Kaufman's for the finite torus. "
            "Below about 100 effective samples the estimate of F lies too high and its error is too small.",
        ),
        (
            "table",
            [
                "phase",
                "T",
                "F/N",
                "F/N exact",
                "U/N",
                "U/N exact",
                "S/N",
                "S/N exact",
                "bound on F/N",
                "ESS / proposals",
                "seconds",
            ],
            rows,
        ),
    ]
