"""Finite-size scaling: crossings, extrapolations, collapse, seeds (betavae_tf.analysis.scaling)."""

import os

import numpy as np
import pytest

from betavae_tf.analysis import discovery_report, scaling, transition
from betavae_tf.analysis.results import OrderParameterRun, Transition


def _scaling_samples(tc=1.0, inverse_nu=1.2, y=2 / 15, sizes=(16, 32, 64), noise=0.05, seed=0):
    """An order parameter that obeys finite-size scaling exactly: m(T, L) = L^-y F((T / Tc - 1) L^(1/nu))
    with F(x) = (ln(1 + e^(-2x)) / 2 + 0.05)^beta, beta = y nu, so that far below Tc m = |T / Tc - 1|^beta
    whatever L (fully ordered), and Gaussian noise per sample."""
    rng = np.random.default_rng(seed)
    grid = np.concatenate([[0.6, 0.85, 0.93], np.linspace(0.96, 1.02, 13), [1.04, 1.1, 1.3]]) * tc
    beta = y / inverse_nu
    out = []
    for L in sizes:
        t = np.repeat(grid, 300)
        x = (t / tc - 1) * L**inverse_nu
        m = L**-y * (np.logaddexp(0, -2 * x) / 2 + 0.05) ** beta
        out.append((L, t, m + noise * rng.normal(size=t.size)))
    return out


def test_scaling_collapse_recovers_tc_and_the_exponents():
    """Samples that obey finite-size scaling with the q = 3 Potts exponents (1/nu = 6/5, beta/nu = 2/15):
    the collapse finds Tc to 0.3%, 1/nu to 0.15 and y to 0.04, with a bootstrap error that is positive and
    small, and a quality near 1 (a collapse within the noise); the 2D Ising ones (1/nu = 1, y = 1/8) to 0.5%
    (over eight noise draws of that set the collapse's Tc is 0.08% high on average, spread 0.0033, mean
    bootstrap error 0.0028)."""
    result = scaling.scaling_collapse(_scaling_samples(), n_bootstrap=10)
    assert result["tc"] == pytest.approx(1.0, abs=0.003) and 0 < result["error"] < 0.005
    assert result["inverse_nu"] == pytest.approx(1.2, abs=0.15) and result["y"] == pytest.approx(2 / 15, abs=0.04)
    assert 0.3 < result["quality"] < 3 and result["n_points"] > 20
    other = scaling.scaling_collapse(_scaling_samples(tc=2.269, inverse_nu=1.0, y=0.125, seed=1), n_bootstrap=4)
    assert other["tc"] == pytest.approx(2.269, rel=0.005) and other["inverse_nu"] == pytest.approx(1.0, abs=0.15)
    # The quality is ~1 at the true parameters and far worse at a wrong Tc.
    curves = scaling._collapse_curves([(L, *transition.by_temperature(t, m)) for L, t, m in _scaling_samples()])
    assert scaling.collapse_quality((1.0, 1.2, 2 / 15), curves)[0] < 3
    assert (
        scaling.collapse_quality((1.02, 1.2, 2 / 15), curves)[0]
        > 10 * scaling.collapse_quality((1.0, 1.2, 2 / 15), curves)[0]
    )
    with pytest.raises(ValueError, match="at least two lattice sizes"):
        scaling.scaling_collapse(_scaling_samples(sizes=(32,)))


def test_finite_size_extrapolation_recovers_tc():
    sizes = np.array([16, 32, 64])
    tcs = 2.269 + 0.8 / sizes
    tc, err, a = scaling.finite_size_extrapolation(sizes, tcs, errors=[0.01, 0.01, 0.01])
    assert tc == pytest.approx(2.269, abs=1e-9) and a == pytest.approx(0.8)
    assert 0 < err < 0.05
    tc, _, _ = scaling.finite_size_extrapolation(sizes, tcs + [0.004, -0.004, 0.002])
    assert abs(tc - 2.269) < 0.02
    with pytest.raises(ValueError, match="two lattice sizes"):
        scaling.finite_size_extrapolation([32], [2.3])


def test_binder_ratio_and_crossing():
    rng = np.random.default_rng(3)
    gaussian = np.linalg.norm(rng.normal(size=(200000, 2)), axis=1)
    assert transition.binder_ratio(gaussian) == pytest.approx(1 / 3, abs=0.01)
    assert transition.binder_ratio(np.full(100, 2.0)) == pytest.approx(2 / 3)
    t = np.linspace(1, 3, 11)
    assert scaling.crossing(t, 0.5 - 0.1 * (t - 2.2), 0.5 - 0.3 * (t - 2.2)) == pytest.approx(2.2)
    assert np.isnan(scaling.crossing(t, t, t + 1))
    # The larger lattice rising above the smaller one as T rises is not a transition: not a crossing ...
    assert np.isnan(scaling.crossing(t, 0.5 - 0.3 * (t - 2.2), 0.5 - 0.1 * (t - 2.2)))
    # ... and beside a true crossing at 1.6 an upward one at 2.6 (nearer the middle of the grid) is passed over.
    d = np.where(t < 2.2, 1.6 - t, t - 2.6)
    assert scaling.crossing(t, np.zeros_like(t), d) == pytest.approx(1.6)
    # An exact zero on the grid counts only as a downward crossing.
    assert scaling.crossing(t, np.zeros_like(t), 2.2 - t) == pytest.approx(2.2)
    assert np.isnan(scaling.crossing(t, np.zeros_like(t), t - 2.2))


def test_combined_crossing_weights_drops_and_scales():
    def c(tc, error, found=1.0):
        return {"sizes": [0, 0], "tc": tc, "error": error, "found_in": found}

    # Inverse-variance weights: 2.0 +- 0.01 and 2.3 +- 0.03 -> (2.0 * 9 + 2.3) / 10.
    both = scaling.combined_crossing([c(2.0, 0.01), c(2.3, 0.03)])
    assert both["tc"] == pytest.approx(2.03)
    # They disagree by 9.5 combined errors: chi^2 = 90 over 1 degree of freedom scales the error by sqrt(90).
    assert both["scale"] == pytest.approx(np.sqrt(90.0)) and both["error"] == pytest.approx(
        np.sqrt(90 / (1e4 + 1e4 / 9))
    )
    agree = scaling.combined_crossing([c(2.0, 0.01), c(2.001, 0.01)])
    assert agree["error"] == pytest.approx(0.01 / np.sqrt(2))  # no scaling when they agree
    # A crossing that resampling often removes, or none at all, is not used.
    assert scaling.combined_crossing([c(2.0, 0.01), c(2.3, 0.03, found=0.89)])["tc"] == pytest.approx(2.0)
    assert scaling.combined_crossing([c(float("nan"), 0.01), c(2.0, 0.01, found=0.5)]) is None


def test_seeds_combined_is_a_random_effects_mean():
    # Seeds that agree within their bootstrap errors: no between-seed variance, the inverse-variance mean,
    # and the error of the data not divided by the number of seeds (they share the data).
    agree = scaling.seeds_combined(
        [{"tc": 2.270, "error": 0.004}, None, {"tc": 2.272, "error": 0.004}, {"tc": float("nan"), "error": 0.1}]
    )
    assert agree["n_seeds"] == 2 and agree["tau"] == 0.0
    assert agree["tc"] == pytest.approx(2.271) and agree["error"] == pytest.approx(0.004)
    # A poorly determined seed counts little.
    weak = scaling.seeds_combined(
        [{"tc": 2.270, "error": 0.004}, {"tc": 2.272, "error": 0.004}, {"tc": 2.5, "error": 0.2}]
    )
    assert weak["tc"] == pytest.approx((2.270 + 2.272 + 2.5 / 2500) / (2 + 1 / 2500)) and weak["tau"] == 0.0
    # Seeds 2.26, 2.27, 2.29, all +- 0.003: Q = sum (x - mean)^2 / b^2 = 46.7 / 9 over 2 degrees of freedom,
    # tau^2 = (Q - 2) / (3 / b^2 - 1 / b^2) = (Q - 2) b^2 / 2; equal weights; error^2 = b^2 + tau^2 / 3.
    x = np.array([2.26, 2.27, 2.29])
    spread = scaling.seeds_combined([{"tc_inf": v, "error": 0.003} for v in x], key="tc_inf")
    q = np.sum((x - x.mean()) ** 2) / 0.003**2
    tau2 = (q - 2) * 0.003**2 / 2
    assert spread["tc"] == pytest.approx(x.mean()) and spread["tau"] == pytest.approx(np.sqrt(tau2))
    assert spread["error"] == pytest.approx(np.sqrt(0.003**2 + tau2 / 3))
    assert scaling.seeds_combined([{"tc": 2.2, "error": 0.01}, None]) is None


def test_replicate_groups_pair_the_kth_run_of_every_size():
    assert scaling.replicate_groups([16, 32, 64]) == [[0, 1, 2]]
    assert scaling.replicate_groups([32, 16, 16, 32]) == [[1, 0], [2, 3]]
    with pytest.raises(ValueError, match=r"same number of runs .* got 2 at L = 16, 1 at L = 32\.$"):
        scaling.replicate_groups([16, 16, 32])


def test_finite_size_over_seeds_combines_the_sets():
    """Two seeds x two sizes of synthetic codes whose Binder ratios cross: the study of each set, and the
    crossing combined over the sets (seeds_combined of the sets' crossings)."""
    rng = np.random.default_rng(0)
    grid = np.linspace(2.0, 2.6, 13)
    runs = []
    for seed_shift in (0.0, 0.02):
        for L in (16, 32):
            t = np.repeat(grid, 400)
            # Ordered below Tc(seed) (r near 1, sharper for larger L), disordered above (r Gaussian-radial).
            tc = 2.27 + seed_shift
            order = 1 / (1 + np.exp((t - tc) * L / 4))
            r = np.abs(order + rng.normal(0, 0.3, t.size) * (1 - order) + 0.05 * rng.normal(size=t.size))
            runs.append(
                OrderParameterRun(
                    lattice_size=L,
                    temperature=t,
                    r=r,
                    coupling=np.full(t.size, np.nan),
                    transition=Transition(tc + 1 / L, 0.01, None, None),
                )
            )
    fs = scaling.finite_size(runs, n_bootstrap=20, seed=0)
    assert fs["seeds"] == 2 and len(fs["replicates"]) == 2
    per_set = [rep["crossings"][0]["tc"] for rep in fs["replicates"]]
    assert all(np.isfinite(per_set))
    assert fs["crossing_seeds"]["values"] == pytest.approx([rep["crossing"]["tc"] for rep in fs["replicates"]])
    assert fs["crossing_seeds"]["tc"] == pytest.approx(
        scaling.seeds_combined([rep["crossing"] for rep in fs["replicates"]])["tc"]
    )
    assert min(fs["crossing_seeds"]["values"]) <= fs["crossing_seeds"]["tc"] <= max(fs["crossing_seeds"]["values"])
    assert "crossing" not in fs and fs["tc_latent"] == pytest.approx([2.28 + 1 / 16, 2.28 + 1 / 32])
    # The data collapse of every set, combined the same way.
    assert fs["collapse_seeds"]["values"] == pytest.approx([rep["collapse"]["tc"] for rep in fs["replicates"]])
    assert fs["collapse_seeds"]["tc"] == pytest.approx(
        scaling.seeds_combined([rep["collapse"] for rep in fs["replicates"]])["tc"]
    )
    assert all(rep["collapse"]["n_points"] >= 4 for rep in fs["replicates"]) and "collapse" not in fs
    report = discovery_report.report_blocks({"runs": [], "finite_size": fs, "figures": {}})
    assert any("over the seeds" in str(block) for block in report)
    assert any(block[0] == "table" and block[1] == ["seed set", "J", "data collapse"] for block in report)


def test_finite_size_collapse_in_the_study_the_report_and_the_figure(tmp_path):
    """Three sizes of codes whose mean obeys finite-size scaling (Tc = 1, 1/nu = 1.2, y = 2/15): the study
    holds the collapse at those values, the report and the sizes figure show it."""
    rng = np.random.default_rng(3)
    grid = np.concatenate([[0.6, 0.85, 0.93], np.linspace(0.96, 1.02, 13), [1.04, 1.1, 1.3]])
    runs, summaries = [], []
    for L in (16, 32, 64):
        t = np.repeat(grid, 300)
        x = (t - 1) * L**1.2
        r = np.abs(L ** (-2 / 15) * (np.logaddexp(0, -2 * x) / 2 + 0.05) ** (1 / 9) + 0.05 * rng.normal(size=t.size))
        tr = transition.transition(t, r, 2, 0)
        runs.append(
            OrderParameterRun(lattice_size=L, temperature=t, r=r, coupling=np.full(t.size, np.nan), transition=tr)
        )
        summaries.append(
            {
                "lattice_size": L,
                "temperatures": grid.tolist(),
                "transition_latent": tr.summary(),
                "binder_latent": [transition.binder_ratio(r[t == g]) for g in grid],
            }
        )
    fs = scaling.finite_size(runs, n_bootstrap=4, seed=0)
    c = fs["collapse"]
    assert c["tc"] == pytest.approx(1.0, abs=0.004) and c["inverse_nu"] == pytest.approx(1.2, abs=0.2)
    text = str(discovery_report.report_blocks({"runs": [], "finite_size": fs, "figures": {}}))
    assert "Data collapse of the mean of r" in text and f"{c['tc']:.4f}" in text
    path = discovery_report.figure_sizes(fs, summaries, str(tmp_path / "sizes"))
    assert os.path.getsize(path) > 10000 and os.path.exists(str(tmp_path / "sizes.pdf"))
