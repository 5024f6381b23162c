"""The content filter beside its field: a scan lists matches as it finds them, says how far it
got and can be stopped (what it found stays listed); the filter bar offers to index a path the
filter uses, the list is then read through the index (no scan), and the index can be removed;
a read-only store says why it cannot index."""

from __future__ import annotations

from explorer.browsing import rows as browsing_rows
from explorer.store.content_filter import parse_filter
from explorer.store.path_indexes import path_indexes
from explorer.store.query import EventQuery
from tests.ui.conftest import WAIT_MS, open_shop

FILTER = "data.total > 100"


def listed(window) -> list[int]:
    rows = window.event_model.rows
    return [rows.position(row) for row in range(len(rows))]


def filtered(path, text: str = FILTER) -> list[int]:
    with open_shop(path, read_only=True) as store:
        return list(store.positions(EventQuery(content=parse_filter(text))))


def apply_filter(qtbot, window, text: str = FILTER) -> None:
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_content_text(text)


def test_a_scan_says_how_far_it_got_and_a_stop_keeps_its_matches(window, qtbot, seeded,
                                                                 monkeypatch):
    monkeypatch.setattr(browsing_rows, "SCAN_CHUNK", 150)
    state = window.filter_bar.content_state
    seen = []

    def progress(scanned, last):
        seen.append(state.text())
        if len(seen) == 2:
            state.stop_requested.emit()
    window.browser.scan_progress.connect(progress)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_content_text(FILTER)
    assert "scanning… " in seen[0] and "%" in seen[0] and "stop" in seen[0]
    everything = filtered(seeded)
    shown = listed(window)
    assert shown and shown == everything[:len(shown)] and len(shown) < len(everything)
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=WAIT_MS)
    assert "stopped at" in state.text() and f"{len(shown):,} matches so far" in state.text()
    assert listed(window) == shown  # the stopped job's last words are dropped
    apply_filter(qtbot, window, FILTER + " and data.total > 0")
    assert listed(window) == everything


def test_a_path_is_indexed_from_the_filter_bar_and_the_filter_reads_it(window, qtbot, seeded,
                                                                       monkeypatch):
    monkeypatch.setattr(browsing_rows, "SCAN_CHUNK", 150)
    state = window.filter_bar.content_state
    apply_filter(qtbot, window)
    expected = filtered(seeded)
    assert listed(window) == expected
    qtbot.waitUntil(lambda: "Index data.total" in state.text(), timeout=WAIT_MS)
    scans = []
    window.browser.scan_progress.connect(lambda *value: scans.append(value))
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        state.index_requested.emit(state.field)
    qtbot.waitUntil(lambda: "data.total is indexed" in state.text(), timeout=WAIT_MS)
    with open_shop(seeded, read_only=True) as store:
        assert [made.field for made in path_indexes(store)] == ["data.total"]
    assert listed(window) == expected and scans == []  # read through the index: no scan
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        state.remove_requested.emit(state.field)
    qtbot.waitUntil(lambda: "Index data.total" in state.text(), timeout=WAIT_MS)
    assert scans and listed(window) == expected
    with open_shop(seeded, read_only=True) as store:
        assert path_indexes(store) == []
    apply_filter(qtbot, window, "")
    assert not state.isVisible()


def test_a_read_only_store_says_why_it_cannot_index(window, qtbot, seeded):
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(seeded, read_only=True)
    state = window.filter_bar.content_state
    apply_filter(qtbot, window)
    qtbot.waitUntil(lambda: "Index data.total" in state.text(), timeout=WAIT_MS)
    state.index_requested.emit(state.field)
    assert "Cannot index data.total: this store is open read-only" in state.text()
    with open_shop(seeded, read_only=True) as store:
        assert path_indexes(store) == []
