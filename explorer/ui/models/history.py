"""The command console's history as a Qt table: when, what, and how it ended; favourites starred.
A row's tooltip shows what was sent, secrets masked as the history keeps them ("•••• 0002")."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from explorer.commanding.history import History, HistoryEntry
from explorer.commanding.sending import OutcomeKind
from explorer.common.formatting import short_time, summarize
from explorer.common.names import visible
from explorer.system import NO_SYSTEM
from explorer.ui.models.base import TableModel

COLUMNS = ("★", "Time (UTC)", "Command", "Result")
STAR, TIME, COMMAND, RESULT = range(len(COLUMNS))
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 11
RESULT_COLOURS = {OutcomeKind.EVENTS: "#2e7d32", OutcomeKind.INVALID: "#ef6c00",
                  OutcomeKind.REJECTED: "#c62828", OutcomeKind.CONFLICT: "#6a1b9a",
                  OutcomeKind.FAILED: "#c62828"}


class HistoryModel(TableModel):
    """Rows of a History, newest first; `favourites_only` hides the rest, and `store`, if set,
    hides what was sent to other stores (favourites excepted: they are kept for any store; and
    entries from before stores were noted, whose store is unknown)."""

    def __init__(self, history: History | None = None, parent=None) -> None:
        super().__init__(parent)
        self.history = history or History(domain=NO_SYSTEM.domain)
        self.favourites_only = False
        self.store: str | None = None
        self._rows: list[int] = []  # indexes into history.entries
        self._refilter()

    def _refilter(self) -> None:
        self._rows = [i for i, entry in enumerate(self.history.entries)
                      if entry.favourite or (not self.favourites_only and (
                          self.store is None or entry.store in (None, self.store)))]

    def reset(self, history: History | None = None) -> None:
        self.beginResetModel()
        if history is not None:
            self.history = history
        self._refilter()
        self.endResetModel()

    def set_favourites_only(self, on: bool) -> None:
        self.favourites_only = on
        self.reset()

    def set_store(self, store: str | None) -> None:
        """Show only what was sent to this store (and the favourites); None: every store."""
        self.store = store
        self.reset()

    def add(self, entry_request, outcome, store: str | None = None) -> HistoryEntry:
        self.beginResetModel()
        entry = self.history.add(entry_request, outcome, store)
        self._refilter()
        self.endResetModel()
        return entry

    def toggle_favourite(self, row: int) -> None:
        index = self._rows[row]
        self.history.toggle_favourite(index)
        if self.favourites_only or self.store is not None:  # it may no longer be shown
            self.reset()
        else:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def entry(self, row: int) -> HistoryEntry | None:
        return self.history.entries[self._rows[row]] if 0 <= row < len(self._rows) else None

    def row_count(self) -> int:
        return len(self._rows)

    def headers(self) -> tuple[str, ...]:
        return COLUMNS

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry = self.entry(index.row())
        if entry is None:
            return None
        column = index.column()
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            if column == STAR:
                return "★" if entry.favourite else "☆"
            if column == TIME:
                return _when(entry.at_us)
            if column == COMMAND:
                return visible(entry.request.label())
            return _result(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STAR:
                return "Favourite: click to keep (or drop) this command among the favourites"
            lines = [f"{entry.request.label()} at {short_time(entry.at_us)[:19]} UTC"
                     f"{f' to {entry.store}' if entry.store else ''}",
                     summarize(entry.request.data, 300), entry.outcome.message]
            return "\n".join(visible(line) for line in lines if line)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == RESULT:
                return QBrush(QColor(RESULT_COLOURS.get(entry.outcome.kind, "#424242")))
            if column == STAR and entry.favourite:
                return QBrush(QColor("#f9a825"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == STAR:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


def _when(at_us: int) -> str:
    """Today's commands by their time alone; older ones with the day too (all UTC)."""
    when = short_time(at_us)  # "YYYY-MM-DD HH:MM:SS.ffffff"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    return when[11:19] if when.startswith(today) else f"{when[5:10]} {when[11:16]}"


def _result(entry: HistoryEntry) -> str:
    outcome = entry.outcome
    if outcome.kind == OutcomeKind.EVENTS:
        count = len(outcome.positions)
        return f"✓ {count} event{'s' if count != 1 else ''}" if count else "✓ nothing to do"
    return f"✗ {outcome.kind}"
