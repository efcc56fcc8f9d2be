"""Shared test settings: quiet TensorFlow, and the repository root for flagfiles."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def train_data_dir(tmp_path_factory):
    """A tiny three-phase Ising set for training tests: L = 8, 256 samples, 4 shards."""
    from betavae_tf.data.generate import GenerateConfig, generate

    config = GenerateConfig(
        lattice_size=8, couplings=(1.0, -1.0), temperatures=(1.5, 3.0), samples_per_point=64, seed=1, n_shards=4
    )
    return generate(config, str(tmp_path_factory.mktemp("train") / "ising8"), log=None)


def subprocess_env():
    """Environment for console-script subprocesses: quiet, CPU only, no stray TF_CONFIG."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    return env


def run_cli(name, *args, cwd=None, timeout=300):
    """A console script of this virtualenv, run quietly on the CPU (see subprocess_env)."""
    import subprocess
    import sys

    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), name), *args],
        cwd=cwd or REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_sentence(result, code, *fragments):
    """The command failed with `code` and one 'program: error: ...' line holding every fragment."""
    assert result.returncode == code, (result.returncode, result.stdout[-1000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr[-2000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def tiny_train_config(data_dir, **overrides):
    """A TrainConfig of one or two short epochs on a tiny dataset (no export, no image summaries)."""
    from betavae_tf import train_lib

    settings = dict(
        data_dir=data_dir, batch_size=32, epochs=1, steps_per_epoch=2, verbose=0, summary_images=False, export=False
    )
    return train_lib.TrainConfig(**dict(settings, **overrides))
