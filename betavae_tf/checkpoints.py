"""A workdir's checkpoints, found from its own files: never through a state file's paths, never another run's.

TensorFlow's ``checkpoints/checkpoint`` state file names the newest
checkpoint by a path, which may be absolute and point anywhere (a copied or
edited workdir); following it would resume, export or rotate away another
run's files. Here checkpoint N of a workdir is the pair
``WORKDIR/checkpoints/ckpt-N.index`` and ``ckpt-N.data-*`` (regular files,
N = epochs done), the newest is the highest N whose files can be read whole,
and the state file is rewritten from that list (relative names) whenever a
run takes the workdir. A checkpoint elsewhere is accepted only when it comes
from a run with the same model and data (its workdir's config.json says so),
or when the caller allows a foreign checkpoint explicitly.
"""

import glob
import os
import re

from betavae_tf import fileio, places

STATE_FILE = "checkpoint"
_INDEX = re.compile(r"^ckpt-(\d+)\.index$")
# Settings that make checkpoints of two workdirs interchangeable (same weights' meaning).
_SAME_RUN_MODEL = ("lattice_size", "channels", "latent_dim", "decoder", "learned_scale")


class CheckpointError(ValueError):
    """A checkpoint that is missing, damaged or not this run's."""


def directory_of(workdir):
    return os.path.join(workdir, "checkpoints")


def prefix(workdir, epoch):
    return os.path.join(directory_of(workdir), f"ckpt-{epoch}")


def on_disk(workdir):
    """Epochs N with a regular ckpt-N.index and at least one ckpt-N.data-* file, ascending."""
    directory = directory_of(workdir)
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = _INDEX.match(name)
        if not match:
            continue
        index = os.path.join(directory, name)
        data = glob.glob(glob.escape(index[: -len(".index")]) + ".data-*")
        if (
            not os.path.islink(index)
            and os.path.isfile(index)
            and data
            and all(os.path.isfile(d) and not os.path.islink(d) for d in data)
        ):
            found.append(int(match[1]))
    return sorted(found)


def damage(checkpoint_prefix):
    """Why a checkpoint cannot be read whole (its first line), or None when every tensor reads back.

    Reading every tensor checks the CRC-32C TensorFlow stores with each one.
    """
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(checkpoint_prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, ValueError, RuntimeError) as e:
        text = (getattr(e, "message", "") or str(e)).strip().splitlines()
        return text[0][:300] if text else type(e).__name__
    return None


def newest_intact(workdir):
    """(newest epoch whose checkpoint reads whole (0: none), [(epoch, why) of newer damaged ones])."""
    damaged = []
    for epoch in reversed(on_disk(workdir)):
        why = damage(prefix(workdir, epoch))
        if why is None:
            return epoch, damaged
        damaged.append((epoch, why))
    return 0, damaged


def write_state(workdir, epochs):
    """Rewrite checkpoints/checkpoint from the epochs found here, as names relative to the directory."""
    directory = directory_of(workdir)
    path = os.path.join(directory, STATE_FILE)
    if os.path.islink(path):
        os.remove(path)  # a link is replaced, never written through
    if not epochs:
        if os.path.lexists(path):
            os.remove(path)
        return
    # With the files' times, as TensorFlow writes them: the CheckpointManager rotates only checkpoints
    # whose time it knows, so keep_checkpoints keeps holding after a resume.
    times = [os.path.getmtime(prefix(workdir, e) + ".index") for e in epochs]
    lines = (
        [f'model_checkpoint_path: "ckpt-{epochs[-1]}"']
        + [f'all_model_checkpoint_paths: "ckpt-{e}"' for e in epochs]
        + [f"all_model_checkpoint_timestamps: {t!r}" for t in times]
        + [f"last_preserved_timestamp: {min(times) - 1.0!r}"]
    )
    fileio.write_text_atomic(path, "\n".join(lines) + "\n")


def _damaged_sentence(workdir, epoch, why, intact):
    files = f"{os.path.basename(prefix(workdir, epoch))}.index / .data-*"
    offer = (
        f"; the newest intact one is ckpt-{intact}: pass --checkpoint={prefix(workdir, intact)}"
        if intact
        else "; no intact checkpoint is left in it"
    )
    return f"checkpoint ckpt-{epoch} of {workdir} is damaged ({files}: {why}){offer}."


def resolve(workdir, checkpoint=None, allow_foreign=False):
    """The checkpoint to read for a workdir: (prefix, epoch, provenance).

    checkpoint None: the newest of the workdir's own that reads whole; a
    damaged newest one is refused, naming it and the newest intact one.
    A given prefix inside the workdir is checked the same way; one outside it
    is accepted only from a workdir of the same model and data, or with
    allow_foreign (provenance then says where the weights came from).
    """
    workdir = places.resolve(workdir)
    if checkpoint is None:
        epochs = on_disk(workdir)
        if not epochs:
            raise FileNotFoundError(f"{workdir} has no checkpoint yet.")
        why = damage(prefix(workdir, epochs[-1]))
        if why is not None:
            intact, _ = newest_intact(workdir)
            raise CheckpointError(_damaged_sentence(workdir, epochs[-1], why, intact))
        return prefix(workdir, epochs[-1]), epochs[-1], {"source": "this workdir"}
    given = places.resolve(checkpoint)
    match = re.match(r"^ckpt-(\d+)$", os.path.basename(given))
    names = ", ".join(f"ckpt-{e}" for e in on_disk(workdir)) or "none"
    if not match or not os.path.isfile(given + ".index"):
        raise FileNotFoundError(
            f"no checkpoint {checkpoint} (expected a prefix like {prefix(workdir, 'N')}; this workdir has: {names})."
        )
    epoch = int(match[1])
    own = os.path.dirname(given) == directory_of(workdir)
    provenance = {"source": "this workdir"}
    if not own:
        provenance = _foreign_provenance(workdir, given, allow_foreign)
    why = damage(given)
    if why is not None:
        if own:
            intact, _ = newest_intact(workdir)
            raise CheckpointError(_damaged_sentence(workdir, epoch, why, intact))
        raise CheckpointError(f"checkpoint {given} is damaged ({why}).")
    return given, epoch, provenance


def _foreign_provenance(workdir, given, allow_foreign):
    """Accept a checkpoint of another workdir if its run is this run's model on this run's data."""
    other = os.path.dirname(os.path.dirname(given))
    mine = fileio.read_json(os.path.join(workdir, "config.json"), "workdir config")
    theirs = None
    if os.path.isfile(os.path.join(other, "config.json")):
        try:
            theirs = fileio.read_json(os.path.join(other, "config.json"), "workdir config")
        except ValueError:
            theirs = None
    same = False
    if isinstance(theirs, dict):
        try:
            same = (
                all(theirs["model"].get(k) == mine["model"].get(k) for k in _SAME_RUN_MODEL)
                and theirs["data"]["fingerprint"] == mine["data"]["fingerprint"]
            )
        except (KeyError, TypeError, AttributeError):
            same = False
    if same:
        return {"source": "another workdir of the same model and data", "workdir": other, "checkpoint": given}
    if not allow_foreign:
        why = (
            "its workdir trained another model or on other data"
            if isinstance(theirs, dict)
            else "it is not inside a training workdir of this package"
        )
        raise CheckpointError(
            f"checkpoint {given} is not one of {workdir}'s ({why}); writing this run's config "
            "beside its weights would mislabel them. Pass --allow_foreign_checkpoint to use it "
            "anyway (the output then records where the weights came from)."
        )
    return {
        "source": "foreign checkpoint (allowed explicitly)",
        "workdir": other if theirs else None,
        "checkpoint": given,
    }


def training_state(workdir, epoch):
    """{"epoch", "planned_epochs", "finished"} of a workdir whose checkpoint `epoch` is used."""
    config = fileio.read_json(os.path.join(workdir, "config.json"), "workdir config")
    planned = config.get("train", {}).get("epochs") if isinstance(config.get("train"), dict) else None
    planned = planned if isinstance(planned, int) and not isinstance(planned, bool) else None
    return {"epoch": epoch, "planned_epochs": planned, "finished": planned is None or epoch >= planned}


def unfinished_sentence(workdir, state):
    """One sentence for a run whose checkpoint is short of its planned epochs (None when finished)."""
    if state["finished"]:
        return None
    return (
        f"{workdir} is an unfinished training run (epoch {state['epoch']} of {state['planned_epochs']} "
        "planned), so what follows is provisional; run the same betavae-train command again to finish it."
    )


# -- backend-independent checkpoints (runs trained under JAX) --------------------
# A run on a backend whose variables are not tf.Variables writes the same ckpt-N.index / .data-* files, in
# a layout of its own: for "model" and "optimizer", the Keras variables' values in order ("values/i") and
# their paths ("paths"). TensorFlow's CRC checks, rotation and everything above apply unchanged, and a
# TensorFlow model of the same config reads the model part back (export, analysis, sampling).
MIRROR_KEY = "model/paths/.ATTRIBUTES/VARIABLE_VALUE"


def _value_key(group, i):
    return f"{group}/values/{i}/.ATTRIBUTES/VARIABLE_VALUE"


class VariableMirror:
    """TensorFlow mirrors of a Keras model's and optimizer's variables, saved as a tf.train.Checkpoint.

    pull() copies the Keras values into the mirrors (before a save), push() copies them back (after a
    restore); .checkpoint is what a tf.train.CheckpointManager saves.
    """

    def __init__(self, model, optimizer):
        import numpy as np
        import tensorflow as tf
        from keras import ops

        self._groups = {"model": list(model.variables), "optimizer": list(optimizer.variables)}
        parts = {}
        self._mirrors = {}
        for group, variables in self._groups.items():
            values = [tf.Variable(np.asarray(ops.convert_to_numpy(v.value)), trainable=False) for v in variables]
            self._mirrors[group] = values
            parts[group] = tf.train.Checkpoint(values=values, paths=tf.Variable([v.path for v in variables] or [""]))
        self.checkpoint = tf.train.Checkpoint(**parts)

    def pull(self):
        import numpy as np
        from keras import ops

        for group, variables in self._groups.items():
            for mirror, variable in zip(self._mirrors[group], variables):
                mirror.assign(np.asarray(ops.convert_to_numpy(variable.value)))

    def restore(self, checkpoint_prefix):
        """Read a checkpoint this mirror wrote and give its values to the Keras variables."""
        _check_mirror_paths(checkpoint_prefix, self._groups)
        self.checkpoint.read(checkpoint_prefix).assert_existing_objects_matched()
        for group, variables in self._groups.items():
            for mirror, variable in zip(self._mirrors[group], variables):
                variable.assign(mirror.numpy().astype(variable.dtype))


def is_mirror(checkpoint_prefix):
    """Whether a checkpoint is in the backend-independent layout (a run trained under JAX)."""
    import tensorflow as tf

    return MIRROR_KEY in tf.train.load_checkpoint(checkpoint_prefix).get_variable_to_shape_map()


def _check_mirror_paths(checkpoint_prefix, groups):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(checkpoint_prefix)
    for group, variables in groups.items():
        if (
            group == "optimizer"
            and f"{group}/paths/.ATTRIBUTES/VARIABLE_VALUE" not in reader.get_variable_to_shape_map()
        ):
            continue
        stored = [p.decode() for p in reader.get_tensor(f"{group}/paths/.ATTRIBUTES/VARIABLE_VALUE")]
        wanted = [v.path for v in variables] or [""]
        if stored != wanted:
            first = next((i for i, (a, b) in enumerate(zip(stored, wanted)) if a != b), min(len(stored), len(wanted)))
            raise CheckpointError(
                f"checkpoint {checkpoint_prefix} holds other {group} variables than this "
                f"model's ({len(stored)} against {len(wanted)}; the first to differ is number "
                f"{first}: {stored[first] if first < len(stored) else 'none'} against "
                f"{wanted[first] if first < len(wanted) else 'none'})."
            )


def read_mirror_into(model, checkpoint_prefix):
    """Give a model (any backend) the model variables of a backend-independent checkpoint."""
    import tensorflow as tf

    _check_mirror_paths(checkpoint_prefix, {"model": list(model.variables)})
    reader = tf.train.load_checkpoint(checkpoint_prefix)
    for i, variable in enumerate(model.variables):
        variable.assign(reader.get_tensor(_value_key("model", i)).astype(variable.dtype))
