"""How to start the explorer's command line as a child process, from a plain Python or a bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

FULLTEXT_WORKER = "--fulltext-worker"
"""The command line's first argument in a worker building parts of a full-text index
(explorer.projections.fulltext_parts; explorer.entry.cli runs it): not a subcommand, and never
typed by a user."""


def command_line(arguments: list[str]) -> tuple[str, list[str]]:
    """The program and arguments that run the explorer's command line with `arguments`: this
    Python with `-m explorer`, or in a bundle (no Python) its `event-explorer-cli` beside the
    running executable (the window's, or the command line's own)."""
    if getattr(sys, "frozen", False):
        program = Path(sys.executable)
        return str(program.with_name("event-explorer-cli" + program.suffix)), arguments
    return sys.executable, ["-m", "explorer", *arguments]


def import_path(inherited: str | None) -> str:
    """This process's import path, then `inherited` (the environment's PYTHONPATH, if any): the
    PYTHONPATH of a child that must import the explorer and a system's module from where this
    process did (e.g. the folder main.py was started from)."""
    folders = [folder for folder in sys.path if folder and os.path.isdir(folder)]
    return os.pathsep.join([*folders, *([inherited] if inherited else [])])
