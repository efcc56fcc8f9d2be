"""The autoregressive decoder heads: p(x|z) = prod_k p(x_k | x_<k, z), sites in raster order.

The conditional of site k = (i, j) sees z through the decoder (a local field
h_k and a context c_k, both from the Table I trunk by a last Deconv2d, as
the other heads) and sites drawn before it in a causal window: the R rows
above (columns j-R..j+R) and the R sites to its left. x enters as spins
(2 sigma - 1) for one channel and one-hot for C > 1, so that the zero padding
outside the lattice (and in the window's future) means "no site".

Two variants (registered as two heads in models/heads.py):

  autoregressive (NEAREST, the default one): the two nearest neighbours drawn
      before, above and left, with couplings the decoder computes from z:
          logits_k = h_k(z) + J_k(z) . (x_above, x_left)       (C x 2C couplings per site)
      The conditional is linear in the neighbours, so whether they align (FM),
      alternate (AFM) or hardly matter (PM), and how strongly (T), must come
      from z: the latent keeps the phase. A wider window does not: sites of the
      same sublattice (the diagonal, two steps away) are aligned in FM and AFM
      alike, so a model that sees them needs no z, and at beta = 100 it drops it.
  autoregressive_wide (WIDE): a window of radius 3 (24 sites), one masked layer
      (two plain convolutions) and pointwise layers, conditioned on z through
      c_k:
          a_k      = sum_{window} W x_window + b + c_k               [hidden]
          g_k      = a_k + relu(V relu(a_k) + d)                     (depth - 1 residual blocks)
          logits_k = U relu(g_k) + e + h_k                           [C]
      Closer samples of one phase; its latent goes mostly unused.

In both the conditional of a site depends on its window alone: log_prob is
one pass over the whole lattice, and sampling computes each site from its
window, site by site (compiled as a loop over rows and columns). The window's
boundaries are open (zero padding), not periodic: on a torus the wrapped
neighbours of the first row and column come later in raster order.

AutoregressiveLattice is the TFP distribution: log_prob in one pass, sample
site by site; sample_from_noise takes the uniforms per site so that a seed per
configuration fixes it in any batch (the export's sample signature).
"""
import keras
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

# The two variants the head registry offers (models/heads.py):
#   autoregressive       the two nearest neighbours drawn before (above, left), with couplings J_k(z)
#                        from the decoder: logits = h_k(z) + J_k(z) . (x_above, x_left)
#   autoregressive_wide  a window of radius 3 (24 sites) and two pointwise layers, conditioned on z
#                        through a context vector (more accurate samples; the latent tends to go unused)
NEAREST = dict(radius=1, depth=0, nearest=True)
WIDE = dict(radius=3, depth=2, nearest=False, hidden=64)
RADIUS, HIDDEN, DEPTH = 3, 64, 2


def _encode(x, channels):
    """Model input [N, L, L, C] in {0, 1} -> the network's input: spins for C = 1, one-hot otherwise."""
    x = tf.cast(x, tf.float32)
    return 2.0 * x - 1.0 if channels == 1 else x


@keras.saving.register_keras_serializable(package="betavae_tf")
class AutoregressiveNetwork(keras.layers.Layer):
    """The masked part of the autoregressive head (weights only; see the module docstring)."""

    def __init__(self, channels, hidden=HIDDEN, radius=RADIUS, depth=DEPTH, nearest=False, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.nearest = bool(nearest)
        if radius < 1 or hidden < 1 or depth < 0:
            raise ValueError(f"radius and hidden must be >= 1 and depth >= 0, got {radius}, {hidden}, {depth}.")
        self.channels, self.hidden, self.radius, self.depth = channels, hidden, radius, depth

    @property
    def window_size(self):
        """Sites in the causal window: r rows of 2r + 1 above, r to the left."""
        return self.radius * (2 * self.radius + 1) + self.radius

    def context_channels(self):
        """Channels the decoder gives per site: couplings J [window, C, C] (depth 0) or a hidden vector."""
        return self.window_size * self.channels * self.channels if self.depth == 0 else self.hidden

    def build(self, input_shape=None):
        if self.depth == 0:
            return  # every parameter comes from the decoder (local field and couplings)
        r, h, c = self.radius, self.hidden, self.channels
        init = keras.initializers.GlorotUniform
        self.above = self.add_weight(name="above", shape=(r, 2 * r + 1, c, h), initializer=init(seed=1))
        self.left = self.add_weight(name="left", shape=(1, r, c, h), initializer=init(seed=2))
        self.bias = self.add_weight(name="bias", shape=(h,), initializer="zeros")
        # One attribute per variable: checkpoints (tf.train.Checkpoint) follow attributes, and a list of
        # tuples would leave these out of every checkpoint.
        for k in range(self.depth - 1):
            setattr(self, f"block{k}_kernel", self.add_weight(name=f"block{k}_kernel", shape=(h, h),
                                                              initializer=init(seed=3 + k)))
            setattr(self, f"block{k}_bias", self.add_weight(name=f"block{k}_bias", shape=(h,), initializer="zeros"))
        self.out_kernel = self.add_weight(name="out_kernel", shape=(h, c), initializer=init(seed=99))
        self.out_bias = self.add_weight(name="out_bias", shape=(c,), initializer="zeros")

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "hidden": self.hidden,
                "radius": self.radius, "depth": self.depth, "nearest": self.nearest}

    @property
    def blocks(self):
        return [(getattr(self, f"block{k}_kernel"), getattr(self, f"block{k}_bias")) for k in range(self.depth - 1)]

    def _head(self, pre, local_field):
        """Pointwise layers: pre-activations [..., hidden] -> logits [..., C]."""
        g = pre
        for kernel, bias in self.blocks:
            g = g + tf.nn.relu(tf.tensordot(tf.nn.relu(g), kernel, 1) + bias)
        return tf.tensordot(tf.nn.relu(g), self.out_kernel, 1) + self.out_bias + local_field

    def _coupled(self, windows, context, local_field):
        """depth 0: logits = h_k + sum over the window of J_k(z) x (windows [..., window * C])."""
        c = self.channels
        if self.nearest:
            # Only the two nearest neighbours drawn before (above, left) enter: the sites of the same
            # sublattice in a wider window would tell FM from AFM without z.
            r = self.radius
            keep = tf.one_hot([(r - 1) * (2 * r + 1) + r, self.window_size - 1], self.window_size)
            mask = tf.repeat(tf.reduce_sum(keep, 0), c)
            windows = windows * mask
        couplings = tf.reshape(context, tf.concat([tf.shape(context)[:-1], [self.window_size * c, c]], 0))
        return local_field + tf.einsum("...w,...wc->...c", windows, couplings)

    def call(self, x, context, local_field):
        """Logits of every site given the sites before it, in one pass: [N, L, L, C]."""
        if not self.built:
            self.build()
        r = self.radius
        s = _encode(x, self.channels)
        size = tf.shape(s)[1]
        padded = tf.pad(s, [[0, 0], [r, 0], [r, r], [0, 0]])          # [N, L + r, L + 2r, C]
        if self.depth == 0:
            one = [1, 1, 1, 1]
            above = tf.image.extract_patches(padded[:, :size + r - 1], [1, r, 2 * r + 1, 1], one, one, "VALID")
            left = tf.image.extract_patches(padded[:, r:, :size + r - 1], [1, 1, r, 1], one, one, "VALID")
            return self._coupled(tf.concat([above, left], -1), context, local_field)
        above = tf.nn.conv2d(padded[:, :size + r - 1], self.above, 1, "VALID")   # rows i - r .. i - 1
        left = tf.nn.conv2d(padded[:, r:, :size + r - 1], self.left, 1, "VALID")  # row i, columns j - r .. j - 1
        return self._head(above + left + self.bias + context, local_field)

    def sample_from_noise(self, context, local_field, noise):
        """Draw x site by site (compiled once per shape; see _sample_sites)."""
        if not hasattr(self, "_compiled_sample"):
            self._compiled_sample = tf.function(self._sample_sites, reduce_retracing=True)
        return self._compiled_sample(tf.convert_to_tensor(context, tf.float32),
                                     tf.convert_to_tensor(local_field, tf.float32),
                                     tf.convert_to_tensor(noise, tf.float32))

    def _sample_sites(self, context, local_field, noise):
        """Draw x site by site. noise [N, L, L, K]: uniforms in (0, 1), K = 1 for one channel (x = u < p),
        K = C otherwise (Gumbel-max over the C states). Returns float32 [N, L, L, C] in {0, 1}."""
        if not self.built:
            self.build()
        r, c = self.radius, self.channels
        n = tf.shape(local_field)[0]
        size = local_field.shape[1]
        width = size + 2 * r
        if self.depth:
            w_above = tf.reshape(self.above, [r * (2 * r + 1) * c, self.hidden])
            w_left = tf.reshape(self.left, [r * c, self.hidden])
        if c > 1:
            noise = -tf.math.log(-tf.math.log(tf.clip_by_value(noise, 1e-12, 1.0 - 1e-7)))
        grid = tf.zeros([n, size + r, width, c])   # generated rows, encoded and padded (r zero rows on top)
        for i in tf.range(size):
            tf.autograph.experimental.set_loop_options(
                shape_invariants=[(grid, tf.TensorShape([None, size + r, width, c]))])
            band = tf.reshape(grid[:, i:i + r], [n, r, width * c])
            row = tf.zeros([n, width, c])
            for j in tf.range(size):
                tf.autograph.experimental.set_loop_options(
                    shape_invariants=[(row, tf.TensorShape([None, width, c]))])
                window = tf.reshape(band[:, :, j * c:(j + 2 * r + 1) * c], [n, r * (2 * r + 1) * c])
                left = tf.reshape(row[:, j:j + r], [n, r * c])
                if self.depth == 0:
                    logits = self._coupled(tf.concat([window, left], -1), context[:, i, j], local_field[:, i, j])
                else:
                    pre = tf.matmul(window, w_above) + tf.matmul(left, w_left) + self.bias + context[:, i, j]
                    logits = self._head(pre, local_field[:, i, j])
                if c == 1:
                    site = tf.cast(noise[:, i, j] < tf.sigmoid(logits), tf.float32)
                else:
                    site = tf.one_hot(tf.argmax(logits + noise[:, i, j], axis=-1), c)
                encoded = 2.0 * site - 1.0 if c == 1 else site
                position = tf.one_hot(j + r, width)[None, :, None]
                row = row + position * encoded[:, None, :]
            grid = grid + tf.one_hot(i + r, size + r)[None, :, None, None] * row[:, None]
        body = grid[:, r:, r:r + size]
        return (body + 1.0) / 2.0 if c == 1 else body


class AutoregressiveLattice(tfd.Distribution):
    """p(x|z) of the autoregressive head for a batch of N latent codes: event [L, L, C], batch [N]."""

    def __init__(self, network, context, local_field, validate_args=False, allow_nan_stats=True,
                 name="AutoregressiveLattice"):
        parameters = dict(locals())
        self.network = network
        self.context = tf.convert_to_tensor(context, tf.float32)
        self.local_field = tf.convert_to_tensor(local_field, tf.float32)
        super().__init__(dtype=tf.float32, reparameterization_type=tfd.NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, parameters=parameters,
                         name=name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return {"context": tfp.util.ParameterProperties(event_ndims=3),
                "local_field": tfp.util.ParameterProperties(event_ndims=3)}

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
        from betavae_tf.models.heads import _site_distribution
        return _site_distribution(self.network(x, self.context, self.local_field))

    def _log_prob(self, x):
        x = tf.convert_to_tensor(x, tf.float32)
        if x.shape.rank == 4:
            return self.site_distribution(x).log_prob(x)
        # Leading sample dimensions [S..., N, L, L, C]: one pass over S * N configurations.
        outer = tf.shape(x)[:-4]
        flat = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], 0))
        copies = tf.reduce_prod(outer)
        tiled = AutoregressiveLattice(self.network, tf.tile(self.context, [copies, 1, 1, 1]),
                                      tf.tile(self.local_field, [copies, 1, 1, 1]))
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
