"""Shared test settings: quiet TensorFlow, and the repository root for flagfiles."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def train_data_dir(tmp_path_factory):
    """A tiny three-phase Ising set for training tests: L = 8, 256 samples, 4 shards."""
    from betavae_tf.data.generate import GenerateConfig, generate
    config = GenerateConfig(lattice_size=8, couplings=(1.0, -1.0), temperatures=(1.5, 3.0),
                            samples_per_point=64, seed=1, n_shards=4)
    return generate(config, str(tmp_path_factory.mktemp("train") / "ising8"), log=None)


def subprocess_env():
    """Environment for console-script subprocesses: quiet, CPU only, no stray TF_CONFIG."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    return env
