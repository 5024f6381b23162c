"""Opening a store whose runner has counted it (the timeline's counts) reads its stream types'
streams and events, and the number of its events, from those counts, not from a count of every
stream and event (seconds at 10M events); a store nobody has counted yet is counted as
before."""

from __future__ import annotations

import pytest

from explorer.projections import ReadModelDatabase, read_model_path
from explorer.projections.timeline_counts import TimelineCounts
from explorer.store.event_store import EventStore
from explorer.store.records import NewEvent
from explorer.ui.main_window import MainWindow
from tests.ui.conftest import WAIT_MS, open_shop


@pytest.fixture
def stream_counts(monkeypatch) -> list[str]:
    """Which stores EventStore.stream_types (a count of every stream) and event_count (of every
    event) were called on: (name, location)."""
    calls: list[tuple[str, str]] = []

    def recorded(name: str):
        count = getattr(EventStore, name)

        def counted(self):
            calls.append((name, self.location))
            return count(self)
        return counted

    for name in ("stream_types", "event_count"):
        monkeypatch.setattr(EventStore, name, recorded(name))
    return calls


def opened_window(qtbot, path) -> MainWindow:
    window = MainWindow()
    qtbot.add_widget(window)
    window.resize(1300, 850)
    window.show()
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(path)
    return window


def test_a_counted_store_opens_with_its_stream_types_from_the_counts(qtbot, seeded,
                                                                     stream_counts):
    with open_shop(seeded) as store:
        with ReadModelDatabase(read_model_path(store.location, False)) as database:
            TimelineCounts(database).catch_up(store)
        store.append("note_1", "Note", [NewEvent("Noted", {"text": "after the counts"})])
        expected = {t.stream_type: t for t in store.stream_types()}
    stream_counts.clear()
    window = opened_window(qtbot, seeded)
    try:
        assert stream_counts == []  # no count of every stream or event
        assert window.event_model.rowCount() == window.summary.last_position
        found = {t.stream_type: t for t in window.summary.stream_types}
        assert set(found) == set(expected)
        assert found["Note"] == expected["Note"]  # appended after the counts: counted on open
        assert found["Customer"] == expected["Customer"]  # (the runner may add to the others)
        assert sum(t.events for t in found.values()) == window.summary.last_position
    finally:
        window.close()


def test_a_store_nobody_has_counted_is_counted_on_open(qtbot, seeded, stream_counts):
    window = opened_window(qtbot, seeded)
    try:
        assert {name for name, _ in stream_counts} == {"stream_types", "event_count"}
        with open_shop(seeded, read_only=True) as store:
            assert window.summary.stream_types == store.stream_types()
    finally:
        window.close()
