"""Integrated autocorrelation time and binning errors for Monte Carlo series."""

import numpy as np


def integrated_autocorrelation_time(series, window_factor=5.0):
    """Integrated autocorrelation time tau_int of one or several chains (Sokal).

    tau_int = 1/2 + sum_{t>=1} rho(t), so that independent draws give 1/2 and
    the variance of a mean of n draws is 2 tau_int sigma^2 / n. rho(t) is the
    normalised autocovariance averaged over chains, computed by FFT about the
    mean of all chains (so chains stuck in different states show up as a long
    time, not a short one). The sum is cut at the first window W with
    W >= window_factor * tau_int(W) (Sokal's automatic windowing).

    Args:
      series: array (n_steps,) for one chain or (n_chains, n_steps).
      window_factor: the c of the windowing rule; 5 is customary.

    Returns:
      tau_int as a float in steps; 0.5 for a constant series.
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"series must be 1-D or 2-D (chains, steps), got shape {x.shape}.")
    n = x.shape[1]
    if n < 4:
        raise ValueError(f"series needs at least 4 steps per chain, got {n}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("series contains NaN or infinite values.")
    if not window_factor > 0:
        raise ValueError(f"window_factor must be positive, got {window_factor}.")
    centred = x - x.mean()
    n_fft = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n_fft, axis=1)
    autocov = np.fft.irfft(spectrum * np.conj(spectrum), n_fft, axis=1)[:, :n].mean(axis=0) / n
    if autocov[0] <= 1e-14 * max(1.0, float(np.mean(x * x))):
        return 0.5
    rho = autocov / autocov[0]
    tau = np.cumsum(rho) - 0.5  # tau(W) = 1/2 + sum_{t=1}^{W} rho(t)
    windows = np.arange(n)
    ok = windows >= window_factor * tau
    w = int(np.argmax(ok)) if ok.any() else n - 1
    return float(max(tau[w], 0.5))


def binning_error(samples, min_bins=32):
    """Standard error of the mean of a correlated series by binning.

    Consecutive values are averaged in bins of doubling size while at least
    min_bins bins remain; the naive error of the bin means at the largest
    such size is returned (it has converged once bins exceed ~2 tau_int).
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 2 * min_bins:
        raise ValueError(f"binning needs at least {2 * min_bins} values, got {x.size}.")
    size = 1
    while x.size // (2 * size) >= min_bins:
        size *= 2
    n_bins = x.size // size
    means = x[: n_bins * size].reshape(n_bins, size).mean(axis=1)
    return float(means.std(ddof=1) / np.sqrt(n_bins))
