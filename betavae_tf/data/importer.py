"""Import a user's own spin configurations (.npy / .npz) into the dataset format."""

import os
import zipfile

import numpy as np

import mc_ext
from betavae_tf import fileio, lattice
from betavae_tf import phases as ph
from betavae_tf.data import format as fmt
from betavae_tf.data import shards
from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE, magnetization, staggered_magnetization, to_spins

SPIN_KEYS = ("spins", "configurations", "states", "samples", "x")
TEMPERATURE_KEYS = ("temperatures", "temperature", "T")
COUPLING_KEYS = ("couplings", "coupling", "J")
FIELD_KEYS = ("fields", "field", "h")
SIZE_KEYS = ("lattice_size", "L")
KINDS = ("auto", "ising", "states", "angles", "real")


def _checked_size(path, shape, dtype, stored, what):
    """Refuse an array whose header claims more data than the file holds, or than memory allows."""
    if dtype.hasobject:
        raise ValueError(f"{path} holds Python objects; only numeric arrays are read (no pickles).")
    needed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if needed > stored:
        raise ValueError(
            f"{path} is truncated or corrupt: its {what} header declares shape {tuple(shape)} "
            f"({needed} bytes), but only {stored} bytes follow."
        )
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


def load_arrays(path, what):
    """{name: array} of a .npz, or {None: array} of a .npy; headers are checked before any data is read."""
    fileio.check_regular_file(path, f"{what} file")
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
        raise ValueError(
            f"{path} is not a readable .npy or .npz file: it is corrupt or of another format ({e})."
        ) from None


def load_array(path, keys, what):
    arrays = load_arrays(path, what)
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


def check_shard_count(n_shards):
    if isinstance(n_shards, bool) or not isinstance(n_shards, (int, np.integer)) or n_shards < 1:
        raise ValueError(f"n_shards must be a positive integer, got {n_shards!r}.")


def import_numpy(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    temperatures_path: str | None = None,
    coupling: float = 1.0,
    field: float = 0.0,
    seed: int = 0,
    n_shards: int = 8,
    overwrite: bool = False,
) -> str:
    """Ising configurations ({0, 1} or {-1, +1}) as a dataset: import_configurations with kind="ising".

    coupling and field are what the data were made with (energies and the
    phase labels from T, J and Onsager's Tc); temperatures_path is a .npy (or
    .npz) of one temperature per sample, or one for all.
    """
    if not np.isfinite(coupling) or not np.isfinite(field):
        raise ValueError("coupling and field must be finite.")
    temperature = None
    if temperatures_path:
        temperature, _ = load_array(temperatures_path, TEMPERATURE_KEYS, "temperatures")
    return import_configurations(
        path,
        out_dir,
        kind="ising",
        temperature=temperature,
        coupling=coupling,
        field=field,
        model="ising",
        seed=seed,
        n_shards=n_shards,
        overwrite=overwrite,
    )


# -- any square-lattice data --------------------------------------------------------
def _per_sample(value, n, name, *, positive=False):
    """A scalar or one value per sample, as float64 (n,); NaN allowed (unknown).

    Booleans, strings and other non-numbers are refused (a True is not a
    temperature), as is anything float32, the stored type, cannot hold.
    """
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf":
        kind = "booleans" if raw.dtype.kind == "b" else f"dtype {raw.dtype}"
        raise ValueError(f"{name} must be numbers, not {kind}.")
    v = raw.astype(np.float64).reshape(-1)
    if v.size == 1:
        v = np.full(n, v[0])
    if v.shape != (n,):
        raise ValueError(f"{name} must have one value per sample ({n}) or one for all, got {v.size}.")
    known = v[~np.isnan(v)]
    if np.isinf(known).any() or (positive and (known <= 0).any()):
        raise ValueError(f"{name} must be {'positive and ' if positive else ''}finite (or NaN for unknown).")
    return v


def _resolve_kind(x, kind, q):
    """The kind of the configurations and, for states, the number of states."""
    if x.dtype.kind not in "biuf":
        raise ValueError(f"configurations must be numeric, got dtype {x.dtype}.")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError("configurations contain NaN or infinite values.")
    integral = x.dtype.kind in "biu" or bool(np.all(np.equal(np.mod(x, 1), 0)))
    values = np.unique(x) if integral and x.size else np.array([])
    if kind == "auto":
        if integral and (np.isin(values, (0, 1)).all() or np.isin(values, (-1, 1)).all()):
            kind = "ising"
        elif integral and values.min() >= 0:
            kind = "states"
        elif x.ndim == 4:
            kind = "real"
        else:
            raise ValueError(
                "the configurations hold real values; say what they are with --kind=angles (radians, "
                "stored as (cos, sin) channels) or --kind=real (channels as given)."
            )
    if kind == "states":
        if not integral or values.min() < 0:
            raise ValueError("states must be integers 0, 1, ..., q-1.")
        q = int(values.max()) + 1 if q is None else int(q)
        if not 2 <= q <= 255:
            raise ValueError(f"q must be in [2, 255] (states are stored as bytes), got {q}.")
        if values.max() >= q:
            raise ValueError(f"states must lie in [0, {q}) for q = {q}, found {int(values.max())}.")
    if kind == "angles" and x.ndim != 3:
        raise ValueError(f"angles must have shape (N, L, L), got {x.shape}.")
    return kind, q


def load_configurations(path, *, kind="auto", q=None, labels_path=None):
    """The configurations of a .npy / .npz and every per-sample array that comes with them.

    Returns (configurations (N, L, L) or (N, L, L, C), kind, q, {name: (N,) array}).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    arrays = dict(load_arrays(path, "configurations"))
    if None in arrays:
        x = arrays.pop(None)
    else:
        found = [k for k in SPIN_KEYS if k in arrays]
        if not found:
            raise ValueError(f"{path} holds {sorted(arrays)}; name the configurations array one of {SPIN_KEYS}.")
        x = arrays.pop(found[0])
    if labels_path:
        extra = load_arrays(labels_path, "labels")
        if None in extra:
            raise ValueError(f"{labels_path} must be an .npz of named per-sample arrays (temperatures, ...).")
        arrays.update(extra)
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] == 1 and kind != "real":
        x = x[..., 0]
    if x.ndim not in (3, 4) or x.shape[1] != x.shape[2] or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(
            f"configurations must have shape (N, L, L) or (N, L, L, C) with N >= 1 and L >= 2, got {x.shape}."
        )
    kind, q = _resolve_kind(x, kind, q)
    if kind in ("ising", "states") and x.ndim != 3:
        raise ValueError(f"{kind} configurations must have shape (N, L, L), got {x.shape}.")
    n = x.shape[0]
    for name, value in arrays.items():
        if np.asarray(value).ndim > 1 or np.asarray(value).size not in (1, n):
            raise ValueError(
                f"{path}: {name!r} must have one value per sample ({n}) or one for all, got shape {np.shape(value)}."
            )
    return x, kind, q, arrays


def _pop(arrays, keys):
    for key in keys:
        if key in arrays:
            return arrays.pop(key)
    return None


def import_configurations(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    kind: str = "auto",
    q: int | None = None,
    labels_path: str | None = None,
    temperature: float | None = None,
    coupling: float | None = None,
    field: float | None = None,
    model: str = "imported",
    seed: int = 0,
    n_shards: int = 8,
    overwrite: bool = False,
) -> str:
    """Write a dataset directory from configurations of any square-lattice model.

    kind: "ising" (values {0, 1} or {-1, +1}; stored as bits), "states" (integers
    0..q-1, e.g. Potts or clock states; stored as categorical, one-hot to the
    model), "angles" (radians; stored as (cos, sin) channels), "real" (C real
    channels as given), or "auto" (ising or states for integer data; real data
    must say which). Per-sample arrays come from the same .npz or labels_path:
    temperatures (needed for a transition), couplings, fields, lattice_size
    (checked against L) and any other named 1-D array, kept as an observable for
    reporting. Scalars temperature / coupling / field apply to every sample.
    """
    check_shard_count(n_shards)
    fmt.check_output_dir(out_dir, overwrite)
    x, kind, q, arrays = load_configurations(path, kind=kind, q=q, labels_path=labels_path)
    n, L = x.shape[0], x.shape[1]
    # An explicit argument wins over the file's array of the same label.
    t, j, h = (_pop(arrays, keys) for keys in (TEMPERATURE_KEYS, COUPLING_KEYS, FIELD_KEYS))
    t = _per_sample(
        temperature if temperature is not None else (np.nan if t is None else t), n, "temperatures", positive=True
    )
    j = _per_sample(coupling if coupling is not None else (np.nan if j is None else j), n, "couplings")
    h = _per_sample(field if field is not None else (0.0 if h is None else h), n, "fields")
    sizes = _pop(arrays, SIZE_KEYS)
    if sizes is not None and not np.all(np.asarray(sizes).reshape(-1) == L):
        raise ValueError(
            f"lattice_size must be {L} for every sample (a dataset has one L); import each lattice size "
            "as its own dataset."
        )
    observables = {name: _per_sample(v, n, name) for name, v in sorted(arrays.items())}
    fmt.check_observable_names(observables)
    labels = fmt.labels_for(n, temperature=t, coupling=j)
    if kind == "ising":
        samples = ((to_spins(x) + 1) // 2).astype(np.uint8)
        s = 2.0 * samples - 1.0
        bonds = (s * (np.roll(s, -1, axis=-1) + np.roll(s, -1, axis=-2))).sum(axis=(1, 2))
        labels.update(
            magnetization=magnetization(samples),
            staggered_magnetization=staggered_magnetization(samples),
            energy=(-j * bonds - h * s.sum(axis=(1, 2))) / (L * L),
        )
        encoding, channels, phases = "bits", 1, ph.ISING
        # The nearest-neighbour Ising model's phases, where T and J say which: Onsager's Tc.
        if np.isfinite(j).all():
            labels["phase"] = lattice.phase_of(t, j, ISING_CRITICAL_TEMPERATURE)
    elif kind == "states":
        samples = x.astype(np.uint8)
        states = samples.astype(np.int64)
        labels["magnetization"] = np.abs(np.exp(2j * np.pi * states / q).mean(axis=(1, 2)))
        encoding, channels, phases = "categorical", q, ph.q_state(q)
    elif kind == "angles":
        angles = x.astype(np.float64)
        samples = np.stack([np.cos(angles), np.sin(angles)], axis=-1).astype(np.float32)
        labels["magnetization"] = np.hypot(np.cos(angles).mean(axis=(1, 2)), np.sin(angles).mean(axis=(1, 2)))
        encoding, channels, phases = "float32", 2, {"unknown": ph.UNKNOWN}
    else:
        samples = (x if x.ndim == 4 else x[..., None]).astype(np.float32)
        encoding, channels, phases = "float32", samples.shape[-1], {"unknown": ph.UNKNOWN}
    labels.update(observables)
    order = np.random.default_rng(seed).permutation(n)
    known_j = sorted(set(j[np.isfinite(j)].tolist()))
    manifest = {
        "model": model,
        "kind": kind,
        "source": f"import:{os.path.basename(path)}",
        "q": q,
        "couplings": known_j,
        "field": float(h[0]) if np.all(h == h[0]) else None,
        "temperatures": sorted(set(t[~np.isnan(t)].tolist())),
        # A known transition temperature only for the Ising kind with J given (Onsager); the
        # phase-discovery analysis never uses it.
        "critical_temperature": (
            ISING_CRITICAL_TEMPERATURE * abs(known_j[0]) if kind == "ising" and len(known_j) == 1 else None
        ),
        "seed": seed,
    }
    return shards.write_dataset(
        out_dir,
        samples,
        labels,
        manifest,
        order=order,
        n_shards=n_shards,
        overwrite=overwrite,
        encoding=encoding,
        channels=channels,
        phases=phases,
        observables=tuple(observables),
    )


# -- MNIST --------------------------------------------------------------------------
