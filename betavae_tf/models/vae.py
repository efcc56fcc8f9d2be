"""BetaVAE: the loss of Eq. 4 as a Keras 3 model, on any Keras backend.

    L = E_{x ~ data} [ -E_{z ~ q(z|x)} ln p(x|z) ] + beta * E_x KL[q(z|x) || N(0, I)]
      =            distortion                     + beta * rate

distortion is -log p(x|z) summed over all sites and channels, rate is the
analytic KL summed over latent dimensions, both averaged over the batch
(the beta convention of docs/conventions.md: the paper's beta = 100 at L = 32 then means what
the paper says). One reparameterised sample z = mean + stddev * eps per input.

The loss lives in Keras's cross-backend hook (``compute_loss``, in
``keras.ops``), so the same model trains with Keras's own train step under
TensorFlow and JAX: ln p(x|z) and the KL are closed forms (models/heads.py),
each tested equal to the TFP distribution it stands for. Under TensorFlow the
TFP distributions stay the public API (``encode``, ``likelihood``).

The reparameterisation noise eps comes with the data: a batch is ``(x, eps)``
(train_lib draws eps in the tf.data pipeline as a fixed function of
(seed, stream, step), the same on every backend and replica count, so a
resumed run is the uninterrupted one). A batch of x alone (``model.fit(x)``)
draws eps from the model's own ``keras.random.SeedGenerator``.
"""

import dataclasses

import keras
from keras import ops

from betavae_tf.models import heads as heads_lib
from betavae_tf.models import (
    layers,  # noqa: F401 - registers the heads' custom layers
    networks,
)
from betavae_tf.models.config import ModelConfig


def float32_model(config):
    """A BetaVAE built under the float32 policy whatever the global one (for export, analysis)."""
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy("float32")
    try:
        return BetaVAE.from_model_config(config)
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def kl_per_dimension(mean, stddev):
    """KL[N(mean, stddev^2) || N(0, 1)] per latent dimension, [N, d_z].

    Analytic: (mean^2 + stddev^2 - 1) / 2 - ln stddev, in keras.ops (TFP's
    Normal-Normal KL registration gives the same; tested).
    """
    mean = ops.cast(mean, "float32")
    stddev = ops.cast(stddev, "float32")
    return 0.5 * (ops.square(mean) + ops.square(stddev) - 1.0) - ops.log(stddev)


def _tfd():
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "BetaVAE's TFP distributions (encode, likelihood) need the TensorFlow backend; under "
            f"{keras.backend.backend()} the loss uses closed forms, and analysis, sampling and export "
            "run on the TensorFlow model rebuilt from the run's weights."
        )
    from betavae_tf.backend import tensorflow_probability

    return tensorflow_probability().distributions


@keras.saving.register_keras_serializable(package="betavae_tf")
class BetaVAE(keras.Model):
    """beta-VAE (Eq. 4) with the Table I networks and a likelihood head.

    call(x) returns the decoder's parameters at the posterior mean (a
    deterministic reconstruction); in training (Keras's train step) it returns
    the posterior's mean and stddev, which compute_loss decodes at a
    reparameterised sample. Under TensorFlow, encode(x) gives the posterior
    q(z|x) and likelihood(params) the decoder's p(x|z) as TFP distributions.
    """

    def __init__(
        self,
        lattice_size=32,
        channels=1,
        latent_dim=2,
        decoder="bernoulli",
        beta=100.0,
        learned_scale=False,
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.config = ModelConfig(
            lattice_size, channels, latent_dim, decoder, float(beta), bool(learned_scale), int(seed)
        ).validate()
        self.encoder = networks.build_encoder(lattice_size, channels, latent_dim)
        trunk = networks.build_decoder_trunk(lattice_size, latent_dim)
        params = heads_lib.apply_head(decoder, trunk.output, channels, learned_scale)
        self.decoder = keras.Model(trunk.input, params, name=f"{decoder}_decoder")
        head = heads_lib.get(decoder)
        # A head whose likelihood also reads x (autoregressive) keeps its weights in this layer.
        self.autoregressive = head.network(channels) if head.network is not None else None
        if self.autoregressive is not None:
            self.autoregressive.build()
        # eps for batches that bring none (model.fit(x)); train_lib's batches bring their own.
        self.noise_generator = keras.random.SeedGenerator(self.config.seed * 1009 + 2 * 7919, name="noise")
        self.distortion_tracker = keras.metrics.Mean(name="distortion")
        self.rate_tracker = keras.metrics.Mean(name="rate")
        self.kl_trackers = [keras.metrics.Mean(name=f"kl_z{i}") for i in range(latent_dim)]
        # The beta of the loss now, a non-trainable variable that KLAnnealing (models/annealing.py) assigns;
        # config.beta is the target. It is kept out of the weights (object.__setattr__ skips Keras's and
        # TensorFlow's tracking), so checkpoints, .keras files and SavedModels keep the layout they had.
        object.__setattr__(
            self, "beta", keras.Variable(self.config.beta, trainable=False, dtype="float32", name="beta")
        )
        self.built = True  # both sub-models are functional, hence already built

    @classmethod
    def from_model_config(cls, config):
        return cls(**dataclasses.asdict(config))

    def get_config(self):
        return {**super().get_config(), **dataclasses.asdict(self.config)}

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Keras's export (a `serve` endpoint: call() on a batch of lattices), needing no example call.

        The input signature defaults to float32 [None, L, L, C]. For the named
        signatures of this package (encode, decode, generate, ...), a serving
        warmup and the run's metadata use betavae_tf.export.export_saved_model.
        """
        if input_signature is None:
            c = self.config
            input_signature = [
                keras.InputSpec(dtype="float32", shape=(None, c.lattice_size, c.lattice_size, c.channels))
            ]
        return super().export(filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    # -- distributions (TensorFlow) --------------------------------------------
    def encode(self, x, training=False):
        """q(z|x): a diagonal Gaussian over d_z (a TFP distribution; TensorFlow backend)."""
        tfd = _tfd()
        out = self.encoder(x, training=training)
        return tfd.Independent(tfd.Normal(out["mean"], out["stddev"]), reinterpreted_batch_ndims=1)

    def decode(self, z, training=False):
        """The head's parameters (local fields etc.) at z."""
        return self.decoder(z, training=training)

    def likelihood(self, params):
        """p(x|z) over the lattice, from decode()'s parameters (a TFP distribution; TensorFlow backend)."""
        _tfd()
        return heads_lib.distribution(self.config.decoder, params, self.autoregressive)

    def log_likelihood(self, params, x):
        """ln p(x|z) [N] from decode()'s parameters, a closed form on any backend."""
        return heads_lib.log_prob(self.config.decoder, params, x, self.autoregressive)

    def call(self, x, training=False):
        out = self.encoder(x, training=training)
        if training:
            return out  # compute_loss decodes a reparameterised sample (the decoder runs once a step)
        return self.decoder(out["mean"], training=False)

    # -- the loss of Eq. 4 ---------------------------------------------------
    def terms_from_posterior(self, x, mean, stddev, eps, training=False):
        """Per-example distortion [N], rate [N] and KL per dimension [N, d_z] at z = mean + stddev * eps."""
        eps = ops.cast(eps, mean.dtype)
        params = self.decoder(mean + stddev * eps, training=training)
        distortion = -self.log_likelihood(params, x)
        kl = kl_per_dimension(mean, stddev)
        return distortion, ops.sum(kl, axis=-1), kl

    def compute_terms(self, x, training, seed=None, eps=None):
        """Per-example distortion [N], rate [N] and KL per dimension [N, d_z].

        eps: the noise [N, d_z]; else drawn from seed (a stateless pair, as in
        tf.random.stateless_normal; TensorFlow) or from the model's seed generator.
        """
        out = self.encoder(x, training=training)
        mean, stddev = out["mean"], out["stddev"]
        if eps is None:
            eps = self._draw_noise(ops.shape(mean), seed)
        return self.terms_from_posterior(x, mean, stddev, eps, training)

    def _draw_noise(self, shape, seed=None):
        if seed is not None and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            return tf.random.stateless_normal(shape, seed=seed, dtype=tf.float32)
        if seed is not None:
            from betavae_tf.models.inference import stateless_normal

            return stateless_normal(tuple(shape), seed)
        return keras.random.normal(shape, seed=self.noise_generator)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Eq. 4 for a batch: x the lattices, y the noise eps [N, d_z] (or None), y_pred call()'s output."""
        if training:
            mean, stddev = y_pred["mean"], y_pred["stddev"]
        else:
            out = self.encoder(x, training=False)
            mean, stddev = out["mean"], out["stddev"]
        eps = y if y is not None else self._draw_noise(ops.shape(mean))
        distortion, rate, kl = self.terms_from_posterior(x, mean, stddev, eps, training)
        distortion, rate = ops.mean(distortion), ops.mean(rate)
        loss = distortion + ops.cast(self.beta, distortion.dtype) * rate
        self.distortion_tracker.update_state(distortion)
        self.rate_tracker.update_state(rate)
        for i, tracker in enumerate(self.kl_trackers):
            tracker.update_state(ops.mean(kl[:, i]))
        if keras.backend.backend() == "tensorflow":
            # Gradients are summed over tf.distribute replicas; each replica's batch mean is a
            # 1/num_replicas share of the global mean (Keras's own losses scale the same way).
            import tensorflow as tf

            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            if replicas > 1:
                loss = loss / replicas
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        logs = self.get_metrics_result()
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            strategy = tf.distribute.get_strategy()
            if (
                isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
                and len(strategy.cluster_resolver.cluster_spec().as_dict().get("worker", [])) > 1
            ):
                # Keras 3.15 reduces multi-worker logs with strategy.reduce(MEAN, axis=0),
                # which needs a leading axis; [1]-shaped values come out as scalars.
                logs = {k: tf.reshape(v, [1]) for k, v in logs.items()}
        return logs


def _plain_tf_variable(variable):
    """The tf.Variable behind a Keras variable, or None if it is distributed or not TF."""
    import tensorflow as tf

    value = getattr(variable, "value", variable)
    if isinstance(value, tf.distribute.DistributedValues) or not isinstance(value, tf.Variable):
        return None
    return value


@keras.saving.register_keras_serializable(package="betavae_tf")
class FusedAdam(keras.optimizers.Optimizer):
    """Adam (Kingma & Ba; Keras's update), applied by TensorFlow's fused ResourceApplyAdam kernel.

    alpha = lr sqrt(1 - b2^t) / (1 - b1^t), m += (g - m)(1 - b1), v += (g^2 - v)(1 - b2),
    var -= alpha m / (sqrt(v) + eps): in one pass over memory instead of about eight,
    15 ms instead of 35 ms a step on 17.1 M parameters on a 2-core CPU. Variables
    the kernel cannot reach directly (distributed across replicas) take the same
    update written in keras.ops. Built on the subclass API of keras.optimizers.Optimizer
    (build / update_step / get_config, as its docstring's example).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="fused_adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        # _get_variable_index is how keras.optimizers.Optimizer's documented subclass example finds slots.
        import tensorflow as tf

        index = self._get_variable_index(variable)
        m, v = self.momentums[index], self.velocities[index]
        strategy = tf.distribute.get_strategy()
        if strategy.num_replicas_in_sync == 1 and not isinstance(strategy, tf.distribute.TPUStrategy):
            var, m_var, v_var = (_plain_tf_variable(x) for x in (variable, m, v))
            if var is not None and m_var is not None and v_var is not None:
                dtype = var.dtype
                step = tf.cast(self.iterations + 1, dtype)
                beta_1 = tf.cast(self.beta_1, dtype)
                beta_2 = tf.cast(self.beta_2, dtype)
                return tf.raw_ops.ResourceApplyAdam(
                    var=var.handle,
                    m=m_var.handle,
                    v=v_var.handle,
                    beta1_power=tf.pow(beta_1, step),
                    beta2_power=tf.pow(beta_2, step),
                    lr=tf.cast(learning_rate, dtype),
                    beta1=beta_1,
                    beta2=beta_2,
                    epsilon=tf.cast(self.epsilon, dtype),
                    grad=tf.cast(gradient, dtype),
                )
        ops = keras.ops
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        alpha = (
            lr
            * ops.sqrt(1 - ops.power(ops.cast(self.beta_2, dtype), step))
            / (1 - ops.power(ops.cast(self.beta_1, dtype), step))
        )
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        self.assign_sub(variable, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


def paper_optimizer(learning_rate: float = 1e-3, beta_1: float = 0.5, beta_2: float = 0.999) -> FusedAdam:
    """Adam as in the appendix: lr 1e-3, beta_1 = 0.5, beta_2 = 0.999.

    Under TensorFlow the fused kernel (FusedAdam); on other backends Keras's
    Adam, the same update (tested equal), which XLA fuses itself.
    """
    if keras.backend.backend() == "tensorflow":
        return FusedAdam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2)
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=1e-7)
