"""tau_int and binning errors on processes with known answers."""

import numpy as np
import pytest

from mc_ext import binning_error, integrated_autocorrelation_time


def _ar1(phi, n_chains, n, seed):
    """x_t = phi x_{t-1} + noise: rho(t) = phi^t, tau_int = (1 + phi) / (2 (1 - phi))."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n_chains, n))
    x = np.empty_like(noise)
    x[:, 0] = noise[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x


def test_tau_of_ar1_process():
    phi = 0.8
    exact = (1 + phi) / (2 * (1 - phi))  # 4.5
    tau = integrated_autocorrelation_time(_ar1(phi, 8, 25000, 0))
    # Relative error of the windowed estimate ~ sqrt(2 (2W + 1) / n) ~ 2.5% here.
    assert abs(tau - exact) < 0.1 * exact


def test_tau_of_independent_and_constant_series():
    rng = np.random.default_rng(1)
    assert abs(integrated_autocorrelation_time(rng.normal(size=100000)) - 0.5) < 0.03
    assert integrated_autocorrelation_time(np.ones(100)) == 0.5


def test_binning_error_of_correlated_series():
    phi = 0.8
    x = _ar1(phi, 1, 400000, 2)[0]
    tau = (1 + phi) / (2 * (1 - phi))
    exact = np.sqrt(2 * tau * x.var() / x.size)
    assert abs(binning_error(x) / exact - 1) < 0.25
    iid = np.random.default_rng(3).normal(size=100000)
    assert abs(binning_error(iid) * np.sqrt(iid.size) - 1) < 0.25


@pytest.mark.parametrize("bad", [np.zeros((2, 2, 2)), np.zeros(3), np.array([1.0, np.nan, 2.0, 3.0, 4.0])])
def test_bad_series(bad):
    with pytest.raises(ValueError):
        integrated_autocorrelation_time(bad)
