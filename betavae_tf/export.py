"""SavedModel export with named signatures, for serving and for analysis in any TF process.

Signatures, every input batched along its first axis (so TF Serving's REST
"instances" and "inputs" forms both work); x is float32 [N, L, L, C], for
Ising data sigma in {0, 1}:
  encode           x -> mean, stddev [N, d_z] of q(z|x)
  serving_default  the same as encode
  decode           z [N, d_z] -> the head's parameters: probs (bernoulli, multinomial,
                   temperature; for the autoregressive head sigmoid / softmax of its
                   z-only local field h_k, not a marginal) or mean (gaussian),
                   local_field, and inverse_temperature for the temperature (beta^2) head
  reconstruct      x -> the same parameters at the posterior mean
  sample           seed int32 [N] -> N configurations, configuration i sampled from
                   p(x|z_i) with z_i ~ N(0, I) drawn from seed i alone (the same seed
                   gives the same configuration in any batch), with z and the parameters;
                   the autoregressive head draws the batch site by site from uniforms
                   drawn per configuration from its seed

Layout (what TensorFlow Serving scans): an export base directory holds one
numeric subdirectory per version, BASE/1/, BASE/2/, ...; a new export takes
the next number and never touches the older ones. Each version is written to
a hidden temporary inside BASE and renamed into place, and carries
assets.extra/betavae_tf.json (the model config, the training metadata and the
package version), by which this package recognises its own exports.
"""
import json
import os
import re
import shutil

import keras
import tensorflow as tf

from betavae_tf import __version__, fileio, serving
from betavae_tf.models import head_output_names

SIGNATURES = ("encode", "decode", "reconstruct", "sample", "serving_default")
METADATA = os.path.join("assets.extra", "betavae_tf.json")
_VERSION = re.compile(r"^[0-9]+$")


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

    def sample(seed):
        z = tf.map_fn(lambda s: tf.random.stateless_normal([cfg.latent_dim], seed=tf.stack([s, 0])), seed,
                      fn_output_signature=tf.float32)
        params = {k: tf.cast(v, tf.float32) for k, v in model.decoder(z, training=False).items()}
        if model.autoregressive is not None:
            # Site by site for the whole batch, from uniforms drawn per configuration from its own seed.
            depth = 1 if cfg.channels == 1 else cfg.channels
            noise = tf.map_fn(lambda s: tf.random.stateless_uniform([cfg.lattice_size, cfg.lattice_size, depth],
                                                                    seed=tf.stack([s, 1])),
                              seed, fn_output_signature=tf.float32)
            configurations = model.likelihood(params).sample_from_noise(noise)
            return {"configurations": configurations, "z": z, **{k: params[k] for k in names}}

        def draw(args):
            s, row = args
            one = model.likelihood({k: v[None] for k, v in row.items()}).sample(seed=tf.stack([s, 1]))
            return tf.cast(one[0], tf.float32)

        configurations = tf.map_fn(draw, (seed, params), fn_output_signature=tf.float32)
        return {"configurations": configurations, "z": z, **{k: params[k] for k in names}}

    return {
        "encode": (encode, [x_spec]),
        "serving_default": (encode, [x_spec]),
        "decode": (decode, [z_spec]),
        "reconstruct": (reconstruct, [x_spec]),
        "sample": (sample, [tf.TensorSpec([None], tf.int32, name="seed")]),
    }


# -- the versioned layout ---------------------------------------------------------
def versions(base_dir):
    """The version numbers of this package's exports in base_dir, ascending."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(name) for name in os.listdir(base_dir)
                  if _VERSION.match(name) and _is_our_export(os.path.join(base_dir, name)))


def _is_our_export(path):
    return os.path.isfile(os.path.join(path, "saved_model.pb")) and os.path.isfile(os.path.join(path, METADATA))


def _holds_project_data(directory):
    """The first path under directory (itself included) that is a dataset or a training workdir, or None."""
    for root, dirs, files in os.walk(directory):
        if "manifest.json" in files:
            return root
        if "config.json" in files and "checkpoints" in dirs:
            return root
    return None


def check_export_base(base_dir, overwrite=False):
    """Whether base_dir may receive an export: absent, empty, or holding only this package's versions.

    Anything else is refused unless overwrite, and even then a directory that
    holds a dataset or a training workdir (at any depth), or the current
    working directory, is refused. Returns True when base_dir must be
    replaced (overwrite of something that is not an export base).
    """
    base_dir = os.path.abspath(base_dir)
    if not os.path.lexists(base_dir):
        return False
    if not os.path.isdir(base_dir):
        if not overwrite:
            raise FileExistsError(f"{base_dir} is a file, not an export directory; pass --overwrite to replace it.")
        return True
    entries = [e for e in os.listdir(base_dir) if not e.startswith(".")]
    if all(_VERSION.match(e) and _is_our_export(os.path.join(base_dir, e)) for e in entries):
        return False
    if not overwrite:
        raise FileExistsError(f"{base_dir} exists and is not an export directory of this package (it holds "
                              f"{sorted(entries)[:3]}); choose another --export_dir, or pass --overwrite to "
                              "replace it.")
    data = _holds_project_data(base_dir)
    if data is not None:
        raise FileExistsError(f"{base_dir} holds a dataset or a training workdir ({data}); an export never "
                              "replaces it, even with --overwrite.")
    cwd = os.path.abspath(os.getcwd())
    if cwd == base_dir or cwd.startswith(base_dir + os.sep):
        raise FileExistsError(f"{base_dir} holds the working directory; an export never replaces it.")
    return True


def export_saved_model(model, export_dir, *, version=None, metadata=None, overwrite=False):
    """Write model's SavedModel as a new version under export_dir; returns that version's path.

    Args:
      model: a float32 BetaVAE.
      export_dir: the export base directory (see the module docstring).
      version: the version number (default: one above the highest present).
      metadata: extra JSON-able entries for assets.extra/betavae_tf.json.
      overwrite: replace an existing version of that number, or a base
        directory that is not an export directory (never a dataset or workdir).
    """
    base = os.path.abspath(export_dir)
    replace_base = check_export_base(base, overwrite)
    present = [] if replace_base else versions(base)
    if version is None:
        version = (present[-1] + 1) if present else 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"the export version must be a positive integer, got {version!r}.")
    target = os.path.join(base, str(version))
    if version in present and not overwrite:
        raise FileExistsError(f"{target} already exists; pass --overwrite to replace it or choose another version.")
    if replace_base:
        aside = fileio.temp_sibling(base, "old")
        os.rename(base, aside)
        shutil.rmtree(aside, ignore_errors=True)
    os.makedirs(base, exist_ok=True)
    fileio.sweep_stale(base)
    tmp = fileio.temp_sibling(target)
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (fn, spec) in _endpoints(model).items():
        archive.add_endpoint(name, fn, input_signature=spec)
    try:
        archive.write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets.extra"), exist_ok=True)
        info = {"package": "betavae_tf", "package_version": __version__, "version": version,
                "model_config": {k: getattr(model.config, k) for k in model.config.__dataclass_fields__},
                "signatures": list(SIGNATURES), **(metadata or {})}
        with open(os.path.join(tmp, METADATA), "w") as f:
            json.dump(info, f, indent=2, sort_keys=True, default=float)
        serving.write_warmup(os.path.join(tmp, "assets.extra", serving.WARMUP_FILE), model.config)
        fileio.fsync_path(tmp)
        old = None
        if os.path.lexists(target):
            old = fileio.temp_sibling(target, "old")
            os.rename(target, old)
        os.rename(tmp, target)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve(export_dir):
    """The SavedModel directory of an export: export_dir itself, or its newest version."""
    if os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
        return export_dir
    found = versions(export_dir)
    if not found:
        raise FileNotFoundError(f"{export_dir} is not a SavedModel directory (no saved_model.pb) and holds no "
                                "numbered export version.")
    return os.path.join(export_dir, str(found[-1]))


def read_metadata(export_dir):
    """assets.extra/betavae_tf.json of an export (its newest version for a base directory)."""
    return fileio.read_json(os.path.join(resolve(export_dir), METADATA), "export metadata")


def load(export_dir):
    """tf.saved_model.load of an export (or its newest version) with a check that the signatures are there."""
    path = resolve(export_dir)
    loaded = tf.saved_model.load(path)
    missing = [s for s in SIGNATURES if s not in loaded.signatures]
    if missing:
        raise ValueError(f"SavedModel {path} lacks the signatures {missing}.")
    return loaded


def _checkpoints_of(workdir):
    directory = os.path.join(workdir, "checkpoints")
    found = sorted({int(m[1]) for m in (re.match(r"^ckpt-(\d+)\.index$", f) for f in
                                        (os.listdir(directory) if os.path.isdir(directory) else [])) if m})
    return [os.path.join(directory, f"ckpt-{n}") for n in found]


def model_from_workdir(workdir, checkpoint=None):
    """The float32 BetaVAE of a training workdir at a checkpoint (default: newest).

    Returns (model, epoch). Only the model's variables are read; the optimizer
    state in the checkpoint is not needed.
    """
    from betavae_tf.models import ModelConfig
    from betavae_tf.models.vae import float32_model
    config_path = os.path.join(workdir, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{workdir} is not a training workdir: it has no config.json.")
    try:
        model_config = ModelConfig(**fileio.read_json(config_path, "workdir config")["model"]).validate()
    except (KeyError, TypeError):
        raise ValueError(f"workdir config {config_path} is missing its model entries or damaged.") from None
    available = _checkpoints_of(workdir)
    if checkpoint is None:
        checkpoint = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
        if checkpoint is None:
            raise FileNotFoundError(f"{workdir} has no checkpoint yet.")
    else:
        match = re.match(r"^ckpt-(\d+)$", os.path.basename(checkpoint))
        if not match or not os.path.isfile(checkpoint + ".index"):
            names = ", ".join(os.path.basename(c) for c in available) or "none"
            raise FileNotFoundError(f"no checkpoint {checkpoint} (expected a prefix like "
                                    f"{os.path.join(workdir, 'checkpoints', 'ckpt-N')}; this workdir has: {names}).")
    model = float32_model(model_config)
    status = tf.train.Checkpoint(model=model).read(checkpoint)
    status.expect_partial().assert_existing_objects_matched()
    return model, int(checkpoint.rsplit("-", 1)[1])


def export_checkpoint(workdir, checkpoint, export_dir, *, version=None, overwrite=False):
    """Export a workdir's checkpoint as a new version under export_dir; returns (version path, epoch)."""
    check_export_base(export_dir, overwrite)  # before any work
    model, epoch = model_from_workdir(workdir, checkpoint)
    metadata = {"epoch": epoch, "checkpoint": f"ckpt-{epoch}"}
    config_path = os.path.join(workdir, "config.json")
    metadata["config"] = fileio.read_json(config_path, "workdir config")
    return export_saved_model(model, export_dir, version=version, metadata=metadata, overwrite=overwrite), epoch
