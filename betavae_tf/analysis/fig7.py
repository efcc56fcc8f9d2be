"""Fig. 7 and Sec. VI: one-phase learning with the beta-VAE and the beta^2-VAE.

For a one-phase data set (one J, one T) each model's generated configurations
(sigma drawn from p(x|z), z ~ N(0, I)) are compared with the Monte Carlo data
on energy, |m|, nearest-neighbour correlation, specific heat and
susceptibility (analysis.fidelity); the beta^2 head's inverse temperatures
beta_k are summarised per phase.
"""
import numpy as np

from betavae_tf.analysis import fidelity
from betavae_tf.analysis import metrics as mt

MEASURES = ("energy", "abs_m", "nn_correlation", "specific_heat", "susceptibility")


def sample_configurations(model, n, seed=0, batch_size=500):
    """n configurations drawn from the decoder at z ~ N(0, I), and the head's parameters."""
    import tensorflow as tf
    configs, params_all = [], {}
    for start in range(0, n, batch_size):
        k = min(batch_size, n - start)
        z = tf.random.stateless_normal([k, model.config.latent_dim], seed=[seed, 777 + start])
        params = model.decoder(z, training=False)
        configs.append(model.likelihood(params).sample(seed=[seed, 888 + start]).numpy()[..., 0])
        for name, value in params.items():
            params_all.setdefault(name, []).append(value.numpy()[..., 0])
    return np.concatenate(configs).astype(np.uint8), {k: np.concatenate(v) for k, v in params_all.items()}


def evaluate_one_phase(model, spins, temperature, coupling, n_generated=1000, seed=0):
    """Fidelity of the model's samples to one-phase data, and beta_k statistics."""
    generated, params = sample_configurations(model, n_generated, seed)
    out = {"fidelity": fidelity.compare(generated, spins, temperature, coupling),
           "generated_phase_fractions": mt.phase_fractions(mt.classify_phase(generated)),
           "mean_abs_local_field": float(np.abs(params["local_field"]).mean())}
    if "inverse_temperature" in params:
        beta = params["inverse_temperature"]
        out["inverse_temperature"] = {"mean": float(beta.mean()), "std_over_sites": float(beta.std(axis=(1, 2)).mean()),
                                      "std_of_sample_means": float(beta.mean(axis=(1, 2)).std()),
                                      "min": float(beta.min()), "max": float(beta.max())}
    arrays = {"samples": generated[:4], "local_field": params["local_field"][:4],
              "inverse_temperature": params.get("inverse_temperature", np.full_like(params["local_field"], np.nan))[:4]}
    return out, arrays


def distance(entry, measure):
    """One number per measure, smaller = closer to the data: W1 or |relative difference|."""
    f = entry["fidelity"][measure]
    return f["w1"] if "w1" in f else abs(f["relative_diff"])


def closer_count(beta2, beta_vae):
    """How many of MEASURES the beta^2-VAE's samples match better than the beta-VAE's."""
    return sum(distance(beta2, m) < distance(beta_vae, m) for m in MEASURES)
