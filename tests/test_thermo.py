"""Free energy and entropy by importance sampling, against exact values on small tori.

The pure estimator is checked where the answer is known exactly (a proposal equal
to the Boltzmann distribution; a uniform proposal over every state of a 3 x 3
torus); the model-based one with untrained models on the 4 x 4 torus (Ising by
enumeration of all 2^16 states, q = 3 Potts by the exact row transfer matrix).
The estimates are random: they must lie within 4 of their own standard errors
of the exact value (a 1 in 16,000 chance to fail for a Gaussian error), and the
variational bound must lie above the exact free energy up to its own error.
"""

import numpy as np
import pytest

from betavae_tf import lattice, sampling, thermo
from betavae_tf.physics import exact, potts

L = 4


def _ising_states(side):
    codes = np.arange(2 ** (side * side), dtype=np.int64)
    return ((codes[:, None] >> np.arange(side * side)) & 1).astype(np.int8).reshape(-1, side, side)


def test_a_boltzmann_proposal_gives_the_exact_free_energy_with_no_spread():
    states = _ising_states(3)
    e = lattice.ISING.energy(states, 1.0)
    t, n = 2.5, 9
    truth = exact.enumerate_ising(3, t)
    # log w = ln Z for every draw when the proposal is exp(-E/T) / Z itself.
    log_w = np.full(len(e), truth["log_z"])
    out = thermo.estimate(log_w, e, n, t, n_bootstrap=20)
    assert out["free_energy"][0] == pytest.approx(truth["free_energy"], abs=1e-12)
    assert out["variational_free_energy"][0] == pytest.approx(truth["free_energy"], abs=1e-12)
    assert out["free_energy"][1] == pytest.approx(0, abs=1e-12) and out["ess"] == pytest.approx(len(e))


def test_a_uniform_proposal_recovers_every_quantity_within_its_error():
    states = _ising_states(3)
    e_all = lattice.ISING.energy(states, 1.0)
    t, n = 2.5, 9
    truth = exact.enumerate_ising(3, t)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(states), 40000)
    e = e_all[pick]
    log_w = -n * e / t + n * np.log(2.0)  # w = exp(-E/T) / (1 / 2^N)
    out = thermo.estimate(log_w, e, n, t, n_bootstrap=100, seed=1)
    for name in ("log_z", "free_energy", "energy", "entropy", "specific_heat"):
        value, error = out[name]
        assert abs(value - truth[name]) < 4 * error, (name, value, error, truth[name])
    bound, bound_error = out["variational_free_energy"]
    assert bound > truth["free_energy"] - 3 * bound_error
    assert bound - truth["free_energy"] > 0.05  # a uniform proposal is far from Boltzmann: the bound is loose


def test_estimate_refuses_what_it_cannot_use():
    with pytest.raises(ValueError, match="at least 2 draws"):
        thermo.estimate([0.0], [1.0], 4, 1.0)
    with pytest.raises(ValueError, match="finite"):
        thermo.estimate([0.0, np.nan], [1.0, 1.0], 4, 1.0)


def test_exact_values_agree_between_enumeration_kaufman_and_the_transfer_matrix():
    for t in (1.5, 2.269, 3.0):
        enumerated = exact.enumerate_ising(4, t)
        kaufman = exact.ising_thermodynamics(4, t)
        for name in ("log_z", "free_energy", "energy", "entropy", "specific_heat"):
            assert kaufman[name] == pytest.approx(enumerated[name], abs=1e-6), name
    enumerated = potts.enumerate_potts(3, 1.0, q=3)
    transfer = potts.potts_thermodynamics(3, 1.0, q=3)
    for name in ("log_z", "free_energy", "energy", "entropy", "specific_heat"):
        assert transfer[name] == pytest.approx(enumerated[name], abs=1e-6), name


@pytest.fixture(scope="module")
def ising_model():
    from betavae_tf.models import BetaVAE

    return BetaVAE(lattice_size=L, channels=1, latent_dim=2, decoder="bernoulli", beta=1.0, seed=0)


def test_the_model_is_normalised_over_every_state_of_the_torus(ising_model):
    import tensorflow as tf

    x = _ising_states(L).astype(np.float32)[..., None]
    for z in ([0.0, 0.0], [1.5, -2.0]):
        params = ising_model.decode(tf.constant([z] * len(x), tf.float32))
        log_p = ising_model.likelihood(params).log_prob(x).numpy().astype(np.float64)
        assert np.logaddexp.reduce(log_p) == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("temperature", [4.0, 6.0])
def test_ising_free_energy_of_an_untrained_model_on_the_enumerated_torus(ising_model, temperature):
    truth = exact.enumerate_ising(L, temperature)
    result = sampling.thermodynamics(
        ising_model, sampling.Target(temperature), n_samples=20000, batch_size=5000, seed=2
    )
    est = result.estimates
    for name in ("free_energy", "energy", "entropy"):
        value, error = est[name]
        assert abs(value - truth[name]) < 4 * error + 1e-9, (name, value, error, truth[name])
    bound, bound_error = est["variational_free_energy"]
    assert bound > truth["free_energy"] - 3 * bound_error
    assert est["ess"] > 100  # enough effective draws for the errors to mean something


def test_potts_free_energy_of_an_untrained_model_on_the_4x4_torus():
    from betavae_tf.models import BetaVAE

    model = BetaVAE(lattice_size=L, channels=3, latent_dim=2, decoder="multinomial", beta=1.0, seed=1)
    temperature = 1.5
    truth = potts.potts_thermodynamics(L, temperature, q=3)
    est = sampling.thermodynamics(
        model, sampling.Target(temperature, "potts"), n_samples=20000, batch_size=5000, seed=3
    ).estimates
    value, error = est["free_energy"]
    assert abs(value - truth["free_energy"]) < 4 * error + 1e-9, (value, error, truth["free_energy"])
    bound, bound_error = est["variational_free_energy"]
    assert bound > truth["free_energy"] - 3 * bound_error


def test_exact_sample_reports_the_thermodynamics_of_its_proposals(ising_model):
    truth = exact.enumerate_ising(L, 4.0)
    result = sampling.exact_sample(ising_model, sampling.Target(4.0), n_chains=64, n_steps=100, burn_in=10, seed=4)
    value, error = result.thermodynamics["free_energy"]
    assert abs(value - truth["free_energy"]) < 4 * error
    assert result.thermodynamics["n"] == 64 * 110 and "thermodynamics" in result.summary()


def test_few_effective_samples_are_flagged_in_the_printed_line():
    rng = np.random.default_rng(5)
    e = rng.normal(-1.5, 0.1, 1000)
    spread = thermo.estimate(rng.normal(0, 10.0, 1000), e, 16, 2.0, n_bootstrap=10)  # a few weights dominate
    assert spread["ess"] < thermo.FEW_EFFECTIVE and "warning: fewer than 100 effective samples" in thermo.line(spread)
    even = thermo.estimate(rng.normal(0, 0.1, 1000), e, 16, 2.0, n_bootstrap=10)
    assert even["ess"] > thermo.FEW_EFFECTIVE and "warning" not in thermo.line(even)
