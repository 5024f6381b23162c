"""Positions read the same everywhere in the window: grouped by thousands whatever the locale
(10,099,038) as the event's detail heading shows them, in the event list and the cause-and-effect
panel too; copying one from the list gives its plain number."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication

from explorer.ui.models.causal_tree import NODE_ROLE
from explorer.ui.models.event_table import POSITION, STREAM, position_text
from tests.ui.conftest import select_row


def test_position_text_groups_by_thousands():
    assert position_text(7) == "7"
    assert position_text(10_099_038) == "10,099,038"
    assert position_text(0) == "…"  # a row whose position is not known yet


def test_the_event_list_and_the_cause_show_positions_grouped(window, qtbot):
    model = window.event_model
    row = 2000
    event = select_row(qtbot, window, row)
    assert event.position > 1000
    cell = model.index(row, POSITION)
    assert cell.data() == f"{event.position:,}" and "," in cell.data()

    # the focused event's tooltip in the request's tree, and the cause above it
    tree = window.causality.model
    focus = tree.find(event.event_id)
    assert focus.isValid()
    assert f"Position {event.position:,} · " in focus.data(Qt.ItemDataRole.ToolTipRole)
    for row in range(2001, 2100):  # an event caused by another (at a position past 1,000)
        event = select_row(qtbot, window, row)
        cause_id = event.metadata.get("causation_id")
        cause = next((node.event for node in _nodes(tree) if node.id == cause_id), None)
        if cause is not None and cause.position >= 1000:
            break
    else:
        raise AssertionError("no event with a cause among rows 2,001-2,099")
    text = window.causality.cause.text()
    assert f"(position {cause.position:,})" in text, text


def test_copying_a_position_from_the_list_gives_its_plain_number(window, qtbot):
    model, table = window.event_model, window.table
    event = select_row(qtbot, window, 1500)
    table.setFocus()
    table.setCurrentIndex(model.index(1500, POSITION))
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == str(event.position)
    table.setCurrentIndex(model.index(1500, STREAM))  # another cell: its text, as before
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == event.stream_id


def test_the_position_column_shows_tens_of_millions_whole(window):
    font = window.event_model.data(window.event_model.index(0, POSITION), Qt.ItemDataRole.FontRole)
    needed = QFontMetrics(font).horizontalAdvance("10,099,038")
    assert window.table.columnWidth(POSITION) >= needed + 8


def _nodes(tree):
    def walk(parent):
        for row in range(tree.rowCount(parent)):
            index = tree.index(row, 0, parent)
            yield index.data(NODE_ROLE)
            yield from walk(index)
    yield from walk(QModelIndex())


def test_a_position_column_saved_narrower_is_widened_when_restored(window):
    """Widths saved before positions were grouped (84 px) are restored, then widened to what
    10,099,038 needs (failed before: cut short for every user with a saved layout)."""
    from explorer.ui import settings
    from explorer.ui.window.layout import restore_layout

    header = window.table.horizontalHeader()
    wide = window.table.columnWidth(POSITION)
    window.table.setColumnWidth(POSITION, 84)
    settings.save_window_state("event-columns", header.saveState())
    restore_layout(window)
    assert window.table.columnWidth(POSITION) == wide


def test_a_row_not_read_yet_copies_as_nothing(window, monkeypatch):
    """A row whose page is not read yet shows "…" and has no position to copy (failed
    before: '0')."""
    from explorer.ui.models.event_table import COPY_ROLE

    model = window.event_model
    monkeypatch.setattr(model._rows, "position", lambda row: 0)
    assert model.data(model.index(0, POSITION), COPY_ROLE) is None


def test_a_path_cut_short_keeps_its_own_characters(qtbot):
    """A store's path is text, not markup: cut short in its middle, its "<" and "&" stay
    (failed before: read as HTML, "<2026>" vanished)."""
    from explorer.ui.widgets.ellipsis_label import EllipsisLabel

    path = "/srv/<2026>/a&amp;b/" + "x" * 200 + "/shop.evstore"
    label = EllipsisLabel(path, elide=Qt.TextElideMode.ElideMiddle)
    label.setTextFormat(Qt.TextFormat.PlainText)
    qtbot.addWidget(label)
    label.resize(300, 20)
    shown = label.shown_text()
    assert shown is not None and shown.startswith("/srv/<2026>/a&amp;b/") and "…" in shown
    assert shown.endswith("/shop.evstore")
