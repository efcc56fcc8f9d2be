"""Table I / II networks, the TFP heads against Eq. 10, 15, 17, the analytic KL, and Eq. 4."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from betavae_tf.models import HEADS, BetaVAE, ModelConfig, kl_per_dimension, paper_optimizer


def _model(decoder="bernoulli", L=8, C=1, d=2, **kw):
    keras.utils.set_random_seed(0)
    return BetaVAE(lattice_size=L, channels=C, latent_dim=d, decoder=decoder, **kw)


def _spins(n, L=8, seed=0):
    return (np.random.default_rng(seed).random((n, L, L, 1)) < 0.5).astype(np.float32)


def _one_hot(n, L=8, D=3, seed=0):
    return np.eye(D, dtype=np.float32)[np.random.default_rng(seed).integers(0, D, (n, L, L))]


def test_parameter_count_equals_table_one():
    # Table I at L = 32, d_z = 2, one channel, a bias on every layer, BN's four
    # vectors per feature (Keras counts the moving statistics as parameters).
    encoder = (
        (4 * 4 * 1 * 64 + 64)
        + 4 * 64
        + (4 * 4 * 64 * 128 + 128)
        + 4 * 128
        + (8 * 8 * 128 * 1024 + 1024)
        + 4 * 1024
        + 2 * (1024 * 2 + 2)
    )
    decoder = (
        (2 * 1024 + 1024)
        + 4 * 1024
        + (1024 * 8192 + 8192)
        + 4 * 8192
        + (4 * 4 * 128 * 64 + 64)
        + 4 * 64
        + (4 * 4 * 64 * 1 + 1)
    )
    assert encoder + decoder == 17_100_037
    for head in ("bernoulli", "gaussian"):
        assert _model(head, L=32).count_params() == 17_100_037
    # Table II adds the inverse-temperature branch: one more 4x4x64 -> 1 deconvolution.
    assert _model("temperature", L=32).count_params() == 17_100_037 + 4 * 4 * 64 + 1


@pytest.mark.parametrize(
    "decoder,C,names",
    [
        ("bernoulli", 1, {"local_field", "probs"}),
        ("multinomial", 3, {"local_field", "probs"}),
        ("gaussian", 1, {"local_field", "mean"}),
        ("temperature", 1, {"local_field", "probs", "inverse_temperature"}),
        ("temperature", 3, {"local_field", "probs", "inverse_temperature"}),
    ],
)
@pytest.mark.parametrize("L", [8, 12])
def test_shapes_and_distributions(decoder, C, names, L):
    d, n = 3, 5
    model = _model(decoder, L=L, C=C, d=d)
    x = _one_hot(n, L, C) if C > 1 else _spins(n, L)
    params = model(x)
    assert set(params) == names
    assert params["local_field"].shape == (n, L, L, C)
    if "inverse_temperature" in params:
        assert params["inverse_temperature"].shape == (n, L, L, 1)
    posterior = model.encode(x)
    assert posterior.batch_shape == [n] and posterior.event_shape == [d]
    likelihood = model.likelihood(params)
    assert likelihood.batch_shape == [n] and likelihood.event_shape == [L, L, C]
    assert likelihood.log_prob(x).shape == (n,)
    assert likelihood.sample(seed=[1, 2]).shape == (n, L, L, C)


def test_bernoulli_head_is_the_mean_field_boltzmann_form():
    # Eq. 10: ln p(x|z) = sum_k h_k sigma_k - sum_k ln(1 + e^{h_k}), m_k = sigmoid(h_k).
    model, x = _model(), _spins(4)
    params = model(x)
    h = params["local_field"].numpy().astype(np.float64)
    expected = (h * x).sum(axis=(1, 2, 3)) - np.logaddexp(0, h).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(model.likelihood(params).log_prob(x), expected, rtol=1e-5)
    np.testing.assert_allclose(params["probs"], 1 / (1 + np.exp(-h)), atol=1e-6)


def test_multinomial_head_is_eq_15():
    # ln p = sum_{k,d} h_kd sigma_kd - sum_k ln sum_d e^{h_kd}; probs sum to 1 per site.
    model, x = _model("multinomial", C=3), _one_hot(4, D=3)
    params = model(x)
    h = params["local_field"].numpy().astype(np.float64)
    lse = np.log(np.exp(h).sum(-1))
    expected = (h * x).sum(axis=(1, 2, 3)) - lse.sum(axis=(1, 2))
    np.testing.assert_allclose(model.likelihood(params).log_prob(x), expected, rtol=1e-5)
    np.testing.assert_allclose(params["probs"].numpy().sum(-1), 1.0, atol=1e-5)


def test_gaussian_head_is_eq_17():
    model = _model("gaussian")
    x = np.random.default_rng(1).normal(size=(4, 8, 8, 1)).astype(np.float32)
    params = model(x)
    mu = params["mean"].numpy().astype(np.float64)
    expected = (-0.5 * (x - mu) ** 2 - 0.5 * np.log(2 * np.pi)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(model.likelihood(params).log_prob(x), expected, rtol=1e-5)
    learned = _model("gaussian", learned_scale=True)
    scale = learned(x)["scale"].numpy()
    np.testing.assert_allclose(scale, 1.0, atol=1e-3)  # starts at the paper's unit variance
    assert learned.count_params() == model.count_params() + 1


def test_temperature_head_combines_branches_in_unit_interval():
    model = _model("temperature")
    # Inputs far from the data scale push the branches hard; beta_k must stay in (0, 1).
    for scale in (1.0, 30.0):
        x = _spins(16) * scale
        params = model(x)
        beta = params["inverse_temperature"].numpy()
        assert beta.min() > 0.0 and beta.max() < 1.0
        h = params["local_field"].numpy().astype(np.float64)
        np.testing.assert_allclose(params["probs"], 1 / (1 + np.exp(-beta * h)), atol=1e-5)
    x = _spins(4)
    params = model(x)
    bh = params["inverse_temperature"].numpy() * params["local_field"].numpy()
    expected = (bh * x).sum(axis=(1, 2, 3)) - np.logaddexp(0, bh).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(model.likelihood(params).log_prob(x), expected, rtol=1e-5)


def test_analytic_kl_equals_monte_carlo():
    rng = np.random.default_rng(3)
    mean = rng.normal(size=(3, 2)).astype(np.float32)
    stddev = rng.uniform(0.3, 1.7, size=(3, 2)).astype(np.float32)
    analytic = kl_per_dimension(mean, stddev).numpy()
    np.testing.assert_allclose(analytic, 0.5 * (mean**2 + stddev**2 - 1) - np.log(stddev), rtol=1e-5)
    # E_q[ln q(z) - ln p(z)] from 400,000 draws; the tolerance is 5 standard errors.
    n = 400_000
    z = mean + stddev * rng.standard_normal((n,) + mean.shape)
    log_ratio = (-0.5 * ((z - mean) / stddev) ** 2 - np.log(stddev)) + 0.5 * z**2
    estimate, stderr = log_ratio.mean(0), log_ratio.std(0) / np.sqrt(n)
    assert np.all(np.abs(estimate - analytic) < 5 * stderr + 1e-6)


def test_train_step_loss_is_distortion_plus_beta_rate():
    model = _model(beta=7.5)
    model.compile(paper_optimizer())
    logs = model.train_on_batch(_spins(16), return_dict=True)
    assert set(logs) == {"loss", "distortion", "rate", "kl_z0", "kl_z1"}
    assert logs["loss"] == pytest.approx(logs["distortion"] + 7.5 * logs["rate"], rel=1e-5)
    assert logs["rate"] == pytest.approx(logs["kl_z0"] + logs["kl_z1"], rel=1e-5)
    # distortion is summed over the 64 sites: near 64 ln 2 for an untrained decoder.
    assert 30 < logs["distortion"] < 120


def test_optimizer_is_the_papers_adam():
    opt = paper_optimizer()
    assert float(opt.learning_rate) == pytest.approx(1e-3) and (opt.beta_1, opt.beta_2) == (0.5, 0.999)


def test_one_epoch_lowers_the_loss():
    # Two-phase toy data: ordered (all up / all down) and random configurations.
    rng = np.random.default_rng(0)
    n = 512
    ordered = np.repeat(rng.integers(0, 2, (n // 2, 1, 1, 1)), 8, 1).repeat(8, 2).astype(np.float32)
    x = np.concatenate([ordered, _spins(n // 2)])
    model = _model(beta=1.0)
    model.compile(paper_optimizer())

    def loss():  # Eq. 4 on all the data with fixed noise, BN on batch statistics as in training
        distortion, rate, _ = model.compute_terms(x, True, seed=[5, 6])
        return float(np.mean(distortion) + np.mean(rate))

    before = loss()
    model.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=True)
    after = loss()
    assert after < 0.8 * before, (before, after)


def test_save_and_reload_give_identical_outputs(tmp_path):
    model = _model("temperature")
    model.compile(paper_optimizer())
    x = _spins(8)
    model.fit(x, batch_size=8, epochs=1, verbose=0)  # move BN statistics off their defaults
    expected = {k: v.numpy() for k, v in model(x).items()}
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    assert reloaded.config == model.config
    for k, v in reloaded(x).items():
        np.testing.assert_array_equal(v.numpy(), expected[k])
    model.save_weights(tmp_path / "m.weights.h5")
    fresh = BetaVAE.from_model_config(model.config)
    fresh.load_weights(tmp_path / "m.weights.h5")
    for k, v in fresh(x).items():
        np.testing.assert_array_equal(v.numpy(), expected[k])


def test_mixed_bfloat16_outputs_float32_distributions():
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        model = _model()
        params = model(_spins(2))
        assert params["probs"].dtype == tf.float32
        assert model.encoder.get_layer("conv1").compute_dtype == "bfloat16"
        assert model.encode(_spins(2)).dtype == tf.float32
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(lattice_size=10), "multiple of 4"),
        (dict(lattice_size=0), "multiple of 4"),
        (dict(latent_dim=0), "latent dimension must be at least 1"),
        (dict(beta=-1.0), "beta must be a finite number >= 0"),
        (dict(beta=float("nan")), "beta must be a finite number >= 0"),
        (dict(decoder="poisson"), "unknown decoder"),
        (dict(channels=3), "bernoulli decoder models one binary channel"),
        (dict(decoder="multinomial"), "multinomial decoder needs one-hot data"),
        (dict(learned_scale=True), "learned_scale applies only to the gaussian decoder"),
    ],
)
def test_bad_model_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**kwargs).validate()
    with pytest.raises(ValueError, match=message):
        BetaVAE(**kwargs)


@pytest.mark.parametrize("fused", [True, False])
def test_fused_adam_equals_keras_adam(fused, monkeypatch):
    from betavae_tf.models import vae

    if not fused:  # the keras.ops path that distributed variables take
        monkeypatch.setattr(vae, "_plain_tf_variable", lambda variable: None)
    rng = np.random.default_rng(0)
    init = [rng.normal(size=s).astype(np.float32) for s in ((5, 3), (3,))]
    grads = [[rng.normal(size=w.shape).astype(np.float32) for w in init] for _ in range(4)]
    results = []
    for cls in (keras.optimizers.Adam, paper_optimizer):
        opt = cls(learning_rate=1e-2, beta_1=0.5, beta_2=0.999)
        variables = [keras.Variable(w) for w in init]
        for g in grads:
            opt.apply_gradients(zip([tf.constant(x) for x in g], variables))
        results.append([v.numpy() for v in variables])
    assert type(paper_optimizer()).__name__ == "FusedAdam"
    # Each step moves a weight by about lr = 1e-2; the two kernels order their
    # float32 operations differently, so they agree to ~1e-7, not bit for bit.
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        assert not np.allclose(a, init[0] if a.shape == (5, 3) else init[1])


@pytest.mark.parametrize("decoder,channels", [(name, 3 if name == "multinomial" else 1) for name in HEADS])
def test_every_weight_of_every_head_is_in_a_checkpoint(decoder, channels, tmp_path):
    """A variable that tf.train.Checkpoint cannot reach would silently keep its initial value on restore."""
    model = BetaVAE(lattice_size=8, channels=channels, decoder=decoder)
    path = tf.train.Checkpoint(model=model).write(str(tmp_path / "ckpt"))
    stored = {name for name, _ in tf.train.list_variables(path) if name.startswith("model/")}
    assert len(stored) == len(model.weights), (len(stored), len(model.weights))
    fresh = BetaVAE(lattice_size=8, channels=channels, decoder=decoder)
    for v in fresh.weights:
        v.assign(tf.zeros_like(v))
    tf.train.Checkpoint(model=fresh).read(path).expect_partial().assert_existing_objects_matched()
    for a, b in zip(model.weights, fresh.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
