"""train_and_evaluate(config, workdir): a resumable BetaVAE run, no FLAGS inside.

A workdir holds
  config.json        the effective TrainConfig, the ModelConfig and the data's manifest summary
  checkpoints/       tf.train.CheckpointManager: model, optimizer (its step counter seeds
                     the reparameterisation noise); checkpoint N = N epochs done
  history.jsonl      one line of metrics per finished epoch
  tensorboard/       scalars per epoch (train/, validation/) and images (images/)
  export/            the SavedModel with named signatures (export.py)
  result.json        final metrics, written when the run completes
Running the same call again resumes from the newest checkpoint: a run killed
at any moment loses at most the epoch in progress, because the checkpoint
index is replaced atomically only after a checkpoint is complete.
"""
import dataclasses
import json
import math
import os
import shutil

import numpy as np
from absl import logging

STRATEGIES = ("auto", "one_device", "mirrored", "tpu", "multi_worker")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
# Settings a resumed run must share with the checkpoints it continues.
_RESUME_KEYS = ("data_dir", "latent_dim", "decoder", "beta", "learned_scale", "seed")


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclasses.dataclass
class TrainConfig:
    data_dir: str = ""
    latent_dim: int = 2
    decoder: str = "bernoulli"
    beta: float = 100.0
    learned_scale: bool = False
    batch_size: int = 128            # global batch (the paper's 128)
    epochs: int = 20
    steps_per_epoch: int = 0         # 0: one pass over the training split
    learning_rate: float = 1e-3      # Adam as in the appendix
    adam_beta_1: float = 0.5
    adam_beta_2: float = 0.999
    validation_fraction: float = 0.1
    shuffle_buffer: int = 16384
    cache: bool = True
    seed: int = 0
    strategy: str = "auto"
    tpu: str = ""                    # TPU name or grpc:// address for strategy=tpu
    precision: str = "float32"
    jit_compile: bool = False
    keep_checkpoints: int = 2
    summary_images: bool = True
    export: bool = True
    verbose: int = 1                 # 0 silent, 1 progress bar, 2 one line per epoch


def validate(config):
    """Check a TrainConfig and its dataset; returns (manifest, ModelConfig). One clear error."""
    from betavae_tf.data import format as fmt
    from betavae_tf.models.config import ModelConfig

    c = config
    if not c.data_dir:
        raise ValueError("a dataset directory is required (--data_dir).")
    checks = [
        (c.batch_size >= 1, f"the batch size must be at least 1, got {c.batch_size}."),
        (c.epochs >= 1, f"epochs must be at least 1, got {c.epochs}."),
        (c.steps_per_epoch >= 0, f"steps_per_epoch must be >= 0 (0: one pass), got {c.steps_per_epoch}."),
        (c.learning_rate > 0, f"the learning rate must be > 0, got {c.learning_rate}."),
        (0 <= c.adam_beta_1 < 1 and 0 <= c.adam_beta_2 < 1,
         f"Adam's beta_1 and beta_2 must be in [0, 1), got {c.adam_beta_1} and {c.adam_beta_2}."),
        (0 <= c.validation_fraction < 1,
         f"validation_fraction must be in [0, 1), got {c.validation_fraction}."),
        (c.strategy in STRATEGIES, f"unknown strategy {c.strategy!r}; expected one of {', '.join(STRATEGIES)}."),
        (c.precision in PRECISIONS, f"unknown precision {c.precision!r}; expected one of {', '.join(PRECISIONS)}."),
        (c.keep_checkpoints >= 1, f"keep_checkpoints must be at least 1, got {c.keep_checkpoints}."),
        (c.shuffle_buffer >= 1, f"shuffle_buffer must be at least 1, got {c.shuffle_buffer}."),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
    manifest = fmt.read_manifest(c.data_dir)
    model_config = ModelConfig(lattice_size=manifest["lattice_size"],
                               channels=manifest.get("channels", 1), latent_dim=c.latent_dim,
                               decoder=c.decoder, beta=c.beta, learned_scale=c.learned_scale,
                               seed=c.seed)
    try:
        model_config.validate()
        encoding = fmt.encoding_of(manifest)
        if c.decoder == "multinomial" and encoding != "categorical":
            raise ValueError(f"the multinomial decoder needs categorical (one-hot) data, but the "
                             f"data are {encoding}; use the gaussian decoder for real values.")
        if c.decoder in ("bernoulli", "temperature") and encoding in ("uint8", "float32"):
            raise ValueError(f"the {c.decoder} decoder needs discrete spins, but the data are "
                             f"real-valued ({encoding}); use the gaussian decoder.")
    except ValueError as e:
        raise ValueError(f"dataset {c.data_dir}: {e}" if "lattice size" in str(e)
                         or "channel" in str(e) or "data are" in str(e) else str(e)) from None
    return manifest, model_config


# -- devices ---------------------------------------------------------------------
def make_strategy(name, tpu=""):
    """A tf.distribute strategy by name; 'auto' picks GPUs when present, else the CPU."""
    import tensorflow as tf

    if name == "multi_worker":
        # First of all: collective ops must be configured before TensorFlow
        # initialises its devices (even listing them would be too late).
        if "TF_CONFIG" not in os.environ:
            raise ValueError("strategy multi_worker needs the TF_CONFIG environment variable "
                             "describing the cluster and this worker's task.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        if len(gpus) > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        if gpus:
            return tf.distribute.MirroredStrategy()
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(cpus, cross_device_ops=tf.distribute.ReductionToOneDevice())
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as e:
            raise ValueError(f"strategy tpu found no TPU{' at ' + tpu if tpu else ''} ({e}).") from None
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}.")


def _task(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return None, 0, True
    task_type, task_id = resolver.task_type, resolver.task_id
    chief = task_type == "chief" or (task_type == "worker" and task_id == 0
                                     and "chief" not in resolver.cluster_spec().as_dict())
    return task_type, task_id, chief


# -- data ------------------------------------------------------------------------
def split_sizes(manifest, validation_fraction):
    from betavae_tf.data.pipeline import is_validation
    n_val = int(is_validation(np.arange(manifest["n_samples"]), validation_fraction).sum())
    return manifest["n_samples"] - n_val, n_val


def _datasets(config, manifest, replicas):
    from betavae_tf.data.pipeline import make_dataset

    n_train, n_val = split_sizes(manifest, config.validation_fraction)
    if n_train < config.batch_size:
        raise ValueError(f"the training split of {config.data_dir} has {n_train} samples, fewer "
                         f"than one batch of {config.batch_size}; lower --batch_size.")
    if config.batch_size % replicas:
        raise ValueError(f"the batch size {config.batch_size} must be divisible by the "
                         f"{replicas} replicas of the strategy.")
    steps = config.steps_per_epoch or n_train // config.batch_size
    common = dict(seed=config.seed, validation_fraction=config.validation_fraction,
                  cache=config.cache)
    train = make_dataset(config.data_dir, split="train", batch_size=config.batch_size,
                         repeat=True, shuffle_buffer=config.shuffle_buffer, **common)
    validation, val_steps = None, None
    if n_val >= replicas:
        val_batch = min(config.batch_size, n_val - n_val % replicas)
        val_steps = n_val // val_batch
        validation = make_dataset(config.data_dir, split="validation", batch_size=val_batch,
                                  repeat=True, drop_remainder=True, **common)
    return train, steps, validation, val_steps


def _probe_samples(config, manifest, limit=2048):
    """A fixed labelled subset for the latent scatter: validation if any, else all."""
    from betavae_tf.data import format as fmt
    from betavae_tf.data.pipeline import load_numpy, model_input

    _, n_val = split_sizes(manifest, config.validation_fraction)
    split = "validation" if n_val else "all"
    data = load_numpy(config.data_dir, split=split, validation_fraction=config.validation_fraction)
    return (model_input(data["spins"][:limit], manifest), data["phase"][:limit],
            fmt.phase_names_of(manifest))


# -- the workdir -----------------------------------------------------------------
def _effective_config(config, model_config, manifest):
    from betavae_tf import __version__
    c = dataclasses.asdict(config)
    c["data_dir"] = os.path.abspath(config.data_dir)
    return {"train": c, "model": dataclasses.asdict(model_config), "package_version": __version__,
            "data": {k: manifest.get(k) for k in ("lattice_size", "channels", "n_samples", "model",
                                                  "source", "encoding", "phases", "phase_counts")}}


def _write_text_atomic(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _write_json_atomic(path, obj):
    _write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def float32_copy(model):
    """A float32 BetaVAE outside any strategy scope, with model's weights (for export)."""
    from betavae_tf.models.vae import float32_model
    copy = float32_model(model.config)
    copy.set_weights(model.get_weights())
    return copy


def check_workdir(workdir, effective):
    """Refuse to resume a workdir whose checkpoints were made with other settings."""
    path = os.path.join(workdir, "config.json")
    if os.path.exists(workdir) and not os.path.isdir(workdir):
        raise NotADirectoryError(f"workdir {workdir} exists and is not a directory.")
    if not os.path.isfile(path):
        return
    with open(path) as f:
        previous = json.load(f)
    for key in _RESUME_KEYS:
        old, new = previous["train"].get(key), effective["train"][key]
        if old != new:
            raise ValueError(f"workdir {workdir} holds a run with {key} = {old!r}, not {new!r}; "
                             "use a new --workdir or the same settings to resume.")


def read_history(workdir):
    """Per-epoch metrics from history.jsonl, one entry per epoch (the last write wins)."""
    path = os.path.join(workdir, "history.jsonl")
    by_epoch = {}
    if os.path.isfile(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    entry = json.loads(line)
                    by_epoch[entry["epoch"]] = entry
    return [by_epoch[k] for k in sorted(by_epoch)]


def latest_epoch(checkpoint_dir):
    """Epochs done according to the newest complete checkpoint (0 if none)."""
    import tensorflow as tf
    path = tf.train.latest_checkpoint(checkpoint_dir)
    return int(path.rsplit("-", 1)[1]) if path else 0


# -- callbacks -------------------------------------------------------------------
def _make_callbacks(config, workdir, manager, chief, probe):
    import keras

    class CheckpointAndGuard(keras.callbacks.Callback):
        """Checkpoint after each finite epoch; stop at the first non-finite loss."""

        def __init__(self):
            super().__init__()
            self.diverged = None

        def on_train_batch_end(self, batch, logs=None):
            if logs and "loss" in logs and not math.isfinite(float(logs["loss"])):
                self.diverged = (self.diverged or (self._epoch, batch))
                self.model.stop_training = True

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            if self.diverged or not all(math.isfinite(v) for v in logs.values()):
                self.diverged = self.diverged or (epoch, None)
                self.model.stop_training = True
                return
            manager.save(checkpoint_number=epoch + 1)
            if chief:
                with open(os.path.join(workdir, "history.jsonl"), "a") as f:
                    f.write(json.dumps({"epoch": epoch + 1, **logs}) + "\n")

    guard = CheckpointAndGuard()
    callbacks = [guard]
    if chief:
        callbacks.append(keras.callbacks.TensorBoard(os.path.join(workdir, "tensorboard"),
                                                     write_graph=False, update_freq="epoch",
                                                     profile_batch=0))
        if config.summary_images:
            callbacks.append(_image_summaries(os.path.join(workdir, "tensorboard", "images"),
                                             probe, config.seed))
    return guard, callbacks


def _image_summaries(logdir, probe, seed):
    import keras
    import tensorflow as tf

    from betavae_tf.analysis import evaluate, images

    class ImageSummaries(keras.callbacks.Callback):
        """16 generated samples and the latent scatter coloured by phase, each epoch."""

        def __init__(self):
            super().__init__()
            self.writer = tf.summary.create_file_writer(logdir)

        def on_epoch_end(self, epoch, logs=None):
            model = self.model
            samples = images.generated_grid(model, n=16, seed=seed)
            spins, phases, names = probe
            # evaluate.encode calls the encoder directly, not predict(): under a
            # multi-worker strategy predict would wait for collectives the
            # other workers never join.
            mean, _ = evaluate.encode(model, spins, batch_size=256)
            scatter = images.latent_scatter_png(mean, phases, title=f"epoch {epoch + 1}",
                                                phase_names=names)
            with self.writer.as_default(step=epoch + 1):
                tf.summary.image("generated_samples", samples[None])
                tf.summary.image("latent_scatter", tf.image.decode_png(scatter)[None])
            self.writer.flush()

    return ImageSummaries()


# -- the run ---------------------------------------------------------------------
def train_and_evaluate(config, workdir, *, flags_text=None):
    """Train (or resume) a BetaVAE in workdir; returns a dict of results.

    flags_text, if given (the CLI's effective flags), is saved as workdir/flags.txt.

    Raises ValueError (bad settings), FileNotFoundError (no dataset) or
    TrainingDivergedError (non-finite loss; the last good checkpoint stays).
    """
    manifest, model_config = validate(config)
    effective = _effective_config(config, model_config, manifest)
    check_workdir(workdir, effective)

    import keras
    import tensorflow as tf

    from betavae_tf import export as export_lib
    from betavae_tf.models import BetaVAE, paper_optimizer

    strategy = make_strategy(config.strategy, config.tpu)
    task_type, task_id, chief = _task(strategy)
    replicas = strategy.num_replicas_in_sync
    # Before the datasets: a seeded tf.data shuffle also depends on the global seed.
    keras.utils.set_random_seed(config.seed)
    train, steps, validation, val_steps = _datasets(config, manifest, replicas)
    if chief:
        os.makedirs(workdir, exist_ok=True)
        _write_json_atomic(os.path.join(workdir, "config.json"), effective)
        if flags_text is not None:
            _write_text_atomic(os.path.join(workdir, "flags.txt"), flags_text)

    previous_policy = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(config.precision)
    try:
        keras.utils.set_random_seed(config.seed)  # the same initial weights for the same seed
        with strategy.scope():
            model = BetaVAE.from_model_config(model_config)
            optimizer = paper_optimizer(config.learning_rate, config.adam_beta_1, config.adam_beta_2)
            model.compile(optimizer=optimizer, jit_compile=config.jit_compile)
            optimizer = model.optimizer  # a LossScaleOptimizer under mixed_float16
            optimizer.build(model.trainable_variables)
        checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
        checkpoint_dir = os.path.join(workdir, "checkpoints")
        if not chief:  # other workers write throw-away copies (tf.distribute's pattern)
            own_dir = os.path.join(workdir, "checkpoints-tmp", f"{task_type}-{task_id}")
        else:
            own_dir = checkpoint_dir
        done = latest_epoch(checkpoint_dir)
        if done:
            checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir)).assert_existing_objects_matched()
            # The checkpoint carries the learning rate it was saved with; the
            # flags of this run decide it (a resumed run may lower it).
            optimizer.learning_rate = config.learning_rate
            logging.info("resuming %s from epoch %d", workdir, done)
        manager = tf.train.CheckpointManager(checkpoint, own_dir, max_to_keep=config.keep_checkpoints)
        probe = _probe_samples(config, manifest) if chief and config.summary_images else None
        guard, callbacks = _make_callbacks(config, workdir, manager, chief, probe)
        if done < config.epochs:
            model.fit(train, epochs=config.epochs, initial_epoch=done, steps_per_epoch=steps,
                      validation_data=validation, validation_steps=val_steps,
                      callbacks=callbacks, verbose=config.verbose, shuffle=False)
        if not chief:
            shutil.rmtree(os.path.join(workdir, "checkpoints-tmp", f"{task_type}-{task_id}"),
                          ignore_errors=True)
        kept = latest_epoch(checkpoint_dir)
        if guard.diverged:
            epoch, batch = guard.diverged
            where = f"epoch {epoch + 1}" + (f", step {batch + 1}" if batch is not None else "")
            raise TrainingDivergedError(
                f"the loss became NaN or infinite at {where}; training stopped and the last good "
                f"checkpoint (epoch {kept}) is kept in {checkpoint_dir}. Lower the learning rate "
                "or check the data.")
        history = read_history(workdir)
        result = {"epochs": kept, "resumed_from_epoch": done, "final": history[-1] if history else {},
                  "workdir": os.path.abspath(workdir), "replicas": replicas,
                  "precision": config.precision, "strategy": type(strategy).__name__}
        if chief and config.export:
            result["export_dir"] = export_lib.export_saved_model(
                float32_copy(model), os.path.join(workdir, "export"))
        if chief:
            _write_json_atomic(os.path.join(workdir, "result.json"), result)
        result["history"] = history
        result["model"] = model
        return result
    finally:
        keras.mixed_precision.set_dtype_policy(previous_policy)
