"""Cause and effect of the selected event: what caused it, and its request as a tree.

Signals:
    navigate(str): the event id of an event the user chose to go to.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeView, QVBoxLayout, QWidget

from explorer.browsing.causality import CausalNode, describe_cause
from explorer.store.records import RecordedEvent
from explorer.ui.models.causal_tree import NODE_ROLE, CausalTreeModel
from explorer.ui.tones import muted


class CausalityPanel(QWidget):
    navigate = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cause = QLabel("Select an event to see what caused it.")
        self.cause.setTextFormat(Qt.TextFormat.RichText)
        self.cause.setWordWrap(True)
        self.cause.linkActivated.connect(self.navigate.emit)
        self.summary = QLabel()
        self.summary.setStyleSheet(f"color: {muted()};")
        self.model = CausalTreeModel()
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)  # requests nest deeply: command, event, command, ...
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.activated.connect(self._activated)
        self.tree.clicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.cause)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)

    def clear(self) -> None:
        self.cause.setText("Select an event to see what caused it.")
        self.summary.clear()
        self.model.set_tree([])

    def show_causality(self, event: RecordedEvent, cause: RecordedEvent | None,
                       roots: list[CausalNode], count: int, total: int | None = None) -> None:
        """Show what caused `event` and the tree of its request: `roots`, of its first `count`
        events of `total` (the tree reads so many at most)."""
        text = html.escape(describe_cause(event, cause))
        if cause is not None:
            text = f"<a href='{html.escape(cause.event_id)}'>{text}</a>"
        self.cause.setText(f"<b>Caused by</b> {text}")
        total = count if total is None else total
        self.model.set_tree(roots, event.event_id)
        focus = self.model.find(event.event_id)
        shown = (f"{count:,} event{'s' if count != 1 else ''}" if total <= count else
                 f"the first {count:,} of its {total:,} events"
                 + ("" if focus.isValid() else ", this one not among them"))
        self.summary.setText(f"Request {event.correlation_id} · {shown}"
                             if event.correlation_id else "This event has no correlation id.")
        self.tree.expandAll()
        if focus.isValid():
            self.tree.scrollTo(focus)

    def _activated(self, index: QModelIndex) -> None:
        node: CausalNode | None = index.data(NODE_ROLE)
        if node is not None and node.event is not None and node.id != self.model.focus_id:
            self.navigate.emit(node.id)
