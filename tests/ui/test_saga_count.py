"""The sagas panel counts its list off the window's worker: a count of a saga table reads every
version of every saga (seconds at millions of events), and the worker's other jobs (the event
list's pages) must not wait for it."""

from __future__ import annotations

import threading

from explorer.ui.widgets import sagas_panel
from tests.ui.conftest import WAIT_MS
from tests.ui.test_panels import caught_up


def test_the_sagas_count_leaves_the_worker_free_and_says_it_is_counting(window, qtbot,
                                                                       monkeypatch,
                                                                       qtmodeltester):
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    qtbot.waitUntil(lambda: panel.count_label.text() == "300 sagas", timeout=WAIT_MS)
    release, counting = threading.Event(), threading.Event()
    counted = sagas_panel.count_rows

    def slow_count(*args, **kwargs):
        counting.set()
        assert release.wait(WAIT_MS / 1000), "the test never let the count finish"
        return counted(*args, **kwargs)

    monkeypatch.setattr(sagas_panel, "count_rows", slow_count)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("completed"))
    qtbot.waitUntil(counting.is_set, timeout=WAIT_MS)
    try:
        # the count is under way: the first page is listed, the label says so, and the
        # window's worker still runs what it is given
        assert panel.count_label.text() == "100+ sagas, counting…"
        qtbot.waitUntil(lambda: panel.list_model.rowCount() == 100, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: panel.list_model.row(0) is not None, timeout=WAIT_MS)
        assert panel.list_model.row(0)["status"] == "completed"
        with qtbot.waitSignal(window.browser.detail_shown, timeout=WAIT_MS):
            window.browser.go_to_position(5)
    finally:
        release.set()
    qtbot.waitUntil(lambda: panel.count_label.text().endswith(" completed"), timeout=WAIT_MS)
    total = int(panel.count_label.text().split()[0].replace(",", ""))
    assert 100 < total < 300
    assert panel.list_model.rowCount() == total
    qtmodeltester.check(panel.list_model)
