"""The Watch panel's rows: each pinned expression and its value as of the cursor (or why it
cannot be read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from explorer.common.names import visible
from explorer.ui.models.base import AnyIndex, TableModel

PROBLEM = QBrush(QColor("#c62828"))
NOT_YET = QBrush(QColor("#9e9e9e"))


@dataclass
class WatchRow:
    """A pinned expression; `value` as of `position` once read; `problem` if it cannot be."""

    text: str
    value: Any = None
    position: int | None = None
    problem: str = ""


def value_text(value: Any) -> str:
    """A watched value as the panel shows it: JSON for lists and objects, "none" for a field,
    cell or stream that does not exist there; text as `visible` shows it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str):
        return visible(value)
    return visible(orjson.dumps(value).decode())


class WatchListModel(TableModel):
    """The pinned expressions, in the order they were added."""

    HEADERS = ("Watch", "As of the cursor")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[WatchRow] = []

    def row_count(self) -> int:
        return len(self.rows)

    def headers(self) -> Sequence[str]:
        return self.HEADERS

    @property
    def texts(self) -> list[str]:
        return [row.text for row in self.rows]

    def set_rows(self, rows: list[WatchRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def add(self, row: WatchRow) -> None:
        at = len(self.rows)
        self.beginInsertRows(QModelIndex(), at, at)
        self.rows.append(row)
        self.endInsertRows()

    def remove(self, at: int) -> None:
        if not 0 <= at < len(self.rows):
            return
        self.beginRemoveRows(QModelIndex(), at, at)
        del self.rows[at]
        self.endRemoveRows()

    def set_values(self, position: int, values: dict[str, Any]) -> None:
        """The values as of `position`, by expression (those not given keep theirs)."""
        for row in self.rows:
            if row.text in values and not row.problem:
                row.value, row.position = values[row.text], position
        self.changed_everywhere((Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                 Qt.ItemDataRole.ForegroundRole))

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return visible(row.text)
            if row.problem:
                return visible(row.problem)
            return "…" if row.position is None else value_text(row.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.problem:
                return visible(row.problem)
            if column == 1 and row.position is not None:
                return (f"{visible(row.text)} as of position {row.position:,}: "
                        f"{value_text(row.value)}")
            return visible(row.text)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            if row.problem:
                return PROBLEM
            if row.position is None:
                return NOT_YET
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
