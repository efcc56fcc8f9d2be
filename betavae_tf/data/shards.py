"""Writing a dataset: samples encoded per record, shards written and checksummed, the manifest last."""

import datetime
import errno
import json
import os

import numpy as np

from betavae_tf import fileio
from betavae_tf.data.format import (
    ENCODING_TEXT,
    ENCODINGS,
    FLOAT_LABELS,
    FORMAT_VERSION,
    LABELS,
    MANIFEST,
    OBSERVABLE_PREFIX,
    PHASES,
    check_float32,
    check_observable_names,
    check_output_dir,
    fingerprint_of,
    first_line,
    sample_bytes,
    sha256_of,
    shard_name,
)
from betavae_tf.version import __version__


def encode_samples(spins, encoding, channels=None):
    """Check samples against an encoding; returns (rows of bytes (N, B) uint8, L, channels)."""
    spins = np.asarray(spins)
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}.")
    if encoding in ("bits", "categorical"):
        if spins.ndim != 3 or spins.shape[1] != spins.shape[2]:
            raise ValueError(f"{encoding} samples must have shape (N, L, L), got {spins.shape}.")
    elif spins.ndim != 4 or spins.shape[1] != spins.shape[2]:
        raise ValueError(f"{encoding} samples must have shape (N, L, L, C), got {spins.shape}.")
    n, L = spins.shape[0], spins.shape[1]
    if n < 1:
        raise ValueError("a dataset needs at least one sample.")
    if encoding == "bits":
        if not np.isin(spins, (0, 1)).all():
            raise ValueError("bits samples must hold only 0 and 1.")
        return np.packbits(spins.reshape(n, L * L).astype(np.uint8), axis=1), L, 1
    if encoding == "categorical":
        if channels is None or int(channels) < 2:
            raise ValueError(f"categorical data need channels = D >= 2 states, got {channels}.")
        if not np.issubdtype(spins.dtype, np.integer) or spins.min() < 0 or spins.max() >= channels:
            raise ValueError(f"categorical samples must be integers in [0, {channels}).")
        return spins.reshape(n, L * L).astype(np.uint8), L, int(channels)
    c = spins.shape[3]
    if encoding == "uint8":
        if spins.dtype != np.uint8:
            raise ValueError(f"uint8 samples must have dtype uint8, got {spins.dtype}.")
        return spins.reshape(n, -1), L, c
    if not np.isfinite(spins).all():
        raise ValueError("float32 samples must be finite.")
    check_float32("the float32 samples", spins, tiny=False)
    values = spins.astype("<f4")
    return values.reshape(n, -1).view(np.uint8), L, c


def write_shards(
    directory, spins, labels, manifest, *, n_shards=8, encoding="bits", channels=None, phases=None, observables=()
):
    """Write samples, labels and manifest.json into an existing (temporary) directory.

    Arguments as write_dataset; returns the manifest written.
    """
    import tensorflow as tf  # heavy; only the writers and readers need it

    packed, L, channels = encode_samples(spins, encoding, channels)
    n = packed.shape[0]
    phases = dict(PHASES if phases is None else phases)
    phase_names = {code: name for name, code in phases.items()}
    observables = tuple(observables)
    check_observable_names(observables)
    for name in FLOAT_LABELS + ("phase",) + observables:
        if name not in labels or np.shape(labels[name]) != (n,):
            raise ValueError(f"label {name!r} must be an array of shape ({n},).")
    for name in FLOAT_LABELS + observables:
        check_float32(f"the label {name!r}", labels[name])
    if isinstance(n_shards, bool) or int(n_shards) != n_shards or n_shards < 1:
        raise ValueError(f"n_shards must be a positive integer, got {n_shards!r}.")
    n_shards = min(int(n_shards), n)
    bounds = np.linspace(0, n, n_shards + 1).astype(np.int64)
    shards = []
    for k in range(n_shards):
        name = shard_name(k, n_shards)
        path = os.path.join(directory, name)
        try:
            with tf.io.TFRecordWriter(path) as writer:
                for i in range(bounds[k], bounds[k + 1]):
                    feature = {
                        "spins": tf.train.Feature(bytes_list=tf.train.BytesList(value=[packed[i].tobytes()])),
                        "index": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
                        "phase": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(labels["phase"][i])])),
                    }
                    for label in FLOAT_LABELS:
                        feature[label] = tf.train.Feature(
                            float_list=tf.train.FloatList(value=[float(labels[label][i])])
                        )
                    for observable in observables:
                        feature[OBSERVABLE_PREFIX + observable] = tf.train.Feature(
                            float_list=tf.train.FloatList(value=[float(labels[observable][i])])
                        )
                    writer.write(
                        tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(
                            deterministic=True
                        )
                    )
        except tf.errors.OpError as e:  # TensorFlow's file errors, as the OSError they are
            no_space = "No space left on device" in (e.message or "")
            raise OSError(
                errno.ENOSPC if no_space else errno.EIO, "No space left on device" if no_space else first_line(e), path
            ) from None
        shards.append(
            {
                "file": name,
                "n_samples": int(bounds[k + 1] - bounds[k]),
                "first_index": int(bounds[k]),
                "bytes": os.path.getsize(path),
                "sha256": sha256_of(path),
            }
        )
    full = {
        "format_version": FORMAT_VERSION,
        "lattice_size": int(L),
        "channels": int(channels),
        "n_samples": int(n),
        "encoding": encoding,
        "spin_encoding": ENCODING_TEXT[encoding],
        "sample_bytes": sample_bytes(encoding, int(L), int(channels)),
        "labels": list(LABELS),
        "observables": list(observables),
        "phases": phases,
        "phase_counts": {phase_names[c]: int(np.sum(labels["phase"] == c)) for c in sorted(phase_names)},
        "package_version": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    full.update(manifest)
    full["shards"] = shards
    full["fingerprint"] = fingerprint_of(full)
    with open(os.path.join(directory, MANIFEST), "w") as f:
        json.dump(full, f, indent=2)
    return full


def write_dataset(
    out_dir,
    spins,
    labels,
    manifest,
    *,
    n_shards=8,
    overwrite=False,
    encoding="bits",
    channels=None,
    phases=None,
    observables=(),
    order=None,
):
    """Write samples and per-sample labels atomically.

    Args:
      out_dir: the dataset directory to create (or replace with overwrite).
      spins: the samples in write order: (N, L, L) in {0, 1} for "bits",
        (N, L, L) states in [0, channels) for "categorical", (N, L, L, C)
        uint8 or float for "uint8" / "float32".
      labels: dict with every name in FLOAT_LABELS and "phase", arrays (N,).
      manifest: dict of descriptive entries merged into manifest.json.
      n_shards: number of TFRecord files (at least the number of workers
        that will read it with file-based sharding).
      encoding: one of ENCODINGS (see the module docstring).
      channels: D, the number of states, for "categorical".
      phases: the {name: code} map of the phase label (default: Ising's PHASES).
      observables: names of further per-sample float labels in `labels` (the
        user's own measurements, kept for reporting).
      order: the order to write the samples and labels in (a permutation;
        default: as given).
    Returns:
      the absolute path of the dataset directory.
    """
    if order is not None:
        spins, labels = spins[order], {k: v[order] for k, v in labels.items()}
    out_dir = check_output_dir(out_dir, overwrite)
    encode_samples(spins, encoding, channels)  # bad samples fail before anything is created
    with fileio.staged_directory(
        out_dir, replace=os.path.lexists(out_dir), before_replace=lambda: check_output_dir(out_dir, overwrite)
    ) as tmp:
        write_shards(
            tmp,
            spins,
            labels,
            manifest,
            n_shards=n_shards,
            encoding=encoding,
            channels=channels,
            phases=phases,
            observables=observables,
        )
    return out_dir
