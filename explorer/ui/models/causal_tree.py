"""The model of one request's cause-and-effect tree: commands and the events they recorded."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from explorer.browsing.causality import CausalNode
from explorer.common.formatting import short_time
from explorer.common.names import visible
from explorer.ui.icons import icon
from explorer.ui.models.base import TreeModel
from explorer.ui.models.event_table import position_text

NODE_ROLE = Qt.ItemDataRole.UserRole + 2
DAY_US = 86_400_000_000


class CausalTreeModel(TreeModel):
    """Columns: what (command or event) and when. The focused event is shown in bold.

    When is the time of day while the tree's events all fall on one day (UTC), and the date and
    time once they do not: a request that runs past midnight reads in order."""

    headers = ("Command or event", "Time (UTC)")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._roots: list[CausalNode] = []
        self._parents: dict[int, tuple[CausalNode | None, int]] = {}
        self.focus_id: str | None = None
        self.one_day = True  # the tree's events all fall on one UTC day: times without dates
        self._bold = QFont()
        self._bold.setBold(True)

    def set_tree(self, roots: list[CausalNode], focus_id: str | None = None) -> None:
        self.beginResetModel()
        self._roots = roots
        self.focus_id = focus_id
        self._parents = {}
        for row, root in enumerate(roots):
            self._index_children(root, None, row)
        days = {node.event.timestamp_us // DAY_US
                for root in roots for node in root.walk() if node.event is not None}
        self.one_day = len(days) <= 1
        self.endResetModel()

    def _index_children(self, node: CausalNode, parent: CausalNode | None, row: int) -> None:
        self._parents[id(node)] = (parent, row)
        for child_row, child in enumerate(node.children):
            self._index_children(child, node, child_row)

    def find(self, node_id: str) -> QModelIndex:
        """The index of the node with this id, or an invalid index."""
        for root in self._roots:
            for node in root.walk():
                if node.id == node_id:
                    _, node_row = self._parents[id(node)]
                    return self.createIndex(node_row, 0, node)
        return QModelIndex()

    def children_of(self, node: CausalNode | None) -> list[CausalNode]:
        return self._roots if node is None else node.children

    def parent_of(self, node: CausalNode) -> tuple[CausalNode, int] | None:
        parent, _ = self._parents[id(node)]
        return None if parent is None else (parent, self._parents[id(parent)][1])

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node: CausalNode = index.internalPointer()
        if role == NODE_ROLE:
            return node
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                if node.kind == "command":
                    return visible(f"{node.label}" + (f"  ·  {node.issued_by}"
                                                      if node.issued_by else ""))
                return visible(node.label)
            if node.event is None:
                return ""
            shown = short_time(node.event.timestamp_us)  # 2026-01-05 08:00:01.123
            return shown[11:] if self.one_day else shown
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
            return icon("command" if node.kind == "command" else "event")
        if role == Qt.ItemDataRole.FontRole and node.id == self.focus_id:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            if node.event is not None:
                return (f"{visible(node.label)}\nPosition {position_text(node.event.position)}"
                        f" · {short_time(node.event.timestamp_us)} UTC\n"
                        f"{visible(node.event.event_id)}")
            return f"Command {visible(node.id)}"
        return None
