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
Directories are written atomically: everything goes to a hidden temporary
sibling that is renamed into place once complete, so a reader never sees a
half-written dataset.
"""
import datetime
import json
import os
import shutil
import uuid

import numpy as np

from betavae_tf import __version__

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PHASES = {"FM": 0, "AFM": 1, "PM": 2, "unknown": -1}
PHASE_NAMES = {code: name for name, code in PHASES.items()}
FLOAT_LABELS = ("temperature", "coupling", "energy", "magnetization", "staggered_magnetization")
INT_LABELS = ("index", "phase")
LABELS = FLOAT_LABELS + INT_LABELS
ENCODINGS = ("bits", "categorical", "uint8", "float32")


def phase_of(temperature, coupling, critical_temperature):
    """Phase codes from the generating T and J: FM/AFM below Tc(|J|), PM above."""
    t = np.asarray(temperature, dtype=np.float64)
    j = np.broadcast_to(np.asarray(coupling, dtype=np.float64), t.shape)
    ordered = (t < critical_temperature * np.abs(j)) & (j != 0)
    phase = np.where(ordered, np.where(j > 0, PHASES["FM"], PHASES["AFM"]), PHASES["PM"])
    return np.where(np.isnan(t), PHASES["unknown"], phase).astype(np.int64)


def shard_name(k, n_shards):
    return f"shard-{k:05d}-of-{n_shards:05d}.tfrecord"


def check_output_dir(out_dir, overwrite):
    """Fail before any work if out_dir exists and may not be replaced."""
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not overwrite:
        raise FileExistsError(f"{out_dir} already exists; pass --overwrite to replace it.")
    parent = os.path.dirname(out_dir)
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise ValueError(f"cannot create {out_dir}: {parent} is not a directory.")
    return out_dir


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
    values = spins.astype("<f4")
    if not np.isfinite(values).all():
        raise ValueError("float32 samples must be finite.")
    return values.reshape(n, -1).view(np.uint8), L, c


def write_dataset(out_dir, spins, labels, manifest, *, n_shards=8, overwrite=False,
                  encoding="bits", channels=None, phases=None):
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
    Returns:
      the absolute path of the dataset directory.
    """
    import tensorflow as tf  # heavy; only the writers and readers need it

    out_dir = check_output_dir(out_dir, overwrite)
    packed, L, channels = encode_samples(spins, encoding, channels)
    n = packed.shape[0]
    phases = dict(PHASES if phases is None else phases)
    phase_names = {code: name for name, code in phases.items()}
    for name in FLOAT_LABELS + ("phase",):
        if name not in labels or np.shape(labels[name]) != (n,):
            raise ValueError(f"label {name!r} must be an array of shape ({n},).")
    n_shards = max(1, min(int(n_shards), n))
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp_dir = os.path.join(parent, f".{os.path.basename(out_dir)}.tmp-{uuid.uuid4().hex[:8]}")
    os.makedirs(tmp_dir)
    try:
        bounds = np.linspace(0, n, n_shards + 1).astype(np.int64)
        shards = []
        for k in range(n_shards):
            name = shard_name(k, n_shards)
            with tf.io.TFRecordWriter(os.path.join(tmp_dir, name)) as writer:
                for i in range(bounds[k], bounds[k + 1]):
                    feature = {
                        "spins": tf.train.Feature(bytes_list=tf.train.BytesList(value=[packed[i].tobytes()])),
                        "index": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
                        "phase": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(labels["phase"][i])])),
                    }
                    for label in FLOAT_LABELS:
                        feature[label] = tf.train.Feature(
                            float_list=tf.train.FloatList(value=[float(labels[label][i])]))
                    writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
            shards.append({"file": name, "n_samples": int(bounds[k + 1] - bounds[k]), "first_index": int(bounds[k])})
        full = {
            "format_version": FORMAT_VERSION,
            "lattice_size": int(L),
            "channels": int(channels),
            "n_samples": int(n),
            "encoding": encoding,
            "spin_encoding": ENCODING_TEXT[encoding],
            "labels": list(LABELS),
            "phases": phases,
            "phase_counts": {phase_names[c]: int(np.sum(labels["phase"] == c)) for c in sorted(phase_names)},
            "package_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        full.update(manifest)
        full["shards"] = shards
        with open(os.path.join(tmp_dir, MANIFEST), "w") as f:
            json.dump(full, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        old = None
        if os.path.exists(out_dir):
            old = os.path.join(parent, f".{os.path.basename(out_dir)}.old-{uuid.uuid4().hex[:8]}")
            os.rename(out_dir, old)
        os.rename(tmp_dir, out_dir)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return out_dir


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
    """{code: name} of a dataset's phase label."""
    return {int(code): name for name, code in manifest.get("phases", PHASES).items()}


def read_manifest(data_dir):
    """The manifest of a complete dataset directory, checked for its shards."""
    path = os.path.join(data_dir, MANIFEST)
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(f"dataset directory {data_dir} does not exist.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{data_dir} is not a dataset: it has no {MANIFEST}.")
    try:
        with open(path) as f:
            manifest = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e.msg}).") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} has format_version {manifest.get('format_version')!r}; "
                         f"this package reads version {FORMAT_VERSION}.")
    if encoding_of(manifest) not in ENCODINGS:
        raise ValueError(f"{path} has encoding {encoding_of(manifest)!r}; this package reads "
                         f"{', '.join(ENCODINGS)}.")
    for shard in manifest["shards"]:
        if not os.path.isfile(os.path.join(data_dir, shard["file"])):
            raise FileNotFoundError(f"dataset {data_dir} is missing its shard {shard['file']}.")
    return manifest


def summarize(data_dir):
    """A short human-readable summary of a dataset directory."""
    m = read_manifest(data_dir)
    lines = [
        f"dataset {os.path.abspath(data_dir)}",
        f"  model {m.get('model', '?')}, L = {m['lattice_size']}, {m.get('channels', 1)} channel(s) "
        f"({encoding_of(m)}), {m['n_samples']} samples "
        f"in {len(m['shards'])} shards, source {m.get('source', '?')}",
        "  phases: " + ", ".join(f"{k} {v}" for k, v in m["phase_counts"].items() if v),
    ]
    points = m.get("points", [])
    if points:
        lines.append(f"  {'J':>5} {'T':>7} {'phase':>5} {'n':>6} {'algorithm':>10} {'tau_int':>8} {'spacing':>7}")
        for p in points:
            lines.append(f"  {p['coupling']:>5g} {p['temperature']:>7.4f} {p['phase']:>5} {p['n_samples']:>6} "
                         f"{p['algorithm']:>10} {max(p['tau_int'].values()):>8.2f} {p['spacing']:>7}")
    for c in m.get("classes", []):
        lines.append(f"  class {c['class']}: {c['n_samples']} samples, site probabilities "
                     + ", ".join(f"{x:.3g}" for x in c["probabilities"]))
    if "generation_seconds" in m:
        lines.append(f"  generated in {m['generation_seconds']:.1f} s")
    return "\n".join(lines)
