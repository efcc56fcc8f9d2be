"""What every entry point shares: flagfiles found anywhere, readable logging, one-sentence errors."""

import logging as std_logging
import os
import sys

from absl import app, flags
from absl import logging as absl_logging

from betavae_tf import config_flags

# Errors a user can cause and fix; anything else is a bug and keeps its traceback.
USER_ERRORS = (ValueError, FileExistsError, FileNotFoundError, NotADirectoryError)
_OWN_PACKAGES = (os.sep + "betavae_tf" + os.sep, os.sep + "mc_ext" + os.sep)


class _OwnInfoOnly(std_logging.Filter):
    """Show this package's INFO lines (progress); other libraries only from WARNING up.

    TensorFlow and Keras log their SavedModel and checkpoint internals at
    INFO through absl, which would bury the progress lines.
    """

    def filter(self, record):
        return record.levelno >= std_logging.WARNING or any(p in record.pathname for p in _OWN_PACKAGES)


def run(main, program):
    """app.run(main), turning a user error into 'program: error: <sentence>' and exit 2.

    Flagfiles are expanded first (betavae_tf.flagfiles), so shipped
    flagfiles are found by name from any directory. Logging: this package's
    progress at INFO on stderr (and in --log_dir, when given).
    """
    from betavae_tf.cli import quiet

    if quiet.FLAG not in flags.FLAGS:
        flags.DEFINE_bool(
            quiet.FLAG,
            False,
            "Show TensorFlow's native start-up and C++ log lines (hidden by default; also BETAVAE_TF_LOG=1).",
        )
    # --help lists the main module's key flags; here the main module is the
    # console-script wrapper, so adopt the flags of the module that defines main.
    for flag in flags.FLAGS.get_flags_for_module(main.__module__):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    # absl's --help opens with the main module's docstring: the command's own (what it does, examples).
    command = sys.modules.get(main.__module__)
    if command is not None and command.__doc__ and "__main__" in sys.modules:
        sys.modules["__main__"].__doc__ = command.__doc__
    from betavae_tf import flagfiles

    try:
        argv = [sys.argv[0]] + flagfiles.expand(sys.argv[1:])
    except (FileNotFoundError, ValueError) as e:
        fail(program, _sentence(e))

    def guarded(argv):
        handler = absl_logging.get_absl_handler()
        if not flags.FLAGS["verbosity"].present:
            absl_logging.set_verbosity(absl_logging.INFO)
            handler.addFilter(_OwnInfoOnly())
        if not flags.FLAGS["showprefixforinfo"].present:
            # progress lines read as sentences; warnings and errors keep absl's prefix (level, time, place)
            flags.FLAGS.showprefixforinfo = False
        if flags.FLAGS["log_dir"].value:
            # absl writes files only when asked; keep the lines on stderr too.
            flags.FLAGS.alsologtostderr = True
            try:
                handler.start_logging_to_file(program_name=program, log_dir=flags.FLAGS["log_dir"].value)
            except OSError as e:
                fail(program, f"cannot write logs to --log_dir={flags.FLAGS['log_dir'].value}: {e.strerror}.")
        try:
            check_finite_flags(flags.FLAGS, main.__module__)
            return main(argv)
        except USER_ERRORS as e:
            fail(program, _sentence(e))
        except KeyboardInterrupt:
            fail(
                program,
                "interrupted; nothing half-written was kept (run the same command again to resume "
                "where that is possible).",
                code=130,
            )
        except MemoryError:
            fail(program, "ran out of memory; use smaller settings (lattice size, samples, batch size).", code=1)
        except OSError as e:
            from betavae_tf import fileio

            fail(program, fileio.describe_os_error(e), code=1)
        except Exception as e:
            if not _is_tf_error(e):
                raise
            text = (getattr(e, "message", "") or str(e)).strip().splitlines()
            if any("No space left on device" in line for line in text):
                fail(
                    program,
                    "the disk is full; free some space and run again (the last complete checkpoint is kept).",
                    code=1,
                )
            fail(program, f"TensorFlow failed: {text[0] if text else type(e).__name__}", code=1)

    app.run(guarded, argv=argv)


def _sentence(e):
    if isinstance(e, OSError) and e.errno is not None:  # '[Errno 17] File exists' says nothing to a user
        from betavae_tf import fileio

        return fileio.describe_os_error(e)
    return e.args[0] if e.args and isinstance(e.args[0], str) else str(e)


# Real-valued flags that may be infinite or NaN on purpose (none yet): every other one must be finite.
NON_FINITE_ALLOWED = ()


def check_finite_flags(flag_values, module_name):
    """ValueError naming the first real-valued flag of module_name that is NaN or infinite, before any work."""
    import math

    for flag in flag_values.get_flags_for_module(module_name):
        if flag.name in NON_FINITE_ALLOWED:
            continue
        value = flag.value
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"--{flag.name} must be a finite number, got {value}.")


def _is_tf_error(e):
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(e, tf.errors.OpError)


def fail(program, message, code=2):
    """Print 'program: error: message' and exit (2: bad input, 1: the run failed)."""
    print(f"{program}: error: {message}", file=sys.stderr)
    sys.exit(code)


def console_script(module_name, settings, work, program, run_failed=()):
    """The run() of a console script whose flags are the settings of a dataclass (betavae_tf.config_flags).

    work(settings instance) does the work and prints what it reports; an
    exception of a type in run_failed (a run that diverged) exits with status
    1 and its sentence. The flags are defined when the script runs, not at
    import, so the library may import these modules freely.
    """

    def main(argv):
        reject_extra_args(argv)
        try:
            work(config_flags.from_flags(settings, flags.FLAGS))
        except run_failed as e:
            fail(program, str(e), code=1)

    main.__module__ = module_name

    def run_script():
        config_flags.define(settings, flags.FLAGS, module_name=module_name)
        run(main, program)

    return run_script


def reject_extra_args(argv):
    if len(argv) > 1:
        raise ValueError(f"unexpected positional arguments {argv[1:]}; all inputs are --flags.")
