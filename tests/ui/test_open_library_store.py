"""An eventsourcing library store opens to its first page before its stream index is built:
the index (a scan of the whole log) is derived on a worker of the session's own, the stream
tree says so meanwhile, and its stream types join the tree and the filter bar once built."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from explorer.store.foreign.library_store import LibraryStore
from explorer.ui.main_window import MainWindow
from tests.foreign.bank import write_bank
from tests.ui.conftest import WAIT_MS


@pytest.fixture
def index_held(monkeypatch: pytest.MonkeyPatch):
    """A scan of the whole log for the stream index waits until the event is set."""
    release = threading.Event()
    index_rows = LibraryStore._index_rows

    def held(store: LibraryStore, *, whole: bool, last: int) -> None:
        if whole:
            release.wait(timeout=60)
        index_rows(store, whole=whole, last=last)

    monkeypatch.setattr(LibraryStore, "_index_rows", held)
    yield release
    release.set()


def stream_types_shown(window: MainWindow) -> list[str]:
    model = window.stream_model
    all_index = model.all_index()
    return [model.index(row, 0, all_index).data() for row in range(model.rowCount(all_index))]


def test_the_first_page_shows_while_the_streams_are_indexed(qtbot, qtmodeltester,
                                                            tmp_path: Path, index_held):
    path = tmp_path / "bank.db"
    write_bank(path, accounts=3, credits=2)
    window = MainWindow()
    qtbot.add_widget(window)
    window.resize(1300, 850)
    window.show()
    try:
        with qtbot.wait_signals([window.store_opened, window.browser.rows_ready],
                                timeout=WAIT_MS):
            window.open_store(str(path), read_only=True)
        assert window.summary.streams_pending and window.summary.stream_types == []
        qtbot.waitUntil(lambda: window.event_model.rowCount() == 9
                        and window.event_model.event_at(8) is not None, timeout=WAIT_MS)
        assert window.event_model.event_at(0).stream_type == "Account"
        assert window.stream_browser.pending.isVisible()
        assert window.stream_browser.pending.text() == "Indexing streams…"
        assert stream_types_shown(window) == []
        index_held.set()
        qtbot.waitUntil(lambda: not window.stream_browser.pending.isVisible(), timeout=WAIT_MS)
        assert stream_types_shown(window) == ["Account"]
        assert not window.summary.streams_pending
        assert [t.streams for t in window.summary.stream_types] == [3]
        qtmodeltester.check(window.stream_model)
        qtbot.waitUntil(lambda: not window.summary.types_pending, timeout=WAIT_MS)
        assert window.summary.stored_event_types == ("Credited", "Opened")
    finally:
        index_held.set()
        window.close()
