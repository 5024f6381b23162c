"""The command-line interface; see `explorer.cli.main`."""

from explorer.cli.main import main

__all__ = ["main"]
