"""The encoder and decoder trunk of Table I, for any L divisible by 4.

Encoder (Table I): Conv2d 4x4x64 s2 SAME + BN + lReLU(0.2); Conv2d 4x4x128 s2
+ BN + lReLU; FC 1024 + BN + lReLU; FC d_z linear (mean), FC d_z softplus
(stddev). Decoder trunk: FC 1024 + BN + ReLU; FC (L/4)^2 * 128 + BN + ReLU
reshaped to (L/4, L/4, 128) ("8 x 1024" at L = 32, docs/conventions.md); Deconv2d
4x4x64 s2 + BN + ReLU. The last layer, Deconv2d 4x4xC s2, belongs to the
distribution head (heads.py), since Table II splits exactly that layer.

Every layer keeps its bias, also those followed by BN: Table I lists none
dropped, and only then does the parameter count come to Table I's
17,100,037 at L = 32, d_z = 2 (the BN shift makes those biases redundant;
they cost 1,216 of the 17.1 M parameters, so matching the table wins).
The mean and stddev layers compute in float32 under a mixed policy so the
posterior is never built from half-precision numbers.
"""

import keras

from betavae_tf.models.config import check_lattice_size

LEAKY_SLOPE = 0.2  # "All alpha in leaky-ReLU are set to 0.2" (appendix)
# A floor under the softplus stddev: a posterior stddev that underflows to 0
# would make log(stddev) in the KL -inf. 1e-6 is far below any learned scale.
STDDEV_FLOOR = 1e-6


def softplus_stddev(t):
    return keras.ops.softplus(t) + STDDEV_FLOOR


def build_encoder(lattice_size, channels, latent_dim, name="encoder"):
    """x [N, L, L, C] -> (mean, stddev), each [N, d_z] float32."""
    check_lattice_size(lattice_size)
    layers = keras.layers
    x = keras.Input((lattice_size, lattice_size, channels), name="x")
    h = layers.Conv2D(64, 4, strides=2, padding="same", name="conv1")(x)
    h = layers.BatchNormalization(name="conv1_bn")(h)
    h = layers.LeakyReLU(LEAKY_SLOPE, name="conv1_lrelu")(h)
    h = layers.Conv2D(128, 4, strides=2, padding="same", name="conv2")(h)
    h = layers.BatchNormalization(name="conv2_bn")(h)
    h = layers.LeakyReLU(LEAKY_SLOPE, name="conv2_lrelu")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(1024, name="fc")(h)
    h = layers.BatchNormalization(name="fc_bn")(h)
    h = layers.LeakyReLU(LEAKY_SLOPE, name="fc_lrelu")(h)
    mean = layers.Dense(latent_dim, name="mean", dtype="float32")(h)
    stddev = layers.Dense(latent_dim, name="stddev_logit", dtype="float32")(h)
    stddev = layers.Activation(softplus_stddev, name="stddev", dtype="float32")(stddev)
    return keras.Model(x, {"mean": mean, "stddev": stddev}, name=name)


def build_decoder_trunk(lattice_size, latent_dim, name="decoder_trunk"):
    """z [N, d_z] -> features [N, L/2, L/2, 64], the input of the last (head) layer."""
    check_lattice_size(lattice_size)
    layers = keras.layers
    quarter = lattice_size // 4
    z = keras.Input((latent_dim,), name="z")
    h = layers.Dense(1024, name="fc1")(z)
    h = layers.BatchNormalization(name="fc1_bn")(h)
    h = layers.ReLU(name="fc1_relu")(h)
    h = layers.Dense(quarter * quarter * 128, name="fc2")(h)
    h = layers.BatchNormalization(name="fc2_bn")(h)
    h = layers.ReLU(name="fc2_relu")(h)
    h = layers.Reshape((quarter, quarter, 128), name="reshape")(h)
    h = layers.Conv2DTranspose(64, 4, strides=2, padding="same", name="deconv1")(h)
    h = layers.BatchNormalization(name="deconv1_bn")(h)
    h = layers.ReLU(name="deconv1_relu")(h)
    return keras.Model(z, h, name=name)
