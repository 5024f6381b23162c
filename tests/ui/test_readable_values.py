"""Values for people: times as times (the stored number on hover), lag with its unit, and what
an upcast or a what-if changed marked as the As of Cursor tab marks an aggregate's changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from explorer.common.formatting import clock_time, raw_time
from explorer.projections import ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.store.records import RecordedEvent, StoredForm
from explorer.ui.models.json_tree import JsonTreeModel
from explorer.ui.models.projection_status import ProjectionStatusModel
from explorer.ui.widgets.change_tree import CHANGE_COLOURS
from explorer.ui.widgets.event_detail import EventDetail
from explorer.ui.widgets.json_view import JsonView
from tests.ui.conftest import WAIT_MS, open_shop
from tests.ui.test_panels import caught_up

AT = 1789656368145136
SAGA_DATA = {"source_event_id": "e1", "at": AT, "product_id": "prod_115",
             "outcomes": [{"step": "reserve prod_115", "status": "done", "at": AT + 1_000_000}],
             "schedule": [{"step": "charge payment", "scheduled_at": AT}], "quantity": AT}


def event(data, stored: StoredForm | None = None, schema_version: int = 1) -> RecordedEvent:
    return RecordedEvent(26, "fulfilment-order_0001", "OrderFulfilment", 2, "e2",
                         "ReservationConfirmed", schema_version, AT, None, data, None, stored)


def children(model, parent):
    return {model.index(r, 0, parent).data(): model.index(r, 1, parent)
            for r in range(model.rowCount(parent))}


def test_the_data_tree_shows_times_and_their_stored_value_on_hover(qtmodeltester):
    model = JsonTreeModel({"data": SAGA_DATA})
    qtmodeltester.check(model)
    data = children(model, model.index(0, 0))
    assert data["at"].data() == f"{clock_time(AT)} UTC" == "2026-09-17 14:46:08 UTC"
    assert data["at"].data(Qt.ItemDataRole.ToolTipRole) == raw_time(AT)
    assert str(AT) in data["at"].data(Qt.ItemDataRole.ToolTipRole)
    assert data["quantity"].data() == str(AT)  # a number not named as a time stays a number
    outcome = children(model, model.index(0, 0, data["outcomes"].siblingAtColumn(0)))
    assert outcome["at"].data() == "2026-09-17 14:46:09 UTC"
    schedule = children(model, model.index(0, 0, data["schedule"].siblingAtColumn(0)))
    assert schedule["scheduled_at"].data() == "2026-09-17 14:46:08 UTC"


def hover(qtbot, view: JsonView, line_text: str) -> str:
    """Hover the middle of the value on the line holding `line_text`; the tooltip shown."""
    document = view.document()
    block = next(document.findBlockByNumber(n) for n in range(document.blockCount())
                 if line_text in document.findBlockByNumber(n).text())
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + block.text().index(": ") + 6)
    point = view.cursorRect(cursor).center()
    QToolTip.hideText()
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, point,
                                                       view.viewport().mapToGlobal(point)))
    return QToolTip.text() if QToolTip.isVisible() else ""


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen tooltip
def test_the_json_text_shows_times_and_their_stored_value_on_hover(qtbot):
    view = JsonView()
    qtbot.add_widget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    view.show_value(SAGA_DATA)
    text = view.toPlainText()
    assert f'"at": {clock_time(AT)} UTC,' in text and str(AT) not in text.split('"quantity"')[0]
    assert f'"scheduled_at": {clock_time(AT)} UTC' in text
    assert f'"quantity": {AT}' in text
    assert hover(qtbot, view, '"quantity"') == ""  # a number, not a time: no tooltip
    assert hover(qtbot, view, '"at": 2026-09-17 14:46:08') == raw_time(AT)


def test_the_event_detail_reads_times_but_copies_what_is_stored(qtbot):
    detail = EventDetail()
    qtbot.add_widget(detail)
    detail.show_event(event(SAGA_DATA))
    assert f'"at": {clock_time(AT)} UTC' in detail.json.toPlainText()
    with qtbot.wait_signal(detail.copied) as copied:
        detail.copy_json()
    assert f'"at": {AT}' in copied.args[0]


def test_the_stored_form_marks_what_the_upcast_changed(qtbot):
    stored = {"order_id": "o1", "total": "45.00", "legacy_code": "X1", "items": [{"sku": "a"}]}
    read = {"order_id": "o1", "total": 45.0, "items": [{"sku": "a", "quantity": 1}],
            "currency": "USD"}
    detail = EventDetail()
    qtbot.add_widget(detail)
    detail.show_event(event(read, StoredForm(1, stored), schema_version=2))
    assert detail.tabs.isTabEnabled(detail.forms_tab)
    tree = detail.upcast_changes
    items = {tree.topLevelItem(r).text(0): tree.topLevelItem(r)
             for r in range(tree.topLevelItemCount())}
    colour = lambda item: item.background(0).color().name()  # noqa: E731
    assert colour(items["total"]) == CHANGE_COLOURS["changed"]
    assert (items["total"].text(1), items["total"].text(2)) == ("45.00", "45.00")
    assert items["total"].toolTip(1) == "was '45.00', now 45.0"
    assert colour(items["currency"]) == CHANGE_COLOURS["added"]
    assert items["currency"].text(2) == "(new)"
    gone = items["legacy_code"]
    assert colour(gone) == CHANGE_COLOURS["removed"] and gone.font(0).strikeOut()
    assert (gone.text(1), gone.text(2)) == ("(removed)", "X1")
    line = items["items"].child(0)
    assert line.isExpanded() and colour(line.child(1)) == CHANGE_COLOURS["added"]
    assert colour(items["order_id"]) != CHANGE_COLOURS["changed"]  # unchanged: not marked
    assert "1 changed" in detail.upcast_caption.text()
    assert "2 added" in detail.upcast_caption.text()
    assert "1 removed" in detail.upcast_caption.text()
    assert tree.headerItem().text(1) == "As read · v2" and tree.headerItem().text(2) == \
        "Stored · v1"


def status(lag_events: int, lag_seconds: float) -> RunnerStatus:
    return RunnerStatus(0.0, 5000, (ProjectionStatus(
        "order_summary", "Order summary", 5000 - lag_events, 5000, 10, "behind",
        lag_seconds=lag_seconds),), (), 0.0)


def test_projection_lag_reads_with_its_units(qtmodeltester):
    model = ProjectionStatusModel()
    model.set_status(status(1234, 7_509_984.1))
    qtmodeltester.check(model)
    assert model.index(0, 3).data() == "1,234 events"
    assert model.index(0, 4).data() == "86 d 22 h behind"
    assert "7,509,984.1 s" in model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == (
        "Order summary (order_summary, as the command line names it)")  # a title cut short
    model.set_status(status(1, 12.0))
    assert (model.index(0, 3).data(), model.index(0, 4).data()) == ("1 event", "12 s behind")
    model.set_status(status(0, 0.0))
    assert (model.index(0, 3).data(), model.index(0, 4).data()) == ("—", "—")
    qtmodeltester.check(model)


def test_saga_steps_show_times_for_people_with_the_stored_value_on_hover(window, qtbot):
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    qtbot.waitUntil(lambda: panel.list_model.row(0) is not None, timeout=WAIT_MS)
    panel.list.selectRow(0)
    qtbot.waitUntil(lambda: panel.steps.rowCount() > 0, timeout=WAIT_MS)
    saga_id = panel.selected
    with open_shop(window.summary.location, read_only=True) as store:
        started = store.read_stream(saga_id)[0]
    scheduled = started.data["schedule"][0]["scheduled_at"]
    cell = panel.steps.item(0, 2)
    assert cell.text() == clock_time(scheduled)  # to the second
    assert cell.toolTip() == raw_time(scheduled)
    finished = panel.steps.item(0, 3)
    assert finished.text().count(":") == 2 and "." not in finished.text()
    assert "µs since 1970" in finished.toolTip()
