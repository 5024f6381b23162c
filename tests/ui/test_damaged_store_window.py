"""A damaged store in the window: refused for writing in a dialog that says what is wrong (the
event, when known) and offers to open it read-only; opened read-only, it is checked as a store
opened for writing is, and the status bar's badge says it is damaged."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing

import pytest
from PySide6.QtWidgets import QMessageBox

from explorer.store import damage
from tests.ui.conftest import WAIT_MS


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """As in a process of its own: no damage seen, no store verified yet."""
    monkeypatch.setattr(damage, "_damaged", {})
    monkeypatch.setattr(damage, "_verified", set())


def around_the_store(path, statement):
    """Change rows as a program that ignores the store's triggers would."""
    with closing(sqlite3.connect(path)) as db:
        triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                              ).fetchall()
        db.executescript("".join(f"DROP TRIGGER {name};" for name, _ in triggers) + statement
                         + "".join(f"{sql};" for _, sql in triggers)
                         + "PRAGMA wal_checkpoint(TRUNCATE);")


def file_state(path):
    """The store file's bytes (the side files SQLite keeps while it is open come and go)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tampered(seeded, tmp_path):
    path = tmp_path / "tampered.evstore"
    path.write_bytes(seeded.read_bytes())
    around_the_store(path, "UPDATE events SET data = '{\"quantity\": 9999}' WHERE position = 7;")
    return path


def refusal(window, qtbot, path):
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as shown:
        window.open_store(path)
    return shown.args, window.error_box


def read_only_button(box):
    return next(button for button in box.buttons() if button.text() == "Open Read-Only")


def test_a_damaged_store_is_refused_naming_the_event_and_opens_read_only_marked(
        window, qtbot, tampered):
    before = file_state(tampered)
    (title, text), box = refusal(window, qtbot, tampered)
    assert title == "tampered.evstore is damaged"
    assert "the event at position 7 is not as it was written" in text
    assert "salvage" in text and "Nothing was written to it" in text
    assert window.summary.location.endswith("shop.evstore")  # the open store stays
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        read_only_button(box).click()
    assert window.summary.location == str(tampered) and window.summary.read_only
    assert window.summary.last_position > 7  # what can be read is shown
    badge = window.read_only_badge
    assert badge.isVisible() and "DAMAGED" in badge.text()
    assert "position 7 is not as it was written" in badge.toolTip()
    assert "check" in badge.toolTip() and "salvage" in badge.toolTip()
    assert file_state(tampered) == before


def test_closing_the_refusal_keeps_the_store_shown(window, qtbot, tampered):
    _, box = refusal(window, qtbot, tampered)
    box.button(QMessageBox.StandardButton.Close).click()
    assert window.summary.location.endswith("shop.evstore")


def test_text_that_is_not_utf8_is_named_by_its_event(window, qtbot, seeded, tmp_path):
    path = tmp_path / "garbled.evstore"
    path.write_bytes(seeded.read_bytes())
    around_the_store(path, "UPDATE events SET metadata = CAST(X'7B22FF223A317D' AS TEXT) "
                           "WHERE position = 12;")
    (_, text), _ = refusal(window, qtbot, path)
    assert "the column 'metadata' of the event at position 12 is not valid UTF-8" in text


def test_a_store_opened_read_only_is_checked_and_marked_damaged(window, qtbot, tampered,
                                                                seeded):
    before = file_state(tampered)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(tampered, read_only=True)
    badge = window.read_only_badge
    assert badge.isVisible() and "DAMAGED" in badge.text()
    assert "position 7 is not as it was written" in badge.toolTip()

    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):  # a sound one: as before
        window.open_store(seeded, read_only=True)
    assert badge.isVisible() and badge.text() == "READ-ONLY"
    assert "damaged" not in badge.toolTip()
    assert file_state(tampered) == before


def test_a_timeline_that_cannot_be_read_says_why(qtbot):
    """A store whose timeline cannot be read (an eventsourcing library file damaged where the
    timeline reads, while its events still list): the timeline said nothing, an empty plot
    under an empty legend, the status bar's message gone after 8 s. Its legend now says it
    could not be read and why, the whole message on hover; a timeline read later replaces
    it."""
    from explorer.ui.main_window import MainWindow

    main = MainWindow()
    qtbot.add_widget(main)
    said = ("The store /x/bank.db is damaged (SQLite: database disk image is malformed). "
            "Nothing more will be written to it.")
    main.travel.failed.emit(said)
    legend = main.timeline.legend
    assert ("The timeline could not be read: The store /x/bank.db is damaged (SQLite: "
            "database disk image is malformed).") in legend.text()
    assert legend.toolTip() == said
    main.timeline.load_plot()  # (the plot, loaded once the first rows are painted, keeps it)
    qtbot.waitUntil(lambda: main.timeline.plot is not None, timeout=WAIT_MS)
    assert "The timeline could not be read: " in legend.text()
    main.timeline.set_store(10, True)  # another store: its own timeline
    assert "could not be read" not in legend.text() and legend.toolTip() == ""
