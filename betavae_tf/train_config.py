"""A training run's settings (TrainConfig, the flags of betavae-train) and their checks, before TensorFlow starts."""

import dataclasses
import sys

from betavae_tf import backend as backend_lib
from betavae_tf import config_flags
from betavae_tf.config_flags import setting
from betavae_tf.data import format as fmt
from betavae_tf.models import heads
from betavae_tf.models.config import ModelConfig
from betavae_tf.models.heads import HEADS, IMAGE_BETA_AT_32

STRATEGIES = ("auto", "one_device", "mirrored", "tpu", "multi_worker")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
# Settings a resumed run must share with the checkpoints it continues.
RESUME_KEYS = ("data_dir", "latent_dim", "decoder", "beta", "kl_warmup_epochs", "learned_scale", "seed", "backend")
# What a workdir written before a key existed means by it.
RESUME_DEFAULTS = {"backend": "tensorflow", "kl_warmup_epochs": 0}
JIT_CHOICES = ("auto", "true", "false")
MODEL_KEYS = ("lattice_size", "channels")


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclasses.dataclass
class TrainConfig:
    """A training run's settings; each is also a betavae-train flag of the same name (config_flags)."""

    data_dir: str = setting("", "Dataset directory (betavae-generate / betavae-import).")
    latent_dim: int = setting(2, "Latent dimension d_z.")
    decoder: str = setting(
        "auto",
        "Decoder head, a record of betavae_tf.models.heads: "
        + ", ".join(HEADS)
        + " (temperature: the beta^2-VAE's two-branch head; autoregressive: sites in raster order given z and "
        "the sites before); auto picks the one that models the data's encoding.",
    )
    beta: float | None = setting(
        None,
        "beta of Eq. 4 (distortion summed over sites, rate over latents). Default: the decoder head's beta at "
        "L = 32 times (L / 32)^2 ("
        + ", ".join(f"{name} {head.beta_at_32:g}" for name, head in HEADS.items())
        + f"; {IMAGE_BETA_AT_32:g} for image data under the gaussian head), printed when the run starts.",
    )
    kl_warmup_epochs: int = setting(
        0,
        "KL warm-up: beta rises linearly from 0 to --beta over this many epochs (0: fixed beta, as in the "
        "paper; models.annealing.KLAnnealing).",
    )
    learned_scale: bool = setting(False, "Gaussian decoder: learn a per-channel scale (extension).")
    batch_size: int = setting(128, "Global batch size (the paper's 128).")
    epochs: int = setting(20, "Epochs in total (a resumed run continues up to this).")
    steps_per_epoch: int = setting(0, "Steps per epoch; 0 = one pass over the training split.")
    learning_rate: float = setting(1e-3, "Adam learning rate (paper: 1e-3).")
    adam_beta_1: float = setting(0.5, "Adam beta_1 (paper: 0.5).")
    adam_beta_2: float = setting(0.999, "Adam beta_2 (paper: 0.999).")
    validation_fraction: float = setting(0.1, "Share of the dataset held out for validation.")
    cache: bool = setting(True, "Cache the dataset's records in memory after the first epoch.")
    seed: int = setting(0, "Seed of initialisation, data order and noise; repeats a run.")
    backend: str = setting(
        "auto",
        "Keras backend: tensorflow, jax, or auto (KERAS_BACKEND if set, else "
        "tensorflow). Under jax several devices train data-parallel through "
        "keras.distribution; export and analysis rebuild the TensorFlow model.",
    )
    strategy: str = setting(
        "auto", "tf.distribute strategy: auto, one_device, mirrored, tpu or multi_worker (reads TF_CONFIG)."
    )
    tpu: str = setting("", "TPU name or grpc:// address for --strategy=tpu.")
    precision: str = setting("float32", "float32, mixed_float16 or mixed_bfloat16.")
    jit_compile: str = setting(
        "auto",
        "Compile the train step with XLA: true, false or auto (always under jax; "
        "under tensorflow on a GPU or TPU, not on a CPU, where it measures slower).",
    )
    steps_per_execution: int = setting(
        0,
        "Training steps per compiled call; 0 = what measures fastest on the "
        "device found (1 on a CPU, 32 on a GPU or TPU). Callbacks (the NaN "
        "guard) then see every that many steps.",
    )
    keep_checkpoints: int = setting(2, "Checkpoints kept (one per epoch).")
    summary_images: bool = setting(True, "TensorBoard images: generated samples, latent scatter.")
    export: bool = setting(True, "Write the SavedModel to WORKDIR/export/<version> at the end.")
    verbose: int = setting(
        -1,
        "Keras output: 0 silent, 1 progress bar, 2 one line per epoch, -1 (auto) a bar on a terminal and one "
        "line per epoch otherwise (a log file, a notebook's captured output, CI). A one-line summary per epoch "
        "is always logged to stderr.",
    )


def validate(config):
    """Check a TrainConfig and its dataset; returns (manifest, ModelConfig). One clear error."""
    c = config
    if not c.data_dir:
        raise ValueError("a dataset directory is required (--data_dir).")
    checks = [
        (c.batch_size >= 1, f"the batch size must be at least 1, got {c.batch_size}."),
        (c.epochs >= 1, f"epochs must be at least 1, got {c.epochs}."),
        (c.steps_per_epoch >= 0, f"steps_per_epoch must be >= 0 (0: one pass), got {c.steps_per_epoch}."),
        (c.learning_rate > 0, f"the learning rate must be > 0, got {c.learning_rate}."),
        (
            0 <= c.adam_beta_1 < 1 and 0 <= c.adam_beta_2 < 1,
            f"Adam's beta_1 and beta_2 must be in [0, 1), got {c.adam_beta_1} and {c.adam_beta_2}.",
        ),
        (0 <= c.validation_fraction < 1, f"validation_fraction must be in [0, 1), got {c.validation_fraction}."),
        (c.strategy in STRATEGIES, f"unknown strategy {c.strategy!r}; expected one of {', '.join(STRATEGIES)}."),
        (c.precision in PRECISIONS, f"unknown precision {c.precision!r}; expected one of {', '.join(PRECISIONS)}."),
        (c.keep_checkpoints >= 1, f"keep_checkpoints must be at least 1, got {c.keep_checkpoints}."),
        (c.kl_warmup_epochs >= 0, f"kl_warmup_epochs must be >= 0, got {c.kl_warmup_epochs}."),
        (c.verbose in (-1, 0, 1, 2), f"verbose must be -1 (auto), 0, 1 or 2, got {c.verbose}."),
        (
            c.backend in backend_lib.CHOICES,
            f"unknown backend {c.backend!r}; expected one of {', '.join(backend_lib.CHOICES)}.",
        ),
        (
            str(c.jit_compile).lower() in JIT_CHOICES,
            f"jit_compile must be one of {', '.join(JIT_CHOICES)}, got {c.jit_compile!r}.",
        ),
        (
            c.steps_per_execution >= 0,
            f"steps_per_execution must be >= 0 (0: the device's default), got {c.steps_per_execution}.",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
    backend = backend_lib.resolve(c.backend)
    if backend != "tensorflow" and c.strategy not in ("auto", "one_device"):
        raise ValueError(
            f"--strategy={c.strategy} is a tf.distribute strategy; under --backend={backend} several "
            "devices train data-parallel through keras.distribution, so leave --strategy=auto."
        )
    manifest = fmt.read_manifest(c.data_dir)
    encoding = fmt.encoding_of(manifest)
    decoder = heads.resolve(c.decoder, encoding)
    L = manifest["lattice_size"]
    model_config = ModelConfig(
        lattice_size=L,
        channels=manifest.get("channels", 1),
        latent_dim=c.latent_dim,
        decoder=decoder,
        beta=c.beta if c.beta is not None else _default_beta(decoder, L, encoding),
        learned_scale=c.learned_scale,
        seed=c.seed,
    )
    try:
        model_config.validate()
        head = HEADS[decoder]
        if encoding not in head.encodings:
            fitting = [name for name, h in HEADS.items() if encoding in h.encodings]
            raise ValueError(
                f"the {decoder} decoder does not model {encoding} data (it models "
                f"{', '.join(head.encodings)}); use {' or '.join(fitting)}."
            )
    except ValueError as e:
        raise ValueError(
            f"dataset {c.data_dir}: {e}"
            if "lattice size" in str(e) or "channel" in str(e) or "data" in str(e)
            else str(e)
        ) from None
    return manifest, model_config


def _default_beta(decoder, lattice_size, encoding):
    # an unknown head gets a placeholder here; ModelConfig.validate names the head in its error
    return heads.default_beta(decoder, lattice_size, encoding) if decoder in HEADS else 1.0


def default_beta_sentence(model_config):
    """What a run without --beta logs: the beta it got, and the rule that gave it."""
    c = model_config
    return (
        f"beta = {c.beta:g}: the default of the {c.decoder} head at L = {c.lattice_size} "
        f"({c.beta / (c.lattice_size / 32) ** 2:g} (L / 32)^2, docs/conventions.md); --beta sets another"
    )


def flagfile_of(config, workdir):
    """What a run used, as a flagfile (saved as workdir/flags.txt)."""
    return f"--workdir={workdir}\n" + config_flags.to_flagfile(config)


def keras_verbosity(verbose, stream=None):
    """The verbose argument of Model.fit for a TrainConfig.verbose (-1: 1 on a terminal, else 2)."""
    if verbose != -1:
        return verbose
    stream = sys.stdout if stream is None else stream
    return 1 if hasattr(stream, "isatty") and stream.isatty() else 2
