"""Custom Keras layers of the heads (registered for .keras files under the package name betavae_tf)."""

import keras


@keras.saving.register_keras_serializable(package="betavae_tf")
class LearnedScale(keras.layers.Layer):
    """A trainable per-channel Gaussian scale, softplus-parametrised, broadcast over sites."""

    def __init__(self, channels, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.channels = channels

    def build(self, input_shape):
        # softplus(0.5413) = 1: start from the paper's unit variance.
        self.scale_logit = self.add_weight(
            name="scale_logit", shape=(self.channels,), initializer=keras.initializers.Constant(0.5413)
        )

    def call(self, mean):
        return keras.ops.softplus(self.scale_logit) + 1e-4 + keras.ops.zeros_like(mean)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}
