"""Opening a store reads nothing of the whole log before its first page is shown: the event
types stored (a scan on a store without an index of them, such as the eventsourcing library's)
are read after it, and the filter bar offers them then."""

from __future__ import annotations

import threading

import pytest

from explorer.store.event_store import EventStore
from explorer.store.records import NewEvent
from explorer.system import NO_SYSTEM
from explorer.system.workspace import open_store, remember_system
from explorer.ui.main_window import MainWindow
from tests.ui.conftest import SHOP, WAIT_MS, open_shop, opened_window


@pytest.fixture
def types_held(monkeypatch):
    """EventStore.event_types waits until the event is set (the test's stand-in for a scan)."""
    release = threading.Event()
    read = EventStore.event_types

    def held(self):
        release.wait(timeout=60)
        return read(self)

    monkeypatch.setattr(EventStore, "event_types", held)
    yield release
    release.set()


def offered_types(window: MainWindow) -> list[str]:
    return [action.text() for action in window.filter_bar.types_menu.actions()
            if action.isCheckable()]


def test_the_first_page_does_not_wait_for_the_stored_event_types(qtbot, seeded, types_held):
    with open_shop(seeded) as store:
        remember_system(store, SHOP)  # it names its system: the types choose nothing
        store.append("note_1", "Note", [NewEvent("Noted", {"text": "a type the shop lacks"})])
    window = opened_window(qtbot, seeded)  # while the types are still being read
    try:
        assert not window.loaded.generic and window.summary.types_pending
        assert window.event_model.rowCount() > 0
        assert "Noted" not in offered_types(window) and "OrderPlaced" in offered_types(window)
        types_held.set()
        qtbot.waitUntil(lambda: "Noted" in offered_types(window), timeout=WAIT_MS)
        assert not window.summary.types_pending
        assert "Noted" in window.summary.stored_event_types
    finally:
        types_held.set()
        window.close()


def test_a_store_no_installed_system_could_know_opens_without_reading_its_types(
        qtbot, tmp_path, types_held):
    path = tmp_path / "foreign.evstore"
    with open_store(path, system=NO_SYSTEM, create=True) as store:
        store.append("ship_1", "Ship", [NewEvent("ShipLaunched", {"name": "Ada"})])
    window = opened_window(qtbot, path)  # its first event's type is no system's: none fits
    try:
        assert window.loaded.generic
        assert "no installed system knows all of its event types" in window.loaded.note
        types_held.set()
        qtbot.waitUntil(lambda: offered_types(window) == ["ShipLaunched"], timeout=WAIT_MS)
    finally:
        types_held.set()
        window.close()


def test_a_store_naming_its_system_counts_its_streams_once(qtbot, seeded, monkeypatch):
    with open_shop(seeded) as store:
        remember_system(store, SHOP)
    counted = []
    count = EventStore.stream_types

    def counting(self):
        counted.append(self.location)
        return count(self)

    monkeypatch.setattr(EventStore, "stream_types", counting)
    window = opened_window(qtbot, seeded)  # looked at for its system, then opened with it
    try:
        assert not window.loaded.generic and window.summary.stream_types
        assert len(counted) == 1  # a count of every stream: not for the look that chose shop
    finally:
        window.close()
