"""The package version: one home, read by setuptools and written into every manifest, export and marker."""

__version__ = "0.4.0"
