"""Where a run trains: a tf.distribute strategy by name, or Keras's own distribution on another backend.

make_strategy(name) gives the TensorFlow strategy of --strategy; KerasDistribution
stands in for it under JAX (several devices data-parallel through
keras.distribution); accelerator_settings picks steps_per_execution and XLA
for the device found (betavae_tf.backend.accelerator_defaults).
"""

import contextlib
import os

from betavae_tf import backend as backend_lib
from betavae_tf.train_config import STRATEGIES


def make_strategy(name, tpu=""):
    """A tf.distribute strategy by name; 'auto' picks GPUs when present, else the CPU."""
    import tensorflow as tf

    if name == "multi_worker":
        # First of all: collective ops must be configured before TensorFlow
        # initialises its devices (even listing them would be too late).
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "strategy multi_worker needs the TF_CONFIG environment variable "
                "describing the cluster and this worker's task."
            )
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


def task_of(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return None, 0, True
    task_type, task_id = resolver.task_type, resolver.task_id
    chief = task_type == "chief" or (
        task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()
    )
    return task_type, task_id, chief


class KerasDistribution:
    """What the run asks of a tf.distribute strategy, for a backend that distributes through keras.distribution:
    all devices of the best kind, data-parallel (the batch split across them) when there are several."""

    def __init__(self, backend):
        import keras

        self.backend = backend
        self.num_replicas_in_sync = backend_lib.device_count(backend)
        if self.num_replicas_in_sync > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel())
        self.cluster_resolver = None

    def scope(self):
        return contextlib.nullcontext()

    @property
    def name(self):
        return "DataParallel" if self.num_replicas_in_sync > 1 else "OneDevice"


def accelerator_settings(config, strategy):
    """(steps_per_execution, jit_compile) of a run: the flags, or for 0 / auto what measures fastest on the
    device found (backend.accelerator_defaults)."""
    kind = backend_lib.device_kind(config.backend)
    default_steps, default_jit = backend_lib.accelerator_defaults(config.backend, kind)
    steps = config.steps_per_execution or default_steps
    jit = default_jit if config.jit_compile == "auto" else config.jit_compile == "true"
    return steps, jit, kind
