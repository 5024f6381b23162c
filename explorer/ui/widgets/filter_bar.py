"""The filters above the event list: event types, stream type, time range and content.

A content filter is parsed as it is typed; an invalid one shows its message under the field, with
what the list still shows (the last valid filter's events), and changes nothing. Beside it, what
the filter does (ContentFilterState: a scan's progress and stop, indexing a path it uses). Valid
changes emit `changed` with the new `Filters`; a valid filter that compares unlike types gets a
warning under the field (`show_warnings`). The event types are ticked in a menu that stays open
while ticking. The "To" time follows the end of the log, and so includes new events, until the
user changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal
from PySide6.QtGui import QAction, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.store.content_filter import ContentFilter, FilterError, parse_filter
from explorer.store.query import EventQuery
from explorer.ui import layouts
from explorer.ui.icons import icon
from explorer.ui.layouts import STRETCH, TallerWhenNarrow, wrapping
from explorer.ui.widgets.content_filter_state import ContentFilterState
from explorer.ui.widgets.event_search import EventSearchField

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem, StoreSummary

PLACEHOLDER = 'Filter by content, e.g. data.status = "open" and data.amount > 100'


@dataclass(frozen=True)
class Filters:
    """The filters of the event list, apart from which stream is shown."""

    event_types: tuple[str, ...] = ()
    stream_type: str | None = None
    from_time_us: int | None = None
    to_time_us: int | None = None
    content: ContentFilter | None = None
    search: str = ""
    """Only events mentioning this (the full-text index: explorer.projections.fulltext)."""

    def query(self, stream_id: str | None) -> EventQuery:
        return EventQuery(stream_id=stream_id, event_types=self.event_types,
                          stream_types=(self.stream_type,) if self.stream_type else (),
                          from_time_us=self.from_time_us, to_time_us=self.to_time_us,
                          content=self.content)

    @property
    def active(self) -> bool:
        return self != Filters()


class CheckListMenu(QMenu):
    """A menu whose checkable entries toggle without closing it: tick several, then click
    outside or press Escape. Other entries act and close it as usual."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        action = self.actionAt(event.position().toPoint())
        if action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        action = self.activeAction()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) \
                and action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().keyPressEvent(event)


class FilterBar(TallerWhenNarrow, QWidget):
    """Signals:
        changed(object): the new Filters, when they change and are valid.
    """

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filters = Filters()
        self.content = QLineEdit()
        self.content.setPlaceholderText(PLACEHOLDER)
        self.content.setClearButtonEnabled(True)
        self.content.addAction(icon("filter"), QLineEdit.ActionPosition.LeadingPosition)
        self.content.returnPressed.connect(self._apply_content)
        self.content.textChanged.connect(self._content_edited)
        self.search = EventSearchField()
        self.content_state = ContentFilterState()  # a scan's progress, indexing a path
        self.search.search_changed.connect(self._search_changed)
        self.error = QLabel()
        self.error.setObjectName("filter-error")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.warning = QLabel()
        self.warning.setObjectName("filter-warning")
        self.warning.setStyleSheet("color: #e65100;")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self._log_end_us: int | None = None
        self._to_follows_log = True  # until the user picks a "To" time of their own

        self.types_button = QToolButton()
        self.types_button.setText("Event types: all")
        self.types_button.setMinimumWidth(170)
        self.types_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # a click gives it focus too, so that closing its menu (Escape) returns focus to it,
        # not to the field that had focus before the click
        self.types_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.types_menu = CheckListMenu(self.types_button)
        self.types_button.setMenu(self.types_menu)
        self.stream_type = QComboBox()
        self.stream_type.addItem("All stream types", None)
        self.stream_type.currentIndexChanged.connect(self._stream_type_changed)
        self.use_from = QCheckBox("From")
        self.use_to = QCheckBox("To")
        self.use_to.setToolTip("Up to this time; it follows the newest event (new events are "
                               "included) until you change it")
        self.from_time = self._time_edit()
        self.to_time = self._time_edit()
        self.to_time.dateTimeChanged.connect(self._to_edited)  # before _times_changed reads it
        for box, edit in ((self.use_from, self.from_time), (self.use_to, self.to_time)):
            box.toggled.connect(edit.setEnabled)
            box.toggled.connect(self._times_changed)
            edit.setEnabled(False)
            edit.dateTimeChanged.connect(self._times_changed)
        self.clear_button = QToolButton()
        self.clear_button.setIcon(icon("clear"))
        self.clear_button.setToolTip("Clear all filters")
        self.clear_button.clicked.connect(self.clear)

        # on more lines in a narrow window (the types, the time range's ends), never cut off
        row = wrapping(layouts.row(self.types_button, self.stream_type),
                       layouts.row(self.use_from, self.from_time),
                       layouts.row(self.use_to, self.to_time), STRETCH, self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        lines = QHBoxLayout()
        lines.setContentsMargins(0, 0, 0, 0)
        lines.addWidget(self.search, 2)
        lines.addWidget(self.content, 3)
        lines.addWidget(self.content_state)
        layout.addLayout(lines)
        layout.addWidget(self.error)
        layout.addWidget(self.warning)
        layout.addLayout(row)

    @staticmethod
    def _time_edit() -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setCalendarPopup(True)
        edit.setTimeZone(QTimeZone.utc())
        edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        edit.setDateTime(QDateTime.currentDateTimeUtc())
        return edit

    # -- choices offered -------------------------------------------------------------------

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        """A store was opened: offer its types and time span, hint at its fields, and start
        over without filters (silently: the list starts over by itself)."""
        self.set_event_types(summary.event_types)
        self.set_stream_types([t.stream_type for t in summary.stream_types])
        if summary.last_position:
            self.set_time_range(summary.first_time_us, summary.last_time_us)
        self.content.setPlaceholderText(summary.examples.content_filter())
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)

    def set_event_types(self, names: list[str]) -> None:
        chosen = set(self.filters.event_types)
        self.types_menu.clear()
        every = QAction("All event types", self.types_menu)
        every.triggered.connect(lambda: self._set_types(()))
        self.types_menu.addAction(every)
        self.types_menu.addSeparator()
        for name in sorted(set(names)):
            action = QAction(name, self.types_menu)
            action.setCheckable(True)
            action.setChecked(name in chosen)
            action.toggled.connect(self._types_toggled)
            self.types_menu.addAction(action)

    def set_stream_types(self, names: list[str]) -> None:
        current = self.stream_type.currentData()
        self.stream_type.blockSignals(True)
        self.stream_type.clear()
        self.stream_type.addItem("All stream types", None)
        for name in sorted(names):
            self.stream_type.addItem(name, name)
        index = self.stream_type.findData(current)
        self.stream_type.setCurrentIndex(max(index, 0))
        self.stream_type.blockSignals(False)

    def set_time_range(self, first_us: int, last_us: int) -> None:
        """Offer the store's own time span in the time fields; "To" follows the log from now."""
        self._to_follows_log = True
        self._log_end_us = last_us
        for edit, micros in ((self.from_time, first_us), (self.to_time, last_us)):
            self._show_time(edit, micros)

    def follow_log_end(self, last_us: int) -> None:
        """The log's newest event is this recent now: "To" shows it, unless the user chose."""
        self._log_end_us = last_us
        if self._to_follows_log:
            self._show_time(self.to_time, last_us)

    @staticmethod
    def _show_time(edit: QDateTimeEdit, micros: int) -> None:
        edit.blockSignals(True)
        edit.setDateTime(QDateTime.fromMSecsSinceEpoch(micros // 1000, QTimeZone.utc()))
        edit.blockSignals(False)

    def _to_edited(self) -> None:
        self._to_follows_log = False  # only the user's edits reach here: ours are blocked

    # -- changes ---------------------------------------------------------------------------

    def focus_content(self) -> None:
        self.content.setFocus()
        self.content.selectAll()

    def set_content_text(self, text: str) -> None:
        self.content.setText(text)
        self._apply_content()

    def _content_edited(self, text: str) -> None:
        self.warning.hide()  # it spoke of the filter as it was
        if not text.strip():
            self.error.hide()
            if self.filters.content is not None:
                self._emit(replace(self.filters, content=None))

    def _apply_content(self) -> None:
        text = self.content.text().strip()
        if not text:
            self._content_edited("")
            return
        try:
            parsed = parse_filter(text)
        except FilterError as error:
            shown = self.filters.content
            self.error.setText(f"{error}. The list is unchanged: it still shows "
                               + (f"the events matching “{shown.text}”." if shown is not None
                                  else "its events without a content filter."))
            self.error.show()
            return
        self.error.hide()
        self._emit(replace(self.filters, content=parsed))

    def _types_toggled(self) -> None:
        chosen = tuple(a.text() for a in self.types_menu.actions() if a.isCheckable()
                       and a.isChecked())
        self._emit(replace(self.filters, event_types=chosen))

    def _set_types(self, chosen: tuple[str, ...]) -> None:
        for action in self.types_menu.actions():
            if action.isCheckable():
                action.blockSignals(True)
                action.setChecked(action.text() in chosen)
                action.blockSignals(False)
        self._emit(replace(self.filters, event_types=chosen))

    def set_event_type_filter(self, chosen: tuple[str, ...]) -> None:
        self._set_types(chosen)

    def _stream_type_changed(self) -> None:
        self._emit(replace(self.filters, stream_type=self.stream_type.currentData()))

    def _times_changed(self) -> None:
        def micros(box: QCheckBox, edit: QDateTimeEdit) -> int | None:
            return edit.dateTime().toMSecsSinceEpoch() * 1000 if box.isChecked() else None
        to_time = None if self._to_follows_log else micros(self.use_to, self.to_time)
        self._emit(replace(self.filters, from_time_us=micros(self.use_from, self.from_time),
                           to_time_us=to_time))  # following the log: no end, new events too

    def clear(self) -> None:
        for widget in (self.content, self.stream_type, self.use_from, self.use_to):
            widget.blockSignals(True)
        self.content.clear()
        self.stream_type.setCurrentIndex(0)
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)
        self.from_time.setEnabled(False)
        self.to_time.setEnabled(False)
        for widget in (self.content, self.stream_type, self.use_from, self.use_to):
            widget.blockSignals(False)
        self._to_follows_log = True
        if self._log_end_us is not None:
            self._show_time(self.to_time, self._log_end_us)
        self.error.hide()
        self.warning.hide()
        self._set_types(())
        self.search.set_search("")
        self._emit(Filters())

    def set_filters(self, filters: Filters) -> None:
        """Show `filters` (for back and forward) without emitting."""
        self.blockSignals(True)
        try:
            self.content.setText(filters.content.text if filters.content else "")
            self._set_types(filters.event_types)
            index = self.stream_type.findData(filters.stream_type)
            self.stream_type.setCurrentIndex(max(index, 0))
            self.use_from.setChecked(filters.from_time_us is not None)
            self.use_to.setChecked(filters.to_time_us is not None)
            self.search.set_search(filters.search)
        finally:
            self.blockSignals(False)
        self.error.hide()
        self.warning.hide()
        self.filters = filters
        self._update_types_label()

    def _search_changed(self, text: str) -> None:
        self.warning.hide()  # it spoke of the search as it was
        self._emit(replace(self.filters, search=text))

    def show_warnings(self, content: ContentFilter | None, warnings: list[str],
                      search: str = "") -> None:
        """Warn under the field that `content` compares unlike types, or that upcasting
        changes what `content` or `search` reads (if they are still the filter and the search
        shown: a check may come back after the text changed)."""
        if content != self.filters.content or search != self.filters.search or (
                content is not None and self.content.text().strip() != content.text):
            return
        self.warning.setText("\n".join(f"⚠ {warning}" for warning in warnings))
        self.warning.setVisible(bool(warnings))

    def _emit(self, filters: Filters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self._update_types_label()
        self.changed.emit(filters)

    def _update_types_label(self) -> None:
        chosen = self.filters.event_types
        if not chosen:
            text = "Event types: all"
        elif len(chosen) == 1:
            text = f"Event type: {chosen[0]}"
        else:
            text = f"Event types: {len(chosen)} chosen"
        self.types_button.setText(text)
