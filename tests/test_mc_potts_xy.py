"""mc_ext.sample_potts and sample_xy against exact results, symmetries, determinism and bad input."""

import numpy as np
import pytest

import mc_ext
from betavae_tf.physics import finite_lattice_energy
from betavae_tf.physics.potts import (
    enumerate_potts,
    potts_critical_energy,
    potts_critical_temperature,
    potts_energy_per_site,
    potts_finite_lattice_energy,
    potts_order_parameter,
    potts_state_fractions,
)
from betavae_tf.physics.xy import (
    xy_channels,
    xy_energy_per_site,
    xy_helicity_modulus,
    xy_high_temperature_energy,
    xy_magnetization,
    xy_vortex_density,
)

TC3 = potts_critical_temperature(3)


def _within(samples, exact, n_sigma=4.0):
    mean, err = samples.mean(), mc_ext.binning_error(samples)
    assert err > 0
    assert abs(mean - exact) < n_sigma * err, f"{mean:.5f} +- {err:.5f} vs exact {exact:.5f}"


# -- exact results themselves ----------------------------------------------------------
def test_potts_exact_results_agree_with_each_other():
    assert pytest.approx(0.994973, abs=1e-6) == TC3
    assert mc_ext.potts_critical_temperature(3) == pytest.approx(TC3)
    assert potts_critical_energy(3) == pytest.approx(-1.577350, abs=1e-6)
    # Transfer matrix = enumeration on the 3 x 3 torus.
    for t in (0.6, TC3, 2.0):
        assert potts_finite_lattice_energy(3, t) == pytest.approx(enumerate_potts(3, t)["energy"], abs=1e-7)
    # q = 2 is Ising with J/2 (Kaufman's exact torus), E_Potts = E_Ising - J.
    assert potts_finite_lattice_energy(6, 1.2, q=2) == pytest.approx(finite_lattice_energy(6, 1.2, 0.5) - 1.0, abs=1e-7)
    # The finite tori approach the infinite-lattice critical energy from below.
    e4, e6 = potts_finite_lattice_energy(4, TC3), potts_finite_lattice_energy(6, TC3)
    assert e4 < e6 < potts_critical_energy(3)


def test_potts_observables_on_known_configurations():
    ordered = np.zeros((1, 4, 4), dtype=np.uint8)
    assert potts_order_parameter(ordered)[0] == pytest.approx(1.0)
    assert potts_energy_per_site(ordered)[0] == pytest.approx(-2.0)
    stripes = np.tile(np.arange(3)[None, :, None], (1, 1, 3)).astype(np.uint8)  # rows 0, 1, 2
    assert potts_order_parameter(stripes)[0] == pytest.approx(0.0, abs=1e-12)
    assert potts_energy_per_site(stripes)[0] == pytest.approx(-1.0)  # only the row bonds are equal
    assert potts_state_fractions(stripes)[0] == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="integers in"):
        potts_order_parameter(np.full((1, 3, 3), 3))


# -- the Potts sampler ------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ("heatbath", "wolff", "hybrid"))
@pytest.mark.parametrize("temperature", (0.7, TC3, 1.6))
def test_potts_l3_matches_exact_enumeration(temperature, algorithm):
    """<E>/N, <|M|> and <|M|^2> within 4 binning standard errors of the sum over 3^9 states."""
    s = mc_ext.sample_potts(3, temperature, 5000, algorithm=algorithm, seed=4)
    exact = enumerate_potts(3, temperature)
    _within(potts_energy_per_site(s), exact["energy"])
    _within(potts_order_parameter(s), exact["abs_order_parameter"])
    _within(potts_order_parameter(s) ** 2, exact["order_parameter_sq"])


def test_potts_l6_energy_at_tc_matches_transfer_matrix():
    s = mc_ext.sample_potts(6, TC3, 6000, seed=8)
    _within(potts_energy_per_site(s), potts_finite_lattice_energy(6, TC3))


def test_potts_binder_cumulants_cross_at_the_exact_tc():
    """U = 1 - <|M|^4> / (2 <|M|^2>^2) (two-component M) grows with L below Tc and falls above:
    the L = 8 and 16 curves cross between 0.95 Tc and 1.05 Tc (measured gaps: 0.018 at
    0.95 Tc, 0.168 at 1.05 Tc, against a statistical error of about 0.005 at 4000 samples)."""

    def binder(L, t):
        m = potts_order_parameter(mc_ext.sample_potts(L, t, 4000, seed=L))
        return 1 - np.mean(m**4) / (2 * np.mean(m**2) ** 2)

    assert binder(16, 0.95 * TC3) > binder(8, 0.95 * TC3)
    assert binder(16, 1.05 * TC3) < binder(8, 1.05 * TC3)


def test_potts_q2_is_ising_with_half_coupling():
    s = mc_ext.sample_potts(8, 1.2, 4000, q=2, seed=6)
    _within(potts_energy_per_site(s), finite_lattice_energy(8, 1.2, 0.5) - 1.0)


def test_potts_antiferromagnet_heatbath_matches_enumeration():
    s = mc_ext.sample_potts(3, 0.8, 5000, coupling=-1.0, seed=2)
    _within(potts_energy_per_site(s, -1.0), enumerate_potts(3, 0.8, coupling=-1.0)["energy"])


def test_potts_z3_permutation_symmetry_and_order():
    """Every state is equally likely overall (the Z_q symmetry); |M| ~ 1 below Tc, ~ 0 far above."""
    cold = mc_ext.sample_potts(16, 0.6, 600, seed=1)
    hot = mc_ext.sample_potts(16, 3.0, 600, seed=1)
    # Below Tc each sample picks one state; the ensemble visits all three equally:
    # the majority state's share is binomial, so 600 samples give +-0.019 (1 sigma).
    majority = np.argmax(potts_state_fractions(cold), axis=1)
    assert np.all(np.abs(np.bincount(majority, minlength=3) / 600 - 1 / 3) < 0.08)
    assert potts_order_parameter(cold).mean() > 0.9
    assert potts_order_parameter(hot).mean() < 0.15
    assert np.all(np.abs(potts_state_fractions(hot).mean(axis=0) - 1 / 3) < 0.01)


@pytest.mark.parametrize("algorithm", ("heatbath", "hybrid"))
def test_potts_same_seed_same_bits_for_any_thread_count(algorithm):
    a = mc_ext.sample_potts(8, 1.0, 40, q=4, seed=9, algorithm=algorithm, n_threads=1)
    b = mc_ext.sample_potts(8, 1.0, 40, q=4, seed=9, algorithm=algorithm, n_threads=2)
    c = mc_ext.sample_potts(8, 1.0, 40, q=4, seed=10, algorithm=algorithm, n_threads=2)
    assert a.dtype == np.uint8 and a.shape == (40, 8, 8) and a.max() < 4
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_potts_info():
    _, info = mc_ext.sample_potts(8, TC3, 32, seed=0, return_info=True)
    assert info["algorithm"] == "hybrid" and info["q"] == 3
    assert info["spacing"] >= 1 and info["clusters_per_step"] >= 1
    assert info["pilot_steps"] >= 50 * max(info["tau_int"].values())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"q": 1}, "q must be at least 2"),
        ({"q": 200}, "q must be at most 127"),
        ({"temperature": 0.0}, "temperature must be positive"),
        ({"temperature": float("nan")}, "temperature must be finite"),
        ({"L": 1}, "L must be at least 2"),
        ({"n_samples": 0}, "n_samples must be at least 1"),
        ({"algorithm": "sw"}, "algorithm must be one of"),
        ({"coupling": -1.0, "algorithm": "wolff"}, "needs a ferromagnetic coupling"),
        ({"seed": -1}, "seed must be at least 0"),
        ({"spacing": 0}, "spacing must be at least 1"),
    ],
)
def test_potts_bad_arguments(kwargs, match):
    args = {"L": 4, "temperature": 1.0, "n_samples": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        mc_ext.sample_potts(args.pop("L"), args.pop("temperature"), args.pop("n_samples"), **args)


# -- the XY sampler ---------------------------------------------------------------------
def test_xy_observables_on_known_configurations():
    aligned = np.full((1, 4, 4), 0.3)
    assert xy_magnetization(aligned)[0] == pytest.approx(1.0)
    assert xy_energy_per_site(aligned)[0] == pytest.approx(-2.0)
    assert xy_vortex_density(aligned)[0] == 0.0
    assert xy_helicity_modulus(aligned, 1.0) == pytest.approx(1.0)  # (1/N) sum_x cos 0
    # One vortex: angles winding once around the centre of a plaquette.
    L = 8
    y, x = np.mgrid[0:L, 0:L] - (L - 1) / 2
    vortex = np.arctan2(y, x)[None]
    assert xy_vortex_density(vortex)[0] * L * L >= 1
    ch = xy_channels(aligned)
    assert ch.shape == (1, 4, 4, 2) and ch.dtype == np.float32
    assert np.allclose(ch[..., 0] ** 2 + ch[..., 1] ** 2, 1.0)


@pytest.mark.parametrize("algorithm", ("metropolis", "wolff", "hybrid"))
def test_xy_high_temperature_series(algorithm):
    """At T = 5 (t = I1/I0 = 0.0995) E/N = -2 (t + 2 t^3) up to O(t^5) ~ 1e-4; the t^3 term
    alone is 0.004, about 8 standard errors of these samples, so the check can fail."""
    a = mc_ext.sample_xy(16, 5.0, 16000, algorithm=algorithm, seed=2)
    e = xy_energy_per_site(a)
    _within(e, float(xy_high_temperature_energy(5.0)))
    t = 0.0995
    assert abs(e.mean() + 2 * t) > 4 * mc_ext.binning_error(e)  # first order alone is off


def test_xy_algorithms_agree_below_bkt():
    """Metropolis alone (a long reference run) and Wolff alone agree at T = 0.7 < T_BKT."""
    ref = xy_energy_per_site(mc_ext.sample_xy(8, 0.7, 6000, algorithm="metropolis", seed=21))
    wolff = xy_energy_per_site(mc_ext.sample_xy(8, 0.7, 6000, algorithm="wolff", seed=22))
    err = np.hypot(mc_ext.binning_error(ref), mc_ext.binning_error(wolff))
    assert abs(ref.mean() - wolff.mean()) < 4 * err


def test_xy_rotation_symmetry_and_bkt_signatures():
    """The direction of m is uniform (O(2) symmetry); stiffness and vortices change across T_BKT."""
    cold = mc_ext.sample_xy(16, 0.5, 800, seed=3)
    hot = mc_ext.sample_xy(16, 1.5, 800, seed=3)
    direction = np.angle(np.exp(1j * cold).mean(axis=(1, 2)))
    # Mean of exp(i phi) over 800 uniform directions: |.| ~ 1/sqrt(800) = 0.035.
    assert abs(np.exp(1j * direction).mean()) < 0.15
    assert xy_magnetization(cold).mean() > 0.8 > 0.3 > xy_magnetization(hot).mean()
    assert xy_helicity_modulus(cold, 0.5) > 2 * 0.8929 / np.pi > xy_helicity_modulus(hot, 1.5)
    assert xy_vortex_density(cold).mean() < 1e-3 < xy_vortex_density(hot).mean()


def test_xy_determinism_and_range():
    a = mc_ext.sample_xy(8, 0.9, 20, seed=5, n_threads=1)
    b = mc_ext.sample_xy(8, 0.9, 20, seed=5, n_threads=2)
    assert a.dtype == np.float32 and a.shape == (20, 8, 8)
    assert np.array_equal(a, b)
    assert a.min() >= 0 and a.max() < 2 * np.pi + 1e-6
    _, info = mc_ext.sample_xy(8, 0.9, 20, seed=5, return_info=True)
    assert 0 < info["metropolis_window"] <= np.pi


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"temperature": -1.0}, "temperature must be positive"),
        ({"algorithm": "heatbath"}, "algorithm must be one of"),
        ({"coupling": -1.0, "algorithm": "hybrid"}, "needs a ferromagnetic coupling"),
        ({"n_chains": 0}, "n_chains must be at least 1"),
    ],
)
def test_xy_bad_arguments(kwargs, match):
    args = {"L": 4, "temperature": 1.0, "n_samples": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        mc_ext.sample_xy(args.pop("L"), args.pop("temperature"), args.pop("n_samples"), **args)


@pytest.mark.slow
def test_potts_energy_at_tc_extrapolates_to_the_exact_value():
    """e(L) at Tc for L = 8..32 fitted with e_inf + A L^((alpha - 1)/nu) = e_inf + A L^-0.8
    (q = 3: alpha = 1/3, nu = 5/6) gives e_inf within 0.01 of -(1 + 1/sqrt 3)."""
    sizes = np.array([8, 16, 32])
    energies = np.array(
        [potts_energy_per_site(mc_ext.sample_potts(int(L), TC3, 3000, seed=int(L))).mean() for L in sizes]
    )
    design = np.stack([np.ones(3), sizes**-0.8], axis=1)
    e_inf, _ = np.linalg.lstsq(design, energies, rcond=None)[0]
    assert abs(e_inf - potts_critical_energy(3)) < 0.01
