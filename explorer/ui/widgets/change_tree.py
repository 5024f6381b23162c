"""What changed between two JSON values, as a tree in the As of Cursor tab's colours: every field
of the new value, a changed one in amber with its old value beside it, an added one in green, a
removed one in red and struck out. The changes are the core's (`explorer.timetravel.machine.diff`);
this only shows them. Used for what an upcast changed and for what-if's read-model rows.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from explorer.common.field_paths import child_path, parent_path, part_key, path_parts
from explorer.common.formatting import clock_time, is_time_field, raw_time
from explorer.timetravel.machine import FieldChange
from explorer.ui.models.json_tree import cut_long
from explorer.ui.models.read_model import format_value
from explorer.ui.tones import TEXT_ON_TINT, TINT_TEXT

CHANGE_COLOURS = {"changed": "#ffe082", "added": "#c8e6c9", "removed": "#ffcdd2"}
EXPAND_ALL_UNDER = 120  # trees with fewer nodes open fully
FIELD, VALUE, BEFORE = range(3)
LATER_ROLE = Qt.ItemDataRole.UserRole + 4  # a closed item's value and path: its fields, to make


def change_summary(changes: Iterable[FieldChange]) -> str:
    """Rich text counting the changes by kind, each in its colour ("1 changed, 2 added"), or ""."""
    changes = list(changes)
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in CHANGE_COLOURS}
    return ", ".join(f"<span style='background:{CHANGE_COLOURS[kind]}; color:{TINT_TEXT}'>"
                     f"&nbsp;{n} {html.escape(kind)}&nbsp;</span>"
                     for kind, n in counts.items() if n)


class ChangeTree(QTreeWidget):
    """Columns: the field, its value now, and its value before (for what changed)."""

    def __init__(self, headers: tuple[str, str, str] = ("Field", "Value", "Before"),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(list(headers))
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.header().resizeSection(FIELD, 130)
        self.header().resizeSection(VALUE, 160)
        self.first_change: QTreeWidgetItem | None = None  # the first item marked, if any
        self.itemExpanded.connect(self._fill)

    def show_changes(self, value: dict[str, Any], changes: list[FieldChange], *,
                     expand_all: bool = True) -> None:
        """Show `value` with `changes` marked (all of it, replacing what was shown), scrolled to
        the first change. A small tree opens fully, unless not `expand_all`: then only the
        fields on the way to a change open (the others' fields are made when opened)."""
        self.clear()
        self.first_change = None
        whole = expand_all and node_count(value, EXPAND_ALL_UNDER) < EXPAND_ALL_UNDER
        self.add_changes(self.invisibleRootItem(), value, changes, lazy=not whole)
        if whole:
            self.expandAll()
        if self.first_change is not None:
            self.scrollToItem(self.first_change)

    def add_changes(self, parent: QTreeWidgetItem, value: dict[str, Any],
                    changes: list[FieldChange], *, lazy: bool = False) -> int:
        """Add `value`'s fields under `parent`, `changes` marked; the number of items added.
        The fields on the way to a change are bold and open. With `lazy`, the fields of one
        that stays closed are made when it is opened (a state of thousands of fields costs
        tens of milliseconds to show whole, on every move of the timeline's cursor)."""
        by_path = {change.path: change for change in changes}
        removed_under: dict[str, list[FieldChange]] = {}
        for change in changes:
            if change.kind == "removed":
                removed_under.setdefault(parent_path(change.path), []).append(change)
        marked = {ancestor for path in by_path for ancestor in ancestors(path)}
        count = 0

        def add(under, key: str, field_value: Any, path: str) -> None:
            nonlocal count
            count += 1
            item = self._item(under, key, field_value, path)
            change = by_path.get(path)
            if change is not None:
                _mark(item, change, self.short)
                self._first(item)
            elif path in marked:
                font = item.font(FIELD)
                font.setBold(True)
                item.setFont(FIELD, font)
            if lazy and path not in marked and _fields(field_value):
                _later(item, field_value, path)
            else:
                for child_key, child, child_path in _children(field_value, path):
                    add(item, child_key, child, child_path)
            for gone in removed_under.get(path, []):
                count += 1
                self._first(_removed(item, gone, self.short))
            if path in marked:
                item.setExpanded(True)

        for key, field_value in value.items():
            add(parent, str(key), field_value, str(key))
        for gone in removed_under.get("", []):
            count += 1
            self._first(_removed(parent, gone, self.short))
        return count

    def _item(self, under: Any, key: str, value: Any, path: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(under, [key, self.short(key, value), ""])
        self.describe(item, key, value, path)
        return item

    def _fill(self, item: QTreeWidgetItem) -> None:
        """Make the fields of an item opened for the first time (see add_changes' `lazy`):
        one level, each of theirs made when it is opened in turn."""
        later = item.data(FIELD, LATER_ROLE)
        if later is None:
            return
        item.setData(FIELD, LATER_ROLE, None)
        item.setChildIndicatorPolicy(
            QTreeWidgetItem.ChildIndicatorPolicy.DontShowIndicatorWhenChildless)
        for key, value, path in _children(*later):
            child = self._item(item, key, value, path)
            if _fields(value):
                _later(child, value, path)

    def short(self, key: str, value: Any) -> str:
        """A field's value as its Value and Before columns show it."""
        return _short(key, value)

    def describe(self, item: QTreeWidgetItem, key: str, value: Any, path: str) -> None:
        """Give a field's item its tooltips (a time's stored value)."""
        if is_time_field(key, value):
            item.setToolTip(VALUE, raw_time(value))

    def _first(self, item: QTreeWidgetItem) -> None:
        if self.first_change is None:
            self.first_change = item


def _short(key: str, value: Any) -> str:
    if is_time_field(key, value):
        return f"{clock_time(value)} UTC"
    if isinstance(value, dict):
        return f"{{{len(value)} field{'s' if len(value) != 1 else ''}}}"
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    if isinstance(value, str):
        return cut_long(value)
    return str(value).lower() if isinstance(value, bool) else format_value(value)


def _fields(value: Any) -> bool:
    """Whether a value has fields of its own to show (a non-empty object or list)."""
    return bool(value) and isinstance(value, dict | list)


def _later(item: QTreeWidgetItem, value: Any, path: str) -> None:
    """Keep a closed item's value to make its fields when it is opened (ChangeTree._fill)."""
    item.setData(FIELD, LATER_ROLE, (value, path))
    item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)


def _children(value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    """A value's fields: (key as shown, value, path), `path` being the value's own."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield str(key), child, child_path(path, str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield f"[{index}]", child, child_path(path, index)


def node_count(value: Any, limit: int) -> int:
    """How many fields a value holds, at every depth; counting stops at `limit`."""
    count = 0
    stack = [value]
    while stack:
        top = stack.pop()
        fields = top.values() if isinstance(top, dict) else top if isinstance(top, list) else ()
        for field in fields:
            count += 1
            if count >= limit:
                return count
            if isinstance(field, dict | list):
                stack.append(field)
    return count


def ancestors(path: str) -> tuple[str, ...]:
    """The paths of the fields holding this one, innermost first."""
    chain = []
    while path:
        path = parent_path(path)
        if path:
            chain.append(path)
    return tuple(chain)


def _key(path: str) -> str:
    """The last step's key as shown: `sku`, `hold.1@berlin` (quoted in the path), `[0]`."""
    last = path_parts(path)[-1] if path else ""
    key = part_key(last) if last else ""
    return key if isinstance(key, str) else last


def _mark(item: QTreeWidgetItem, change: FieldChange,
          short: Callable[[str, Any], str]) -> None:
    brush = QBrush(QColor(CHANGE_COLOURS[change.kind]))
    for column in (FIELD, VALUE, BEFORE):
        item.setBackground(column, brush)
        item.setForeground(column, TEXT_ON_TINT)
    key = _key(change.path)
    if change.kind == "changed":
        item.setText(BEFORE, short(key, change.before))
        item.setToolTip(VALUE, f"was {change.before!r}, now {change.after!r}")
    elif change.kind == "added":
        item.setText(BEFORE, "(new)")


def _removed(parent, change: FieldChange, short: Callable[[str, Any], str]) -> QTreeWidgetItem:
    key = _key(change.path)
    item = QTreeWidgetItem(parent, [key, "(removed)", short(key, change.before)])
    font = QFont(item.font(FIELD))
    font.setStrikeOut(True)
    item.setFont(FIELD, font)
    item.setFont(BEFORE, font)
    _mark(item, change, short)
    item.setText(BEFORE, short(key, change.before))
    return item
