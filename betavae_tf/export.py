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

from betavae_tf import fileio, serving
from betavae_tf.models import head_output_names
from betavae_tf.version import __version__

SIGNATURES = ("encode", "decode", "reconstruct", "sample", "serving_default")
METADATA = os.path.join("assets.extra", "betavae_tf.json")
_VERSION = re.compile(r"^[0-9]+$")


def _endpoints(model, phase=None):
    cfg = model.config
    names = head_output_names(cfg.decoder, cfg.learned_scale)
    x_spec = tf.TensorSpec([None, cfg.lattice_size, cfg.lattice_size, cfg.channels], tf.float32, name="x")
    z_spec = tf.TensorSpec([None, cfg.latent_dim], tf.float32, name="z")

    # Every input is checked in the graph before any kernel sees it: a served model gets an
    # InvalidArgumentError naming the expected shape, where a wrong rank would otherwise reach a
    # kernel that trusts the declared shape (oneDNN aborts the whole process on a rank-3 x).
    def checked(t, spec):
        return tf.ensure_shape(t, spec.shape, name=f"check_{spec.name}")

    def params_of(z):
        params = model.decoder(z, training=False)
        return {k: tf.cast(params[k], tf.float32) for k in names}

    def encode(x):
        out = model.encoder(checked(x, x_spec), training=False)
        return {"mean": out["mean"], "stddev": out["stddev"]}

    def decode(z):
        return params_of(checked(z, z_spec))

    def reconstruct(x):
        return params_of(model.encoder(checked(x, x_spec), training=False)["mean"])

    seed_spec = tf.TensorSpec([None], tf.int32, name="seed")

    def sample(seed):
        seed = checked(seed, seed_spec)
        z = tf.map_fn(
            lambda s: tf.random.stateless_normal([cfg.latent_dim], seed=tf.stack([s, 0])),
            seed,
            fn_output_signature=tf.float32,
        )
        params = {k: tf.cast(v, tf.float32) for k, v in model.decoder(z, training=False).items()}
        if model.autoregressive is not None:
            # Site by site for the whole batch, from uniforms drawn per configuration from its own seed.
            depth = 1 if cfg.channels == 1 else cfg.channels
            noise = tf.map_fn(
                lambda s: tf.random.stateless_uniform(
                    [cfg.lattice_size, cfg.lattice_size, depth], seed=tf.stack([s, 1])
                ),
                seed,
                fn_output_signature=tf.float32,
            )
            configurations = model.likelihood(params).sample_from_noise(noise)
            return {"configurations": configurations, "z": z, **{k: params[k] for k in names}}

        def draw(args):
            s, row = args
            one = model.likelihood({k: v[None] for k, v in row.items()}).sample(seed=tf.stack([s, 1]))
            return tf.cast(one[0], tf.float32)

        configurations = tf.map_fn(draw, (seed, params), fn_output_signature=tf.float32)
        return {"configurations": configurations, "z": z, **{k: params[k] for k in names}}

    endpoints = {
        "encode": (encode, [x_spec]),
        "serving_default": (encode, [x_spec]),
        "decode": (decode, [z_spec]),
        "reconstruct": (reconstruct, [x_spec]),
        "sample": (sample, [seed_spec]),
    }
    if phase is not None:
        endpoints["phase"] = (_phase_function(model, phase, lambda x: checked(x, x_spec)), [x_spec])
    return endpoints


def phase_map(run):
    """What the phase signature needs, from one run of a betavae-analyze summary (its "mixture" and roles)."""
    if "mixture" not in run:
        raise ValueError(
            f"the analysis of {run.get('workdir', 'this run')} predates the phase signature; run betavae-analyze again."
        )
    keep = ("workdir", "lattice_size", "n_clusters", "n_ordered_branches")
    return {
        "mixture": run["mixture"],
        "roles": [c["role"] for c in run["clusters"]],
        "summary": {k: run[k] for k in keep if k in run}
        | {"tc": run["transition_latent"]["tc"], "tc_error": run["transition_latent"]["error"]},
    }


def _phase_function(model, phase, checked):
    """x -> the latent order parameter r (distance of the posterior mean from the disordered centre), the
    cluster of the analysis's Gaussian mixture (sklearn's predict, in float64) and that cluster's role."""
    m = phase["mixture"]
    scale = tf.constant(m["scale"], tf.float64)
    means = tf.constant(m["means"], tf.float64)  # [K, d] in the standardised coordinates z / scale
    precision_cholesky = tf.constant(m["precisions_cholesky"], tf.float64)  # [K, d, d]
    log_weights = tf.math.log(tf.constant(m["weights"], tf.float64))
    log_det = tf.reduce_sum(tf.math.log(tf.linalg.diag_part(precision_cholesky)), axis=-1)
    centre = tf.constant(m["disordered_centre"], tf.float64)
    roles = tf.constant(phase["roles"])

    def phase_of(x):
        z = tf.cast(model.encoder(checked(x), training=False)["mean"], tf.float64)
        y = tf.einsum("nd,kde->nke", z / scale, precision_cholesky) - tf.einsum("kd,kde->ke", means, precision_cholesky)
        log_prob = -0.5 * tf.reduce_sum(tf.square(y), axis=-1) + log_det + log_weights  # + a constant
        cluster = tf.argmax(log_prob, axis=1, output_type=tf.int32)
        return {
            "order_parameter": tf.cast(tf.norm(z - centre, axis=1), tf.float32),
            "cluster": cluster,
            "phase": tf.gather(roles, cluster),
        }

    return phase_of


# -- the versioned layout ---------------------------------------------------------
def versions(base_dir):
    """The version numbers of this package's exports in base_dir, ascending."""
    if not os.path.isdir(base_dir):
        return []
    from betavae_tf import places

    return sorted(
        int(name)
        for name in os.listdir(base_dir)
        if _VERSION.match(name) and places.is_export_version(os.path.join(base_dir, name))
    )


def check_export_base(base_dir, overwrite=False, version=None):
    """Refuse (FileExistsError, one sentence) a base_dir that may not receive an export.

    base_dir must be absent, empty, or hold only this package's versions
    (and its temporaries); a plain file or a directory with anything else is
    refused, --overwrite or not, naming the first foreign entry, so an export
    never deletes or mixes with files it did not write. --overwrite replaces
    an existing version (given by version) only if that version holds only
    what an export writes.
    """
    from betavae_tf import places

    base_dir = places.resolve(base_dir)
    if not os.path.lexists(base_dir):
        return
    if not os.path.isdir(base_dir):
        raise FileExistsError(f"{base_dir} is a file, not an export directory; choose another --export_dir.")
    foreign = places.first_foreign(base_dir, "export")
    if foreign is not None:
        raise FileExistsError(
            f"{base_dir} is not an export directory of this package: it holds {foreign}, which "
            "an export did not write; choose another --export_dir (--overwrite replaces only an "
            "export version, never other files)."
        )
    if version is not None and os.path.isdir(os.path.join(base_dir, str(version))) and not overwrite:
        raise FileExistsError(
            f"{os.path.join(base_dir, str(version))} already exists; pass --overwrite to replace "
            "it or choose another version."
        )


def export_saved_model(
    model: keras.Model,
    export_dir: str | os.PathLike,
    *,
    version: int | None = None,
    metadata: dict | None = None,
    overwrite: bool = False,
    phase: dict | None = None,
    model_name: str = "betavae",
) -> str:
    """Write model's SavedModel as a new version under export_dir; returns that version's path.

    Args:
      model: a float32 BetaVAE.
      export_dir: the export base directory (see the module docstring).
      version: the version number (default: one above the highest present).
      metadata: extra JSON-able entries for assets.extra/betavae_tf.json.
      overwrite: replace an existing version of that number (only if it holds
        nothing but an export; a base directory of other files is never
        replaced).
      phase: phase_map() of this model's run in a betavae-analyze summary: adds the phase signature.
      model_name: the name TF Serving serves the model under, written into the warmup requests.
    """
    from betavae_tf import places

    base = places.resolve(export_dir)
    if isinstance(version, bool) or (version is not None and (not isinstance(version, int) or version < 1)):
        raise ValueError(f"the export version must be a positive integer, got {version!r}.")
    check_export_base(base, overwrite, version)
    present = versions(base)
    if version is None:
        version = (present[-1] + 1) if present else 1
    target = os.path.join(base, str(version))
    os.makedirs(base, exist_ok=True)
    fileio.sweep_stale(base)
    tmp = fileio.temp_sibling(target)
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (fn, spec) in _endpoints(model, phase).items():
        archive.add_endpoint(name, fn, input_signature=spec)
    try:
        archive.write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets.extra"), exist_ok=True)
        info = {
            "package": "betavae_tf",
            "package_version": __version__,
            "version": version,
            "model_config": {k: getattr(model.config, k) for k in model.config.__dataclass_fields__},
            "signatures": list(SIGNATURES) + (["phase"] if phase is not None else []),
            **({"phase": phase["summary"]} if phase is not None else {}),
            **(metadata or {}),
        }
        with open(os.path.join(tmp, METADATA), "w") as f:
            json.dump(info, f, indent=2, sort_keys=True, default=float)
        serving.write_warmup(
            os.path.join(tmp, "assets.extra", serving.WARMUP_FILE), model.config, model_name, phase is not None
        )
        fileio.fsync_path(tmp)
        old = None
        if os.path.lexists(target):
            check_export_base(base, overwrite, version)  # again: something may have appeared meanwhile
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
        raise FileNotFoundError(
            f"{export_dir} is not a SavedModel directory (no saved_model.pb) and holds no numbered export version."
        )
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


def load_workdir_model(workdir: str | os.PathLike, checkpoint: int | str | None = None, allow_foreign: bool = False):
    """The float32 BetaVAE of a training workdir at a checkpoint (default: its newest intact one).

    Returns (model, epoch, info): info holds the checkpoint's provenance
    ("source", and where a checkpoint of another workdir came from) and the
    run's state ("epoch", "planned_epochs", "finished"). The checkpoint is
    found from the workdir's own files (betavae_tf.checkpoints), never
    through the state file's paths; only the model's variables are read.
    """
    from betavae_tf import checkpoints
    from betavae_tf.models import ModelConfig
    from betavae_tf.models.vae import float32_model

    config_path = os.path.join(workdir, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{workdir} is not a training workdir: it has no config.json.")
    try:
        model_config = ModelConfig(**fileio.read_json(config_path, "workdir config")["model"]).validate()
    except (KeyError, TypeError):
        raise ValueError(f"workdir config {config_path} is missing its model entries or damaged.") from None
    path, epoch, provenance = checkpoints.resolve(workdir, checkpoint, allow_foreign)
    model = float32_model(model_config)
    try:
        if checkpoints.is_mirror(path):
            # Trained on another backend (JAX): the same weights, in the backend-independent layout.
            checkpoints.read_mirror_into(model, path)
        else:
            status = tf.train.Checkpoint(model=model).read(path)
            status.expect_partial().assert_existing_objects_matched()
    except checkpoints.CheckpointError:
        raise
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        text = str(e).strip().splitlines()
        raise checkpoints.CheckpointError(
            f"checkpoint {path} does not hold the weights of {workdir}'s model "
            f"({text[0][:200] if text else type(e).__name__})."
        ) from None
    info = dict(provenance, **checkpoints.training_state(workdir, epoch))
    return model, epoch, info


def model_from_workdir(workdir, checkpoint=None, allow_foreign=False):
    """(float32 BetaVAE, epoch) of a workdir at a checkpoint (see load_workdir_model)."""
    model, epoch, _ = load_workdir_model(workdir, checkpoint, allow_foreign)
    return model, epoch


def export_checkpoint(
    workdir,
    checkpoint,
    export_dir,
    *,
    version=None,
    overwrite=False,
    allow_foreign=False,
    analysis=None,
    model_name="betavae",
):
    """Export a workdir's checkpoint as a new version under export_dir; returns (version path, epoch, info).

    analysis: a betavae-analyze output directory that analysed this workdir: the export gets the phase
    signature (its order parameter, cluster and role for any configuration).

    info is load_workdir_model's (provenance and whether the run is finished);
    the export's metadata records both.
    """
    from betavae_tf import places

    places.check_placement(export_dir, "export", own_workdir=workdir)  # before any work
    check_export_base(export_dir, overwrite, version)
    model, epoch, info = load_workdir_model(workdir, checkpoint, allow_foreign)
    metadata = {"epoch": epoch, "checkpoint": f"ckpt-{epoch}", "training": info}
    if info["source"] != "this workdir":
        metadata["weights_from"] = info["checkpoint"]
    config_path = os.path.join(workdir, "config.json")
    metadata["config"] = fileio.read_json(config_path, "workdir config")
    phase = phase_map(analysed_run(analysis, workdir)) if analysis else None
    path = export_saved_model(
        model, export_dir, version=version, metadata=metadata, overwrite=overwrite, phase=phase, model_name=model_name
    )
    return path, epoch, info


def analysed_run(analysis, workdir):
    """The run of workdir in a betavae-analyze output directory's summary.json."""
    summary = fileio.read_json(os.path.join(analysis, "summary.json"), "analysis summary")
    paths = [os.path.realpath(w) for w in summary.get("config", {}).get("workdirs", [])]
    runs = summary.get("runs", [])
    if os.path.realpath(workdir) in paths and len(paths) == len(runs):
        return runs[paths.index(os.path.realpath(workdir))]
    raise ValueError(f"{analysis} holds no analysis of {workdir}; run betavae-analyze --workdir={workdir} first.")
