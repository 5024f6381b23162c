"""The projections, sagas and monitor panels, live against a store, under pytest-qt."""

from __future__ import annotations

import re
import sqlite3

from explorer.domain import CommandService
from explorer.ui import settings
from explorer.ui.models.projection_status import ProjectionStatusModel
from explorer.ui.models.read_model import RowsModel
from tests.ui.conftest import SHOP, WAIT_MS, open_shop


def caught_up(window):
    model = window.projections_panel.status_model
    return model.rowCount() == 5 and all(
        model.status(row).state == "caught up" for row in range(model.rowCount()))


def test_projections_run_and_show_their_read_models_live(window, qtbot, seeded,
                                                         qtmodeltester):
    panel = window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))  # hidden, it counts nothing
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    qtmodeltester.check(panel.status_model)
    assert panel.selected == "order_summary"
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() == 300, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.rows_model.row(0) is not None, timeout=WAIT_MS)
    assert panel.rows_model.row(0)["order_id"] == "order_001"
    qtmodeltester.check(panel.rows_model)
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain).execute("Order", "order_new", "place", {
            "customer_id": "cust_001", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() == 301, timeout=WAIT_MS)
    assert "301 rows" in panel.rows_label.text()


def test_a_rebuild_shows_progress_and_can_be_cancelled(window, qtbot):
    panel = window.projections_panel
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    shown = []  # the bar's text as each progress arrives, and whether it fits the bar
    window.runner.rebuild_progress.connect(lambda *_: shown.append((
        panel.progress.text(), panel.progress.fontMetrics().horizontalAdvance(
            panel.progress.text()) < panel.progress.width())))
    with qtbot.wait_signal(window.runner.rebuild_finished, timeout=30_000):
        panel.rebuild_button.click()
        assert not panel.rebuild_button.isEnabled()
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    assert panel.rebuild_button.isEnabled() and not panel.progress.isVisible()
    last = panel.status_model.status(0).last_position
    assert shown and shown[-1] == (f"{last:,} of {last:,}", True)  # (it was cut short)
    assert "Rebuilding order_summary" in panel.progress.toolTip()
    window.runner.cancel_rebuild()  # cancelling when nothing runs is harmless


def test_a_faulted_projection_is_red_with_its_event_retry_and_skip(window, qtbot, seeded):
    panel = window.projections_panel
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    with open_shop(seeded, read_only=True) as store:
        last = store.last_position()
    with sqlite3.connect(seeded) as db:
        db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
                   "event_type, schema_version, timestamp, data) VALUES (?, 'prod_999', "
                   "'Inventory', 1, 'broken', 'InventoryStockReceived', 1, 9e15, '{oops')",
                   (last + 1,))
        db.execute("INSERT INTO streams VALUES ('prod_999', 'Inventory', 1, ?, ?, 9e15)",
                   (last + 1, last + 1))
    row = panel.status_model.row_of("stock")
    panel.list.selectRow(row)
    qtbot.waitUntil(lambda: panel.status_model.status(row).fault is not None, timeout=WAIT_MS)
    assert panel.fault_box.isVisibleTo(panel)
    assert f"position {last + 1}" in panel.fault_label.text()
    assert panel.status_model.index(row, 1).data() == "faulted"
    with qtbot.wait_signal(panel.open_position, timeout=WAIT_MS) as opened:
        panel.fault_label.linkActivated.emit(str(last + 1))
    assert opened.args == [last + 1]
    panel.skip_button.click()
    qtbot.waitUntil(lambda: panel.status_model.status(row).fault is None
                    and panel.status_model.status(row).skipped == (last + 1,), timeout=WAIT_MS)
    assert not panel.fault_box.isVisibleTo(panel)


def test_sagas_are_listed_by_status_with_steps_and_history(window, qtbot, qtmodeltester):
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))  # (hidden, it reads nothing)
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    qtbot.waitUntil(lambda: panel.list_model.rowCount() == 300, timeout=WAIT_MS)
    qtmodeltester.check(panel.list_model)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("compensated"))
    qtbot.waitUntil(lambda: 0 < panel.list_model.rowCount() < 300, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.list_model.row(0) is not None, timeout=WAIT_MS)
    assert panel.list_model.row(0)["status"] == "compensated"
    steps = panel.list_model.index(0, panel.list_model.columns.index("steps")).data()
    assert re.fullmatch(r"\d+/\d+ done, \d+ compensated(, \d+ failed)?(, \d+ unconfirmed)?",
                        steps), steps  # the counts in words, in one column a laptop shows
    panel.list.selectRow(0)
    qtbot.waitUntil(lambda: panel.steps.rowCount() > 0, timeout=WAIT_MS)
    statuses = {panel.steps.item(r, 1).text() for r in range(panel.steps.rowCount())}
    assert "compensated" in statuses or "failed" in statuses
    assert "compensated" in panel.title.text()
    assert panel.history.rowCount() >= 2
    assert panel.history.item(0, 2).text() == "FulfilmentStarted"
    position = int(panel.history.item(0, 0).text())
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        panel.history.cellClicked.emit(0, 0)
    assert window.detail.shown_event.position == position
    assert window.bottom_tabs.currentIndex() == 0


def test_sagas_run_here_only_when_chosen_and_never_on_read_only_stores(window, qtbot, seeded):
    panel = window.sagas_panel
    assert not panel.run_sagas.isChecked()  # not a demo store of this window: off by default
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain).execute("Order", "order_new", "place", {
            "customer_id": "cust_001", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
    panel.run_sagas.setChecked(True)
    assert settings.sagas_enabled(str(seeded), False)

    def shipped():
        with open_shop(seeded, read_only=True) as store:
            return [e.event_type for e in store.read_stream("order_new")][-1] == "OrderShipped"
    qtbot.waitUntil(shipped, timeout=30_000)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(seeded, read_only=True)
    assert not panel.run_sagas.isEnabled() and "read-only" in panel.run_sagas.toolTip()


def test_the_monitor_plots_rates_and_lag(window, qtbot):
    qtbot.waitUntil(lambda: len(window.monitor_history.samples) >= 2, timeout=WAIT_MS)
    window.bottom_tabs.setCurrentIndex(window.monitor_tab)  # its charts may still be loading
    qtbot.waitUntil(lambda: window.monitor is not None, timeout=WAIT_MS)
    assert window.monitor_loading.isHidden()
    xs, _ = window.monitor.rate_curve.getData()
    assert xs is not None and len(xs) >= 2 and max(xs) <= 0
    assert set(window.monitor.lag_curves) == {"order_summary", "stock", "revenue_per_day",
                                              "orders_per_customer", "sagas"}
    assert "events/s appended" in window.monitor.note.text()


def test_the_panel_models_pass_the_model_tester(qtmodeltester):
    qtmodeltester.check(ProjectionStatusModel())
    rows = RowsModel()
    rows.reset(["a", "b"], 0)
    qtmodeltester.check(rows)
