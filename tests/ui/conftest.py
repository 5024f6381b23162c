"""Fixtures for the window: settings in a temporary folder, seeded stores, an open window."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from explorer.demo.seed import seed_store
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.ui import settings

WAIT_MS = 10_000
SHOP = load_system("shop")  # found as a user's system is: installed as an entry point


def open_shop(path, **options):
    """A store opened with the shop's event registry, as the window reads it."""
    return open_store(path, system=SHOP, **options)


@pytest.fixture(autouse=True, scope="session")
def settings_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("settings")
    settings.use_settings_folder(folder)
    return folder


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread(qapp):
    """As in the app: garbage holding Qt objects is collected on the GUI thread alone (a worker
    thread collecting it deadlocks with the GUI thread; see explorer/ui/gui_collector.py)."""
    from explorer.ui.gui_collector import GuiThreadCollector

    collector = GuiThreadCollector()
    yield
    collector.stop()
    collector.deleteLater()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "shop.evstore"
    with open_shop(path, create=True) as store:
        seed_store(store, orders=300, seed=11)  # names no system: found by its event types
    return path


@pytest.fixture
def seeded(seeded_template, tmp_path) -> Path:
    """A private copy of a seeded store, so a test may append to it."""
    path = tmp_path / "shop.evstore"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{seeded_template}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{path}{suffix}")
    return path


def shown_window(qtbot):
    """A new main window, shown at the tests' size (1300x850), closed by qtbot at the end."""
    from explorer.ui.main_window import MainWindow

    main = MainWindow()
    qtbot.add_widget(main)
    main.resize(1300, 850)
    main.show()
    return main


def open_in(qtbot, window, path, **options) -> None:
    """Open `path` in `window` (open_store's `options`), waiting for its first rows."""
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(path, **options)


def opened_window(qtbot, path, **options):
    """A shown window with `path` open and its first rows in."""
    main = shown_window(qtbot)
    open_in(qtbot, main, path, **options)
    return main


@pytest.fixture
def window(qtbot, seeded):
    main = opened_window(qtbot, seeded)
    yield main
    main.close()


def last_position(path) -> int:
    with open_shop(path, read_only=True) as store:
        return store.last_position()


def wait_for_moment(qtbot, window, position: int):
    def there():
        moment = window.travel.moment
        assert moment is not None and moment.position == position
        assert window.moment_panel.moment is moment
    qtbot.waitUntil(there, timeout=WAIT_MS)
    return window.travel.moment


@pytest.fixture
def travelling(window, qtbot, seeded):
    """The window once time travel has read its first moment (the end of the log)."""
    wait_for_moment(qtbot, window, last_position(seeded))
    qtbot.waitUntil(lambda: window.timeline._samples is not None, timeout=WAIT_MS)
    return window


def wait_for_page(qtbot, window, row: int = 0):
    """Wait until the event at `row` is loaded, asking for it as a view would."""
    def loaded():
        assert window.event_model.event_at(row) is not None
    qtbot.waitUntil(loaded, timeout=WAIT_MS)
    return window.event_model.event_at(row)


def select_row(qtbot, window, row: int):
    wait_for_page(qtbot, window, row)
    with qtbot.wait_signal(window.browser.causality_shown, timeout=WAIT_MS):
        window.table.setCurrentIndex(window.event_model.index(row, 0))
    return window.detail.shown_event


def wait_for_read_models(qtbot, path) -> None:
    """Wait until the window's runner has built every read model up to the log's end."""
    import sqlite3

    from explorer.projections import read_model_path

    models = read_model_path(str(path), False)

    def built() -> bool:
        if not models.exists():
            return False
        db = sqlite3.connect(f"file:{models}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT min(checkpoint) FROM projection_state WHERE kind = "
                             "'projection'").fetchone()
        except sqlite3.OperationalError:
            return False
        finally:
            db.close()
        return (row[0] or 0) >= last_position(path)

    qtbot.waitUntil(built, timeout=WAIT_MS * 3)
