"""The Compare view's tables: what changed between marks A and B, a page at a time.

One model shows each list (the streams that got events, a read model's rows, the sagas whose
status changed): it knows the count from the comparison's summary and asks its owner for the
pages a view shows (PagedTableModel). What a row says is the model's `cells`; a row's colour is
its kind of change, in the change trees' colours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from explorer.projections.changes import RowChange
from explorer.store.activity import StreamActivity
from explorer.timetravel.compare import SagaChange
from explorer.ui.models.base import PagedTableModel, PageRequest
from explorer.ui.models.read_model import format_value
from explorer.ui.tones import TEXT_ON_TINT
from explorer.ui.widgets.change_tree import CHANGE_COLOURS

LOADING = "…"


def key_text(key: dict[str, Any]) -> str:
    return " / ".join(format_value(value) for value in key.values())


def row_change_text(change: RowChange) -> str:
    """What a read model's row change was, in one line: changed fields before -> after, or the
    values of a row added or removed."""
    if change.kind == "changed" and change.before is not None and change.after is not None:
        return "; ".join(f"{name}: {format_value(change.before.get(name))} → "
                         f"{format_value(change.after.get(name))}" for name in change.fields)
    values = (change.after if change.kind == "added" else change.before) or {}
    return ", ".join(f"{name}: {format_value(value)}" for name, value in values.items()
                     if name not in change.key)


def stream_cells(stream: StreamActivity) -> tuple[str, ...]:
    return (stream.stream_id, stream.stream_type, f"{stream.events:,}",
            f"{stream.version_before:,} → {stream.version_after:,}")


def row_cells(change: RowChange) -> tuple[str, ...]:
    return (change.kind, key_text(change.key), row_change_text(change))


def saga_cells(change: SagaChange) -> tuple[str, ...]:
    return (change.saga_id, change.before or "(none)", change.after or "(none)",
            change.reason or "")


def saga_kind(change: SagaChange) -> str:
    return "added" if change.before is None else "removed" if change.after is None else \
        "changed"


class ComparisonTable(PagedTableModel):
    """`count` items under `headers`, each shown by `cells`, coloured by `kind_of` (an item's
    kind of change); pages come from `request_page` (usually a worker job)."""

    def __init__(self, headers: Sequence[str], cells: Callable[[Any], tuple[str, ...]],
                 kind_of: Callable[[Any], str] | None = None,
                 request_page: PageRequest | None = None, parent=None) -> None:
        super().__init__(request_page, parent)
        self._headers = tuple(headers)
        self._cells = cells
        self._kind_of = kind_of
        self.count = 0

    def headers(self) -> Sequence[str]:
        return self._headers

    def row_count(self) -> int:
        return self.count

    def show(self, count: int, first: list[Any] | None = None) -> None:
        """A new list of `count` items; `first` are its first items if already known (used
        only if they fill the first page: a short page would never be read whole)."""
        self.beginResetModel()
        generation = self._new_generation()
        self.count = count
        self.endResetModel()
        if first and len(first) >= min(count, self.page_size):
            self.page_loaded(generation, 0, first[: self.page_size])

    def item(self, row: int) -> Any | None:
        """The item at `row`, or None while its page is being read."""
        return self._item(row)

    def loaded_before(self, page: int) -> Any | None:
        """The last item of the page before `page`, if loaded (for reading on by key)."""
        items = self._pages.get(page - 1)
        return items[-1] if items else None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._item(index.row())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if item is None:
                return LOADING if index.column() == 0 else ""
            return self._cells(item)[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and item is not None and self._kind_of:
            colour = CHANGE_COLOURS.get(self._kind_of(item))
            return QBrush(QColor(colour)) if colour and index.column() == 0 else None
        if role == Qt.ItemDataRole.ForegroundRole and item is not None and self._kind_of:
            tinted = index.column() == 0 and self._kind_of(item) in CHANGE_COLOURS
            return TEXT_ON_TINT if tinted else None
        return None
