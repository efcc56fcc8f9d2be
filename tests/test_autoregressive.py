"""The autoregressive head: a normalised distribution, sampling that agrees with log_prob, causality,
training, export and exact sampling with it."""

import os

import numpy as np
import pytest
import tensorflow as tf

from betavae_tf import sampling, train_lib
from betavae_tf.models import BetaVAE
from betavae_tf.models.distributions import AutoregressiveLattice


def _all_configurations(channels):
    """Every configuration of a 4 x 4 lattice with two states per site, as model input."""
    codes = np.arange(2**16, dtype=np.int64)
    bits = ((codes[:, None] >> np.arange(16)) & 1).reshape(-1, 4, 4)
    return bits[..., None].astype(np.float32) if channels == 1 else np.eye(2, dtype=np.float32)[bits]


VARIANTS = ["autoregressive", "autoregressive_wide"]


@pytest.mark.parametrize("decoder", VARIANTS)
@pytest.mark.parametrize("channels", [1, 2])
def test_probabilities_sum_to_one_over_every_configuration(channels, decoder):
    model = BetaVAE(lattice_size=4, channels=channels, latent_dim=2, decoder=decoder, seed=0)
    x = _all_configurations(channels)
    params = model.decode(tf.constant([[0.3, -1.2], [2.0, 0.5]]))
    for b in range(2):
        one = {k: tf.repeat(v[b : b + 1], len(x), axis=0) for k, v in params.items()}
        total = np.exp(model.likelihood(one).log_prob(x).numpy().astype(np.float64)).sum()
        assert abs(total - 1.0) < 1e-4, total


def _noise_and_sample(channels, seed, decoder="autoregressive"):
    model = BetaVAE(lattice_size=8, channels=channels, latent_dim=2, decoder=decoder, seed=0)
    dist = model.likelihood(model.decode(tf.random.stateless_normal([16, 2], seed=[seed, 0])))
    noise = tf.random.stateless_uniform([16, 8, 8, 1 if channels == 1 else channels], seed=[seed, 1])
    return model, dist, noise.numpy(), dist.sample_from_noise(noise).numpy()


@pytest.mark.parametrize("decoder", VARIANTS)
@pytest.mark.parametrize("channels", [1, 3])
def test_site_by_site_sampling_uses_the_conditionals_of_log_prob(channels, decoder):
    """Re-deciding every site from the one-pass logits of the finished sample, with the same uniforms,
    gives the sample back: generation and log_prob compute the same conditionals."""
    model, dist, noise, x = _noise_and_sample(channels, seed=channels, decoder=decoder)
    logits = model.autoregressive(x, dist.context, dist.local_field).numpy()
    if channels == 1:
        again = (noise < 1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        np.testing.assert_array_equal(again, x)
        assert 0.05 < x.mean() < 0.95
    else:
        gumbel = -np.log(-np.log(np.clip(noise, 1e-12, 1 - 1e-7)))
        np.testing.assert_array_equal(np.argmax(logits + gumbel, axis=-1), np.argmax(x, axis=-1))
        np.testing.assert_array_equal(x.sum(axis=-1), 1.0)


@pytest.mark.parametrize("decoder", VARIANTS)
def test_each_site_depends_only_on_earlier_sites(decoder):
    model, dist, _, x = _noise_and_sample(1, seed=7, decoder=decoder)
    base = model.autoregressive(x, dist.context, dist.local_field).numpy()
    order = np.arange(64).reshape(8, 8)
    for i, j in ((0, 0), (3, 4), (7, 7), (5, 0)):
        flipped = x.copy()
        flipped[:, i, j] = 1.0 - flipped[:, i, j]
        changed = np.abs(model.autoregressive(flipped, dist.context, dist.local_field).numpy() - base)[..., 0].max(0)
        assert changed[order <= order[i, j]].max() == 0.0
        # ... and reaches the site below it and the one to its right, in every variant's window.
        if i + 1 < 8:
            assert changed[i + 1, j] > 0
        if j + 1 < 8:
            assert changed[i, j + 1] > 0
        if decoder == "autoregressive" and i + 1 < 8 and j + 1 < 8:
            assert changed[i + 1, j + 1] == 0  # nearest neighbours only: not the diagonal
        # The torus's wrapped bonds: a site of the first row is seen by the site below it across the edge
        # (last row), one of the first column by the site to its right across the edge (last column).
        if i == 0 and j < 7:
            assert changed[7, j] > 0
        if j == 0 and i > 0:
            assert changed[i, 7] > 0
    # Beyond every window: (5, 4) sees (0, 0) only through the wide head's running sublattice means.
    flipped = x.copy()
    flipped[:, 0, 0] = 1.0 - flipped[:, 0, 0]
    far = np.abs(model.autoregressive(flipped, dist.context, dist.local_field).numpy() - base)[:, 5, 4].max()
    assert (far > 0) == (decoder == "autoregressive_wide")


def test_log_prob_over_sample_dimensions():
    _, dist, _, _ = _noise_and_sample(1, seed=2)
    draws = dist.sample(2, seed=[4, 4])
    assert draws.shape == (2, 16, 8, 8, 1)
    lp = dist.log_prob(draws).numpy()
    assert lp.shape == (2, 16)
    np.testing.assert_allclose(lp[1], dist.log_prob(draws[1]).numpy(), rtol=1e-5)
    assert isinstance(dist, AutoregressiveLattice)


def test_train_export_and_sample(train_data_dir, tmp_path):
    workdir = str(tmp_path / "ar")
    result = train_lib.train_and_evaluate(
        train_lib.TrainConfig(
            data_dir=train_data_dir,
            decoder="autoregressive",
            batch_size=32,
            epochs=1,
            steps_per_epoch=2,
            verbose=0,
            summary_images=False,
            export=True,
        ),
        workdir,
    )
    assert np.isfinite(result["final"]["loss"])
    loaded = tf.saved_model.load(os.path.join(workdir, "export", "1"))
    out = loaded.signatures["sample"](seed=tf.constant([3, 4, 5], tf.int32))
    configurations = out["configurations"].numpy()
    assert configurations.shape == (3, 8, 8, 1) and set(np.unique(configurations)) <= {0.0, 1.0}
    again = loaded.signatures["sample"](seed=tf.constant([5], tf.int32))["configurations"].numpy()
    np.testing.assert_array_equal(again[0], configurations[2])  # a seed fixes its configuration in any batch
    assert set(loaded.signatures["decode"](z=tf.zeros([1, 2]))) == {"local_field", "probs"}


def test_exact_sampling_with_the_autoregressive_head():
    model = BetaVAE(lattice_size=4, channels=1, latent_dim=2, decoder="autoregressive", seed=0)
    result = sampling.exact_sample(model, sampling.Target(3.0), n_chains=32, n_steps=20, burn_in=2, seed=1)
    assert 0 < result.acceptance <= 1 and result.ess >= 1
    assert np.isfinite(result.observables["energy"][0])


def test_keras_file_round_trip(tmp_path):
    import keras

    model = BetaVAE(lattice_size=8, channels=1, latent_dim=2, decoder="autoregressive", seed=0)
    x = (np.random.default_rng(0).random((4, 8, 8, 1)) < 0.5).astype(np.float32)
    z = tf.constant([[0.1, 0.2], [0.3, -0.4], [1.0, 0.0], [0.0, 1.0]])
    before = model.likelihood(model.decode(z)).log_prob(x).numpy()
    path = str(tmp_path / "ar.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.likelihood(loaded.decode(z)).log_prob(x).numpy(), before, rtol=1e-6)


def test_running_means_are_the_means_of_earlier_sites_per_sublattice():
    from betavae_tf.models.autoregressive import _running_means

    rng = np.random.default_rng(3)
    s = rng.choice([-1.0, 1.0], size=(2, 5, 5, 1)).astype(np.float32)
    got = _running_means(tf.constant(s)).numpy()
    flat = s.reshape(2, 25)
    colour = (np.add.outer(np.arange(5), np.arange(5)) % 2).reshape(-1)
    for k in range(25):
        for part, want_colour in ((0, colour[k]), (1, 1 - colour[k])):
            earlier = [q for q in range(k) if colour[q] == want_colour]
            want = flat[:, earlier].mean(1) if earlier else np.zeros(2)
            np.testing.assert_allclose(got[:, k // 5, k % 5, part], want, rtol=1e-6, atol=1e-7)


def test_the_window_needs_a_lattice_larger_than_its_radius():
    from betavae_tf.models.autoregressive import AutoregressiveNetwork

    network = AutoregressiveNetwork(1, hidden=8, radius=5, depth=1)
    with pytest.raises(ValueError, match="needs a lattice larger than it, got L = 4"):
        network(np.zeros((1, 4, 4, 1), np.float32), tf.zeros([1, 4, 4, 8]), tf.zeros([1, 4, 4, 1]))
