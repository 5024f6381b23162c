"""Followers: how far the `eventsourcing` library's process applications have followed their logs.

An application of the library that follows others (a process application, a projection) keeps
a `tracking` row for each log it follows: the notification id it processed up to. The explorer
does not run them; it shows them, beside its own projections: each followed application, its
position, and how many events it is behind ("lag": the followed log's last notification id, read
from that application's file beside the store, minus the position; unknown when no such file is
found). The tab shows only for a store that has followers, and is read again when the store
changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.store.foreign.library_store import LibraryStore
from explorer.ui.models.base import TableModel
from explorer.ui.widgets.tables import row_view
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem, StoreSummary

HEADERS = ("Application followed", "Position", "Lag", "Its log")
UNKNOWN_LAG = "?"
NO_LOG = "not found beside the store"


class FollowersModel(TableModel):
    """One row a followed application: name, position, lag, the file its log was read from."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_count(self) -> int:
        return len(self._rows)

    def headers(self) -> tuple[str, ...]:
        return HEADERS

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            lag = row["lag"]
            return (row["name"], f"{row['position']:,}",
                    UNKNOWN_LAG if lag is None else f"{lag:,}", row["log"] or NO_LOG)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2 and row["lag"] is None:
            return ("The followed application's log is in another file, and none named after "
                    "it was found beside this one: its end, and so the lag, is unknown.")
        return None


def read_followers(context: JobContext) -> list[dict[str, Any]]:
    """The open store's followers (none for a store that is not the library's)."""
    store = context.store
    return store.followers() if isinstance(store, LibraryStore) else []


class FollowersPanel(QWidget):
    """Signals:
        presence_changed(bool): whether the open store has followers (the tab shows only then).
    """

    presence_changed = Signal(bool)

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.model = FollowersModel(self)
        self.note = QLabel("The applications this store's application follows, as its "
                           "tracking rows say (the eventsourcing library runs them; the "
                           "explorer only reads how far they are).")
        self.note.setWordWrap(True)
        self.table = row_view(self.model)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self._location: str | None = None

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem | None = None) -> None:
        self._location = summary.location
        self.model.set_rows([])
        self.presence_changed.emit(False)
        self.reload()

    def reload(self, *_: Any) -> None:
        """Read the followers again (the store changed, or was refreshed)."""
        location = self._location
        if location is None:
            return

        def shown(rows: list[dict[str, Any]]) -> None:
            if location == self._location:  # else another store opened meanwhile
                self.model.set_rows(rows)
                self.table.resizeColumnsToContents()
                self.presence_changed.emit(bool(rows))

        def failed(error: Exception) -> None:
            if location == self._location:
                self.note.setText(f"The followers could not be read: {error}")

        self.worker.submit(read_followers, shown, key="followers", on_error=failed)
