"""The projections panel counts its read model's rows off the window's worker, only while it is
shown, and at a checkpoint from the rows changed since: at 10M events a count of order_summary
(93 ms of CPU, up to half a second of wall time) ran on the worker that reads the event list's
pages, even with its tab hidden, and the list's pages and filters waited behind it."""

from __future__ import annotations

import threading

from explorer.demo.projections import OrderSummaryProjection
from explorer.domain import CommandService
from explorer.projections import list_count
from explorer.projections.list_count import ListCounts
from explorer.ui.widgets import projections_panel
from tests.ui.conftest import SHOP, WAIT_MS, last_position, open_shop
from tests.ui.test_panels import caught_up


def place_an_order(seeded) -> int:
    """One more order (one more row of order_summary); the log's last position after it."""
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain).execute("Order", "order_new", "place", {
            "customer_id": "cust_001", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        return store.last_position()


def full_counts_of_order_summary(monkeypatch, then=None) -> list[str]:
    """Each full count of order_summary's rows from now on, by the panel (on the window's
    worker, as it counted before) or by the counter, as the name of the thread counting;
    `then` runs in the count before it is made."""
    threads: list[str] = []

    def watched(counted):
        def count_rows(db, table, *args, **kwargs):
            if table.name == "order_summary":
                threads.append(threading.current_thread().name)
                if then is not None:
                    then()
            return counted(db, table, *args, **kwargs)
        return count_rows

    monkeypatch.setattr(list_count, "count_rows", watched(list_count.count_rows))
    if hasattr(projections_panel, "count_rows"):  # where the panel counted before
        monkeypatch.setattr(projections_panel, "count_rows",
                            watched(projections_panel.count_rows))
    return threads


def flush_worker(qtbot, window) -> None:
    """Wait until the window's worker has run every job given it so far."""
    done = []
    window.worker.submit(lambda _context: True, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)


def test_the_count_leaves_the_event_lists_worker_free(window, qtbot, seeded, monkeypatch,
                                                      qtmodeltester):
    panel = window.projections_panel
    middle = last_position(seeded) // 2  # a page of the list not read yet
    release, counting = threading.Event(), threading.Event()

    def held() -> None:
        counting.set()
        assert release.wait(3 * WAIT_MS / 1000), "the test never let the count finish"

    threads = full_counts_of_order_summary(monkeypatch, then=held)
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(counting.is_set, timeout=30_000)
    try:  # the count is under way: the window's worker still reads the event list's pages
        with qtbot.waitSignal(window.browser.detail_shown, timeout=WAIT_MS):
            window.browser.go_to_position(middle)
        assert window.detail.shown_event.position == middle
    finally:
        release.set()
    qtbot.waitUntil(lambda: panel.rows_label.text() == "300 rows", timeout=WAIT_MS)
    assert threads[0] == "projection-count"
    qtbot.waitUntil(lambda: panel.rows_model.row(0) is not None, timeout=WAIT_MS)
    qtmodeltester.check(panel.rows_model)


def test_a_hidden_panel_counts_nothing_until_it_is_shown(window, qtbot, seeded, monkeypatch):
    panel = window.projections_panel
    threads = full_counts_of_order_summary(monkeypatch)
    assert window.bottom_tabs.currentIndex() != window.tab_of(panel)  # the Event tab
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    last = place_an_order(seeded)

    def reported() -> bool:  # the runner reported the order, and the panel took it in
        row = panel.status_model.row_of("order_summary")
        return (row is not None and panel.status_model.status(row).checkpoint == last
                and not panel._refresh.isActive())
    qtbot.waitUntil(reported, timeout=30_000)
    flush_worker(qtbot, window)
    assert threads == [], "the hidden panel counted its rows"
    assert panel.rows_label.text() == ""
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: panel.rows_label.text() == "301 rows", timeout=WAIT_MS)
    assert threads == ["projection-count"]
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() == 301, timeout=WAIT_MS)


def test_a_checkpoint_counts_only_the_rows_changed_since(window, qtbot, seeded, monkeypatch):
    assert OrderSummaryProjection.keeps_rows  # (it says it never deletes a row)
    panel = window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    qtbot.waitUntil(lambda: panel.rows_label.text() == "300 rows", timeout=WAIT_MS)
    counts = []
    count = ListCounts.count

    def recorded(lists, db, table, *args, **kwargs):
        counted = count(lists, db, table, *args, **kwargs)
        if table.name == "order_summary":  # (not the sagas panel's counts)
            counts.append(counted)
        return counted
    monkeypatch.setattr(ListCounts, "count", recorded)
    before = last_position(seeded)
    place_an_order(seeded)
    qtbot.waitUntil(lambda: panel.rows_label.text() == "301 rows", timeout=WAIT_MS)
    # (a count of the list as it was, asked before the order on a loaded machine, may still
    # come: what is checked is the count at each checkpoint after it)
    after = [counted for counted in counts if counted.checkpoint > before]
    assert after, f"no count was made at the runner's checkpoint: {counts}"
    assert not any(counted.full for counted in after), counts
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() == 301, timeout=WAIT_MS)
