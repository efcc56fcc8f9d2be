"""Register this package's Keras classes as soon as Keras can hold them, without importing TensorFlow early.

A .keras file names its classes "betavae_tf>BetaVAE", "betavae_tf>FusedAdam",
"betavae_tf>LearnedScale"; Keras can load it only if those are registered.
`import betavae_tf` must stay light (flag checks run before TensorFlow
starts), so the registration waits: if TensorFlow and Keras are already
imported it happens at once, otherwise an import hook runs it right after
both have finished importing (whichever of the two the user imports first
pulls in the other), so `import betavae_tf; import keras;
keras.saving.load_model(path)` works in a fresh process.
"""

import importlib.abc
import sys

_WATCHED = ("tensorflow", "keras")
_state = {"loading": set(), "done": False}


def register_now():
    """Import the modules whose classes carry @keras.saving.register_keras_serializable."""
    _state["done"] = True
    from betavae_tf.models import layers, vae  # noqa: F401


def _maybe_register():
    if _state["done"] or _state["loading"] or not all(name in sys.modules for name in _WATCHED):
        return
    try:
        register_now()
    except Exception as e:
        import warnings

        warnings.warn(
            f"betavae_tf could not register its Keras classes ({e}); import betavae_tf.models.vae "
            "before loading a .keras file.",
            RuntimeWarning,
            stacklevel=2,
        )


def wrapped_spec(finder, fullname, path, target, wrap):
    """The spec the other finders give fullname, its loader's exec_module wrapped: wrap(original)(module).

    For meta path finders that act around one module's loading (this one, and the console scripts'
    quiet TensorFlow import); None where no other finder knows the module.
    """
    for other in sys.meta_path:
        if other is finder or not hasattr(other, "find_spec"):
            continue
        spec = other.find_spec(fullname, path, target)
        if spec is not None:
            break
    else:
        return None
    loader = spec.loader
    if loader is not None and hasattr(loader, "exec_module"):
        loader.exec_module = wrap(loader.exec_module)
    return spec


class _AfterImport(importlib.abc.MetaPathFinder):
    """Wraps the loading of tensorflow and keras so that _maybe_register runs when both are complete."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in _WATCHED or _state["done"]:
            return None

        def wrap(original):
            def exec_module(module):
                _state["loading"].add(fullname)
                try:
                    original(module)
                finally:
                    _state["loading"].discard(fullname)
                _maybe_register()

            return exec_module

        return wrapped_spec(self, fullname, path, target, wrap)


def install():
    if all(name in sys.modules for name in _WATCHED):
        _maybe_register()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())
