"""The callbacks of a training run: one log line per epoch, checkpoint-and-NaN-guard, TensorBoard images."""

import math
import os

from betavae_tf.progress import Progress
from betavae_tf.run_dir import append_history


def make_callbacks(config, workdir, save, chief, probe, done):
    import keras

    class EpochLog(keras.callbacks.Callback):
        """One log line per epoch: the metrics, the time so far and the ETA of the run."""

        def __init__(self):
            super().__init__()
            name = os.path.basename(os.path.abspath(workdir))
            self.progress = Progress(max(config.epochs - done, 1), f"training {name}", bar=False, counter=False)

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            shown = ", ".join(f"{k} {float(logs[k]):.4g}" for k in ("loss", "rate", "val_loss") if k in logs)
            self.progress.step(f"epoch {epoch + 1}/{config.epochs}, {shown}")

    class CheckpointAndGuard(keras.callbacks.Callback):
        """Checkpoint after each finite epoch; stop at the first non-finite loss.

        The epoch's history line is written before its checkpoint: a kill in
        between leaves a line for an epoch that will be trained again, and the
        resumed run drops it (the checkpoint decides which epochs are done).
        """

        def __init__(self):
            super().__init__()
            self.diverged = None

        def on_train_batch_end(self, batch, logs=None):
            if logs and "loss" in logs and not math.isfinite(float(logs["loss"])):
                self.diverged = self.diverged or (self._epoch, batch)
                self.model.stop_training = True

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            if self.diverged or not all(math.isfinite(v) for v in logs.values()):
                self.diverged = self.diverged or (epoch, None)
                self.model.stop_training = True
                return
            if chief:
                append_history(workdir, {"epoch": epoch + 1, **logs})
            save(epoch + 1)

    guard = CheckpointAndGuard()
    callbacks = [guard]
    if config.kl_warmup_epochs:  # first, so the epoch's beta is in the logs the others write
        from betavae_tf.models.annealing import KLAnnealing

        callbacks.insert(0, KLAnnealing(config.kl_warmup_epochs))
    if chief:
        callbacks.append(EpochLog())
        callbacks.append(
            keras.callbacks.TensorBoard(
                os.path.join(workdir, "tensorboard"), write_graph=False, update_freq="epoch", profile_batch=0
            )
        )
        callbacks.append(hparams_summary(os.path.join(workdir, "tensorboard"), config, workdir))
        if config.summary_images:
            callbacks.append(image_summaries(os.path.join(workdir, "tensorboard", "images"), probe, config.seed))
    return guard, callbacks


# The settings the HParams dashboard shows for a run (the rest are about where and how fast it runs).
HPARAMS = ("decoder", "latent_dim", "beta", "kl_warmup_epochs", "learned_scale", "batch_size", "learning_rate")
HPARAMS += ("adam_beta_1", "adam_beta_2", "epochs", "seed", "precision", "backend")


def hparams_summary(logdir, config, workdir):
    """A callback that records the run's settings for TensorBoard's HParams dashboard when training starts.

    The run's directory tensorboard/ is one session; its train/ and
    validation/ scalars (epoch_loss, epoch_rate, ...) are the metrics the
    dashboard sets beside them (tensorboard --logdir over several workdirs
    compares runs).
    """
    import keras
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    class HParams(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            values = {k: getattr(config, k) for k in HPARAMS if hasattr(config, k)}
            values = {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in values.items()}
            with tf.summary.create_file_writer(logdir).as_default():
                hp.hparams(values, trial_id=os.path.basename(os.path.abspath(workdir)))

    return HParams()


def image_summaries(logdir, probe, seed):
    import keras
    import tensorflow as tf

    from betavae_tf import images
    from betavae_tf.models import inference

    class ImageSummaries(keras.callbacks.Callback):
        """16 generated samples and the latent scatter coloured by phase (by T without phase labels), each epoch."""

        def __init__(self):
            super().__init__()
            self.writer = tf.summary.create_file_writer(logdir)

        def on_epoch_end(self, epoch, logs=None):
            model = self.model
            samples = images.generated_grid(model, n=16, seed=seed)
            spins, phases, names, temperature = probe
            mean, _ = inference.encode(model, spins, batch_size=256)
            scatter = images.latent_scatter_png(
                mean, phases, title=f"epoch {epoch + 1}", phase_names=names, temperature=temperature
            )
            with self.writer.as_default(step=epoch + 1):
                tf.summary.image("generated_samples", samples[None])
                tf.summary.image("latent_scatter", tf.image.decode_png(scatter)[None])
            self.writer.flush()

    return ImageSummaries()
