"""TFP distributions of the package's own: the autoregressive heads' p(x|z) (TensorFlow only).

The network they wrap (models/autoregressive.py) is written in keras.ops and
trains on any Keras backend; this distribution object, the heads' public API
under TensorFlow, adds sampling site by site and TFP's batch/sample shapes.
"""

import tensorflow as tf

from betavae_tf.backend import tensorflow_probability

tfp = tensorflow_probability()

tfd = tfp.distributions


def site_distribution(logits):
    """Bernoulli per site for one channel, one-hot categorical over D > 1 channels."""
    if logits.shape[-1] == 1:
        return tfd.Independent(tfd.Bernoulli(logits=logits, dtype=tf.float32), reinterpreted_batch_ndims=3)
    return tfd.Independent(tfd.OneHotCategorical(logits=logits, dtype=tf.float32), reinterpreted_batch_ndims=2)


class AutoregressiveLattice(tfd.Distribution):
    """p(x|z) of the autoregressive head for a batch of N latent codes: event [L, L, C], batch [N]."""

    def __init__(
        self, network, context, local_field, validate_args=False, allow_nan_stats=True, name="AutoregressiveLattice"
    ):
        parameters = dict(locals())
        self.network = network
        self.context = tf.convert_to_tensor(context, tf.float32)
        self.local_field = tf.convert_to_tensor(local_field, tf.float32)
        super().__init__(
            dtype=tf.float32,
            reparameterization_type=tfd.NOT_REPARAMETERIZED,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            parameters=parameters,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return {
            "context": tfp.util.ParameterProperties(event_ndims=3),
            "local_field": tfp.util.ParameterProperties(event_ndims=3),
        }

    def _event_shape(self):
        return self.local_field.shape[1:]

    def _event_shape_tensor(self):
        return tf.shape(self.local_field)[1:]

    def _batch_shape(self):
        return self.local_field.shape[:1]

    def _batch_shape_tensor(self):
        return tf.shape(self.local_field)[:1]

    def site_distribution(self, x):
        """The per-site conditionals given x's earlier sites, as a tfd.Independent over [L, L, C]."""
        return site_distribution(self.network(x, self.context, self.local_field))

    def _log_prob(self, x):
        x = tf.convert_to_tensor(x, tf.float32)
        if x.shape.rank == 4:
            return self.site_distribution(x).log_prob(x)
        # Leading sample dimensions [S..., N, L, L, C]: one pass over S * N configurations.
        outer = tf.shape(x)[:-4]
        flat = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], 0))
        copies = tf.reduce_prod(outer)
        tiled = AutoregressiveLattice(
            self.network, tf.tile(self.context, [copies, 1, 1, 1]), tf.tile(self.local_field, [copies, 1, 1, 1])
        )
        return tf.reshape(tiled.log_prob(flat), tf.concat([outer, tf.shape(x)[-4:-3]], 0))

    def _noise_shape(self):
        c = self.network.channels
        return tf.concat([tf.shape(self.local_field)[:3], [1 if c == 1 else c]], 0)

    def sample_from_noise(self, noise):
        return self.network.sample_from_noise(self.context, self.local_field, noise)

    def _sample_n(self, n, seed=None):
        seed = tfp.random.sanitize_seed(seed, salt="AutoregressiveLattice")
        noise = tf.random.stateless_uniform(tf.concat([[n], self._noise_shape()], 0), seed=seed)
        return tf.map_fn(self.sample_from_noise, noise, fn_output_signature=tf.float32)
