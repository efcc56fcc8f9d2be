"""The autoregressive decoder heads: p(x|z) = prod_k p(x_k | x_<k, z), sites in raster order.

The conditional of site k = (i, j) sees z through the decoder (a local field
h_k and a context c_k, both from the Table I trunk by a last Deconv2d, as
the other heads) and sites drawn before it in a causal window on the torus:

  above  the R rows above (columns j-R..j+R, periodic in the column);
  left   the R sites to its left in its row (open: the wrapped ones come later);
  below  the R rows below, where they wrap round to rows already drawn
         (i + d >= L: the first rows), else nothing;
  right  the R sites to its right, where they wrap round (j + d >= L: the
         first columns of its row), else nothing.

So every bond of the torus is seen by the later of its two sites, the wrapped
bonds of the last row and column included: without them the last row is drawn
blind to the first, and at L = 32 the 2L wrapped bonds alone take about 3% off
the energy per site. x enters as spins (2 sigma - 1) for one channel and
one-hot for C > 1, so that zeros (sites outside the window's past) mean "no
site". The window layout is [above (R (2R + 1)), left (R), below (R (2R + 1)),
right (R)] sites, each with C channels.

Two variants (registered as two heads in models/heads.py):

  autoregressive (NEAREST, the default one): the nearest neighbours drawn
      before (above and left, and below / right where they wrap), with
      couplings the decoder computes from z:
          logits_k = h_k(z) + sum_{nn drawn before} J_k(z) x_nn      (C x C couplings per neighbour)
      The conditional is linear in the neighbours, so whether they align (FM),
      alternate (AFM) or hardly matter (PM), and how strongly (T), must come
      from z: the latent keeps the phase. A wider window does not: sites of the
      same sublattice (the diagonal, two steps away) are aligned in FM and AFM
      alike, so a model that sees them needs no z, and at beta = 100 it drops it.
  autoregressive_wide (WIDE): a window of radius 3, the running means of the
      sites drawn before on each sublattice (same colour of the checkerboard as
      site k, and the other one), one masked layer and pointwise layers,
      conditioned on z through c_k:
          a_k      = sum_{window} W x_window + G (mean_same, mean_other) + b + c_k   [hidden]
          g_k      = a_k + relu(V relu(a_k) + d)                     (depth - 1 residual blocks)
          logits_k = U relu(g_k) + e + h_k                           [C]
      The running means carry the order drawn so far (the sign of m, or of m_s)
      to every later site, so that one ordered sample does not break into
      domains of both signs that a local window cannot tell apart. Closer
      samples of one phase; its latent goes mostly unused.

In both the conditional of a site depends on its window (and the running
means) alone: log_prob is one pass over the whole lattice, and sampling
computes each site from its window, site by site (compiled as a loop over
rows and columns). The lattice must be larger than the radius.

AutoregressiveLattice (models/distributions.py, TensorFlow only) is the TFP distribution: log_prob in one pass, sample
site by site; sample_from_noise takes the uniforms per site so that a seed per
configuration fixes it in any batch (the export's sample signature).
"""

import keras
import numpy as np
from keras import ops

# The two variants the head registry offers (models/heads.py):
#   autoregressive       the nearest neighbours drawn before, with couplings J_k(z) from the decoder:
#                        logits = h_k(z) + sum J_k(z) x_nn
#   autoregressive_wide  a window of radius 3, the running sublattice means and two pointwise layers,
#                        conditioned on z through a context vector (more accurate samples; the latent
#                        tends to go unused)
NEAREST = dict(radius=1, depth=0, nearest=True)
WIDE = dict(radius=3, depth=2, nearest=False, hidden=64, running_means=True)


def _encode(x, channels):
    """Model input [N, L, L, C] in {0, 1} -> the network's input: spins for C = 1, one-hot otherwise."""
    x = ops.cast(x, "float32")
    return 2.0 * x - 1.0 if channels == 1 else x


def _running_means(s):
    """Per site of s [N, L, L, C] (raster order): the means of the sites before it on its own sublattice
    and on the other one (checkerboard colours), [N, L, L, 2C]; zeros where there is none yet."""
    size, c = s.shape[1], s.shape[-1]
    flat = ops.reshape(s, (-1, size * size, c))
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    colour = ((rows + cols) % 2).reshape(-1).astype(np.float32)  # [L * L]
    means = []
    for mask in (1.0 - colour, colour):
        masked = flat * mask[None, :, None]
        total = ops.cumsum(masked, axis=1) - masked  # exclusive cumulative sum
        count = np.cumsum(mask) - mask
        means.append(total / np.maximum(count, 1.0)[None, :, None])
    own = colour[None, :, None] > 0.5
    same = ops.where(own, means[1], means[0])
    other = ops.where(own, means[0], means[1])
    return ops.reshape(ops.concatenate([same, other], -1), (-1, size, size, 2 * c))


def _patches(source, rows, cols, size):
    """Every size x size output site's rows x cols block of source, flattened in (row, column, channel)
    order (tf.image.extract_patches' layout with unit strides, VALID): [N, L, L, rows * cols * C]."""
    return ops.concatenate([source[:, a : a + size, b : b + size] for a in range(rows) for b in range(cols)], -1)


@keras.saving.register_keras_serializable(package="betavae_tf")
class AutoregressiveNetwork(keras.layers.Layer):
    """The masked part of the autoregressive head (weights only; see the module docstring)."""

    def __init__(self, channels, hidden=64, radius=3, depth=2, nearest=False, running_means=False, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        if radius < 1 or hidden < 1 or depth < 0:
            raise ValueError(f"radius and hidden must be >= 1 and depth >= 0, got {radius}, {hidden}, {depth}.")
        if running_means and depth == 0:
            raise ValueError("running means need the pointwise layers (depth >= 1).")
        self.channels, self.hidden, self.radius, self.depth = channels, hidden, radius, depth
        self.nearest, self.running_means = bool(nearest), bool(running_means)

    @property
    def half_window(self):
        """Sites in the causal window above and left: r rows of 2r + 1 above, r to the left."""
        return self.radius * (2 * self.radius + 1) + self.radius

    @property
    def window_size(self):
        """Sites in the whole window: above, left, and their wrapped mirrors below and right."""
        return 2 * self.half_window

    def nearest_positions(self):
        """Positions of the four nearest neighbours in the window: above, left, below, right."""
        r, half = self.radius, self.half_window
        return [(r - 1) * (2 * r + 1) + r, half - 1, half + r, half + r * (2 * r + 1)]

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
        self.below = self.add_weight(name="below", shape=(r, 2 * r + 1, c, h), initializer=init(seed=4))
        self.right = self.add_weight(name="right", shape=(1, r, c, h), initializer=init(seed=5))
        if self.running_means:
            self.means_kernel = self.add_weight(name="means_kernel", shape=(2 * c, h), initializer=init(seed=6))
        self.bias = self.add_weight(name="bias", shape=(h,), initializer="zeros")
        # One attribute per variable: checkpoints (tf.train.Checkpoint) follow attributes, and a list of
        # tuples would leave these out of every checkpoint.
        for k in range(self.depth - 1):
            setattr(
                self,
                f"block{k}_kernel",
                self.add_weight(name=f"block{k}_kernel", shape=(h, h), initializer=init(seed=10 + k)),
            )
            setattr(self, f"block{k}_bias", self.add_weight(name=f"block{k}_bias", shape=(h,), initializer="zeros"))
        self.out_kernel = self.add_weight(name="out_kernel", shape=(h, c), initializer=init(seed=99))
        self.out_bias = self.add_weight(name="out_bias", shape=(c,), initializer="zeros")

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "hidden": self.hidden,
            "radius": self.radius,
            "depth": self.depth,
            "nearest": self.nearest,
            "running_means": self.running_means,
        }

    @property
    def blocks(self):
        return [(getattr(self, f"block{k}_kernel"), getattr(self, f"block{k}_bias")) for k in range(self.depth - 1)]

    def _check_size(self, size):
        if size is not None and size <= self.radius:
            raise ValueError(
                f"the autoregressive head's window (radius {self.radius}) needs a lattice larger "
                f"than it, got L = {size}."
            )

    def _head(self, pre, local_field):
        """Pointwise layers: pre-activations [..., hidden] -> logits [..., C]."""
        g = pre
        for kernel, bias in self.blocks:
            g = g + ops.relu(ops.matmul(ops.relu(g), kernel) + bias)
        return ops.matmul(ops.relu(g), self.out_kernel) + self.out_bias + local_field

    def _coupled(self, windows, context, local_field):
        """depth 0: logits = h_k + sum over the window of J_k(z) x (windows [..., window * C])."""
        c = self.channels
        if self.nearest:
            # Only the nearest neighbours enter: the sites of the same sublattice in a wider window would
            # tell FM from AFM without z.
            keep = np.zeros(self.window_size, np.float32)
            keep[self.nearest_positions()] = 1.0
            windows = windows * np.repeat(keep, c)
        couplings = ops.reshape(context, (-1,) + tuple(context.shape[1:-1]) + (self.window_size * c, c))
        return local_field + ops.einsum("...w,...wc->...c", windows, couplings)

    def _sources(self, s):
        """The four parts of every site's window as padded lattices (see call)."""
        r = self.radius
        size = s.shape[1]
        cols = ops.concatenate([s[:, :, size - r :], s, s[:, :, :r]], 2)  # periodic columns [N, L, L+2r, C]
        above = ops.pad(cols, [[0, 0], [r, 0], [0, 0], [0, 0]])[:, : size + r - 1]  # rows i-r..i-1 for output row i
        left = ops.pad(s, [[0, 0], [0, 0], [r, 0], [0, 0]])[:, :, : size + r - 1]  # columns j-r..j-1
        below = ops.concatenate([ops.zeros_like(cols), cols[:, :r]], 1)[:, 1:]  # rows i+1..i+r, wrapped only
        right = ops.concatenate([ops.zeros_like(s), s[:, :, :r]], 2)[:, :, 1:]  # columns j+1..j+r, wrapped only
        return above, left, below, right

    def call(self, x, context, local_field):
        """Logits of every site given the sites before it, in one pass: [N, L, L, C] (keras.ops: any backend)."""
        if not self.built:
            self.build()
        size = x.shape[1]
        self._check_size(size)
        r = self.radius
        s = _encode(x, self.channels)
        above, left, below, right = self._sources(s)
        if self.depth == 0:
            windows = [
                _patches(above, r, 2 * r + 1, size),
                _patches(left, 1, r, size),
                _patches(below, r, 2 * r + 1, size),
                _patches(right, 1, r, size),
            ]
            return self._coupled(
                ops.concatenate(windows, -1), ops.cast(context, "float32"), ops.cast(local_field, "float32")
            )
        pre = (
            ops.conv(above, self.above, 1, "valid")
            + ops.conv(left, self.left, 1, "valid")
            + ops.conv(below, self.below, 1, "valid")
            + ops.conv(right, self.right, 1, "valid")
        )
        if self.running_means:
            pre += ops.matmul(_running_means(s), self.means_kernel)
        return self._head(pre + self.bias + ops.cast(context, "float32"), ops.cast(local_field, "float32"))

    def sample_from_noise(self, context, local_field, noise):
        """Draw x site by site (compiled once per shape; see _sample_sites). TensorFlow only."""
        import tensorflow as tf

        if not hasattr(self, "_compiled_sample"):
            self._compiled_sample = tf.function(self._sample_sites, reduce_retracing=True)
        return self._compiled_sample(
            tf.convert_to_tensor(context, tf.float32),
            tf.convert_to_tensor(local_field, tf.float32),
            tf.convert_to_tensor(noise, tf.float32),
        )

    def _sample_sites(self, context, local_field, noise):
        """Draw x site by site. noise [N, L, L, K]: uniforms in (0, 1), K = 1 for one channel (x = u < p),
        K = C otherwise (Gumbel-max over the C states). Returns float32 [N, L, L, C] in {0, 1}."""
        import tensorflow as tf

        if not self.built:
            self.build()
        r, c = self.radius, self.channels
        n = tf.shape(local_field)[0]
        size = local_field.shape[1]
        self._check_size(size)
        width = size + 2 * r
        block = r * (2 * r + 1) * c
        if self.depth:
            w_above = tf.reshape(self.above, [block, self.hidden])
            w_left = tf.reshape(self.left, [r * c, self.hidden])
            w_below = tf.reshape(self.below, [block, self.hidden])
            w_right = tf.reshape(self.right, [r * c, self.hidden])
        if c > 1:
            noise = -tf.math.log(-tf.math.log(tf.clip_by_value(noise, 1e-12, 1.0 - 1e-7)))
        steps = tf.range(1, r + 1)
        # Finished rows, encoded, with periodic column padding, below r zero rows (grid row r + i is row i).
        grid = tf.zeros([n, size + r, width, c])
        sums = tf.zeros([n, 2, c])  # running sums per checkerboard colour (running_means)
        counts = tf.zeros([2])
        for i in tf.range(size):
            tf.autograph.experimental.set_loop_options(
                shape_invariants=[
                    (grid, tf.TensorShape([None, size + r, width, c])),
                    (sums, tf.TensorShape([None, 2, c])),
                ]
            )
            band = tf.reshape(grid[:, i : i + r], [n, r, width * c])
            # Rows i + d that wrap round to the first rows; grid row 0 (all zeros) for the others.
            wrapped = tf.where(i + steps >= size, i + steps - size + r, 0)
            band_below = tf.reshape(tf.gather(grid, wrapped, axis=1), [n, r, width * c])
            row = tf.zeros([n, width, c])  # this row, encoded, r zero columns on either side
            for j in tf.range(size):
                tf.autograph.experimental.set_loop_options(
                    shape_invariants=[(row, tf.TensorShape([None, width, c])), (sums, tf.TensorShape([None, 2, c]))]
                )
                above = tf.reshape(band[:, :, j * c : (j + 2 * r + 1) * c], [n, block])
                below = tf.reshape(band_below[:, :, j * c : (j + 2 * r + 1) * c], [n, block])
                left = tf.reshape(row[:, j : j + r], [n, r * c])
                # Columns j + d that wrap round to the row's first sites; column 0 (a zero pad) otherwise.
                right = tf.reshape(
                    tf.gather(row, tf.where(j + steps >= size, j + steps - size + r, 0), axis=1), [n, r * c]
                )
                if self.depth == 0:
                    logits = self._coupled(
                        tf.concat([above, left, below, right], -1), context[:, i, j], local_field[:, i, j]
                    )
                else:
                    pre = (
                        tf.matmul(above, w_above)
                        + tf.matmul(left, w_left)
                        + tf.matmul(below, w_below)
                        + tf.matmul(right, w_right)
                        + self.bias
                        + context[:, i, j]
                    )
                    colour = (i + j) % 2
                    if self.running_means:
                        means = sums / tf.maximum(counts, 1.0)[None, :, None]
                        own, other = tf.gather(means, colour, axis=1), tf.gather(means, 1 - colour, axis=1)
                        pre += tf.matmul(tf.concat([own, other], -1), self.means_kernel)
                    logits = self._head(pre, local_field[:, i, j])
                if c == 1:
                    site = tf.cast(noise[:, i, j] < tf.sigmoid(logits), tf.float32)
                else:
                    site = tf.one_hot(tf.argmax(logits + noise[:, i, j], axis=-1), c)
                encoded = 2.0 * site - 1.0 if c == 1 else site
                row = row + tf.one_hot(j + r, width)[None, :, None] * encoded[:, None, :]
                if self.running_means:
                    mark = tf.one_hot((i + j) % 2, 2)
                    sums = sums + mark[None, :, None] * encoded[:, None, :]
                    counts = counts + mark
            finished = tf.concat([row[:, size : size + r], row[:, r : size + r], row[:, r : 2 * r]], 1)
            grid = grid + tf.one_hot(i + r, size + r)[None, :, None, None] * finished[:, None]
        body = grid[:, r:, r : r + size]
        return (body + 1.0) / 2.0 if c == 1 else body
