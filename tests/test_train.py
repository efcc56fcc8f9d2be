"""train_and_evaluate and betavae-train: the workdir, resume (also after SIGKILL),
NaN stop, repeatability, strategies, and one-sentence errors for bad flags."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import REPO_ROOT, subprocess_env, tiny_train_config

from betavae_tf import train_lib

TRAIN = os.path.join(os.path.dirname(sys.executable), "betavae-train")
EXPORT = os.path.join(os.path.dirname(sys.executable), "betavae-export")


def _config(data_dir, **overrides):
    return tiny_train_config(data_dir, **dict({"epochs": 2, "beta": 100.0}, **overrides))


_env = subprocess_env


def test_workdir_contents_and_resume(train_data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    result = train_lib.train_and_evaluate(_config(train_data_dir, summary_images=True, export=True), workdir)
    assert result["epochs"] == 2 and result["resumed_from_epoch"] == 0
    assert [h["epoch"] for h in result["history"]] == [1, 2]
    final = result["final"]
    assert final["loss"] == pytest.approx(final["distortion"] + 100.0 * final["rate"], rel=1e-4)
    for name in ("config.json", "result.json", "history.jsonl", "export/1/saved_model.pb"):
        assert os.path.exists(os.path.join(workdir, name)), name
    assert train_lib.latest_epoch(os.path.join(workdir, "checkpoints")) == 2
    with open(os.path.join(workdir, "config.json")) as f:
        effective = json.load(f)
    assert effective["model"]["lattice_size"] == 8 and effective["train"]["beta"] == 100.0
    events = {d: os.listdir(os.path.join(workdir, "tensorboard", d)) for d in ("train", "validation", "images")}
    assert all(events.values()), events
    # TensorBoard images: the 16-sample grid and the latent scatter.
    import tensorflow as tf

    tags = set()
    for name in events["images"]:
        for event in tf.compat.v1.train.summary_iterator(os.path.join(workdir, "tensorboard", "images", name)):
            tags.update(v.tag for v in event.summary.value)
    assert {"generated_samples", "latent_scatter"} <= tags
    # Running again with more epochs resumes from the checkpoint.
    again = train_lib.train_and_evaluate(_config(train_data_dir, epochs=3), workdir)
    assert again["resumed_from_epoch"] == 2 and again["epochs"] == 3
    assert [h["epoch"] for h in again["history"]] == [1, 2, 3]
    # A finished run run again trains nothing.
    assert train_lib.train_and_evaluate(_config(train_data_dir, epochs=3), workdir)["resumed_from_epoch"] == 3
    # The checkpoints belong to this beta: another beta is refused.
    with pytest.raises(ValueError, match="holds a run with beta = 100.0, not 10.0"):
        train_lib.train_and_evaluate(_config(train_data_dir, beta=10.0), workdir)


def test_same_seed_repeats_the_run(train_data_dir, tmp_path):
    losses = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        result = train_lib.train_and_evaluate(_config(train_data_dir, seed=seed, epochs=1), str(tmp_path / name))
        losses.append(result["final"]["loss"])
    assert losses[0] == losses[1]
    assert losses[0] != losses[2]


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(train_data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=1), workdir)
    saved = open(os.path.join(workdir, "checkpoints", "ckpt-1.index"), "rb").read()
    # A learning rate of 1e30 sends the weights to inf within a step or two.
    with pytest.raises(
        train_lib.TrainingDivergedError, match=r"NaN or infinite at epoch 2.*last good checkpoint \(epoch 1\)"
    ):
        train_lib.train_and_evaluate(_config(train_data_dir, epochs=3, learning_rate=1e30), workdir)
    assert train_lib.latest_epoch(os.path.join(workdir, "checkpoints")) == 1
    assert open(os.path.join(workdir, "checkpoints", "ckpt-1.index"), "rb").read() == saved
    # ... and the kept checkpoint is usable.
    result = train_lib.train_and_evaluate(_config(train_data_dir, epochs=2), workdir)
    assert result["resumed_from_epoch"] == 1 and np.isfinite(result["final"]["loss"])


def test_kl_warmup_is_in_the_history_and_resumes_on_schedule(train_data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=2, kl_warmup_epochs=2, beta=8.0), workdir)
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=3, kl_warmup_epochs=2, beta=8.0), workdir)
    assert [h["beta"] for h in train_lib.read_history(workdir)] == [0.0, 4.0, 8.0]
    with pytest.raises(ValueError, match="kl_warmup_epochs = 2, not 0"):
        train_lib.train_and_evaluate(_config(train_data_dir, epochs=4, beta=8.0), workdir)


def test_sigkill_then_resume(train_data_dir, tmp_path):
    workdir = tmp_path / "run"
    cmd = [
        TRAIN,
        f"--data_dir={train_data_dir}",
        f"--workdir={workdir}",
        "--batch_size=32",
        "--epochs=4",
        "--steps_per_epoch=25",
        "--verbose=0",
        "--nosummary_images",
        "--noexport",
    ]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    checkpoints = workdir / "checkpoints"
    deadline = time.time() + 240
    # Wait for a complete checkpoint (its state file names it), not just its index file:
    # killing between the two is a legitimate "nothing saved yet" and not what this test is about.
    while not (checkpoints.exists() and train_lib.latest_epoch(str(checkpoints)) >= 1):
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = train_lib.latest_epoch(str(checkpoints))
    assert 1 <= done < 4, "the run should have been killed before it finished"
    rerun = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"trained 4 epochs (resumed from epoch {done})" in rerun.stdout
    assert [h["epoch"] for h in train_lib.read_history(str(workdir))] == [1, 2, 3, 4]


def test_console_is_quiet_and_one_line_per_epoch_when_not_a_terminal(train_data_dir, tmp_path):
    """Default verbosity into a pipe: one Keras line per epoch, no bar, no TensorFlow native start-up lines."""
    cmd = [TRAIN, f"--data_dir={train_data_dir}", f"--workdir={tmp_path / 'run'}", "--batch_size=32", "--epochs=2"]
    cmd += ["--steps_per_epoch=2", "--nosummary_images", "--noexport"]
    result = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout and "\x1b" not in result.stdout
    assert len([line for line in result.stdout.splitlines() if line.startswith("2/2 - ")]) == 2, result.stdout
    native = [line for line in result.stderr.splitlines() if "InitializeLog" in line or line[:5] in ("I0000", "E0000")]
    assert native == [], native
    # this package's progress lines read as sentences, without absl's prefix
    assert any(line.startswith("training run: epoch 2/2, loss ") for line in result.stderr.splitlines())


def test_export_cli_for_a_checkpoint(train_data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(_config(train_data_dir, keep_checkpoints=3), workdir)
    out = tmp_path / "epoch1"
    result = subprocess.run(
        [EXPORT, f"--workdir={workdir}", f"--checkpoint={workdir}/checkpoints/ckpt-1", f"--export_dir={out}"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"exported epoch 1 of {workdir}" in result.stdout
    assert (out / "1" / "saved_model.pb").exists()
    missing = subprocess.run(
        [EXPORT, f"--workdir={workdir}", f"--checkpoint={workdir}/checkpoints/ckpt-9"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines()[-1].startswith("betavae-export: error: no checkpoint")


_MIRRORED = """
import sys, tensorflow as tf
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
from betavae_tf import train_lib
config = train_lib.TrainConfig(data_dir=sys.argv[1], batch_size=32, epochs=1, steps_per_epoch=3,
                               verbose=0, summary_images=False, strategy="mirrored")
result = train_lib.train_and_evaluate(config, sys.argv[2])
print("REPLICAS", result["replicas"], "LOSS", result["final"]["loss"])
"""


def test_mirrored_strategy_on_two_logical_cpus(train_data_dir, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _MIRRORED, train_data_dir, str(tmp_path / "run")],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    words = result.stdout.split()
    assert words[words.index("REPLICAS") + 1] == "2"
    assert np.isfinite(float(words[words.index("LOSS") + 1]))
    assert (tmp_path / "run" / "export" / "1" / "saved_model.pb").exists()


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_mirrored_two_local_workers(train_data_dir, tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    workdir = tmp_path / "run"
    procs = []
    for index in range(2):
        env = _env()
        env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        procs.append(
            subprocess.Popen(
                [
                    TRAIN,
                    f"--data_dir={train_data_dir}",
                    f"--workdir={workdir}",
                    "--batch_size=32",
                    "--epochs=1",
                    "--steps_per_epoch=3",
                    "--verbose=0",
                    "--strategy=multi_worker",
                    "--summary_images",
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=500) for p in procs]
    for p, (_out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
    assert "trained 1 epochs" in outputs[0][0]
    assert json.load(open(workdir / "result.json"))["replicas"] == 2
    assert (workdir / "export" / "1" / "saved_model.pb").exists()
    assert not (workdir / "checkpoints-tmp" / "worker-1").exists()


@pytest.fixture(scope="module")
def three_channel_dir(train_data_dir, tmp_path_factory):
    # The manifest is what declares the channel count; a copy that declares 3
    # (as a one-hot Potts set would) must be refused by the bernoulli decoder.
    path = tmp_path_factory.mktemp("c3") / "data"
    shutil.copytree(train_data_dir, path)
    manifest = json.load(open(path / "manifest.json"))
    manifest["channels"] = 3
    json.dump(manifest, open(path / "manifest.json", "w"))
    return str(path)


@pytest.fixture(scope="module")
def odd_size_dir(tmp_path_factory):
    from betavae_tf.data.generate import GenerateConfig, generate

    config = GenerateConfig(lattice_size=6, couplings=(1.0,), temperatures=(2.0,), samples_per_point=40, n_shards=1)
    return generate(config, str(tmp_path_factory.mktemp("l6") / "data"), log=None)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--beta=-1"], "beta must be a finite number >= 0, got -1.0."),
        (["--latent_dim=0"], "the latent dimension must be at least 1, got 0."),
        (["--data_dir={tmp}/nowhere"], "dataset directory {tmp}/nowhere does not exist."),
        (["--data_dir={odd}"], "the lattice size must be a positive multiple of 4"),
        (["--data_dir={c3}"], "the bernoulli decoder models one binary channel, but the data have 3"),
        (["--decoder=multinomial"], "the multinomial decoder needs one-hot data with D >= 2 channels"),
        (["--decoder=poisson"], "unknown decoder 'poisson'"),
        (["--strategy=horovod"], "unknown strategy 'horovod'"),
        (["--precision=float8"], "unknown precision 'float8'"),
        (["--batch_size=0"], "the batch size must be at least 1, got 0."),
        (["--batch_size=1000"], "fewer than one batch of 1000"),
        (["--epochs=0"], "epochs must be at least 1, got 0."),
        (["--learning_rate=0"], "the learning rate must be > 0"),
        (["--strategy=multi_worker"], "strategy multi_worker needs the TF_CONFIG environment variable"),
        (["--workdir="], "--workdir is required"),
    ],
)
def test_bad_flags_give_one_clear_error(args, message, train_data_dir, three_channel_dir, odd_size_dir, tmp_path):
    subst = dict(tmp=tmp_path, odd=odd_size_dir, c3=three_channel_dir)
    workdir = tmp_path / "run"
    cmd = [TRAIN, f"--data_dir={train_data_dir}", f"--workdir={workdir}", "--epochs=1", "--verbose=0"] + [
        a.format(**subst) for a in args
    ]
    result = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("betavae-train: error: ") and message.format(**subst) in last, last
    assert "Traceback" not in result.stderr
    assert not (workdir / "checkpoints").exists()


def test_training_flagfiles_parse(tmp_path):
    # The shipped flagfiles name only flags betavae-train defines.
    for name in ("ising_beta100.flags", "ising_beta100_quick.flags"):
        result = subprocess.run(
            [TRAIN, f"--flagfile=flags/train/{name}", "--workdir=", "--verbose=0"],
            cwd=REPO_ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 2 and "--workdir is required" in result.stderr, result.stderr


@pytest.mark.parametrize("precision,jit", [("mixed_bfloat16", False), ("float32", True)])
def test_precision_and_xla_runs_export_float32(precision, jit, train_data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    result = train_lib.train_and_evaluate(
        _config(train_data_dir, epochs=1, precision=precision, jit_compile=jit, export=True), workdir
    )
    assert np.isfinite(result["final"]["loss"]) and result["precision"] == precision
    import keras

    assert keras.mixed_precision.dtype_policy().name == "float32"  # the global policy is restored
    from betavae_tf import export

    loaded = export.load(result["export_dir"])
    x = np.zeros((2, 8, 8, 1), np.float32)
    assert loaded.signatures["encode"](x=x)["mean"].dtype == "float32"


def test_default_beta_follows_the_convention_of_the_head_and_lattice_size(train_data_dir):
    from betavae_tf.models import heads

    assert heads.default_beta("bernoulli", 32) == 100.0 and heads.default_beta("multinomial", 32) == 65.0
    assert heads.default_beta("bernoulli", 16) == 25.0 and heads.default_beta("multinomial", 64) == 260.0
    assert heads.default_beta("gaussian", 32, "uint8") == 1.0 and heads.default_beta("gaussian", 32, "float32") == 100
    _, model_config = train_lib.validate(tiny_train_config(train_data_dir))
    assert model_config.beta == 100.0 * (model_config.lattice_size / 32) ** 2
    _, explicit = train_lib.validate(tiny_train_config(train_data_dir, beta=3.0))
    assert explicit.beta == 3.0


def test_tensorboard_has_the_hparams_of_the_run(train_data_dir, tmp_path):
    import glob

    import tensorflow as tf

    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=1, beta=7.0), workdir)
    plugins = {}
    for path in glob.glob(os.path.join(workdir, "tensorboard", "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                plugins.setdefault(value.metadata.plugin_data.plugin_name, []).append(value)
    (start,) = [v for v in plugins.get("hparams", []) if v.tag == "_hparams_/session_start_info"]
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(start.metadata.plugin_data.content)
    hparams = data.session_start_info.hparams
    assert hparams["beta"].number_value == 7.0 and hparams["decoder"].string_value == "bernoulli"
    assert data.session_start_info.group_name == "run"


def test_the_latent_scatter_of_unlabelled_data_is_coloured_by_temperature():
    from betavae_tf import images, phases

    rng = np.random.default_rng(0)
    z, t = rng.normal(size=(40, 2)), np.linspace(1, 3, 40)
    unlabelled = np.full(40, phases.UNKNOWN)
    names = {phases.UNKNOWN: "unknown"}
    by_t = images.latent_scatter_png(z, unlabelled, phase_names=names, temperature=t)
    no_t = images.latent_scatter_png(z, unlabelled, phase_names=names)
    by_phase = images.latent_scatter_png(z, np.repeat([0, 2], 20), temperature=t)  # Ising labels win over T
    assert by_t[:4] == b"\x89PNG" and len({by_t, no_t, by_phase}) == 3
    assert by_phase == images.latent_scatter_png(z, np.repeat([0, 2], 20))


def test_a_resumed_run_without_beta_keeps_the_beta_it_was_trained_with(train_data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(_config(train_data_dir, epochs=1, beta=42.0), workdir)
    result = train_lib.train_and_evaluate(_config(train_data_dir, epochs=2, beta=None), workdir)
    assert result["resumed_from_epoch"] == 1
    assert json.load(open(os.path.join(workdir, "config.json")))["model"]["beta"] == 42.0
