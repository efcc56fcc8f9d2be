"""The settings of betavae-export, betavae-info and betavae-import, and their work as library calls.

Each command's flags are made from its dataclass (betavae_tf.config_flags);
the console scripts in betavae_tf.cli parse them and call the function here.
Nothing heavy is imported until a function runs, so a flag error costs nothing.
"""

import dataclasses
import os

from betavae_tf.config_flags import setting

IMPORT_KINDS = ("auto", "ising", "states", "angles", "real")


@dataclasses.dataclass(frozen=True)
class ExportRequest:
    workdir: str | None = setting(None, "A betavae-train workdir (its config.json and checkpoints/).")
    checkpoint: str | None = setting(None, "Checkpoint prefix (e.g. WORKDIR/checkpoints/ckpt-3); default: the newest.")
    export_dir: str | None = setting(
        None,
        "Export base directory; the SavedModel goes into its next numbered "
        "version, EXPORT_DIR/N/ (default WORKDIR/export).",
    )
    version: int | None = setting(None, "The version number (default: one above the highest present).")
    overwrite: bool = setting(
        False, "Replace an existing version (--version=N) that holds only an export; never anything else."
    )
    allow_foreign_checkpoint: bool = setting(
        False,
        "Accept a --checkpoint from another workdir whose model or data differ (the export's metadata then "
        "names where the weights came from).",
    )
    analysis: str | None = setting(
        None,
        "A betavae-analyze output that analysed this workdir: the export gets a phase signature (x -> the "
        "latent order parameter, the cluster and its role).",
    )
    model_name: str = setting("betavae", "The name TF Serving serves the model under (in the warmup requests).")


def export(request: ExportRequest, echo=print):
    """Write the SavedModel of request's checkpoint; returns its path."""
    if not request.workdir:
        raise ValueError("--workdir is required: the training run to export.")
    from betavae_tf import checkpoints
    from betavae_tf import export as export_lib

    path, epoch, info = export_lib.export_checkpoint(
        request.workdir,
        request.checkpoint,
        request.export_dir or os.path.join(request.workdir, "export"),
        version=request.version,
        overwrite=request.overwrite,
        allow_foreign=request.allow_foreign_checkpoint,
        analysis=request.analysis,
        model_name=request.model_name,
    )
    warning = checkpoints.unfinished_sentence(request.workdir, info)
    if warning:
        echo(f"warning: {warning}")
    source = f" (weights from {info['checkpoint']})" if info["source"] != "this workdir" else ""
    echo(f"exported epoch {epoch} of {request.workdir}{source} to {path}")
    return path


@dataclasses.dataclass(frozen=True)
class InfoRequest:
    data: str | None = setting(None, "Dataset directory.")
    verify: bool = setting(False, "Read every shard: checksums, record counts, indices and sample sizes.")


def info(request: InfoRequest, echo=print):
    """Describe (and with verify, check) a dataset directory."""
    if not request.data:
        raise ValueError("--data is required: the dataset directory to describe.")
    from betavae_tf.data.verify import summarize, verify_dataset

    echo(summarize(request.data))
    if request.verify:
        echo(verify_dataset(request.data))


@dataclasses.dataclass(frozen=True)
class ImportRequest:
    input: str | None = setting(
        None,
        "A .npy (N, L, L) / (N, L, L, C) or .npz (configurations under 'spins', "
        "'configurations', 'states', 'samples' or 'x', and per-sample arrays) file.",
    )
    kind: str = setting(
        "auto",
        "What the values are: ising ({0,1} or {-1,+1}), states (0..q-1, one-hot to the "
        "model), angles (radians -> (cos, sin) channels), real (channels as given); auto tells ising "
        "from states and asks for real values.",
        kind="enum",
        choices=IMPORT_KINDS,
    )
    q: int | None = setting(None, "Number of states for --kind=states (default: the largest state + 1).")
    labels: str | None = setting(None, "An .npz of per-sample arrays (temperatures, couplings, observables, ...).")
    temperatures: str | None = setting(None, "A .npy of one temperature per sample (or one for all).")
    temperature: float | None = setting(None, "One temperature for every sample.")
    model: str = setting("imported", "A name for the model the data come from (kept in the manifest).")
    mnist: str | None = setting(None, "A directory with the MNIST IDX files, or mnist.npz (instead of --input).")
    mnist_split: str = setting("train", "Which MNIST images to import.", kind="enum", choices=("train", "test", "all"))
    limit: int = setting(0, "MNIST: keep only the first N images (0: all).")
    out: str | None = setting(None, "Dataset directory to create.")
    overwrite: bool = setting(False, "Replace an existing dataset directory (never anything else).")
    coupling: float | None = setting(
        None,
        "Coupling J the data were made with (Ising: energies and phase labels "
        "from Onsager's Tc); unknown if not given.",
    )
    field: float | None = setting(None, "Field h the data were made with (default 0).")
    seed: int = setting(0, "Seed of the write-order shuffle.")
    n_shards: int = setting(8, "TFRecord shards.")


def import_data(request: ImportRequest, echo=print):
    """Write request's configurations (or MNIST) as a dataset directory; returns its path."""
    if bool(request.input) == bool(request.mnist):
        raise ValueError("give exactly one of --input (a .npy or .npz of configurations) and --mnist.")
    if not request.out:
        raise ValueError("--out is required: the dataset directory to write.")
    from betavae_tf.data import importer, mnist, verify

    if request.mnist:
        split, limit, seed, n_shards = request.mnist_split, request.limit, request.seed, request.n_shards
        path = mnist.import_mnist(
            request.mnist,
            request.out,
            split=split,
            limit=limit,
            seed=seed,
            n_shards=n_shards,
            overwrite=request.overwrite,
        )
        echo(verify.summarize(path))
        return path
    if request.temperatures and request.temperature is not None:
        raise ValueError("give --temperatures (one per sample) or --temperature (one for all), not both.")
    temperature = request.temperature
    if request.temperatures:
        temperature, _ = importer.load_array(request.temperatures, importer.TEMPERATURE_KEYS, "temperatures")
    settings = {
        name: getattr(request, name)
        for name in ("kind", "q", "coupling", "field", "model", "seed", "n_shards", "overwrite")
    }
    path = importer.import_configurations(
        request.input, request.out, labels_path=request.labels, temperature=temperature, **settings
    )
    echo(verify.summarize(path))
    return path
