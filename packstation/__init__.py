"""The composition root: the one place above every layer (app/, hardware/, sync/, ui/) that wires
them together — the `packstation` command, its sub-commands, the benchmark runner and `doctor`.
Nothing imports this package (an import-linter contract in pyproject.toml)."""

from app import __version__

__all__ = ["__version__"]
