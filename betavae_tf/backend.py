"""The Keras backend a run trains on, the device it finds, and the accelerator settings that fit it.

Keras fixes its backend when it is first imported (from ``KERAS_BACKEND``),
so a process trains on one backend: ``select`` sets it before Keras starts
and refuses, in one sentence, a backend other than the one already loaded.

  tensorflow  the default: tf.distribute strategies (one device, mirrored,
              multi-worker, TPU), the fused Adam kernel, everything the package does
  jax         Keras's JAX trainer (XLA-compiled steps), several devices through
              keras.distribution.DataParallel; training only: export, analysis and
              sampling run on the TensorFlow model rebuilt from the run's weights

``accelerator_defaults`` gives the ``--steps_per_execution`` and
``--jit_compile`` that ``auto`` resolves to per backend and device kind
(docs/benchmarks.md has the measurements behind them).
"""

import os
import sys

BACKENDS = ("tensorflow", "jax")
CHOICES = ("auto",) + BACKENDS

# (backend, device kind) -> (steps_per_execution, jit_compile), what measured fastest (docs/benchmarks.md):
# on a CPU a step is long (tens of ms), so running several per call gains nothing and XLA's CPU code is
# slower than TensorFlow's oneDNN kernels; on a GPU a Table I step at batch 128 is launch-bound, so
# compiling it and running 32 steps per call pays (Keras-JAX on one H200: 53k samples/s at 1, 76k at 32).
_DEFAULTS = {
    ("tensorflow", "cpu"): (1, False),
    ("tensorflow", "gpu"): (32, True),
    ("tensorflow", "tpu"): (32, True),
    ("jax", "cpu"): (1, True),
    ("jax", "gpu"): (32, True),
    ("jax", "tpu"): (32, True),
}


def resolve(name):
    """The backend a setting names: auto is KERAS_BACKEND when set, else tensorflow."""
    if name not in CHOICES:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(CHOICES)}.")
    if name != "auto":
        return name
    env = os.environ.get("KERAS_BACKEND", "").strip() or "tensorflow"
    if env not in BACKENDS:
        raise ValueError(f"KERAS_BACKEND={env} is not a backend this package trains on; use {' or '.join(BACKENDS)}.")
    return env


def loaded():
    """The backend of the Keras already imported in this process, or None."""
    if "keras" not in sys.modules:
        return None
    import keras

    return keras.backend.backend()


def select(name):
    """Make name (resolved) the Keras backend of this process before Keras starts; returns it."""
    name = resolve(name)
    current = loaded()
    if current is None:
        os.environ["KERAS_BACKEND"] = name
        return name
    if current != name:
        raise ValueError(
            f"this process already runs Keras on {current}, and Keras fixes its backend when it is "
            f"first imported; start a new process with KERAS_BACKEND={name} (the command-line tools "
            "do this for --backend)."
        )
    return name


def device_kind(name):
    """'gpu', 'tpu' or 'cpu': the best device the backend sees."""
    if name == "jax":
        import jax

        platform = jax.default_backend()
        return {"cuda": "gpu", "rocm": "gpu"}.get(platform, platform if platform in ("gpu", "tpu") else "cpu")
    import tensorflow as tf

    if tf.config.list_logical_devices("TPU"):
        return "tpu"
    return "gpu" if tf.config.list_logical_devices("GPU") else "cpu"


def device_count(name):
    """Devices of the best kind the backend sees (JAX's data-parallel width)."""
    if name == "jax":
        import jax

        return len(jax.devices())
    import tensorflow as tf

    kind = device_kind(name)
    return max(1, len(tf.config.list_logical_devices(kind.upper())))


def accelerator_defaults(name, kind):
    """(steps_per_execution, jit_compile) that auto means for a backend on a device kind."""
    return _DEFAULTS.get((name, kind), (1, name == "jax"))


def describe(name):
    """One line naming the backend and its devices (for logs and benchmarks)."""
    if name == "jax":
        import jax

        devices = jax.devices()
        return f"jax {jax.__version__} on {len(devices)} x {devices[0].device_kind} ({jax.default_backend()})"
    import tensorflow as tf

    kind = device_kind(name)
    devices = tf.config.list_logical_devices(kind.upper())
    detail = ""
    if kind == "gpu":
        try:
            detail = " " + tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0]).get(
                "device_name", ""
            )
        except (RuntimeError, IndexError, ValueError):
            detail = ""
    return f"tensorflow {tf.__version__} on {len(devices)} x {kind}{detail}"


def tensorflow_probability():
    """tensorflow_probability, imported where Python 3.12+ has no distutils for it.

    TFP 0.25 checks TensorFlow's version with distutils.version, which left the
    standard library in Python 3.12. setuptools provides it, but only from
    interpreter start-up (its distutils-precedence.pth); in a running kernel
    whose install cell has just installed setuptools (a fresh Colab runtime),
    `import distutils` still fails. Then setuptools' own copy is registered
    under that name before TFP is imported.
    """
    if "tensorflow_probability" not in sys.modules:
        import importlib.util

        try:
            missing = importlib.util.find_spec("distutils") is None
        except (ImportError, ValueError):
            missing = True
        if missing:
            try:
                import setuptools._distutils as distutils
                import setuptools._distutils.version as version
            except ImportError:
                pass  # TFP's own ImportError will name distutils
            else:
                sys.modules.setdefault("distutils", distutils)
                sys.modules.setdefault("distutils.version", version)
    import tensorflow_probability

    return tensorflow_probability
