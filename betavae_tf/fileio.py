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
import stat
import uuid

from absl import logging

from mc_ext.memory import format_bytes

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")


def temp_sibling(path, kind="tmp"):
    """A hidden name next to path that carries this process's id (see sweep_stale)."""
    path = os.path.abspath(path)
    return os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def is_temporary(name):
    """Whether a file name is one of this package's temporaries (see temp_sibling)."""
    return bool(_TEMP.match(name))


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
        for root, _dirs, files in os.walk(path):
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
        # A fresh name, created here and never through a link (O_EXCL | O_NOFOLLOW).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "w") as f:
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


# JSON this package reads back (manifests, workdir configs, export metadata) is small and shallow;
# anything far larger or deeper is not one of its files, and is refused before it is parsed.
MAX_JSON_BYTES = 64 << 20
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_name(mode):
    """'a directory', 'a FIFO (named pipe)', ... for a non-regular st_mode (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_regular_file(path, what):
    """ValueError unless path is (or links to) a regular file; FileNotFoundError if it is missing.

    A FIFO, device or socket where a file is read would block or stream
    forever; it is refused before it is opened.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist.") from None
    except OSError as e:
        raise ValueError(f"{what} {path} cannot be read: {describe_os_error(e, with_name=False)}") from None
    kind = kind_name(mode)
    if kind:
        raise ValueError(f"{what} {path} is {kind}, not a regular file.")
    return path


def read_bytes(path, what, limit=None):
    """The bytes of a regular file (checked first), or ValueError naming it (too large, unreadable)."""
    check_regular_file(path, what)
    size = os.path.getsize(path)
    if limit is not None and size > limit:
        raise ValueError(
            f"{what} {path} has {format_bytes(size)}, more than the {format_bytes(limit)} such a file "
            "can have; it is not one of this package's files."
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if kind_name(os.fstat(fd).st_mode):  # replaced between the check and the open
                raise ValueError(f"{what} {path} is not a regular file.")
            with os.fdopen(fd, "rb", closefd=False) as f:
                return f.read()
        finally:
            os.close(fd)
    except OSError as e:
        raise ValueError(f"{what} {path} cannot be read: {describe_os_error(e, with_name=False)}") from None


def read_text(path, what, limit=None):
    """A regular file's text (UTF-8), or ValueError naming it: never a bare codec name."""
    data = read_bytes(path, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{what} {path} is not a text file (byte 0x{data[e.start]:02x} at offset {e.start} is not UTF-8)."
        ) from None


def json_depth(data):
    """The deepest nesting of [ and { in JSON text (bytes), strings skipped; linear time, no recursion."""
    import numpy as np

    skeleton = np.frombuffer(_JSON_STRING.sub(b'""', data), dtype=np.uint8)
    steps = np.isin(skeleton, (ord("["), ord("{"))).astype(np.int64) - np.isin(skeleton, (ord("]"), ord("}"))).astype(
        np.int64
    )
    return int(np.cumsum(steps).max(initial=0))


def parse_json(data, where, max_depth=MAX_JSON_DEPTH):
    """JSON text (bytes or str) as a value, or ValueError naming `where` (invalid, too deep, not text)."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    depth = json_depth(data)
    if depth > max_depth:
        raise ValueError(
            f"{where} is nested {depth} levels deep, more than the {max_depth} any file of this "
            "package has; it is damaged or not from this package."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not a text file.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where} is not valid JSON ({e.msg} at line {e.lineno}).") from None
    except RecursionError:  # below max_depth this does not happen; kept as the last guard
        raise ValueError(f"{where} is nested too deeply to be read.") from None


def read_json(path, what):
    """A JSON file as a dict, or ValueError naming the file (not a regular file, too large, too deep, invalid)."""
    value = parse_json(read_bytes(path, what, MAX_JSON_BYTES), f"{what} {path}")
    if not isinstance(value, dict):
        raise ValueError(f"{what} {path} must hold a JSON object, not {type(value).__name__}.")
    return value


def open_own_file(path, flags, what, mode=0o644):
    """os.open of a file this package keeps inside its own directory, never through a link.

    The last component must not be a symbolic link (O_NOFOLLOW) and the file
    must be a regular one (a FIFO would block, a device would be written);
    otherwise ValueError in one sentence and nothing is written.
    """
    if os.path.islink(path):
        raise ValueError(
            f"{what} {path} is a symbolic link; this package writes only its own files there, so "
            "remove the link (its target is left alone)."
        )
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0), mode)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ValueError(f"{what} {path} is a symbolic link; remove the link (its target is left alone).") from None
        if e.errno == errno.ENXIO:  # a FIFO with no reader, opened for writing
            raise ValueError(f"{what} {path} is a FIFO (named pipe), not a regular file.") from None
        raise
    kind = kind_name(os.fstat(fd).st_mode)
    if kind:
        os.close(fd)
        raise ValueError(f"{what} {path} is {kind}, not a regular file; remove it.")
    return fd


@contextlib.contextmanager
def staged_directory(target, replace=False, before_replace=None):
    """Yield a fresh hidden sibling of target to fill; on success it is fsynced and renamed to target.

    With replace, an existing target is moved aside first and deleted after
    the rename; before_replace(), if given, is called just before (it may
    raise to keep the target: a foreign file that appeared while the new copy
    was made). On any exception the temporary is removed and target is
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
            if before_replace is not None:
                before_replace()
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
        raise ValueError(
            f"{what} needs about {format_bytes(needed)}, but the disk holding {directory} has "
            f"{format_bytes(free)} free."
        )


_ERRNO_TEXT = {
    errno.EEXIST: "it already exists",
    errno.ENOTDIR: "a part of that path is a file, not a directory",
    errno.EISDIR: "it is a directory, not a file",
    errno.ELOOP: "it is a symbolic link (or a loop of them)",
    errno.ENOENT: "no such file or directory",
    errno.ENAMETOOLONG: "the name is too long",
}


def describe_os_error(e, with_name=True):
    """One sentence for an OSError (a full disk, a permission, a missing path): never a bare errno."""
    name = getattr(e, "filename", None)
    where = f" ({name})" if with_name and name else ""
    if e.errno == errno.ENOSPC:
        return f"the disk is full{where}; free some space and run again (nothing half-written was kept)."
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied{where}: {e.strerror}."
    if e.errno in _ERRNO_TEXT:
        return f"{name + ': ' if with_name and name else ''}{_ERRNO_TEXT[e.errno]}."
    return f"{e.strerror or e}{where}."


class WorkdirBusyError(ValueError):
    """Another process holds the workdir's lock."""


@contextlib.contextmanager
def locked(directory, what="workdir", holder="betavae-train"):
    """Hold an exclusive OS lock on directory/.lock for the duration (released when the process dies).

    The lock file is opened without following a symbolic link and must be a
    regular file: a planted link is refused, never written through.
    """
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, ".lock")
    fd = open_own_file(path, os.O_RDWR | os.O_CREAT, f"the lock file of {what}")
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
                raise WorkdirBusyError(
                    f"{what} {directory} is in use by {holder} process {owner}; wait for it "
                    "to finish or choose another directory."
                ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock
