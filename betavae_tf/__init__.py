"""betavae_tf: beta-VAE and beta^2-VAE for classical lattice models (Huang, Hu, Yang)."""

from betavae_tf import _registration
from betavae_tf.version import __version__

_registration.install()  # BetaVAE & co. become loadable from .keras files once Keras is imported

__all__ = ["__version__"]
