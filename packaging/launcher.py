"""The bundle's entry point: `event-explorer` starts the window, `event-explorer-cli` the command
line.

packaging/event-explorer.spec builds one executable from this script, `event-explorer`, and
names it `event-explorer-cli` too (a symbolic link beside it): started by that name, it runs the
command line.
"""

import sys
from pathlib import Path

CLI_NAME = "event-explorer-cli"


def main() -> int:
    if Path(sys.argv[0]).name.startswith(CLI_NAME):
        from explorer.cli import main as command_line

        return command_line()
    from explorer.ui.app import main as window

    return window()


if __name__ == "__main__":
    sys.exit(main())
