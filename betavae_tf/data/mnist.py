"""MNIST as a dataset (Sec. V-C of the paper): the IDX files or Keras' mnist.npz read from disk, never downloaded."""

import gzip
import os

import numpy as np

from betavae_tf import fileio
from betavae_tf import phases as ph
from betavae_tf.data import format as fmt
from betavae_tf.data import shards
from betavae_tf.data.importer import check_shard_count, load_arrays

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_SPLITS = ("train", "test", "all")
MNIST_PHASES = ph.digits()
MNIST_HELP = (
    "put the four standard MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz) in a directory, or give "
    "Keras' mnist.npz; nothing is downloaded at run time"
)


def read_idx(path):
    """One IDX file (optionally gzipped) as a uint8 array of the shape its header declares."""

    fileio.check_regular_file(path, "MNIST file")
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path} cannot be read as an IDX file ({e}).") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    if data[2] != 0x08:
        raise ValueError(f"{path} holds IDX type 0x{data[2]:02x}; MNIST files are unsigned bytes (0x08).")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: its header is incomplete.")
    shape = tuple(int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: its header declares shape {shape} "
            f"({expected} bytes), but it has {len(data)} bytes."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _find(directory, name):
    for candidate in (name, name + ".gz"):
        full = os.path.join(directory, candidate)
        if os.path.isfile(full):
            return full
    raise FileNotFoundError(f"MNIST file {name}(.gz) not found in {directory}: {MNIST_HELP}.")


def load_mnist(path, split="train"):
    """(images uint8 (N, 28, 28), digits int64 (N,)) from an IDX directory or mnist.npz."""
    if split not in MNIST_SPLITS:
        raise ValueError(f"split must be one of {MNIST_SPLITS}, got {split!r}.")
    parts = ("train", "test") if split == "all" else (split,)
    if not os.path.exists(path):
        raise FileNotFoundError(f"MNIST path {path} does not exist: {MNIST_HELP}.")
    images, labels = [], []
    if os.path.isfile(path):
        data = load_arrays(path, "MNIST")  # every header checked before its data are read
        if None in data:
            raise ValueError(
                f"{path} is a .npy array; MNIST needs mnist.npz with x_train, y_train, x_test, y_test or the IDX files."
            )
        for part in parts:
            for key in (f"x_{part}", f"y_{part}"):
                if key not in data:
                    raise ValueError(f"{path} has no array {key!r}; mnist.npz holds x_train, y_train, x_test, y_test.")
            images.append(np.asarray(data[f"x_{part}"]))
            labels.append(np.asarray(data[f"y_{part}"]))
    else:
        for part in parts:
            image_file, label_file = MNIST_FILES[part]
            images.append(read_idx(_find(path, image_file)))
            labels.append(read_idx(_find(path, label_file)))
    for x, y in zip(images, labels):
        if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
            raise ValueError(f"MNIST images must be uint8 (N, 28, 28), got {x.dtype} {x.shape}.")
        if y.shape != (x.shape[0],):
            raise ValueError(f"MNIST has {x.shape[0]} images but {y.size} labels.")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise ValueError("MNIST labels must be digits 0-9.")
    return np.concatenate(images), np.concatenate(labels).astype(np.int64)


def pad_mnist(images, size=32):
    """28 x 28 -> size x size by zero padding (centred), as uint8 (N, size, size, 1)."""
    pad = size - images.shape[1]
    if pad < 0 or pad % 2:
        raise ValueError(f"cannot pad {images.shape[1]} x {images.shape[2]} images to {size}.")
    return np.pad(images, ((0, 0), (pad // 2, pad // 2), (pad // 2, pad // 2)))[..., None]


def import_mnist(path, out_dir, *, split="train", limit=0, seed=0, n_shards=8, overwrite=False):
    """Write MNIST as a dataset directory: 32 x 32 uint8 images (the model sees [0, 1]), phase = digit.

    limit > 0 keeps the first `limit` images of the split (a fixed, seed-independent subset).
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0 (0: all), got {limit}.")
    check_shard_count(n_shards)
    fmt.check_output_dir(out_dir, overwrite)
    images, digits = load_mnist(path, split)
    if limit:
        images, digits = images[:limit], digits[:limit]
    x = pad_mnist(images)
    n = len(x)
    labels = fmt.labels_for(n, phase=digits)
    order = np.random.default_rng(seed).permutation(n)
    manifest = {
        "model": "mnist",
        "source": f"mnist:{os.path.basename(os.path.abspath(path))}:{split}",
        "couplings": [],
        "temperatures": [],
        "critical_temperature": None,
        "seed": seed,
        "mnist_split": split,
        "padding": "28 x 28 zero-padded to 32 x 32",
    }
    kept = dict(n_shards=n_shards, overwrite=overwrite, encoding="uint8", phases=MNIST_PHASES)
    return shards.write_dataset(out_dir, x, labels, manifest, order=order, **kept)
