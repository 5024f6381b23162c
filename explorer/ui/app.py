"""Starting the window: `event-explorer [STORE] [--read-only]` (also `python main.py`).

Without a store it opens the demo store in the user's data folder, creating and seeding it first
(with a progress dialog) when it does not exist yet. Crash reporting is installed first, so that
an error while the window is made is shown and logged too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from explorer import __version__
from explorer.ui.crash_reporting import install_crash_reporting
from explorer.ui.gui_collector import GuiThreadCollector
from explorer.ui.icons import app_icon
from explorer.ui.main_window import MainWindow
from explorer.ui.settings import APPLICATION, ORGANIZATION
from explorer.workspace import DEMO_ORDERS, default_demo_store


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="event-explorer",
                                     description="Browse and explore an event store.")
    parser.add_argument("store", nargs="?", metavar="STORE",
                        help="the store to open (default: the demo store, created if missing)")
    parser.add_argument("--read-only", action="store_true",
                        help="open the store without any possibility of changing it")
    parser.add_argument("--version", action="version", version=f"Event Explorer {__version__}")
    return parser.parse_args(list(argv))


def create_application(argv: Sequence[str] = ()) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("event-explorer")
    app.setWindowIcon(app_icon())
    if app.findChild(GuiThreadCollector) is None:
        GuiThreadCollector(app)  # no worker thread may destroy a Qt object: see gui_collector
    return app


def start(window: MainWindow, store: str | None, read_only: bool) -> None:
    """Open the given store, or the demo store (seeding it first if it is new)."""
    if store is not None:
        window.open_store(store, read_only=read_only)
        return
    demo = default_demo_store()
    if demo.exists():
        window.open_store(demo, read_only=read_only)
    else:
        demo.parent.mkdir(parents=True, exist_ok=True)
        window.create_demo_store(demo, DEMO_ORDERS)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    reporter = install_crash_reporting()
    app = create_application()
    try:
        window = MainWindow()
        window.show()
        start(window, args.store, args.read_only)
    except Exception:  # the window could not start: say why until the user closes the dialog
        reporter.python_error(*sys.exc_info())
        app.exec()
        return 1
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
