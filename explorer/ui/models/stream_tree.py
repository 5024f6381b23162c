"""The stream browser's model: All events, then stream types with counts, then their streams.

Streams of a type load lazily in batches (canFetchMore/fetchMore) from the stream index, so a type
with 100,000 streams expands at once. `request_streams(generation, type, after, limit)` asks the
owner for a batch; `streams_loaded` delivers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from explorer.common.names import visible
from explorer.store.records import StreamInfo, StreamTypeInfo
from explorer.ui.icons import icon
from explorer.ui.models.base import TreeModel

BATCH = 500
StreamRequest = Callable[[int, str, str | None, int], None]


@dataclass(eq=False)
class Node:
    kind: str  # "all", "type" or "stream"
    name: str
    parent: Node | None = None
    count: int = 0  # events for "all"; streams for "type" (those matching the tree's pattern)
    events: int = 0
    total: int = 0  # a type's streams, matching or not
    stream: StreamInfo | None = None
    children: list[Node] = field(default_factory=list)
    requested: bool = False

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0


class StreamTreeModel(TreeModel):
    """All events > stream types > streams."""

    headers = ("Stream", "Count / version")
    COLUMN_TIP = ("All events: how many events the store holds. A stream type: how many streams "
                  "it has. A stream: its version, the number of its last event.")

    def __init__(self, request_streams: StreamRequest | None = None, parent=None) -> None:
        super().__init__(parent)
        self._request = request_streams
        self._root = Node("root", "")
        self._all = Node("all", "All events", self._root)
        self._root.children.append(self._all)
        self.generation = 0
        self.pattern = ""

    def set_request_streams(self, request: StreamRequest) -> None:
        self._request = request

    def set_types(self, types: list[StreamTypeInfo], total_events: int, pattern: str = "",
                  matching: dict[str, int] | None = None) -> None:
        """Show these stream types (their counts of all streams and events), and with a
        `pattern`, how many of each type's streams match it (`matching`, by type)."""
        self.beginResetModel()
        self.generation += 1
        self.pattern = pattern
        self._all.count = total_events
        self._all.children = [
            Node("type", t.stream_type, self._all, _shown(t, pattern, matching, t.streams),
                 t.events, t.streams)
            for t in types]
        self.endResetModel()

    def update_counts(self, types: list[StreamTypeInfo], total_events: int,
                      matching: dict[str, int] | None = None) -> None:
        """New counts after appends; new types are added, and loaded types may fetch more.
        Under a pattern, `matching` are the streams of each type that match it (without it,
        the matching counts shown stay)."""
        self._all.count = total_events
        all_index = self.index(0, 0)
        self.dataChanged.emit(all_index, self.index(0, 1))
        known = {node.name: node for node in self._all.children}
        for info in types:
            node = known.get(info.stream_type)
            if node is None:
                row = len(self._all.children)
                self.beginInsertRows(all_index, row, row)
                self._all.children.append(Node(
                    "type", info.stream_type, self._all,
                    _shown(info, self.pattern, matching, 0), info.events, info.streams))
                self.endInsertRows()
                continue
            counts = (_shown(info, self.pattern, matching, node.count), info.events,
                      info.streams)
            if (node.count, node.events, node.total) != counts:
                node.count, node.events, node.total = counts
                index = self.createIndex(node.row(), 0, node)
                self.dataChanged.emit(index, index.siblingAtColumn(1))

    def streams_loaded(self, generation: int, stream_type: str, streams: list[StreamInfo]) -> None:
        if generation != self.generation:
            return
        node = next((n for n in self._all.children if n.name == stream_type), None)
        if node is None:
            return
        node.requested = False
        known = {child.name for child in node.children}
        fresh = [s for s in streams if s.stream_id not in known]
        if not fresh:
            node.count = len(node.children)  # nothing more to load
            return
        parent = self.createIndex(node.row(), 0, node)
        first = len(node.children)
        self.beginInsertRows(parent, first, first + len(fresh) - 1)
        node.children.extend(Node("stream", s.stream_id, node, stream=s) for s in fresh)
        self.endInsertRows()

    def all_index(self) -> QModelIndex:
        return self.index(0, 0)

    def index_of(self, choice: str | tuple[str, str] | None) -> QModelIndex:
        """The entry of a stream id (among those loaded), of a ("type", name) pair, or of All
        events (None); invalid when the tree has none."""
        if choice is None:
            return self.all_index()
        if isinstance(choice, tuple):
            found = next((n for n in self._all.children if n.name == choice[1]), None)
        else:
            found = next((s for n in self._all.children for s in n.children if s.name == choice),
                         None)
        return QModelIndex() if found is None else self.createIndex(found.row(), 0, found)

    # -- Qt model --------------------------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if (section == 1 and orientation == Qt.Orientation.Horizontal
                and role == Qt.ItemDataRole.ToolTipRole):
            return self.COLUMN_TIP
        return super().headerData(section, orientation, role)

    def children_of(self, node: Node | None) -> list[Node]:
        return (self._root if node is None else node).children

    def parent_of(self, node: Node) -> tuple[Node, int] | None:
        parent = node.parent
        return None if parent is None or parent is self._root else (parent, parent.row())

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        node = parent.internalPointer() if parent.isValid() else self._root
        if parent.isValid() and parent.column() != 0:
            return False
        if node.kind == "type":
            return node.count > 0
        return bool(node.children)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        node = self.node(parent)
        return (node is not None and node.kind == "type" and not node.requested
                and len(node.children) < node.count and self._request is not None)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        node, request = self.node(parent), self._request
        if node is None or request is None or not self.canFetchMore(parent):
            return
        node.requested = True
        after = node.children[-1].name if node.children else None
        request(self.generation, node.name, after, BATCH)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        node = self.node(index)
        if node is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:  # (a stream id or type of a store not written here may hold anything)
                return visible(node.name)
            if node.kind == "type" and self.pattern:  # the streams shown of all its streams
                return f"{node.count:,} of {_streams(node.total)}"
            if node.kind == "type":  # (a count of streams, where its row names no unit)
                return _streams(node.count)
            if node.kind == "all":  # (its row says events: the stream ids get the width)
                return f"{node.count:,}"
            return f"v{node.stream.version}"
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return icon({"all": "all-events", "type": "stream-type", "stream": "stream"}[node.kind])
        if role == Qt.ItemDataRole.ToolTipRole:
            name = visible(node.name)
            if node.kind == "type" and self.pattern:
                return (f"{node.count:,} of {node.total:,} {name} streams match "
                        f"“{visible(self.pattern)}”.\nSelecting the type lists all "
                        f"{node.events:,} events of the {node.total:,} streams: the filter "
                        "picks the streams shown here, not events.")
            if node.kind == "type":
                return f"{node.count:,} {name} streams with {node.events:,} events"
            if node.kind == "stream":
                return visible(f"{node.name}: {node.stream.stream_type}, version "
                               f"{node.stream.version}")
            return f"Every event in the store ({node.count:,}), in global order"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _shown(info: StreamTypeInfo, pattern: str, matching: dict[str, int] | None,
           unknown: int) -> int:
    """A type's streams the tree shows: all of them, or under a pattern those matching it
    (`unknown` when they were not counted)."""
    if not pattern:
        return info.streams
    return matching.get(info.stream_type, 0) if matching is not None else unknown


def _streams(count: int) -> str:
    return f"{count:,} stream{'' if count == 1 else 's'}"
