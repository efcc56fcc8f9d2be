"""Datasets: the on-disk format, Monte Carlo generation, imports and tf.data input."""

from betavae_tf.data.format import PHASES, DatasetError, read_manifest
from betavae_tf.data.generate import GenerateConfig, generate, sample_grid
from betavae_tf.data.importer import import_configurations, import_numpy
from betavae_tf.data.shards import write_dataset
from betavae_tf.data.verify import summarize, verify_dataset


def make_dataset(*args, **kwargs):
    """See betavae_tf.data.pipeline.make_dataset (imported lazily: it loads TensorFlow)."""
    from betavae_tf.data.pipeline import make_dataset as _make

    return _make(*args, **kwargs)


def load_numpy(*args, **kwargs):
    """See betavae_tf.data.pipeline.load_numpy (imported lazily: it loads TensorFlow)."""
    from betavae_tf.data.pipeline import load_numpy as _load

    return _load(*args, **kwargs)


__all__ = [
    "PHASES",
    "DatasetError",
    "read_manifest",
    "summarize",
    "verify_dataset",
    "write_dataset",
    "GenerateConfig",
    "generate",
    "sample_grid",
    "import_configurations",
    "import_numpy",
    "make_dataset",
    "load_numpy",
]
