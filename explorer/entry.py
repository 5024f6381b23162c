"""The programs' entry points: `event-explorer-cli` (and `python -m explorer`) and `event-explorer`
(and `python main.py`).

Kept free of the program's own imports, which take a second or two: a Ctrl+C while they load
ends the program as one later does, with a line and status 130, not a traceback. The command
line's output that cannot be written (a full disk, `> /dev/full`) is said in one line too,
wherever it fails: in a subcommand, in `--version`, or in what is still buffered at the end.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence

from explorer.common.command_line import FULLTEXT_WORKER

INTERRUPTED = 130
"""The exit status of a program ended by Ctrl+C (128 + SIGINT), as shells report it."""

OUTPUT_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""What writing the output can fail with that its reader did not ask for (unlike a closed pipe,
which is `| head` having read enough): a full disk or quota, a file too large. (Not EIO, which
reading a file can fail with too: that one is not said as the output's.)"""


def cli(argv: Sequence[str] | None = None) -> int | str | None:
    """The command line (explorer.cli.main.main), its start-up and its output guarded."""
    try:
        if (sys.argv[1:] if argv is None else list(argv))[:1] == [FULLTEXT_WORKER]:
            from explorer.projections.fulltext_parts import serve

            return serve()
        try:
            from explorer.cli.main import main

            status: int | str | None = main(argv)
        except SystemExit as ended:  # argparse's --help, --version and usage errors
            status = ended.code
        sys.stdout.flush()  # what is still buffered fails here, not as Python exits
        return status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except OSError as error:
        if error.errno not in OUTPUT_FAILURES or error.filename is not None:
            raise
        print(f"error: the output could not be written: {error.strerror}. Free some space, or "
              "send the output elsewhere.", file=sys.stderr)
        _discard_stdout()
        return 1


def window(argv: Sequence[str] | None = None) -> int:
    """The window (explorer.ui.app.main), a Ctrl+C while it loads and opens guarded."""
    try:
        from explorer.ui.app import main

        return main(argv)
    except KeyboardInterrupt:
        print("event-explorer: interrupted", file=sys.stderr)
        return INTERRUPTED


def _discard_stdout() -> None:
    """Point standard output at the null device, so that what is still buffered for it is not
    written as Python exits (which would report the same failure again, as a traceback)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # no file descriptor (output captured in a test): nothing to do
        pass
