"""Phase discovery for any model: importing every kind of configuration, and the analysis (its pieces on
constructed latent codes with known answers, and betavae-analyze end to end on a tiny run)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from betavae_tf.analysis import discovery
from betavae_tf.data import format as fmt
from betavae_tf.data.importer import import_configurations
from betavae_tf.data.pipeline import load_numpy
from conftest import subprocess_env

BIN = os.path.dirname(sys.executable)


# -- import ---------------------------------------------------------------------------------
def test_import_states_angles_and_real_channels(tmp_path):
    rng = np.random.default_rng(0)
    states = rng.integers(0, 4, (12, 8, 8))
    np.savez(tmp_path / "clock.npz", configurations=states, temperatures=np.linspace(0.5, 2.0, 12),
             my_energy=rng.normal(size=12), lattice_size=8)
    d = import_configurations(str(tmp_path / "clock.npz"), str(tmp_path / "clock"))  # auto: states, q = 4
    m = fmt.read_manifest(d)
    assert (m["encoding"], m["channels"], m["kind"], m["observables"]) == ("categorical", 4, "states", ["my_energy"])
    data = load_numpy(d)
    order = np.argsort(data["temperature"])
    np.testing.assert_array_equal(data["samples"][order], states)
    np.testing.assert_allclose(data["my_energy"][order], np.load(tmp_path / "clock.npz")["my_energy"], rtol=1e-6)
    angles = rng.uniform(0, 2 * np.pi, (6, 8, 8))
    np.save(tmp_path / "angles.npy", angles)
    d = import_configurations(str(tmp_path / "angles.npy"), str(tmp_path / "xy"), kind="angles", temperature=0.7)
    data = load_numpy(d)
    assert fmt.read_manifest(d)["channels"] == 2 and np.allclose((data["samples"] ** 2).sum(-1), 1, atol=1e-5)
    assert np.all(data["temperature"] == np.float32(0.7))
    real = rng.normal(size=(5, 8, 8, 3)).astype(np.float32)
    np.save(tmp_path / "real.npy", real)
    d = import_configurations(str(tmp_path / "real.npy"), str(tmp_path / "real"))  # 4-D reals: real channels
    assert fmt.read_manifest(d)["channels"] == 3
    from betavae_tf.train_lib import TrainConfig, validate
    assert validate(TrainConfig(data_dir=d))[1].decoder == "gaussian"  # the decoder that fits is the default
    assert validate(TrainConfig(data_dir=str(tmp_path / "clock")))[1].decoder == "multinomial"


@pytest.mark.parametrize("arrays,kwargs,message", [
    (dict(configurations=np.random.default_rng(0).normal(size=(4, 8, 8))), {}, "say what they are with --kind"),
    (dict(configurations=np.full((4, 8, 8), 5)), dict(kind="states", q=3), r"states must lie in \[0, 3\)"),
    (dict(configurations=np.full((4, 8, 8), -1)), dict(kind="states"), "integers 0, 1, ..., q-1"),
    (dict(configurations=np.zeros((4, 8, 8, 2))), dict(kind="angles"), r"angles must have shape \(N, L, L\)"),
    (dict(configurations=np.zeros((4, 8, 8)), temperatures=np.ones(3)), {}, "one value per sample"),
    (dict(configurations=np.zeros((4, 8, 8)), temperatures=-np.ones(4)), {}, "positive and finite"),
    (dict(configurations=np.zeros((4, 8, 8)), lattice_size=16), {}, "lattice_size must be 8"),
    (dict(configurations=np.zeros((4, 8, 8)), bad_name=np.ones((4, 2))), {}, "one value per sample"),
    (dict(configurations=np.zeros((4, 8, 8)), phase=np.ones(4)), {}, "observable name 'phase'"),
    (dict(configurations=np.zeros((4, 8, 6))), {}, "shape"),
    (dict(configurations=np.zeros((4, 8, 8)) + np.nan), dict(kind="real"), "NaN"),
    (dict(other=np.zeros((4, 8, 8)), more=np.ones(4)), {}, "name the configurations array"),
])
def test_import_bad_input(arrays, kwargs, message, tmp_path):
    np.savez(tmp_path / "in.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        import_configurations(str(tmp_path / "in.npz"), str(tmp_path / "ds"), **kwargs)
    assert not (tmp_path / "ds").exists()


def test_import_cli_one_sentence(tmp_path):
    np.save(tmp_path / "reals.npy", np.random.default_rng(0).normal(size=(4, 8, 8)))
    result = subprocess.run([os.path.join(BIN, "betavae-import"), f"--input={tmp_path / 'reals.npy'}",
                             f"--out={tmp_path / 'ds'}"], capture_output=True, text=True, env=subprocess_env(),
                            timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("betavae-import: error: the configurations hold real")


# -- the analysis on constructed codes -----------------------------------------------------
def _arms(n=400, arms=4, seed=0):
    """A disordered blob at the origin (hot) and `arms` ordered blobs at radius 3 (cold)."""
    rng = np.random.default_rng(seed)
    z = [rng.normal(0, 0.3, (n, 2))]
    t = [np.full(n, 3.0)]
    for a in range(arms):
        phi = 2 * np.pi * a / arms
        z.append(rng.normal(0, 0.3, (n, 2)) + 3 * np.array([np.cos(phi), np.sin(phi)]))
        t.append(np.full(n, 1.0))
    return np.concatenate(z), np.concatenate(t)


@pytest.mark.parametrize("arms", [2, 3, 4])
def test_mixture_finds_the_phases(arms):
    z, t = _arms(arms=arms)
    mixture, bic = discovery.choose_mixture(z, max_clusters=7)
    assert mixture.n_components == arms + 1 and min(bic, key=bic.get) == arms + 1
    assign = mixture.predict(z)
    disordered, branches = discovery.group_clusters(z, assign, t, mixture.means_, mixture.covariances_)
    assert np.allclose(mixture.means_[disordered], 0, atol=0.1) and len(branches) == arms


def test_an_arm_cut_in_two_is_one_branch():
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.normal(0, 0.3, (300, 2)), rng.normal(0, 0.3, (300, 2)) + [2, 0],
                        rng.normal(0, 0.3, (300, 2)) + [4, 0], rng.normal(0, 0.3, (300, 2)) + [0, 3]])
    t = np.repeat([3.0, 1.5, 1.0, 1.0], 300)
    centres = np.array([[0, 0], [2, 0], [4, 0], [0, 3]], float)
    covs = np.stack([0.09 * np.eye(2)] * 4)
    assign = np.repeat(np.arange(4), 300)
    disordered, branches = discovery.group_clusters(z, assign, t, centres, covs)
    assert disordered == 0 and sorted(map(sorted, branches)) == [[1, 2], [3]]


def test_ring_measure_tells_a_ring_from_branches():
    rng = np.random.default_rng(2)
    phi = rng.uniform(0, 2 * np.pi, 2000)
    ring = np.stack([np.cos(phi), np.sin(phi)], 1) * 3 + rng.normal(0, 0.1, (2000, 2))
    gap, resultant = discovery.ring_measure(ring, np.zeros(2))
    assert gap < 10 and resultant < 0.1
    z, _ = _arms(arms=4)
    gap, _ = discovery.ring_measure(z[400:], np.zeros(2))
    assert gap > discovery.RING_GAP  # four arms leave gaps of about 60 degrees


def test_binder_ratio_and_crossing():
    rng = np.random.default_rng(3)
    gaussian = np.linalg.norm(rng.normal(size=(200000, 2)), axis=1)
    assert discovery.binder_ratio(gaussian) == pytest.approx(1 / 3, abs=0.01)
    assert discovery.binder_ratio(np.full(100, 2.0)) == pytest.approx(2 / 3)
    t = np.linspace(1, 3, 11)
    assert discovery.crossing(t, 0.5 - 0.1 * (t - 2.2), 0.5 - 0.3 * (t - 2.2)) == pytest.approx(2.2)
    assert np.isnan(discovery.crossing(t, t, t + 1))
    # The larger lattice rising above the smaller one as T rises is not a transition: not a crossing ...
    assert np.isnan(discovery.crossing(t, 0.5 - 0.3 * (t - 2.2), 0.5 - 0.1 * (t - 2.2)))
    # ... and beside a true crossing at 1.6 an upward one at 2.6 (nearer the middle of the grid) is passed over.
    d = np.where(t < 2.2, 1.6 - t, t - 2.6)
    assert discovery.crossing(t, np.zeros_like(t), d) == pytest.approx(1.6)
    # An exact zero on the grid counts only as a downward crossing.
    assert discovery.crossing(t, np.zeros_like(t), 2.2 - t) == pytest.approx(2.2)
    assert np.isnan(discovery.crossing(t, np.zeros_like(t), t - 2.2))


def test_combined_crossing_weights_drops_and_scales():
    def c(tc, error, found=1.0):
        return {"sizes": [0, 0], "tc": tc, "error": error, "found_in": found}
    # Inverse-variance weights: 2.0 +- 0.01 and 2.3 +- 0.03 -> (2.0 * 9 + 2.3) / 10.
    both = discovery.combined_crossing([c(2.0, 0.01), c(2.3, 0.03)])
    assert both["tc"] == pytest.approx(2.03)
    # They disagree by 9.5 combined errors: chi^2 = 90 over 1 degree of freedom scales the error by sqrt(90).
    assert both["scale"] == pytest.approx(np.sqrt(90.0)) and both["error"] == pytest.approx(np.sqrt(90 / (1e4 + 1e4 / 9)))
    agree = discovery.combined_crossing([c(2.0, 0.01), c(2.001, 0.01)])
    assert agree["error"] == pytest.approx(0.01 / np.sqrt(2))  # no scaling when they agree
    # A crossing that resampling often removes, or none at all, is not used.
    assert discovery.combined_crossing([c(2.0, 0.01), c(2.3, 0.03, found=0.89)])["tc"] == pytest.approx(2.0)
    assert discovery.combined_crossing([c(float("nan"), 0.01), c(2.0, 0.01, found=0.5)]) is None


def test_seeds_combined_is_a_random_effects_mean():
    # Seeds that agree within their bootstrap errors: no between-seed variance, the inverse-variance mean,
    # and the error of the data not divided by the number of seeds (they share the data).
    agree = discovery.seeds_combined([{"tc": 2.270, "error": 0.004}, None, {"tc": 2.272, "error": 0.004},
                                      {"tc": float("nan"), "error": 0.1}])
    assert agree["n_seeds"] == 2 and agree["tau"] == 0.0
    assert agree["tc"] == pytest.approx(2.271) and agree["error"] == pytest.approx(0.004)
    # A poorly determined seed counts little.
    weak = discovery.seeds_combined([{"tc": 2.270, "error": 0.004}, {"tc": 2.272, "error": 0.004},
                                     {"tc": 2.5, "error": 0.2}])
    assert weak["tc"] == pytest.approx((2.270 + 2.272 + 2.5 / 2500) / (2 + 1 / 2500)) and weak["tau"] == 0.0
    # Seeds 2.26, 2.27, 2.29, all +- 0.003: Q = sum (x - mean)^2 / b^2 = 46.7 / 9 over 2 degrees of freedom,
    # tau^2 = (Q - 2) / (3 / b^2 - 1 / b^2) = (Q - 2) b^2 / 2; equal weights; error^2 = b^2 + tau^2 / 3.
    x = np.array([2.26, 2.27, 2.29])
    spread = discovery.seeds_combined([{"tc_inf": v, "error": 0.003} for v in x], key="tc_inf")
    q = np.sum((x - x.mean()) ** 2) / 0.003**2
    tau2 = (q - 2) * 0.003**2 / 2
    assert spread["tc"] == pytest.approx(x.mean()) and spread["tau"] == pytest.approx(np.sqrt(tau2))
    assert spread["error"] == pytest.approx(np.sqrt(0.003**2 + tau2 / 3))
    assert discovery.seeds_combined([{"tc": 2.2, "error": 0.01}, None]) is None


def test_replicate_groups_pair_the_kth_run_of_every_size():
    assert discovery.replicate_groups([16, 32, 64]) == [[0, 1, 2]]
    assert discovery.replicate_groups([32, 16, 16, 32]) == [[1, 0], [2, 3]]
    with pytest.raises(ValueError, match=r"same number of runs .* got 2 at L = 16, 1 at L = 32\.$"):
        discovery.replicate_groups([16, 16, 32])


def test_finite_size_over_seeds_combines_the_sets():
    """Two seeds x two sizes of synthetic codes whose Binder ratios cross: the study of each set, and the
    crossing combined over the sets (seeds_combined of the sets' crossings)."""
    rng = np.random.default_rng(0)
    grid = np.linspace(2.0, 2.6, 13)
    runs, arrays = [], []
    for seed_shift in (0.0, 0.02):
        for L in (16, 32):
            t = np.repeat(grid, 400)
            # Ordered below Tc(seed) (r near 1, sharper for larger L), disordered above (r Gaussian-radial).
            tc = 2.27 + seed_shift
            order = 1 / (1 + np.exp((t - tc) * L / 4))
            r = np.abs(order + rng.normal(0, 0.3, t.size) * (1 - order) + 0.05 * rng.normal(size=t.size))
            runs.append({"lattice_size": L, "temperatures": grid.tolist(),
                         "transition_latent": {"tc": tc + 1 / L, "error": 0.01}})
            arrays.append({"temperature": t, "r": r, "coupling": np.full(t.size, np.nan)})
    fs = discovery.finite_size(runs, arrays, n_bootstrap=20, seed=0)
    assert fs["seeds"] == 2 and len(fs["replicates"]) == 2
    per_set = [rep["crossings"][0]["tc"] for rep in fs["replicates"]]
    assert all(np.isfinite(per_set))
    assert fs["crossing_seeds"]["values"] == pytest.approx([rep["crossing"]["tc"] for rep in fs["replicates"]])
    assert fs["crossing_seeds"]["tc"] == pytest.approx(
        discovery.seeds_combined([rep["crossing"] for rep in fs["replicates"]])["tc"])
    assert min(fs["crossing_seeds"]["values"]) <= fs["crossing_seeds"]["tc"] <= max(fs["crossing_seeds"]["values"])
    assert "crossing" not in fs and fs["tc_latent"] == pytest.approx([2.28 + 1 / 16, 2.28 + 1 / 32])
    # The data collapse of every set, combined the same way.
    assert fs["collapse_seeds"]["values"] == pytest.approx([rep["collapse"]["tc"] for rep in fs["replicates"]])
    assert fs["collapse_seeds"]["tc"] == pytest.approx(
        discovery.seeds_combined([rep["collapse"] for rep in fs["replicates"]])["tc"])
    assert all(rep["collapse"]["n_points"] >= 4 for rep in fs["replicates"]) and "collapse" not in fs
    report = discovery.report_blocks({"runs": [], "finite_size": fs, "figures": {}})
    assert any("over the seeds" in str(block) for block in report)
    assert any(block[0] == "table" and block[1] == ["seed set", "J", "data collapse"] for block in report)


def test_finite_size_collapse_in_the_study_the_report_and_the_figure(tmp_path):
    """Three sizes of codes whose mean obeys finite-size scaling (Tc = 1, 1/nu = 1.2, y = 2/15): the study
    holds the collapse at those values, the report and the sizes figure show it."""
    rng = np.random.default_rng(3)
    grid = np.concatenate([[0.6, 0.85, 0.93], np.linspace(0.96, 1.02, 13), [1.04, 1.1, 1.3]])
    runs, arrays = [], []
    for L in (16, 32, 64):
        t = np.repeat(grid, 300)
        x = (t - 1) * L ** 1.2
        r = np.abs(L ** (-2 / 15) * (np.logaddexp(0, -2 * x) / 2 + 0.05) ** (1 / 9) + 0.05 * rng.normal(size=t.size))
        arrays.append({"temperature": t, "r": r, "coupling": np.full(t.size, np.nan)})
        tr = discovery.transition(t, r, 2, 0)
        runs.append({"lattice_size": L, "temperatures": grid.tolist(), "transition_latent": tr,
                     "binder_latent": [discovery.binder_ratio(r[t == g]) for g in grid]})
    fs = discovery.finite_size(runs, arrays, n_bootstrap=4, seed=0)
    c = fs["collapse"]
    assert c["tc"] == pytest.approx(1.0, abs=0.004) and c["inverse_nu"] == pytest.approx(1.2, abs=0.2)
    text = str(discovery.report_blocks({"runs": [], "finite_size": fs, "figures": {}}))
    assert "Data collapse of the mean of r" in text and f"{c['tc']:.4f}" in text
    path = discovery.figure_sizes(fs, runs, str(tmp_path / "sizes"))
    assert os.path.getsize(path) > 10000 and os.path.exists(str(tmp_path / "sizes.pdf"))


@pytest.mark.parametrize("kwargs,message", [
    ({"workdirs": ()}, "give at least one --workdir"),
    ({"workdirs": ("nowhere",)}, "nowhere is not a training workdir: it has no config.json."),
    ({"data_dirs": ("a", "b", "c")}, "give one --data for all runs or one per --workdir, got 3 for 2."),
    ({"max_clusters": 1}, "max_clusters must be in [2, 20], got 1."),
    ({"n_bootstrap": 5}, "n_bootstrap must be at least 10, got 5."),
    ({"collapse_window": 0.1}, "collapse_window must be in [0.5, 10]"),
])
def test_analyze_config_refuses_bad_settings_in_one_sentence(kwargs, message, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    settings = dict({"workdirs": (str(tmp_path / "a"), str(tmp_path / "b")), "out": str(tmp_path / "out")}, **kwargs)
    with pytest.raises((ValueError, FileNotFoundError)) as error:
        discovery.AnalyzeConfig(**settings).validate()
    assert message in str(error.value) and str(error.value).count(". ") == 0
    assert not (tmp_path / "out").exists()


# -- betavae-analyze end to end ------------------------------------------------------------
def test_analyze_cli_end_to_end_on_two_sizes(tmp_path):
    from betavae_tf import train_lib
    from betavae_tf.data.generate import GenerateConfig, generate
    workdirs = []
    for L in (4, 8):
        data = generate(GenerateConfig(lattice_size=L, couplings=(1.0,), temperatures=(1.0, 1.8, 2.2, 2.6, 3.5),
                                       samples_per_point=24, seed=L, n_shards=2), str(tmp_path / f"d{L}"), log=None)
        workdir = str(tmp_path / f"run{L}")
        train_lib.train_and_evaluate(train_lib.TrainConfig(data_dir=data, batch_size=32, epochs=1, steps_per_epoch=2,
                                                           verbose=0, summary_images=False, export=False), workdir)
        workdirs.append(workdir)
    result = subprocess.run([os.path.join(BIN, "betavae-analyze"), *(f"--workdir={w}" for w in workdirs),
                             f"--out={tmp_path / 'analysis'}", "--n_bootstrap=20", "--max_clusters=4"],
                            capture_output=True, text=True, env=subprocess_env(), timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.load(open(tmp_path / "analysis" / "summary.json"))
    assert [r["lattice_size"] for r in summary["runs"]] == [4, 8]
    for run in summary["runs"]:
        assert 1 <= run["n_clusters"] <= 4 and "transition_pca" in run and len(run["binder_latent"]) == 5
        assert len(run["transition_latent"]["steepest"]["slope"]["slope"]) == 4
        assert "label:magnetization" in run["correlations"]
    assert summary["finite_size"]["sizes"] == [4, 8] and len(summary["finite_size"]["crossings"]) == 1
    report = (tmp_path / "analysis" / "report.md").read_text()
    assert "# Phase discovery" in report and "Several lattice sizes" in report
    assert all((tmp_path / "analysis" / p).exists() for p in summary["figures"].values())
