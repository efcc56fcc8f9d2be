"""A training workdir's own files: what may be resumed, the per-epoch history, stale temporaries.

The layout is train_lib's (its module docstring); the checks here run before
anything is written, and the history is appended one whole fsynced line at
a time, so a kill leaves each line whole or absent.
"""

import json
import os
import shutil

from absl import logging

from betavae_tf import checkpoints, fileio, places
from betavae_tf.train_config import MODEL_KEYS, RESUME_DEFAULTS, RESUME_KEYS


def check_workdir(workdir, effective):
    """Refuse to resume a workdir whose checkpoints were made with other settings or other data.

    Compared before anything is written: the resume keys, the model's shape
    and the dataset's fingerprint (a dataset regenerated at the same path with
    other content is another dataset).
    """
    path = os.path.join(workdir, "config.json")
    if os.path.lexists(workdir) and not os.path.isdir(workdir):
        raise NotADirectoryError(f"workdir {workdir} exists and is not a directory.")
    _check_own_files(workdir)
    if (
        not os.path.isfile(path)
        and os.path.isdir(os.path.join(workdir, "checkpoints"))
        and os.listdir(os.path.join(workdir, "checkpoints"))
    ):
        raise ValueError(
            f"workdir {workdir} has checkpoints but no config.json; it was not made by this "
            "package or was damaged, so it cannot be resumed. Use a new --workdir."
        )
    kind = places.kind_of(workdir)
    if kind != "workdir" and os.path.isdir(workdir):
        other = [n for n in sorted(os.listdir(workdir)) if n != ".lock" and not fileio.is_temporary(n)]
        if other:
            what = f"is {places.a(kind)}" if kind else f"holds {other[0]}"
            raise ValueError(
                f"workdir {workdir} {what} and is not a training run of this package; training "
                "would write its files beside (or over) what is there, so use a new or empty "
                "--workdir."
            )
    if not os.path.isfile(path):
        return
    previous = fileio.read_json(path, "workdir config")
    try:
        for key in RESUME_KEYS:
            old, new = previous["train"].get(key, RESUME_DEFAULTS.get(key)), effective["train"][key]
            if old != new:
                raise ValueError(
                    f"workdir {workdir} holds a run with {key} = {old!r}, not {new!r}; "
                    "use a new --workdir or the same settings to resume."
                )
        for key in MODEL_KEYS:
            old, new = previous["model"].get(key), effective["model"][key]
            if old != new:
                raise ValueError(
                    f"workdir {workdir} holds a run on data with {key} = {old!r}, but "
                    f"{effective['train']['data_dir']} now has {key} = {new!r}; the dataset was "
                    "replaced. Use a new --workdir (the old checkpoints stay exportable)."
                )
        old = previous.get("data", {}).get("fingerprint")
        if old is not None and old != effective["data"]["fingerprint"]:
            raise ValueError(
                f"workdir {workdir} was trained on other data than {effective['train']['data_dir']} "
                "holds now (the dataset fingerprint differs: it was regenerated or replaced); use a "
                "new --workdir, or restore the original data to resume."
            )
    except (KeyError, TypeError, AttributeError):
        raise ValueError(f"workdir config {path} is missing entries or damaged; it cannot be resumed.") from None


def recorded_setting(workdir, key):
    """A training setting as workdir's config.json records it, or None (no workdir yet, or not readable)."""
    try:
        with open(os.path.join(workdir, "config.json")) as f:
            return json.load(f)["train"].get(key)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # check_workdir names a damaged config in its own sentence


HISTORY = "history.jsonl"
# The files a run keeps in its workdir: each must be a regular file of its own, never a link or a FIFO.
_OWN_FILES = (
    "config.json",
    "flags.txt",
    HISTORY,
    "result.json",
    ".lock",
    os.path.join("checkpoints", checkpoints.STATE_FILE),
)


def _check_own_files(workdir):
    for name in _OWN_FILES:
        path = os.path.join(workdir, name)
        if os.path.islink(path):
            raise ValueError(
                f"workdir {workdir}: {name} is a symbolic link; a run writes only its own files, so "
                "remove the link (its target is left alone) or use a new --workdir."
            )
        if os.path.lexists(path):
            kind = fileio.kind_name(os.stat(path).st_mode)
            if kind:
                raise ValueError(
                    f"workdir {workdir}: {name} is {kind}, not a regular file; remove it or use a new --workdir."
                )


def check_placement(workdir, data_dir):
    """A workdir neither equals nor nests with its dataset, nor lies inside another of the package's directories."""
    places.check_apart(workdir, "workdir", [(data_dir, "dataset (--data_dir)")])
    places.check_placement(workdir, "workdir")


def read_history(workdir, repair=False):
    """Per-epoch metrics from history.jsonl, one entry per epoch (the last write wins).

    A line cut short by a kill (no newline, or not JSON) is dropped with a
    warning; with repair the file is rewritten without it, so later appends
    start on a clean line.
    """
    path = os.path.join(workdir, HISTORY)
    if not os.path.lexists(path):
        return []
    text = fileio.read_bytes(path, "training history").decode("utf-8", errors="replace")
    by_epoch, bad = {}, 0
    for line in text.splitlines(keepends=True):
        try:
            if not line.endswith("\n"):
                raise ValueError("incomplete line")
            entry = json.loads(line)
            by_epoch[int(entry["epoch"])] = entry
        except (ValueError, KeyError, TypeError):
            if line.strip():
                bad += 1
    if bad:
        logging.warning("%s: dropped %d damaged line(s) (a run was killed while writing)", path, bad)
        if repair:
            rewrite_history(workdir, [by_epoch[k] for k in sorted(by_epoch)])
    return [by_epoch[k] for k in sorted(by_epoch)]


def rewrite_history(workdir, entries):
    fileio.write_text_atomic(os.path.join(workdir, HISTORY), "".join(json.dumps(e) + "\n" for e in entries))


def append_history(workdir, entry):
    """Append one whole line with a single write, fsynced: a kill leaves the line whole or absent."""
    fd = fileio.open_own_file(
        os.path.join(workdir, HISTORY), os.O_WRONLY | os.O_APPEND | os.O_CREAT, "training history"
    )
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_checkpoint_temporaries(checkpoint_dir):
    """TensorFlow writes a checkpoint's shards into ckpt-N_temp/ first; a kill or a full disk leaves it."""
    if os.path.isdir(checkpoint_dir):
        for name in os.listdir(checkpoint_dir):
            if name.endswith("_temp"):
                shutil.rmtree(os.path.join(checkpoint_dir, name), ignore_errors=True)
                logging.info("removed the unfinished checkpoint %s", name)


def prepare_workdir(workdir, done):
    """With the lock held: remove stale temporaries and keep history only up to the checkpoint."""
    fileio.sweep_stale(workdir)
    remove_checkpoint_temporaries(os.path.join(workdir, "checkpoints"))
    history = read_history(workdir, repair=True)
    if any(h["epoch"] > done for h in history):
        rewrite_history(workdir, [h for h in history if h["epoch"] <= done])


def latest_epoch(checkpoint_dir):
    """Epochs done according to the newest checkpoint file in checkpoint_dir (0 if none)."""
    found = checkpoints.on_disk(os.path.dirname(os.path.abspath(checkpoint_dir)))
    return found[-1] if found else 0
