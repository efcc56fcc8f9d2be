"""Safe writes: temporaries that never look complete, atomic publication, locks and resource checks.

Everything this package writes for keeps (datasets, exports, workdir JSON) is
first written into a hidden temporary sibling named
``.NAME.tmp-PID-RANDOM`` (``.NAME.old-PID-RANDOM`` for a replaced copy),
fsynced, and then renamed into place, so a reader sees either the old or the
new complete object, never a half-written one. A process that is killed
leaves its temporaries behind; the next writer of the same directory removes
those whose process is gone (``sweep_stale``).
"""
import contextlib
import errno
import json
import os
import re
import shutil
import uuid

from absl import logging

from mc_ext.samplers import format_bytes

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")


def temp_sibling(path, kind="tmp"):
    """A hidden name next to path that carries this process's id (see sweep_stale)."""
    path = os.path.abspath(path)
    return os.path.join(os.path.dirname(path),
                        f".{os.path.basename(path)}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def sweep_stale(directory):
    """Remove temporaries in directory left by processes that no longer run; returns their names."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TEMP.match(name)
        if not match or _alive(int(match["pid"])):
            continue
        path = os.path.join(directory, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed.append(name)
        except OSError as e:  # somebody else's file, or already gone
            logging.warning("could not remove the stale temporary %s (%s)", path, e)
    if removed:
        logging.info("removed %d stale temporaries in %s: %s", len(removed), directory, ", ".join(removed))
    return removed


def fsync_path(path):
    """fsync a file, or every file in a directory tree and the directories themselves."""
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            for name in files:
                _fsync_file(os.path.join(root, name))
            _fsync_dir(root)
    else:
        _fsync_file(path)


def _fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not supported (e.g. Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text_atomic(path, text):
    """Write text to path through an fsynced temporary and a rename."""
    tmp = temp_sibling(path)
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(os.path.dirname(os.path.abspath(path)))


def write_json_atomic(path, obj):
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True, default=float) + "\n")


def read_json(path, what):
    """A JSON file as a dict, or ValueError naming the file."""
    try:
        with open(path) as f:
            value = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} {path} is not valid JSON ({e.msg} at line {e.lineno}).") from None
    except UnicodeDecodeError:
        raise ValueError(f"{what} {path} is not a text file.") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} {path} must hold a JSON object, not {type(value).__name__}.")
    return value


@contextlib.contextmanager
def staged_directory(target, replace=False):
    """Yield a fresh hidden sibling of target to fill; on success it is fsynced and renamed to target.

    With replace, an existing target is moved aside first and deleted after
    the rename. On any exception the temporary is removed and target is
    untouched. The temporary is created before the caller's work starts, so
    an unwritable location fails at once rather than after hours of sampling.
    """
    target = os.path.abspath(target)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    sweep_stale(parent)
    tmp = temp_sibling(target)
    os.makedirs(tmp)
    try:
        yield tmp
        fsync_path(tmp)
        old = None
        if os.path.lexists(target):
            if not replace:
                raise FileExistsError(f"{target} appeared while it was being written; nothing was replaced.")
            old = temp_sibling(target, "old")
            os.rename(target, old)
        os.rename(tmp, target)
        _fsync_dir(parent)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_writable(directory, what="output"):
    """Fail at once (ValueError) if files cannot be created in directory (made if missing)."""
    try:
        os.makedirs(directory, exist_ok=True)
        probe = temp_sibling(os.path.join(directory, "write-probe"))
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as e:
        raise ValueError(f"cannot write the {what} in {directory}: {e.strerror or e}.") from None


def free_bytes(directory):
    """Free bytes on the file system that holds directory (or its nearest existing parent)."""
    path = os.path.abspath(directory)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return shutil.disk_usage(path).free


def check_free_space(directory, needed, what):
    """ValueError if the disk holding directory clearly cannot take `needed` bytes."""
    free = free_bytes(directory)
    if needed > free:
        raise ValueError(f"{what} needs about {format_bytes(needed)}, but the disk holding {directory} has "
                         f"{format_bytes(free)} free.")


def describe_os_error(e):
    """One sentence for an OSError (a full disk, a permission, a missing path)."""
    where = f" ({e.filename})" if getattr(e, "filename", None) else ""
    if e.errno == errno.ENOSPC:
        return f"the disk is full{where}; free some space and run again (nothing half-written was kept)."
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied{where}: {e.strerror}."
    return f"{e.strerror or e}{where}."


class WorkdirBusyError(ValueError):
    """Another process holds the workdir's lock."""


@contextlib.contextmanager
def locked(directory, what="workdir", holder="betavae-train"):
    """Hold an exclusive OS lock on directory/.lock for the duration (released when the process dies)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # not POSIX: no OS lock available
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another"
                raise WorkdirBusyError(f"{what} {directory} is in use by {holder} process {owner}; wait for it "
                                       "to finish or choose another directory.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock
