"""One Keras core on TensorFlow and JAX: closed-form log-probabilities equal to TFP's, Keras's Adam equal to
the fused kernel, the same loss from the same weights and batches on both backends, and a JAX run through
the command line (resume, NaN guard, two host devices, export read back without betavae_tf or JAX)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from conftest import run_cli, subprocess_env

from betavae_tf import train_lib
from betavae_tf.models import HEADS, BetaVAE, ModelConfig, kl_per_dimension
from betavae_tf.models.vae import FusedAdam

tfd = tfp.distributions
HERE = os.path.dirname(os.path.abspath(__file__))
jax = pytest.importorskip("jax", reason="the JAX backend's tests need jax (in the test extra)")


def _random_params(model, n, rng):
    z = rng.standard_normal((n, model.config.latent_dim)).astype(np.float32)
    params = model.decode(z)
    # Larger fields than an untrained decoder gives, so the tails of softplus / log_softmax are exercised.
    return {k: (v * 4.0 if k in ("local_field", "context") else v) for k, v in params.items()}


def _data_for(head, channels, n, rng):
    if head == "gaussian":
        return rng.random((n, 8, 8, channels)).astype(np.float32)
    if channels == 1:
        return (rng.random((n, 8, 8, 1)) < 0.5).astype(np.float32)
    return np.eye(channels, dtype=np.float32)[rng.integers(0, channels, (n, 8, 8))]


CASES = [
    ("bernoulli", 1, False),
    ("multinomial", 3, False),
    ("gaussian", 2, False),
    ("gaussian", 1, True),
    ("temperature", 1, False),
    ("temperature", 3, False),
    ("autoregressive", 1, False),
    ("autoregressive", 2, False),
    ("autoregressive_wide", 1, False),
    ("autoregressive_wide", 3, False),
]


def test_every_head_is_covered():
    assert {case[0] for case in CASES} == set(HEADS)


@pytest.mark.parametrize("head,channels,learned_scale", CASES)
def test_closed_form_log_prob_equals_the_tfp_distribution(head, channels, learned_scale):
    rng = np.random.default_rng(channels)
    model = BetaVAE(lattice_size=8, channels=channels, latent_dim=2, decoder=head, learned_scale=learned_scale)
    params = _random_params(model, 6, rng)
    x = _data_for(head, channels, 6, rng)
    closed = np.asarray(model.log_likelihood(params, x))
    reference = model.likelihood(params).log_prob(x).numpy()
    # float32 sums of 64-192 terms of size up to ~20: a relative 1e-5 is a few ulps of the total.
    np.testing.assert_allclose(closed, reference, rtol=1e-5, atol=1e-4)


def test_closed_form_kl_equals_tfp():
    rng = np.random.default_rng(0)
    mean = rng.standard_normal((50, 3)).astype(np.float32) * 3
    stddev = np.exp(rng.standard_normal((50, 3))).astype(np.float32)
    reference = tfd.kl_divergence(tfd.Normal(mean, stddev), tfd.Normal(0.0, 1.0)).numpy()
    np.testing.assert_allclose(np.asarray(kl_per_dimension(mean, stddev)), reference, rtol=1e-5, atol=1e-6)


def test_keras_adam_is_the_fused_adam_update():
    """The optimizer other backends use makes the same steps as TensorFlow's fused kernel."""
    import keras

    rng = np.random.default_rng(1)
    start = [rng.standard_normal(s).astype(np.float32) for s in ((5, 3), (3,))]
    grads = [[rng.standard_normal(v.shape).astype(np.float32) for v in start] for _ in range(6)]
    results = []
    for optimizer in (FusedAdam(1e-2, 0.5, 0.999), keras.optimizers.Adam(1e-2, 0.5, 0.999, epsilon=1e-7)):
        variables = [keras.Variable(v) for v in start]
        for g in grads:
            optimizer.apply_gradients(zip([tf.constant(x) for x in g], variables))
        results.append([v.numpy() for v in variables])
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=1e-6, atol=1e-7)


def _probe(backend, *args, extra_env=None):
    env = dict(subprocess_env(), KERAS_BACKEND=backend, **(extra_env or {}))
    done = subprocess.run(
        [sys.executable, os.path.join(HERE, "backend_probe.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"backend {backend}" in done.stdout
    return done


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_kl_annealing_changes_the_beta_the_compiled_step_uses(backend, tmp_path):
    """KLAnnealing(2) at target beta 50: beta 0, 25, 50 in epochs 1-3, and each epoch's loss is
    distortion + beta * rate of that epoch's own averages (an identity of batch means, to float32
    rounding); a beta baked into the compiled step would break it in epoch 2 or 3."""
    out = tmp_path / "anneal.json"
    _probe(backend, "anneal", str(out))
    logs = json.loads(out.read_text())
    assert logs["beta"] == [0.0, 25.0, 50.0]
    for beta, loss, distortion, rate in zip(logs["beta"], logs["loss"], logs["distortion"], logs["rate"]):
        assert rate > 0.01  # the identity below must depend on beta
        np.testing.assert_allclose(loss, distortion + beta * rate, rtol=1e-4)


@pytest.mark.parametrize("decoder", ["bernoulli", "autoregressive"])
def test_the_same_weights_and_batch_give_the_same_loss_on_both_backends(decoder, tmp_path):
    """Eq. 4's terms and two Adam steps on one batch, on TensorFlow and on JAX, from the same weights.

    Tolerances: the terms are float32 sums over 64 sites from convolutions that oneDNN and XLA order
    differently, so they agree to ~1e-5 relative; after two training steps (BatchNorm in training mode,
    Adam) the loss agrees to 1e-3 relative, where a wrong term or a missed update would be off by far more.
    """
    config = dict(lattice_size=8, channels=1, latent_dim=2, decoder=decoder, beta=2.0, learned_scale=False, seed=0)
    rng = np.random.default_rng(3)
    x = (rng.random((32, 8, 8, 1)) < 0.5).astype(np.float32)
    eps = rng.standard_normal((32, 2)).astype(np.float32)
    import keras

    keras.utils.set_random_seed(5)
    model = BetaVAE.from_model_config(ModelConfig(**config))
    from betavae_tf.models import paper_optimizer

    model.compile(optimizer=paper_optimizer(), jit_compile=False)
    np.savez(
        tmp_path / "w.npz",
        paths=np.array([v.path for v in model.variables]),
        **{f"v{i}": v.numpy() for i, v in enumerate(model.variables)},
    )
    np.savez(tmp_path / "b.npz", x=x, eps=eps)
    (tmp_path / "c.json").write_text(json.dumps(config))
    d, r, k = model.compute_terms(x, False, eps=eps)
    losses = [float(model.train_on_batch(x, eps, return_dict=True)["loss"]) for _ in range(2)]
    _probe(
        "jax",
        "terms",
        str(tmp_path / "c.json"),
        str(tmp_path / "w.npz"),
        str(tmp_path / "b.npz"),
        str(tmp_path / "out.npz"),
    )
    other = np.load(tmp_path / "out.npz")
    np.testing.assert_allclose(other["distortion"], d.numpy(), rtol=2e-5)
    np.testing.assert_allclose(other["rate"], r.numpy(), rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(other["kl"], k.numpy(), rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(other["losses"], losses, rtol=1e-3)
    assert losses[1] != losses[0]  # the steps did change the weights


# -- a JAX run through the command line -------------------------------------------------------------------
def _train(data_dir, workdir, *flags, env=None):
    args = [
        f"--data_dir={data_dir}",
        f"--workdir={workdir}",
        "--backend=jax",
        "--batch_size=32",
        "--steps_per_epoch=2",
        "--verbose=0",
        "--summary_images=false",
        *flags,
    ]
    if env is None:
        return run_cli("betavae-train", *args, timeout=600)
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "betavae-train"), *args],
        env=dict(subprocess_env(), **env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _history(workdir):
    with open(os.path.join(workdir, "history.jsonl")) as f:
        return [json.loads(line) for line in f]


_PLAIN_TF = """
import sys
sys.modules["betavae_tf"] = None   # neither the package nor JAX may be needed to serve the export
sys.modules["jax"] = None
import numpy as np, tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
x = np.load(sys.argv[2])
np.save(sys.argv[3], loaded.signatures["encode"](x=tf.constant(x))["mean"].numpy())
print(sorted(loaded.signatures.keys()))
"""


def test_jax_run_resumes_exactly_and_exports_a_savedmodel_served_without_jax(train_data_dir, tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    done = _train(train_data_dir, whole, "--epochs=2", "--export=true")
    assert done.returncode == 0, done.stderr[-3000:]
    first = _train(train_data_dir, parts, "--epochs=1", "--export=false")
    assert first.returncode == 0, first.stderr[-3000:]
    again = _train(train_data_dir, parts, "--epochs=2", "--export=false")
    assert again.returncode == 0, again.stderr[-3000:]
    a, b = _history(whole), _history(parts)
    assert [h["epoch"] for h in a] == [h["epoch"] for h in b] == [1, 2]
    for key in ("loss", "distortion", "rate", "val_loss"):
        # The resumed run is the uninterrupted one: same batches, same noise, same optimizer state.
        assert b[1][key] == pytest.approx(a[1][key], rel=1e-6), key
    result = json.load(open(os.path.join(whole, "result.json")))
    assert result["backend"] == "jax" and result["finished"] and result["jit_compile"] is True
    config = json.load(open(os.path.join(whole, "config.json")))
    assert config["train"]["backend"] == "jax"
    # The SavedModel, written by TensorFlow from the JAX run's weights, is served by plain TensorFlow and
    # encodes as the JAX model does.
    x = (np.random.default_rng(0).random((16, 8, 8, 1)) < 0.5).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    served = subprocess.run(
        [
            sys.executable,
            "-c",
            _PLAIN_TF,
            os.path.join(whole, "export", "1"),
            str(tmp_path / "x.npy"),
            str(tmp_path / "served.npy"),
        ],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert served.returncode == 0, served.stderr[-3000:]
    assert "encode" in served.stdout and "sample" in served.stdout
    _probe("jax", "encode", whole, str(tmp_path / "x.npy"), str(tmp_path / "jax.npy"))
    np.testing.assert_allclose(np.load(tmp_path / "served.npy"), np.load(tmp_path / "jax.npy"), atol=1e-5)
    # A JAX workdir cannot be resumed on the other backend (its checkpoints hold Keras Adam's state).
    other = run_cli(
        "betavae-train",
        f"--data_dir={train_data_dir}",
        f"--workdir={whole}",
        "--backend=tensorflow",
        "--batch_size=32",
        "--steps_per_epoch=2",
        "--epochs=3",
        "--verbose=0",
    )
    assert other.returncode != 0 and "backend = 'jax', not 'tensorflow'" in other.stderr


def test_jax_nan_guard_keeps_the_last_good_checkpoint(train_data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    assert _train(train_data_dir, workdir, "--epochs=1", "--export=false").returncode == 0
    saved = open(os.path.join(workdir, "checkpoints", "ckpt-1.index"), "rb").read()
    bad = _train(train_data_dir, workdir, "--epochs=3", "--export=false", "--learning_rate=1e30")
    assert bad.returncode == 1 and "NaN or infinite at epoch 2" in bad.stderr, bad.stderr[-2000:]
    assert train_lib.latest_epoch(os.path.join(workdir, "checkpoints")) == 1
    assert open(os.path.join(workdir, "checkpoints", "ckpt-1.index"), "rb").read() == saved


def test_jax_data_parallel_on_two_host_devices_trains_as_one_device(train_data_dir, tmp_path):
    """keras.distribution.DataParallel over two CPU devices: the batch is split, BatchNorm and the loss
    see the whole batch, so the run is the single-device run up to float reordering."""
    one, two = str(tmp_path / "one"), str(tmp_path / "two")
    a = _train(train_data_dir, one, "--epochs=1", "--export=false", "--beta=100")
    b = _train(
        train_data_dir,
        two,
        "--epochs=1",
        "--export=false",
        "--beta=100",
        env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
    )
    assert a.returncode == 0 and b.returncode == 0, (a.stderr[-2000:], b.stderr[-2000:])
    ra, rb = (json.load(open(os.path.join(w, "result.json"))) for w in (one, two))
    assert (ra["replicas"], ra["strategy"]) == (1, "OneDevice")
    assert (rb["replicas"], rb["strategy"]) == (2, "DataParallel")
    # The epoch's mean training loss starts from identical weights: equal to float reordering. The validation
    # loss comes after the Adam steps, which move every weight by about the learning rate whatever its
    # gradient's size, so reordered sums that flip a near-zero gradient's sign show there: 0.5% bound.
    assert rb["final"]["loss"] == pytest.approx(ra["final"]["loss"], rel=1e-4)
    assert rb["final"]["val_loss"] == pytest.approx(ra["final"]["val_loss"], rel=5e-3)


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--backend=jax", "--strategy=mirrored"], "is a tf.distribute strategy; under --backend=jax"),
        (["--backend=theano"], "unknown backend 'theano'"),
        (["--jit_compile=maybe"], "jit_compile must be one of auto, true, false"),
        (["--steps_per_execution=-1"], "steps_per_execution must be >= 0"),
    ],
)
def test_backend_flags_are_checked_in_one_sentence(flags, message, train_data_dir, tmp_path):
    from conftest import one_sentence

    result = run_cli("betavae-train", f"--data_dir={train_data_dir}", f"--workdir={tmp_path / 'w'}", *flags)
    one_sentence(result, 2, message)
    assert not os.path.exists(tmp_path / "w")


def test_backend_already_loaded_is_refused_in_one_sentence():
    import keras

    from betavae_tf import backend

    assert backend.select(keras.backend.backend()) == keras.backend.backend()
    with pytest.raises(ValueError, match="already runs Keras on tensorflow"):
        backend.select("jax")
