"""betavae_tf: beta-VAE and beta^2-VAE for classical lattice models (Huang, Hu, Yang)."""
__version__ = "0.2.0"

from betavae_tf import _registration  # noqa: E402

_registration.install()  # BetaVAE & co. become loadable from .keras files once Keras is imported
