"""The Help menu: the real keyboard shortcuts, About with versions, and the first-run welcome."""

from __future__ import annotations

import platform
import sqlite3
from pathlib import Path

import PySide6
import sqlalchemy
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence

from explorer import __version__
from explorer.ui import settings
from explorer.ui.widgets.help import plain, shortcut_rows
from tests.ui.conftest import WAIT_MS, open_in, select_row, shown_window


def test_the_shortcuts_list_is_made_from_the_windows_actions(window):
    dialog = window.help.show_shortcuts()
    rows = dialog.rows()
    with_keys = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    # every action with a key, each once, and the QShortcuts
    assert len(rows) == len(with_keys) + len(shortcut_rows(window))
    native = QKeySequence.SequenceFormat.NativeText
    assert ("Time", "Step Back", QKeySequence("Ctrl+,").toString(native)) in rows
    assert ("Go", "Go to Last Event", QKeySequence("Ctrl+End").toString(native)) in rows
    assert ("Help", "Keyboard Shortcuts", QKeySequence("F1").toString(native)) in rows
    dialog.close()
    window.step_back_action.setShortcut(QKeySequence("Ctrl+Alt+B"))  # a key changed ...
    extra = QAction("Zoom In", window)  # ... and an action in no menu
    extra.setShortcut(QKeySequence("Ctrl+="))
    window.addAction(extra)
    rows = window.help.show_shortcuts().rows()
    assert ("Time", "Step Back", QKeySequence("Ctrl+Alt+B").toString(native)) in rows
    assert ("Other", "Zoom In", QKeySequence("Ctrl+=").toString(native)) in rows


def test_the_help_menu_offers_shortcuts_welcome_and_about(window):
    menu = next(a.menu() for a in window.menuBar().actions() if plain(a.text()) == "Help")
    assert [plain(a.text()) for a in menu.actions() if not a.isSeparator()] == [
        "Keyboard Shortcuts", "Welcome", "About Event Explorer"]
    assert window.menuBar().actions()[-1].menu() is menu  # last, where people look for it


def test_about_names_the_versions_and_copies_them(window, qtbot):
    dialog = window.help.show_about()
    for name, version in [("Event Explorer", __version__), ("Python", platform.python_version()),
                          ("Qt", qVersion()), ("PySide6", PySide6.__version__),
                          ("SQLite", sqlite3.sqlite_version),
                          ("SQLAlchemy", sqlalchemy.__version__)]:
        assert f"{name}: {version}" in dialog.text
    assert "pyqtgraph: " in dialog.text and "not installed" not in dialog.text
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == dialog.text
    assert dialog.copy_button.text() == "Copied"


def new_window(qtbot, seeded, *, demo: bool = True, **options):
    """A window with `seeded` open: as a demo store the window made (`demo`), or as a store of
    the user's."""
    main = shown_window(qtbot)
    if demo:
        main.opening.demo_stores.add(str(Path(seeded).resolve()))
    open_in(qtbot, main, seeded, **options)
    return main


def test_the_welcome_shows_on_the_first_run_until_an_event_is_opened(qtbot, seeded):
    settings.remember_welcome_seen(False)
    window = new_window(qtbot, seeded)
    try:
        welcome = window.help.welcome
        assert welcome.isVisible() and welcome.geometry() == window.detail.rect()
        text = welcome.toPlainText()
        assert "demo store" in text and "Three things to try" in text
        native = QKeySequence.SequenceFormat.NativeText
        for action in (window.travel_here_action, window.step_back_action,
                       window.console_action, window.help.shortcuts_action):
            assert action.shortcut().toString(native) in text  # the window's own keys
        select_row(qtbot, window, 3)  # the first thing to try: it has done its job
        assert not welcome.isVisible()
        assert settings.welcome_seen()
    finally:
        window.close()
    again = new_window(qtbot, seeded)
    try:
        assert not again.help.welcome.isVisible()  # remembered
        again.help.welcome_action.trigger()  # Help > Welcome brings it back
        assert again.help.welcome.isVisible()
        again.help.welcome.anchorClicked.emit(QUrl("dismiss"))  # Got it
        assert not again.help.welcome.isVisible()
    finally:
        again.close()


def test_the_welcome_says_what_a_users_store_is_not_the_demo(qtbot, seeded):
    settings.remember_welcome_seen(False)
    window = new_window(qtbot, seeded, demo=False)
    try:
        text = window.help.welcome.toPlainText()
        assert "demo store" not in text
        assert "This store, shop.evstore, is read with the code of Demo shop" in text
        assert "Three things to try" in text and "Send a command" in text
    finally:
        window.close()


def test_the_welcome_offers_no_command_on_a_read_only_store(qtbot, seeded):
    settings.remember_welcome_seen(False)
    window = new_window(qtbot, seeded, demo=False, read_only=True)
    try:
        text = window.help.welcome.toPlainText()
        assert "Two things to try" in text and "Travel in time" in text
        assert "Send a command" not in text
    finally:
        window.close()


def test_the_welcome_says_when_a_store_is_read_without_a_systems_code(qtbot, seeded):
    from explorer.ui.session import NOTHING_LOADED

    settings.remember_welcome_seen(False)
    window = new_window(qtbot, seeded, demo=False, system=NOTHING_LOADED)
    try:
        text = window.help.welcome.toPlainText()
        assert "read with no system's code" in text and "File › Load System…" in text
        assert "Send a command" not in text and "demo store" not in text
    finally:
        window.close()


def test_the_welcome_says_no_store_is_open_when_the_one_asked_for_could_not_be(qtbot, tmp_path):
    settings.remember_welcome_seen(False)
    window = shown_window(qtbot)
    bad = tmp_path / "notes.evstore"
    bad.write_text("not a store\n")
    try:
        with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS):
            window.open_store(bad)
        text = window.help.welcome.toPlainText()
        assert "No store is open" in text and "demo store (what opens" not in text
    finally:
        window.close()
