"""The latent means of an analysed run for TensorBoard's Embedding Projector.

    tensorboard --logdir=OUT/tensorboard     # then the PROJECTOR tab

One directory per run: latent.tsv (the posterior means, one row a
configuration), metadata.tsv (temperature, coupling, phase label, |m| where
the data carry a magnetization, cluster and its role) and
projector_config.pbtxt pointing at both. Large datasets are thinned to
MAX_POINTS rows (evenly spaced), which the projector handles smoothly.
"""

import os

import numpy as np

from betavae_tf import fileio

MAX_POINTS = 20000


def write_projector(logdir, z, columns, name="latent means"):
    """Write the embedding z [N, d] with metadata columns {name: [N] values} for the projector into logdir."""
    from tensorboard.plugins import projector

    z = np.asarray(z, dtype=np.float64)
    keep = np.linspace(0, len(z) - 1, MAX_POINTS).astype(int) if len(z) > MAX_POINTS else np.arange(len(z))
    os.makedirs(logdir, exist_ok=True)
    rows = ["\t".join(f"{v:.6g}" for v in row) for row in z[keep]]
    fileio.write_text_atomic(os.path.join(logdir, "latent.tsv"), "\n".join(rows) + "\n")
    names = list(columns)
    lines = ["\t".join(names)] + ["\t".join(_cell(columns[n][i]) for n in names) for i in keep]
    fileio.write_text_atomic(os.path.join(logdir, "metadata.tsv"), "\n".join(lines) + "\n")
    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = name
    embedding.tensor_path = "latent.tsv"
    embedding.metadata_path = "metadata.tsv"
    projector.visualize_embeddings(logdir, config)
    return logdir


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}" if np.isfinite(value) else "nan"
    return str(value).replace("\t", " ").replace("\n", " ")
