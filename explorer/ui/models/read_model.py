"""A read model's rows as a Qt table, paged in from the read-model database as they show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from explorer.common.names import visible
from explorer.ui.models.base import PagedTableModel, PageRequest

PAGE_ROWS = 100
BIG_CHANGE = 5000
MAX_PAGES = 40
ROW_ROLE = Qt.ItemDataRole.UserRole + 3
STATUS_COLOURS = {"failed": "#c62828", "faulted": "#c62828", "compensated": "#ef6c00",
                  "compensating": "#ef6c00", "running": "#1565c0", "completed": "#2e7d32",
                  "shipped": "#2e7d32", "cancelled": "#757575"}


class RowsModel(PagedTableModel):
    """Rows of one table; `request_page(generation, page)` asks for rows not loaded yet.

    Signals:
        first_page_loaded(): the first page after a reset arrived (views size their columns).
    """

    first_page_loaded = Signal()
    page_size = PAGE_ROWS
    max_pages = MAX_PAGES

    def __init__(self, request_page: PageRequest | None = None, parent=None, *,
                 derived: dict[str, Callable[[dict[str, Any]], Any]] | None = None) -> None:
        super().__init__(request_page, parent)
        self.derived = derived or {}
        """Columns made from a row's values (e.g. a saga's progress in words), by name."""
        self.columns: list[str] = []
        self._count = 0
        self._fresh = False

    def reset(self, columns: Sequence[str], count: int) -> int:
        """Show another table or filter; the generation pages must carry."""
        self.beginResetModel()
        generation = self._new_generation()
        # new columns: views size them again at the first page that arrives
        self._fresh = self._fresh or list(columns) != self.columns
        self.columns = list(columns)
        self._count = count
        self.endResetModel()
        return generation

    def refresh(self, count: int) -> int:
        """The same table changed: keep the view, re-read what is shown.

        A table that shrank or grew a lot (a rebuild) is reset instead: telling a view about
        hundreds of thousands of removed rows one range at a time costs it far more.
        """
        if count < self._count or count - self._count > BIG_CHANGE:
            return self.reset(self.columns, count)
        if count != self._count:
            if count > self._count:
                self.beginInsertRows(QModelIndex(), self._count, count - 1)
                self._count = count
                self.endInsertRows()
            else:
                self.beginRemoveRows(QModelIndex(), count, self._count - 1)
                self._count = count
                self.endRemoveRows()
        return self._read_again()

    def _page_shown(self, page: int) -> None:
        if self._fresh and page == 0:
            self._fresh = False
            self.first_page_loaded.emit()

    def loaded_rows(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` rows already loaded, without asking for more."""
        return self._loaded_items(limit)

    def row(self, number: int) -> dict[str, Any] | None:
        return self._item(number)

    def row_count(self) -> int:
        return self._count

    def headers(self) -> list[str]:
        return [column.replace("_", " ") for column in self.columns]

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole,
                        Qt.ItemDataRole.TextAlignmentRole, ROW_ROLE, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self.row(index.row())
        if role == ROW_ROLE:
            return row
        column = self.columns[index.column()]
        value = None if row is None else self.value(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if row is None:
                return QBrush(QColor("#9e9e9e"))
            colour = STATUS_COLOURS.get(value) if column == "status" and isinstance(value, str) \
                else None
            return QBrush(QColor(colour)) if colour else None
        if row is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        return format_value(value)


    def value(self, row: dict[str, Any], column: str) -> Any:
        """A row's value in a column: stored, or derived from the stored ones."""
        make = self.derived.get(column)
        return make(row) if make is not None else row.get(column)


def format_value(value: Any) -> str:
    """A read model's value as a cell shows it: numbers grouped, ISO times to the millisecond,
    text as `visible` shows it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    text = str(value)
    if len(text) == 27 and text.endswith("Z") and text[10] == "T":  # ISO time: trim to ms
        return text[:10] + " " + text[11:23]
    return visible(text)


def fit_columns(view, limit: int = 260) -> None:
    """Size a table's columns to the header and the first page of rows, none wider than `limit`
    pixels. (QTableView.resizeColumnsToContents would ask the model for a thousand rows, most
    of them not loaded, and for every one of them.)"""
    model: RowsModel = view.model()
    metrics = view.fontMetrics()
    header = view.horizontalHeader()
    sample = model.loaded_rows(PAGE_ROWS)
    for column, name in enumerate(model.columns):
        texts = [name.replace("_", " ")] + [format_value(model.value(row, name)) for row in sample]
        width = max(metrics.horizontalAdvance(text) for text in texts) + 24
        header.resizeSection(column, min(width, limit))
