"""Evaluate a trained Ising beta-VAE: latent codes, generated maps and every metric of Sec. III-IV."""
import numpy as np

from betavae_tf.analysis import metrics as mt
from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE

PHASE_FM, PHASE_AFM, PHASE_PM = 0, 1, 2


def _as_input(x):
    """Model input [N, L, L, C]: spins [N, L, L] in {0, 1} gain a channel axis; 4-D passes."""
    x = np.asarray(x, dtype=np.float32)
    return x[..., None] if x.ndim == 3 else x


def encode(model, spins, batch_size=512):
    """Posterior means and stddevs [N, d_z] of spins [N, L, L] in {0, 1} or inputs [N, L, L, C]."""
    means, stddevs = [], []
    for i in range(0, len(spins), batch_size):
        out = model.encoder(_as_input(spins[i:i + batch_size]), training=False)
        means.append(out["mean"].numpy())
        stddevs.append(out["stddev"].numpy())
    return np.concatenate(means), np.concatenate(stddevs)


def generate_maps(model, n, seed=0):
    """Bernoulli maps m_k [n, L, L] and local fields h_k decoded from z ~ N(0, I)."""
    import tensorflow as tf
    z = tf.random.stateless_normal([n, model.config.latent_dim], seed=[seed, 12345])
    params = model.decoder(z, training=False)
    return params["probs"].numpy()[..., 0], params["local_field"].numpy()[..., 0], z.numpy()


def mean_terms(model, spins, batch_size=512, seed=0):
    """Dataset means of distortion, rate (Eq. 4's two terms) and the KL per latent dimension."""
    distortion, rate, kl = [], [], []
    for i in range(0, len(spins), batch_size):
        d, r, k = model.compute_terms(_as_input(spins[i:i + batch_size]),
                                      False, seed=[seed, i])
        distortion.append(d.numpy())
        rate.append(r.numpy())
        kl.append(k.numpy())
    return (float(np.concatenate(distortion).mean()), float(np.concatenate(rate).mean()),
            np.concatenate(kl).mean(axis=0))


def evaluate(model, data, *, n_generated=1000, seed=0, n_bootstrap=200):
    """All metrics of one model on a dataset loaded by load_numpy (every sample).

    Returns (metrics dict of plain numbers, arrays dict for the figures).
    """
    spins = data["spins"]
    m, ms = data["magnetization"], data["staggered_magnetization"]
    phase, temperature = data["phase"], data["temperature"]
    latent, _ = encode(model, spins)
    maps, fields, _ = generate_maps(model, n_generated, seed)
    gen_phase = mt.classify_phase(maps)
    corr = mt.latent_correlations(latent, {"m": m, "ms": ms})
    axis_m, axis_ms, alignment = mt.axis_alignment(corr["pearson"]["m"], corr["pearson"]["ms"])
    distortion, rate, kl_per_dim = mean_terms(model, spins, seed=seed)
    t_grid = np.unique(temperature)
    factors = {"phase": phase, "sign_m": np.where(phase == PHASE_FM, np.sign(m), 0).astype(int),
               "sign_ms": np.where(phase == PHASE_AFM, np.sign(ms), 0).astype(int),
               "temperature_bin": np.searchsorted(t_grid, temperature)}
    out = {
        "n_samples": int(len(spins)),
        "distortion": distortion, "rate": rate, "kl_per_dim": kl_per_dim.tolist(),
        "generated_fractions": mt.phase_fractions(gen_phase),
        "data_fractions_classified": mt.phase_fractions(mt.classify_phase(spins)),
        "data_fractions_labels": {name: float(np.mean(phase == code)) for name, code in
                                  (("FM", 0), ("AFM", 1), ("PM", 2))},
        "pearson": corr["pearson"], "spearman": corr["spearman"],
        "axis_m": int(axis_m), "axis_ms": int(axis_ms), "alignment": alignment,
        "best_abs_corr_m": float(abs(corr["pearson"]["m"][axis_m])),
        "best_abs_corr_ms": float(abs(corr["pearson"]["ms"][axis_ms])),
        "mig": mt.mutual_information_gap(latent, factors),
        "local_fields": mt.local_field_stats(maps),
        "latent_std": latent.std(axis=0).tolist(),
    }
    try:
        out["fm_afm_cos"] = mt.fm_afm_cosine(latent, phase)
    except ValueError:
        out["fm_afm_cos"] = float("nan")
    out["mmd"] = mt.mmd_isometry(spins, latent, m, phase)
    # Tc from the latent alone: |z| on the axis that tracks m (J > 0 samples)
    # and on the one that tracks m_s (J < 0 samples), against T.
    tc = {}
    coupling = data["coupling"]
    for name, axis, sel in (("from_m_axis", axis_m, coupling > 0), ("from_ms_axis", axis_ms, coupling < 0)):
        if sel.sum() and len(np.unique(temperature[sel])) >= 4:
            value, err, curve = mt.critical_temperature(temperature[sel], np.abs(latent[sel, axis]),
                                                        n_bootstrap=n_bootstrap, seed=seed)
            tc[name] = {"tc": value, "error": err, "curve": curve,
                        "relative_deviation": abs(value - ISING_CRITICAL_TEMPERATURE) / ISING_CRITICAL_TEMPERATURE}
    finite = [v["tc"] for v in tc.values() if np.isfinite(v["tc"])]
    if finite:
        tc["combined"] = float(np.mean(finite))
        tc["combined_relative_deviation"] = abs(tc["combined"] - ISING_CRITICAL_TEMPERATURE) / ISING_CRITICAL_TEMPERATURE
    out["tc"] = tc
    arrays = {"latent": latent, "phase": phase, "temperature": temperature, "coupling": coupling,
              "maps": maps[:16], "fields": fields[:16], "gen_phase": gen_phase}
    return out, arrays
