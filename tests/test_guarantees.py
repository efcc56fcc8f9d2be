"""Paths, provenance, records and inputs: the guarantees of docs/guarantees.md that are not about kills or disks.

Tiny data and one or two training steps; most cases call the library, and
the one-sentence promise of the console scripts is checked where the CLI adds
something (flags, messages). The matrices run over every command that
writes: each case states its expected refusal and checks that nothing
changed on disk.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import one_sentence, run_cli, subprocess_env, tiny_train_config

from betavae_tf import checkpoints, export, fileio, places, train_lib
from betavae_tf.analysis.reproduce import prepare_output
from betavae_tf.data import format as fmt
from betavae_tf.data.generate import GenerateConfig, generate
from betavae_tf.data.importer import import_configurations
from betavae_tf.data.mnist import import_mnist

BIN = os.path.dirname(sys.executable)
TINY = GenerateConfig(lattice_size=4, temperatures=(2.0,), couplings=(1.0,), samples_per_point=4, n_shards=1)


_cli, _one_sentence = run_cli, one_sentence


def _tree(path):
    """{relative path: bytes or 'link -> target'} of everything under path."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            if os.path.islink(full):
                out[os.path.relpath(full, path)] = "link -> " + os.readlink(full)
            else:
                with open(full, "rb") as f:
                    out[os.path.relpath(full, path)] = f.read()
    return out


_config = tiny_train_config


@pytest.fixture(scope="module")
def run_dir(train_data_dir, tmp_path_factory):
    """A finished two-epoch run (never modified by the tests; they copy it)."""
    workdir = str(tmp_path_factory.mktemp("guarantees") / "run")
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=2), workdir)
    return workdir


@pytest.fixture
def run_copy(run_dir, tmp_path):
    return shutil.copytree(run_dir, tmp_path / "run", symlinks=True)


# -- 1. paths you write are yours alone ----------------------------------------------------------
@pytest.mark.parametrize("name", [".lock", "history.jsonl", "config.json", "result.json"])
def test_a_linked_file_in_a_workdir_is_refused_and_its_target_kept(name, train_data_dir, run_copy, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    os.remove(run_copy / name) if (run_copy / name).exists() else None
    os.symlink(target, run_copy / name)
    with pytest.raises(ValueError, match=f"{name} is a symbolic link"):
        train_lib.train_and_evaluate(_config(train_data_dir, epochs=3), str(run_copy))
    assert target.read_text() == "precious"


def test_the_lock_is_never_taken_through_a_link(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    (tmp_path / "run").mkdir()
    os.symlink(target, tmp_path / "run" / ".lock")
    with pytest.raises(ValueError, match="is a symbolic link"), fileio.locked(str(tmp_path / "run")):
        pass
    assert target.read_text() == "precious"


@pytest.mark.parametrize("name", ["history.jsonl", ".lock"])
def test_a_fifo_in_a_workdir_is_refused_at_once(name, train_data_dir, run_copy):
    os.remove(run_copy / name) if (run_copy / name).exists() else None
    os.mkfifo(run_copy / name)
    with pytest.raises(ValueError, match=f"{name} is a FIFO"):
        train_lib.train_and_evaluate(_config(train_data_dir, epochs=3), str(run_copy))


def test_a_linked_output_is_followed_consistently(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    os.symlink(real, link)
    generate(TINY, str(link), log=None)
    assert os.path.islink(link) and fmt.read_manifest(str(real))["n_samples"] == 4
    generate(TINY, str(link), overwrite=True, log=None)  # replaced where the link points; the link stays
    assert os.path.islink(link) and os.readlink(link) == str(real) and fmt.read_manifest(str(link))
    assert not [n for n in os.listdir(tmp_path) if fileio.is_temporary(n)]


def _dataset(path):
    return generate(TINY, str(path), log=None)


# Every kind of output against every kind of directory it could land in or replace.
@pytest.mark.parametrize("container", ["dataset", "workdir", "analysis", "export"])
def test_a_dataset_never_goes_inside_another_directory_of_the_package(container, run_dir, tmp_path):
    parent = tmp_path / container
    if container == "dataset":
        _dataset(parent)
    elif container == "workdir":
        shutil.copytree(run_dir, parent)
    elif container == "analysis":
        parent.mkdir()
        places.write_marker(str(parent), "analysis")
    else:
        export.export_checkpoint(run_dir, None, str(parent))
    before = _tree(parent)
    with pytest.raises(ValueError, match=f"inside the {places.NAMES[container]}"):
        _dataset(parent / "nested")
    assert _tree(parent) == before


def test_a_workdir_and_its_data_never_nest(train_data_dir, tmp_path):
    data = _dataset(tmp_path / "data")
    before = _tree(data)
    for workdir, message in ((data, "are the same directory"), (os.path.join(data, "run"), "lies inside the dataset")):
        with pytest.raises(ValueError, match=message):
            train_lib.train_and_evaluate(_config(data, batch_size=2, steps_per_epoch=1), workdir)
    assert _tree(data) == before
    # The data inside the workdir: refused the other way round.
    outer = tmp_path / "outer"
    shutil.copytree(data, outer / "data")
    with pytest.raises(ValueError, match="lies inside the workdir"):
        train_lib.train_and_evaluate(_config(str(outer / "data"), batch_size=2, steps_per_epoch=1), str(outer))
    # A directory of other files is not a workdir.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "config.json").write_text('{"mine": true}')
    with pytest.raises(ValueError, match="not a training run of this package|holds config.json"):
        train_lib.train_and_evaluate(_config(data, batch_size=2, steps_per_epoch=1), str(mine))
    assert (mine / "config.json").read_text() == '{"mine": true}'


def test_an_export_goes_into_its_own_workdir_or_apart(run_copy, train_data_dir, tmp_path):
    path, epoch, info = export.export_checkpoint(str(run_copy), None, str(run_copy / "export"))
    assert epoch == 2 and info["finished"] and path.startswith(str(run_copy / "export"))
    other = shutil.copytree(run_copy, tmp_path / "other")
    for base, message in (
        (other / "export", "inside the training workdir"),
        (tmp_path / "data_copy" / "x", "inside the dataset"),
    ):
        if "data_copy" in str(base):
            shutil.copytree(train_data_dir, tmp_path / "data_copy")
        with pytest.raises(ValueError, match=message):
            export.export_checkpoint(str(run_copy), None, str(base))


@pytest.mark.parametrize("kind", ["dataset", "export", "analysis", "samples", "reproduction"])
def test_overwrite_replaces_only_what_the_package_wrote(kind, run_dir, tmp_path):
    """docs/guarantees.md's promise: a foreign file in the target is named and nothing is touched."""
    target = tmp_path / "target"
    if kind == "dataset":
        _dataset(target)
    elif kind == "export":
        export.export_checkpoint(run_dir, None, str(target))
    else:
        target.mkdir()
        places.write_marker(str(target), kind)
        (target / "summary.json").write_text("{}")
    (target / "notes.txt").write_text("mine")
    (target / "analysis").mkdir()
    (target / "analysis" / "plot.py").write_text("mine")
    before = _tree(target)
    with pytest.raises(FileExistsError, match="analysis, which this package did not write|holds analysis"):
        if kind == "dataset":
            _dataset_overwrite(target)
        elif kind == "export":
            export.export_checkpoint(run_dir, None, str(target), version=1, overwrite=True)
        elif kind == "reproduction":
            prepare_output(str(target), overwrite=True)
        else:
            places.check_output(str(target), kind, overwrite=True)
    assert _tree(target) == before
    # Without the foreign entries, the same call replaces (or, for a reproduction, starts over).
    shutil.rmtree(target / "analysis")
    os.remove(target / "notes.txt")
    if kind == "dataset":
        _dataset_overwrite(target)
        assert fmt.read_manifest(str(target))["config"]["seed"] == 5
    elif kind == "export":
        export.export_checkpoint(run_dir, None, str(target), version=1, overwrite=True)
        assert export.versions(str(target)) == [1]
    elif kind == "reproduction":
        prepare_output(str(target), overwrite=True)
        assert os.listdir(target) == [places.MARKER]
    else:
        assert places.check_output(str(target), kind, overwrite=True)[1] is True


def _dataset_overwrite(target):
    import dataclasses

    generate(dataclasses.replace(TINY, seed=5), str(target), overwrite=True, log=None)


def test_import_overwrite_keeps_a_users_notes(tmp_path):
    spins = tmp_path / "spins.npy"
    np.save(spins, (np.arange(5 * 16).reshape(5, 4, 4) % 2).astype(np.uint8))
    out = import_configurations(str(spins), str(tmp_path / "ds"), temperature=2.0)
    (tmp_path / "ds" / "notes.txt").write_text("mine")
    result = _cli("betavae-import", f"--input={spins}", f"--out={out}", "--temperature=2", "--overwrite")
    _one_sentence(result, 2, "also holds notes.txt", "nothing was replaced")
    assert (tmp_path / "ds" / "notes.txt").read_text() == "mine"


def test_an_output_that_is_a_file_is_named_not_errno(run_dir, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    result = _cli("betavae-analyze", f"--workdir={run_dir}", f"--out={plain}")
    _one_sentence(result, 2, f"{plain} is a file, not a directory")
    assert "Errno" not in result.stderr and plain.read_text() == "x"


def test_analysis_output_apart_from_its_inputs(run_dir):
    from betavae_tf.analysis.discovery import AnalyzeConfig, analyze

    for out, message in ((run_dir, "same directory"), (os.path.join(run_dir, "analysis"), "lies inside the workdir")):
        with pytest.raises(ValueError, match=message):
            analyze(AnalyzeConfig(workdirs=(run_dir,), out=out, n_bootstrap=10))


# -- 2. provenance ----------------------------------------------------------------------------
def test_a_state_file_pointing_at_another_run_is_not_followed(run_dir, train_data_dir, tmp_path):
    mine = shutil.copytree(run_dir, tmp_path / "mine")
    other = shutil.copytree(run_dir, tmp_path / "other")
    for name in os.listdir(mine / "checkpoints"):
        if name.startswith("ckpt-2"):
            os.remove(mine / "checkpoints" / name)
    (mine / "checkpoints" / "checkpoint").write_text(
        f'model_checkpoint_path: "{other}/checkpoints/ckpt-2"\n'
        f'all_model_checkpoint_paths: "{other}/checkpoints/ckpt-1"\n'
        f'all_model_checkpoint_paths: "{other}/checkpoints/ckpt-2"\n'
    )
    before = _tree(other)
    _, epoch, info = export.load_workdir_model(str(mine))
    assert epoch == 1 and info["source"] == "this workdir"
    result = train_lib.train_and_evaluate(_config(train_data_dir, epochs=4, keep_checkpoints=1), str(mine))
    assert result["resumed_from_epoch"] == 1 and result["epochs"] == 4
    assert _tree(other) == before  # not resumed from, not rotated away
    assert checkpoints.on_disk(str(mine)) == [4]
    assert str(other) not in (mine / "checkpoints" / "checkpoint").read_text()


def test_a_garbage_state_file_is_ignored_and_rewritten(run_copy, train_data_dir):
    (run_copy / "checkpoints" / "checkpoint").write_bytes(bytes(range(256)))
    assert export.model_from_workdir(str(run_copy))[1] == 2
    result = train_lib.train_and_evaluate(_config(train_data_dir, epochs=3), str(run_copy))
    assert result["resumed_from_epoch"] == 2
    assert (run_copy / "checkpoints" / "checkpoint").read_text().startswith('model_checkpoint_path: "ckpt-3"')


def test_another_runs_checkpoint_is_refused_unless_allowed(run_dir, train_data_dir, tmp_path):
    # The same model on the same data (a copy of the run): accepted, and said so.
    twin = shutil.copytree(run_dir, tmp_path / "twin")
    _, _, info = export.load_workdir_model(run_dir, str(twin / "checkpoints" / "ckpt-1"))
    assert info["source"] == "another workdir of the same model and data"
    # Another run (other data): refused in one sentence, allowed explicitly, and then recorded.
    data = generate(
        GenerateConfig(lattice_size=8, temperatures=(1.5, 3.0), samples_per_point=32, seed=9, n_shards=2),
        str(tmp_path / "data2"),
        log=None,
    )
    other = str(tmp_path / "other")
    train_lib.train_and_evaluate(_config(data, batch_size=16), other)
    foreign = os.path.join(other, "checkpoints", "ckpt-1")
    with pytest.raises(checkpoints.CheckpointError, match="is not one of .*--allow_foreign_checkpoint"):
        export.load_workdir_model(run_dir, foreign)
    result = _cli(
        "betavae-sample",
        f"--workdir={run_dir}",
        f"--checkpoint={foreign}",
        "--temperature=2",
        "--n_steps=4",
        "--burn_in=0",
        "--n_chains=2",
    )
    _one_sentence(result, 2, "is not one of", "--allow_foreign_checkpoint")
    path, _, info = export.export_checkpoint(run_dir, foreign, str(tmp_path / "exp"), allow_foreign=True)
    metadata = export.read_metadata(path)
    assert metadata["weights_from"] == foreign and metadata["training"]["source"].startswith("foreign")


def _flip(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_a_damaged_newest_checkpoint_is_named_and_the_intact_one_offered_or_taken(run_copy, train_data_dir):
    _flip(run_copy / "checkpoints" / "ckpt-2.data-00000-of-00001")
    with pytest.raises(
        checkpoints.CheckpointError,
        match=r"checkpoint ckpt-2 of .* is damaged .* the newest intact one is ckpt-1: pass "
        r"--checkpoint=.*ckpt-1",
    ):
        export.load_workdir_model(str(run_copy))
    result = _cli("betavae-export", f"--workdir={run_copy}")
    line = _one_sentence(result, 2, "ckpt-2", "is damaged", "ckpt-1")
    assert result.stderr.strip().splitlines()[-1] == line  # nothing after the sentence buries it
    resumed = train_lib.train_and_evaluate(_config(train_data_dir, epochs=2), str(run_copy))
    assert resumed["resumed_from_epoch"] == 1 and resumed["epochs"] == 2
    assert [h["epoch"] for h in resumed["history"]] == [1, 2]
    assert checkpoints.damage(checkpoints.prefix(str(run_copy), 2)) is None  # trained again, whole


# -- 3. records that agree ------------------------------------------------------------------------
def test_a_cut_history_is_rebuilt_from_the_checkpoint_not_shortened(run_copy, train_data_dir):
    history = run_copy / "history.jsonl"
    history.write_text(history.read_text().splitlines(keepends=True)[0])  # epoch 2 of 2 lost
    result = train_lib.train_and_evaluate(_config(train_data_dir, epochs=2), str(run_copy))
    saved = json.loads((run_copy / "result.json").read_text())
    assert saved["epochs"] == 2 and saved["final"]["epoch"] == 2
    assert saved["final"]["rebuilt_from_checkpoint"] is True and np.isfinite(saved["final"]["val_loss"])
    assert saved["planned_epochs"] == 2 and saved["finished"] is True
    assert [h["epoch"] for h in train_lib.read_history(str(run_copy))] == [1, 2]
    assert result["final"] == saved["final"]


def test_an_unfinished_run_says_so_in_export_and_sample(run_copy):
    config = json.loads((run_copy / "config.json").read_text())
    config["train"]["epochs"] = 6  # as if killed after epoch 2 of 6
    (run_copy / "config.json").write_text(json.dumps(config))
    path, _, info = export.export_checkpoint(str(run_copy), None, str(run_copy / "export"))
    assert info == dict(info, epoch=2, planned_epochs=6, finished=False)
    assert export.read_metadata(path)["training"]["finished"] is False
    result = _cli(
        "betavae-sample",
        f"--workdir={run_copy}",
        "--temperature=2",
        "--n_steps=4",
        "--burn_in=0",
        "--n_chains=2",
        f"--out={run_copy.parent / 'samples'}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "unfinished training run (epoch 2 of 6 planned)" in result.stdout
    summary = json.loads((run_copy.parent / "samples" / "summary.json").read_text())
    assert summary["training"]["finished"] is False
    assert places.kind_of(str(run_copy.parent / "samples")) == "samples"


# -- 4. inputs ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,message",
    [
        ("[" * 100000 + "]" * 100000, "nested 100000 levels deep"),
        ('{"a": ' * 70 + "1" + "}" * 70, "nested 70 levels deep"),
        ("\udcff", "not a text file"),
        ("[1, 2]", "must hold a JSON object"),
    ],
)
def test_json_reads_are_bounded(text, message, tmp_path):
    path = tmp_path / "manifest.json"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    with pytest.raises(ValueError, match=message):
        fileio.read_json(str(path), "manifest")


def test_a_deeply_nested_manifest_is_one_sentence(tmp_path):
    data = _dataset(tmp_path / "ds")
    text = (tmp_path / "ds" / "manifest.json").read_text().rstrip()
    (tmp_path / "ds" / "manifest.json").write_text(text[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}")
    _one_sentence(_cli("betavae-info", f"--data={data}"), 2, "manifest", "levels deep")


def test_a_huge_json_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(fileio, "MAX_JSON_BYTES", 1000)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"x": "y" * 2000}))
    with pytest.raises(ValueError, match="has 2.0 KB, more than the 1.0 KB"):
        fileio.read_json(str(path), "workdir config")


def test_non_regular_inputs_are_refused(tmp_path):
    fifo = tmp_path / "spins.npy"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is a FIFO"):
        import_configurations(str(fifo), str(tmp_path / "a"))
    with pytest.raises(ValueError, match="is a FIFO"):
        fileio.read_json(str(fifo), "manifest")
    with pytest.raises(ValueError, match="is a directory"):
        fileio.read_json(str(tmp_path), "manifest")


@pytest.mark.parametrize(
    "flag,message",
    [
        ("--coupling=nan", "--coupling must be a finite number, got nan"),
        ("--field=inf", "--field must be a finite number, got inf"),
        ("--temperature=2,nan", "--temperature must list finite numbers, got nan"),
    ],
)
def test_non_finite_flags_are_refused_before_any_work(flag, message, run_dir):
    result = _cli("betavae-sample", f"--workdir={run_dir}", "--temperature=2", flag, timeout=60)
    _one_sentence(result, 2, message)


@pytest.mark.parametrize(
    "flag,message",
    [
        ("--temperatures=1e-300", "below the smallest normal float32"),
        ("--temperatures=2,1e39", "beyond the float32 range"),
        ("--couplings=nan", "--couplings must list finite numbers"),
    ],
)
def test_generate_refuses_what_float32_cannot_hold(flag, message, tmp_path):
    result = _cli(
        "betavae-generate",
        "--lattice_size=4",
        "--samples_per_point=2",
        "--n_shards=1",
        f"--out={tmp_path / 'ds'}",
        flag,
        timeout=60,
    )
    _one_sentence(result, 2, message)
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize(
    "values,message",
    [
        (np.ones(5, bool), "temperatures must be numbers, not booleans"),
        (np.full(5, 1e-300), "below the smallest normal float32"),
        (np.full(5, 1e300), "beyond the float32 range"),
        (np.array(["2.0"] * 5), "temperatures must be numbers, not dtype <U3"),
    ],
)
def test_import_refuses_labels_float32_cannot_hold(values, message, tmp_path):
    path = tmp_path / "in.npz"
    np.savez(path, spins=(np.arange(80).reshape(5, 4, 4) % 2).astype(np.uint8), temperatures=values)
    with pytest.raises(ValueError, match=message):
        import_configurations(str(path), str(tmp_path / "ds"))
    assert not (tmp_path / "ds").exists()


def test_import_refuses_boolean_temperature_for_all(tmp_path):
    path = tmp_path / "in.npy"
    np.save(path, (np.arange(80).reshape(5, 4, 4) % 2).astype(np.uint8))
    with pytest.raises(ValueError, match="temperatures must be numbers, not booleans"):
        import_configurations(str(path), str(tmp_path / "ds"), temperature=True)


def test_a_corrupt_mnist_header_is_called_corrupt(tmp_path):
    import io
    import zipfile

    def npy(array, shape=None):
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buffer, {"descr": "|u1", "fortran_order": False, "shape": shape or array.shape}
        )
        return buffer.getvalue() + array.tobytes()

    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:  # a consistent archive whose header claims 5 GB of images
        archive.writestr("x_train.npy", npy(np.zeros((3, 28, 28), np.uint8), shape=(6_000_000, 28, 28)))
        archive.writestr("y_train.npy", npy(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        import_mnist(str(path), str(tmp_path / "ds"))
    line = _one_sentence(
        _cli("betavae-import", f"--mnist={path}", f"--out={tmp_path / 'ds'}"),
        2,
        "truncated or corrupt",
        "declares shape (6000000, 28, 28)",
    )
    assert "memory" not in line
    raw = bytearray(path.read_bytes())  # a flipped byte: the archive's checksum names it corrupt
    raw[60] ^= 0xFF
    path.write_bytes(bytes(raw))
    _one_sentence(_cli("betavae-import", f"--mnist={path}", f"--out={tmp_path / 'ds'}"), 2, "corrupt")
    assert not (tmp_path / "ds").exists()


def test_flagfiles_that_are_not_text_are_named(tmp_path):
    binary = tmp_path / "bin.flags"
    binary.write_bytes(b"--lattice_size=4\n\xff\xfe\x00")
    line = _one_sentence(
        _cli("betavae-generate", f"--flagfile={binary}", f"--out={tmp_path / 'x'}"),
        2,
        f"flagfile {binary} is not a text file",
    )
    assert "utf-8" not in line.lower().replace("not utf-8", "")
    fifo = tmp_path / "fifo.flags"
    os.mkfifo(fifo)
    _one_sentence(_cli("betavae-generate", f"--flagfile={fifo}", f"--out={tmp_path / 'x'}", timeout=60), 2, "is a FIFO")


def test_extreme_sampler_settings_are_refused_not_printed_as_inf(run_dir):
    from betavae_tf import sampling

    model, _ = export.model_from_workdir(run_dir)
    with pytest.raises(ValueError, match="outside the range of a float64"):
        sampling.exact_sample(model, sampling.Target(1e-160), n_chains=2, n_steps=4, burn_in=0)
    with pytest.raises(ValueError, match="n_chains must be an integer >= 2"):
        sampling.exact_sample(model, sampling.Target(2.0), n_chains=1, n_steps=4, burn_in=0)
    result = _cli("betavae-sample", f"--workdir={run_dir}", "--temperature=1e-160", "--n_steps=4", "--n_chains=2")
    line = _one_sentence(result, 2, "outside the range of a float64")
    assert "inf" not in result.stdout and "nan" not in result.stdout, line


# -- 5. serving never aborts ------------------------------------------------------------------------
_SERVE = """
import sys, numpy as np, tensorflow as tf
assert "betavae_tf" not in sys.modules
loaded = tf.saved_model.load(sys.argv[1])
cases = {
    "encode": [("x", (8, 8, 1), "float32"), ("x", (2, 8, 8), "float32"), ("x", (2, 4, 4, 1), "float32"),
               ("x", (2, 8, 8, 1, 1), "float32"), ("x", (2, 8, 8, 1), "int32")],
    "serving_default": [("x", (8, 8, 1), "float32"), ("x", (2, 8, 8, 3), "float32")],
    "reconstruct": [("x", (8, 8, 1), "float32"), ("x", (1, 8, 8), "float32"), ("x", (2, 8, 8, 1), "float64")],
    "decode": [("z", (2,), "float32"), ("z", (2, 3), "float32"), ("z", (2, 2, 1), "float32"), ("z", (2, 2), "int32")],
    "sample": [("seed", (2, 2), "int32"), ("seed", (), "int32"), ("seed", (2,), "float32")],
}
for signature, inputs in cases.items():
    fn = loaded.signatures[signature]
    for name, shape, dtype in inputs:
        try:
            fn(**{name: tf.zeros(shape, dtype)})
            print("ACCEPTED", signature, shape, dtype)
        except tf.errors.InvalidArgumentError as e:
            print("REFUSED", signature, shape, dtype, str(e).strip().splitlines()[0][:120])
    good = {"x": tf.zeros((2, 8, 8, 1)), "z": tf.zeros((2, 2)), "seed": tf.constant([0, 1])}[inputs[0][0]]
    fn(**{inputs[0][0]: good})  # still serving after the refusals
print("ALIVE")
"""


def test_every_signature_refuses_wrong_inputs_without_aborting(run_dir, tmp_path):
    path, _, _ = export.export_checkpoint(run_dir, None, str(tmp_path / "exp"))
    env = dict(subprocess_env(), TF_ENABLE_ONEDNN_OPTS="1")
    result = subprocess.run(
        [sys.executable, "-c", _SERVE, path], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[-1] == "ALIVE" and not [line for line in lines if line.startswith("ACCEPTED")], result.stdout
    assert len([line for line in lines if line.startswith("REFUSED")]) == 17


def test_an_unfinished_run_says_so_in_the_analysis(run_copy, tmp_path):
    from betavae_tf.analysis.discovery import AnalyzeConfig, analyze

    config = json.loads((run_copy / "config.json").read_text())
    config["train"]["epochs"] = 6
    (run_copy / "config.json").write_text(json.dumps(config))
    out = tmp_path / "analysis"
    result = analyze(
        AnalyzeConfig(workdirs=(str(run_copy),), out=str(out), n_bootstrap=10, max_clusters=2), log=lambda *a: None
    )
    unfinished = [w for w in result["warnings"] if "unfinished" in w]  # the others: quality warnings
    assert len(unfinished) == 1 and "epoch 2 of 6 planned" in unfinished[0]
    assert "**Warning:**" in (out / "report.md").read_text() and "epoch 2 of 6" in (out / "report.html").read_text()
    assert json.loads((out / "summary.json").read_text())["runs"][0]["training"]["finished"] is False
    assert places.kind_of(str(out)) == "analysis"
    # Again into the same place: refused without --overwrite, replaced whole with it.
    with pytest.raises(FileExistsError, match="already exists; pass --overwrite"):
        analyze(AnalyzeConfig(workdirs=(str(run_copy),), out=str(out), n_bootstrap=10, max_clusters=2))
    analyze(
        AnalyzeConfig(workdirs=(str(run_copy),), out=str(out), n_bootstrap=10, max_clusters=2, overwrite=True),
        log=lambda *a: None,
    )
    assert not [n for n in os.listdir(tmp_path) if fileio.is_temporary(n)]
