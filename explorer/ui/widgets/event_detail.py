"""The selected event in full: data and metadata as a tree and as JSON, its stored form if it was
upcast (what the upcast changed marked as the As of Cursor tab marks an aggregate's changes), and
the reason a raw row could not be read. Times kept as microseconds read as UTC times. Copy as
JSON copies what is stored."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from explorer.common.formatting import short_time
from explorer.common.names import visible, visible_lines
from explorer.store.records import RecordedEvent, StoredForm
from explorer.timetravel.machine import diff
from explorer.ui.icons import icon
from explorer.ui.models.json_tree import JsonTreeModel
from explorer.ui.tones import muted
from explorer.ui.widgets.change_tree import ChangeTree, change_summary
from explorer.ui.widgets.json_view import JsonView, pretty_json

SEPARATOR = " \u00a0·\u00a0 "  # between the heading's parts, as the window's other headings
NO_EVENT = "Select an event to see it here."
LEFT_OUT = "No event selected"


class EventHeading(QLabel):
    """One line naming an event: its type (bold), its stream and version, its position. It never
    wraps: when the line is wider than the panel, the stream id (the part of any length) is cut
    short in its middle, then the type at its end; the whole line is in the tooltip."""

    def __init__(self, text: str = NO_EVENT) -> None:
        super().__init__(text)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.parts: tuple[str, str, str] | None = None  # type, stream id, what follows it

    def show_parts(self, event_type: str, stream_id: str, tail: str) -> None:
        """Show an event's type, stream id and what follows (each as `visible` shows it)."""
        self.parts = (visible(event_type), visible(stream_id), visible(tail))
        self._fit()

    def show_text(self, text: str) -> None:
        self.parts = None
        self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.parts is None:
            return
        event_type, stream_id, tail = self.parts
        plain = self.fontMetrics()
        bold_font = QFont(self.font())
        bold_font.setBold(True)
        bold = QFontMetrics(bold_font)
        room = self.contentsRect().width() - 2  # rich text rounds its widths up
        around = plain.horizontalAdvance(f"{SEPARATOR} {tail}")  # all but the type and stream
        stream_room = room - bold.horizontalAdvance(event_type) - around
        type_room = room - around - plain.horizontalAdvance("…")
        if stream_room >= plain.horizontalAdvance(stream_id[:4] + "…"):
            stream_id = plain.elidedText(stream_id, Qt.TextElideMode.ElideMiddle, stream_room)
        elif type_room >= bold.horizontalAdvance(event_type[:6] + "…"):  # the type, cut short
            event_type = bold.elidedText(event_type, Qt.TextElideMode.ElideRight, type_room)
            stream_id = "…"
        else:  # too narrow for its parts: the tail whole if it fits, what fits before it
            front, right = f"{event_type}{SEPARATOR}{stream_id}", Qt.TextElideMode.ElideRight
            front_room = room - plain.horizontalAdvance(f" {tail}")
            line = (f"{plain.elidedText(front, right, front_room)} {tail}"
                    if front_room >= plain.horizontalAdvance(front[:2] + "…")
                    else plain.elidedText(f"{front} {tail}", right, room))
            self.setText(html.escape(line))
            return
        self.setText(f"<b>{html.escape(event_type)}</b>{SEPARATOR}{html.escape(stream_id)} "
                     f"{html.escape(tail)}")


class EventDetail(QWidget):
    """Shows one event.

    Signals:
        copied(str): the JSON put on the clipboard.
    """

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown_event: RecordedEvent | None = None
        self.header = EventHeading()
        self.subheader = QLabel()  # when, its stream type, its schema version
        self.subheader.setTextFormat(Qt.TextFormat.PlainText)  # (stored text: never markup)
        self.subheader.setStyleSheet(f"color: {muted()};")
        self.subheader.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.subheader.hide()
        self.notice = QLabel()
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.copy_button = QPushButton(icon("copy"), "Copy as JSON")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_json)

        self.tree_model = JsonTreeModel()
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.json = JsonView()
        self.stored = JsonView()
        self.upcast = JsonView()
        self.upcast_caption = QLabel()
        self.upcast_caption.setTextFormat(Qt.TextFormat.RichText)
        self.upcast_caption.setWordWrap(True)
        self.upcast_changes = ChangeTree(("Field", "As read", "Stored"))
        texts = QSplitter(Qt.Orientation.Horizontal)
        self.stored_title, self.upcast_title = QLabel("Stored"), QLabel("Upcast (as read)")
        for label, view in ((self.stored_title, self.stored), (self.upcast_title, self.upcast)):
            box = QWidget()
            layout = QVBoxLayout(box)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(label)
            layout.addWidget(view)
            texts.addWidget(box)
        self.forms_view = QStackedWidget()  # what changed, or both forms as JSON text
        self.forms_view.addWidget(self.upcast_changes)
        self.forms_view.addWidget(texts)
        self.side_by_side = QToolButton()
        self.side_by_side.setText("JSON side by side")
        self.side_by_side.setCheckable(True)
        self.side_by_side.setToolTip("Show the stored and the upcast data as JSON text, side by "
                                     "side, instead of what changed")
        self.side_by_side.toggled.connect(
            lambda on: self.forms_view.setCurrentIndex(1 if on else 0))
        caption = QHBoxLayout()
        caption.addWidget(self.upcast_caption, 1)
        caption.addWidget(self.side_by_side)
        forms = QWidget()
        layout = QVBoxLayout(forms)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(caption)
        layout.addWidget(self.forms_view, 1)
        self.forms = forms
        self.tabs = QTabWidget()
        self.tabs.addTab(self.tree, "Tree")
        self.tabs.addTab(self.json, "JSON")
        self.forms_tab = self.tabs.addTab(forms, "Stored form")
        self.tabs.setTabEnabled(self.forms_tab, False)

        heading = QVBoxLayout()
        heading.setSpacing(0)
        heading.addWidget(self.header)
        heading.addWidget(self.subheader)
        top = QHBoxLayout()
        top.addLayout(heading, 1)
        top.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)

    def show_event(self, event: RecordedEvent | None) -> None:
        self.shown_event = event
        self.copy_button.setEnabled(event is not None)
        if event is None:
            self.header.show_text(NO_EVENT)
            self.header.setToolTip("")
            self.subheader.hide()
            self.notice.hide()
            self.tree_model.set_value({})
            self.json.show_text("")
            self.tabs.setTabEnabled(self.forms_tab, False)
            return
        tail = f"v{event.version}{SEPARATOR}position {event.position:,}"
        self.header.show_parts(event.event_type, event.stream_id, tail)
        self.header.setToolTip(f"{visible(event.event_type)} · {visible(event.stream_id)} "
                               f"v{event.version} · position {event.position:,}\nEvent id "
                               f"{visible(event.event_id)}")
        self.subheader.setText(f"{short_time(event.timestamp_us)} UTC · "
                               f"{visible(event.stream_type)} · schema v{event.schema_version}")
        self.subheader.show()
        if event.is_raw:
            self._notice(f"This row could not be read: {visible_lines(event.problem or '')}. It is "
                         "shown as stored.",
                         "#ffebee", "#b71c1c")
            self.tree_model.set_value({"raw_data": event.raw_data, "metadata": event.metadata})
        elif event.stored is not None:
            self._notice(f"Stored in schema version {event.stored.schema_version} and upcast to "
                         f"version {event.schema_version} on read; the stored row is unchanged. "
                         "The Stored form tab shows what the upcast changed.", "#e3f2fd",
                         "#0d47a1")
            self.tree_model.set_value({"data": event.data, "metadata": event.metadata})
        else:
            self.notice.hide()
            self.tree_model.set_value({"data": event.data, "metadata": event.metadata})
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.json.show_value(event.to_dict())
        stored = event.stored
        self.tabs.setTabEnabled(self.forms_tab, stored is not None)
        if stored is not None:
            self._show_upcast(event, stored)
            self.stored.show_value(stored.data)
            self.upcast.show_value(event.data)
            self.stored_title.setText(f"Stored · schema v{stored.schema_version}")
            self.upcast_title.setText(f"Upcast · schema v{event.schema_version} (as read)")
        elif self.tabs.currentIndex() == self.forms_tab:
            self.tabs.setCurrentIndex(0)

    def show_left_out(self, event: RecordedEvent) -> None:
        """Show no event, saying that `event`, selected before, is not in the list now (a
        filter, a search or a stream chosen leaves it out): not shown as if it matched."""
        self.show_event(None)
        self.header.show_text(LEFT_OUT)
        self.header.setToolTip("")
        self._notice(f"{visible(event.event_type)} at position {event.position:,} "
                     f"({visible(event.stream_id)}), selected before, is not in this list. "
                     "Select an event in the list to see it here.", "#eceff1", "#37474f")

    def _show_upcast(self, event: RecordedEvent, stored_form: StoredForm) -> None:
        """What the upcast changed: the data as read, each change marked, the stored value
        beside it."""
        stored, read = stored_form.schema_version, event.schema_version
        changes = diff(stored_form.data, event.data)
        summary = change_summary(changes) or "no field changed"
        self.upcast_caption.setText(f"Upcast from schema v{stored} (stored) to v{read} (as "
                                    f"read): {summary}")
        self.upcast_changes.setHeaderLabels(["Field", f"As read · v{read}",
                                             f"Stored · v{stored}"])
        self.upcast_changes.show_changes(event.data, changes, expand_all=False)

    def _notice(self, text: str, background: str, foreground: str) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet(f"background: {background}; color: {foreground}; "
                                  "padding: 6px; border-radius: 4px;")
        self.notice.show()

    def copy_json(self) -> None:
        if self.shown_event is None:
            return
        text = pretty_json(self.shown_event.to_dict())
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
