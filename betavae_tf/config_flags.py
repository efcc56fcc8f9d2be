"""Settings as dataclasses, flags generated from them: one place for a setting's name, type, default and help.

A dataclass field declared with ``setting(default, help)`` becomes the flag
``--name`` (or ``--flag`` where the field names it otherwise) of the field's
kind: bool, int, float, str (plain Python annotations), or one given with
``kind=``: ``"enum"`` (with ``choices``), ``"floats"`` / ``"ints"`` /
``"strings"`` (a comma-separated list, stored as a tuple) and ``"multi"``
(a repeatable string flag, stored as a tuple). ``define`` puts them on an
absl FlagValues, ``from_flags`` builds the dataclass back from parsed values,
``parse`` does both from an argument list (flagfiles expanded, see
betavae_tf.flagfiles), and ``to_flagfile`` writes a dataclass back as
flags. So a command line, a flagfile and a library call agree by
construction, and the library builds its own configurations from the
shipped flagfiles without going through a console script.
"""

import dataclasses
import math
import typing

from absl import flags

from betavae_tf import flagfiles

_PLAIN = {bool: "bool", int: "int", float: "float", str: "str"}
_LISTS = {"floats": float, "ints": int, "strings": str}


def setting(default, help, *, kind=None, choices=None, flag=None):
    """A dataclass field that is also a flag (see the module docstring)."""
    metadata = {"help": help, "kind": kind, "choices": tuple(choices) if choices is not None else None, "flag": flag}
    if isinstance(default, (list, dict, set)):
        raise TypeError("a setting's default must be immutable (a tuple, not a list)")
    return dataclasses.field(default=default, metadata=metadata)


def flag_fields(cls, skip=()):
    """The fields of cls that are flags, in declaration order (skipping field or flag names in `skip`)."""
    return [
        f for f in dataclasses.fields(cls) if "help" in f.metadata and f.name not in skip and flag_name(f) not in skip
    ]


def flag_name(field):
    return field.metadata.get("flag") or field.name


def _kind(field, cls):
    if field.metadata.get("kind"):
        return field.metadata["kind"]
    annotation = typing.get_type_hints(cls).get(field.name, field.type)
    if annotation in _PLAIN:
        return _PLAIN[annotation]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]  # Optional[int] -> int
    if len(args) == 1 and args[0] in _PLAIN:
        return _PLAIN[args[0]]
    raise TypeError(f"setting {cls.__name__}.{field.name}: give kind= for the annotation {annotation!r}")


def define(cls, flag_values, skip=(), module_name=None):
    """Define one flag per setting of cls on flag_values (skipping `skip`)."""
    for field in flag_fields(cls, skip):
        kind, name, help_text = _kind(field, cls), flag_name(field), field.metadata["help"]
        default = field.default
        common = {"flag_values": flag_values, "module_name": module_name}
        if kind == "enum":
            flags.DEFINE_enum(name, default, list(field.metadata["choices"]), help_text, **common)
        elif kind in _LISTS:
            flags.DEFINE_list(
                name,
                None if default is None else [repr(v) if isinstance(v, float) else str(v) for v in default],
                help_text,
                **common,
            )
        elif kind == "multi":
            flags.DEFINE_multi_string(name, list(default), help_text, **common)
        else:
            definer = {
                "bool": flags.DEFINE_bool,
                "int": flags.DEFINE_integer,
                "float": flags.DEFINE_float,
                "str": flags.DEFINE_string,
            }[kind]
            definer(name, default, help_text, **common)


def _convert(kind, name, value):
    if value is None:
        return None
    if kind in _LISTS:
        out = []
        for v in value:
            try:
                out.append(_LISTS[kind](v))
            except ValueError:
                raise ValueError(
                    f"--{name} must be a comma-separated list of "
                    f"{'integers' if kind == 'ints' else 'numbers'}, got {v!r}."
                ) from None
            if kind == "floats" and not math.isfinite(out[-1]):
                raise ValueError(f"--{name} must list finite numbers, got {v}.")
        return tuple(out)
    if kind == "multi":
        return tuple(value)
    return value


def from_flags(cls, flag_values, skip=(), **overrides):
    """cls built from the parsed flag values of its settings (plus overrides)."""
    values = {
        f.name: _convert(_kind(f, cls), flag_name(f), flag_values[flag_name(f)].value) for f in flag_fields(cls, skip)
    }
    values.update(overrides)
    return cls(**values)


def parse(cls, args, program, *, base=None, skip=()):
    """cls from an argument list (flagfiles expanded), each flag's default taken from `base` when given.

    Unknown or malformed flags raise ValueError with absl's sentence, naming the program.
    """
    flag_values = flags.FlagValues()
    define(cls, flag_values, skip)
    if base is not None:
        for field in flag_fields(cls, skip):
            value = getattr(base, field.name)
            kind = _kind(field, cls)
            if kind in _LISTS and value is not None:
                value = [repr(v) if isinstance(v, float) else str(v) for v in value]
            elif kind == "multi":
                value = list(value)
            flag_values[flag_name(field)].value = value
    try:
        flag_values([program] + flagfiles.expand(list(args)))
    except flags.Error as e:
        raise ValueError(f"{program}: {e}") from None
    overrides = {
        f.name: getattr(base, f.name)
        for f in dataclasses.fields(cls)
        if base is not None and f not in flag_fields(cls, skip)
    }
    return from_flags(cls, flag_values, skip, **overrides)


def to_flagfile(config, skip=()):
    """The settings of a dataclass instance as flagfile lines (what a run used)."""
    lines = []
    for field in flag_fields(type(config), skip):
        value, name = getattr(config, field.name), flag_name(field)
        kind = _kind(field, type(config))
        if value is None:
            continue
        if kind == "bool":
            lines.append(f"--{name}" if value else f"--no{name}")
        elif kind in _LISTS:
            lines.append(f"--{name}=" + ",".join(repr(v) if isinstance(v, float) else str(v) for v in value))
        elif kind == "multi":
            lines += [f"--{name}={v}" for v in value]
        else:
            lines.append(f"--{name}={value!r}" if isinstance(value, float) else f"--{name}={value}")
    return "".join(line + "\n" for line in lines)
