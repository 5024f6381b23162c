"""The bases of the window's Qt models: a table, a table paged in by generation, and a tree.

Each says once what Qt asks of every model of its kind (`rowCount`, `columnCount`, `headerData`;
for trees `index` and `parent`); a model says only what it shows (`data`) and where its rows
are (`row_count` and `headers`, or a tree's `children_of` and `parent_of`).

A paged table knows how many rows it has but holds only the pages a view has asked for, in a
small LRU cache. It asks its owner for a missing page with `request_page(generation, page)`
(usually a worker job) and shows "loading" meanwhile; a page that arrives for an older
generation (another list was shown meanwhile) is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, overload

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

PageRequest = Callable[[int, int], None]
AnyIndex = QModelIndex | QPersistentModelIndex


class TableModel(QAbstractTableModel):
    """A flat table of `row_count()` rows under the column titles `headers()`."""

    def row_count(self) -> int:
        raise NotImplementedError

    def headers(self) -> Sequence[str]:
        raise NotImplementedError

    def changed_everywhere(self, roles: Sequence[Qt.ItemDataRole] = ()) -> None:
        """Tell the views that every cell may show something else (for `roles`; () every one)."""
        rows, columns = self.row_count(), len(self.headers())
        if rows and columns:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, columns - 1), list(roles))

    # -- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers())

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        headers = self.headers()
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(headers)):
            return headers[section]
        return None


class PagedTableModel(TableModel):
    """A table whose rows are read `page_size` at a time when a view shows them; see the module
    docstring. Subclasses call `_new_generation()` when they show another list."""

    page_size = 100
    max_pages = 40

    def __init__(self, request_page: PageRequest | None = None, parent=None) -> None:
        super().__init__(parent)
        self._request_page = request_page
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self._requested: set[int] = set()
        self.generation = 0

    def set_request_page(self, request_page: PageRequest) -> None:
        self._request_page = request_page

    def page_loaded(self, generation: int, page: int, items: list[Any]) -> None:
        """A requested page arrived; pages of an older generation are dropped."""
        if generation != self.generation:
            return
        self._requested.discard(page)
        self._pages[page] = items
        self._pages.move_to_end(page)
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        first = page * self.page_size
        last = min(first + self.page_size, self.row_count()) - 1
        columns = len(self.headers())
        if last >= first and columns:
            self.dataChanged.emit(self.index(first, 0), self.index(last, columns - 1))
        self._page_shown(page)

    def page_failed(self, generation: int, page: int) -> None:
        """A requested page could not be read: the next look at its rows asks again."""
        if generation == self.generation:
            self._requested.discard(page)

    def _page_shown(self, page: int) -> None:
        """Called after a page arrived and its rows were redrawn."""

    def _new_generation(self) -> int:
        """Forget every page (call inside a model reset); the generation pages must carry."""
        self.generation += 1
        self._pages.clear()
        self._requested.clear()
        return self.generation

    def _keep_first_pages(self, items: Sequence[Any]) -> None:
        """Keep `items`, read already, as the first rows' pages (after `_new_generation`, in
        the same model reset); a short page only if it is the list's last."""
        for start in range(0, len(items), self.page_size):
            page = items[start:start + self.page_size]
            if len(page) == self.page_size or start + len(page) == self.row_count():
                self._pages[start // self.page_size] = list(page)
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)

    def _read_again(self) -> int:
        """The rows changed in place: a new generation, the pages shown asked for again (and
        kept meanwhile, so the view does not flicker)."""
        self.generation += 1
        self._requested.clear()
        for page in list(self._pages):
            self._request(page)
        return self.generation

    def _forget_page(self, page: int) -> None:
        """This page must be read again when next shown (it was short, and rows came after)."""
        self._pages.pop(page, None)
        self._requested.discard(page)

    def _item(self, row: int) -> Any | None:
        """The item at `row` if its page is loaded; otherwise asks for the page and says None."""
        if not 0 <= row < self.row_count():
            return None
        page = row // self.page_size
        items = self._pages.get(page)
        if items is None:
            self._request(page)
            items = self._pages.get(page)  # a synchronous loader may have answered already
            if items is None:
                return None
        self._pages.move_to_end(page)
        offset = row - page * self.page_size
        return items[offset] if offset < len(items) else None

    def _loaded_items(self, limit: int) -> list[Any]:
        """Up to `limit` items already loaded, in row order, without asking for more."""
        items: list[Any] = []
        for page in sorted(self._pages):
            items.extend(self._pages[page][: limit - len(items)])
            if len(items) >= limit:
                break
        return items

    def _request(self, page: int) -> None:
        if page in self._requested or self._request_page is None:
            return
        self._requested.add(page)
        self._request_page(self.generation, page)


class TreeModel(QAbstractItemModel):
    """A tree of nodes (any objects) under the column titles `headers`: subclasses say which
    nodes are under a node (`children_of`; None is the invisible root) and whose child a node
    is (`parent_of`). Indexes carry their node (`node(index)`)."""

    headers: Sequence[str] = ()

    def children_of(self, node: Any | None) -> Sequence[Any]:
        raise NotImplementedError

    def parent_of(self, node: Any) -> tuple[Any, int] | None:
        """The node's parent and the parent's row under its own parent; None at the top."""
        raise NotImplementedError

    def node(self, index: AnyIndex) -> Any | None:
        return index.internalPointer() if index.isValid() else None

    # -- Qt model --------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, self.children_of(self.node(parent))[row])

    @overload
    def parent(self) -> QObject | None: ...
    @overload
    def parent(self, index: AnyIndex) -> QModelIndex: ...

    def parent(self, index: AnyIndex | None = None) -> QModelIndex | QObject | None:
        """The index above `index` (Qt's override); without one, the model's QObject parent
        (QObject's parent(), which this name hides)."""
        if index is None:
            return super().parent()
        if not index.isValid():
            return QModelIndex()
        above = self.parent_of(index.internalPointer())
        if above is None:
            return QModelIndex()
        parent, row = above
        return self.createIndex(row, 0, parent)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.children_of(self.node(parent)))

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.headers)):
            return self.headers[section]
        return None
