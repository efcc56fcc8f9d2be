"""tf.data input over a dataset directory, and a NumPy loader for analysis.

One chain, streamed from the shards (no whole-array constants in the graph):
  shards -> (shuffle files) -> interleave records with their global index
  -> keep the split -> (cache) -> (shuffle) -> (repeat) -> batch
  -> parse and unpack bits per batch -> prefetch.
Per-record work is kept to the split test; parsing and bit unpacking are
vectorized over whole batches.
The train/validation split is a deterministic function of each record's
index (its position in the shuffled write order): a record is validation when
frac(index * phi) < validation_fraction, phi the golden ratio (computed in
32-bit fixed point). That Weyl sequence is equidistributed with discrepancy
O(log N / N), so even a tiny dataset gets the asked-for fraction.
"""

import os

import numpy as np
import tensorflow as tf

from betavae_tf.data import format as fmt
from betavae_tf.data import verify

SPLITS = ("train", "validation", "all")
_GOLDEN_32 = 0x9E3779B9  # 2^32 / phi


def _feature_spec(manifest=None):
    spec = {"spins": tf.io.FixedLenFeature([], tf.string)}
    spec.update({k: tf.io.FixedLenFeature([], tf.float32) for k in fmt.FLOAT_LABELS})
    spec.update({k: tf.io.FixedLenFeature([], tf.int64) for k in fmt.INT_LABELS})
    for name in fmt.observables_of(manifest or {}):
        spec[fmt.OBSERVABLE_PREFIX + name] = tf.io.FixedLenFeature([], tf.float32)
    return spec


def unpack_spins(packed, lattice_size):
    """[B] bytes of np.packbits output -> float32 [B, L, L, 1] of sigma in {0, 1}."""
    n_sites = lattice_size * lattice_size
    raw = tf.io.decode_raw(packed, tf.uint8, fixed_length=(n_sites + 7) // 8)
    shifts = tf.constant([7, 6, 5, 4, 3, 2, 1, 0], dtype=tf.uint8)
    bits = tf.bitwise.bitwise_and(tf.bitwise.right_shift(raw[..., None], shifts), 1)
    bits = tf.reshape(bits, [-1, ((n_sites + 7) // 8) * 8])[:, :n_sites]
    return tf.reshape(tf.cast(bits, tf.float32), [-1, lattice_size, lattice_size, 1])


def decode_samples(raw, manifest):
    """[B] serialized samples -> float32 model input [B, L, L, C] for the manifest's encoding."""
    L, c = manifest["lattice_size"], manifest.get("channels", 1)
    encoding = fmt.encoding_of(manifest)
    if encoding == "bits":
        return unpack_spins(raw, L)
    if encoding == "categorical":
        states = tf.io.decode_raw(raw, tf.uint8, fixed_length=L * L)
        return tf.reshape(tf.one_hot(tf.cast(states, tf.int32), c, dtype=tf.float32), [-1, L, L, c])
    if encoding == "uint8":
        values = tf.io.decode_raw(raw, tf.uint8, fixed_length=L * L * c)
        return tf.reshape(tf.cast(values, tf.float32) / 255.0, [-1, L, L, c])
    values = tf.io.decode_raw(raw, tf.float32, little_endian=True, fixed_length=4 * L * L * c)
    return tf.reshape(values, [-1, L, L, c])


def model_input(samples, manifest):
    """NumPy version of decode_samples on load_numpy's "samples": float32 [N, L, L, C]."""
    samples = np.asarray(samples)
    encoding = fmt.encoding_of(manifest)
    if encoding == "bits":
        return samples.astype(np.float32)[..., None]
    if encoding == "categorical":
        return np.eye(manifest["channels"], dtype=np.float32)[samples]
    if encoding == "uint8":
        return samples.astype(np.float32) / 255.0
    return samples.astype(np.float32)


def is_validation(index, validation_fraction):
    """NumPy version of the split rule, for analysis code and tests."""
    index = np.asarray(index, dtype=np.int64)
    return ((index * _GOLDEN_32) & 0xFFFFFFFF) < int(round(validation_fraction * 2**32))


def _split_mask(fraction, split):
    """A function of a block of indices giving which records belong to split."""
    threshold = tf.constant(int(round(fraction * 2**32)), tf.int64)

    def keep(index):
        if split == "all":
            return tf.ones_like(index, dtype=tf.bool)
        validation = tf.bitwise.bitwise_and(index * _GOLDEN_32, 0xFFFFFFFF) < threshold
        return validation if split == "validation" else tf.logical_not(validation)

    return keep


_SIZE_MARK = "betavae_tf: sample size mismatch"


def check_first_record(data_dir, manifest):
    """Read one record and compare its stored sample size with the manifest's geometry."""
    expected = fmt.sample_bytes(fmt.encoding_of(manifest), manifest["lattice_size"], manifest.get("channels", 1))
    shard = next(s for s in manifest["shards"] if s["n_samples"] > 0)
    path = os.path.join(data_dir, shard["file"])
    with dataset_errors(data_dir):
        for record in tf.data.TFRecordDataset(path).take(1):
            parsed = tf.io.parse_single_example(record, {"spins": tf.io.FixedLenFeature([], tf.string)})
            size = len(parsed["spins"].numpy())
            if size != expected:
                raise fmt.DatasetError(
                    f"dataset {data_dir}: its manifest declares L = {manifest['lattice_size']}, "
                    f"{manifest.get('channels', 1)} channel(s) ({fmt.encoding_of(manifest)}), {expected} bytes a "
                    f"sample, but shard {shard['file']} holds samples of {size} bytes; the manifest was edited "
                    "or does not belong to these shards."
                )


class dataset_errors:
    """Turn TensorFlow's read errors on a dataset into one DatasetError sentence naming the shard."""

    def __init__(self, data_dir):
        self.data_dir = data_dir

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None or not issubclass(kind, (tf.errors.DataLossError, tf.errors.InvalidArgumentError)):
            return False
        text = getattr(error, "message", str(error))
        if issubclass(kind, tf.errors.InvalidArgumentError) and _SIZE_MARK not in text:
            return False
        located = verify.locate_damage(self.data_dir, error)
        if located is not None:
            raise located from None
        raise fmt.DatasetError(
            f"dataset {self.data_dir} cannot be read ({fmt.first_line(error)}); run "
            f"betavae-info --verify --data={self.data_dir}."
        ) from None


def split_count(manifest, validation_fraction, split, shard_files=None):
    """Records of a split (optionally only in the given shard files), from the manifest alone."""
    count = 0
    for shard in manifest["shards"]:
        if shard_files is not None and shard["file"] not in shard_files:
            continue
        index = np.arange(shard["first_index"], shard["first_index"] + shard["n_samples"])
        if split == "all":
            count += len(index)
        else:
            validation = is_validation(index, validation_fraction)
            count += int(validation.sum() if split == "validation" else (~validation).sum())
    return count


def make_dataset(
    data_dir: str | os.PathLike,
    *,
    split: str = "train",
    batch_size: int = 128,
    shuffle: bool | None = None,
    seed: int = 0,
    validation_fraction: float = 0.1,
    with_labels: bool = False,
    repeat: bool = False,
    drop_remainder: bool | None = None,
    shuffle_buffer: int = 16384,
    cache: bool = False,
    input_context: tf.distribute.InputContext | None = None,
    start_step: int = 0,
) -> tf.data.Dataset:
    """A batched tf.data.Dataset of float32 [B, L, L, C] model inputs (and labels on request).

    C is 1 for bits (sigma in {0, 1}), D for categorical (one-hot), the
    stored channel count for uint8 (scaled to [0, 1]) and float32 data.

    With repeat, the stream is a fixed function of (seed, position): pass p
    over the split is a full permutation drawn statelessly from (seed, p)
    (the split is held in memory for it), batches run on across pass
    boundaries, and start_step skips to batch start_step of that stream. A
    run resumed at step k therefore sees exactly the batches an
    uninterrupted run sees from step k on. shuffle_buffer applies to the
    non-repeating shuffle only.

    Args:
      data_dir: a dataset directory (manifest.json + shards).
      split: "train", "validation" or "all".
      batch_size: per-replica batch when input_context is given, else global.
      shuffle: shuffle files and examples (default: only for "train").
      seed: seeds both shuffles; the same seed gives the same order.
      validation_fraction: share of records in the validation split.
      with_labels: yield (spins, labels) with labels a dict of [B] tensors.
      repeat: repeat forever (see above).
      drop_remainder: default True for training (static batch shape).
      cache: cache the parsed records of this split in memory.
      input_context: a tf.distribute.InputContext; files are sharded per input
        pipeline (use with strategy.distribute_datasets_from_function). Without
        it, experimental_distribute_dataset auto-shards by file, else by data.
      start_step: with repeat, the number of batches of the stream to skip.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    manifest = fmt.read_manifest(data_dir)
    check_first_record(data_dir, manifest)
    shuffle = (split == "train") if shuffle is None else shuffle
    drop_remainder = (split == "train") if drop_remainder is None else drop_remainder
    shards = manifest["shards"]
    if input_context is not None and input_context.num_input_pipelines > 1:
        if len(shards) < input_context.num_input_pipelines:
            raise ValueError(
                f"{len(shards)} shards cannot feed {input_context.num_input_pipelines} "
                "input pipelines; regenerate with more --n_shards."
            )
        shards = shards[input_context.input_pipeline_id :: input_context.num_input_pipelines]
    files = [os.path.join(data_dir, s["file"]) for s in shards]
    offsets = [s["first_index"] for s in shards]
    keep = _split_mask(validation_fraction, split)

    def records_of_split(path, first):
        # The split test runs on blocks of records: a per-record filter costs
        # tens of microseconds each and would starve training.
        block = tf.data.TFRecordDataset(path).enumerate(start=first).batch(1024)
        block = block.map(
            lambda index, record: (tf.boolean_mask(index, keep(index)), tf.boolean_mask(record, keep(index)))
        )
        return block.unbatch()

    def records(file_seed=None):
        ds = tf.data.Dataset.from_tensor_slices((files, tf.constant(offsets, tf.int64)))
        if file_seed is not None:
            ds = ds.shuffle(len(files), seed=file_seed)
        return ds.interleave(
            records_of_split, cycle_length=min(4, len(files)), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )

    if not repeat:
        ds = records(seed if shuffle else None)
        if cache:
            ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    else:
        n_split = split_count(manifest, validation_fraction, split, {s["file"] for s in shards})
        if n_split < 1:
            raise ValueError(f"the {split} split of {data_dir} is empty.")
        skip = start_step * batch_size
        first_pass, offset = skip // n_split, skip % n_split
        whole = records().cache() if cache else records()
        whole = whole.batch(n_split)  # one element: the split's (index, record) pairs

        def permuted(index, record, epoch_pass):
            # A full permutation per pass, a stateless function of (seed, pass).
            keys = tf.random.stateless_uniform(
                tf.shape(index), seed=tf.stack([tf.constant(seed, tf.int64), epoch_pass])
            )
            order = tf.argsort(keys, stable=True)
            return tf.data.Dataset.from_tensor_slices((tf.gather(index, order), tf.gather(record, order)))

        def one_pass(epoch_pass):
            if not shuffle:
                return whole.unbatch()
            return whole.flat_map(lambda index, record: permuted(index, record, epoch_pass))

        ds = tf.data.Dataset.range(first_pass, np.iinfo(np.int64).max).flat_map(one_pass).skip(offset)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if not repeat:
        # A known length: with an unknown one, Keras 3.15 logged validation means that were
        # half the true ones on a one-batch split (an empty final step averaged in).
        n_split = split_count(manifest, validation_fraction, split, {s["file"] for s in shards})
        n_batches = n_split // batch_size if drop_remainder else -(-n_split // batch_size)
        ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches))
    spec = _feature_spec(manifest)
    expected = fmt.sample_bytes(fmt.encoding_of(manifest), manifest["lattice_size"], manifest.get("channels", 1))

    def decode(index, serialized):
        del index  # the parsed "index" feature carries the same number
        parsed = tf.io.parse_example(serialized, spec)
        raw = parsed.pop("spins")
        check = tf.debugging.assert_equal(
            tf.strings.length(raw), expected, message=f"{_SIZE_MARK}: expected {expected} bytes a sample"
        )
        with tf.control_dependencies([check]):
            spins = decode_samples(tf.identity(raw), manifest)
        return (spins, parsed) if with_labels else spins

    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF
        if input_context is not None
        else tf.data.experimental.AutoShardPolicy.AUTO
    )
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def load_numpy(
    data_dir: str | os.PathLike, *, split: str = "all", validation_fraction: float = 0.1
) -> dict[str, np.ndarray]:
    """The whole split as NumPy: {"samples": samples, label: (N,) ...}, in index order.

    "samples" is stored form: uint8 (N, L, L) sigma for bits, uint8 (N, L, L)
    states for categorical, (N, L, L, C) uint8 / float32 otherwise;
    model_input(out["samples"], manifest) is what the model sees.
    """
    manifest = fmt.read_manifest(data_dir)
    L, c, encoding = manifest["lattice_size"], manifest.get("channels", 1), fmt.encoding_of(manifest)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    expected = fmt.sample_bytes(encoding, L, c)
    files = [os.path.join(data_dir, s["file"]) for s in manifest["shards"]]
    keep = _split_mask(validation_fraction, split)
    records = (
        tf.data.TFRecordDataset(files)
        .enumerate()
        .batch(4096)
        .map(lambda index, record: tf.io.parse_example(tf.boolean_mask(record, keep(index)), _feature_spec(manifest)))
    )
    observables = fmt.observables_of(manifest)
    parts = {k: [] for k in ("samples",) + fmt.LABELS + observables}
    with dataset_errors(data_dir):
        for batch in records.as_numpy_iterator():
            sizes = {len(b) for b in batch["spins"]}
            if sizes - {expected}:
                raise fmt.DatasetError(
                    f"dataset {data_dir}: its manifest declares L = {L}, {c} channel(s) ({encoding}), {expected} "
                    f"bytes a sample, but the shards hold samples of {sorted(sizes - {expected})[0]} bytes."
                )
            packed = np.frombuffer(b"".join(batch["spins"]), dtype=np.uint8).reshape(len(batch["spins"]), -1)
            if encoding == "bits":
                parts["samples"].append(np.unpackbits(packed, axis=1, count=L * L).reshape(-1, L, L))
            elif encoding == "categorical":
                parts["samples"].append(packed.reshape(-1, L, L))
            elif encoding == "uint8":
                parts["samples"].append(packed.reshape(-1, L, L, c))
            else:
                parts["samples"].append(packed.view("<f4").astype(np.float32).reshape(-1, L, L, c))
            for k in fmt.LABELS:
                parts[k].append(batch[k])
            for k in observables:
                parts[k].append(batch[fmt.OBSERVABLE_PREFIX + k])
    out = {k: (np.concatenate(v) if v else np.zeros((0,))) for k, v in parts.items()}
    if not parts["samples"]:
        shape = (0, L, L) if encoding in ("bits", "categorical") else (0, L, L, c)
        out["samples"] = np.zeros(shape, dtype=np.float32 if encoding == "float32" else np.uint8)
    n_expected = split_count(manifest, validation_fraction, split)
    if len(out["index"]) != n_expected:
        raise fmt.DatasetError(
            f"dataset {data_dir}: read {len(out['index'])} records of the {split} split, but "
            f"its manifest implies {n_expected}; run betavae-info --verify --data={data_dir}."
        )
    return out
