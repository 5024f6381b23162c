"""A read-only tree model over a JSON value: objects and lists expand, scalars show their value.

A time kept as microseconds since 1970 (a field such as `at` or `scheduled_at`) shows as a UTC
time, its stored number in the tooltip."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from explorer.common.formatting import clock_time, is_time_field, raw_time
from explorer.common.names import visible
from explorer.ui.models.base import TreeModel

COLOURS = {"string": QBrush(QColor("#2e7d32")), "number": QBrush(QColor("#1565c0")),
           "boolean": QBrush(QColor("#6a1b9a")), "null": QBrush(QColor("#757575")),
           "time": QBrush(QColor("#00695c"))}


class _Item:
    __slots__ = ("key", "value", "parent", "children", "row")

    def __init__(self, key: str, value: Any, parent: _Item | None, row: int) -> None:
        self.key = key
        self.value = value
        self.parent = parent
        self.row = row
        if isinstance(value, dict):
            self.children = [_Item(str(k), v, self, i) for i, (k, v) in enumerate(value.items())]
        elif isinstance(value, list):
            self.children = [_Item(f"[{i}]", v, self, i) for i, v in enumerate(value)]
        else:
            self.children = []


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "list"


SHOWN_TEXT_MAX = 10_000
"""The characters of a stored string shown (in a cell, or in the event's JSON text); a longer
one is cut there and says its length. Qt lays out a line of 50 MB for minutes, the window
frozen meanwhile. (Copy as JSON copies the whole event.)"""


def cut_long(text: str) -> str:
    """`text`, or its first SHOWN_TEXT_MAX characters and how long it is."""
    if len(text) <= SHOWN_TEXT_MAX:
        return text
    return f"{text[:SHOWN_TEXT_MAX]}… ({len(text):,} characters in all)"


def with_long_text_cut(value: Any) -> Any:
    """A JSON value with each string longer than SHOWN_TEXT_MAX cut as `cut_long` cuts it."""
    if isinstance(value, str):
        return cut_long(value)
    if isinstance(value, dict):
        return {key: with_long_text_cut(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_long_text_cut(item) for item in value]
    return value


def show_value(value: Any) -> str:
    """A value as its cell shows it: a string quoted and as `visible` shows it (a long one cut:
    `cut_long`), an object or a list by its size."""
    kind = kind_of(value)
    if kind == "object":
        return f"{{{len(value)} field{'s' if len(value) != 1 else ''}}}"
    if kind == "list":
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    if kind == "string":
        return f'"{visible(cut_long(value))}"'
    if kind == "null":
        return "null"
    return str(value).lower() if kind == "boolean" else repr(value)


class JsonTreeModel(TreeModel):
    """Columns: key and value. `set_value` replaces the whole document."""

    headers = ("Field", "Value")

    def __init__(self, value: Any = None, parent=None) -> None:
        super().__init__(parent)
        self._root = _Item("", {}, None, 0)
        if value is not None:
            self.set_value(value)

    def set_value(self, value: Any) -> None:
        self.beginResetModel()
        self._root = _Item("", value if isinstance(value, dict | list) else {"value": value},
                           None, 0)
        self.endResetModel()

    def children_of(self, node: _Item | None) -> list[_Item]:
        return (self._root if node is None else node).children

    def parent_of(self, node: _Item) -> tuple[_Item, int] | None:
        parent = node.parent
        return None if parent is None or parent is self._root else (parent, parent.row)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item: _Item = index.internalPointer()
        is_time = index.column() == 1 and is_time_field(item.key, item.value)
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return visible(item.key)
            return f"{clock_time(item.value)} UTC" if is_time else show_value(item.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 0:
                return visible(item.key)
            return raw_time(item.value) if is_time else show_value(item.value)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return COLOURS["time"] if is_time else COLOURS.get(kind_of(item.value))
        return None
