"""Reading a dataset back whole: every shard checked against its manifest, damage located, a summary in words."""

import os

import numpy as np

from betavae_tf.data.format import DatasetError, encoding_of, first_line, read_manifest, sample_bytes, sha256_of


def verify_dataset(data_dir):
    """Full check: every shard's checksum, record count, indices and decoded sample size.

    Returns a one-line summary; raises DatasetError naming the first bad shard.
    """
    import tensorflow as tf

    manifest = read_manifest(data_dir)
    expected = sample_bytes(encoding_of(manifest), manifest["lattice_size"], manifest.get("channels", 1))
    spec = {"spins": tf.io.FixedLenFeature([], tf.string), "index": tf.io.FixedLenFeature([], tf.int64)}
    for shard in manifest["shards"]:
        path = os.path.join(data_dir, shard["file"])
        if "sha256" in shard and sha256_of(path) != shard["sha256"]:
            raise DatasetError(
                f"shard {shard['file']} of dataset {data_dir} is damaged: its SHA-256 checksum "
                "differs from the manifest's."
            )
        count = 0
        try:
            for batch in (
                tf.data.TFRecordDataset(path)
                .batch(4096)
                .map(lambda r: tf.io.parse_example(r, spec))
                .as_numpy_iterator()
            ):
                lengths = {len(b) for b in batch["spins"]}
                if lengths != {expected}:
                    raise DatasetError(
                        f"shard {shard['file']} of dataset {data_dir} holds samples of "
                        f"{sorted(lengths)} bytes, but L = {manifest['lattice_size']} "
                        f"({encoding_of(manifest)}) needs {expected}."
                    )
                want = np.arange(count, count + len(batch["index"])) + shard["first_index"]
                if not np.array_equal(batch["index"], want):
                    raise DatasetError(
                        f"shard {shard['file']} of dataset {data_dir} holds records out of order "
                        f"or from another dataset (index {batch['index'][0]}, expected {want[0]})."
                    )
                count += len(batch["index"])
        except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
            raise DatasetError(f"shard {shard['file']} of dataset {data_dir} is damaged ({first_line(e)}).") from None
        if count != shard["n_samples"]:
            raise DatasetError(
                f"shard {shard['file']} of dataset {data_dir} holds {count} records, but the "
                f"manifest says {shard['n_samples']}."
            )
    return (
        f"verified {manifest['n_samples']} samples in {len(manifest['shards'])} shards of {data_dir}: "
        "checksums, record counts, indices and sample sizes match the manifest"
    )


def locate_damage(data_dir, error):
    """A DatasetError naming the shard behind a TensorFlow read error (found by checksum), or None."""
    try:
        verify_dataset(data_dir)
    except DatasetError as e:
        return e
    except (OSError, ValueError):
        return None
    return None


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
            lines.append(
                f"  {p['coupling']:>5g} {p['temperature']:>7.4f} {p['phase']:>5} {p['n_samples']:>6} "
                f"{p['algorithm']:>10} {max(p['tau_int'].values()):>8.2f} {p['spacing']:>7}"
            )
    for c in m.get("classes", []):
        lines.append(
            f"  class {c['class']}: {c['n_samples']} samples, site probabilities "
            + ", ".join(f"{x:.3g}" for x in c["probabilities"])
        )
    if "generation_seconds" in m:
        lines.append(f"  generated in {m['generation_seconds']:.1f} s")
    return "\n".join(lines)
