"""The package version (one place, read by the CLI, batch rows and workbooks)."""

__version__ = "0.1.0"
