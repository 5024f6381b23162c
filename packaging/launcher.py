"""The bundle's entry point: `event-explorer` starts the window, `event-explorer-cli` the command
line.

packaging/event-explorer.spec builds one executable from this script, `event-explorer`, and
names it `event-explorer-cli` too (a symbolic link beside it): started by that name, it runs the
command line.
"""

import sys
from pathlib import Path

from explorer.entry import cli, window

CLI_NAME = "event-explorer-cli"


def main() -> int | str | None:
    if Path(sys.argv[0]).name.startswith(CLI_NAME):
        return cli()
    return window()


if __name__ == "__main__":
    sys.exit(main())
