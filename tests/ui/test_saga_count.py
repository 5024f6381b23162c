"""The sagas panel counts its list off the window's worker: a count of a saga table reads every
version of every saga (seconds at millions of events), and the worker's other jobs (the event
list's pages) must not wait for it."""

from __future__ import annotations

import threading

from explorer.domain import CommandService
from explorer.projections import count_rows, read_rows
from explorer.projections.database import open_read_models
from explorer.sagas.list_count import SagaListCounts
from tests.ui.conftest import SHOP, WAIT_MS, open_shop
from tests.ui.test_panels import caught_up


def counted_sagas_panel(window, qtbot):
    """The sagas panel shown, its list of the shop's 300 sagas counted."""
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    qtbot.waitUntil(lambda: panel.count_label.text() == "300 sagas", timeout=WAIT_MS)
    return panel


def test_the_sagas_count_leaves_the_worker_free_and_says_it_is_counting(window, qtbot,
                                                                       monkeypatch,
                                                                       qtmodeltester):
    panel = counted_sagas_panel(window, qtbot)
    release, counting = threading.Event(), threading.Event()
    counted = SagaListCounts.count

    def slow_count(*args, **kwargs):
        counting.set()
        assert release.wait(WAIT_MS / 1000), "the test never let the count finish"
        return counted(*args, **kwargs)

    monkeypatch.setattr(SagaListCounts, "count", slow_count)
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


def test_a_checkpoint_counts_only_the_sagas_changed_since_the_last_count(window, qtbot,
                                                                         seeded, monkeypatch):
    # At each checkpoint of the runner the list was counted again in full: every version of
    # every saga read (0.4-1.7 s of CPU at 10M events, while the store was live). Now from the
    # sagas changed since the last count (explorer.sagas.list_count), equal to a full count.
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("completed"))
    qtbot.waitUntil(lambda: panel.count_label.text().endswith(" completed"), timeout=WAIT_MS)
    counts = []
    count = SagaListCounts.count

    def recorded(*args, **kwargs):
        counts.append(count(*args, **kwargs))
        return counts[-1]
    monkeypatch.setattr(SagaListCounts, "count", recorded)
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain).execute("Order", "order_new", "place", {
            "customer_id": "cust_001", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
    panel.run_sagas.setChecked(True)  # its steps are taken, a checkpoint or more each
    table = panel.listing.projection.rows_table

    def saga_done() -> bool:
        with open_read_models(str(seeded), False, read_only=True) as readmodels:
            row = [r for r in read_rows(readmodels, table, limit=None)
                   if r["saga_id"] == "fulfilment-order_new"]
            return bool(row) and row[0]["status"] not in ("running", "compensating")
    qtbot.waitUntil(saga_done, timeout=30_000)
    with open_read_models(str(seeded), False, read_only=True) as readmodels:
        expected = count_rows(readmodels, table, where={"status": "completed"})
    qtbot.waitUntil(lambda: panel.count_label.text() == f"{expected} completed",
                    timeout=WAIT_MS)
    assert panel.list_model.rowCount() == expected
    assert counts, "no count was made at the runner's checkpoints"
    assert not any(counted.full for counted in counts), counts


def test_a_hidden_sagas_panel_reads_and_counts_nothing_until_shown(window, qtbot, seeded):
    # (each runner checkpoint read the list's first page on the window's worker and counted
    # it, with the panel's tab hidden: 50-60 ms of CPU a checkpoint at 10M events)
    from tests.ui.test_projection_count import flush_worker, place_an_order

    panel = window.sagas_panel
    assert window.bottom_tabs.currentIndex() != window.tab_of(panel)  # the Event tab
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    place_an_order(seeded)
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    flush_worker(qtbot, window)
    assert panel.list_model.rowCount() == 0 and panel.count_label.text() == ""
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: panel.count_label.text() == "300 sagas", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.list_model.rowCount() == 300, timeout=WAIT_MS)
