"""Observables' symmetries and the exact results against each other."""

import math

import numpy as np
import pytest

from betavae_tf.physics import (
    ISING_CRITICAL_TEMPERATURE,
    energy_per_site,
    enumerate_ising,
    finite_lattice_energy,
    magnetization,
    onsager_energy,
    onsager_magnetization,
    staggered_magnetization,
    to_spins,
)

RNG = np.random.default_rng(0)
SIGMA = RNG.integers(0, 2, size=(20, 6, 6), dtype=np.uint8)


def test_known_configurations():
    up = np.ones((1, 4, 4), dtype=np.uint8)
    checker = (np.indices((4, 4)).sum(axis=0) % 2 == 0).astype(np.uint8)[None]
    assert magnetization(up)[0] == 1 and energy_per_site(up)[0] == -2
    assert staggered_magnetization(checker)[0] == 1 and magnetization(checker)[0] == 0
    assert energy_per_site(checker)[0] == 2 and energy_per_site(checker, coupling=-1)[0] == -2
    assert energy_per_site(up, field=0.5)[0] == -2.5


def test_sigma_and_spin_encodings_agree():
    s = 2 * SIGMA.astype(np.int8) - 1
    np.testing.assert_array_equal(to_spins(SIGMA), s)
    np.testing.assert_allclose(energy_per_site(SIGMA), energy_per_site(s))


def test_global_flip_and_translation():
    flipped = 1 - SIGMA
    np.testing.assert_allclose(energy_per_site(flipped), energy_per_site(SIGMA))
    np.testing.assert_allclose(magnetization(flipped), -magnetization(SIGMA))
    np.testing.assert_allclose(staggered_magnetization(flipped), -staggered_magnetization(SIGMA))
    shifted = np.roll(SIGMA, (2, 3), axis=(1, 2))
    np.testing.assert_allclose(energy_per_site(shifted), energy_per_site(SIGMA))
    np.testing.assert_allclose(magnetization(shifted), magnetization(SIGMA))
    odd_shift = np.roll(SIGMA, 1, axis=2)
    np.testing.assert_allclose(staggered_magnetization(odd_shift), -staggered_magnetization(SIGMA))


def test_coupling_sign_with_sublattice_flip():
    stagger = (np.indices((6, 6)).sum(axis=0) % 2).astype(np.uint8)
    mapped = SIGMA ^ stagger
    np.testing.assert_allclose(energy_per_site(mapped, -1.0), energy_per_site(SIGMA, 1.0))
    np.testing.assert_allclose(np.abs(staggered_magnetization(mapped)), np.abs(magnetization(SIGMA)))


def test_bad_configurations():
    with pytest.raises(ValueError, match="spins in"):
        magnetization(np.array([[[0, 2], [1, 1]]]))
    with pytest.raises(ValueError, match="spins in"):
        magnetization(np.array([[[0, -1], [1, 1]]]))
    with pytest.raises(ValueError, match="NaN"):
        magnetization(np.array([[[np.nan, 1.0], [1.0, 1.0]]]))


@pytest.mark.parametrize("L", (2, 3, 4))
@pytest.mark.parametrize("temperature", (1.0, 2.269, 4.0))
def test_kaufman_equals_enumeration(L, temperature):
    """Two independent exact methods agree to ~1e-8 (finite-difference derivative)."""
    assert finite_lattice_energy(L, temperature) == pytest.approx(enumerate_ising(L, temperature)["energy"], abs=1e-7)


def test_enumeration_symmetries():
    for t in (1.5, 3.0):
        fm, afm = enumerate_ising(4, t, 1.0), enumerate_ising(4, t, -1.0)
        assert afm["energy"] == pytest.approx(fm["energy"], abs=1e-12)
        assert afm["abs_staggered_magnetization"] == pytest.approx(fm["abs_magnetization"], abs=1e-12)
    hot = enumerate_ising(3, 1e6)
    assert abs(hot["energy"]) < 1e-4 and hot["magnetization_sq"] == pytest.approx(1 / 9, rel=1e-4)


def test_onsager_limits():
    assert pytest.approx(2.269185, abs=1e-6) == ISING_CRITICAL_TEMPERATURE
    # The energy at Tc is exactly -sqrt(2) |J| per site.
    assert onsager_energy(ISING_CRITICAL_TEMPERATURE) == pytest.approx(-math.sqrt(2), abs=1e-6)
    assert onsager_energy(0.2) == pytest.approx(-2.0, abs=1e-8)
    m = onsager_magnetization([0.5, 2.0, 2.27, 3.0])
    assert m[0] == pytest.approx(1.0, abs=1e-6) and 0.9 < m[1] < 0.92 and m[2] == 0 and m[3] == 0


@pytest.mark.parametrize("temperature", (1.5, 3.0))
def test_large_torus_approaches_onsager(temperature):
    # Away from Tc the finite-size correction decays like exp(-L / xi): tiny at L = 128.
    assert finite_lattice_energy(128, temperature) == pytest.approx(onsager_energy(temperature), abs=1e-6)
