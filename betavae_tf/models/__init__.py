"""Table I / II networks, TFP distribution heads and the BetaVAE model.

ModelConfig and HEADS import without TensorFlow (flag checks stay instant);
the model names load Keras and TFP on first use.
"""

import importlib

from betavae_tf.models.config import ModelConfig, check_lattice_size
from betavae_tf.models.heads import HEADS, Head, distribution, head_output_names, mean_parameter, register

_LAZY = {
    "BetaVAE": "vae",
    "KLAnnealing": "annealing",
    "FusedAdam": "vae",
    "float32_model": "vae",
    "kl_per_dimension": "vae",
    "paper_optimizer": "vae",
    "build_encoder": "networks",
    "build_decoder_trunk": "networks",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"betavae_tf.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'betavae_tf.models' has no attribute {name!r}")


__all__ = [
    "HEADS",
    "Head",
    "ModelConfig",
    "check_lattice_size",
    "distribution",
    "head_output_names",
    "mean_parameter",
    "register",
    *_LAZY,
]
