"""The SavedModel: four named signatures that give the Keras model's outputs in a
fresh process (tf.saved_model.load) and through saved_model_cli."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from betavae_tf import export
from betavae_tf.models import BetaVAE, paper_optimizer

CLI = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")


def _trained(decoder="bernoulli", C=1, L=8, d=2):
    keras.utils.set_random_seed(0)
    model = BetaVAE(lattice_size=L, channels=C, latent_dim=d, decoder=decoder)
    model.compile(paper_optimizer())
    rng = np.random.default_rng(0)
    x = (
        np.eye(C, dtype=np.float32)[rng.integers(0, C, (32, L, L))]
        if C > 1
        else (rng.random((32, L, L, 1)) < 0.5).astype(np.float32)
    )
    model.fit(x, batch_size=16, epochs=1, verbose=0)  # BN statistics away from their defaults
    return model, x


def _expected(model, x, z):
    enc = model.encoder(x, training=False)
    return {
        "encode": {k: enc[k].numpy() for k in ("mean", "stddev")},
        "decode": {k: v.numpy() for k, v in model.decoder(z, training=False).items()},
        "reconstruct": {k: v.numpy() for k, v in model(x).items()},
    }


_FRESH = """
import sys, numpy as np, tensorflow as tf
for path in sys.argv[1:]:  # export directories; inputs in path + ".in.npz", outputs to path + ".out.npz"
    loaded = tf.saved_model.load(path)
    data = np.load(path + ".in.npz")
    out = {}
    for name, arg in (("encode", "x"), ("decode", "z"), ("reconstruct", "x")):
        for k, v in loaded.signatures[name](**{arg: tf.constant(data[arg])}).items():
            out[name + "/" + k] = v.numpy()
    for tag, seeds in (("7", [7, 70, 700, 7000, 70000]), ("7again", [7, 70, 700, 7000, 70000]),
                      ("8", [8, 80, 800, 8000, 80000]), ("7alone", [700])):
        res = loaded.signatures["sample"](seed=tf.constant(seeds, tf.int32))
        for k, v in res.items():
            out[f"sample{tag}/{k}"] = v.numpy()
    for k, v in loaded.signatures["serving_default"](x=tf.constant(data["x"])).items():
        out["serving_default/" + k] = v.numpy()
    np.savez(path + ".out.npz", **out)
    print(path, sorted(loaded.signatures))
"""
DECODERS = (("bernoulli", 1), ("temperature", 1), ("multinomial", 3), ("gaussian", 1))


def test_fresh_process_matches_keras(tmp_path):
    """One fresh process loads an export of every head and calls each signature (one process: TF starts once)."""
    models, paths = {}, []
    for decoder, C in DECODERS:
        model, x = _trained(decoder, C)
        path = export.export_saved_model(model, str(tmp_path / decoder))
        z = np.random.default_rng(1).normal(size=(6, 2)).astype(np.float32)
        np.savez(path + ".in.npz", x=x[:6], z=z)
        models[decoder] = (model, x, z, path)
        paths.append(path)
    assert sorted(os.listdir(tmp_path / "bernoulli")) == ["1", "1.in.npz"]  # no temporary left behind
    result = subprocess.run(
        [sys.executable, "-c", _FRESH, *paths],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in export.SIGNATURES:
        assert name in result.stdout
    for decoder, C in DECODERS:
        model, x, z, path = models[decoder]
        _check_fresh_outputs(decoder, C, model, x[:6], z, np.load(path + ".out.npz"))


def _check_fresh_outputs(decoder, C, model, x, z, out):
    for signature, values in _expected(model, x, z).items():
        for k, v in values.items():
            np.testing.assert_allclose(
                out[f"{signature}/{k}"], v, rtol=1e-5, atol=1e-6, err_msg=f"{decoder}: {signature}/{k}"
            )
    if decoder == "temperature":
        beta = out["decode/inverse_temperature"]
        assert beta.min() > 0 and beta.max() < 1
    # sample: the same seed repeats, another seed differs; configurations are valid spins.
    conf7, conf8 = out["sample7/configurations"], out["sample8/configurations"]
    assert conf7.shape == (5, 8, 8, C)
    if decoder != "gaussian":
        assert set(np.unique(conf7)) <= {0.0, 1.0}
    if C > 1:
        np.testing.assert_array_equal(conf7.sum(-1), 1.0)  # one-hot per site
    # The sample signature's parameters are the decoder's at its z.
    params = model.decoder(out["sample7/z"], training=False)
    mean_key = "mean" if decoder == "gaussian" else "probs"
    np.testing.assert_allclose(out[f"sample7/{mean_key}"], params[mean_key].numpy(), rtol=1e-5, atol=1e-6)
    assert not np.array_equal(out["sample7/z"], out["sample8/z"])
    assert not np.array_equal(conf7, conf8)
    np.testing.assert_array_equal(out["sample7again/configurations"], conf7)
    np.testing.assert_array_equal(out["sample7again/z"], out["sample7/z"])
    # A configuration depends on its own seed only, not on the rest of the batch (up to the float
    # rounding of a batch of one against five in the decoder, for the real-valued head).
    np.testing.assert_array_equal(out["sample7alone/z"][0], out["sample7/z"][2])
    np.testing.assert_allclose(out["sample7alone/configurations"][0], conf7[2], rtol=0, atol=1e-5)
    for k in ("mean", "stddev"):
        np.testing.assert_array_equal(out[f"serving_default/{k}"], out[f"encode/{k}"])


def test_saved_model_cli_run_matches_keras(tmp_path):
    model, x = _trained()
    path = export.export_saved_model(model, str(tmp_path / "export"))
    np.save(tmp_path / "x.npy", x[:4])
    outdir = tmp_path / "cli_out"
    result = subprocess.run(
        [
            CLI,
            "run",
            "--dir",
            path,
            "--tag_set",
            "serve",
            "--signature_def",
            "encode",
            "--inputs",
            f"x={tmp_path / 'x.npy'}",
            "--outdir",
            str(outdir),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    enc = model.encoder(x[:4], training=False)
    np.testing.assert_allclose(np.load(outdir / "mean.npy"), enc["mean"].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.load(outdir / "stddev.npy"), enc["stddev"].numpy(), rtol=1e-5, atol=1e-6)


def test_export_versions_and_load_checks(tmp_path):
    model, _ = _trained()
    target = str(tmp_path / "export")
    first = export.export_saved_model(model, target)
    second = export.export_saved_model(model, target)  # a new version; the first one stays
    assert (first, second) == (os.path.join(target, "1"), os.path.join(target, "2"))
    assert sorted(os.listdir(target)) == ["1", "2"] and export.versions(target) == [1, 2]
    assert export.resolve(target) == second
    assert export.read_metadata(target)["model_config"]["lattice_size"] == 8
    loaded = export.load(target)
    assert set(export.SIGNATURES) <= set(loaded.signatures)
    with pytest.raises(FileNotFoundError, match="is not a SavedModel directory"):
        export.load(str(tmp_path))


_WARMUP = """
import sys, json, os
sys.modules["betavae_tf"] = None  # the package must not be needed to serve an export
sys.modules["mc_ext"] = None
import numpy as np, tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2
path = sys.argv[1]
meta = json.load(open(os.path.join(path, "assets.extra", "betavae_tf.json")))
cfg = meta["model_config"]
loaded = tf.saved_model.load(path)
seen = []
for record in tf.data.TFRecordDataset(os.path.join(path, "assets.extra", "tf_serving_warmup_requests")):
    log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
    request = log.predict_log.request
    name = request.model_spec.signature_name
    inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
    outputs = loaded.signatures[name](**inputs)
    n = next(iter(inputs.values())).shape[0]
    for k, v in outputs.items():
        assert v.shape[0] == n, (name, k, v.shape)
        if k in ("mean", "stddev") and name in ("encode", "serving_default"):
            assert v.shape == (n, cfg["latent_dim"]), (name, k, v.shape)
        if k == "configurations":
            assert v.shape == (n, cfg["lattice_size"], cfg["lattice_size"], cfg["channels"]), v.shape
    seen.append(name)
print("REPLAYED", " ".join(sorted(seen)))
"""


def test_tf_serving_layout_metadata_and_warmup_replay(tmp_path):
    """What TF Serving does at load, done in a process where betavae_tf cannot be imported."""
    model, _ = _trained("multinomial", C=3)
    path = export.export_saved_model(model, str(tmp_path / "export"), metadata={"epoch": 1})
    assert path == str(tmp_path / "export" / "1")  # BASE/<numeric version>/saved_model.pb
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    meta = export.read_metadata(path)
    assert meta["package"] == "betavae_tf" and meta["epoch"] == 1 and meta["model_config"]["channels"] == 3
    result = subprocess.run(
        [sys.executable, "-c", _WARMUP, path],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("REPLAYED")[1].split() == sorted(export.SIGNATURES)


def _rest_to_inputs(body):
    """A TF Serving REST predict body -> {input: batched array}, as TF Serving converts it (row and columnar)."""
    if "instances" in body:
        rows = body["instances"]
        names = rows[0].keys() if isinstance(rows[0], dict) else [None]
        return {n: np.asarray([r[n] if n is not None else r for r in rows]) for n in names}
    cols = body["inputs"]
    return {n: np.asarray(v) for n, v in cols.items()} if isinstance(cols, dict) else {None: np.asarray(cols)}


def test_rest_request_forms_give_the_keras_outputs(tmp_path):
    import json

    import tensorflow as tf

    model, x = _trained()
    loaded = export.load(export.export_saved_model(model, str(tmp_path / "export")))
    z = np.random.default_rng(3).normal(size=(3, 2)).astype(np.float32)
    cases = [
        ("encode", "x", x[:3], {k: v.numpy() for k, v in model.encoder(x[:3], training=False).items()}),
        ("decode", "z", z, {k: v.numpy() for k, v in model.decoder(z, training=False).items()}),
    ]
    for signature, name, value, expected in cases:
        row = json.dumps({"instances": [{name: v.tolist()} for v in value]})
        column = json.dumps({"inputs": {name: value.tolist()}})
        for body in (row, column):
            inputs = _rest_to_inputs(json.loads(body))
            fn = loaded.signatures[signature]
            dtypes = {k: spec.dtype for k, spec in fn.structured_input_signature[1].items()}
            out = fn(**{k: tf.constant(v, dtype=dtypes[k]) for k, v in inputs.items()})
            for k, v in expected.items():
                np.testing.assert_allclose(out[k].numpy(), v, rtol=1e-5, atol=1e-6, err_msg=f"{signature}/{k}")
    # sample: one seed per requested configuration, in either form.
    body = {"instances": [{"seed": 5}, {"seed": 6}]}
    a = loaded.signatures["sample"](seed=tf.constant(_rest_to_inputs(body)["seed"], tf.int32))
    b = loaded.signatures["sample"](seed=tf.constant(_rest_to_inputs({"inputs": {"seed": [5, 6]}})["seed"], tf.int32))
    assert a["configurations"].shape == (2, 8, 8, 1)
    np.testing.assert_array_equal(a["configurations"].numpy(), b["configurations"].numpy())


_KERAS_FRESH = """
import sys, numpy as np
import betavae_tf
import keras
for path in sys.argv[1:]:
    model = keras.saving.load_model(path)
    print("OPTIMIZER", type(model.optimizer).__name__)
    np.save(path + ".mean.npy", model.encoder(np.load(path + ".x.npy"), training=False)["mean"].numpy())
"""


def test_keras_files_load_in_a_fresh_process_after_import_betavae_tf(tmp_path):
    models = {}
    for decoder, C, learned in (("bernoulli", 1, False), ("gaussian", 2, True)):  # LearnedScale: a custom layer
        keras.utils.set_random_seed(0)
        model = BetaVAE(lattice_size=8, channels=C, latent_dim=2, decoder=decoder, learned_scale=learned)
        model.compile(paper_optimizer())
        x = np.random.default_rng(0).integers(0, 2, (16, 8, 8, C)).astype(np.float32)
        model.fit(x, batch_size=8, epochs=1, verbose=0)
        path = str(tmp_path / f"{decoder}.keras")
        model.save(path)
        np.save(path + ".x.npy", x[:4])
        models[path] = (model, x[:4])
    result = subprocess.run(
        [sys.executable, "-c", _KERAS_FRESH, *models],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("OPTIMIZER FusedAdam") == 2
    for path, (model, x) in models.items():
        np.testing.assert_allclose(
            np.load(path + ".mean.npy"), model.encoder(x, training=False)["mean"].numpy(), rtol=1e-5, atol=1e-6
        )


def test_keras_export_works_without_an_example_call(tmp_path):
    """model.export(path) after fit (Keras's `serve` endpoint), reloaded: the model's reconstruction."""
    import tensorflow as tf

    model, x = _trained()
    model.export(str(tmp_path / "keras_export"), verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "keras_export"))
    served = reloaded.serve(tf.constant(x[:5]))
    for key, value in model(x[:5]).items():
        np.testing.assert_allclose(served[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6)


def test_phase_signature_places_configurations_as_the_analysis_did(tmp_path):
    """An export made from an analysis answers x -> order parameter, cluster and role: the mixture's own
    assignment (sklearn's predict, redone in float64 in the graph) and r, for every configuration; its warmup
    names the model as served and replays in a process without the package."""
    import tensorflow as tf

    from betavae_tf.analysis.discovery import analyze_run

    model, x = _trained()
    rng = np.random.default_rng(1)
    data = {"samples": x[..., 0].astype(np.uint8), "temperature": rng.choice([1.5, 2.0, 2.5, 3.0], len(x))}
    manifest = {"lattice_size": 8, "encoding": "bits", "channels": 1, "model": "ising"}
    summary, arrays = analyze_run(model, data, manifest, max_clusters=3, n_bootstrap=10)
    path = export.export_saved_model(
        model, str(tmp_path / "export"), phase=export.phase_map(summary), model_name="ising_phases"
    )
    reloaded = tf.saved_model.load(path)
    out = reloaded.signatures["phase"](x=tf.constant(x))
    np.testing.assert_array_equal(out["cluster"].numpy(), arrays.assign)
    np.testing.assert_allclose(out["order_parameter"].numpy(), arrays.r, rtol=1e-5, atol=1e-6)
    roles = [c["role"] for c in summary["clusters"]]
    assert [p.decode() for p in out["phase"].numpy()] == [roles[c] for c in arrays.assign]
    assert export.read_metadata(path)["signatures"][-1] == "phase"
    result = subprocess.run(
        [sys.executable, "-c", _WARMUP, path],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("REPLAYED")[1].split() == sorted(export.SIGNATURES + ("phase",))
    from tensorflow_serving.apis import prediction_log_pb2

    first = next(iter(tf.data.TFRecordDataset(os.path.join(path, "assets.extra", "tf_serving_warmup_requests"))))
    assert prediction_log_pb2.PredictionLog.FromString(first.numpy()).predict_log.request.model_spec.name == (
        "ising_phases"
    )
