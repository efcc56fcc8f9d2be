"""Flagfiles: found by path or by name in the package, with includes relative to the including file.

absl reads ``--flagfile=PATH`` relative to the working directory, which ties
the shipped flagfiles to a clone's root. Every entry point of this package
expands flagfiles itself before absl sees the arguments:

- a flagfile named on the command line is taken as a path if it exists,
  else by name inside the package's flags directory (a leading ``flags/``
  may be kept), so ``--flagfile=train/ising_beta100.flags`` and
  ``--flagfile=flags/train/ising_beta100.flags`` work from any directory
  with an installed wheel;
- ``--flagfile=`` lines inside a flagfile are resolved relative to that
  file first (the shipped ones write ``--flagfile=../train/x.flags``), then
  as above.

Lines are absl's: one flag per line, blank lines and lines starting with
``#`` or ``//`` ignored. Expanded flags take the include's place, so later
flags still override earlier ones.
"""

import os

_PREFIXES = ("--flagfile=", "-flagfile=")
MAX_BYTES = 1 << 20  # a flagfile is a few lines; anything larger is not one


def flags_root():
    """The shipped flags directory: inside the installed package, or the clone's flags/."""
    package = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(package, "flags"), os.path.join(os.path.dirname(package), "flags")):
        if os.path.isdir(candidate):
            return candidate
    raise FileNotFoundError(f"the package's flags directory is missing (looked in {package}/flags).")


def resolve(name, relative_to=None):
    """The path of flagfile `name` (see the module docstring); FileNotFoundError names the places tried."""
    name = os.path.expanduser(name)
    tried = []
    candidates = []
    if relative_to and not os.path.isabs(name):
        candidates.append(os.path.join(relative_to, name))
    candidates.append(name)
    if not os.path.isabs(name):
        short = name[len("flags/") :] if name.startswith("flags/") else name
        try:
            candidates.append(os.path.join(flags_root(), short))
        except FileNotFoundError:
            pass
    for path in candidates:
        tried.append(path)
        if os.path.isfile(path):
            return os.path.abspath(path)
        if os.path.exists(path) and not os.path.isdir(path):  # a FIFO or a device: refused, never opened
            from betavae_tf import fileio

            fileio.check_regular_file(path, "flagfile")
    raise FileNotFoundError(f"flagfile {name} not found (looked at {', '.join(tried)}).")


def read(path, stack=()):
    """The flag lines of one flagfile, its includes expanded."""
    path = os.path.abspath(path)
    if path in stack:
        raise ValueError(f"flagfile {path} includes itself (through {' -> '.join(stack)}).")
    from betavae_tf import fileio

    lines = fileio.read_text(path, "flagfile", limit=MAX_BYTES).splitlines()
    out = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#") or text.startswith("//"):
            continue
        include = _include(text)
        if include is not None:
            out += read(resolve(include, os.path.dirname(path)), stack + (path,))
        else:
            out.append(text)
    return out


def _include(arg):
    for prefix in _PREFIXES:
        if arg.startswith(prefix):
            return arg[len(prefix) :].strip().strip('"').strip("'")
    return None


def expand(args):
    """args with every --flagfile=X (or --flagfile X) replaced by X's flags."""
    out, i = [], 0
    while i < len(args):
        arg = args[i]
        include = _include(arg)
        if include is None and arg in ("--flagfile", "-flagfile") and i + 1 < len(args):
            include, i = args[i + 1], i + 1
        if include is not None:
            out += read(resolve(include))
        else:
            out.append(arg)
        i += 1
    return out
