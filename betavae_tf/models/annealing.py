"""KL annealing: beta rises over the first epochs of training (a Keras callback).

The model's loss reads `model.beta`, a non-trainable variable; `config.beta`
is the target. KLAnnealing(warmup_epochs) assigns, at the start of epoch e
(counted from 0, so a resumed run picks up where it was),

    beta_e = config.beta * (start + (1 - start) * min(1, e / warmup_epochs)),

the linear "KL warm-up" of Bowman et al. (2016) and Sonderby et al. (2016);
schedule(epoch) -> beta replaces it with any other. The paper trains at a fixed
beta; annealing is an extension that can keep the rate from collapsing early
at large beta. beta is also written to the epoch's logs (history,
TensorBoard).

Under TensorFlow the compiled train step reads the variable, so a new value
takes effect at once. Under JAX the step is compiled with the value it had, so
the callback recompiles the train function when beta changes (once an epoch
during the warm-up, not after).
"""

import keras


class KLAnnealing(keras.callbacks.Callback):
    """Set model.beta at the start of every epoch from a linear warm-up or a schedule."""

    def __init__(self, warmup_epochs=0, start=0.0, schedule=None):
        super().__init__()
        if schedule is None and warmup_epochs < 0:
            raise ValueError(f"warmup_epochs must be >= 0, got {warmup_epochs}.")
        if not 0.0 <= start <= 1.0:
            raise ValueError(f"start must be in [0, 1] (a share of the target beta), got {start}.")
        self.warmup_epochs, self.start, self.schedule = int(warmup_epochs), float(start), schedule

    def beta_at(self, epoch, target):
        """beta for epoch (from 0) when the model's target is target."""
        if self.schedule is not None:
            value = float(self.schedule(epoch))
        elif self.warmup_epochs == 0:
            value = target
        else:
            value = target * (self.start + (1.0 - self.start) * min(1.0, epoch / self.warmup_epochs))
        if not 0.0 <= value < float("inf"):
            raise ValueError(f"the KL schedule gave beta = {value} at epoch {epoch}; it must be finite and >= 0.")
        return value

    def on_epoch_begin(self, epoch, logs=None):
        model = self.model
        value = self.beta_at(epoch, model.config.beta)
        if float(keras.ops.convert_to_numpy(model.beta)) != value:
            model.beta.assign(value)
            if keras.backend.backend() == "jax" and getattr(model, "train_function", None) is not None:
                model.make_train_function(force=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(keras.ops.convert_to_numpy(self.model.beta))
