"""Table I / II networks, TFP distribution heads and the BetaVAE model.

ModelConfig and HEADS import without TensorFlow (flag checks stay instant);
the model names load Keras and TFP on first use.
"""
import importlib

from betavae_tf.models.config import HEADS, ModelConfig, check_lattice_size

_LAZY = {
    "BetaVAE": "vae", "FusedAdam": "vae", "float32_model": "vae", "kl_per_dimension": "vae", "paper_optimizer": "vae",
    "build_encoder": "networks", "build_decoder_trunk": "networks",
    "distribution": "heads", "head_output_names": "heads", "mean_parameter": "heads",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"betavae_tf.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'betavae_tf.models' has no attribute {name!r}")


__all__ = ["HEADS", "ModelConfig", "check_lattice_size", *_LAZY]
