"""Decoder heads: the last layer of Table I / II and the TFP distribution it defines.

Each head turns the trunk features into named parameters (always including
the local fields h_k, the mean-field reading of Sec. IV) and turns those
parameters into a `tfd.Independent` distribution over the whole lattice
[L, L, C], so that log_prob sums over sites and channels (DESIGN.md's
distortion convention).

  bernoulli    Eq. 7, 10-11: m_k = sigmoid(h_k), p(x|z) = prod_k m_k^s (1-m_k)^(1-s)
  multinomial  Eq. 13-16: m_kd = softmax_d(h_kd) over D one-hot channels
  gaussian     Eq. 17-18: x_k ~ N(mu_k, 1), mu_k = h_k; a learned per-channel
               scale is an extension (learned_scale=True)
  temperature  Table II / Fig. 7 (beta^2-VAE): a local-field branch h_k
               (linear) and an inverse-temperature branch beta_k = sigmoid(.)
               in (0, 1), combined as sigmoid(beta_k h_k) (softmax over D
               channels for D > 1; one beta_k per site scales all D fields)
The head layers compute in float32 under mixed precision: distributions are
built from float32 parameters.
"""
import keras
import tensorflow as tf
import tensorflow_probability as tfp

from betavae_tf.models.config import HEADS

tfd = tfp.distributions


def _deconv(channels, name):
    return keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same", name=name,
                                        dtype="float32")


@keras.saving.register_keras_serializable(package="betavae_tf")
class LearnedScale(keras.layers.Layer):
    """A trainable per-channel Gaussian scale, softplus-parametrised, broadcast over sites."""

    def __init__(self, channels, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.channels = channels

    def build(self, input_shape):
        # softplus(0.5413) = 1: start from the paper's unit variance.
        self.scale_logit = self.add_weight(name="scale_logit", shape=(self.channels,),
                                           initializer=keras.initializers.Constant(0.5413))

    def call(self, mean):
        return keras.ops.softplus(self.scale_logit) + 1e-4 + keras.ops.zeros_like(mean)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


def head_output_names(head, learned_scale=False):
    """The parameter names a head exposes (the export's decode outputs)."""
    if head in ("bernoulli", "multinomial"):
        return ("local_field", "probs")
    if head == "gaussian":
        return ("local_field", "mean") + (("scale",) if learned_scale else ())
    if head == "temperature":
        return ("local_field", "inverse_temperature", "probs")
    raise ValueError(f"unknown decoder head {head!r}; expected one of {HEADS}.")


def apply_head(head, features, channels, learned_scale=False):
    """Functional-API layers on the trunk features -> dict of parameters [N, L, L, .]."""
    if head == "bernoulli":
        h = _deconv(channels, "local_field")(features)
        return {"local_field": h, "probs": keras.layers.Activation("sigmoid", dtype="float32",
                                                                  name="probs")(h)}
    if head == "multinomial":
        h = _deconv(channels, "local_field")(features)
        return {"local_field": h, "probs": keras.layers.Softmax(axis=-1, dtype="float32",
                                                               name="probs")(h)}
    if head == "gaussian":
        h = _deconv(channels, "local_field")(features)
        params = {"local_field": h, "mean": keras.layers.Identity(dtype="float32", name="mean")(h)}
        if learned_scale:
            params["scale"] = LearnedScale(channels, name="scale")(h)
        return params
    if head == "temperature":
        h = _deconv(channels, "local_field")(features)
        beta = _deconv(1, "inverse_temperature_logit")(features)
        beta = keras.layers.Activation("sigmoid", dtype="float32", name="inverse_temperature")(beta)
        logits = keras.layers.Multiply(dtype="float32", name="scaled_field")([beta, h])
        probs = (keras.layers.Activation("sigmoid", dtype="float32", name="probs")(logits)
                 if channels == 1 else
                 keras.layers.Softmax(axis=-1, dtype="float32", name="probs")(logits))
        return {"local_field": h, "inverse_temperature": beta, "probs": probs}
    raise ValueError(f"unknown decoder head {head!r}; expected one of {HEADS}.")


def distribution(head, params):
    """The likelihood p(x|z) over [L, L, C] from a head's parameters."""
    if head == "bernoulli":
        return tfd.Independent(tfd.Bernoulli(logits=params["local_field"], dtype=tf.float32),
                               reinterpreted_batch_ndims=3)
    if head == "multinomial":
        return tfd.Independent(tfd.OneHotCategorical(logits=params["local_field"],
                                                     dtype=tf.float32),
                               reinterpreted_batch_ndims=2)
    if head == "gaussian":
        scale = params.get("scale", tf.ones_like(params["mean"]))
        return tfd.Independent(tfd.Normal(loc=params["mean"], scale=scale),
                               reinterpreted_batch_ndims=3)
    if head == "temperature":
        logits = params["inverse_temperature"] * params["local_field"]
        if params["local_field"].shape[-1] == 1:
            return tfd.Independent(tfd.Bernoulli(logits=logits, dtype=tf.float32),
                                   reinterpreted_batch_ndims=3)
        return tfd.Independent(tfd.OneHotCategorical(logits=logits, dtype=tf.float32),
                               reinterpreted_batch_ndims=2)
    raise ValueError(f"unknown decoder head {head!r}; expected one of {HEADS}.")


def mean_parameter(head):
    """The name of the parameter that is the distribution's mean (for images)."""
    return "mean" if head == "gaussian" else "probs"
