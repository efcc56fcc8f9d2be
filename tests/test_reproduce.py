"""betavae-reproduce end to end on a tiny scale, and the figures from a tiny run."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO_ROOT, subprocess_env

from betavae_tf.physics.exact import ising_thermodynamics

REPRODUCE = os.path.join(os.path.dirname(sys.executable), "betavae-reproduce")
TINY_DATA = ["--data_flag=--lattice_size=8", "--data_flag=--samples_per_point=8", "--data_flag=--n_shards=2"]
TINY_TRAIN = [
    "--train_flag=--epochs=1",
    "--train_flag=--steps_per_epoch=2",
    "--train_flag=--batch_size=32",
    "--train_flag=--nosummary_images",
    "--train_flag=--noexport",
    "--train_flag=--validation_fraction=0",
]


_env = subprocess_env


def _reproduce(out, *extra):
    return subprocess.run(
        [REPRODUCE, f"--out={out}", "--betas=1,100", "--n_generated=64", *TINY_DATA, *TINY_TRAIN, *extra],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_reproduce_tiny_end_to_end(tmp_path):
    out = tmp_path / "repro"
    result = _reproduce(out, "--finite_size=8,12", "--seeds=0,1")
    assert result.returncode == 0, result.stderr[-3000:]
    report = (out / "report.md").read_text()
    for section in (
        "# Reproduction of the paper's results",
        "## The paper's claims",
        "## Per beta",
        "## beta = 100 in detail",
        "## Figures",
    ):
        assert section in report, section
    for name in ("fig2_generated", "fig3_latent", "fig4_traversal", "mmd"):
        for ext in ("png", "pdf"):
            path = out / "figures" / f"{name}.{ext}"
            assert path.exists() and path.stat().st_size > 1000, path
    html = (out / "report.html").read_text()
    assert html.count("<table>") >= 3 and "fig2_generated.png" in html
    summary = json.load(open(out / "summary.json"))
    assert set(summary["runs"]) == {"1", "100"}
    r = summary["runs"]["100"]
    assert r["n_samples"] == 256 and sum(r["generated_fractions"].values()) == pytest.approx(1.0)
    assert 0 <= r["best_abs_corr_m"] <= 1 and 0 <= r["fm_afm_cos"] <= 1
    verdicts = {c["verdict"] for c in summary["claims"]}
    assert verdicts <= {"holds", "does not hold", "not tested"} and len(summary["claims"]) >= 5
    # Each claim printed with its verdict.
    assert result.stdout.count("[holds]") + result.stdout.count("[does not hold]") == len(summary["claims"])
    # The finite-size extension: one run per L, beta scaled by (L/32)^2, Tc(L) and the fit.
    fs = summary["finite_size"]
    assert set(fs["sizes"]) == {"8", "12"} and fs["sizes"]["12"]["beta"] == pytest.approx(100 * (12 / 32) ** 2)
    assert "## Tc at several lattice sizes" in report
    assert (out / "figures" / "tc_finite_size.png").exists()
    # The seed study: seed 0 is the sweep's own run, seed 1 trains with --seed=1 on the same data.
    study = summary["seed_study"]
    assert set(study["seeds"]) == {"0", "1"} and study["default_seed"] == 0
    assert study["seeds"]["0"]["best_abs_corr_m"] == r["best_abs_corr_m"]
    assert "--seed=1" in (out / "seeds" / "beta100_seed1" / "flags.txt").read_text().split()
    assert study["seeds"]["1"]["best_abs_corr_m"] != r["best_abs_corr_m"]
    n100 = sum(c["claim"].startswith("At beta = 100") for c in summary["claims"])
    assert len(study["claims"]) >= n100 >= 3 and all(c["of"] <= 2 for c in study["claims"])
    for c in study["claims"]:
        assert c["holds_at"] == sum(e["verdicts"].get(c["id"]) == "holds" for e in study["seeds"].values())
    assert "## beta = 100 across training seeds" in report
    # Run again: finished runs are reused (the dataset is not regenerated, no epoch retrained).
    again = _reproduce(out)
    assert again.returncode == 0, again.stderr[-3000:]
    history = [json.loads(line) for line in open(out / "beta100" / "history.jsonl")]
    assert [h["epoch"] for h in history] == [1]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--figures=8"], "figures must be among (2, 3, 4, 5, 6, 7), got [8]."),
        (["--figures=6", "--mnist=/nonexistent/mnist"], "--mnist /nonexistent/mnist does not exist"),
        (["--scale=huge"], "unknown scale 'huge'"),
        (
            ["--finite_size=16,30"],
            "finite_size needs at least two distinct lattice sizes, each a positive multiple of 4",
        ),
        (["--betas=1,10", "--figures=4"], "figure 4 is the beta = 100 model"),
        (["--seeds=1"], "seeds needs at least two distinct seeds >= 0, got [1]."),
        (["--seeds=0,x"], "--seeds must be a comma-separated list of integers"),
        (["--seeds=0,1", "--figures=7"], "seeds repeats the beta = 100 run of figures 2-4"),
        (["--flags_dir=/nonexistent"], "flagfile /nonexistent/data/ising_three_phase_quick.flags not found"),
        (["--train_flag=--epochz=3"], "Unknown command line flag 'epochz'"),
    ],
)
def test_reproduce_bad_flags(args, message, tmp_path):
    result = subprocess.run(
        [REPRODUCE, f"--out={tmp_path / 'r'}", *args],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("betavae-reproduce: error: ")
    assert message in result.stderr
    assert not (tmp_path / "r").exists()


def test_reproduce_fig7_tiny(tmp_path):
    out = tmp_path / "repro7"
    data = ["--data_flag=--lattice_size=8", "--data_flag=--samples_per_point=64", "--data_flag=--n_shards=2"]
    result = subprocess.run(
        [REPRODUCE, f"--out={out}", "--figures=7", "--n_generated=64", "--exact_steps=8", *data, *TINY_TRAIN],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.load(open(out / "summary.json"))
    fig7 = summary["fig7"]
    assert fig7["temperatures"] == {
        "FM": {"T": 2.0, "J": 1.0},
        "TC": {"T": 2.269, "J": 1.0},
        "PM": {"T": 3.0, "J": 1.0},
    }
    for phase in ("FM", "TC", "PM"):
        entries = fig7["one_phase"][phase]
        b2 = entries["beta^2-VAE"]
        assert 0 < b2["inverse_temperature"]["min"] <= b2["inverse_temperature"]["max"] < 1
        assert "inverse_temperature" not in entries["beta-VAE"]
        assert 0 <= entries["beta2_closer_on"] <= 5
        # The autoregressive head, its exact correction (against Kaufman's L = 8 energy) and the compiled sampler.
        for head in ("autoregressive", "autoregressive_wide"):
            assert set(entries[head]["fidelity"]) == set(entries["beta-VAE"]["fidelity"])
        for variant, sweeps in (("autoregressive_wide + exact", 0), ("autoregressive_wide + exact + sweep", 1)):
            exact = entries[variant]
            assert 0 <= exact["acceptance"] <= 1 and 1 <= exact["ess"] <= exact["n_proposals"]
            assert exact["lattice_size"] == 8 and np.isfinite(exact["exact_energy"])
            assert exact["local_sweeps"] == sweeps
            # F, U, S per site from the proposals' weights, beside Kaufman's values for the L = 8 torus.
            t = fig7["temperatures"][phase]["T"]
            assert exact["exact_thermodynamics"]["free_energy"] == pytest.approx(
                ising_thermodynamics(8, t)["free_energy"], abs=1e-9
            )
            assert {"free_energy", "energy", "entropy", "variational_free_energy", "ess"} <= set(
                exact["thermodynamics"]
            )
        assert entries["compiled_sampler"]["independent_per_second"] > 0
    assert "three_phase_beta2" in fig7 and "rate" in fig7["three_phase_autoregressive"]
    assert "rate" in fig7["three_phase_autoregressive_wide"]
    # Tc from the distance to the disordered codes (betavae-analyze's estimator), per coupling.
    for key in ("three_phase_autoregressive", "three_phase_autoregressive_wide"):
        assert set(fig7[key]["latent_transition"]["by_coupling"]) == {"1", "-1"}
    report = (out / "report.md").read_text()
    assert "## Fig. 7: beta-VAE, beta^2-VAE and the autoregressive head" in report and "fig7_beta2.png" in report
    assert "Exact sampling with the wide autoregressive model as the proposal" in report
    assert "Thermodynamics from the same proposals" in report and "| F/N | F/N exact |" in report
    assert (out / "figures" / "fig7_beta2.pdf").exists() and (out / "figures" / "fig7_samples.pdf").exists()
    claims = {c["id"]: c for c in summary["claims"]}
    assert "larger inverse temperature" in claims["fig7.beta_k_fm_above_pm"]["claim"]
    for key in (
        "fig7.autoregressive_energy",
        "fig7.autoregressive_nn",
        "fig7.exact_energy",
        "fig7.exact_energy_with_sweeps",
        "fig7.autoregressive_latent",
    ):
        assert claims[key]["verdict"] in ("holds", "does not hold")


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype("uint8").tobytes())


def test_reproduce_figures_5_and_6_tiny(tmp_path):
    """Figs. 5 (Z3 and Potts) and 6 (MNIST from IDX files the test writes, and XY) end to end."""
    import numpy as np

    mnist = tmp_path / "mnist"
    mnist.mkdir()
    rng = np.random.default_rng(0)
    digits = np.arange(60) % 10
    images = rng.integers(0, 256, (60, 28, 28))
    for prefix in ("train", "t10k"):
        _write_idx(mnist / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(mnist / f"{prefix}-labels-idx1-ubyte", digits)
    out = tmp_path / "repro56"
    result = subprocess.run(
        [
            REPRODUCE,
            f"--out={out}",
            "--figures=5,6",
            f"--mnist={mnist}",
            "--n_generated=32",
            "--data_flag=--lattice_size=8",
            "--data_flag=--samples_per_point=12",
            "--data_flag=--n_temperatures=6",
            *TINY_TRAIN,
        ],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = (out / "report.md").read_text()
    for section in (
        "## Fig. 5: multinomial decoder on z3",
        "## Fig. 5: multinomial decoder on potts",
        "## Fig. 6: Gaussian decoder on mnist",
        "## Fig. 6: Gaussian decoder on xy",
    ):
        assert section in report, section
    for name in ("fig5_z3", "fig5_potts", "fig6_mnist", "fig6_xy"):
        for ext in ("png", "pdf"):
            path = out / "figures" / f"{name}.{ext}"
            assert path.exists() and path.stat().st_size > 1000, path
    summary = json.load(open(out / "summary.json"))
    assert summary["dataset"] is None and summary["runs"] == {}
    z3 = summary["sec5"]["fig5"]["z3"]
    assert set(z3) == {"b", "c", "d"} and [z3[k]["latent_dim"] for k in "bcd"] == [2, 3, 4]
    assert [z3[k]["beta"] for k in "bcd"] == [65.0, 70.0, 71.0]
    assert 0 < z3["b"]["kmeans_purity"] <= 1 and "tetrahedron_ratio" in z3["c"]
    assert summary["sec5"]["fig6"]["mnist"]["dz16"]["latent_dim"] == 16
    assert "transition_from_latent" in summary["sec5"]["fig5"]["potts"]["b"]
    sources = [c["source"] for c in summary["claims"]]
    assert "Fig. 5(c)" in sources and "Fig. 6(c)" in sources
    assert {c["verdict"] for c in summary["claims"]} <= {"holds", "does not hold", "reported"}


def test_missing_mnist_is_reported_not_hidden():
    from betavae_tf.analysis import sec5

    claims = sec5.claims({"fig5": {}, "fig6": {"mnist_skipped": "no MNIST files given"}})
    assert claims == [
        {
            "id": "sec5.mnist.not_tested",
            "claim": "MNIST (Fig. 6)",
            "source": "Fig. 6",
            "verdict": "not tested",
            "evidence": "no MNIST files given",
        }
    ]
