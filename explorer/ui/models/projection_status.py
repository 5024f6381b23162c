"""The projections' states as a table: state, checkpoint, lag and rate, from runner status.

Lag reads for people ("1,234 events", "2 h 05 m behind"); the seconds are in the tooltip. A
projection caught up while no events arrive handles none: its rate reads "—" (the runner's rates
are over its last few seconds, and read the catching up for a while after it).

The runner reports now and then; the window sees appended events at once (it watches the
store: `set_log_end`). A read model the runner last said caught up whose checkpoint the log has
moved past since is said "behind", by the events between them, until the runner says more."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from explorer.common.formatting import count_of, time_behind
from explorer.common.names import visible
from explorer.projections import ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.ui.models.base import TableModel

COLUMNS = ("Projection", "State", "Checkpoint", "Behind by", "Lag", "Events/s")
STATE_COLOURS = {"faulted": "#c62828", "rebuilding": "#1565c0", "running": "#1565c0",
                 "behind": "#ef6c00", "caught up": "#2e7d32", "not running": "#c62828"}
STATUS_ROLE = Qt.ItemDataRole.UserRole + 4


class ProjectionStatusModel(TableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ProjectionStatus] = []
        self._rates: dict[str, float] = {}
        self._arriving = False  # events are being appended
        self._busy = False
        self._log_end = 0  # the log's last position as the window last saw it
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_status(self, status: RunnerStatus) -> None:
        names = [p.name for p in status.projections]
        self._rates = status.handled_per_s
        self._arriving = status.appended_per_s > 0
        self._busy = status.busy
        if names != [p.name for p in self._rows]:
            self.beginResetModel()
            self._rows = list(status.projections)
            self.endResetModel()
            return
        self._rows = list(status.projections)
        self.changed_everywhere()

    def set_log_end(self, last: int) -> None:
        """The log's last position, as the window sees it (a store opened, events appended):
        what a read model is behind by, between two of the runner's reports."""
        if last != self._log_end:
            self._log_end = last
            if self._rows:
                self.changed_everywhere()

    def status(self, row: int) -> ProjectionStatus | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, name: str) -> int | None:
        return next((i for i, p in enumerate(self._rows) if p.name == name), None)

    def row_count(self) -> int:
        return len(self._rows)

    def headers(self) -> tuple[str, ...]:
        return COLUMNS

    def state(self, projection: ProjectionStatus) -> str:
        state = projection.state
        if state == "caught up" and self._log_moved_past(projection):
            return "behind"  # (what the runner said of being busy is as old as its report)
        if state == "behind" and self._busy:
            return "running"
        return state

    def behind_by(self, projection: ProjectionStatus) -> int:
        """The events the read model has yet to handle, as far as the runner or the window
        knows."""
        return max(projection.lag_events, self._log_end - projection.checkpoint)

    def _log_moved_past(self, projection: ProjectionStatus) -> bool:
        return self._log_end > max(projection.checkpoint, projection.last_position)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        projection = self._rows[index.row()]
        column = index.column()
        if role == STATUS_ROLE:
            return projection
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return projection.title
            if column == 1:
                state = self.state(projection)
                if state == "rebuilding" and projection.rebuild_target:
                    done = min(100, projection.checkpoint * 100 // projection.rebuild_target)
                    return f"rebuilding {done}%"
                return state
            if column == 2:
                return f"{projection.checkpoint:,}"
            if column == 3:  # nothing to say when caught up: the state says it
                behind = self.behind_by(projection)
                return count_of(behind, "event") if behind else "—"
            if column == 4:
                return time_behind(projection.lag_seconds) if projection.lag_seconds > 0 else "—"
            if self.state(projection) == "caught up" and not self._arriving:
                return "—"  # nothing to handle (a rate now would be its catching up's)
            return f"{self._rates.get(projection.name, 0.0):,.0f}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(QColor(STATE_COLOURS.get(self.state(projection), "#000000")))
        if role == Qt.ItemDataRole.FontRole and column == 1 and projection.fault is not None:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and projection.fault is not None:
            return (f"Stopped at position {projection.fault.position}: "
                    f"{visible(projection.fault.error)}")
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 \
                and projection.state == "caught up" and self._log_moved_past(projection):
            return (f"The log goes on to position {self._log_end:,}, past this read model's "
                    f"checkpoint ({projection.checkpoint:,}): the runner has yet to handle the "
                    "events appended since its last report.")
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and projection.note:
            return projection.note  # (its tables made again, say)
        if role == Qt.ItemDataRole.FontRole and column == 1 and projection.note:
            return self._italic
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:  # (cut short in a narrow list)
            return f"{projection.title} ({projection.name}, as the command line names it)"
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 \
                and projection.lag_seconds > 0:
            return (f"{projection.lag_seconds:,.1f} s: the first event it has yet to handle was "
                    "appended that long before the latest")
        return None
