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
    x = (np.eye(C, dtype=np.float32)[rng.integers(0, C, (32, L, L))] if C > 1
         else (rng.random((32, L, L, 1)) < 0.5).astype(np.float32))
    model.fit(x, batch_size=16, epochs=1, verbose=0)  # BN statistics away from their defaults
    return model, x


def _expected(model, x, z):
    enc = model.encoder(x, training=False)
    return {"encode": {k: enc[k].numpy() for k in ("mean", "stddev")},
            "decode": {k: v.numpy() for k, v in model.decoder(z, training=False).items()},
            "reconstruct": {k: v.numpy() for k, v in model(x).items()}}


_FRESH = """
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
data = np.load(sys.argv[2])
out = {}
for name, arg in (("encode", "x"), ("decode", "z"), ("reconstruct", "x")):
    for k, v in loaded.signatures[name](**{arg: tf.constant(data[arg])}).items():
        out[name + "/" + k] = v.numpy()
for tag, seed in (("7", 7), ("7again", 7), ("8", 8)):
    res = loaded.signatures["sample"](n=tf.constant(5), seed=tf.constant(seed))
    for k, v in res.items():
        out[f"sample{tag}/{k}"] = v.numpy()
np.savez(sys.argv[3], **out)
print(sorted(loaded.signatures))
"""


@pytest.mark.parametrize("decoder,C", [("bernoulli", 1), ("temperature", 1), ("multinomial", 3),
                                       ("gaussian", 1)])
def test_fresh_process_matches_keras(decoder, C, tmp_path):
    model, x = _trained(decoder, C)
    path = export.export_saved_model(model, str(tmp_path / "export"))
    assert sorted(os.listdir(tmp_path)) == ["export"]  # no temporary left behind
    z = np.random.default_rng(1).normal(size=(6, 2)).astype(np.float32)
    np.savez(tmp_path / "in.npz", x=x[:6], z=z)
    result = subprocess.run([sys.executable, "-c", _FRESH, path, str(tmp_path / "in.npz"),
                             str(tmp_path / "out.npz")], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert result.returncode == 0, result.stderr[-3000:]
    for name in export.SIGNATURES:
        assert name in result.stdout
    out = np.load(tmp_path / "out.npz")
    expected = _expected(model, x[:6], z)
    for signature, values in expected.items():
        for k, v in values.items():
            np.testing.assert_allclose(out[f"{signature}/{k}"], v, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{signature}/{k}")
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


def test_saved_model_cli_run_matches_keras(tmp_path):
    model, x = _trained()
    path = export.export_saved_model(model, str(tmp_path / "export"))
    np.save(tmp_path / "x.npy", x[:4])
    outdir = tmp_path / "cli_out"
    result = subprocess.run([CLI, "run", "--dir", path, "--tag_set", "serve", "--signature_def",
                             "encode", "--inputs", f"x={tmp_path / 'x.npy'}", "--outdir", str(outdir)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert result.returncode == 0, result.stderr[-3000:]
    enc = model.encoder(x[:4], training=False)
    np.testing.assert_allclose(np.load(outdir / "mean.npy"), enc["mean"].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.load(outdir / "stddev.npy"), enc["stddev"].numpy(), rtol=1e-5, atol=1e-6)


def test_export_replaces_and_load_checks(tmp_path):
    model, _ = _trained()
    target = str(tmp_path / "export")
    export.export_saved_model(model, target)
    export.export_saved_model(model, target)  # replacing an export leaves one directory
    assert sorted(os.listdir(tmp_path)) == ["export"]
    loaded = export.load(target)
    assert set(export.SIGNATURES) <= set(loaded.signatures)
    with pytest.raises(FileNotFoundError, match="is not a SavedModel directory"):
        export.load(str(tmp_path))
