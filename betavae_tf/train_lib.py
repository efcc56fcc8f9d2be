"""train_and_evaluate(config, workdir): a resumable BetaVAE run, no FLAGS inside.

A workdir holds
  config.json        the effective TrainConfig, the ModelConfig, the data's manifest summary
                     and its fingerprint
  checkpoints/       tf.train.CheckpointManager: model, optimizer (its step counter seeds
                     the reparameterisation noise); checkpoint N = N epochs done
  history.jsonl      one line of metrics per finished epoch
  tensorboard/       scalars per epoch (train/, validation/) and images (images/)
  export/<version>/  SavedModels with named signatures (export.py), the newest the highest
  result.json        final metrics, written when the run completes
  .lock              held (an OS lock) while a run uses the workdir
Running the same call again resumes from the newest checkpoint: a run killed
at any moment loses at most the epoch in progress, because the checkpoint
index is replaced atomically only after a checkpoint is complete. A resumed
run is the run that was interrupted: the data order is a fixed function of
(seed, step) and the noise of (seed, optimizer step), and the model,
optimizer and BatchNorm statistics come from the checkpoint. Nothing is
written before the workdir's settings and data fingerprint are checked
against the run's, and a second process on the same workdir is refused.
"""

import contextlib
import dataclasses
import os
import shutil

import numpy as np
from absl import logging

from betavae_tf import backend as backend_lib
from betavae_tf import checkpoints, fileio, places
from betavae_tf.data import format as fmt
from betavae_tf.devices import KerasDistribution, accelerator_settings, make_strategy, task_of
from betavae_tf.run_dir import (
    HISTORY,
    append_history,
    check_placement,
    check_workdir,
    latest_epoch,
    prepare_workdir,
    read_history,
    recorded_setting,
    remove_checkpoint_temporaries,
)
from betavae_tf.train_callbacks import make_callbacks
from betavae_tf.train_config import (  # noqa: F401 - the API
    JIT_CHOICES,
    PRECISIONS,
    STRATEGIES,
    TrainConfig,
    TrainingDivergedError,
    default_beta_sentence,
    flagfile_of,
    keras_verbosity,
    validate,
)
from betavae_tf.version import __version__

# Streams of the reparameterisation noise the pipeline draws (train_lib._with_noise).
TRAIN_NOISE_STREAM, VALIDATION_NOISE_STREAM = 0, 1


# -- devices ---------------------------------------------------------------------


# -- data ------------------------------------------------------------------------
def split_sizes(manifest, validation_fraction):
    from betavae_tf.data.pipeline import is_validation

    n_val = int(is_validation(np.arange(manifest["n_samples"]), validation_fraction).sum())
    return manifest["n_samples"] - n_val, n_val


def _check_batches(config, manifest, replicas):
    """Batch-size checks that need only the manifest and the replica count; returns (steps, n_val)."""
    n_train, n_val = split_sizes(manifest, config.validation_fraction)
    if n_train < config.batch_size:
        raise ValueError(
            f"the training split of {config.data_dir} has {n_train} samples, fewer "
            f"than one batch of {config.batch_size}; lower --batch_size."
        )
    if config.batch_size % replicas:
        raise ValueError(
            f"the batch size {config.batch_size} must be divisible by the {replicas} replicas of the strategy."
        )
    return config.steps_per_epoch or n_train // config.batch_size, n_val


def _with_noise(dataset, latent_dim, seed, stream, first_step=0):
    """Batches (x, eps): eps [B, d_z] ~ N(0, I), the reparameterisation noise of batch k of the stream, drawn
    statelessly from (seed, stream, k). The same on every backend, device and replica count, so a resumed
    run draws what the uninterrupted one draws and two backends can be compared batch for batch."""
    import tensorflow as tf

    base = seed * 1009 + stream * 7919

    def draw(x, step):
        eps = tf.random.stateless_normal(
            tf.stack([tf.shape(x)[0], latent_dim]), seed=tf.stack([tf.cast(base, tf.int64), step])
        )
        return x, eps

    steps = tf.data.Dataset.counter(start=first_step)
    return tf.data.Dataset.zip((dataset, steps)).map(draw, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _datasets(config, replicas, steps, n_val, done):
    """The training stream from batch done * steps on, and the whole validation split each epoch,
    as (x, eps) batches (_with_noise)."""
    import tensorflow as tf

    from betavae_tf.data.pipeline import make_dataset

    common = dict(seed=config.seed, validation_fraction=config.validation_fraction, cache=config.cache)
    train = make_dataset(
        config.data_dir, split="train", batch_size=config.batch_size, repeat=True, start_step=done * steps, **common
    )
    train = _with_noise(train, config.latent_dim, config.seed, TRAIN_NOISE_STREAM, done * steps)
    validation = None
    if n_val >= replicas:
        # Not repeated: Keras then starts every epoch's validation at the split's first batch.
        val_batch = min(config.batch_size, n_val - n_val % replicas)
        validation = make_dataset(
            config.data_dir, split="validation", batch_size=val_batch, drop_remainder=True, **common
        )
        validation = _with_noise(validation, config.latent_dim, config.seed, VALIDATION_NOISE_STREAM)
    return (train.prefetch(tf.data.AUTOTUNE), validation.prefetch(tf.data.AUTOTUNE) if validation is not None else None)


def _probe_samples(config, manifest, limit=2048):
    """A fixed labelled subset for the latent scatter: validation if any, else all."""
    from betavae_tf.data.pipeline import load_numpy, model_input

    _, n_val = split_sizes(manifest, config.validation_fraction)
    split = "validation" if n_val else "all"
    data = load_numpy(config.data_dir, split=split, validation_fraction=config.validation_fraction)
    return (
        model_input(data["samples"][:limit], manifest),
        data["phase"][:limit],
        fmt.phase_names_of(manifest),
        data["temperature"][:limit],
    )


# -- the workdir -----------------------------------------------------------------
def _effective_config(config, model_config, manifest):
    c = dataclasses.asdict(config)
    c["data_dir"] = os.path.abspath(config.data_dir)
    data = {
        k: manifest.get(k)
        for k in ("lattice_size", "channels", "n_samples", "model", "source", "encoding", "phases", "phase_counts")
    }
    data["fingerprint"] = fmt.dataset_fingerprint(config.data_dir, manifest)
    return {"train": c, "model": dataclasses.asdict(model_config), "package_version": __version__, "data": data}


def float32_copy(model):
    """A float32 BetaVAE outside any strategy scope, with model's weights (for export)."""
    from betavae_tf.models.vae import float32_model

    copy = float32_model(model.config)
    copy.set_weights(model.get_weights())
    return copy


def _rebuild_final_entry(model, workdir, history, epoch, data, steps):
    """history.jsonl lacks the checkpoint's epoch (cut or edited): its metrics are measured anew from the checkpoint.

    The training-time averages of a lost epoch cannot be recovered; the entry
    holds the loss of the checkpoint's model on the validation split (the
    training stream when there is none) and says it was rebuilt.
    """
    have = [h["epoch"] for h in history]
    logging.warning(
        "%s records epochs %s but the checkpoint is at epoch %d (the file was cut or edited); "
        "epoch %d's metrics are measured anew from its checkpoint and marked rebuilt",
        HISTORY,
        f"{have[0]}-{have[-1]}" if have else "none",
        epoch,
        epoch,
    )
    measured = model.evaluate(data, steps=steps, verbose=0, return_dict=True)
    entry = {"epoch": epoch, "rebuilt_from_checkpoint": True, **{f"val_{k}": float(v) for k, v in measured.items()}}
    append_history(workdir, entry)
    return read_history(workdir)


# -- callbacks -------------------------------------------------------------------
def export_in_tensorflow(workdir, epoch):
    """Export a workdir's checkpoint from a TensorFlow process (for runs on another backend); returns the path."""
    import subprocess
    import sys

    # PYTHONSAFEPATH and the workdir as cwd: the package is imported as this process imported it, never from
    # a source checkout that happens to be the current directory.
    env = dict(os.environ, KERAS_BACKEND="tensorflow", PYTHONSAFEPATH="1")
    script = "import sys; from betavae_tf import export; export.export_checkpoint(*sys.argv[1:4])"
    prefix = checkpoints.prefix(workdir, epoch)
    command = [sys.executable, "-c", script, workdir, prefix, os.path.join(workdir, "export")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=workdir)
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"exporting {workdir} in TensorFlow failed: {lines[-1] if lines else done.returncode}")
    exports = os.path.join(workdir, "export")
    from betavae_tf import export as export_lib

    return os.path.join(exports, str(export_lib.versions(exports)[-1]))


# -- the run ---------------------------------------------------------------------


def train_and_evaluate(config: TrainConfig, workdir: str | os.PathLike, *, flags_text: str | None = None) -> dict:
    """Train (or resume) a BetaVAE in workdir; returns a dict of results.

    flags_text, if given (the CLI's effective flags), is saved as workdir/flags.txt.

    Raises ValueError (bad settings, a workdir of another run or in use by
    another process, damaged data), FileNotFoundError (no dataset) or
    TrainingDivergedError (non-finite loss; the last good checkpoint stays).
    """
    recorded = recorded_setting(workdir, "beta") if config.beta is None else None
    if recorded is not None:  # a resumed run without --beta continues at the beta it was trained with
        config = dataclasses.replace(config, beta=float(recorded))
        logging.info("beta = %g, as %s was trained with", config.beta, workdir)
    manifest, model_config = validate(config)
    if config.beta is None:
        logging.info("%s", default_beta_sentence(model_config))
    # "auto" and the default beta resolved, as the workdir records them
    config = dataclasses.replace(
        config,
        decoder=model_config.decoder,
        beta=model_config.beta,
        backend=backend_lib.resolve(config.backend),
        jit_compile=str(config.jit_compile).lower(),
    )
    workdir = places.resolve(workdir)  # a linked workdir is used where it points, throughout
    check_placement(workdir, config.data_dir)
    effective = _effective_config(config, model_config, manifest)
    check_workdir(workdir, effective)

    backend_lib.select(config.backend)  # before Keras starts
    import keras
    import tensorflow as tf

    if config.backend == "tensorflow":
        strategy = make_strategy(config.strategy, config.tpu)
    else:
        strategy = KerasDistribution(config.backend)
    task_type, task_id, chief = task_of(strategy)
    steps, n_val = _check_batches(config, manifest, strategy.num_replicas_in_sync)
    lock = fileio.locked(workdir) if chief else contextlib.nullcontext()
    with lock:
        check_workdir(workdir, effective)  # again: another process may have written it meanwhile
        plan = _Plan(
            config,
            workdir,
            effective,
            model_config,
            manifest,
            strategy,
            task_type,
            task_id,
            chief,
            steps,
            n_val,
            flags_text,
        )
        return _train_locked(plan, keras, tf)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """Everything a run has settled before it takes the workdir's lock."""

    config: TrainConfig
    workdir: str
    effective: dict
    model_config: object
    manifest: dict
    strategy: object
    task_type: object
    task_id: int
    chief: bool
    steps: int
    n_val: int
    flags_text: object


def _train_locked(plan, keras, tf):
    config, workdir, effective, model_config = plan.config, plan.workdir, plan.effective, plan.model_config
    manifest, strategy, task_type, task_id, chief = (
        plan.manifest,
        plan.strategy,
        plan.task_type,
        plan.task_id,
        plan.chief,
    )
    steps, n_val, flags_text = plan.steps, plan.n_val, plan.flags_text
    from betavae_tf import export as export_lib
    from betavae_tf.data.pipeline import dataset_errors
    from betavae_tf.models import BetaVAE, paper_optimizer

    replicas = strategy.num_replicas_in_sync
    checkpoint_dir = os.path.join(workdir, "checkpoints")
    # The workdir's own checkpoint files decide where a run resumes; a damaged newest one is passed
    # over, saying so, and the state file is rewritten from what is really there.
    done, damaged = checkpoints.newest_intact(workdir)
    for epoch, why in damaged:
        logging.warning(
            "checkpoint ckpt-%d of %s is damaged (%s); resuming from %s, the newest intact one",
            epoch,
            workdir,
            why,
            f"ckpt-{done}" if done else "the start",
        )
    if chief:
        checkpoints.write_state(workdir, [e for e in checkpoints.on_disk(workdir) if e <= done])
        prepare_workdir(workdir, done)
    # Before the datasets: a seeded tf.data shuffle also depends on the global seed.
    keras.utils.set_random_seed(config.seed)
    train, validation = _datasets(config, replicas, steps, n_val, done)
    if chief:
        fileio.write_json_atomic(os.path.join(workdir, "config.json"), effective)
        if flags_text is not None:
            fileio.write_text_atomic(os.path.join(workdir, "flags.txt"), flags_text)

    previous_policy = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(config.precision)
    try:
        steps_per_execution, jit_compile, device = accelerator_settings(config, strategy)
        logging.info(
            "training on %s (%s, %d replica(s)): steps_per_execution %d%s, jit_compile %s%s, precision %s",
            backend_lib.describe(config.backend),
            getattr(strategy, "name", type(strategy).__name__),
            replicas,
            steps_per_execution,
            "" if config.steps_per_execution else f" (auto for {device})",
            jit_compile,
            f" (auto for {device})" if config.jit_compile == "auto" else "",
            config.precision,
        )
        keras.utils.set_random_seed(config.seed)  # the same initial weights for the same seed
        with strategy.scope():
            model = BetaVAE.from_model_config(model_config)
            optimizer = paper_optimizer(config.learning_rate, config.adam_beta_1, config.adam_beta_2)
            model.compile(optimizer=optimizer, jit_compile=jit_compile, steps_per_execution=steps_per_execution)
            optimizer = model.optimizer  # a LossScaleOptimizer under mixed_float16
            optimizer.build(model.trainable_variables)
        mirror = None
        if config.backend == "tensorflow":
            checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
        else:  # Keras variables that are not tf.Variables: the backend-independent layout (checkpoints.py)
            mirror = checkpoints.VariableMirror(model, optimizer)
            checkpoint = mirror.checkpoint
        if not chief:  # other workers write throw-away copies (tf.distribute's pattern)
            own_dir = os.path.join(workdir, "checkpoints-tmp", f"{task_type}-{task_id}")
        else:
            own_dir = checkpoint_dir
        if done:
            if mirror is not None:
                mirror.restore(checkpoints.prefix(workdir, done))
            else:
                checkpoint.restore(checkpoints.prefix(workdir, done)).assert_existing_objects_matched()
            # The checkpoint carries the learning rate it was saved with; the
            # flags of this run decide it (a resumed run may lower it).
            optimizer.learning_rate = config.learning_rate
            logging.info("resuming %s from epoch %d", workdir, done)
        manager = tf.train.CheckpointManager(checkpoint, own_dir, max_to_keep=config.keep_checkpoints)

        def save(epoch):
            if mirror is not None:
                mirror.pull()
            manager.save(checkpoint_number=epoch)

        probe = _probe_samples(config, manifest) if chief and config.summary_images else None
        guard, callbacks = make_callbacks(config, workdir, save, chief, probe, done)
        if done < config.epochs:
            try:
                with dataset_errors(config.data_dir):
                    model.fit(
                        train,
                        epochs=config.epochs,
                        initial_epoch=done,
                        steps_per_epoch=steps,
                        validation_data=validation,
                        callbacks=callbacks,
                        verbose=keras_verbosity(config.verbose),
                        shuffle=False,
                    )
            except BaseException:
                if chief:  # a checkpoint cut short (a full disk, Ctrl-C) leaves no temporaries
                    remove_checkpoint_temporaries(checkpoint_dir)
                raise
        if not chief:
            shutil.rmtree(os.path.join(workdir, "checkpoints-tmp", f"{task_type}-{task_id}"), ignore_errors=True)
        kept = latest_epoch(checkpoint_dir)
        if guard.diverged:
            epoch, batch = guard.diverged
            where = f"epoch {epoch + 1}" + (f", step {batch + 1}" if batch is not None else "")
            raise TrainingDivergedError(
                f"the loss became NaN or infinite at {where}; training stopped and the last good "
                f"checkpoint (epoch {kept}) is kept in {checkpoint_dir}. Lower the learning rate "
                "or check the data."
            )
        history = read_history(workdir)
        if chief and kept and (not history or history[-1]["epoch"] != kept):
            data, eval_steps = (validation, None) if validation is not None else (train, steps)
            history = _rebuild_final_entry(model, workdir, history, kept, data, eval_steps)
        missing = sorted(set(range(1, kept + 1)) - {h["epoch"] for h in history})
        result = {
            "epochs": kept,
            "planned_epochs": config.epochs,
            "finished": kept >= config.epochs,
            "resumed_from_epoch": done,
            "final": history[-1] if history else {},
            "workdir": os.path.abspath(workdir),
            "replicas": replicas,
            "precision": config.precision,
            "strategy": getattr(strategy, "name", type(strategy).__name__),
            "backend": config.backend,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        if missing:
            result["history_missing_epochs"] = missing
        if chief and config.export and config.backend == "tensorflow":
            result["export_dir"] = export_lib.export_saved_model(
                float32_copy(model),
                os.path.join(workdir, "export"),
                metadata={"config": effective, "epoch": kept, "final": result["final"]},
            )
        elif chief and config.export and kept:
            # The SavedModel is TensorFlow's: a TensorFlow process rebuilds the model from this run's
            # backend-independent checkpoint and writes the same signatures (as betavae-export).
            result["export_dir"] = export_in_tensorflow(workdir, kept)
        if chief:
            fileio.write_json_atomic(os.path.join(workdir, "result.json"), result)
        result["history"] = history
        result["model"] = model
        return result
    finally:
        keras.mixed_precision.set_dtype_policy(previous_policy)
