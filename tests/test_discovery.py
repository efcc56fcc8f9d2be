"""Phase discovery for any model: importing every kind of configuration, and the analysis (its pieces on
constructed latent codes with known answers, and betavae-analyze end to end on a tiny run)."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import subprocess_env

from betavae_tf.analysis import discovery
from betavae_tf.data import format as fmt
from betavae_tf.data.importer import import_configurations
from betavae_tf.data.pipeline import load_numpy

BIN = os.path.dirname(sys.executable)


# -- import ---------------------------------------------------------------------------------
def test_import_states_angles_and_real_channels(tmp_path):
    rng = np.random.default_rng(0)
    states = rng.integers(0, 4, (12, 8, 8))
    np.savez(
        tmp_path / "clock.npz",
        configurations=states,
        temperatures=np.linspace(0.5, 2.0, 12),
        my_energy=rng.normal(size=12),
        lattice_size=8,
    )
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


@pytest.mark.parametrize(
    "arrays,kwargs,message",
    [
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
    ],
)
def test_import_bad_input(arrays, kwargs, message, tmp_path):
    np.savez(tmp_path / "in.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        import_configurations(str(tmp_path / "in.npz"), str(tmp_path / "ds"), **kwargs)
    assert not (tmp_path / "ds").exists()


def test_import_cli_one_sentence(tmp_path):
    np.save(tmp_path / "reals.npy", np.random.default_rng(0).normal(size=(4, 8, 8)))
    result = subprocess.run(
        [os.path.join(BIN, "betavae-import"), f"--input={tmp_path / 'reals.npy'}", f"--out={tmp_path / 'ds'}"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("betavae-import: error: the configurations hold real")


# -- the analysis on constructed codes -----------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"workdirs": ()}, "give at least one --workdir"),
        ({"workdirs": ("nowhere",)}, "nowhere is not a training workdir: it has no config.json."),
        ({"data_dirs": ("a", "b", "c")}, "give one --data for all runs or one per --workdir, got 3 for 2."),
        ({"max_clusters": 1}, "max_clusters must be in [2, 20], got 1."),
        ({"n_bootstrap": 5}, "n_bootstrap must be at least 10, got 5."),
        ({"collapse_window": 0.1}, "collapse_window must be in [0.5, 10]"),
    ],
)
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
        data = generate(
            GenerateConfig(
                lattice_size=L,
                couplings=(1.0,),
                temperatures=(1.0, 1.8, 2.2, 2.6, 3.5),
                samples_per_point=24,
                seed=L,
                n_shards=2,
            ),
            str(tmp_path / f"d{L}"),
            log=None,
        )
        workdir = str(tmp_path / f"run{L}")
        train_lib.train_and_evaluate(
            train_lib.TrainConfig(
                data_dir=data, batch_size=32, epochs=1, steps_per_epoch=2, verbose=0, summary_images=False, export=False
            ),
            workdir,
        )
        workdirs.append(workdir)
    result = subprocess.run(
        [
            os.path.join(BIN, "betavae-analyze"),
            *(f"--workdir={w}" for w in workdirs),
            f"--out={tmp_path / 'analysis'}",
            "--n_bootstrap=20",
            "--max_clusters=4",
        ],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.load(open(tmp_path / "analysis" / "summary.json"))
    assert [r["lattice_size"] for r in summary["runs"]] == [4, 8]
    for run in summary["runs"]:
        assert 1 <= run["n_clusters"] <= 4 and "transition_pca" in run and len(run["binder_latent"]) == 5
        assert len(run["transition_latent"]["steepest"]["slope"]["slope"]) == 4
        assert "label:magnetization" in run["correlations"]
        table = run["by_temperature"]
        assert (
            table["temperature"] == pytest.approx([1.0, 1.8, 2.2, 2.6, 3.5], abs=1e-6)
            and sum(table["n"]) == run["n_samples"]
        )
        assert run["reference_tc"]["tc"] == pytest.approx(2.269185, abs=1e-5) and run["rate"] >= 0
        assert all(w.startswith(f"{run['workdir']}: ") for w in summary["warnings"] if run["workdir"] in w)
    assert summary["finite_size"]["sizes"] == [4, 8] and len(summary["finite_size"]["crossings"]) == 1
    report = (tmp_path / "analysis" / "report.md").read_text()
    assert "# Phase discovery" in report and "Several lattice sizes" in report
    assert "## Result" in report and "from the latent order parameter r" in report and "Binder U" in report
    assert all((tmp_path / "analysis" / p).exists() for p in summary["figures"].values())
    # one-line-per-run headline on the console, then the quality warnings of these 1-epoch runs
    assert "run4: Tc = " in result.stdout and "reference 2.269" in result.stdout
    # the Embedding Projector's files: one row per configuration, its metadata with a header row
    board = tmp_path / "analysis" / "tensorboard" / "run0_run4"
    assert "metadata.tsv" in (board / "projector_config.pbtxt").read_text()
    header, *rows = (board / "metadata.tsv").read_text().splitlines()
    assert header.split("\t") == ["temperature", "coupling", "phase", "abs_magnetization", "cluster", "role"]
    assert len(rows) == len((board / "latent.tsv").read_text().splitlines()) == summary["runs"][0]["n_samples"]

    # the export of an analysed run carries the phase signature; another run's analysis is refused
    def export_with_analysis(workdir, out):
        command = [os.path.join(BIN, "betavae-export"), f"--analysis={tmp_path / 'analysis'}"]
        command += [f"--workdir={workdir}", f"--export_dir={out}"]
        return subprocess.run(command, capture_output=True, text=True, env=subprocess_env(), timeout=300)

    done = export_with_analysis(workdirs[1], tmp_path / "served")
    assert done.returncode == 0, done.stderr[-3000:]
    meta = json.load(open(tmp_path / "served" / "1" / "assets.extra" / "betavae_tf.json"))
    assert "phase" in meta["signatures"] and meta["phase"]["workdir"] == "run8"
    other = tmp_path / "other"
    shutil.copytree(workdirs[0], other)
    refused = export_with_analysis(other, tmp_path / "served_other")
    assert refused.returncode == 2 and "holds no analysis of" in refused.stderr
