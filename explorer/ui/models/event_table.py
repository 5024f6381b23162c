"""The event list's model: a window onto millions of events, paged in as rows become visible.

The model knows only the row map (which position each row shows). Pages of PAGE_SIZE events are
requested from the worker when a view asks for their rows and kept in a small LRU cache, so a
store of any size opens at once and jumping to its end reads one page.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from explorer.browsing.rows import ContiguousRows, RowMap
from explorer.common.formatting import short_time, summarize
from explorer.store.records import RecordedEvent

PAGE_SIZE = 100
MAX_PAGES = 80
COLUMNS = ("Position", "Time (UTC)", "Stream", "Version", "Type", "Data")
POSITION, TIME, STREAM, VERSION, TYPE, DATA = range(len(COLUMNS))
EVENT_ROLE = Qt.ItemDataRole.UserRole + 1
RAW_COLOUR = QBrush(QColor("#c62828"))
LOADING_COLOUR = QBrush(QColor("#9e9e9e"))
LATER_COLOUR = QBrush(QColor("#bdbdbd"))  # after the time-travel cursor: not happened yet
WRITTEN_BACKGROUND = QBrush(QColor("#c8e6c9"))  # written by the command just sent
PageRequest = Callable[[int, int], None]


class EventTableModel(QAbstractTableModel):
    """Rows of events; `request_page(generation, page)` is called for pages not yet loaded."""

    def __init__(self, request_page: PageRequest | None = None, parent=None) -> None:
        super().__init__(parent)
        self._request_page = request_page
        self._rows: RowMap = ContiguousRows(1, 0)
        self._pages: OrderedDict[int, list[RecordedEvent]] = OrderedDict()
        self._requested: set[int] = set()
        self.generation = 0
        self.cursor: int | None = None
        self.highlighted: frozenset[int] = frozenset()
        self._mono = QFont("monospace")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self._mono_bold = QFont(self._mono)
        self._mono_bold.setBold(True)
        self._bold = QFont()
        self._bold.setBold(True)

    # -- contents --------------------------------------------------------------------------

    def set_request_page(self, request_page: PageRequest) -> None:
        self._request_page = request_page

    def set_rows(self, rows: RowMap) -> int:
        """Show another list of events; the generation that page results must carry."""
        self.beginResetModel()
        self.generation += 1
        self._rows = rows
        self._pages.clear()
        self._requested.clear()
        self.endResetModel()
        return self.generation

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
        last_page = (first - 1) // PAGE_SIZE if first else -1
        self._pages.pop(last_page, None)  # the last page was short: it must be read again
        self._requested.discard(last_page)
        self.endInsertRows()

    def page_loaded(self, generation: int, page: int, events: list[RecordedEvent]) -> None:
        """A requested page arrived; stale generations (another list meanwhile) are dropped."""
        if generation != self.generation:
            return
        self._requested.discard(page)
        self._pages[page] = events
        self._pages.move_to_end(page)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        first = page * PAGE_SIZE
        last = min(first + len(events), len(self._rows)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def page_failed(self, generation: int, page: int) -> None:
        if generation == self.generation:
            self._requested.discard(page)

    def event_at(self, row: int) -> RecordedEvent | None:
        """The event at `row` if its page is loaded; otherwise asks for the page and says None."""
        if not 0 <= row < len(self._rows):
            return None
        page = row // PAGE_SIZE
        events = self._pages.get(page)
        if events is None:
            self._request(page)
            events = self._pages.get(page)  # a synchronous loader may have answered already
            if events is None:
                return None
        self._pages.move_to_end(page)
        offset = row - page * PAGE_SIZE
        return events[offset] if offset < len(events) else None

    def set_cursor(self, position: int | None) -> None:
        """Grey out the events after `position` (the time-travel cursor); None: none are."""
        if position == self.cursor:
            return
        self.cursor = position
        if len(self._rows):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1,
                                                               len(COLUMNS) - 1),
                                  [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole])

    def set_highlight(self, positions) -> None:
        """Give these events (a command's, just written) a background that stands out."""
        self.highlighted = frozenset(positions)
        if len(self._rows):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1,
                                                               len(COLUMNS) - 1),
                                  [Qt.ItemDataRole.BackgroundRole])

    def position(self, row: int) -> int:
        return self._rows.position(row)

    def row_of(self, position: int) -> int | None:
        return self._rows.row_of(position)

    def _request(self, page: int) -> None:
        if page in self._requested or self._request_page is None:
            return
        self._requested.add(page)
        self._request_page(self.generation, page)

    # -- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

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
            return LATER_COLOUR
        event = self.event_at(row)
        if role == EVENT_ROLE:
            return event
        if event is None:
            if role == Qt.ItemDataRole.ForegroundRole:
                return LOADING_COLOUR
            if role == Qt.ItemDataRole.DisplayRole:
                return str(self._rows.position(row)) if column == POSITION else "…"
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return RAW_COLOUR if event.is_raw else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == DATA:
                return event.problem if event.is_raw else summarize(event.data, 400)
            return None
        return _display(event, column)


def _display(event: RecordedEvent, column: int) -> str:
    if column == POSITION:
        return str(event.position)
    if column == TIME:
        return short_time(event.timestamp_us)
    if column == STREAM:
        return event.stream_id
    if column == VERSION:
        return str(event.version)
    if column == TYPE:
        return event.event_type
    if event.is_raw:
        return f"⚠ cannot be read: {event.problem}"
    upcast = f" (stored as v{event.stored.schema_version})" if event.stored is not None else ""
    return summarize(event.data, 160) + upcast
