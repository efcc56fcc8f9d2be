"""The dataset directory: manifest.json plus TFRecord shards of bit-packed spins.

A dataset directory holds
  manifest.json          what the data are and how they were made (FORMAT_VERSION)
  shard-KKKKK-of-NNNNN.tfrecord
Each record is a tf.train.Example with
  spins                   bytes: one sample, row-major, in the manifest's "encoding":
                            bits         sigma in {0, 1} (1 = up), np.packbits; 1 channel
                            categorical  one uint8 state in [0, D) per site; the model
                                         sees it one-hot in D = "channels" channels
                            uint8        C channels per site, value / 255 in [0, 1]
                            float32      C channels per site, little-endian float32
  index                   int64: position in the (shuffled) write order
  temperature, coupling, energy, magnetization, staggered_magnetization: float
                          (NaN where a label means nothing for the data, e.g. T of MNIST)
  phase                   int64: a code of the manifest's "phases" map (for Ising, from
                          T and J of the generating chain; for MNIST, the digit)
The manifest records, per shard, its record count, size in bytes and SHA-256
checksum, the size of one stored sample (sample_bytes) and a fingerprint of
the whole (used by training workdirs to recognise their data). read_manifest
checks the cheap part on every open; verify_dataset reads everything.
Directories are written atomically (betavae_tf.fileio): everything goes to a
hidden temporary sibling that is fsynced and renamed into place once
complete, so a reader never sees a half-written dataset.
"""

import hashlib
import json
import os
import re

import numpy as np

from betavae_tf import fileio
from betavae_tf import phases as ph

FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)  # version 1 lacks per-shard sizes and checksums; they are checked when present
MANIFEST = "manifest.json"
PHASES = ph.ISING  # the default phase map (Ising); every code comes from betavae_tf.phases
FLOAT_LABELS = ("temperature", "coupling", "energy", "magnetization", "staggered_magnetization")
INT_LABELS = ("index", "phase")
LABELS = FLOAT_LABELS + INT_LABELS


def labels_for(n, **given):
    """The per-sample labels of n samples: each float label NaN and the phase UNKNOWN, unless given."""
    labels = {name: np.full(n, np.nan) for name in FLOAT_LABELS} | {"phase": np.full(n, ph.UNKNOWN)}
    return labels | given


# A user's own per-sample observables (named in the manifest's "observables") are stored as
# float features under this prefix, kept for reporting only.
OBSERVABLE_PREFIX = "observable/"
_OBSERVABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def observables_of(manifest):
    """The names of a dataset's own observables (none for datasets written before they existed)."""
    return tuple(manifest.get("observables", ()))


def check_observable_names(names):
    for name in names:
        if not isinstance(name, str) or not _OBSERVABLE_NAME.match(name) or name in LABELS + ("samples",):
            raise ValueError(
                f"observable name {name!r} must be a letter followed by letters, digits or _ "
                f"(at most 64) and not one of {', '.join(LABELS + ('samples',))}."
            )


ENCODINGS = ("bits", "categorical", "uint8", "float32")


_FLOAT32 = np.finfo(np.float32)


def check_float32(name, values, tiny=True):
    """ValueError unless every finite value survives storage as float32 (the records' label type).

    A magnitude above float32's largest (3.4e38) would be stored as inf, and
    a non-zero one below its smallest normal number (1.2e-38) as 0 or with
    lost digits, while the manifest still said the original: both refused.
    NaN and infinities are left to the callers' own rules.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    finite = np.abs(v[np.isfinite(v)])
    if finite.size and finite.max() > _FLOAT32.max:
        raise ValueError(
            f"{name} holds {finite.max():g}, beyond the float32 range (|x| <= {_FLOAT32.max:.3g}) "
            "in which it is stored."
        )
    small = finite[(finite > 0) & (finite < _FLOAT32.tiny)]
    if tiny and small.size:
        raise ValueError(
            f"{name} holds {small.min():g}, below the smallest normal float32 ({_FLOAT32.tiny:.3g}) "
            "in which it is stored; it would be stored as 0 or lose its digits."
        )


def shard_name(k, n_shards):
    return f"shard-{k:05d}-of-{n_shards:05d}.tfrecord"


class DatasetError(ValueError):
    """A dataset directory that is incomplete, damaged or inconsistent with its manifest."""


def sample_bytes(encoding, lattice_size, channels):
    """Bytes of one stored sample (the "spins" feature) for an encoding and geometry."""
    sites = lattice_size * lattice_size
    return {"bits": (sites + 7) // 8, "categorical": sites, "uint8": sites * channels, "float32": 4 * sites * channels}[
        encoding
    ]


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_of(manifest):
    """A digest of what the data are: geometry, encoding and every shard's checksum."""
    content = {k: manifest.get(k) for k in ("n_samples", "lattice_size", "channels", "encoding")}
    content["shards"] = [[s["file"], s["n_samples"], s.get("sha256")] for s in manifest["shards"]]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def dataset_fingerprint(data_dir, manifest=None):
    """The manifest's fingerprint (computed from the shard files for datasets written before it existed)."""
    manifest = manifest or read_manifest(data_dir)
    if manifest.get("fingerprint"):
        return manifest["fingerprint"]
    hashed = dict(
        manifest, shards=[dict(s, sha256=sha256_of(os.path.join(data_dir, s["file"]))) for s in manifest["shards"]]
    )
    return fingerprint_of(hashed)


def check_output_dir(out_dir, overwrite):
    """Fail before any work unless out_dir may receive a dataset; returns its resolved path.

    Allowed: an absent path, an empty directory, or (with overwrite) a dataset
    of this package that holds nothing but its manifest and listed shards. A
    plain file, a directory of other files, a dataset that also holds a
    foreign file (named in the error), the working directory and a place
    inside another of the package's directories are refused
    (betavae_tf.places).
    """
    from betavae_tf import places

    return places.check_output(out_dir, "dataset", overwrite)[0]


ENCODING_TEXT = {
    "bits": "sigma in {0,1}, 1 = up (S = +1); row-major, numpy.packbits (big-endian bits)",
    "categorical": "one uint8 state in [0, channels) per site, row-major; one-hot at the model input",
    "uint8": "uint8 per site and channel, row-major (L, L, C); the model sees value / 255",
    "float32": "little-endian float32 per site and channel, row-major (L, L, C)",
}


def encoding_of(manifest):
    """The manifest's sample encoding (datasets written before encodings existed are bits)."""
    return manifest.get("encoding", "bits")


def phase_names_of(manifest):
    """{code: name} of a dataset's phase label (MIXED included, for generated samples)."""
    return ph.names(manifest.get("phases", PHASES))


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHARD_NAME = re.compile(r"^shard-(\d+)-of-(\d+)\.tfrecord$")
# Keys every manifest must have, and the JSON types they must be.
_REQUIRED = {"format_version": int, "lattice_size": int, "n_samples": int, "shards": list}
_OPTIONAL = {
    "channels": int,
    "encoding": str,
    "phases": dict,
    "phase_counts": dict,
    "sample_bytes": int,
    "fingerprint": str,
}
_SHARD_KEYS = {"file": str, "n_samples": int, "first_index": int}
_SHARD_OPTIONAL = {"bytes": int, "sha256": str}
_TYPE_NAMES = {int: "an integer", str: "a string", list: "a list", dict: "an object"}


def _check_type(where, key, value, kind):
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise DatasetError(f"{where}: {key!r} must be an integer, got {value!r}.")
    if kind is not int and not isinstance(value, kind):
        raise DatasetError(f"{where}: {key!r} must be {_TYPE_NAMES[kind]}, got {value!r}.")


def read_manifest(data_dir):
    """The manifest of a complete dataset directory, checked against its shard files.

    Cheap checks, always made: the keys and their types, shard names (plain
    file names inside the directory, each listed once, none missing or
    unlisted), record counts adding up to n_samples with contiguous indices,
    each shard's size in bytes, and the stored sample size against L, C and
    the encoding. Checksums and every record are checked by verify_dataset.
    Raises FileNotFoundError (no dataset) or DatasetError (ValueError) with one
    sentence naming what is wrong.
    """
    path = os.path.join(data_dir, MANIFEST)
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(f"dataset directory {data_dir} does not exist.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{data_dir} is not a dataset: it has no {MANIFEST}.")
    manifest = fileio.read_json(path, "manifest")
    where = f"manifest {path}"
    for key, kind in _REQUIRED.items():
        if key not in manifest:
            raise DatasetError(f"{where} lacks the key {key!r}; the dataset is incomplete or not from this package.")
        _check_type(where, key, manifest[key], kind)
    for key, kind in _OPTIONAL.items():
        if key in manifest and manifest[key] is not None:
            _check_type(where, key, manifest[key], kind)
    if manifest["format_version"] not in READ_VERSIONS:
        raise DatasetError(
            f"{path} has format_version {manifest['format_version']!r}; this package reads "
            f"versions {', '.join(map(str, READ_VERSIONS))}."
        )
    encoding = encoding_of(manifest)
    if encoding not in ENCODINGS:
        raise DatasetError(f"{path} has encoding {encoding!r}; this package reads {', '.join(ENCODINGS)}.")
    L, channels, n = manifest["lattice_size"], manifest.get("channels", 1), manifest["n_samples"]
    if L < 1 or channels < 1 or n < 1:
        raise DatasetError(f"{where}: lattice_size, channels and n_samples must be positive, got {L}, {channels}, {n}.")
    if "sample_bytes" in manifest and manifest["sample_bytes"] != sample_bytes(encoding, L, channels):
        raise DatasetError(
            f"{where} declares L = {L}, {channels} channel(s) ({encoding}), which is "
            f"{sample_bytes(encoding, L, channels)} bytes a sample, but its samples have "
            f"{manifest['sample_bytes']} bytes; the manifest was edited or damaged."
        )
    _check_shards(data_dir, manifest, where)
    return manifest


def _check_shards(data_dir, manifest, where):
    shards, names = manifest["shards"], []
    if not shards:
        raise DatasetError(f"{where} lists no shards.")
    for shard in shards:
        if not isinstance(shard, dict):
            raise DatasetError(f"{where}: every shard entry must be an object, got {shard!r}.")
        for key, kind in _SHARD_KEYS.items():
            if key not in shard:
                raise DatasetError(f"{where}: a shard entry lacks the key {key!r}.")
            _check_type(where, f"shards[].{key}", shard[key], kind)
        for key, kind in _SHARD_OPTIONAL.items():
            if key in shard:
                _check_type(where, f"shards[].{key}", shard[key], kind)
        name = shard["file"]
        if not _PLAIN_NAME.match(name):
            raise DatasetError(
                f"{where} names the shard {name!r}; shard names must be plain file names inside the dataset directory."
            )
        names.append(name)
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise DatasetError(f"{where} lists the shard {twice[0]} more than once.")
    numbered = [_SHARD_NAME.match(name) for name in names]
    if all(numbered):
        totals = {int(m[2]) for m in numbered}
        if totals != {len(names)}:
            raise DatasetError(
                f"{where} lists {len(names)} shards, but their names say there are "
                f"{', '.join(map(str, sorted(totals)))}."
            )
    position = 0
    for shard in sorted(shards, key=lambda s: s["first_index"]):
        if shard["first_index"] != position or shard["n_samples"] < 0:
            raise DatasetError(
                f"{where}: shard {shard['file']} starts at record {shard['first_index']}, "
                f"expected {position}; the shard list has gaps or overlaps."
            )
        position += shard["n_samples"]
    if position != manifest["n_samples"]:
        raise DatasetError(f"{where}: the shards hold {position} records, but n_samples says {manifest['n_samples']}.")
    for shard in shards:
        path = os.path.join(data_dir, shard["file"])
        if not os.path.isfile(path):
            raise DatasetError(f"dataset {data_dir} is missing its shard {shard['file']}.")
        if "bytes" in shard and os.path.getsize(path) != shard["bytes"]:
            raise DatasetError(
                f"shard {shard['file']} of dataset {data_dir} has {os.path.getsize(path)} bytes, "
                f"but the manifest says {shard['bytes']}; it is truncated or was replaced."
            )
    unlisted = sorted({f for f in os.listdir(data_dir) if f.endswith(".tfrecord")} - set(names))
    if unlisted:
        raise DatasetError(f"dataset {data_dir} holds the shard {unlisted[0]}, which its manifest does not list.")


def first_line(error):
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
