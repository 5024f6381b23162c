"""A request with more events than the cause-and-effect tree reads says how many it has and
which it shows, rather than calling the ones read all of it."""

from __future__ import annotations

from explorer.store.records import NewEvent
from explorer.ui import event_browser
from tests.ui.conftest import open_shop, opened_window, select_row


def test_a_request_longer_than_the_tree_reads_says_so(qtbot, tmp_path, monkeypatch):
    """(Helper M: a request of 2,500 events was said to have 2,000, the tree's limit.)"""
    monkeypatch.setattr(event_browser, "CORRELATION_LIMIT", 5)
    path = tmp_path / "long.evstore"
    with open_shop(path, create=True) as store:
        store.append("batch_1", "Batch", [NewEvent("Imported", {"row": n},
                                                   {"correlation_id": "request_1"})
                                          for n in range(8)])
        store.append("other_1", "Other", [NewEvent("Noted", {}, {"correlation_id": "r2"})])
    window = opened_window(qtbot, path)
    try:
        select_row(qtbot, window, 1)
        summary = window.causality.summary.text()
        assert summary == "Request request_1 · the first 5 of its 8 events"
        select_row(qtbot, window, 6)  # the 7th: not among the first 5
        assert window.causality.summary.text() == (
            "Request request_1 · the first 5 of its 8 events, this one not among them")
        select_row(qtbot, window, 8)
        assert window.causality.summary.text() == "Request r2 · 1 event"
    finally:
        window.close()
