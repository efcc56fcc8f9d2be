"""Datasets beyond Ising: encodings, the synthetic Z3 set, Potts/XY generation, the MNIST
loader on small IDX files the test writes, and one training step with each decoder."""

import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import subprocess_env

from betavae_tf.data import format as fmt
from betavae_tf.data import shards
from betavae_tf.data.generate import GenerateConfig, generate
from betavae_tf.data.mnist import import_mnist, load_mnist, pad_mnist, read_idx
from betavae_tf.data.pipeline import load_numpy, make_dataset, model_input

BIN = os.path.dirname(sys.executable)


def _labels(n, phase=None):
    nan = np.full(n, np.nan)
    return {
        "temperature": nan,
        "coupling": nan,
        "energy": nan,
        "magnetization": nan,
        "staggered_magnetization": nan,
        "phase": np.zeros(n, int) if phase is None else phase,
    }


@pytest.mark.parametrize(
    "encoding,shape,dtype,channels",
    [
        ("categorical", (6, 4, 4), np.uint8, 3),
        ("uint8", (6, 4, 4, 1), np.uint8, None),
        ("float32", (6, 4, 4, 2), np.float32, None),
    ],
)
def test_encodings_round_trip_through_pipeline_and_numpy(tmp_path, encoding, shape, dtype, channels):
    rng = np.random.default_rng(0)
    if encoding == "categorical":
        x = rng.integers(0, 3, shape).astype(dtype)
        expected = np.eye(3, dtype=np.float32)[x]
    elif encoding == "uint8":
        x = rng.integers(0, 256, shape).astype(dtype)
        expected = x.astype(np.float32) / 255
    else:
        x = rng.normal(size=shape).astype(dtype)
        expected = x
    path = shards.write_dataset(
        str(tmp_path / "d"), x, _labels(6), {"model": "test"}, n_shards=2, encoding=encoding, channels=channels
    )
    manifest = fmt.read_manifest(path)
    assert manifest["encoding"] == encoding and manifest["channels"] == expected.shape[-1]
    loaded = load_numpy(path)
    order = np.argsort(loaded["index"])
    assert np.array_equal(loaded["samples"][order], x)  # index = write position
    assert np.allclose(model_input(loaded["samples"], manifest)[order], expected)
    batches = list(make_dataset(path, split="all", batch_size=6, shuffle=False, with_labels=True))
    ((xb, lb),) = batches
    got = np.asarray(xb)[np.argsort(np.asarray(lb["index"]))]
    assert got.dtype == np.float32 and np.allclose(got, expected)


@pytest.mark.parametrize(
    "encoding,x,channels,match",
    [
        ("categorical", np.full((2, 4, 4), 3), 3, "integers in \\[0, 3\\)"),
        ("categorical", np.zeros((2, 4, 4), int), 1, "channels = D >= 2"),
        ("float32", np.full((2, 4, 4, 1), np.inf), None, "must be finite"),
        ("float32", np.zeros((2, 4, 4)), None, "shape \\(N, L, L, C\\)"),
        ("bits", np.full((2, 4, 4), 2), None, "only 0 and 1"),
        ("png", np.zeros((2, 4, 4)), None, "encoding must be one of"),
    ],
)
def test_bad_samples_are_refused_and_nothing_is_written(tmp_path, encoding, x, channels, match):
    with pytest.raises(ValueError, match=match):
        shards.write_dataset(str(tmp_path / "d"), x, _labels(2), {}, encoding=encoding, channels=channels)
    assert os.listdir(tmp_path) == []


def test_synthetic_z3_site_frequencies(tmp_path):
    """Each class's site frequencies match its multinomial parameters within 5 binomial sigma."""
    config = GenerateConfig(model="z3", lattice_size=8, samples_per_point=200, seed=3, n_shards=2)
    path = generate(config, str(tmp_path / "z3"), log=None)
    manifest = fmt.read_manifest(path)
    assert manifest["encoding"] == "categorical" and manifest["channels"] == 3
    assert manifest["phase_counts"] == {"unknown": 0, "PM": 200, "FM_0": 200, "FM_1": 200, "FM_2": 200}
    data = load_numpy(path)
    names = fmt.phase_names_of(manifest)
    n_sites = 200 * 64
    for c in manifest["classes"]:
        code = {v: k for k, v in names.items()}[c["class"]]
        states = data["samples"][data["phase"] == code]
        freq = np.bincount(states.ravel(), minlength=3) / n_sites
        p = np.array(c["probabilities"])
        assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n_sites)), (c, freq)
    assert np.isnan(data["temperature"]).all()
    # Same seed, same bits.
    again = load_numpy(generate(config, str(tmp_path / "z3b"), log=None))
    assert np.array_equal(again["samples"], data["samples"])


def test_potts_and_xy_datasets(tmp_path):
    potts = generate(
        GenerateConfig(
            model="potts",
            q=3,
            lattice_size=8,
            couplings=(1.0,),
            temperatures=(0.6, 2.0),
            samples_per_point=40,
            n_shards=2,
        ),
        str(tmp_path / "potts"),
        log=None,
    )
    m = fmt.read_manifest(potts)
    assert (m["encoding"], m["channels"], m["q"]) == ("categorical", 3, 3)
    data = load_numpy(potts)
    cold = data["temperature"] == 0.6
    assert np.all(data["phase"][~cold] == 2) and np.all(data["phase"][cold] >= 3)
    assert data["magnetization"][cold].mean() > 0.8 > 0.4 > data["magnetization"][~cold].mean()
    xy = generate(
        GenerateConfig(
            model="xy", lattice_size=8, couplings=(1.0,), temperatures=(0.5, 2.0), samples_per_point=30, n_shards=2
        ),
        str(tmp_path / "xy"),
        log=None,
    )
    m = fmt.read_manifest(xy)
    assert (m["encoding"], m["channels"]) == ("float32", 2)
    data = load_numpy(xy)
    assert data["samples"].shape == (60, 8, 8, 2)
    assert np.allclose((data["samples"] ** 2).sum(axis=-1), 1.0, atol=1e-5)
    assert set(np.unique(data["phase"])) == {0, 2}


def test_generate_config_refuses_bad_input(tmp_path):
    for kwargs, match in [
        ({"model": "potts", "q": 1}, "q must be in"),
        ({"model": "xy", "algorithm": "heatbath"}, "algorithm for xy"),
        ({"model": "potts", "couplings": (-1.0,), "algorithm": "wolff"}, "needs J > 0"),
        ({"model": "z3", "polarization": 1.0}, "polarization must be in"),
        ({"model": "clock"}, "model must be one of"),
    ]:
        with pytest.raises(ValueError, match=match):
            GenerateConfig(**kwargs).validate()


# -- MNIST ------------------------------------------------------------------------------
def _write_idx(path, array, magic_type=0x08, truncate=0, gz=False):
    header = bytes([0, 0, magic_type, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    data = data[: len(data) - truncate]
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


@pytest.fixture
def tiny_mnist(tmp_path):
    rng = np.random.default_rng(0)
    d = tmp_path / "mnist"
    d.mkdir()
    x_train, y_train = rng.integers(0, 256, (12, 28, 28)), np.arange(12) % 10
    x_test, y_test = rng.integers(0, 256, (5, 28, 28)), np.arange(5)
    _write_idx(d / "train-images-idx3-ubyte.gz", x_train, gz=True)
    _write_idx(d / "train-labels-idx1-ubyte.gz", y_train, gz=True)
    _write_idx(d / "t10k-images-idx3-ubyte", x_test)
    _write_idx(d / "t10k-labels-idx1-ubyte", y_test)
    return d, (x_train, y_train, x_test, y_test)


def test_mnist_idx_and_npz_loaders(tiny_mnist, tmp_path):
    d, (x_train, y_train, x_test, y_test) = tiny_mnist
    x, y = load_mnist(str(d), "train")
    assert np.array_equal(x, x_train) and np.array_equal(y, y_train)
    x, y = load_mnist(str(d), "all")
    assert x.shape == (17, 28, 28) and np.array_equal(y[12:], y_test)
    npz = tmp_path / "mnist.npz"
    np.savez(
        npz,
        x_train=x_train.astype(np.uint8),
        y_train=y_train.astype(np.uint8),
        x_test=x_test.astype(np.uint8),
        y_test=y_test.astype(np.uint8),
    )
    x, y = load_mnist(str(npz), "test")
    assert np.array_equal(x, x_test) and np.array_equal(y, y_test)
    padded = pad_mnist(x)
    assert padded.shape == (5, 32, 32, 1)
    assert np.array_equal(padded[:, 2:30, 2:30, 0], x) and padded[:, :2].max() == 0


def test_mnist_import_writes_scaled_padded_images(tiny_mnist, tmp_path):
    d, (x_train, y_train, _, _) = tiny_mnist
    path = import_mnist(str(d), str(tmp_path / "ds"), split="train", limit=10, n_shards=2)
    manifest = fmt.read_manifest(path)
    assert manifest["encoding"] == "uint8" and manifest["lattice_size"] == 32 and manifest["n_samples"] == 10
    data = load_numpy(path)
    x = model_input(data["samples"], manifest)
    assert x.shape == (10, 32, 32, 1) and x.min() >= 0.0 and x.max() <= 1.0
    # The digits travel with their images.
    for k in range(10):
        src = int(np.flatnonzero((x_train[:10] == data["samples"][k, 2:30, 2:30, 0]).all(axis=(1, 2)))[0])
        assert data["phase"][k] == y_train[src]


def test_mnist_errors(tiny_mnist, tmp_path):
    d, (x_train, _, _, _) = tiny_mnist
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*nothing is downloaded"):
        load_mnist(str(empty))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(str(tmp_path / "nowhere"))
    bad = tmp_path / "bad"
    bad.mkdir()
    _write_idx(bad / "t10k-images-idx3-ubyte", x_train[:3], truncate=100)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(str(bad / "t10k-images-idx3-ubyte"))
    _write_idx(bad / "x", x_train[:3], magic_type=0x0D)
    with pytest.raises(ValueError, match="unsigned bytes"):
        read_idx(str(bad / "x"))
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist(str(d), "validation")
    # The console script: one line, exit 2, nothing written.
    result = subprocess.run(
        [os.path.join(BIN, "betavae-import"), f"--mnist={empty}", f"--out={tmp_path / 'out'}"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("betavae-import: error: MNIST file")
    assert not (tmp_path / "out").exists()


# -- one training step per decoder -------------------------------------------------------
@pytest.fixture(scope="module")
def small_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    z3 = generate(
        GenerateConfig(model="z3", lattice_size=8, samples_per_point=32, n_shards=2), str(root / "z3"), log=None
    )
    xy = generate(
        GenerateConfig(
            model="xy", lattice_size=8, couplings=(1.0,), temperatures=(0.5, 2.0), samples_per_point=64, n_shards=2
        ),
        str(root / "xy"),
        log=None,
    )
    potts = generate(
        GenerateConfig(
            model="potts", lattice_size=8, couplings=(1.0,), temperatures=(0.6, 2.0), samples_per_point=64, n_shards=2
        ),
        str(root / "potts"),
        log=None,
    )
    return {"z3": z3, "xy": xy, "potts": potts}


@pytest.mark.parametrize(
    "data,decoder,latent_dim",
    [("z3", "multinomial", 3), ("potts", "multinomial", 2), ("potts", "temperature", 2), ("xy", "gaussian", 2)],
)
def test_one_training_step_per_decoder(small_sets, tmp_path, data, decoder, latent_dim):
    from betavae_tf import train_lib

    config = train_lib.TrainConfig(
        data_dir=small_sets[data],
        decoder=decoder,
        latent_dim=latent_dim,
        beta=65.0,
        batch_size=16,
        epochs=1,
        steps_per_epoch=2,
        verbose=0,
        summary_images=True,
        export=False,
    )
    result = train_lib.train_and_evaluate(config, str(tmp_path / "run"))
    final = result["final"]
    assert np.isfinite(final["loss"])
    assert final["loss"] == pytest.approx(final["distortion"] + 65.0 * final["rate"], rel=1e-4)
    with open(tmp_path / "run" / "config.json") as f:
        effective = json.load(f)
    assert effective["data"]["encoding"] == fmt.read_manifest(small_sets[data])["encoding"]


@pytest.mark.parametrize(
    "data,decoder,match",
    [
        ("xy", "bernoulli", "bernoulli decoder models one binary channel"),
        ("xy", "multinomial", "the multinomial decoder does not model float32 data .* use gaussian"),
        ("xy", "temperature", "the temperature decoder does not model float32 data"),
        ("z3", "bernoulli", "bernoulli decoder models one binary channel"),
    ],
)
def test_decoder_and_data_must_match(small_sets, data, decoder, match):
    from betavae_tf import train_lib

    with pytest.raises(ValueError, match=match):
        train_lib.validate(train_lib.TrainConfig(data_dir=small_sets[data], decoder=decoder))
