"""The `digest` command line: a thin layer over the core (options, one-line errors, exit codes, progress)."""

from .app import app

__all__ = ["app"]
