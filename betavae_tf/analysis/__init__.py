"""Analysis of trained models: images, latent codes, metrics and figures."""
