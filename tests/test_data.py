"""Dataset format, generation, import and the tf.data pipeline on tiny data."""

import json
import os

import numpy as np
import pytest

from betavae_tf.data import (
    PHASES,
    GenerateConfig,
    generate,
    import_numpy,
    load_numpy,
    make_dataset,
    read_manifest,
    shards,
    summarize,
)
from betavae_tf.data import format as fmt
from betavae_tf.physics import energy_per_site, magnetization, staggered_magnetization

TINY = GenerateConfig(
    lattice_size=8, couplings=(1.0, -1.0), temperatures=(1.5, 3.0), samples_per_point=25, seed=3, n_shards=4
)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return generate(TINY, str(tmp_path_factory.mktemp("data") / "tiny"), log=None)


def test_manifest_describes_the_data(tiny_dir):
    m = read_manifest(tiny_dir)
    assert m["lattice_size"] == 8 and m["n_samples"] == 100 and len(m["shards"]) == 4
    assert m["phase_counts"] == {"unknown": 0, "FM": 25, "AFM": 25, "PM": 50}
    assert [p["phase"] for p in m["points"]] == ["FM", "PM", "AFM", "PM"]
    for p in m["points"]:
        assert p["spacing"] >= 2 * max(p["tau_int"].values())
        assert p["algorithm"] in ("hybrid", "metropolis")
    assert m["package_version"] and m["seed"] == 3
    assert "generated in" in summarize(tiny_dir)


def test_labels_match_the_spins(tiny_dir):
    d = load_numpy(tiny_dir)
    assert d["samples"].shape == (100, 8, 8) and d["samples"].dtype == np.uint8
    np.testing.assert_array_equal(d["index"], np.arange(100))
    np.testing.assert_allclose(d["energy"], energy_per_site(d["samples"], d["coupling"]), atol=1e-6)
    np.testing.assert_allclose(d["magnetization"], magnetization(d["samples"]), atol=1e-6)
    np.testing.assert_allclose(d["staggered_magnetization"], staggered_magnetization(d["samples"]), atol=1e-6)
    fm = (d["coupling"] > 0) & (d["temperature"] < 2.269)
    assert np.all(d["phase"][fm] == PHASES["FM"])
    assert np.all(d["phase"][d["temperature"] > 2.269] == PHASES["PM"])


def test_generation_is_reproducible(tiny_dir, tmp_path):
    again = generate(TINY, str(tmp_path / "again"), log=None)
    a, b = load_numpy(tiny_dir), load_numpy(again)
    np.testing.assert_array_equal(a["samples"], b["samples"])
    np.testing.assert_array_equal(a["temperature"], b["temperature"])


def test_existing_dataset_is_not_overwritten(tiny_dir):
    before = open(os.path.join(tiny_dir, "manifest.json")).read()
    with pytest.raises(FileExistsError, match="--overwrite"):
        generate(TINY, tiny_dir, log=None)
    assert open(os.path.join(tiny_dir, "manifest.json")).read() == before


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = shards.shard_name

    def failing(k, n):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # as if killed half-way through the shards
        return real(k, n)

    monkeypatch.setattr(shards, "shard_name", failing)
    with pytest.raises(KeyboardInterrupt):
        generate(TINY, str(tmp_path / "out"), log=None)
    assert os.listdir(tmp_path) == []


def test_overwrite_replaces_atomically(tiny_dir, tmp_path):
    target = str(tmp_path / "replace")
    generate(TINY, target, log=None)
    generate(GenerateConfig(**{**TINY.__dict__, "samples_per_point": 5}), target, overwrite=True, log=None)
    assert read_manifest(target)["n_samples"] == 20
    assert sorted(os.listdir(tmp_path)) == ["replace"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(temperatures=(0.0,)), "temperatures must be finite and positive"),
        (dict(temperatures=()), "at least one"),
        (dict(lattice_size=7), "lattice_size must be even"),
        (dict(samples_per_point=0), "samples_per_point"),
        (dict(model="heisenberg"), "model must be one of"),
        (dict(couplings=(float("nan"),)), "couplings must be finite"),
    ],
)
def test_bad_generate_config(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        generate(GenerateConfig(**{**TINY.__dict__, **kwargs}), str(tmp_path / "x"), log=None)
    assert not os.path.exists(tmp_path / "x")


def test_pipeline_batches_and_split(tiny_dir):
    import tensorflow as tf

    ds = make_dataset(tiny_dir, split="train", batch_size=16, seed=1, validation_fraction=0.2)
    x = next(iter(ds))
    assert x.shape == (16, 8, 8, 1) and x.dtype == tf.float32
    assert set(np.unique(x.numpy())) <= {0.0, 1.0}

    def indices(split, **kw):
        ds = make_dataset(
            tiny_dir, split=split, batch_size=7, validation_fraction=0.2, with_labels=True, drop_remainder=False, **kw
        )
        return np.concatenate([labels["index"].numpy() for _, labels in ds])

    train, val = indices("train", shuffle=False), indices("validation")
    assert len(set(train) & set(val)) == 0 and len(train) + len(val) == 100
    assert abs(len(val) - 20) <= 2  # Weyl-sequence split: fraction 0.2 up to O(log N / N)
    from betavae_tf.data.pipeline import is_validation

    np.testing.assert_array_equal(np.sort(val), np.flatnonzero(is_validation(np.arange(100), 0.2)))
    assert np.array_equal(indices("train", shuffle=True, seed=5), indices("train", shuffle=True, seed=5))
    assert not np.array_equal(indices("train", shuffle=True, seed=5), indices("train", shuffle=True, seed=6))


def test_pipeline_spins_equal_numpy_loader(tiny_dir):
    d = load_numpy(tiny_dir)
    ds = make_dataset(tiny_dir, split="all", batch_size=100, shuffle=False, with_labels=True)
    x, labels = next(iter(ds))
    order = labels["index"].numpy()
    np.testing.assert_array_equal(x.numpy()[..., 0].astype(np.uint8), d["samples"][order])
    np.testing.assert_allclose(labels["temperature"].numpy(), d["temperature"][order])


def test_pipeline_shards_per_input_pipeline(tiny_dir):
    import tensorflow as tf

    seen = []
    for pipeline_id in range(2):
        ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline_id)
        ds = make_dataset(
            tiny_dir,
            split="all",
            batch_size=10,
            shuffle=False,
            with_labels=True,
            drop_remainder=False,
            input_context=ctx,
        )
        seen.append(np.concatenate([labels["index"].numpy() for _, labels in ds]))
    assert len(set(seen[0]) & set(seen[1])) == 0
    assert sorted(np.concatenate(seen)) == list(range(100))


def test_pipeline_bad_arguments(tiny_dir, tmp_path):
    with pytest.raises(ValueError, match="split must be"):
        make_dataset(tiny_dir, split="test")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_dataset(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        make_dataset(str(tmp_path / "empty"))


@pytest.mark.parametrize("encoding", ("sigma", "spin", "channel"))
def test_import_numpy(encoding, tmp_path):
    rng = np.random.default_rng(0)
    sigma = rng.integers(0, 2, size=(30, 8, 8), dtype=np.uint8)
    raw = {"sigma": sigma, "spin": 2 * sigma.astype(np.int64) - 1, "channel": sigma[..., None].astype(float)}[encoding]
    path = tmp_path / "spins.npz"
    np.savez(path, spins=raw, temperatures=np.linspace(1.0, 4.0, 30))
    out = import_numpy(str(path), str(tmp_path / "ds"), coupling=-1.0)
    d = load_numpy(out)
    order = np.argsort(d["temperature"])
    np.testing.assert_array_equal(d["samples"][order], sigma)
    np.testing.assert_allclose(d["energy"][order], energy_per_site(sigma, -1.0), atol=1e-6)
    assert set(d["phase"]) == {PHASES["AFM"], PHASES["PM"]}


def test_import_without_temperatures(tmp_path):
    np.save(tmp_path / "s.npy", np.ones((4, 4, 4), dtype=np.int8))
    d = load_numpy(import_numpy(str(tmp_path / "s.npy"), str(tmp_path / "ds")))
    assert np.all(np.isnan(d["temperature"])) and np.all(d["phase"] == PHASES["unknown"])


@pytest.mark.parametrize(
    "array, match",
    [
        (np.zeros((3, 4, 5)), "shape"),
        (np.zeros((4, 4)), "shape"),
        (np.full((2, 4, 4), 2), "values in"),
        (np.array([[[np.nan] * 4] * 4]), "NaN"),
    ],
)
def test_import_bad_input(array, match, tmp_path):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(ValueError, match=match):
        import_numpy(str(tmp_path / "bad.npy"), str(tmp_path / "ds"))
    assert not os.path.exists(tmp_path / "ds")


def test_import_temperature_count_mismatch(tmp_path):
    np.savez(tmp_path / "s.npz", spins=np.ones((4, 4, 4)), temperatures=np.ones(3))
    with pytest.raises(ValueError, match="one value per sample"):
        import_numpy(str(tmp_path / "s.npz"), str(tmp_path / "ds"))


def test_manifest_is_json_with_version(tiny_dir):
    with open(os.path.join(tiny_dir, "manifest.json")) as f:
        assert json.load(f)["format_version"] == fmt.FORMAT_VERSION


def test_pipeline_under_mirrored_strategy(tiny_dir):
    """Two logical CPUs must be configured before TensorFlow starts: use a fresh process."""
    import subprocess
    import sys

    script = f"""
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from betavae_tf.data import make_dataset
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
dist = strategy.experimental_distribute_dataset(make_dataset({tiny_dir!r}, split="all", batch_size=8))
shapes = [tuple(t.shape) for t in strategy.experimental_local_results(next(iter(dist)))]
assert shapes == [(4, 8, 8, 1), (4, 8, 8, 1)], shapes
per_replica = strategy.distribute_datasets_from_function(lambda ctx: make_dataset(
    {tiny_dir!r}, split="all", batch_size=ctx.get_per_replica_batch_size(8), input_context=ctx))
shapes = [tuple(t.shape) for t in strategy.experimental_local_results(next(iter(per_replica)))]
assert shapes == [(4, 8, 8, 1), (4, 8, 8, 1)], shapes
print("ok")
"""
    # Run outside the source tree, which would shadow the installed, compiled mc_ext.
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=os.path.dirname(tiny_dir)
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]


def test_two_processes_write_the_same_bytes(tmp_path):
    """The same settings give the same shard files in any process: records are serialised with a fixed field
    order (protobuf's map order otherwise varies between processes), so the dataset fingerprint that a
    resumed run checks does not change when a dataset is made again."""
    import hashlib

    from conftest import run_cli

    digests = []
    for k in range(2):
        out = tmp_path / f"d{k}"
        result = run_cli(
            "betavae-generate",
            "--lattice_size=4",
            "--n_temperatures=2",
            "--samples_per_point=8",
            "--n_shards=1",
            f"--out={out}",
        )
        assert result.returncode == 0, result.stderr[-2000:]
        digests.append(hashlib.sha256((out / "shard-00000-of-00001.tfrecord").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
