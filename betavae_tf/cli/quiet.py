"""Keep TensorFlow's native start-up lines off a console script's stderr.

TensorFlow's C++ runtime logs through abseil before abseil's logging is
initialised, so TF_CPP_MIN_LOG_LEVEL does not reach those lines: every
command would open with "All log messages before absl::InitializeLog() ...",
the oneDNN notice and, on a machine without a GPU, "failed call to cuInit".
The console scripts therefore import TensorFlow, the first time anything
asks for it, with file descriptor 2 pointed at a temporary file, and list the
physical devices there too (that is when CUDA is probed). What was captured
is printed if the import fails, and nothing is hidden with --tf_log (or
BETAVAE_TF_LOG=1), which also leaves TF_CPP_MIN_LOG_LEVEL alone. Otherwise
TF_CPP_MIN_LOG_LEVEL defaults to 2: TensorFlow's later C++ errors still show.

Only the console scripts install this (betavae_tf.cli imports it); the
library never touches a user's stderr or environment.
"""

import contextlib
import importlib.abc
import os
import sys
import tempfile

from betavae_tf._registration import wrapped_spec

FLAG = "tf_log"
ENV = "BETAVAE_TF_LOG"


def wanted(argv=None, environ=None):
    """True when TensorFlow's native log lines were asked for (--tf_log, or BETAVAE_TF_LOG=1)."""
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    value = environ.get(ENV, "").strip().lower()
    if value in ("1", "true", "yes"):
        return True
    asked = False
    for arg in argv:
        if arg in (f"--{FLAG}", f"--{FLAG}=true", f"--{FLAG}=1"):
            asked = True
        elif arg in (f"--no{FLAG}", f"--{FLAG}=false", f"--{FLAG}=0"):
            asked = False
    return asked


@contextlib.contextmanager
def native_stderr_captured():
    """Point file descriptor 2 at a temporary file; yields a callable returning what was written."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: (sink.seek(0), sink.read().decode("utf-8", "replace"))[1]
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Wraps the loading of tensorflow (once) so that its native start-up lines are captured."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        self.remove()

        def wrap(original):
            def exec_module(module):
                with native_stderr_captured() as captured:
                    try:
                        original(module)
                        module.config.list_physical_devices()  # CUDA is probed here
                    except BaseException:
                        sys.__stderr__.write(captured())
                        raise

            return exec_module

        return wrapped_spec(self, name, path, target, wrap)

    def remove(self):
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)


def install(argv=None, environ=None):
    """Quiet TensorFlow's native start-up for this process, unless it was asked for (see wanted)."""
    environ = os.environ if environ is None else environ
    if wanted(argv, environ) or "tensorflow" in sys.modules:
        return None
    environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    finder = _QuietTensorFlow()
    sys.meta_path.insert(0, finder)
    return finder
