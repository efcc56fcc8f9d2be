"""Where this package writes: what each of its directories is, what it may replace, and where it may go.

The package makes six kinds of directory, each recognisable from what it
wrote there:

  dataset        manifest.json (betavae-generate, betavae-import)
  workdir        config.json with "train" and "model" entries (betavae-train)
  export         numbered SavedModel versions, each with assets.extra/betavae_tf.json
                 (betavae-export, and WORKDIR/export of betavae-train)
  analysis       the marker .betavae_tf.json with "kind": "analysis" (betavae-analyze)
  samples        the marker with "kind": "samples" (betavae-sample --out)
  reproduction   the marker with "kind": "reproduction" (betavae-reproduce): it holds
                 datasets, workdirs, figures and the report

Two rules follow, and every command that writes applies them before any work:

- **Nothing foreign is replaced.** ``--overwrite`` replaces a directory of
  its own kind only, and only when every entry in it is one the package
  wrote there (by the manifest, the marker or the layout above); the first
  foreign entry is named and nothing is touched.
- **No nesting.** A workdir, a dataset, an export directory and an analysis
  (or samples) output never lie in or equal one another, so replacing one
  can never take another with it. The exceptions are the layouts the
  package makes itself: WORKDIR/export inside its own workdir, and
  everything inside a reproduction directory.

Output paths are resolved through symbolic links once, at the start
(``os.path.realpath``), so a linked output is followed consistently: the
checks, the temporary and the final rename all happen where the link points.
"""

import os
import re

from betavae_tf import fileio

MARKER = ".betavae_tf.json"
MARKED = ("analysis", "samples", "reproduction")
KINDS = ("dataset", "workdir", "export") + MARKED
NAMES = {
    "dataset": "dataset",
    "workdir": "training workdir",
    "export": "export directory",
    "analysis": "analysis output",
    "samples": "samples output",
    "reproduction": "reproduction output",
}


def a(kind):
    """'a dataset', 'an export directory': the kind's name with its article."""
    name = NAMES[kind]
    return ("an " if name[0] in "aeiou" else "a ") + name


_VERSION = re.compile(r"^[0-9]+$")

# What the package writes into a SavedModel version and into its own outputs.
_SAVED_MODEL = {"saved_model.pb", "fingerprint.pb", "variables", "assets", "assets.extra"}
_ANALYSIS_FILES = {MARKER, "summary.json", "report.md", "report.html", "figures", "projector", "tensorboard"}
_SAMPLES_FILES = re.compile(r"^(summary\.json|samples_T[^/]+\.npz)$")
_REPRODUCTION_FILES = {MARKER, "summary.json", "report.md", "report.html", "figures"}
_FIGURE_FILE = re.compile(r"^[A-Za-z0-9._-]+\.(png|svg|pdf|json|tsv)$")
# an analysis's Embedding Projector files (analysis.projector), one directory per run
_PROJECTOR_FILE = re.compile(r"^(latent\.tsv|metadata\.tsv|projector_config\.pbtxt)$")


def resolve(path):
    """The absolute path with every symbolic link followed (an output is used where it points)."""
    return os.path.realpath(os.path.abspath(os.path.expanduser(path)))


def _json(path):
    try:
        return fileio.read_json(path, "file")
    except (OSError, ValueError):
        return None


def is_export_version(path):
    """Whether path is one version of this package's exports (its SavedModel and assets.extra/betavae_tf.json)."""
    return os.path.isfile(os.path.join(path, "saved_model.pb")) and os.path.isfile(
        os.path.join(path, "assets.extra", "betavae_tf.json")
    )


def marker_kind(directory):
    marker = _json(os.path.join(directory, MARKER))
    kind = marker.get("kind") if marker else None
    return kind if kind in MARKED else None


def kind_of(directory):
    """The kind of a directory this package made (see the module docstring), or None."""
    if not os.path.isdir(directory):
        return None
    kind = marker_kind(directory)
    if kind:
        return kind
    if os.path.isfile(os.path.join(directory, "manifest.json")):
        return "dataset"
    config = _json(os.path.join(directory, "config.json"))
    if config is not None and "train" in config and "model" in config:
        return "workdir"
    if is_export_version(directory):
        return "export"
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    if any(_VERSION.match(n) and is_export_version(os.path.join(directory, n)) for n in names):
        return "export"
    return None


# -- what is the package's own ------------------------------------------------------------------
def _listed_shards(directory):
    manifest = _json(os.path.join(directory, "manifest.json")) or {}
    shards = manifest.get("shards") if isinstance(manifest.get("shards"), list) else []
    return {s.get("file") for s in shards if isinstance(s, dict)}


def _owned(directory, name, kind, listed=None):
    """Whether entry `name` of a directory of `kind` is one the package wrote there.

    listed: a dataset's shard names (read from its manifest when not given).
    """
    path = os.path.join(directory, name)
    if fileio.is_temporary(name):
        return True
    if os.path.islink(path):
        return False
    if kind == "dataset":
        listed = _listed_shards(directory) if listed is None else listed
        return name == "manifest.json" or (name in listed and os.path.isfile(path))
    if kind == "export":
        return bool(_VERSION.match(name)) and is_export_version(path) and first_foreign_in_version(path) is None
    if kind == "analysis":
        if name == "figures":
            return _only_figures(path)
        if name == "tensorboard":
            return _only_figures(path, _PROJECTOR_FILE)
        return name in _ANALYSIS_FILES and (os.path.isfile(path) or name == "projector")
    if kind == "samples":
        return name == MARKER or (bool(_SAMPLES_FILES.match(name)) and os.path.isfile(path))
    if kind == "reproduction":
        if name == "figures":
            return _only_figures(path)
        if name in _REPRODUCTION_FILES:
            return os.path.isfile(path)
        if not os.path.isdir(path):
            return False
        if kind_of(path) in ("dataset", "workdir", "analysis"):
            return True
        # A group folder of the reproduction (finite_size/, seeds/, fig7/, sec5/): its entries are its own.
        return all(_owned(path, n, "reproduction") and n not in _REPRODUCTION_FILES for n in os.listdir(path))
    return False


def _only_figures(path, pattern=_FIGURE_FILE):
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    for root, dirs, files in os.walk(path):
        if any(os.path.islink(os.path.join(root, d)) for d in dirs):
            return False
        if not all(pattern.match(f) and os.path.isfile(os.path.join(root, f)) for f in files):
            return False
    return True


def first_foreign_in_version(path):
    """The first entry of a SavedModel version directory that the package did not write there, or None."""
    for name in sorted(os.listdir(path)):
        if name not in _SAVED_MODEL or os.path.islink(os.path.join(path, name)):
            return name
    return None


def first_foreign(directory, kind):
    """The first entry (sorted) of directory that the package did not write as a `kind`, or None."""
    listed = _listed_shards(directory) if kind == "dataset" else None
    for name in sorted(os.listdir(directory)):
        if not _owned(directory, name, kind, listed):
            return name
    return None


def check_replaceable(directory, kind, flag="--overwrite"):
    """FileExistsError unless directory is a `kind` of this package holding only what it wrote.

    Nothing is changed; the sentence names the first foreign entry.
    """
    found = kind_of(directory)
    if found != kind:
        holds = sorted(os.listdir(directory))
        first = f" (it holds {holds[0]}{' and more' if len(holds) > 1 else ''})" if holds else ""
        also = f"; it is {a(found)}" if found else ""
        raise FileExistsError(
            f"{directory} is not {a(kind)} of this package{also}{first}; {flag} replaces only "
            f"{a(kind)} it wrote, so choose another path."
        )
    foreign = first_foreign(directory, kind)
    if foreign is not None:
        raise FileExistsError(
            f"{directory} is {a(kind)} but also holds {foreign}, which this package did not write "
            f"there; {flag} would delete it, so nothing was replaced. Move it away or choose "
            "another path."
        )


def check_output(path, kind, overwrite, flag="--overwrite", reuse=False):
    """Whether path may receive a new `kind` (resolved path, exists-and-is-ours).

    An absent path or an empty directory is fine. An existing one of the same
    kind is replaced with overwrite (only if nothing foreign is in it), or
    reused with reuse; anything else is refused in one sentence. Returns
    (resolved path, True when an existing directory will be replaced or reused).
    """
    path = resolve(path)
    what = NAMES[kind]
    if os.path.lexists(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path} is a file, not a directory; the {what} must be a new or empty directory.")
    cwd = resolve(os.getcwd())
    existing = os.path.isdir(path) and bool(os.listdir(path))
    if existing:
        if not (overwrite or reuse):
            found = kind_of(path)
            if found == kind:
                raise FileExistsError(
                    f"{path} already exists; pass {flag} to replace it (it is {a(kind)} of this package)."
                )
        check_replaceable(path, kind, flag)
        if overwrite and (cwd == path or cwd.startswith(path + os.sep)):
            raise FileExistsError(f"{path} holds the working directory; run from elsewhere to replace it.")
    parent = os.path.dirname(path)
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise ValueError(f"cannot create {path}: {parent} is not a directory.")
    check_placement(path, kind)
    return path, existing


# -- where each kind may go ------------------------------------------------------------------
def _inside(path, other):
    return path == other or path.startswith(other.rstrip(os.sep) + os.sep)


def check_placement(path, kind, own_workdir=None):
    """ValueError if path (resolved) lies inside another of the package's directories.

    Allowed: anything inside a reproduction directory, and an export directory
    inside own_workdir (the workdir being exported).
    """
    path = resolve(path)
    what = NAMES[kind]
    own = resolve(own_workdir) if own_workdir else None
    parent = os.path.dirname(path)
    while True:
        found = kind_of(parent)
        if found == "reproduction":
            return
        if found and not (kind == "export" and found == "workdir" and own == parent):
            raise ValueError(
                f"the {what} {path} would lie inside the {NAMES[found]} {parent}; the package's "
                "datasets, workdirs, exports and analysis outputs never nest in one another (replacing "
                "one would take the other with it), so choose a path outside it."
            )
        up = os.path.dirname(parent)
        if up == parent:
            return
        parent = up


def check_apart(path, what, others):
    """ValueError if path and any (other_path, other_what) are equal or one lies inside the other."""
    path = resolve(path)
    for other, other_what in others:
        if not other:
            continue
        other = resolve(other)
        if path == other:
            raise ValueError(f"the {what} and the {other_what} are the same directory ({path}); give each its own.")
        if _inside(path, other):
            raise ValueError(
                f"the {what} {path} lies inside the {other_what} {other}; replacing one would take the "
                "other with it, so choose a path outside it."
            )
        if _inside(other, path):
            raise ValueError(
                f"the {other_what} {other} lies inside the {what} {path}; replacing one would take the "
                "other with it, so choose a path outside it."
            )


def write_marker(directory, kind):
    """Mark a directory as the package's `kind` (analysis, samples, reproduction)."""
    from betavae_tf.version import __version__

    fileio.write_json_atomic(
        os.path.join(directory, MARKER), {"kind": kind, "package": "betavae_tf", "package_version": __version__}
    )
