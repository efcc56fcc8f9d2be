"""Physics-fidelity metrics on Monte Carlo sets with known answers."""

import numpy as np
import pytest

import mc_ext
from betavae_tf.analysis import fidelity


@pytest.fixture(scope="module")
def sets():
    L = 8
    return {t: mc_ext.sample_ising(L, t, 800, seed=int(10 * t)) for t in (2.0, 3.0)} | {
        "2.0b": mc_ext.sample_ising(L, 2.0, 800, seed=99)
    }


def test_nearest_neighbour_correlation_known_values():
    up = np.ones((1, 4, 4))
    checker = (np.add.outer(np.arange(4), np.arange(4)) % 2)[None]
    assert fidelity.nearest_neighbour_correlation(up)[0] == 1.0
    assert fidelity.nearest_neighbour_correlation(checker)[0] == -1.0
    # For the Ising model e = -2 J <S_i S_j> at h = 0.
    x = mc_ext.sample_ising(8, 2.5, 50, seed=1)
    np.testing.assert_allclose(fidelity.observables(x, 2.5)["energy"], -2 * fidelity.nearest_neighbour_correlation(x))


def test_identical_sets_give_zero(sets):
    out = fidelity.compare(sets[2.0], sets[2.0], 2.0)
    for name in ("energy", "abs_m", "nn_correlation"):
        assert out[name]["w1"] == 0.0 and out[name]["mean_diff"] == 0.0
    assert out["specific_heat"]["relative_diff"] == 0.0


def test_other_temperature_is_farther_than_another_sample(sets):
    same = fidelity.compare(sets["2.0b"], sets[2.0], 2.0)
    other = fidelity.compare(sets[3.0], sets[2.0], 2.0)
    for name in ("energy", "abs_m"):
        assert other[name]["w1"] > 5 * same[name]["w1"], name
    # The T = 3 set has higher energy and smaller |m|.
    assert other["energy"]["mean_diff"] > 0 and other["abs_m"]["mean_diff"] < 0


def test_fluctuation_estimates_against_enumeration():
    # L = 4 at T = 2.5: exact c from enumeration; 20,000 samples give it within 10%.
    from betavae_tf.physics import enumerate_ising

    T = 2.5
    x = mc_ext.sample_ising(4, T, 20000, seed=3)
    exact = enumerate_ising(4, T)
    obs = fidelity.observables(x, T)
    assert obs["specific_heat"] == pytest.approx(exact["specific_heat"], rel=0.1)
    chi = 16 * (exact["magnetization_sq"] - exact["abs_magnetization"] ** 2) / T
    assert obs["susceptibility"] == pytest.approx(chi, rel=0.1)


def test_beta2_samples_have_bernoulli_statistics_of_sigmoid_beta_h():
    # Sampled configurations of the two-branch head: the frequency of sigma = 1 at
    # each site over many draws at one z equals sigmoid(beta_k h_k) within 5 sigma.
    import keras
    import tensorflow as tf

    from betavae_tf.models import BetaVAE

    keras.utils.set_random_seed(0)
    model = BetaVAE(lattice_size=8, decoder="temperature")
    params = model.decoder(tf.constant([[0.3, -1.2]]), training=False)
    p = 1 / (1 + np.exp(-params["inverse_temperature"].numpy() * params["local_field"].numpy()))[0]
    draws = model.likelihood(params).sample(4000, seed=[1, 2]).numpy()[:, 0]
    freq = draws.mean(axis=0)
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / 4000) + 1e-9)
