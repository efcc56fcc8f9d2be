"""What every analysis asks of a trained model: codes of data, decodes of prior draws, Eq. 4's terms.

Inputs are model inputs [N, L, L, C] (data.pipeline.model_input of stored
samples); Ising sigma [N, L, L] gain the channel axis. Prior draws are
stateless: z for draw i of a call with seed s is the same whatever the batch
size, so every analysis that asks for n draws with one seed sees the same z.
"""

import numpy as np

# Streams of the stateless draws; different purposes never share a stream.
PRIOR_STREAM, SAMPLE_STREAM = 12345, 888


def as_input(x):
    """Model input [N, L, L, C]: Ising sigma [N, L, L] in {0, 1} as the pipeline gives them; 4-D passes."""
    x = np.asarray(x)
    if x.ndim == 3:  # data.pipeline.model_input for bits, without loading TensorFlow
        return x.astype(np.float32)[..., None]
    return x.astype(np.float32)


def encode(model, x, batch_size=512):
    """Posterior means and stddevs [N, d_z] (the encoder called directly, not predict():
    under a multi-worker strategy predict would wait for collectives the other workers never join)."""
    means, stddevs = [], []
    for i in range(0, len(x), batch_size):
        out = model.encoder(as_input(x[i : i + batch_size]), training=False)
        means.append(np.asarray(out["mean"]))
        stddevs.append(np.asarray(out["stddev"]))
    return np.concatenate(means), np.concatenate(stddevs)


def stateless_normal(shape, seed):
    """N(0, 1) draws [shape] float32, a fixed function of the pair seed: TensorFlow's stateless Philox
    stream where TensorFlow is installed (every result of this package); on a machine without it (a bare
    accelerator host training under JAX) NumPy's generator seeded by the pair, another stream."""
    try:
        import tensorflow as tf
    except ImportError:
        return np.random.default_rng([int(s) & 0xFFFFFFFF for s in seed]).standard_normal(shape).astype(np.float32)
    return tf.random.stateless_normal(list(shape), seed=list(seed)).numpy()


def prior_draws(model, n, seed=0):
    """z ~ N(0, I), [n, d_z] float32, a fixed function of (seed, n)."""
    return stateless_normal([n, model.config.latent_dim], [seed, PRIOR_STREAM])


def decode_prior(model, n, seed=0, batch_size=500):
    """The decoder's parameters at n prior draws: ({name: [n, L, L, .]}, z)."""
    z = prior_draws(model, n, seed)
    params = {}
    for i in range(0, n, batch_size):
        for name, value in model.decoder(z[i : i + batch_size], training=False).items():
            params.setdefault(name, []).append(np.asarray(value))
    return {k: np.concatenate(v) for k, v in params.items()}, z


def mean_of(model, params):
    """The head's mean parameter (m_k, m_kd or mu_k) from decode_prior's parameters."""
    from betavae_tf.models import mean_parameter

    return params[mean_parameter(model.config.decoder)]


def sample_prior(model, n, seed=0, batch_size=500):
    """n configurations drawn from p(x|z) at prior draws z: (configurations [n, L, L, C], params, z)."""
    params, z = decode_prior(model, n, seed, batch_size)
    import tensorflow as tf

    samples = []
    for i in range(0, n, batch_size):
        chunk = {k: tf.constant(v[i : i + batch_size]) for k, v in params.items()}
        samples.append(model.likelihood(chunk).sample(seed=[seed, SAMPLE_STREAM + i]).numpy())
    return np.concatenate(samples), params, z


def mean_terms(model, x, batch_size=512, seed=0):
    """Dataset means of distortion, rate (Eq. 4's two terms) and the KL per latent dimension."""
    distortion, rate, kl = [], [], []
    for i in range(0, len(x), batch_size):
        d, r, k = model.compute_terms(as_input(x[i : i + batch_size]), False, seed=[seed, i])
        distortion.append(np.asarray(d))
        rate.append(np.asarray(r))
        kl.append(np.asarray(k))
    return (
        float(np.concatenate(distortion).mean()),
        float(np.concatenate(rate).mean()),
        np.concatenate(kl).mean(axis=0),
    )
