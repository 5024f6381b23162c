"""The stream browser: a filter box over the tree of stream types and their streams. Its
selection follows the event list's view (`show_choice`), as Back and Forward restore it.

Signals:
    selected(object): the stream id chosen, or None for all events.
    pattern_changed(str): the stream id filter (substring, or * and ? wildcards).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from explorer.ui.models.stream_tree import StreamTreeModel
from explorer.ui.timers import single_shot

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem, StoreSummary


class StreamBrowser(QWidget):
    selected = Signal(object)
    pattern_changed = Signal(str)

    def __init__(self, model: StreamTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter streams: part of an id, or * and ? wildcards")
        self.filter.setClearButtonEnabled(True)
        self._debounce = single_shot(
            self, 200, lambda: self.pattern_changed.emit(self.filter.text().strip()))
        self.filter.textChanged.connect(self._debounce.start)
        self.tree = QTreeView()
        self.tree.setModel(model)
        self.tree.setUniformRowHeights(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a stream id's end tells it
        # apart (order_08…: order_0812 or order_0899?)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)
        self._choice: str | tuple[str, str] | None = None  # the entry that shows the list
        model.modelReset.connect(self._expand_all_node)
        model.modelReset.connect(lambda: self.show_choice(self._choice))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.pending = QLabel("Indexing streams…")
        self.pending.setToolTip("The store keeps no index of its streams: it is being derived "
                                "from the whole log. The events are listed meanwhile.")
        self.pending.hide()
        layout.addWidget(self.filter)
        layout.addWidget(self.pending)
        layout.addWidget(self.tree, 1)

    def _expand_all_node(self) -> None:
        self.tree.expand(self.model.all_index())

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        """A store was opened: its stream types, an unfiltered tree, all its events chosen."""
        self._choice = None
        self.model.set_types(summary.stream_types, summary.last_position)
        self.pending.setVisible(summary.streams_pending)
        self.filter.setPlaceholderText(summary.examples.stream_pattern())
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.select_all_events()

    def streams_read(self, summary: StoreSummary) -> None:
        """The stream index is built: its stream types join the tree (the choice stays)."""
        self.pending.hide()
        self.model.update_counts(summary.stream_types, summary.last_position)

    def select_all_events(self) -> None:
        self.tree.setCurrentIndex(self.model.all_index())

    def show_choice(self, choice: str | tuple[str, str] | None) -> None:
        """Select the entry that shows the event list now (a stream id, a ("type", name) pair,
        None for All events); none when it is not in the tree (a stream not loaded or filtered
        out). Selecting it emits `selected` with the list's own choice, which changes nothing."""
        self._choice = choice
        index = self.model.index_of(choice)
        if index.isValid():
            if index != self.tree.currentIndex() or not self.tree.selectionModel().isSelected(
                    index):
                self.tree.setCurrentIndex(index)
            return
        self.tree.selectionModel().clear()

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        node = self.model.node(indexes[0])
        if node is None:
            return
        if node.kind == "stream":
            self.selected.emit(node.name)
        elif node.kind == "all":
            self.selected.emit(None)
        else:  # a stream type: show its events through the stream type filter
            self.selected.emit(("type", node.name))

    def flush_pattern(self) -> None:
        """Apply a pending filter change now (tests, Enter)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self.pattern_changed.emit(self.filter.text().strip())


