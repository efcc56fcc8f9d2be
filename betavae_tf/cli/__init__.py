"""Thin absl entry points behind the console scripts; the work lives in the library."""

from betavae_tf.cli import quiet

quiet.install()
