"""Starting the window: `event-explorer [STORE] [--system NAME|package.module:ATTR|none]
[--read-only]` (also `python main.py`), the window's composition root.

It gives the window its system: the one `--system` names, else, for each store, the one the
store names (asking first when that means loading code by module path). Without a store it
opens a demo store in the user's data folder, creating and seeding it first (with a progress
dialog) when it does not exist yet: the demo shop's, which this module alone in the window names
(as the installed system `shop`). Crash reporting is installed first, so that an error while
the window is made is shown and logged too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication

from explorer.common.identity import (
    DESKTOP_ID,
    add_version_option,
    app_version,
    runtime_versions,
)
from explorer.common.scratch_folders import remove_abandoned
from explorer.store.foreign.library_store import remember_cipher_key
from explorer.store.postgres_url import local_path
from explorer.system.discovery import SystemLoadError, load_system
from explorer.system.probing import GuardedLoad
from explorer.system.workspace import default_demo_store
from explorer.ui.crash_reporting import CrashLog, install_crash_reporting
from explorer.ui.display_check import display_problem
from explorer.ui.gui_collector import GuiThreadCollector
from explorer.ui.icons import app_icon
from explorer.ui.main_window import MainWindow
from explorer.ui.self_test import run_self_test
from explorer.ui.session import LoadedSystem
from explorer.ui.settings import APPLICATION, ORGANIZATION

DEMO_SYSTEM = ("shop", "explorer.demo.system:SHOP")
"""The system that makes the demo store: installed as `shop`, or (run from a source tree
without installing) by its module path."""
DEMO_SIZE: int | None = None
"""The demo store's size in the seeder's unit (the shop's orders); None: the seeder's default."""


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="event-explorer",
                                     description="Browse and explore an event store.")
    parser.add_argument("store", nargs="?", metavar="STORE",
                        help="the store to open (default: the demo store, created if missing)")
    parser.add_argument("--system", metavar="NAME|package.module:ATTR|none",
                        help="the system to explore the store with: an installed system's name "
                             "(`python -m explorer systems` lists them), a module path, or "
                             "'none' to explore without one (default: the system the store "
                             "names)")
    parser.add_argument("--cipher-key", metavar="KEY",
                        help="the key that decrypts an eventsourcing library store's encrypted "
                             "events (its application's CIPHER_KEY); default: the CIPHER_KEY "
                             "variable. It is never written anywhere")
    parser.add_argument("--read-only", action="store_true",
                        help="open the store without any possibility of changing it")
    add_version_option(parser, lambda: runtime_versions(qt_runtime=qVersion()))
    parser.add_argument("--qt-version", action=QtVersionAction, nargs=0,
                        help=argparse.SUPPRESS)  # how a frozen CLI asks (common.identity)
    parser.add_argument("--self-test", action="store_true",
                        help="check that the window works: print when it is shown titled with "
                             "its store, when the timeline is drawn and when the projections "
                             "run, then quit (status 0; 1 saying why on an error)")
    return parser.parse_args(list(argv))


class QtVersionAction(argparse.Action):
    """`--qt-version`: print the Qt runtime's version alone and exit."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(qVersion())
        parser.exit()


def create_application(argv: Sequence[str] = ()) -> QApplication:
    running = QApplication.instance()
    if running is not None and not isinstance(running, QApplication):
        raise RuntimeError("the process runs a Qt application without widgets "
                           f"({type(running).__name__}): the window needs a QApplication")
    app = running or QApplication([sys.argv[0], *argv])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setApplicationVersion(app_version())
    app.setDesktopFileName(DESKTOP_ID)  # launchers and task bars match windows to the entry by it
    app.setWindowIcon(app_icon())
    if app.findChild(GuiThreadCollector) is None:
        GuiThreadCollector(app)  # no worker thread may destroy a Qt object: see gui_collector
    return app


def settle_garbage_on_open(app: QApplication, window: MainWindow) -> None:
    """Once each store is shown, and once the timeline's plot is in (pyqtgraph's modules, loaded
    after the first rows), freeze what the process holds then, so that the GUI thread's full
    collections walk only newer objects (see gui_collector)."""
    collector = app.findChild(GuiThreadCollector)
    if collector is not None:
        window.store_opened.connect(lambda _location: collector.settle())
        window.timeline.plot_ready.connect(collector.settle)


def chosen_system(spec: str | None) -> LoadedSystem | None:
    """The system `--system` names (None without the option); SystemLoadError if it cannot be
    loaded. It is the user's code: tried in a child process first (explorer.system.probing), so
    that one ending the process or crashing is said; one past the deadline is said on stderr,
    and waited for (Ctrl+C stops)."""
    if spec is None:
        return None
    return LoadedSystem(GuardedLoad(overdue=_still_waiting).load(spec), spec.strip())


def _still_waiting(message: str) -> bool:
    print(f"event-explorer: {message} Still waiting (Ctrl+C stops).", file=sys.stderr,
          flush=True)
    return True


def demo_system() -> LoadedSystem | None:
    """The demo shop, which makes the demo store (None if it cannot be loaded)."""
    for spec in DEMO_SYSTEM:
        try:
            return LoadedSystem(load_system(spec), spec)
        except SystemLoadError:
            continue
    return None


def start(window: MainWindow, store: str | None, read_only: bool,
          system: LoadedSystem | None = None, cipher_key: str | None = None) -> None:
    """Open the given store with `system` (None: the one it names), or without a store the demo
    store (seeding it first if it is new): that of `system` if it has a seeder, else the demo
    shop's, opened with `system` if one was given. `cipher_key` decrypts an eventsourcing
    library store (kept in memory for the file or schema, which every worker then opens with
    it)."""
    if store is not None:
        store = local_path(store)
        if cipher_key:
            remember_cipher_key(store, cipher_key)
        window.open_store(store, read_only=read_only, system=system)
        return
    seeding = system if system is not None and system.system.seeder is not None \
        else window.opening.demo_system
    if seeding is None or seeding.system.seeder is None:
        window.show_error("No demo store", "The demo shop cannot be loaded, so there is no "
                                           "demo store; open a store with File › Open Store.")
        return
    demo = default_demo_store(seeding.system)
    if demo.exists():
        window.open_store(demo, read_only=read_only, system=system or seeding)
    else:
        try:
            demo.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # (a data folder another user's, or not a folder at all)
            window.show_error("No demo store", f"The demo store cannot be made: its folder "
                              f"{demo.parent} cannot be created ({error.strerror}). Open a "
                              "store with File › Open Store, or make that folder yours.")
            return
        size = DEMO_SIZE or seeding.system.seeder.default_size
        window.create_demo_store(demo, size, seeding)


def _kept_in_crash_log(problem: str) -> str:
    """Write why the window could not open to the crash log, where a user who started it
    from a launcher (and saw nothing) finds it; say where, or nothing if it cannot be written."""
    try:
        log = CrashLog()
        log.record("the window could not open", problem)
        log.close()
    except OSError:
        return ""
    return f" (This is also written in {log.path}.)"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        system = chosen_system(args.system)
    except SystemLoadError as error:
        print(f"event-explorer: {error}", file=sys.stderr)
        return 2
    if QApplication.instance() is None:
        problem = display_problem()
        if problem is not None:  # Qt would end the process, blaming the wrong library at best
            print(f"event-explorer: {problem}{_kept_in_crash_log(problem)}", file=sys.stderr)
            return 1
    remove_abandoned()  # the scratch folders of our processes that were killed
    reporter = install_crash_reporting()
    app = create_application()
    try:
        window = MainWindow(demo_system())
        settle_garbage_on_open(app, window)
        window.show()
        if args.self_test:
            run_self_test(window, reporter)
        start(window, args.store, args.read_only, system, args.cipher_key)
    except Exception:  # the window could not start: say why until the user closes the dialog
        reporter.python_error(*sys.exc_info())
        app.exec()
        return 1
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
