"""betavae_tf: beta-VAE and beta^2-VAE for classical lattice models (Huang, Hu, Yang).

The public API is importable from here; each name loads its module (and
TensorFlow or Keras, where it needs them) on first use, so `import
betavae_tf` stays instant:

    import betavae_tf as bv
    bv.generate(bv.GenerateConfig(model="ising", lattice_size=16), "data")
    bv.train_and_evaluate(bv.TrainConfig(data_dir="data", epochs=10), "run")
    report = bv.analyze(bv.AnalyzeConfig(workdirs=("run",), out="report"))
"""

import importlib

from betavae_tf import _registration
from betavae_tf.version import __version__

_registration.install()  # BetaVAE & co. become loadable from .keras files once Keras is imported

# name -> the module that defines it
_API = {
    # models (Keras 3; TFP distributions under TensorFlow)
    "BetaVAE": "betavae_tf.models.vae",
    "ModelConfig": "betavae_tf.models.config",
    "KLAnnealing": "betavae_tf.models.annealing",
    "paper_optimizer": "betavae_tf.models.vae",
    "HEADS": "betavae_tf.models.heads",
    # lattice models and their Monte Carlo data
    "LatticeModel": "betavae_tf.lattice",
    "LATTICE_MODELS": "betavae_tf.lattice",
    "GenerateConfig": "betavae_tf.data.generate",
    "generate": "betavae_tf.data.generate",
    "import_numpy": "betavae_tf.data.importer",
    "import_configurations": "betavae_tf.data.importer",
    "make_dataset": "betavae_tf.data.pipeline",
    "load_numpy": "betavae_tf.data.pipeline",
    # training and export
    "TrainConfig": "betavae_tf.train_config",
    "train_and_evaluate": "betavae_tf.train_lib",
    "export_saved_model": "betavae_tf.export",
    "load_workdir_model": "betavae_tf.export",
    # analysis, reproduction, exact sampling
    "AnalyzeConfig": "betavae_tf.analysis.discovery",
    "analyze": "betavae_tf.analysis.discovery",
    "analyze_run": "betavae_tf.analysis.discovery",
    "ReproduceConfig": "betavae_tf.analysis.reproduce",
    "reproduce": "betavae_tf.analysis.reproduce",
    "Target": "betavae_tf.sampling",
    "exact_sample": "betavae_tf.sampling",
    "thermodynamics": "betavae_tf.sampling",
}
_RENAMED = {"LATTICE_MODELS": "MODELS"}

__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), _RENAMED.get(name, name))
        globals()[name] = value
        return value
    raise AttributeError(f"module 'betavae_tf' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
