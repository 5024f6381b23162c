"""Searching the Sagas tab and a read model's rows as you type; a faulted projection's badges."""

from __future__ import annotations

import sqlite3

from explorer.ui.widgets.search_box import DEBOUNCE_MS, SearchBox
from tests.ui.conftest import WAIT_MS, open_shop
from tests.ui.test_panels import caught_up


def search_for(qtbot, box: SearchBox, text: str, label) -> None:
    """Type `text` as a user would; wait for the one search it starts and its count."""
    box.clear()
    with qtbot.wait_signal(box.search_changed, timeout=WAIT_MS) as searched:
        qtbot.keyClicks(box, text)
    assert searched.args == [text.strip()]
    qtbot.waitUntil(lambda: f"“{text.strip()}”" in label.text(), timeout=WAIT_MS)


def loaded_rows(qtbot, model, count: int) -> list[dict]:
    qtbot.waitUntil(lambda: model.rowCount() == count, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(model.row(r) is not None for r in range(min(count, 100))),
                    timeout=WAIT_MS)
    return [model.row(r) for r in range(min(count, 100))]


def test_typing_starts_one_search_when_the_user_pauses(qtbot):
    box = SearchBox("Search")
    qtbot.add_widget(box)
    searches = []
    box.search_changed.connect(searches.append)
    with qtbot.wait_signal(box.search_changed, timeout=DEBOUNCE_MS * 20):
        qtbot.keyClicks(box, "order_01")
        assert searches == []  # not at every keystroke
    assert searches == ["order_01"] and box.search == "order_01"
    with qtbot.wait_signal(box.search_changed, timeout=WAIT_MS):
        box.clear()  # clearing shows everything again at once
    assert searches == ["order_01", ""]


def test_escape_empties_the_search_at_once_and_an_empty_box_passes_it_on(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeyEvent

    box = SearchBox("Search")
    qtbot.add_widget(box)
    searches = []
    box.search_changed.connect(searches.append)
    box.setText("order_01")
    box.returnPressed.emit()
    with qtbot.wait_signal(box.search_changed, timeout=WAIT_MS):
        qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert box.text() == "" and searches == ["order_01", ""]
    escape = QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    box.keyPressEvent(escape)  # nothing to empty: left to the window (ignored by the field)
    assert not escape.isAccepted()


def test_sagas_are_found_by_id_or_any_column_as_you_type(window, qtbot, qtmodeltester):
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    loaded_rows(qtbot, panel.list_model, 300)
    search_for(qtbot, panel.search, "order_01", panel.count_label)
    rows = loaded_rows(qtbot, panel.list_model, 10)
    assert [row["order_id"] for row in rows] == [f"order_{n:03d}" for n in range(10, 20)]
    assert panel.count_label.text() == "10 sagas matching “order_01”"
    qtmodeltester.check(panel.list_model)
    search_for(qtbot, panel.search, "compensated", panel.count_label)  # a value of another column
    rows = loaded_rows(qtbot, panel.list_model, panel.list_model.rowCount())
    assert rows and all(row["status"] == "compensated" for row in rows)
    assert panel.no_rows.isHidden()


def test_a_search_that_finds_nothing_says_so_and_can_be_cleared(window, qtbot):
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("failed"))
    search_for(qtbot, panel.search, "order_0 zzz", panel.count_label)
    qtbot.waitUntil(lambda: panel.no_rows.isVisible(), timeout=WAIT_MS)
    assert "No sagas match “order_0 zzz”" in panel.no_rows.text()
    assert "among the failed sagas" in panel.no_rows.text()
    assert panel.list_model.rowCount() == 0
    panel.no_rows.linkActivated.emit("clear-filters")  # the Clear the search link
    assert panel.search.text() == ""
    panel.status_filter.setCurrentIndex(0)
    loaded_rows(qtbot, panel.list_model, 300)
    assert panel.no_rows.isHidden()


def test_read_model_rows_are_searchable_too(window, qtbot, qtmodeltester):
    panel = window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    assert panel.selected == "order_summary"
    loaded_rows(qtbot, panel.rows_model, 300)
    search_for(qtbot, panel.search, "order_00", panel.rows_label)
    rows = loaded_rows(qtbot, panel.rows_model, 9)
    assert {row["order_id"] for row in rows} == {f"order_00{n}" for n in range(1, 10)}
    assert panel.rows_label.text() == "9 rows match “order_00”"
    qtmodeltester.check(panel.rows_model)
    customer = rows[0]["customer_id"]
    search_for(qtbot, panel.search, customer, panel.rows_label)  # any column: the customer's orders
    count = panel.rows_model.rowCount()
    assert panel.rows_label.text().startswith(f"{count} rows")
    assert all(row["customer_id"] == customer for row in loaded_rows(qtbot, panel.rows_model,
                                                                     count))
    panel.select("stock")  # the search stays, over the other read model
    qtbot.waitUntil(lambda: panel.no_rows.isVisible(), timeout=WAIT_MS)
    assert f"No rows match “{customer}”" in panel.no_rows.text()


def test_opening_a_store_starts_without_a_search(window, qtbot, seeded):
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    sagas, projections = window.sagas_panel, window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(sagas))  # (each is read when shown)
    search_for(qtbot, sagas.search, "order_01", sagas.count_label)
    window.bottom_tabs.setCurrentIndex(window.tab_of(projections))
    search_for(qtbot, projections.search, "order_01", projections.rows_label)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(seeded)
    assert sagas.search.text() == sagas.search.search == ""
    assert projections.search.text() == projections.search.search == ""
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    window.bottom_tabs.setCurrentIndex(window.tab_of(sagas))
    loaded_rows(qtbot, sagas.list_model, 300)
    qtbot.waitUntil(lambda: sagas.count_label.text() == "300 sagas", timeout=WAIT_MS)


def break_stock(seeded) -> int:
    """Append an event the stock projection cannot read; its position."""
    with open_shop(seeded, read_only=True) as store:
        position = store.last_position() + 1
    with sqlite3.connect(seeded) as db:
        db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
                   "event_type, schema_version, timestamp, data) VALUES (?, 'prod_999', "
                   "'Inventory', 1, 'broken', 'InventoryStockReceived', 1, 9e15, '{oops')",
                   (position,))
        db.execute("INSERT INTO streams VALUES ('prod_999', 'Inventory', 1, ?, ?, 9e15)",
                   (position, position))
    return position


def test_a_faulted_projection_badges_its_tab_and_the_status_bar(window, qtbot, seeded):
    panel = window.projections_panel
    tab = window.tab_of(panel)
    badge = window.fault_badges.label
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    assert window.bottom_tabs.tabText(tab) == "Projections" and badge.isHidden()
    position = break_stock(seeded)  # unreadable: stock (and any other reader of it) stops
    qtbot.waitUntil(lambda: badge.isVisible(), timeout=WAIT_MS)
    faulted = [p.name for p in panel.faults]
    assert faulted[0] == "stock"
    count = len(faulted)
    assert f"⚠ {count} projection{'s' if count > 1 else ''} faulted" in badge.text()
    assert f"Stock per product stopped at position {position:,}" in badge.toolTip()
    assert window.bottom_tabs.tabText(tab) == f"Projections ({count})"
    assert not window.bottom_tabs.tabIcon(tab).isNull()
    assert f"position {position:,}" in window.bottom_tabs.tabToolTip(tab)
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        badge.linkActivated.emit("open")  # the badge opens the failing event
    assert window.detail.shown_event.position == position
    assert window.bottom_tabs.currentIndex() == 0
    assert panel.selected == "stock"  # and the panel shows the fault, with Retry and Skip
    for done, name in enumerate(faulted, start=1):
        panel.select(name)
        panel.skip_button.click()
        qtbot.waitUntil(lambda n=done: len(panel.faults) == count - n, timeout=WAIT_MS)
        if done < count:
            assert window.bottom_tabs.tabText(tab) == f"Projections ({count - done})"
    qtbot.waitUntil(lambda: badge.isHidden(), timeout=WAIT_MS)
    assert window.bottom_tabs.tabText(tab) == "Projections"


def test_one_fault_is_said_in_the_singular(window):
    from explorer.projections import Fault, ProjectionStatus

    fault = ProjectionStatus("stock", "Stock per product", 9, 10, 9, "faulted",
                             fault=Fault(10, "e-10", "KeyError: 'quantity'"))
    window.fault_badges.show_faults((fault,))
    assert "⚠ 1 projection faulted" in window.fault_badges.label.text()
    assert "Stock per product stopped at position 10: KeyError" in \
        window.fault_badges.label.toolTip()
