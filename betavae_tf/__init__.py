"""betavae_tf: beta-VAE and beta^2-VAE for classical lattice models (Huang, Hu, Yang)."""
__version__ = "0.1.0"
