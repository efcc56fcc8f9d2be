"""Faults and bad data: nothing lost, nothing wrong in silence (one test per guarantee in docs/guarantees.md's
"What is guaranteed"). Tiny data and one or two training steps; mounts (a full or read-only disk) need
root and are skipped cleanly without it."""

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import one_sentence, run_cli, subprocess_env, tiny_train_config

import mc_ext
from betavae_tf import export, fileio, train_lib
from betavae_tf.data import format as fmt
from betavae_tf.data import verify
from betavae_tf.data.generate import GenerateConfig, generate
from betavae_tf.data.importer import import_numpy
from betavae_tf.data.pipeline import load_numpy

BIN = os.path.dirname(sys.executable)


_cli, _one_sentence = run_cli, one_sentence


_config = tiny_train_config


def _tree(path):
    """{relative path: bytes} of every file under path (to show nothing changed)."""
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = f.read()
    return out


@pytest.fixture
def data_copy(train_data_dir, tmp_path):
    """A private copy of the tiny three-phase set, free to damage."""
    return shutil.copytree(train_data_dir, tmp_path / "data")


@pytest.fixture(scope="module")
def trained_workdir(train_data_dir, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("trained") / "run")
    train_lib.train_and_evaluate(_config(train_data_dir), workdir)
    return workdir


@contextlib.contextmanager
def _tmpfs(path, size="2m", read_only=False):
    os.makedirs(path, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield str(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


# -- 1. exports never delete what they do not own -------------------------------------------
def test_export_refuses_a_workdir_a_dataset_and_foreign_files(trained_workdir, train_data_dir, tmp_path):
    before = {p: _tree(p) for p in (trained_workdir, train_data_dir)}
    for target in (trained_workdir, train_data_dir):
        for overwrite in (False, True):
            with pytest.raises(FileExistsError, match="is not an export directory of this package: it holds"):
                export.export_checkpoint(trained_workdir, None, target, overwrite=overwrite)
    assert {p: _tree(p) for p in before} == before
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    for extra in ([], ["--overwrite"]):  # --overwrite replaces an export version, never other files
        result = _cli("betavae-export", f"--workdir={trained_workdir}", f"--export_dir={foreign}", *extra)
        _one_sentence(result, 2, "is not an export directory", "holds notes.txt")
    assert os.listdir(foreign) == ["notes.txt"] and (foreign / "notes.txt").read_text() == "keep me"
    # Exports of its own get new versions; --overwrite replaces a version.
    base = tmp_path / "exports"
    path, _, _ = export.export_checkpoint(trained_workdir, None, str(base))
    assert os.listdir(base) == ["1"] and path == str(base / "1")
    export.export_checkpoint(trained_workdir, None, str(base))
    assert sorted(os.listdir(base)) == ["1", "2"]
    with pytest.raises(FileExistsError, match="already exists; pass --overwrite"):
        export.export_checkpoint(trained_workdir, None, str(base), version=2)
    export.export_checkpoint(trained_workdir, None, str(base), version=2, overwrite=True)
    assert sorted(os.listdir(base)) == ["1", "2"]


# -- 2. --overwrite replaces datasets only -------------------------------------------------------
@pytest.mark.heavy
def test_generate_overwrite_replaces_datasets_only(tmp_path):
    user = tmp_path / "home"
    user.mkdir()
    (user / "thesis.tex").write_text("precious")
    tiny = ["--lattice_size=4", "--n_temperatures=2", "--samples_per_point=2", "--n_shards=1"]
    result = _cli("betavae-generate", *tiny, f"--out={user}", "--overwrite")
    _one_sentence(result, 2, "not a dataset of this package", "holds thesis.tex", "--overwrite replaces only")
    assert (user / "thesis.tex").read_text() == "precious"
    plain = tmp_path / "file.txt"
    plain.write_text("x")
    _one_sentence(_cli("betavae-generate", *tiny, f"--out={plain}", "--overwrite"), 2, "is a file")
    assert plain.read_text() == "x"
    # A dataset of this package is replaced, and the current directory is never replaced.
    ds = tmp_path / "ds"
    assert _cli("betavae-generate", *tiny, f"--out={ds}").returncode == 0
    assert _cli("betavae-generate", *tiny, f"--out={ds}", "--overwrite", "--seed=1").returncode == 0
    _one_sentence(_cli("betavae-generate", *tiny, "--out=.", "--overwrite", cwd=ds), 2, "working directory")


# -- 3. one process per workdir -------------------------------------------------------------------
_HOLD_LOCK = """
import sys, time
from betavae_tf import fileio
with fileio.locked(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_second_process_on_a_workdir_is_refused_and_a_kill_frees_the_lock(train_data_dir, tmp_path):
    workdir = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(workdir)],
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = _cli(
            "betavae-train",
            f"--data_dir={train_data_dir}",
            f"--workdir={workdir}",
            "--epochs=1",
            "--steps_per_epoch=1",
            "--batch_size=32",
            "--verbose=0",
            "--nosummary_images",
            "--noexport",
        )
        _one_sentence(result, 2, f"workdir {workdir} is in use by betavae-train process {holder.pid}")
        assert not (workdir / "checkpoints").exists() and not (workdir / "history.jsonl").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The OS released the lock with the killed process: nothing stale is left to clean by hand.
    with fileio.locked(str(workdir)):
        pass


# -- 4. damaged or inconsistent datasets are refused with one sentence naming the shard -----------
def _manifest(data):
    return json.loads((data / "manifest.json").read_text())


def _write_manifest(data, manifest):
    (data / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "damage,message",
    [
        ("half", "has {half} bytes, but the manifest says {full}; it is truncated"),
        ("empty", "has 0 bytes, but the manifest says {full}; it is truncated"),
    ],
)
def test_truncated_shard_is_refused(damage, message, data_copy):
    shard = data_copy / "shard-00001-of-00004.tfrecord"
    full = shard.stat().st_size
    shard.write_bytes(shard.read_bytes()[: full // 2 if damage == "half" else 0])
    text = message.format(half=full // 2, full=full)
    with pytest.raises(fmt.DatasetError, match="shard shard-00001-of-00004.tfrecord"):
        fmt.read_manifest(str(data_copy))
    _one_sentence(_cli("betavae-info", f"--data={data_copy}"), 2, "shard-00001-of-00004.tfrecord", text)
    with pytest.raises(fmt.DatasetError, match="truncated"):
        train_lib.train_and_evaluate(_config(str(data_copy)), str(data_copy.parent / "run"))
    assert not (data_copy.parent / "run").exists()


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda m: m.update(lattice_size=16), "declares L = 16"),
        (lambda m: m.update(lattice_size=28), "declares L = 28"),
        (lambda m: m.update(lattice_size=64, sample_bytes=512), "holds samples of 8 bytes"),
        (lambda m: m["shards"].append(dict(m["shards"][0])), "more than once"),
        (lambda m: m.update(shards=m["shards"][:2]), "lists 2 shards, but their names say there are 4"),
        (lambda m: m.update(n_samples=m["n_samples"] + 10), "but n_samples says"),
        (lambda m: m["shards"][0].update(file="../../x.tfrecord"), "plain file names"),
        (lambda m: m["shards"][0].update(file="/etc/passwd"), "plain file names"),
        (lambda m: m.pop("lattice_size"), "lacks the key 'lattice_size'"),
        (lambda m: m.update(lattice_size="8"), "'lattice_size' must be an integer, got '8'"),
        (lambda m: m.update(shards="all"), "'shards' must be a list"),
    ],
)
def test_inconsistent_manifest_is_refused(edit, message, data_copy):
    manifest = _manifest(data_copy)
    edit(manifest)
    _write_manifest(data_copy, manifest)
    with pytest.raises(fmt.DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        if manifest.get("sample_bytes") == 512:  # a consistent-looking manifest: only the records tell
            from betavae_tf.data.pipeline import make_dataset

            make_dataset(str(data_copy))
        else:
            fmt.read_manifest(str(data_copy))
    result = _cli(
        "betavae-train",
        f"--data_dir={data_copy}",
        f"--workdir={data_copy.parent / 'run'}",
        "--epochs=1",
        "--steps_per_epoch=1",
        "--batch_size=32",
        "--verbose=0",
    )
    _one_sentence(result, 2, message)


@pytest.mark.heavy
def test_flipped_byte_is_named_by_verify_and_by_readers(data_copy):
    assert "checksums, record counts, indices and sample sizes match" in verify.verify_dataset(str(data_copy))
    shard = data_copy / "shard-00002-of-00004.tfrecord"
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size: only the checksum and the TFRecord CRC can tell
    shard.write_bytes(bytes(raw))
    fmt.read_manifest(str(data_copy))  # the cheap checks cannot see it
    result = _cli("betavae-info", f"--data={data_copy}", "--verify")
    _one_sentence(result, 2, "shard shard-00002-of-00004.tfrecord", "SHA-256 checksum differs")
    with pytest.raises(fmt.DatasetError, match="shard shard-00002-of-00004.tfrecord .* is damaged"):
        load_numpy(str(data_copy))
    result = _cli(
        "betavae-train",
        f"--data_dir={data_copy}",
        f"--workdir={data_copy.parent / 'run'}",
        "--epochs=1",
        "--batch_size=32",
        "--verbose=0",
        "--nosummary_images",
        "--noexport",
    )
    _one_sentence(result, 2, "shard-00002-of-00004.tfrecord")


def test_unlisted_shard_is_refused(data_copy):
    shutil.copy(data_copy / "shard-00000-of-00004.tfrecord", data_copy / "shard-00009-of-00010.tfrecord")
    with pytest.raises(fmt.DatasetError, match="holds the shard shard-00009-of-00010.tfrecord, which its manifest"):
        fmt.read_manifest(str(data_copy))


# -- 5. a workdir knows its data ------------------------------------------------------------------
def test_resume_on_replaced_data_is_refused_before_anything_is_written(tmp_path):
    def make(seed, L=8):
        return generate(
            GenerateConfig(lattice_size=L, temperatures=(1.5, 3.0), samples_per_point=64, seed=seed, n_shards=2),
            str(tmp_path / "data"),
            overwrite=True,
            log=None,
        )

    data = make(1)
    workdir = tmp_path / "run"
    train_lib.train_and_evaluate(_config(data), str(workdir))
    before = _tree(workdir)
    make(2)  # same path, same shape, other samples
    with pytest.raises(ValueError, match="other data than .* holds now"):
        train_lib.train_and_evaluate(_config(data, epochs=2), str(workdir))
    make(1, L=12)  # another lattice size
    with pytest.raises(ValueError, match="lattice_size = 8, but .* now has lattice_size = 12"):
        train_lib.train_and_evaluate(_config(data, epochs=2), str(workdir))
    after = _tree(workdir)
    assert {k: v for k, v in after.items() if k != ".lock"} == {k: v for k, v in before.items() if k != ".lock"}
    model, epoch = export.model_from_workdir(str(workdir))  # the good checkpoint stays usable
    assert epoch == 1 and model.config.lattice_size == 8


# -- 7. a resumed run is the uninterrupted run ---------------------------------------------------
def test_resume_gives_the_losses_of_an_uninterrupted_run(train_data_dir, tmp_path):
    straight = train_lib.train_and_evaluate(_config(train_data_dir, epochs=4, steps_per_epoch=3), str(tmp_path / "a"))
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=1, steps_per_epoch=3), str(tmp_path / "b"))
    resumed = train_lib.train_and_evaluate(_config(train_data_dir, epochs=4, steps_per_epoch=3), str(tmp_path / "b"))
    assert resumed["resumed_from_epoch"] == 1
    for a, b in zip(straight["history"], resumed["history"], strict=True):
        for key in ("loss", "distortion", "rate", "val_loss"):
            assert a[key] == pytest.approx(b[key], rel=1e-6), (a["epoch"], key)


# -- 8. a half-written history line -------------------------------------------------------------
def test_half_written_history_line_is_dropped_and_repaired(train_data_dir, tmp_path):
    workdir = tmp_path / "run"
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=1), str(workdir))
    history = workdir / "history.jsonl"
    with open(history, "a") as f:
        f.write('{"epoch": 2, "loss": 12')  # a kill in the middle of the next append
    assert [h["epoch"] for h in train_lib.read_history(str(workdir))] == [1]
    result = train_lib.train_and_evaluate(_config(train_data_dir, epochs=2), str(workdir))
    assert [h["epoch"] for h in result["history"]] == [1, 2]
    lines = history.read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


# -- 9. every expected failure is one sentence ----------------------------------------------------
def test_read_only_output_fails_before_sampling(tmp_path):
    with _tmpfs(tmp_path / "ro", read_only=True) as ro:
        start = time.perf_counter()
        result = _cli("betavae-generate", "--lattice_size=32", "--samples_per_point=4000", f"--out={ro}/ds")
        _one_sentence(result, 2, "cannot write the dataset", "Read-only file system")
        assert time.perf_counter() - start < 60  # 128,000 samples would take far longer to sample


@pytest.mark.heavy
def test_full_disk_leaves_no_temporaries(train_data_dir, tmp_path, monkeypatch):
    with _tmpfs(tmp_path / "full", size="1m") as full:
        config = GenerateConfig(
            lattice_size=32, temperatures=(3.0,), couplings=(1.0,), samples_per_point=8000, n_shards=1
        )
        with pytest.raises(ValueError, match="needs about .* but the disk holding .* has .* free"):
            generate(config, f"{full}/ds", log=None)  # refused up front: the estimate does not fit
        monkeypatch.setattr(fileio, "check_free_space", lambda *a, **k: None)
        with pytest.raises(OSError) as raised:
            generate(config, f"{full}/ds", log=None)  # the estimate skipped: the disk fills while writing
        assert raised.value.errno == errno.ENOSPC
        assert os.listdir(full) == []
        assert "the disk is full" in fileio.describe_os_error(raised.value)
        # Training: the first checkpoint does not fit; one sentence, and nothing half-written stays.
        result = _cli(
            "betavae-train",
            f"--data_dir={train_data_dir}",
            f"--workdir={full}/run",
            "--epochs=1",
            "--steps_per_epoch=1",
            "--batch_size=32",
            "--verbose=0",
            "--nosummary_images",
            "--noexport",
        )
        _one_sentence(result, 1, "the disk is full")
        checkpoints = f"{full}/run/checkpoints"
        left = os.listdir(checkpoints) if os.path.isdir(checkpoints) else []
        assert not [n for n in left + os.listdir(f"{full}/run") if n.endswith("_temp") or ".tmp-" in n]


def test_bad_inputs_give_one_sentence(trained_workdir, tmp_path):
    huge = tmp_path / "huge.npy"
    with open(huge, "wb") as f:  # a header that claims 4 TB, followed by 64 bytes
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|u1", "fortran_order": False, "shape": (1_000_000, 2000, 2000)}
        )
        f.write(b"\0" * 64)
    _one_sentence(
        _cli("betavae-import", f"--input={huge}", f"--out={tmp_path / 'a'}"),
        2,
        "is truncated or corrupt",
        "declares shape (1000000, 2000, 2000)",
    )
    _one_sentence(
        _cli("betavae-generate", "--lattice_size=2000000", f"--out={tmp_path / 'b'}"),
        2,
        "needs about",
        "of memory, but only",
    )
    _one_sentence(
        _cli("betavae-export", f"--workdir={trained_workdir}", f"--checkpoint={trained_workdir}/checkpoints/best"),
        2,
        "no checkpoint",
        "ckpt-1",
    )
    bad_json = tmp_path / "badjson"
    shutil.copytree(trained_workdir, bad_json)
    (bad_json / "config.json").write_text("{not json")
    _one_sentence(_cli("betavae-export", f"--workdir={bad_json}"), 2, "is not valid JSON")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# -- 10. stale temporaries are swept ------------------------------------------------------------
def test_stale_temporaries_of_dead_processes_are_swept(train_data_dir, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".ds.tmp-{dead.pid}-0123abcd"
    stale.mkdir()
    (stale / "shard").write_bytes(b"\0" * 1000)
    live = tmp_path / f".other.tmp-{os.getpid()}-0123abcd"  # this process is alive: kept
    live.mkdir()
    generate(
        GenerateConfig(lattice_size=4, temperatures=(2.0,), couplings=(1.0,), samples_per_point=4, n_shards=1),
        str(tmp_path / "ds"),
        log=None,
    )
    assert not stale.exists() and live.exists()
    # Checkpoint temporaries of a killed run are removed by the next run on the workdir.
    workdir = tmp_path / "run"
    train_lib.train_and_evaluate(_config(train_data_dir), str(workdir))
    (workdir / "checkpoints" / "ckpt-2_temp").mkdir()
    (workdir / f".config.json.tmp-{dead.pid}-0123abcd").write_text("{")
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=2), str(workdir))
    names = os.listdir(workdir) + os.listdir(workdir / "checkpoints")
    assert not [n for n in names if n.endswith("_temp") or ".tmp-" in n]


# -- 11. the sampler refuses what does not fit and stops on Ctrl-C ------------------------------
def test_sampler_refuses_what_does_not_fit_in_memory():
    with pytest.raises(ValueError, match=r"sample_ising\(L=100000.* needs about .* of memory, but only"):
        mc_ext.sample_ising(100000, 2.0, 10)
    with pytest.raises(ValueError, match="needs about .* of memory"):
        mc_ext.sample_ising(32, 2.0, 20000 * 10**6)


_INTERRUPT = """
import os, signal, threading, time
import mc_ext
# A process started in the background by a non-interactive shell inherits SIGINT ignored, and Python then
# installs no KeyboardInterrupt handler: restore it, as an interactive session has it.
signal.signal(signal.SIGINT, signal.default_int_handler)
def fire():
    time.sleep(1.0)
    global fired
    fired = time.perf_counter()
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=fire, daemon=True).start()
try:
    mc_ext.sample_ising(256, 2.269, 100000, seed=1, algorithm="metropolis")
except KeyboardInterrupt:
    print("INTERRUPTED_AFTER", time.perf_counter() - fired)
"""


def test_a_long_sampler_call_stops_on_ctrl_c_within_a_second(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _INTERRUPT], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    words = result.stdout.split()
    assert "INTERRUPTED_AFTER" in words, result.stderr[-2000:]
    assert float(words[words.index("INTERRUPTED_AFTER") + 1]) < 1.0


# -- 12. degenerate inputs -------------------------------------------------------------------------
def test_degenerate_inputs_are_refused(tmp_path):
    np.save(tmp_path / "empty.npy", np.zeros((5, 0, 0), np.uint8))
    with pytest.raises(ValueError, match="L >= 2"):
        import_numpy(str(tmp_path / "empty.npy"), str(tmp_path / "a"))
    np.save(tmp_path / "ok.npy", np.ones((5, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="n_shards must be a positive integer"):
        import_numpy(str(tmp_path / "ok.npy"), str(tmp_path / "b"), n_shards=0)
    _one_sentence(
        _cli("betavae-import", f"--input={tmp_path / 'ok.npy'}", f"--out={tmp_path / 'c'}", "--n_shards=0"),
        2,
        "n_shards must be a positive integer",
    )
    for value in (True, "2.0", None):
        with pytest.raises(ValueError, match="temperature must be a real number"):
            mc_ext.sample_ising(4, value, 2)
    assert not any((tmp_path / n).exists() for n in "abc")


# -- 13. reproduce reuses only matching data -------------------------------------------------------
def test_reproduce_refuses_data_of_another_scale(tmp_path):
    out = tmp_path / "repro"
    common = [
        "--figures=4",
        "--betas=100",
        "--data_flag=--lattice_size=4",
        "--data_flag=--n_shards=1",
        "--train_flag=--epochs=1",
        "--train_flag=--steps_per_epoch=1",
        "--train_flag=--batch_size=8",
        "--train_flag=--nosummary_images",
        "--train_flag=--noexport",
        "--n_generated=16",
    ]
    generate(GenerateConfig(lattice_size=4, samples_per_point=2, n_shards=1), str(out / "data"), log=None)
    result = _cli("betavae-reproduce", f"--out={out}", *common)
    _one_sentence(
        result, 2, "was generated with other settings than this run asks for", "samples_per_point = 2 (asked: 400)"
    )
    assert sorted(os.listdir(out)) == [".betavae_tf.json", "data"]  # the data and the reproduction's marker
