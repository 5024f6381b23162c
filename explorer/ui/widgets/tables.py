"""Read-only tables (saga steps, what-if results, a model's rows to pick one of): one look
everywhere. In every one Tab moves on to the next widget (tab_leaves); the arrows move within."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
)

from explorer.ui.models.read_model import fit_columns

View = TypeVar("View", bound=QAbstractItemView)
Table = TypeVar("Table", bound=QTableView)


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


def compact_rows(view: Table) -> Table:
    """Rows a line of text high, as the event list's (Qt's default, 30 px, showed 8 sagas in
    the Sagas tab at 1400x900 where 11 fit)."""
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
    return view


def read_only_table(headers: list[str], resize: QHeaderView.ResizeMode =
                    QHeaderView.ResizeMode.Interactive) -> QTableWidget:
    """A table of whole rows to look at and pick: no grid, no editing, no row numbers, compact
    rows."""
    table = compact_rows(QTableWidget(0, len(headers)))
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
    compact_rows(view)
    view.setShowGrid(False)
    view.setWordWrap(False)
    tab_leaves(view)
    return view


PADDING = 24
"""The room around a cell's text that fit_columns gives it."""
TIGHT = 12
"""The room around a cell's text at the least."""
READABLE = 12
"""The characters of an id cut in the middle that still tell it apart ("fulfilm…der_005")."""


class LeadingColumnsFit(QObject):
    """A paged list's columns sized to what they show (fit_columns), then its first
    `squeezable` columns (ids: cut in the middle, whole on hover) narrowed, then the margins,
    then the `cuttable` columns (texts cut at their end, whole on hover), until its first
    `leading` columns are in view; again as the list is resized, until the user sizes a column
    himself. (The sagas list: its steps column, fourth, began at 440 px of a 465 px list, to
    be reached by scrolling sideways; then at 1024x700 its ids were cut to 'ful…001' and
    'ord…001' to keep every steps text whole.)"""

    def __init__(self, view: QTableView, squeezable: int, cuttable: tuple[int, ...] = ()) -> None:
        super().__init__(view)
        self.view = view
        self.squeezable = squeezable
        self.cuttable = cuttable
        self.leading = 0
        self.natural: list[int] = []
        """The columns' widths as fit_columns made them."""
        self._fitting = False
        self.user_sized = False
        for column in range(squeezable):
            elide_middle(view, column)
        view.viewport().installEventFilter(self)
        view.horizontalHeader().sectionResized.connect(self._section_resized)

    def fit(self, leading: int) -> None:
        """Size the columns again (new ones, or their first page): `leading` to keep in view."""
        self.leading = leading
        self.user_sized = False
        self._fitting = True
        try:
            fit_columns(self.view)
            self.natural = [self.view.columnWidth(c) for c in range(self._count())]
        finally:
            self._fitting = False
        self.squeeze()

    def need(self) -> int:
        """The width the leading columns take at their narrowest, their ids still readable
        (see `squeeze`)."""
        return sum(self._widths(None, to_headers=False, cut_texts=False)[:self.leading])

    def squeeze(self) -> None:
        """Narrow the columns until the leading ones fit the list's width (see `_widths`)."""
        if not self.natural or self.user_sized or len(self.natural) != self._count():
            return
        widths = self._widths(self.view.viewport().width())
        self._fitting = True
        try:
            header = self.view.horizontalHeader()
            for column, width in enumerate(widths[:-1]):  # (the last one stretches)
                if header.sectionSize(column) != width:
                    header.resizeSection(column, width)
        finally:
            self._fitting = False

    def _widths(self, room: int | None, *, to_headers: bool = True,
                cut_texts: bool = True) -> list[int]:
        """The columns' widths in a list `room` pixels wide (None: at their narrowest): the
        squeezable ones narrowed to READABLE characters, then the leading ones' margins to
        TIGHT, then (`cut_texts`) the cuttable ones to READABLE characters, then (`to_headers`)
        the squeezable ones to their header."""
        widths = list(self.natural)
        leading = min(self.leading, len(widths))
        metrics = self.view.fontMetrics()
        model = self.view.model()

        def header_width(column: int) -> int:
            return metrics.horizontalAdvance(str(model.headerData(
                column, Qt.Orientation.Horizontal))) + TIGHT

        headers = [header_width(c) for c in range(min(self.squeezable, leading))]
        readable = READABLE * metrics.averageCharWidth() + PADDING
        excess = [sys.maxsize if room is None else sum(widths[:leading]) - room]

        def narrow(floors: list[int], columns: Sequence[int] | None = None) -> None:
            """Narrow `columns` (the first ones: the squeezable) to their `floors`, the one
            with the most to spare first."""
            columns = range(len(floors)) if columns is None else columns
            while excess[0] > 0:
                rooms = sorted(((widths[c] - floor, c) for c, floor in zip(columns, floors,
                                                                             strict=True)),
                               reverse=True)
                if not rooms or rooms[0][0] <= 0:
                    return
                most, column = rooms[0]
                runner_up = max(rooms[1][0], 0) if len(rooms) > 1 else 0
                cut = min(excess[0], max(1, most - runner_up))
                widths[column] -= cut
                excess[0] -= cut

        narrow([max(header, readable) for header in headers])
        for column in range(leading):  # the margins
            cut = min(max(excess[0], 0), PADDING - TIGHT, max(0, widths[column] - TIGHT))
            widths[column] -= cut
            excess[0] -= cut
        if cut_texts:
            cuttable = [c for c in self.cuttable if c < leading]
            narrow([max(header_width(c), readable - PADDING + TIGHT) for c in cuttable],
                   cuttable)
        if to_headers:
            narrow(headers)
        return widths

    def _count(self) -> int:
        return self.view.model().columnCount()

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and column < self._count() - 1:  # (the last one stretches)
            self.user_sized = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.squeeze()
        return False
