"""Read-only tables (saga steps, what-if results, a model's rows to pick one of): one look
everywhere. In every one Tab moves on to the next widget (tab_leaves); the arrows move within."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
)

View = TypeVar("View", bound=QAbstractItemView)


def tab_leaves(view: View) -> View:
    """Tab and Shift+Tab move the focus to the next or previous widget, as elsewhere in the
    window, instead of from cell to cell (a table's default: Tab wrapped rows and changed the
    event or saga selected, and trapped the focus in the table)."""
    view.setTabKeyNavigation(False)
    return view


class MiddleElided(QStyledItemDelegate):
    """Cells whose too long text is cut in the middle ("fulfilment-…_37102"): ids whose end
    tells them apart (stream ids), in a view whose other columns are cut at the right."""

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt's name)
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


def elide_middle(view: QAbstractItemView, column: int) -> None:
    """Cut `column`'s too long text in the middle (MiddleElided)."""
    view.setItemDelegateForColumn(column, MiddleElided(view))


def read_only_table(headers: list[str], resize: QHeaderView.ResizeMode =
                    QHeaderView.ResizeMode.Interactive) -> QTableWidget:
    """A table of whole rows to look at and pick: no grid, no editing, no row numbers."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(resize)
    tab_leaves(table)
    return table


def row_view(model: QAbstractItemModel) -> QTableView:
    """A view of a model's rows to pick one of: compact rows, no grid, no wrapping, no row
    numbers."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
    view.setShowGrid(False)
    view.setWordWrap(False)
    tab_leaves(view)
    return view
