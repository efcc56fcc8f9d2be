"""Tc of one run from an order parameter against T (betavae_tf.analysis.transition)."""

import numpy as np
import pytest

from betavae_tf.analysis import transition


def test_critical_temperature_of_a_known_step():
    rng = np.random.default_rng(4)
    grid = np.linspace(1.0, 3.5, 16)
    t = np.repeat(grid, 200)
    order = 1.0 / (1 + np.exp((t - 2.269) / 0.08)) + 0.05 * rng.normal(size=t.size)
    tc, err, curve = transition.critical_temperature(t, order, n_bootstrap=50)
    assert abs(tc - 2.269) < 0.02 and 0 < err < 0.05
    assert len(curve["mean"]) == 16
    with pytest.raises(ValueError, match="at least 4 temperatures"):
        transition.critical_temperature([1, 2, 3], [1, 0, 0])


def test_steepest_change_finds_the_steepest_point_where_a_logistic_step_does_not():
    """A mean with a sharp drop at 2.3 on top of a smooth decay over the whole range (as a code that tracks
    the energy): the steepest slope is at 2.3 (to 0.003, the decay's own curvature), the logistic step's
    midpoint is pulled far from it."""
    rng = np.random.default_rng(5)
    grid = np.concatenate([np.linspace(1.0, 2.0, 6), np.linspace(2.1, 2.5, 9), np.linspace(2.7, 3.5, 5)])
    t = np.repeat(grid, 200)
    mean = np.exp(1.0 - t) + 0.15 * (1 - np.tanh((t - 2.3) / 0.1))
    tc, err, slope = transition.steepest_change(t, mean + 0.02 * rng.normal(size=t.size), n_bootstrap=50)
    assert abs(tc - 2.3) < 0.02 and 0 < err < 0.02
    assert len(slope["slope"]) == len(grid) - 1 and max(slope["slope"]) > 0
    midpoint, _, _ = transition.critical_temperature(t, mean, n_bootstrap=2)
    assert abs(midpoint - 2.3) > 0.2
    # A symmetric step: both estimators at its centre.
    step = 1.0 / (1 + np.exp((t - 2.269) / 0.08)) + 0.02 * rng.normal(size=t.size)
    assert abs(transition.steepest_change(t, step, n_bootstrap=2)[0] - 2.269) < 0.02
    # The steepest slope at an end of the range is no transition inside it; a flat mean has none either.
    assert np.isnan(transition.steepest_change(t, np.exp(-4 * t), n_bootstrap=2)[0])
    with pytest.raises(ValueError, match="at least 4 temperatures"):
        transition.steepest_change([1, 2, 3], [1, 0, 0])
