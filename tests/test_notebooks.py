"""The Colab notebooks run end to end (tiny parameters) and are stored without outputs."""

import os

import nbformat
import pytest
from conftest import REPO_ROOT
from nbclient import NotebookClient

COLAB = os.path.join(REPO_ROOT, "colab")
NOTEBOOKS = ("quickstart.ipynb", "reproduce_paper.ipynb", "your_own_data.ipynb")


def _tiny_parameters(name, tmp_path):
    if name == "your_own_data.ipynb":
        return (
            'NPZ = ""\nQ = 3\nLATTICE_SIZE = 8\nSAMPLES_PER_TEMPERATURE = 12\n'
            "TEMPERATURES = (0.7, 0.9, 1.0, 1.1, 1.3)\nEPOCHS = 1\nSTEPS_PER_EPOCH = 2\nBATCH_SIZE = 16\n"
            f'BETA = 65.0\nWORKDIR = "{tmp_path}/own"\nSEED = 0\n'
        )
    if name == "quickstart.ipynb":
        return (
            f"LATTICE_SIZE = 8\nSAMPLES_PER_POINT = 16\nEPOCHS = 1\nSTEPS_PER_EPOCH = 2\n"
            f'BATCH_SIZE = 32\nWORKDIR = "{tmp_path}/quick"\nSEED = 0\n'
        )
    return (
        f'SCALE = "quick"\nFIGURES = (2, 3, 4)\nBETAS = (1.0, 100.0)\nOUT = "{tmp_path}/repro"\n'
        'DATA_FLAGS = ("--lattice_size=8", "--samples_per_point=8", "--n_shards=2")\n'
        'TRAIN_FLAGS = ("--epochs=1", "--steps_per_epoch=2", "--batch_size=32", '
        '"--nosummary_images", "--noexport")\nN_GENERATED = 64\n'
    )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stripped(name):
    nb = nbformat.read(os.path.join(COLAB, name), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_with_tiny_parameters(name, tmp_path):
    nb = nbformat.read(os.path.join(COLAB, name), as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = _tiny_parameters(name, tmp_path)
    # The kernel runs outside the repository, so it imports the installed package.
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    if name == "your_own_data.ipynb":
        assert "ordered branches" in text and "Tc from PCA:" in text and "full report:" in text
        assert "(steepest slope)" in text
        assert "decoder: multinomial" in text and (tmp_path / "own" / "analysis" / "report.md").exists()
    elif name == "quickstart.ipynb":
        assert "same as Keras: True" in text and "generated phases:" in text
        assert any("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    else:
        assert "full report:" in text and "trained on your data:" in text
        assert (tmp_path / "repro" / "report.md").exists()
