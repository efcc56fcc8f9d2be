"""SavedModel export with named signatures, for serving and for analysis in any TF process.

Signatures (x is float32 [N, L, L, C]; for Ising data sigma in {0, 1}):
  encode       x -> mean, stddev [N, d_z] of q(z|x)
  decode       z [N, d_z] -> the head's parameters: probs (bernoulli, multinomial,
               temperature) or mean (gaussian), local_field, and inverse_temperature
               for the temperature (beta^2) head
  reconstruct  x -> the same parameters at the posterior mean
  sample       n int32, seed int32 -> configurations sampled from p(x|z), z ~ N(0, I),
               with z and the parameters; the same seed gives the same samples
The export is written to a temporary sibling and renamed into place, so a
reader never sees a half-written SavedModel.
"""
import os
import shutil
import uuid

import keras
import tensorflow as tf

from betavae_tf.models import head_output_names

SIGNATURES = ("encode", "decode", "reconstruct", "sample")


def _endpoints(model):
    cfg = model.config
    names = head_output_names(cfg.decoder, cfg.learned_scale)
    x_spec = tf.TensorSpec([None, cfg.lattice_size, cfg.lattice_size, cfg.channels], tf.float32,
                           name="x")
    z_spec = tf.TensorSpec([None, cfg.latent_dim], tf.float32, name="z")

    def params_of(z):
        params = model.decoder(z, training=False)
        return {k: tf.cast(params[k], tf.float32) for k in names}

    def encode(x):
        out = model.encoder(x, training=False)
        return {"mean": out["mean"], "stddev": out["stddev"]}

    def decode(z):
        return params_of(z)

    def reconstruct(x):
        return params_of(model.encoder(x, training=False)["mean"])

    def sample(n, seed):
        z = tf.random.stateless_normal(tf.stack([n, cfg.latent_dim]), seed=tf.stack([seed, 0]))
        params = model.decoder(z, training=False)
        configurations = model.likelihood(params).sample(seed=tf.stack([seed, 1]))
        return {"configurations": tf.cast(configurations, tf.float32), "z": z,
                **{k: tf.cast(params[k], tf.float32) for k in names}}

    return {
        "encode": (encode, [x_spec]),
        "decode": (decode, [z_spec]),
        "reconstruct": (reconstruct, [x_spec]),
        "sample": (sample, [tf.TensorSpec([], tf.int32, name="n"),
                            tf.TensorSpec([], tf.int32, name="seed")]),
    }


def export_saved_model(model, export_dir):
    """Write model's SavedModel with the four signatures to export_dir (replacing it)."""
    export_dir = os.path.abspath(export_dir)
    parent = os.path.dirname(export_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(export_dir)}.tmp-{uuid.uuid4().hex[:8]}")
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (fn, spec) in _endpoints(model).items():
        archive.add_endpoint(name, fn, input_signature=spec)
    try:
        archive.write_out(tmp, verbose=False)
        old = None
        if os.path.exists(export_dir):
            old = f"{tmp}.old"
            os.rename(export_dir, old)
        os.rename(tmp, export_dir)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return export_dir


def load(export_dir):
    """tf.saved_model.load with a check that the four signatures are there."""
    if not os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
        raise FileNotFoundError(f"{export_dir} is not a SavedModel directory (no saved_model.pb).")
    loaded = tf.saved_model.load(export_dir)
    missing = [s for s in SIGNATURES if s not in loaded.signatures]
    if missing:
        raise ValueError(f"SavedModel {export_dir} lacks the signatures {missing}.")
    return loaded


def model_from_workdir(workdir, checkpoint=None):
    """The float32 BetaVAE of a training workdir at a checkpoint (default: newest).

    Returns (model, epoch). Only the model's variables are read; the optimizer
    state in the checkpoint is not needed.
    """
    import json

    from betavae_tf.models import ModelConfig
    from betavae_tf.models.vae import float32_model
    config_path = os.path.join(workdir, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{workdir} is not a training workdir: it has no config.json.")
    with open(config_path) as f:
        model_config = ModelConfig(**json.load(f)["model"]).validate()
    if checkpoint is None:
        checkpoint = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
        if checkpoint is None:
            raise FileNotFoundError(f"{workdir} has no checkpoint yet.")
    elif not tf.io.gfile.exists(checkpoint + ".index"):
        raise FileNotFoundError(f"no checkpoint {checkpoint} (expected {checkpoint}.index).")
    model = float32_model(model_config)
    status = tf.train.Checkpoint(model=model).read(checkpoint)
    status.expect_partial().assert_existing_objects_matched()
    return model, int(checkpoint.rsplit("-", 1)[1])


def export_checkpoint(workdir, checkpoint, export_dir):
    """Export a workdir's checkpoint; returns (export_dir, epoch)."""
    model, epoch = model_from_workdir(workdir, checkpoint)
    return export_saved_model(model, export_dir), epoch
