"""The "As of" panel's aggregate: a stream's state as of the cursor, with what its latest event
changed (changed fields in amber, added in green, removed in red and struck out).

The aggregate is the selected stream's, or that of the event at the cursor. A stream no loaded
system knows is shown by the generic fold, and labelled so. Values are cut to the column and
whole on hover; the Before column shows only where something changed or went.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidgetItem, QWidget

from explorer.common.formatting import short_time
from explorer.domain.generic import GENERIC_LABEL
from explorer.timetravel.machine import AggregateAt, Moment
from explorer.ui.layouts import column
from explorer.ui.tones import muted
from explorer.ui.widgets.change_tree import (
    BEFORE,
    EXPAND_ALL_UNDER,
    FIELD,
    VALUE,
    ChangeTree,
    change_summary,
    node_count,
)

GENERIC = "Generic fold: " + GENERIC_LABEL.removeprefix("generic fold: ")
GENERIC_COLOUR = "#e1f5fe"
GENERIC_TIP = ("No loaded system knows this stream's type, so its state is each event's data "
               "merged in order (objects merged key by key, anything else replaced): what the "
               "events said, not what the system's own code would compute.")
PATH_ROLE = Qt.ItemDataRole.UserRole + 3  # a field's path in the state, as a watch names it
NOTHING_YET = "Move the timeline's cursor to see the system as it was."
INDENTATION = 12
"""Pixels a level of the state's tree is indented: a deep state's names keep some room."""


def rich_label(text: str = "", grey: bool = False) -> QLabel:
    """A wrapping label of rich text (grey for a note)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    if grey:
        label.setStyleSheet(f"color: {muted()};")
    return label


class AggregateTree(ChangeTree):
    """An aggregate's state: the values get the room, each field's path and whole value on
    hover."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        # (at Qt's 20 px a level, a saga's step's fields, four levels down in a Field column
        # of 90 px at 1400x900, were "st…", "ki…", "c…")
        self.setIndentation(INDENTATION)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(VALUE, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(FIELD, 120)
        header.resizeSection(BEFORE, 90)

    def short(self, key: str, value: Any) -> str:
        return super().short("", value)  # times as stored: an aggregate's state is the data

    def describe(self, item: QTreeWidgetItem, key: str, value: Any, path: str) -> None:
        item.setToolTip(FIELD, path)
        item.setData(FIELD, PATH_ROLE, path)  # for "Watch This" (watch_this)
        item.setToolTip(VALUE, item.text(VALUE))  # whole, where the column is too narrow

    def show_aggregate(self, aggregate: AggregateAt) -> None:
        """The aggregate's state, its latest changes marked; columns fitted to the width."""
        self.clear()
        whole = node_count(aggregate.state, EXPAND_ALL_UNDER) < EXPAND_ALL_UNDER
        self.add_changes(self.invisibleRootItem(), aggregate.state, aggregate.changes,
                         lazy=not whole)
        if whole:
            self.expandAll()
        # "Before" says something only for changed and removed fields: else its width is Value's
        self.setColumnHidden(BEFORE, all(c.kind == "added" for c in aggregate.changes))
        self.fit_columns()

    def fit_columns(self) -> None:
        """Field and Before as wide as their contents, within a share of the width: Value, the
        one that matters, keeps at least the rest (a deep tree's indented paths do not take it)."""
        width = self.viewport().width()
        for column_number, share in ((FIELD, 0.35), (BEFORE, 0.25)):
            self.resizeColumnToContents(column_number)
            self.header().resizeSection(column_number, min(self.columnWidth(column_number),
                                                           int(width * share)))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit_columns()


class AggregatePane(QWidget):
    """The aggregate's title, a caption of its latest event and its state (see the module's
    docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = rich_label(NOTHING_YET)
        self.caption = rich_label(grey=True)
        self.state = AggregateTree()
        column(self.title, self.caption, (self.state, 1), margins=(6, 6, 3, 6), into=self)

    def show_moment(self, moment: Moment, focused_stream: str | None) -> None:
        aggregate = moment.aggregate
        self.state.clear()
        if aggregate is None:
            self.title.setText("No aggregate at this position." if moment.position
                               else "Nothing has happened yet at position 0.")
            self.caption.setText("")
            return
        whose = ("the selected stream" if focused_stream == aggregate.stream_id
                 else "the stream of the event at the cursor")
        generic = (f"<br><span style='background:{GENERIC_COLOUR}'>&nbsp;{html.escape(GENERIC)}"
                   "&nbsp;</span>" if aggregate.generic else "")
        self.title.setText(
            f"<b>{html.escape(aggregate.stream_type)} {html.escape(aggregate.stream_id)}</b>"
            f" &nbsp;version {aggregate.version} as of position {moment.position:,}"
            f" <span style='color:{muted()}'>({whose})</span>{generic}")
        self.title.setToolTip(GENERIC_TIP if aggregate.generic else "")
        event = aggregate.event
        if not aggregate.exists or event is None:
            self.caption.setText("It does not exist yet at this position: its first "
                                 "event comes later.")
            return
        summary = change_summary(aggregate.changes)
        where = (f"{html.escape(event.event_type)} (version {event.version}) at position "
                 f"{event.position:,}, {short_time(event.timestamp_us)} UTC")
        caption = f"Its latest event: {where}" + (f" — {summary}" if summary else
                                                   " — no field changed")
        if event.position != moment.position:
            caption += "<br>(the cursor's event belongs to another stream)"
        notes = "".join(f"<br>{html.escape(note)}" for note in aggregate.notes)
        self.caption.setText(caption + notes)
        self.state.show_aggregate(aggregate)

    def clear(self) -> None:
        self.state.clear()
        self.title.setText(NOTHING_YET)
        self.caption.setText("")
