"""The event list's model: a window onto millions of events, paged in as rows become visible.

The model knows only the row map (which position each row shows). Pages of PAGE_SIZE events are
requested from the worker when a view asks for their rows and kept in a small LRU cache, so a
store of any size opens at once and jumping to its end reads one page.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics

from explorer.browsing.rows import ContiguousRows, RowMap
from explorer.common.formatting import short_time, summarize
from explorer.common.names import visible
from explorer.store.records import RecordedEvent
from explorer.ui.models.base import PagedTableModel, PageRequest
from explorer.ui.tones import TEXT_ON_TINT, faded

PAGE_SIZE = 100
MAX_PAGES = 80
COLUMNS = ("Position", "Time (UTC)", "Stream", "Version", "Type", "Data")
POSITION, TIME, STREAM, VERSION, TYPE, DATA = range(len(COLUMNS))
EVENT_ROLE = Qt.ItemDataRole.UserRole + 1
COPY_ROLE = Qt.ItemDataRole.UserRole + 6
"""A cell's text as copied: a position's plain number (shown grouped: 10,099,038)."""
RAW_COLOUR = QBrush(QColor("#c62828"))
LOADING_COLOUR = QBrush(QColor("#9e9e9e"))
LATER_COLOUR = QBrush(QColor("#bdbdbd"))  # after the time-travel cursor: not happened yet
WRITTEN_BACKGROUND = QBrush(QColor("#c8e6c9"))  # written by the command just sent


class EventTableModel(PagedTableModel):
    """Rows of events; `request_page(generation, page)` is called for pages not yet loaded."""

    page_size = PAGE_SIZE
    max_pages = MAX_PAGES

    def __init__(self, request_page: PageRequest | None = None, parent=None) -> None:
        super().__init__(request_page, parent)
        self._rows: RowMap = ContiguousRows(1, 0)
        self.cursor: int | None = None
        self.highlighted: frozenset[int] = frozenset()
        self._mono = QFont("monospace")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self._mono_bold = QFont(self._mono)
        self._mono_bold.setBold(True)
        self._bold = QFont()
        self._bold.setBold(True)

    # -- contents --------------------------------------------------------------------------

    def set_rows(self, rows: RowMap, first_events: Sequence[RecordedEvent] = ()) -> int:
        """Show another list of events; the generation that page results must carry.
        `first_events`, the events of its first rows if they are read already (a search's
        newest matches), are shown without asking for their pages (unless they are not those
        rows' events)."""
        self.beginResetModel()
        generation = self._new_generation()
        self._rows = rows
        if len(first_events) <= len(rows) and all(
                rows.position(row) == event.position for row, event in enumerate(first_events)):
            self._keep_first_pages(first_events)
        self.endResetModel()
        return generation

    @property
    def rows(self) -> RowMap:
        return self._rows

    def append_positions(self, positions: array) -> None:
        """Add newly appended (or newly found) events at the end, keeping selection and scroll."""
        if not len(positions):
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(positions) - 1)
        self._rows.extend(positions)
        if first:
            self._forget_page((first - 1) // PAGE_SIZE)  # it was short: it must be read again
        self.endInsertRows()

    def event_at(self, row: int) -> RecordedEvent | None:
        """The event at `row` if its page is loaded; otherwise asks for the page and says None."""
        return self._item(row)

    def set_cursor(self, position: int | None) -> None:
        """Grey out the events after `position` (the time-travel cursor); None: none are."""
        if position == self.cursor:
            return
        self.cursor = position
        self.changed_everywhere([Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole])

    def set_highlight(self, positions) -> None:
        """Give these events (a command's, just written) a background that stands out."""
        self.highlighted = frozenset(positions)
        self.changed_everywhere([Qt.ItemDataRole.BackgroundRole])

    def position(self, row: int) -> int:
        return self._rows.position(row)

    def position_width(self) -> int:
        """The width a Position cell needs to show a position of tens of millions whole."""
        return QFontMetrics(self._mono_bold).horizontalAdvance(position_text(88_888_888)) + 16

    def row_of(self, position: int) -> int | None:
        return self._rows.row_of(position)

    # -- Qt model --------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._rows)

    def headers(self) -> tuple[str, ...]:
        return COLUMNS

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (POSITION, VERSION):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            return WRITTEN_BACKGROUND if self.highlighted and \
                self._rows.position(row) in self.highlighted else None
        if role == COPY_ROLE:
            if column == POSITION:  # (a row not read yet has none: it copies as nothing)
                position = self._rows.position(row)
                return str(position) if position > 0 else None
            role = Qt.ItemDataRole.DisplayRole
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.ForegroundRole, EVENT_ROLE, Qt.ItemDataRole.FontRole):
            return None
        if role == Qt.ItemDataRole.FontRole:
            at_cursor = self.cursor is not None and self._rows.position(row) == self.cursor
            if column in (POSITION, TIME, VERSION):
                return self._mono_bold if at_cursor else self._mono
            return self._bold if at_cursor else None
        if role == Qt.ItemDataRole.ForegroundRole and self.cursor is not None \
                and self._rows.position(row) > self.cursor:
            return faded(LATER_COLOUR)
        event = self.event_at(row)
        if role == EVENT_ROLE:
            return event
        if event is None:
            if role == Qt.ItemDataRole.ForegroundRole:
                return LOADING_COLOUR
            if role == Qt.ItemDataRole.DisplayRole:  # a position not read yet is 0
                return position_text(self._rows.position(row)) if column == POSITION else "…"
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return RAW_COLOUR if event.is_raw else TEXT_ON_TINT if self.highlighted and \
                self._rows.position(row) in self.highlighted else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == DATA:
                raw = event.is_raw
                return visible((event.problem or "") if raw else summarize(event.data, 400))
            return None
        return _display(event, column)


def position_text(position: int) -> str:
    """A position as the window shows it: grouped by thousands whatever the locale
    (10,099,038), as the event's detail heading does; "…" for one not known yet (0)."""
    return f"{position:,}" if position else "…"


def _display(event: RecordedEvent, column: int) -> str:
    """A cell's text; stored text as `visible` shows it (a bidi control in an event's data
    would otherwise reorder the rest of its cell, a line break split it)."""
    if column == POSITION:
        return position_text(event.position)
    if column == TIME:
        return short_time(event.timestamp_us)
    if column == STREAM:
        return visible(event.stream_id)
    if column == VERSION:
        return str(event.version)
    if column == TYPE:
        return visible(event.event_type)
    if event.is_raw:
        return f"⚠ cannot be read: {visible(event.problem or '')}"
    upcast = f" (stored as v{event.stored.schema_version})" if event.stored is not None else ""
    return visible(summarize(event.data, 160)) + upcast
