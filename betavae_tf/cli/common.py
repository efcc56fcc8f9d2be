"""What every entry point shares: one-sentence errors instead of tracebacks."""
import os
import sys

from absl import app, flags
from absl import logging as absl_logging

# Errors a user can cause and fix; anything else is a bug and keeps its traceback.
USER_ERRORS = (ValueError, FileExistsError, FileNotFoundError, NotADirectoryError)


def run(main, program):
    """app.run(main), turning a user error into 'program: error: <sentence>' and exit 2."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # --help lists the main module's key flags; here the main module is the
    # console-script wrapper, so adopt the flags of the module that defines main.
    for flag in flags.FLAGS.get_flags_for_module(main.__module__):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)

    # TensorFlow logs its SavedModel and checkpoint internals at INFO through
    # absl; show warnings and up unless the user asks for --verbosity=0.
    def guarded(argv):
        if not flags.FLAGS["verbosity"].present:
            absl_logging.set_verbosity(absl_logging.WARNING)
        try:
            return main(argv)
        except USER_ERRORS as e:
            fail(program, e.args[0] if e.args and isinstance(e.args[0], str) else str(e))

    app.run(guarded)


def fail(program, message, code=2):
    """Print 'program: error: message' and exit (2: bad input, 1: the run failed)."""
    print(f"{program}: error: {message}", file=sys.stderr)
    sys.exit(code)


def float_list(name, values):
    """Parse an absl list flag of reals, naming the flag on error."""
    out = []
    for v in values or []:
        try:
            out.append(float(v))
        except ValueError:
            raise ValueError(f"--{name} must be a comma-separated list of numbers, got {v!r}.") from None
    return tuple(out)


def reject_extra_args(argv):
    if len(argv) > 1:
        raise ValueError(f"unexpected positional arguments {argv[1:]}; all inputs are --flags.")
