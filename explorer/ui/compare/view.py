"""The Compare view (a bottom tab): what changed between marks A and B on the timeline.

Time > Set Mark A / Set Mark B at Cursor put the marks (drawn on the timeline); with both, or
with Compare Cursor to Live, the core's Comparer reads the summary on the history worker and
the view lists: the streams that got events (counts by stream type and event type; selecting a
stream shows its aggregate's diff from A to B), each read model's rows added, changed and
removed (selecting one shows it before and after, its changed fields marked), and the sagas
whose status changed. The lists are read a page at a time as they scroll. Export JSON… writes
the summary (the CLI's `diff --json`) to a private file.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import orjson
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.common.formatting import count_of
from explorer.common.private_files import write_private
from explorer.store import StoreError
from explorer.timetravel.compare import Comparer, Comparison, StreamComparison
from explorer.timetravel.machine import diff
from explorer.ui.compare.models import (
    ComparisonTable,
    row_cells,
    saga_cells,
    saga_kind,
    stream_cells,
)
from explorer.ui.widgets.change_tree import ChangeTree, change_summary
from explorer.ui.widgets.tables import row_view

if TYPE_CHECKING:
    from explorer.timetravel.machine import TimeMachine
    from explorer.ui.history_worker import HistoryWorker
    from explorer.ui.session import LoadedSystem, StoreSummary
    from explorer.ui.widgets.timeline import TimelineBar
    from explorer.ui.worker import JobContext


def comparer_of(machine: TimeMachine, context: JobContext) -> Comparer:
    """The worker's Comparer over the machine's store and read models (made again with them)."""
    comparer = context.cache.get("comparer")
    if comparer is None or comparer.store is not machine.store \
            or comparer.readmodels is not machine.readmodels:
        comparer = context.cache["comparer"] = Comparer(machine.store, machine.readmodels,
                                                        machine.system)
    return comparer


class CompareView(QWidget):
    """Signals:
        compared(object): the Comparison shown.
        stream_shown(object): a StreamComparison shown in the aggregate diff.
        failed(str): the comparison could not be made (why).
    """

    compared = Signal(object)
    stream_shown = Signal(object)
    failed = Signal(str)

    def __init__(self, history: HistoryWorker, timeline: TimelineBar,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.timeline = timeline
        self.marks: dict[str, int] = {}  # "A" and "B": positions on the timeline
        self.comparison: Comparison | None = None
        self.read_model: str | None = None
        self._build()

    def _build(self) -> None:
        self.title = QLabel("Set marks A and B on the timeline (Time menu) to compare two "
                            "moments.")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.export_button = QPushButton("Export JSON…")
        self.export_button.setToolTip("Write the comparison's summary as JSON (as diff --json)")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.choose_export)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)

        self.streams = ComparisonTable(("Stream", "Type", "Events", "Version"), stream_cells,
                                       request_page=self._stream_page)
        self.rows = ComparisonTable(("Change", "Key", "What changed"), row_cells,
                                    kind_of=lambda change: change.kind,
                                    request_page=self._row_page)
        self.sagas = ComparisonTable(("Saga", "Before", "After", "Reason"), saga_cells,
                                     kind_of=saga_kind, request_page=self._saga_page)
        self.types = QTreeWidget()
        self.types.setHeaderLabels(["Stream type / event type", "Streams", "Events"])
        self.types.setRootIsDecorated(True)
        _names_take_the_room(self.types)  # (the title was "Stream type / ev", Qt's 100 px)
        self.stream_view = self._table(self.streams, self._stream_chosen)
        self.stream_title = QLabel()
        self.stream_tree = ChangeTree(("Field", "At B", "At A"))
        self.models_list = QTreeWidget()  # a column a count: readable however narrow
        self.models_list.setHeaderLabels(["Read model", "Added", "Changed", "Removed"])
        self.models_list.setRootIsDecorated(False)
        _names_take_the_room(self.models_list)
        self.models_list.currentItemChanged.connect(
            lambda item, _previous: self._read_model_chosen(
                self.models_list.indexOfTopLevelItem(item) if item is not None else -1))
        self.row_view = self._table(self.rows, self._row_chosen)
        self.row_tree = ChangeTree(("Field", "At B", "At A"))
        self.saga_view = self._table(self.sagas, None)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._split(self._column(self.types, self.stream_view),
                                     self._column(self.stream_title, self.stream_tree)),
                         "Streams")
        models_split = self._split(self.models_list, self.row_view, self.row_tree)
        models_split.setSizes([380, 480, 300])
        self.tabs.addTab(models_split, "Read models")
        for view in (self.stream_view, self.row_view, self.saga_view):
            view.horizontalHeader().setStretchLastSection(True)
        # a row chosen while its page was still being read is shown once the page is in
        self.rows.dataChanged.connect(
            lambda *_: self._row_chosen(self.row_view.currentIndex().row()))
        self.tabs.addTab(self.saga_view, "Sagas")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    @staticmethod
    def _table(model: ComparisonTable, chosen) -> QTableView:
        view = row_view(model)
        if chosen is not None:
            view.selectionModel().currentRowChanged.connect(lambda index, _: chosen(index.row()))
        return view

    @staticmethod
    def _column(*widgets: QWidget) -> QWidget:
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget, 0 if isinstance(widget, QLabel) else 1)
        return holder

    @staticmethod
    def _split(*widgets: QWidget) -> QSplitter:
        split = QSplitter(Qt.Orientation.Horizontal)
        for widget in widgets:
            split.addWidget(widget)
        return split

    # -- the marks ---------------------------------------------------------------------------

    def show_store(self, _summary: StoreSummary, _loaded: LoadedSystem) -> None:
        """Another store: no marks, nothing compared."""
        for name in list(self.marks):
            self.set_mark(name, None)
        self.comparison = None
        self.export_button.setEnabled(False)
        self.title.setText("Set marks A and B on the timeline (Time menu) to compare two "
                           "moments.")
        for model in (self.streams, self.rows, self.sagas):
            model.show(0)
        self.types.clear()
        self.models_list.clear()
        self.stream_tree.clear()
        self.row_tree.clear()

    def set_mark(self, name: str, position: int | None) -> bool:
        """Put mark `name` ("A" or "B") at a position on the timeline (None: take it away);
        with both marks set, compare them. True if a comparison was asked for."""
        if position is None:
            self.marks.pop(name, None)
        else:
            self.marks[name] = position
        self.timeline.show_moment_mark(name, position)
        if "A" in self.marks and "B" in self.marks:
            self.compare(self.marks["A"], self.marks["B"])
            return True
        if position is not None:
            other = "B" if name == "A" else "A"
            self.title.setText(f"Mark {name} is at {position:,}; set mark {other} to compare.")
        return False

    def compare_to_live(self, position: int) -> None:
        """Mark A at `position` and compare it with the log's end (B goes)."""
        self.set_mark("B", None)
        self.set_mark("A", position)
        self.compare(position, None)

    # -- comparing -----------------------------------------------------------------------------

    def compare(self, before: int, after: int | None) -> None:
        """Compare position `before` with `after` (None: the log's end, live)."""
        self.title.setText(f"Comparing {before:,} with {'live' if after is None else f'{after:,}'}"
                           "…")

        def summarise(machine: TimeMachine, context: JobContext) -> Comparison:
            return comparer_of(machine, context).summary(before, after)

        self.history.submit(summarise, self._show, on_error=self._failed, key="compare")

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, ValueError | StoreError):
            raise error
        self.title.setText(f"<span style='color:#b71c1c'>{error}</span>")
        self.failed.emit(str(error))

    def _show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        live = " (live)" if comparison.after == comparison.last_position else ""
        rows = sum(m.counts.total for m in comparison.read_models)
        self.title.setText(
            f"<b>A = {comparison.before:,} → B = {comparison.after:,}</b>{live}: "
            f"{count_of(comparison.events, 'event')} in {count_of(comparison.streams, 'stream')}"
            f" · {count_of(rows, 'read-model row')} changed · "
            f"{count_of(comparison.saga_changes, 'saga')} changed status"
            + _short_text(comparison))
        self.export_button.setEnabled(True)
        self.types.clear()
        for activity in comparison.stream_types:
            item = QTreeWidgetItem([activity.stream_type, f"{activity.streams:,}",
                                    f"{activity.events:,}"])
            item.setToolTip(0, activity.stream_type)  # (a name the column cuts: whole on hover)
            for event_type, count in activity.event_types:
                child = QTreeWidgetItem([event_type, "", f"{count:,}"])
                child.setToolTip(0, event_type)
                item.addChild(child)
            self.types.addTopLevelItem(item)
        self.types.expandAll()
        self.streams.show(comparison.streams)
        self.stream_title.setText("Select a stream to see its aggregate from A to B.")
        self.stream_tree.clear()
        self.sagas.show(comparison.saga_changes, comparison.sagas)
        self.tabs.setTabText(0, f"Streams ({comparison.streams:,})")
        self.tabs.setTabText(1, f"Read models ({rows:,})")
        self.tabs.setTabText(2, f"Sagas ({comparison.saga_changes:,})")
        self.models_list.clear()
        for model in comparison.read_models:
            counts = model.counts
            item = QTreeWidgetItem([model.name, f"{counts.added:,}", f"{counts.changed:,}",
                                    f"{counts.removed:,}"])
            item.setToolTip(0, model.name)  # (cut by a narrow list: whole on hover)
            for column in (1, 2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignVCenter)
            self.models_list.addTopLevelItem(item)
            if self.models_list.topLevelItemCount() == 1:
                self.models_list.setCurrentItem(item)  # the first shown
        if not comparison.read_models:
            self.rows.show(0)
        self.compared.emit(comparison)

    # -- pages ---------------------------------------------------------------------------------

    def _submit_page(self, model: ComparisonTable, generation: int, page: int, read) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        before, after = comparison.before, comparison.after

        def job(machine: TimeMachine, context: JobContext) -> list[Any]:
            return read(comparer_of(machine, context), before, after)

        self.history.submit(job, lambda items: model.page_loaded(generation, page, items),
                            on_error=lambda _error: model.page_failed(generation, page))

    def _stream_page(self, generation: int, page: int) -> None:
        size = self.streams.page_size
        previous = self.streams.loaded_before(page) if page else None
        if page and previous is None:  # not read in order: from the start to this page
            self._submit_page(self.streams, generation, page, lambda c, a, b: c.streams(
                a, b, limit=(page + 1) * size)[page * size:])
            return
        after_stream = previous.stream_id if previous is not None else None
        self._submit_page(self.streams, generation, page, lambda c, a, b: c.streams(
            a, b, after_stream=after_stream, limit=size))

    def _row_page(self, generation: int, page: int) -> None:
        name, size = self.read_model, self.rows.page_size
        if name is not None:
            self._submit_page(self.rows, generation, page, lambda c, a, b: c.rows(
                name, a, b, offset=page * size, limit=size))

    def _saga_page(self, generation: int, page: int) -> None:
        size = self.sagas.page_size
        self._submit_page(self.sagas, generation, page, lambda c, a, b: c.sagas(
            a, b, offset=page * size, limit=size))

    # -- choosing ------------------------------------------------------------------------------

    def _read_model_chosen(self, row: int) -> None:
        comparison = self.comparison
        if comparison is None or not 0 <= row < len(comparison.read_models):
            return
        model = comparison.read_models[row]
        self.read_model = model.name
        self.rows.show(model.counts.total, model.rows)
        self.row_tree.clear()

    def _row_chosen(self, row: int) -> None:
        change = self.rows.item(row)
        if change is None:
            return
        before, after = change.before or {}, change.after or {}
        self.row_tree.show_changes(after or before, diff(before, after))

    def _stream_chosen(self, row: int) -> None:
        stream, comparison = self.streams.item(row), self.comparison
        if stream is None or comparison is None:
            return
        stream_id, before, after = stream.stream_id, comparison.before, comparison.after

        def read(machine: TimeMachine, context: JobContext) -> StreamComparison:
            return comparer_of(machine, context).stream(stream_id, before, after)

        self.history.submit(read, self._stream_read, on_error=self._failed, key="compare-stream")

    def _stream_read(self, compared: StreamComparison) -> None:
        self.stream_title.setText(
            f"<b>{compared.stream_id}</b> ({compared.stream_type}) version "
            f"{compared.version_before:,} → {compared.version_after:,} &nbsp; "
            f"{change_summary(compared.changes)}")
        self.stream_tree.show_changes(compared.after or compared.before, compared.changes)
        self.stream_shown.emit(compared)

    # -- export --------------------------------------------------------------------------------

    def choose_export(self) -> None:
        if self.comparison is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Comparison", f"compare-{self.comparison.before}-"
            f"{self.comparison.after}.json", "JSON (*.json)")
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """Write the comparison's summary as JSON to a file only its owner can read."""
        if self.comparison is not None:
            write_private(path, orjson.dumps(self.comparison.to_dict(),
                                             option=orjson.OPT_INDENT_2))


def _short_text(comparison: Comparison) -> str:
    """A warning of the read models (and sagas) built short of B, whose changes up to B the
    comparison misses (a faulted projection, one still catching up); "" if none."""
    short = comparison.short
    if not short:
        return ""
    said = ", ".join(f"{name} to {built_to:,}" for name, built_to in short)
    return (f"<br><span style='color:#b26a00'>Not yet built up to B, so their changes after "
            f"that are missing: {html.escape(said)}.</span>")


def _names_take_the_room(tree: QTreeWidget) -> None:
    """A tree of names and counts: each count's column as wide as its title and numbers, the
    names' column (the first) the room they leave, and the tree no narrower than its titles
    (its split's share at 1024x700 cut "Read model" to "Rea…"), so that every title is whole."""
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, tree.columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    tree.setMinimumWidth(sum(header.sectionSizeHint(column) for column in
                             range(tree.columnCount())) + 2 * tree.frameWidth())
