"""Decoder heads: one record each, holding the last layer of Table I / II and the TFP distribution it defines.

A head turns the trunk features into named parameters (always including the
local fields h_k, the mean-field reading of Sec. IV) and those parameters
into a `tfd.Independent` distribution over the whole lattice [L, L, C], so
that log_prob sums over sites and channels (the distortion convention of
docs/conventions.md).

  bernoulli    Eq. 7, 10-11: m_k = sigmoid(h_k), p(x|z) = prod_k m_k^s (1-m_k)^(1-s)
  multinomial  Eq. 13-16: m_kd = softmax_d(h_kd) over D one-hot channels
  gaussian     Eq. 17-18: x_k ~ N(mu_k, 1), mu_k = h_k; a learned per-channel
               scale is an extension (learned_scale=True)
  autoregressive  p(x|z) = prod_k p(x_k | x_<k, z) in raster order on the torus
               (models/autoregressive.py): logits h_k(z) + sum J_k(z) x_nn over the
               nearest neighbours drawn before, couplings from z; log_prob in one
               pass, sample site by site
  autoregressive_wide  the same with a causal window of radius 3, the running
               sublattice means of the sites drawn before and two pointwise layers
  temperature  Table II / Fig. 7 (beta^2-VAE): a local-field branch h_k
               (linear) and an inverse-temperature branch beta_k = sigmoid(.)
               in (0, 1), combined as sigmoid(beta_k h_k) (softmax over D
               channels for D > 1; one beta_k per site scales all D fields)

Every other part of the package (flag checks, the model, export, analysis)
asks HEADS; adding a head is one Head record registered here plus its tests:

    register(Head(name="poisson", outputs=lambda learned_scale: ("local_field", "rate"),
                  build=..., distribution=..., mean="rate", encodings=("uint8",),
                  check_channels=lambda c: None, description="..."))

This module imports without TensorFlow (flag checks stay instant); build and
distribution load Keras and TFP when called. Head layers compute in float32
under mixed precision: distributions are built from float32 parameters.
"""

import dataclasses
from collections.abc import Callable

DISCRETE = ("bits", "categorical")
REAL = ("uint8", "float32")


@dataclasses.dataclass(frozen=True)
class Head:
    """What the package needs to know about one decoder head."""

    name: str
    outputs: Callable[[bool], tuple[str, ...]]  # learned_scale -> parameter names (export outputs)
    build: Callable  # (features, channels, learned_scale) -> {name: tensor}
    distribution: Callable  # (params) -> tfd.Independent over [L, L, C]
    mean: str  # the parameter that is the distribution's mean
    encodings: tuple[str, ...]  # dataset encodings (data.format.ENCODINGS) it models
    check_channels: Callable[[int], str | None]  # None, or why the channel count does not fit
    description: str
    learned_scale: bool = False  # whether --learned_scale applies
    # (channels) -> a Keras layer the model owns and passes to distribution(params, network): the
    # weights of a likelihood that also looks at x (the autoregressive head). None for the others.
    network: Callable | None = None
    # (params, x, network) -> log p(x|z) [N], a closed form in keras.ops: the loss path on every Keras
    # backend (TFP's distributions stay the public API under TensorFlow; its JAX substrate is not used).
    log_prob: Callable | None = None
    # The default beta at L = 32 (the paper's value for this head); at other L it scales with the
    # number of sites, beta_at_32 (L / 32)^2 (default_beta; docs/conventions.md).
    beta_at_32: float = 100.0


def _deconv(channels, name):
    import keras

    return keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same", name=name, dtype="float32")


def _tfd():
    from betavae_tf.backend import tensorflow_probability

    return tensorflow_probability().distributions


def site_distribution(logits):
    """Bernoulli per site for one channel, one-hot categorical over D > 1 channels (TensorFlow)."""
    from betavae_tf.models import distributions

    return distributions.site_distribution(logits)


def _one_channel(channels):
    if channels != 1:
        return (
            f"the bernoulli decoder models one binary channel, but the data have {channels} channels; use "
            "the multinomial decoder for one-hot data or the gaussian decoder for real values."
        )
    return None


def _one_hot(channels):
    if channels < 2:
        return (
            "the multinomial decoder needs one-hot data with D >= 2 channels, but the data have 1 channel; "
            "use the bernoulli decoder for spins in {0,1}."
        )
    return None


# -- closed-form log-probabilities (keras.ops, any backend) ---------------------------
_HALF_LOG_2PI = 0.9189385332046727  # ln(2 pi) / 2


def site_log_prob(logits, x):
    """ln p(x) summed over sites and channels, [N]: Bernoulli(logits) for one channel (x ln m + (1 - x)
    ln(1 - m) = x h - softplus(h)), one-hot categorical (sum_d x_d log_softmax(h)_d) for C > 1."""
    from keras import ops

    x = ops.cast(x, "float32")
    logits = ops.cast(logits, "float32")
    if logits.shape[-1] == 1:
        per_site = x * logits - ops.softplus(logits)
    else:
        per_site = x * ops.log_softmax(logits, axis=-1)
    return ops.sum(per_site, axis=(1, 2, 3))


def gaussian_log_prob(params, x, network=None):
    """ln N(x; mean, scale^2) summed over sites and channels, [N] (scale 1 unless learned)."""
    from keras import ops

    x = ops.cast(x, "float32")
    mean = ops.cast(params["mean"], "float32")
    if "scale" in params:
        scale = ops.cast(params["scale"], "float32")
        per_site = -0.5 * ops.square((x - mean) / scale) - ops.log(scale) - _HALF_LOG_2PI
    else:
        per_site = -0.5 * ops.square(x - mean) - _HALF_LOG_2PI
    return ops.sum(per_site, axis=(1, 2, 3))


def _autoregressive_log_prob(params, x, network):
    return site_log_prob(network(x, params["context"], params["local_field"]), x)


# -- bernoulli ---------------------------------------------------------------------
def _bernoulli_build(features, channels, learned_scale=False):
    import keras

    h = _deconv(channels, "local_field")(features)
    return {"local_field": h, "probs": keras.layers.Activation("sigmoid", dtype="float32", name="probs")(h)}


# -- multinomial -------------------------------------------------------------------
def _multinomial_build(features, channels, learned_scale=False):
    import keras

    h = _deconv(channels, "local_field")(features)
    return {"local_field": h, "probs": keras.layers.Softmax(axis=-1, dtype="float32", name="probs")(h)}


# -- gaussian ----------------------------------------------------------------------
def _gaussian_build(features, channels, learned_scale=False):
    import keras

    h = _deconv(channels, "local_field")(features)
    params = {"local_field": h, "mean": keras.layers.Identity(dtype="float32", name="mean")(h)}
    if learned_scale:
        from betavae_tf.models.layers import LearnedScale

        params["scale"] = LearnedScale(channels, name="scale")(h)
    return params


def _gaussian_distribution(params):
    import tensorflow as tf

    tfd = _tfd()
    scale = params.get("scale", tf.ones_like(params["mean"]))
    return tfd.Independent(tfd.Normal(loc=params["mean"], scale=scale), reinterpreted_batch_ndims=3)


# -- temperature (beta^2-VAE) --------------------------------------------------------
def _temperature_build(features, channels, learned_scale=False):
    import keras

    h = _deconv(channels, "local_field")(features)
    beta = _deconv(1, "inverse_temperature_logit")(features)
    beta = keras.layers.Activation("sigmoid", dtype="float32", name="inverse_temperature")(beta)
    logits = keras.layers.Multiply(dtype="float32", name="scaled_field")([beta, h])
    probs = (
        keras.layers.Activation("sigmoid", dtype="float32", name="probs")(logits)
        if channels == 1
        else keras.layers.Softmax(axis=-1, dtype="float32", name="probs")(logits)
    )
    return {"local_field": h, "inverse_temperature": beta, "probs": probs}


# -- autoregressive ------------------------------------------------------------------
def _autoregressive(variant):
    """(build, network) of an autoregressive head; variant names a dict of models/autoregressive.py."""

    def network(channels):
        from betavae_tf.models import autoregressive

        return autoregressive.AutoregressiveNetwork(channels, name="autoregressive", **getattr(autoregressive, variant))

    def build(features, channels, learned_scale=False):
        import keras

        h = _deconv(channels, "local_field")(features)
        context = _deconv(network(channels).context_channels(), "autoregressive_context")(features)
        probs = (
            keras.layers.Activation("sigmoid", dtype="float32", name="probs")(h)
            if channels == 1
            else keras.layers.Softmax(axis=-1, dtype="float32", name="probs")(h)
        )
        return {"local_field": h, "context": context, "probs": probs}

    return build, network


def _autoregressive_distribution(params, network):
    from betavae_tf.models.distributions import AutoregressiveLattice

    return AutoregressiveLattice(network, params["context"], params["local_field"])


HEADS: dict[str, Head] = {}


def register(head):
    """Add a head to the registry (its name becomes a valid --decoder)."""
    HEADS[head.name] = head
    return head


def _site_head(name, build, encodings, check_channels, description, beta_at_32=100.0):
    """A head whose parameters are per-site logits: Bernoulli for one channel, one-hot categorical over D."""
    return Head(
        name,
        outputs=lambda learned_scale=False: ("local_field", "probs"),
        build=build,
        distribution=lambda p: site_distribution(p["local_field"]),
        mean="probs",
        encodings=encodings,
        check_channels=check_channels,
        log_prob=lambda p, x, n=None: site_log_prob(p["local_field"], x),
        description=description,
        beta_at_32=beta_at_32,
    )


register(
    _site_head(
        "bernoulli", _bernoulli_build, DISCRETE, _one_channel, "Eq. 7, 10-11: m_k = sigmoid(h_k), one binary channel"
    )
)
# beta 65 at L = 32: Fig. 5(b)'s caption (its d_z = 3 and 4 panels use 70 and 71).
register(
    _site_head(
        "multinomial",
        _multinomial_build,
        ("categorical",),
        _one_hot,
        "Eq. 13-16: m_kd = softmax_d(h_kd) over D one-hot channels",
        beta_at_32=65.0,
    )
)
register(
    Head(
        "gaussian",
        outputs=lambda learned_scale=False: ("local_field", "mean") + (("scale",) if learned_scale else ()),
        build=_gaussian_build,
        distribution=_gaussian_distribution,
        mean="mean",
        encodings=DISCRETE + REAL,
        check_channels=lambda c: None,
        learned_scale=True,
        log_prob=gaussian_log_prob,
        description="Eq. 17-18: x_k ~ N(h_k, 1) (a learned per-channel scale with learned_scale)",
    )
)
register(
    Head(
        "temperature",
        outputs=lambda learned_scale=False: ("local_field", "inverse_temperature", "probs"),
        build=_temperature_build,
        distribution=lambda p: site_distribution(p["inverse_temperature"] * p["local_field"]),
        mean="probs",
        encodings=DISCRETE,
        check_channels=lambda c: None,
        log_prob=lambda p, x, n=None: site_log_prob(p["inverse_temperature"] * p["local_field"], x),
        description="Table II (beta^2-VAE): sigmoid(beta_k h_k), beta_k = sigmoid(.) in (0, 1)",
    )
)


for _name, _variant, _text in (
    (
        "autoregressive",
        "NEAREST",
        "p(x|z) = prod_k p(x_k | x_<k, z), raster order; logits h_k(z) + sum J_k(z) "
        "x_nn over the nearest neighbours drawn before: couplings from z, the "
        "latent keeps the phase",
    ),
    (
        "autoregressive_wide",
        "WIDE",
        "p(x|z) = prod_k p(x_k | x_<k, z), raster order; a causal window of "
        "radius 3, running sublattice means and two pointwise layers (closer "
        "samples, z mostly unused)",
    ),
):
    _build, _network = _autoregressive(_variant)
    register(
        Head(
            _name,
            outputs=lambda learned_scale=False: ("local_field", "probs"),
            build=_build,
            distribution=_autoregressive_distribution,
            mean="probs",
            encodings=DISCRETE,
            check_channels=lambda c: None,
            network=_network,
            log_prob=_autoregressive_log_prob,
            description=_text + " (models/autoregressive.py); probs is sigmoid(h_k), the z-only field",
        )
    )


# The head each dataset encoding gets when --decoder=auto (the default).
DEFAULT_FOR_ENCODING = {"bits": "bernoulli", "categorical": "multinomial", "uint8": "gaussian", "float32": "gaussian"}


def resolve(name, encoding):
    """name, or for "auto" the head that models this dataset encoding."""
    if name != "auto":
        return name
    if encoding not in DEFAULT_FOR_ENCODING:
        raise ValueError(f"no decoder head models {encoding!r} data.")
    return DEFAULT_FOR_ENCODING[encoding]


# Image data (uint8, e.g. MNIST) under the Gaussian head: a unit-variance Gaussian on pixels in [0, 1] has
# distortion differences about a hundred times smaller than bits, so the default is 1 (flags/train/fig6_mnist_*).
IMAGE_BETA_AT_32 = 1.0


def default_beta(decoder, lattice_size, encoding=None):
    """The beta a run gets when none is given: the head's beta at L = 32, times (L / 32)^2 (docs/conventions.md)."""
    at_32 = IMAGE_BETA_AT_32 if encoding == "uint8" and decoder == "gaussian" else get(decoder).beta_at_32
    return float(at_32 * (lattice_size / 32) ** 2)


def get(name):
    if name not in HEADS:
        raise ValueError(f"unknown decoder head {name!r}; expected one of {', '.join(HEADS)}.")
    return HEADS[name]


def head_output_names(head, learned_scale=False):
    """The parameter names a head exposes (the export's decode outputs)."""
    return get(head).outputs(learned_scale)


def apply_head(head, features, channels, learned_scale=False):
    """Functional-API layers on the trunk features -> dict of parameters [N, L, L, .]."""
    return get(head).build(features, channels, learned_scale)


def distribution(head, params, network=None):
    """The likelihood p(x|z) over [L, L, C] from a head's parameters (and its network, if it has one)."""
    record = get(head)
    if record.network is None:
        return record.distribution(params)
    if network is None:
        raise ValueError(f"the {head} head needs its network (BetaVAE.likelihood passes it).")
    return record.distribution(params, network)


def log_prob(head, params, x, network=None):
    """ln p(x|z) [N] of a head, a closed form in keras.ops (equal to distribution(...).log_prob(x))."""
    record = get(head)
    if record.log_prob is None:
        raise ValueError(f"the {head} head has no closed-form log-probability, which the loss needs.")
    if record.network is not None and network is None:
        raise ValueError(f"the {head} head needs its network (BetaVAE passes it).")
    return record.log_prob(params, x, network)


def mean_parameter(head):
    """The name of the parameter that is the distribution's mean (for images)."""
    return get(head).mean
