"""The public API at the package top level: lazy names, __all__, py.typed, and the docstring's example."""

import os
import subprocess
import sys

from conftest import subprocess_env

import betavae_tf


def test_import_is_light_and_every_public_name_resolves():
    probe = "import sys, betavae_tf; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=subprocess_env())
    assert done.stdout.split() == ["False", "False"], done.stderr[-2000:]
    assert set(betavae_tf.__all__) <= set(dir(betavae_tf))
    for name in betavae_tf.__all__:
        assert getattr(betavae_tf, name) is not None
    assert betavae_tf.BetaVAE is betavae_tf.models.vae.BetaVAE
    assert sorted(betavae_tf.LATTICE_MODELS) == sorted(betavae_tf.lattice.MODELS)


def test_the_package_is_marked_typed():
    assert os.path.isfile(os.path.join(os.path.dirname(betavae_tf.__file__), "py.typed"))


def test_the_docstring_example_runs_at_a_tiny_scale(tmp_path):
    import betavae_tf as bv

    data, run, report = (str(tmp_path / n) for n in ("data", "run", "report"))
    config = bv.GenerateConfig(
        model="ising", lattice_size=8, temperatures=(1.0, 1.8, 2.8, 3.6), samples_per_point=16, n_shards=1
    )
    bv.generate(config, data)
    train = bv.TrainConfig(data_dir=data, epochs=1, batch_size=16, steps_per_epoch=2, verbose=0)
    bv.train_and_evaluate(train, run)
    result = bv.analyze(bv.AnalyzeConfig(workdirs=(run,), out=report, n_bootstrap=10, max_clusters=3))
    assert os.path.isfile(os.path.join(report, "summary.json")) and result is not None


HIDE_DISTUTILS = """
import importlib.abc, sys
# Python 3.12+ in a kernel started before setuptools was installed: no distutils in the standard library,
# and setuptools' start-up hook (distutils-precedence.pth) never ran.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "DistutilsMetaFinder"]
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "distutils":
            raise ModuleNotFoundError("No module named 'distutils'", name=name)
sys.meta_path.insert(0, Hide())
for name in [m for m in sys.modules if m == "distutils" or m.startswith("distutils.")]:
    del sys.modules[name]
"""


def test_tfp_imports_where_the_standard_library_has_no_distutils():
    plain = HIDE_DISTUTILS + "import tensorflow_probability as t; t.distributions.Normal"  # TFP checks TF lazily
    done = subprocess.run([sys.executable, "-c", plain], capture_output=True, text=True, env=subprocess_env())
    assert done.returncode != 0 and "No module named 'distutils" in done.stderr  # what a fresh Colab kernel met
    ours = (
        HIDE_DISTUTILS
        + "from betavae_tf.backend import tensorflow_probability as t; t().distributions.Normal; print(t().__version__)"
    )
    done = subprocess.run([sys.executable, "-c", ours], capture_output=True, text=True, env=subprocess_env())
    assert done.returncode == 0 and done.stdout.startswith("0.25"), done.stderr[-2000:]
