"""Import a user's own spin configurations (.npy / .npz) into the dataset format."""
import os
import zipfile

import numpy as np

import mc_ext
from betavae_tf import lattice
from betavae_tf import phases as ph
from betavae_tf.data import format as fmt
from betavae_tf.physics import (ISING_CRITICAL_TEMPERATURE, energy_per_site, magnetization,
                                staggered_magnetization, to_spins)

SPIN_KEYS = ("spins", "configurations", "x")
TEMPERATURE_KEYS = ("temperatures", "temperature", "T")


def _checked_size(path, shape, dtype, stored, what):
    """Refuse an array whose header claims more data than the file holds, or than memory allows."""
    if dtype.hasobject:
        raise ValueError(f"{path} holds Python objects; only numeric arrays are read (no pickles).")
    needed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if needed > stored:
        raise ValueError(f"{path} is truncated or corrupt: its {what} header declares shape {tuple(shape)} "
                         f"({needed} bytes), but only {stored} bytes follow.")
    mc_ext.check_memory(2 * needed, f"reading {path}")


def _read_header(f):
    """(shape, fortran_order, dtype) of the .npy stream f, positioned after its header."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)


def _read_npz_member(archive, path, name):
    """One array of an open .npz, its header checked before the data are read."""
    info = archive.getinfo(f"{name}.npy")
    with archive.open(info) as f:
        try:
            shape, _, dtype = _read_header(f)
        except ValueError as e:
            raise ValueError(f"{path}: the array {name!r} has no valid .npy header ({e}).") from None
        _checked_size(path, shape, dtype, info.file_size - f.tell(), f"array {name!r}")
    with np.load(path, allow_pickle=False) as data:
        return data[name]


def _load_arrays(path, what):
    """{name: array} of a .npz, or {None: array} of a .npy; headers are checked before any data is read."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} file {path} does not exist.")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n[:-4] for n in archive.namelist() if n.endswith(".npy")]
                return {name: _read_npz_member(archive, path, name) for name in names}
        with open(path, "rb") as f:
            shape, _, dtype = _read_header(f)
            _checked_size(path, shape, dtype, os.path.getsize(path) - f.tell(), ".npy")
        return {None: np.load(path, allow_pickle=False)}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        if isinstance(e, ValueError) and str(e).startswith(path):
            raise
        raise ValueError(f"{path} is not a readable .npy or .npz file ({e}).") from None


def _load_array(path, keys, what):
    arrays = _load_arrays(path, what)
    if None in arrays:
        return arrays[None], None
    found = [k for k in keys if k in arrays]
    if found:
        values = arrays[found[0]]
    elif len(arrays) == 1:
        values = next(iter(arrays.values()))
    else:
        raise ValueError(f"{path} holds {sorted(arrays)}; name the {what} array one of {keys}.")
    t_keys = [k for k in TEMPERATURE_KEYS if k in arrays]
    return values, (arrays[t_keys[0]] if t_keys else None)


def load_spins(path, temperatures_path=None):
    """Spins as uint8 sigma (N, L, L) and temperatures (N,) (NaN when unknown)."""
    raw, temperatures = _load_array(path, SPIN_KEYS, "spins")
    if temperatures_path:
        temperatures, _ = _load_array(temperatures_path, TEMPERATURE_KEYS, "temperatures")
    if raw.ndim == 4 and raw.shape[-1] == 1:
        raw = raw[..., 0]
    if raw.ndim != 3 or raw.shape[1] != raw.shape[2] or raw.shape[0] < 1 or raw.shape[1] < 2:
        raise ValueError(f"spins must have shape (N, L, L) or (N, L, L, 1) with N >= 1 and L >= 2, "
                         f"got {raw.shape}.")
    # The same spin-encoding rules as every observable: {0, 1} or {-1, +1}, finite.
    sigma = ((to_spins(raw) + 1) // 2).astype(np.uint8)
    n = sigma.shape[0]
    if temperatures is None:
        temperatures = np.full(n, np.nan)
    temperatures = np.asarray(temperatures, dtype=np.float64).reshape(-1)
    if temperatures.size == 1:
        temperatures = np.full(n, temperatures[0])
    if temperatures.shape != (n,):
        raise ValueError(f"temperatures must have one value per sample ({n}), got {temperatures.size}.")
    if np.any(temperatures[~np.isnan(temperatures)] <= 0) or np.any(np.isinf(temperatures)):
        raise ValueError("temperatures must be positive and finite.")
    return sigma, temperatures


def _check_shards(n_shards):
    if isinstance(n_shards, bool) or not isinstance(n_shards, (int, np.integer)) or n_shards < 1:
        raise ValueError(f"n_shards must be a positive integer, got {n_shards!r}.")


def import_numpy(path, out_dir, *, temperatures_path=None, coupling=1.0, field=0.0, seed=0,
                 n_shards=8, overwrite=False):
    """Write a dataset directory from a .npy/.npz file of spin configurations."""
    if not np.isfinite(coupling) or not np.isfinite(field):
        raise ValueError("coupling and field must be finite.")
    _check_shards(n_shards)
    fmt.check_output_dir(out_dir, overwrite)
    sigma, temperatures = load_spins(path, temperatures_path)
    labels = {
        "temperature": temperatures,
        "coupling": np.full(sigma.shape[0], float(coupling)),
        "energy": energy_per_site(sigma, coupling, field),
        "magnetization": magnetization(sigma),
        "staggered_magnetization": staggered_magnetization(sigma),
        "phase": lattice.phase_of(temperatures, coupling, ISING_CRITICAL_TEMPERATURE),
    }
    order = np.random.default_rng(seed).permutation(sigma.shape[0])
    manifest = {
        "model": "ising",
        "source": f"import:{os.path.basename(path)}",
        "couplings": [float(coupling)],
        "field": float(field),
        "temperatures": sorted(set(temperatures[~np.isnan(temperatures)].tolist())),
        "critical_temperature": ISING_CRITICAL_TEMPERATURE,
        "seed": seed,
    }
    return fmt.write_dataset(out_dir, sigma[order], {k: v[order] for k, v in labels.items()},
                             manifest, n_shards=n_shards, overwrite=overwrite)


# -- MNIST --------------------------------------------------------------------------
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_SPLITS = ("train", "test", "all")
MNIST_PHASES = ph.digits()
MNIST_HELP = ("put the four standard MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
              "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz) in a directory, or give "
              "Keras' mnist.npz; nothing is downloaded at run time")


def read_idx(path):
    """One IDX file (optionally gzipped) as a uint8 array of the shape its header declares."""
    import gzip
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
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path} is truncated or corrupt: its header declares shape {shape} "
                         f"({expected} bytes), but it has {len(data)} bytes.")
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
        try:
            data = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as e:
            raise ValueError(f"{path} is not a readable mnist.npz ({e}).") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{path} is a .npy array; MNIST needs mnist.npz with x_train, y_train, "
                             "x_test, y_test or the IDX files.")
        with data:
            for part in parts:
                for key in (f"x_{part}", f"y_{part}"):
                    if key not in data.files:
                        raise ValueError(f"{path} has no array {key!r}; mnist.npz holds x_train, y_train, "
                                         "x_test, y_test.")
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
    _check_shards(n_shards)
    fmt.check_output_dir(out_dir, overwrite)
    images, digits = load_mnist(path, split)
    if limit:
        images, digits = images[:limit], digits[:limit]
    x = pad_mnist(images)
    n = len(x)
    nan = np.full(n, np.nan)
    labels = {"temperature": nan, "coupling": nan, "energy": nan,
              "magnetization": nan, "staggered_magnetization": nan, "phase": digits}
    order = np.random.default_rng(seed).permutation(n)
    manifest = {"model": "mnist", "source": f"mnist:{os.path.basename(os.path.abspath(path))}:{split}",
                "couplings": [], "temperatures": [], "critical_temperature": None, "seed": seed,
                "mnist_split": split, "padding": "28 x 28 zero-padded to 32 x 32"}
    return fmt.write_dataset(out_dir, x[order], {k: v[order] for k, v in labels.items()}, manifest,
                             n_shards=n_shards, overwrite=overwrite, encoding="uint8",
                             phases=MNIST_PHASES)
