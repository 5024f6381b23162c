"""Rows of a read model as of a time-travel position, the ones the event there wrote highlighted."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from explorer.ui.models.base import TableModel
from explorer.ui.models.read_model import STATUS_COLOURS, format_value
from explorer.ui.tones import TEXT_ON_TINT

CHANGED_BACKGROUND = QBrush(QColor("#fff59d"))
ROW_ROLE = Qt.ItemDataRole.UserRole + 7
SINCE = "valid_from"


class MomentRowsModel(TableModel):
    """A few rows (dicts) with a "since position" column; rows written at `changed_at` stand out."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.columns: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self.changed_at: int | None = None

    def set_rows(self, rows: list[dict[str, Any]], changed_at: int | None) -> None:
        columns = [c for c in (rows[0] if rows else {}) if c != SINCE] + ([SINCE] if rows else [])
        if columns != self.columns and (rows or not self.columns):
            self.beginResetModel()
            self.columns, self.rows, self.changed_at = columns, rows, changed_at
            self.endResetModel()
            return
        if len(rows) != len(self.rows):
            self.beginResetModel()
            self.rows, self.changed_at = rows, changed_at
            self.endResetModel()
            return
        self.rows, self.changed_at = rows, changed_at
        self.changed_everywhere()

    def append_rows(self, rows: list[dict[str, Any]]) -> None:
        """Add rows after these (a further page, as of the same position)."""
        if not rows:
            return
        if not self.columns:
            self.set_rows(rows, self.changed_at)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
        self.rows = self.rows + rows
        self.endInsertRows()

    def changed_rows(self) -> list[int]:
        return [number for number, row in enumerate(self.rows)
                if row.get(SINCE) == self.changed_at]

    def row_count(self) -> int:
        return len(self.rows)

    def headers(self) -> list[str]:
        return ["since position" if name == SINCE else name.replace("_", " ")
                for name in self.columns]

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows) \
                or not 0 <= index.column() < len(self.columns):
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        value = row.get(column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == SINCE:
                return f"{value:,}" if isinstance(value, int) else ""
            return format_value(value)
        if role == Qt.ItemDataRole.BackgroundRole:
            return CHANGED_BACKGROUND if row.get(SINCE) == self.changed_at else None
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = STATUS_COLOURS.get(value) if column == "status" and isinstance(value, str) \
                else None
            return QBrush(QColor(colour)) if colour else \
                TEXT_ON_TINT if row.get(SINCE) == self.changed_at else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == ROW_ROLE:
            return row
        return None
