"""Thin absl entry points behind the console scripts; the work lives in the library."""
