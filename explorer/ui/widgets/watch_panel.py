"""The Watch panel: values pinned by the user, each as of the time cursor, and plotted over the
whole timeline on request.

The user types an expression (`prod_101.on_hand`, `order_summary[order_0870].status`,
`count(sagas where status = "failed")`: explorer.timetravel.watch) and adds it; a mistake is
said under the field. Each row shows its value as of the cursor, read on the time cursor's
worker as the cursor moves: one read at a time, and while one runs only the newest position
waits (never a queue of stale reads). A value is read from the watch's series (kept on the
worker, read again for a position past it), so that moving the cursor costs a lookup, not a
query. "Plot" draws the
selected watch over the whole log under the timeline's x axis (explorer.ui.widgets.watch_plot),
one plot a watch, stacked, each sharing the timeline's range and cursor; "Plot" again on a
plotted watch takes its plot away. `pin` adds a watch from elsewhere (the As of panel's "Watch
this"). The watches are kept with the store's view (explorer.ui.settings) and come back with it.
"""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from explorer.store.errors import StoreError
from explorer.timetravel.watch import EXAMPLES, Series, Watch, Watcher
from explorer.ui import settings
from explorer.ui.models.watches import WatchListModel, WatchRow
from explorer.ui.time_cursor import _machine
from explorer.ui.widgets.tables import row_view
from explorer.ui.worker import JobContext

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem, StoreSummary
    from explorer.ui.time_cursor import TimeTravel
    from explorer.ui.widgets.timeline import TimelineBar
    from explorer.ui.widgets.watch_plot import WatchPlot

PLOT_POINTS = 2_000
PLOT_MODULE = "explorer.ui.widgets.watch_plot"
SERIES_CACHE = "watch-series"
READ_ERRORS = (ValueError, LookupError, StoreError)
READ_FAILED = "The watches could not be read"
RECHECK_S = 1.0
PLOT_MIN_HEIGHT = 90


def _series(context: JobContext, watcher: Watcher, text: str, position: int,
            ) -> tuple[Watch, Series]:
    """The watch and its whole series, kept on the worker: history does not change, so the
    series answers for any position up to where it was read (and its read model was built),
    and is read again only for a later position (a read model's at most every RECHECK_S)."""
    kept: dict[str, tuple[float, Watch, Series]] = context.cache.setdefault(SERIES_CACHE, {})
    found = kept.get(text)
    if found is not None:
        read_at, watch, series = found
        built_to = series.last if series.built_to is None else series.built_to
        if position <= built_to or (position <= series.last
                                    and time.monotonic() - read_at < RECHECK_S):
            return watch, series
    watch = watcher.parse(text)
    found = kept[text] = (time.monotonic(), watch, watcher.series(watch))
    return found[1], found[2]


def _value(context: JobContext, watcher: Watcher, text: str, position: int) -> Any:
    watch, series = _series(context, watcher, text, position)
    if position > series.last or (series.built_to is not None and position > series.built_to):
        return watcher.value_at(watch, position)  # the read model has not got there yet
    return series.value_at(position)


class WatchPanel(QWidget):
    """Signals:
        watches_changed(list): the pinned expressions (saved with the store's view).
    """

    watches_changed = Signal(list)

    def __init__(self, travel: TimeTravel, timeline: TimelineBar,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.travel = travel
        self.timeline = timeline
        self.location: str | None = None
        self.model = WatchListModel(self)
        self.plots: dict[str, WatchPlot] = {}  # by watch, in the order plotted
        self._generation = 0
        self._in_flight = False
        self._wanted: int | None = None
        self._build()
        travel.cursor_moved.connect(self.cursor_moved)
        travel.samples_ready.connect(lambda _samples: self._sync_axis())
        timeline.axis.currentIndexChanged.connect(lambda _index: self._sync_axis())

    def _build(self) -> None:
        self.entry = QLineEdit()
        self.entry.setPlaceholderText(f"A value to watch: {EXAMPLES}")
        self.entry.setClearButtonEnabled(True)
        self.entry.returnPressed.connect(self.add)
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Pin the value to this panel (Enter)")
        self.add_button.clicked.connect(self.add)
        self.plot_button = QPushButton("Plot")
        self.plot_button.setToolTip("Plot the selected watch over the whole timeline, under "
                                    "the others plotted (again: take its plot away)")
        self.plot_button.clicked.connect(self.plot_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Unpin the selected watch (Delete)")
        self.remove_button.clicked.connect(self.remove_selected)
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entry, 1)
        entry_row.addWidget(self.add_button)
        entry_row.addSpacing(12)
        entry_row.addWidget(self.plot_button)
        entry_row.addWidget(self.remove_button)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.hide()
        self.view = row_view(self.model)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 360)
        header.setStretchLastSection(True)
        self.view.doubleClicked.connect(lambda _index: self.plot_selected())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        remove = QShortcut(QKeySequence.StandardKey.Delete, self.view, self.remove_selected,
                           context=Qt.ShortcutContext.WidgetShortcut)
        remove.setWhatsThis("Remove the selected watches")  # (as the shortcuts list names it)
        self.plot_holder = QWidget()
        self.plot_layout = QVBoxLayout(self.plot_holder)
        self.plot_layout.setContentsMargins(0, 0, 0, 0)
        self.plot_holder.hide()
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.view)
        self.split.addWidget(self.plot_holder)
        self.split.setSizes([120, 220])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(entry_row)
        layout.addWidget(self.problem)
        layout.addWidget(self.split, 1)
        self._update_buttons()

    # -- the store -------------------------------------------------------------------------

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        """A store was opened: its saved watches come back."""
        self._generation += 1
        self._in_flight, self._wanted = False, None
        self.location = summary.location
        self.model.set_rows([WatchRow(text) for text in settings.watches(summary.location)])
        self._show_problem("")
        self._hide_plot()  # values are read once the cursor's first moment is (cursor_moved)

    def _save(self) -> None:
        texts = self.model.texts
        if self.location is not None:
            settings.save_watches(self.location, texts)
        self.watches_changed.emit(texts)

    # -- pinning ---------------------------------------------------------------------------

    def add(self) -> None:
        """Pin the typed expression, once it reads; else say what is wrong under the field."""
        self.pin(self.entry.text().strip(), typed=True)

    def pin(self, text: str, typed: bool = False) -> None:
        """Pin `text` (typed in the field, or chosen elsewhere: then it is put in the field,
        where a mistake is said), selecting it; one already pinned is selected."""
        if not typed:
            self.entry.setText(text)
        if self.location is None:
            self._show_problem("Open a store first: a watch reads its history.")
            return
        if text in self.model.texts:
            self.view.selectRow(self.model.texts.index(text))
            self._show_problem(f"{text} is already watched." if typed else "")
            return
        position, generation = self.travel.position, self._generation

        def read(context: JobContext) -> Any:
            watcher = Watcher(_machine(context))
            watcher.parse(text)
            return _value(context, watcher, text, position)

        def done(value: Any) -> None:
            if generation != self._generation:
                return
            self.model.add(WatchRow(text, value, position))
            self.entry.clear()
            self._show_problem("")
            self.view.selectRow(self.model.row_count() - 1)
            self._save()

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self._show_problem(str(error))

        self.travel.worker.submit(read, done, on_error=failed)

    def remove_selected(self) -> None:
        row = self._selected()
        if row is None:
            return
        self._drop_plot(self.model.rows[row].text)
        self.model.remove(row)
        self._save()
        self._update_buttons()

    def _selected(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _update_buttons(self) -> None:
        row = self._selected()
        self.plot_button.setEnabled(row is not None)
        self.remove_button.setEnabled(row is not None)
        plotted = row is not None and self.model.rows[row].text in self.plots
        self.plot_button.setText("Unplot" if plotted else "Plot")

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    # -- values as of the cursor -------------------------------------------------------------

    def cursor_moved(self, position: int) -> None:
        """Read every watch as of `position`: now, or after the read in flight (the newest
        position only)."""
        if self.location is None or not self.model.rows:
            return
        if self._in_flight:
            self._wanted = position
            return
        self._in_flight = True
        texts, generation = self.model.texts, self._generation

        def read(context: JobContext) -> tuple[dict[str, Any], dict[str, str]]:
            watcher = Watcher(_machine(context))
            values: dict[str, Any] = {}
            problems: dict[str, str] = {}
            for text in texts:
                try:
                    values[text] = _value(context, watcher, text, position)
                except READ_ERRORS as error:
                    problems[text] = str(error)
            return values, problems

        def done(result: tuple[dict[str, Any], dict[str, str]]) -> None:
            if generation != self._generation:
                return
            values, problems = result
            for row in self.model.rows:
                row.problem = problems.get(row.text, "")
            if self.problem.text().startswith(READ_FAILED):
                self._show_problem("")
            self.model.set_values(position, values)
            self._next()

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self._show_problem(f"{READ_FAILED}: {error}")
                self._next()

        self.travel.worker.submit(read, done, on_error=failed)
        for plot in self.plots.values():
            plot.set_cursor(position)

    def _next(self) -> None:
        self._in_flight = False
        if self._wanted is not None:
            wanted, self._wanted = self._wanted, None
            self.cursor_moved(wanted)

    # -- the plot ----------------------------------------------------------------------------

    def plot_selected(self) -> None:
        """Plot the selected watch over the whole log, under those plotted already; take its
        plot away if it has one."""
        row = self._selected()
        if row is None or self.location is None:
            return
        text, generation = self.model.rows[row].text, self._generation
        if text in self.plots:
            self._drop_plot(text)
            return

        def read(context: JobContext) -> Series:
            watcher = Watcher(_machine(context))
            return watcher.series(watcher.parse(text), points=PLOT_POINTS)

        def done(series: Series) -> None:
            if generation == self._generation and text in self.model.texts:
                self._show_series(series)

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self._show_problem(f"{text} could not be plotted: {error}")

        self.travel.worker.submit(read, done, on_error=failed)

    def _show_series(self, series: Series) -> None:
        plot = self.plots.get(series.text) or self._new_plot(series.text)
        self.plot_holder.show()
        self._sync_axis()
        why = plot.show_series(series)
        plot.set_cursor(self.travel.position)
        if why:
            self._drop_plot(series.text)
            self._show_problem(why)
        self._update_buttons()

    def _new_plot(self, text: str) -> WatchPlot:
        module = importlib.import_module(PLOT_MODULE)
        plot: WatchPlot = module.WatchPlot()
        plot.setToolTip(f"{text} over the whole log; click to move the cursor there")
        plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        plot.position_chosen.connect(self.travel.go_to)
        plot.time_chosen.connect(self.travel.go_to_time)
        self.plot_layout.addWidget(plot, 1)
        plot.show()  # a widget put in a shown one is hidden until shown
        self.plots[text] = plot
        return plot

    def _drop_plot(self, text: str) -> None:
        plot = self.plots.pop(text, None)
        if plot is not None:
            self.plot_layout.removeWidget(plot)
            plot.close()
            plot.deleteLater()
        self.plot_holder.setVisible(bool(self.plots))
        self._update_buttons()

    def _sync_axis(self) -> None:
        """The timeline's x axis: time or positions, and its range (linked)."""
        timeline_plot = self.timeline.plot
        for plot in self.plots.values():
            if timeline_plot is None:
                plot.set_axis(False, None)
                continue
            plot.set_axis(timeline_plot.by_time, timeline_plot.xs_of)
            plot.setXLink(timeline_plot)

    def _hide_plot(self) -> None:
        for text in list(self.plots):
            self._drop_plot(text)
