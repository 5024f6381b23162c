"""The explorer window as a user drives it: open, browse, filter, navigate, follow causes, live."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QPushButton

from explorer.store import sqlite as sqlite_backend
from explorer.ui import settings
from explorer.ui.main_window import MainWindow
from tests.ui.conftest import SHOP, WAIT_MS, open_shop, select_row, wait_for_page

ROOT = Path(__file__).resolve().parents[2]


def last_position(path) -> int:
    with open_shop(path, read_only=True) as store:
        return store.last_position()


def test_opening_lists_every_event_and_says_so(window, seeded):
    assert "shop.evstore" in window.windowTitle()
    total = last_position(seeded)
    assert window.event_model.rowCount() == total
    assert f"{total:,} events · last position {total:,}" in window.count_label.text()
    assert window.store_label.text() == str(seeded)
    assert not window.read_only_badge.isVisible()
    assert settings.recent_stores()[0] == str(seeded)
    assert window.recent_menu.actions()[0].text() == str(seeded)


def test_the_first_and_last_pages_load_on_demand(window, qtbot, seeded):
    first = wait_for_page(qtbot, window, 0)
    assert first.position == 1
    window.browser.select_last()
    last = wait_for_page(qtbot, window, window.event_model.rowCount() - 1)
    assert last.position == last_position(seeded)
    qtbot.waitUntil(lambda: window.detail.shown_event is not None
                    and window.detail.shown_event.position == last.position, timeout=WAIT_MS)


def test_selecting_an_event_shows_its_detail_cause_and_request(window, qtbot):
    window.filter_bar.set_event_type_filter(("OrderShipped",))
    qtbot.waitUntil(lambda: window.event_model.rowCount() > 0
                    and window.browser.view.filters.event_types == ("OrderShipped",),
                    timeout=WAIT_MS)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS, raising=False):
        pass
    event = select_row(qtbot, window, 0)
    assert event.event_type == "OrderShipped"
    assert "OrderShipped" in window.detail.header.text()
    assert window.detail.tree_model.rowCount() == 2  # data and metadata
    assert "Caused by" in window.causality.cause.text()
    assert "PaymentCharged" in window.causality.cause.text()
    assert window.causality.model.find(event.event_id).isValid()
    assert window.causality.model.index(0, 0).data().startswith("place on order_")
    window.detail.copy_json()
    assert '"event_type": "OrderShipped"' in QGuiApplication.clipboard().text()


def test_filters_by_type_stream_type_and_content(window, qtbot, seeded):
    with open_shop(seeded, read_only=True) as store:
        expected = [e.position for e in store.read_all()
                    if e.event_type == "OrderPlaced" and e.data["total"] > 100]
        customers = sum(1 for e in store.read_all() if e.stream_type == "Customer")
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_content_text('event_type = "OrderPlaced" and data.total > 100')
    assert [window.event_model.position(r) for r in range(window.event_model.rowCount())] == \
        expected
    assert f"{len(expected):,} listed" in window.count_label.text()
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.clear()
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.stream_type.setCurrentIndex(window.filter_bar.stream_type.findData(
            "Customer"))
    assert window.event_model.rowCount() == customers


def test_an_invalid_content_filter_shows_its_message_and_changes_nothing(window, qtbot):
    rows = window.event_model.rowCount()
    window.filter_bar.set_content_text("data.total >")
    assert window.filter_bar.error.isVisibleTo(window)
    assert "ends too early" in window.filter_bar.error.text()
    assert window.event_model.rowCount() == rows and window.browser.view.filters.content is None
    window.filter_bar.set_content_text('data.total > 1')
    assert not window.filter_bar.error.isVisibleTo(window)


def test_a_slow_content_filter_shows_matches_as_the_scan_finds_them(window, qtbot, monkeypatch):
    monkeypatch.setattr("explorer.browsing.rows.SCAN_CHUNK", 500)
    progress, bars = [], []
    bar = window.status.busy

    def scanned(done: int, last: int) -> None:  # (after the status bar's own slot)
        progress.append(done)
        bars.append((window.status.busy_label.text(), bar.minimum(), bar.maximum(), bar.value()))
    window.browser.scan_progress.connect(scanned)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_content_text('data.reason contains "stock"')
    assert len(progress) > 3 and progress == sorted(progress)
    for label, low, high, value in bars:  # the bar fills as the label says, not a busy bar
        assert (low, high) == (0, 100) and label == f"Filtering… {value}%"
    assert window.event_model.rowCount() > 0
    event = wait_for_page(qtbot, window, 0)
    assert "stock" in event.data["reason"]


def test_the_stream_browser_lists_types_lazily_and_filters_ids(window, qtbot):
    model = window.stream_model
    all_index = model.all_index()
    names = [model.index(r, 0, all_index).data() for r in range(model.rowCount(all_index))]
    assert names == ["Customer", "Inventory", "Order", "OrderFulfilment", "Payment"]
    order = model.index(names.index("Order"), 0, all_index)
    assert model.index(names.index("Order"), 1, all_index).data() == "300 streams"
    window.stream_browser.tree.expand(order)
    qtbot.waitUntil(lambda: model.rowCount(order) == 300, timeout=WAIT_MS)
    first_stream = model.index(0, 0, order)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.stream_browser.tree.setCurrentIndex(first_stream)
    assert window.browser.view.stream_id == "order_001"
    event = wait_for_page(qtbot, window, 0)
    assert event.stream_id == "order_001" and event.version == 1
    window.stream_browser.filter.setText("order_00?")
    with qtbot.wait_signal(model.modelReset, timeout=WAIT_MS):
        window.stream_browser.flush_pattern()
    order = next(model.index(r, 0, model.all_index()) for r in range(5)
                 if model.index(r, 0, model.all_index()).data() == "Order")
    qtbot.waitUntil(lambda: model.rowCount(order) == 9, timeout=WAIT_MS)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.stream_browser.tree.setCurrentIndex(model.all_index())
    assert window.browser.view.stream_id is None


def test_go_to_position_back_and_forward(window, qtbot):
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.browser.go_to_position(40)
    assert window.browser.selected_position() == 40
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderPaid",))
    paid = wait_for_page(qtbot, window, 3)
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.browser.go_to_position(paid.position)
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.browser.go_to_position(7)  # not an OrderPaid: shown in all events
    assert window.browser.view.filters.event_types == ()
    assert window.back_action.isEnabled()
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.browser.back()
    assert window.browser.view.filters.event_types == ("OrderPaid",)
    assert window.browser.selected_position() == paid.position
    assert "Event type: OrderPaid" in window.filter_bar.types_button.text()
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.browser.forward()
    assert window.browser.selected_position() == 7 and window.browser.view.filters.event_types == ()


def test_following_causes_and_the_request_tree(window, qtbot):
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderShipped",))
    shipped = select_row(qtbot, window, 0)
    with qtbot.wait_signal(window.browser.causality_shown, timeout=WAIT_MS):
        window.browser.go_to_cause()
    charged = window.detail.shown_event
    assert charged.event_type == "PaymentCharged" and charged.event_id == shipped.causation_id
    reserved_id = charged.causation_id
    with qtbot.wait_signal(window.browser.causality_shown, timeout=WAIT_MS):
        window.causality.navigate.emit(reserved_id)
    assert window.detail.shown_event.event_type == "InventoryReserved"
    with qtbot.wait_signal(window.browser.causality_shown, timeout=WAIT_MS):
        window.browser.back()
    assert window.detail.shown_event.event_id == charged.event_id


def test_a_command_caused_event_explains_there_is_no_event_cause(window, qtbot):
    event = select_row(qtbot, window, 0)  # opening stock, caused by a command
    messages = []
    window.browser.failed.connect(messages.append)
    window.browser.go_to_cause()
    assert event.event_type == "InventoryStockReceived"
    assert "caused directly by the command receive_stock" in messages[0]


def test_events_appended_by_another_process_appear_live_keeping_the_selection(window, qtbot,
                                                                               seeded):
    select_row(qtbot, window, 5)
    scroll = window.table.verticalScrollBar().value()
    before = window.event_model.rowCount()
    with qtbot.wait_signal(window.browser.live_applied, timeout=WAIT_MS):
        subprocess.run([sys.executable, "-m", "explorer", "command", str(seeded), "Inventory",
                        "prod_101", "receive_stock", "--quantity", "5"], check=True, cwd=ROOT,
                       capture_output=True)
    assert window.event_model.rowCount() == before + 1
    assert window.browser.selected_position() == 6
    assert window.table.verticalScrollBar().value() == scroll
    new = wait_for_page(qtbot, window, before)
    assert new.event_type == "InventoryStockReceived" and new.data["quantity"] == 5
    qtbot.waitUntil(lambda: f"{before + 1:,} events" in window.count_label.text(), timeout=WAIT_MS)


def test_pausing_the_live_feed_holds_new_events_back(window, qtbot, seeded):
    window.toggle_live(False)
    before = window.event_model.rowCount()
    with qtbot.wait_signal(window.watcher.changed, timeout=WAIT_MS), open_shop(seeded) as store:
        from explorer.domain import CommandService
        CommandService(store, SHOP.domain).execute("Inventory", "prod_102", "receive_stock",
                                                   {"quantity": 1})
    assert window.event_model.rowCount() == before
    assert "Paused · 1 new" in window.live_label.text()
    with qtbot.wait_signal(window.browser.live_applied, timeout=WAIT_MS):
        window.toggle_live(True)
    assert window.event_model.rowCount() == before + 1 and "Live" in window.live_label.text()


def test_refresh_reads_the_store_again(window, qtbot, seeded):
    window.toggle_live(False)
    before = window.event_model.rowCount()
    with qtbot.wait_signal(window.watcher.changed, timeout=WAIT_MS), open_shop(seeded) as store:
        from explorer.domain import CommandService
        CommandService(store, SHOP.domain).execute("Inventory", "prod_102", "receive_stock",
                                                   {"quantity": 1})
    shown = []
    window.error_shown.connect(lambda title, text: shown.append((title, text)))
    window.refresh_action.trigger()
    qtbot.waitUntil(lambda: window.summary.last_position == before + 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: f"{before + 1:,} events" in window.count_label.text(),
                    timeout=WAIT_MS)
    assert shown == []


def test_live_events_matching_a_filter_are_added(window, qtbot, seeded):
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("InventoryStockReceived",))
    before = window.event_model.rowCount()
    with (qtbot.wait_signal(window.browser.live_applied, timeout=WAIT_MS),
          open_shop(seeded) as store):
        from explorer.domain import CommandService
        service = CommandService(store, SHOP.domain)
        service.execute("Inventory", "prod_103", "receive_stock", {"quantity": 2})
        service.execute("Inventory", "prod_103", "reserve", {"order_id": "x", "quantity": 1})
    assert window.event_model.rowCount() == before + 1


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_text("just some notes\n"), "it is a text file starting with 'just some"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE invoices (id INTEGER)").connection.commit(),
     "SQLite database of another program (the tables invoices)"),
    (lambda p: None, "No store at"),  # opened read-only: nothing to offer to create
])
def test_a_file_that_cannot_be_opened_gets_a_dialog_and_the_window_stays_usable(
        window, qtbot, tmp_path, make, message, seeded):
    bad = tmp_path / "bad.evstore"
    make(bad)
    content = bad.read_bytes() if bad.exists() else None
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
        window.open_store(bad, read_only=content is None)
    title, text = caught.args
    assert title == "Cannot open bad.evstore" and message in text
    assert window.error_box.isVisible() and message in window.error_box.text()
    window.error_box.accept()
    assert window.summary.location == str(seeded)
    assert (bad.read_bytes() if bad.exists() else None) == content
    event = select_row(qtbot, window, 2)
    assert event.position == 3


def test_a_locked_or_unreadable_store_gets_a_dialog(window, qtbot, tmp_path, monkeypatch):
    locked = tmp_path / "locked.evstore"
    open_shop(locked, create=True).close()
    monkeypatch.setattr(sqlite_backend, "INSPECT_TIMEOUT_S", 0.1)
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
            window.open_store(locked)
        assert "locked by another program" in caught.args[1]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    window.error_box.accept()

    monkeypatch.setattr(sqlite_backend.os, "access", lambda path, mode: False)
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
        window.open_store(locked)
    assert "permission denied" in caught.args[1]


def test_read_only_mode_is_shown_by_a_badge_and_the_title(window, qtbot, seeded):
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(seeded, read_only=True)
    assert window.read_only_badge.isVisibleTo(window)
    assert "[read-only]" in window.windowTitle()


def test_dropping_a_file_opens_it(window, qtbot, tmp_path):
    other = tmp_path / "other.evstore"
    with open_shop(other, create=True) as store:
        from explorer.demo.seed import seed_store
        seed_store(store, orders=5)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    drop = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS) as caught:
        window.dropEvent(drop)
    assert caught.args == [str(other)] and "other.evstore" in window.windowTitle()


def test_a_new_demo_store_is_seeded_with_progress_then_opened(window, qtbot, tmp_path):
    path = tmp_path / "fresh.evstore"
    with qtbot.wait_signal(window.store_opened, timeout=30_000) as caught:
        dialog = window.create_demo_store(path, 1500)
    assert caught.args == [str(path)]
    assert not dialog.isVisible()
    with open_shop(path, read_only=True) as store:
        assert store.count_streams("Order") == 1500


def test_cancelling_a_new_demo_store_keeps_what_was_made(window, qtbot, tmp_path):
    path = tmp_path / "stopped.evstore"
    with qtbot.wait_signal(window.store_opened, timeout=30_000):
        dialog = window.create_demo_store(path, 200_000)
        qtbot.waitUntil(lambda: dialog.value() >= 500, timeout=WAIT_MS)
        qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    with open_shop(path, read_only=True) as store:
        assert 0 < store.count_streams("Order") < 200_000


def test_upcast_and_unreadable_events_are_explained(window, qtbot, seeded):
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderPlaced",))
    event = select_row(qtbot, window, 0)
    assert event.stored is not None and event.stored.schema_version == 1
    assert window.detail.tabs.isTabEnabled(window.detail.forms_tab)
    assert "upcast to version 2" in window.detail.notice.text()
    assert '"currency"' not in window.detail.stored.toPlainText()
    assert '"currency": "USD"' in window.detail.upcast.toPlainText()
    last = last_position(seeded)
    with sqlite3.connect(seeded) as db:
        db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
                   "event_type, schema_version, timestamp, data) VALUES (?, 'order_001', 'Order',"
                   " 99, 'bad-row', 'OrderShipped', 1, 9e15, '{oops')", (last + 1,))
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.browser.go_to_position(last + 1)
    raw = window.detail.shown_event
    assert raw.is_raw and "could not be read" in window.detail.notice.text()
    row = window.event_model.row_of(last + 1)
    assert "cannot be read" in window.event_model.index(row, 5).data()


def test_the_layout_is_remembered(window, qtbot, seeded):
    window.main_split.setSizes([400, 900])
    window.table.setColumnWidth(2, 222)
    window.save_layout()
    again = MainWindow()
    qtbot.add_widget(again)
    again.resize(window.size())  # the offscreen screen is smaller than a real one
    again.show()
    qtbot.waitExposed(again)
    assert again.table.columnWidth(2) == 222
    assert abs(again.main_split.sizes()[0] - window.main_split.sizes()[0]) <= 10
    again.close()


def test_without_a_store_the_demo_store_is_created_in_the_data_folder(qtbot, tmp_path,
                                                                     monkeypatch):
    from explorer.ui import app

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(app, "DEMO_SIZE", 200)
    main = MainWindow(app.demo_system())
    qtbot.add_widget(main)
    with qtbot.wait_signal(main.store_opened, timeout=30_000) as caught:
        app.start(main, None, read_only=False)
    demo = tmp_path / "data" / "event-explorer" / "demo-shop.evstore"
    assert caught.args == [str(demo)] and demo.exists()
    with qtbot.wait_signal(main.store_opened, timeout=WAIT_MS):
        app.start(main, None, read_only=True)  # the second time it is simply opened
    assert main.read_only_badge.isVisibleTo(main)
    main.close()


def test_the_command_line_of_the_window():
    from explorer.ui.app import parse_arguments

    assert parse_arguments(["shop.evstore", "--read-only"]).read_only
    assert parse_arguments([]).store is None
