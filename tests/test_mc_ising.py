"""mc_ext.sample_ising against exact enumeration, symmetries, determinism and bad input."""

import math

import numpy as np
import pytest

import mc_ext
from betavae_tf.physics import (
    energy_per_site,
    enumerate_ising,
    finite_lattice_energy,
    magnetization,
    staggered_magnetization,
)

TEMPERATURES = (1.5, 2.269, 3.0)
ALGORITHMS = ("metropolis", "wolff", "hybrid")


def _within(samples, exact, n_sigma=4.0):
    mean, err = samples.mean(), mc_ext.binning_error(samples)
    assert err > 0
    assert abs(mean - exact) < n_sigma * err, f"{mean:.5f} +- {err:.5f} vs exact {exact:.5f}"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("coupling", (1.0, -1.0))
@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_l4_matches_exact_enumeration(temperature, coupling, algorithm):
    """<E>/N, <|order|> and <order^2> within 4 binning standard errors of the exact sums.

    The order parameter is m for J = +1 and the staggered m_s for J = -1.
    """
    spins = mc_ext.sample_ising(4, temperature, 6000, coupling=coupling, algorithm=algorithm, seed=11)
    exact = enumerate_ising(4, temperature, coupling)
    order = magnetization(spins) if coupling > 0 else staggered_magnetization(spins)
    key = "magnetization" if coupling > 0 else "staggered_magnetization"
    _within(energy_per_site(spins, coupling), exact["energy"])
    _within(np.abs(order), exact[f"abs_{key}"])
    _within(order**2, exact[f"{key}_sq"])


def test_l4_with_field_matches_exact_enumeration():
    spins = mc_ext.sample_ising(4, 2.5, 6000, coupling=1.0, field=0.3, seed=5)
    exact = enumerate_ising(4, 2.5, 1.0, 0.3)
    _within(energy_per_site(spins, 1.0, 0.3), exact["energy"])
    _within(magnetization(spins) ** 2, exact["magnetization_sq"])


def test_output_dtype_shape_values():
    spins = mc_ext.sample_ising(8, 2.0, 10, seed=1)
    assert spins.dtype == np.uint8 and spins.shape == (10, 8, 8)
    assert set(np.unique(spins)) <= {0, 1}


def test_global_spin_flip_symmetry_of_samples():
    """h = 0: m and -m are equally likely; Wolff/hybrid visit both signs below Tc."""
    m = magnetization(mc_ext.sample_ising(16, 1.8, 4000, algorithm="hybrid", seed=2))
    positive = np.mean(m > 0)
    assert abs(positive - 0.5) < 4 * math.sqrt(0.25 / 4000) * 2  # x2 for residual correlation
    assert abs(m.mean()) < 4 * mc_ext.binning_error(m)


def test_coupling_sign_and_sublattice_flip_agree():
    """J -> -J with S_i -> (-1)^(x+y) S_i maps the model onto itself (even L)."""
    fm = mc_ext.sample_ising(8, 2.269, 6000, coupling=1.0, seed=3)
    afm = mc_ext.sample_ising(8, 2.269, 6000, coupling=-1.0, seed=4)
    stagger = (np.indices((8, 8)).sum(axis=0) % 2).astype(np.uint8)
    afm_mapped = afm ^ stagger  # sigma -> 1 - sigma on the odd sublattice
    np.testing.assert_allclose(energy_per_site(afm_mapped, 1.0), energy_per_site(afm, -1.0))
    for observable in (lambda s: energy_per_site(s, 1.0), lambda s: np.abs(magnetization(s))):
        a, b = observable(fm), observable(afm_mapped)
        err = math.hypot(mc_ext.binning_error(a), mc_ext.binning_error(b))
        assert abs(a.mean() - b.mean()) < 4 * err


@pytest.mark.parametrize("algorithm", ("metropolis", "wolff", "hybrid", "auto"))
def test_same_seed_same_bits_for_any_thread_count(algorithm):
    one = mc_ext.sample_ising(8, 2.3, 50, seed=42, algorithm=algorithm, n_threads=1, n_chains=4)
    two = mc_ext.sample_ising(8, 2.3, 50, seed=42, algorithm=algorithm, n_threads=2, n_chains=4)
    np.testing.assert_array_equal(one, two)
    other = mc_ext.sample_ising(8, 2.3, 50, seed=43, algorithm=algorithm, n_threads=2, n_chains=4)
    assert np.any(one != other)


def test_chains_are_independent_streams():
    spins = mc_ext.sample_ising(8, 5.0, 2, seed=0, n_chains=2, algorithm="metropolis")
    assert np.any(spins[0] != spins[1])


def test_auto_rule():
    tc = mc_ext.ising_critical_temperature()
    assert mc_ext.resolve_algorithm("auto", 0.9 * tc) == "hybrid"
    assert mc_ext.resolve_algorithm("auto", 1.49 * tc) == "hybrid"
    assert mc_ext.resolve_algorithm("auto", 1.6 * tc) == "metropolis"
    assert mc_ext.resolve_algorithm("auto", tc, coupling=-2.0) == "hybrid"
    assert mc_ext.resolve_algorithm("auto", tc, field=0.1) == "metropolis"
    assert mc_ext.resolve_algorithm("wolff", 10.0) == "wolff"


def test_info_reports_decorrelation():
    _, info = mc_ext.sample_ising(16, 2.269, 64, seed=0, algorithm="metropolis", return_info=True)
    tau = max(info["tau_int"].values())
    assert info["spacing"] >= 2 * tau
    assert info["pilot_steps"] >= 50 * tau


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(L=1), "L must be at least 2"),
        (dict(L=2.5), "L must be an integer"),
        (dict(L=5, algorithm="metropolis"), "L must be even"),
        (dict(L=5, algorithm="auto", temperature=1.0), "L must be even"),
        (dict(temperature=0.0), "temperature must be positive"),
        (dict(temperature=-1.0), "temperature must be positive"),
        (dict(temperature=float("nan")), "temperature must be finite"),
        (dict(temperature="hot"), "temperature must be a real number"),
        (dict(n_samples=0), "n_samples must be at least 1"),
        (dict(algorithm="heatbath"), "algorithm must be one of"),
        (dict(algorithm="wolff", field=0.5), "needs field = 0"),
        (dict(coupling=float("inf")), "coupling must be finite"),
        (dict(seed=-1), "seed must be at least 0"),
        (dict(seed=2**64), "seed must be below"),
        (dict(n_threads=0), "n_threads must be at least 1"),
        (dict(n_chains=0), "n_chains must be at least 1"),
        (dict(spacing=0), "spacing must be at least 1"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    args = dict(L=8, temperature=2.0, n_samples=4)
    args.update(kwargs)
    L, t, n = args.pop("L"), args.pop("temperature"), args.pop("n_samples")
    with pytest.raises(ValueError, match=match):
        mc_ext.sample_ising(L, t, n, **args)


@pytest.mark.parametrize("coupling", (1.0, -1.0))
def test_wolff_on_odd_torus_matches_exact_enumeration(coupling):
    """L = 3: for J < 0 the torus is frustrated (the cluster code's marked path)."""
    spins = mc_ext.sample_ising(3, 2.0, 6000, coupling=coupling, algorithm="wolff", seed=9)
    exact = enumerate_ising(3, 2.0, coupling)
    _within(energy_per_site(spins, coupling), exact["energy"])
    _within(magnetization(spins) ** 2, exact["magnetization_sq"])


def test_wolff_accepts_odd_lattice():
    spins = mc_ext.sample_ising(5, 2.0, 8, algorithm="wolff", seed=0)
    assert spins.shape == (8, 5, 5)


@pytest.mark.slow
@pytest.mark.parametrize("temperature", (2.0, 2.269, 3.0))
def test_l32_energy_matches_kaufman(temperature):
    """<E>/N at L = 32 against the exact finite torus (Kaufman 1949; Ferdinand-Fisher 1969)."""
    spins = mc_ext.sample_ising(32, temperature, 20000, seed=7)
    _within(energy_per_site(spins), finite_lattice_energy(32, temperature))
