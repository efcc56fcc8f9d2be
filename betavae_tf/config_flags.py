"""absl flags bound to a dataclass: one place for a setting's name, type, default and help.

A dataclass field declared with ``setting(default, help)`` becomes the flag
``--name`` of the field's type (bool, int, float, str); ``define`` puts them
on a FlagValues and ``from_flags`` builds the dataclass back from parsed
values, so a command line, a flagfile and a library call agree by
construction.
"""
import dataclasses

from absl import flags

_DEFINERS = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float,
             str: flags.DEFINE_string}


def setting(default, help):  # noqa: A002 - the absl word
    """A dataclass field that is also a flag."""
    return dataclasses.field(default=default, metadata={"help": help})


def flag_fields(cls, skip=()):
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata and f.name not in skip]


def define(cls, flag_values, skip=(), module_name=None):
    """Define one flag per field of cls on flag_values (skipping `skip`)."""
    for field in flag_fields(cls, skip):
        kind = field.type if isinstance(field.type, type) else eval(field.type)  # noqa: S307 - own annotations
        _DEFINERS[kind](field.name, field.default, field.metadata["help"], flag_values=flag_values,
                        module_name=module_name)


def from_flags(cls, flag_values, skip=(), **overrides):
    """cls built from the parsed flag values of its fields (plus overrides)."""
    values = {f.name: flag_values[f.name].value for f in flag_fields(cls, skip)}
    values.update(overrides)
    return cls(**values)


def parse(define_fn, args, program):
    """A fresh FlagValues with define_fn's flags, parsed from args (flagfiles expanded).

    Unknown or malformed flags raise ValueError with absl's sentence.
    """
    from betavae_tf.cli import flagfiles
    flag_values = flags.FlagValues()
    define_fn(flag_values)
    try:
        flag_values([program] + flagfiles.expand(list(args)))
    except flags.Error as e:
        raise ValueError(f"{program}: {e}") from None
    return flag_values
