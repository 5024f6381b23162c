"""The projections panel: each projection's state, lag and rate; its read model, live and
searchable; rebuild with progress and cancel (a rebuild something cut, its store's server lost
say, shown where it stopped until the runner reports again); a faulted projection's failing
event, with retry and skip. The read model's rows are counted on a thread of their own
(ListCounter: 93 ms of CPU for order_summary at 10M events, which the event list's pages and
filters waited behind on the window's worker), again at each checkpoint from the rows changed
since, and only while the panel is shown: a count asked for while it is hidden is made when it
is shown. A fault also shows outside the panel (FaultBadges, for the sagas' faults too): on its
tab and in the status bar, whose badge opens the failing event.

Signals:
    open_position(int): show the event at this position in the explorer.
    faults_changed(object): the faulted projections now, a tuple of ProjectionStatus.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStatusBar,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.common.names import visible_lines
from explorer.projections import Projection, ProjectionStatus, SearchNotReadyError, read_rows
from explorer.projections.list_count import ListCounts, keeps_rows
from explorer.runtime.runner import RunnerStatus
from explorer.system import System
from explorer.system.discovery import edited_since
from explorer.ui.icons import icon
from explorer.ui.models.projection_status import STATUS_ROLE, ProjectionStatusModel
from explorer.ui.models.read_model import PAGE_ROWS, RowsModel, fit_columns
from explorer.ui.timers import single_shot
from explorer.ui.tones import muted
from explorer.ui.widgets.list_counter import CountAsked, CountLabel, ListCounter
from explorer.ui.widgets.search_box import NoRowsNotice, SearchBox
from explorer.ui.widgets.tables import compact_rows, tab_leaves
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem
    from explorer.ui.widgets.sagas_panel import SagasPanel

REFRESH_MS = 300
REBUILD_STOPPED = "rebuild stopped"
"""The state shown for a read model whose rebuild something cut, until the runner reports."""
NOT_RUNNING = "not running"
"""The state shown for every read model once the runner has stopped for good: the last status
it sent ("caught up") is no longer true as the log moves on."""
CUT_ORANGE = "#e65100"
FAULT_RED = "#c62828"
FAULT_BOX_STYLE = ("QFrame { background: #ffebee; border-radius: 4px; }"
                   "QLabel { color: #b71c1c; }")
"""A banner saying what stopped at an event (a projection here, a saga in the sagas panel)."""


class ProjectionsPanel(QWidget):
    open_position = Signal(int)
    faults_changed = Signal(object)

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.runner = None
        self.projections: dict[str, Projection] = {}  # the system's, by name
        self.selected: str | None = None
        self._shown_checkpoint = -1
        self._reset_owed = False  # the rows shown are another list's: reset at the next count
        self._count_when_shown = False
        self.counter = ListCounter(ListCounts, "projection-count", self)
        self.counter.counted.connect(self._counted)
        self.counter.failed.connect(self._count_failed)
        self.faults: tuple[ProjectionStatus, ...] = ()
        self.status_model = ProjectionStatusModel(self)
        self.list = compact_rows(tab_leaves(QTableView()))
        self.list.setModel(self.status_model)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.verticalHeader().hide()
        self.list.setShowGrid(False)
        self.list.setWordWrap(False)
        # Each column as wide as what it shows, the names' too (stretched, the name's column
        # got what a long lag left: a few pixels); the last one takes the rest of the width.
        self.list.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.list.horizontalHeader().setStretchLastSection(True)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)

        self.title = QLabel("Projections build read models from the events, as they arrive.")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.fault_box = QFrame()
        self.fault_box.setStyleSheet(FAULT_BOX_STYLE)
        self.fault_label = QLabel()
        self.fault_label.setWordWrap(True)
        self.fault_label.setTextFormat(Qt.TextFormat.RichText)
        self.fault_label.linkActivated.connect(lambda link: self.open_position.emit(int(link)))
        self.retry_button = QPushButton("Retry")
        self.skip_button = QPushButton("Skip this event")
        self.retry_button.clicked.connect(self._retry)
        self.skip_button.clicked.connect(self._skip)
        fault_layout = QHBoxLayout(self.fault_box)
        fault_layout.addWidget(self.fault_label, 1)
        fault_layout.addWidget(self.retry_button)
        fault_layout.addWidget(self.skip_button)
        self.fault_box.hide()
        self.rebuild_button = QPushButton(icon("refresh"), "Rebuild")
        self.rebuild_button.setToolTip("Empty this read model and build it again from the first "
                                       "event")
        self.rebuild_button.clicked.connect(self._rebuild)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop rebuilding here: what is rebuilt is kept, and the "
                                      "runner catches the read model up with the rest as it "
                                      "keeps every projection up to date")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self._cancel)
        self.cut_note = QLabel()  # where a rebuild something cut stopped, and what comes next
        self.cut_note.setWordWrap(True)
        self.cut_note.setTextFormat(Qt.TextFormat.PlainText)
        self.cut_note.setStyleSheet(f"color: {CUT_ORANGE};")
        self.cut_note.hide()
        self._cuts: dict[str, str] = {}  # name -> what the runner said, until its next status
        self._rebuilt_to: dict[str, int] = {}  # name -> the position its rebuild has reached
        self._last_status = RunnerStatus(0, 0, (), (), 0.0)
        self.rows_label = CountLabel("read models' rows")
        self.rows_label.setStyleSheet(f"color: {muted()};")
        self.search = SearchBox("Search rows")
        self.search.search_changed.connect(lambda _: self._load_rows(reset=True))
        actions = QHBoxLayout()
        actions.addWidget(self.rebuild_button)
        actions.addWidget(self.progress, 2)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.search, 1)
        actions.addWidget(self.rows_label)

        self.rows_model = RowsModel(self._request_page, self)
        self.rows = compact_rows(tab_leaves(QTableView()))
        self.rows.setModel(self.rows_model)
        self.rows_model.first_page_loaded.connect(lambda: fit_columns(self.rows))
        self.rows.setAlternatingRowColors(True)
        self.rows.verticalHeader().hide()
        self.rows.setShowGrid(False)
        self.rows.setWordWrap(False)
        self.rows.horizontalHeader().setStretchLastSection(True)
        self.rows.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.no_rows = NoRowsNotice(self.rows, self.search)

        self.others_note = QLabel()  # the other runners keeping these read models, if any
        self.others_note.setWordWrap(True)
        self.others_note.setTextFormat(Qt.TextFormat.PlainText)
        self.others_note.setStyleSheet(f"color: {muted()};")
        self.others_note.setToolTip(
            "Runners on one store share the work: each event is handled once, by one of them, "
            "and every runner's window shows the same read models.")
        self.others_note.hide()
        listing = QWidget()
        left = QVBoxLayout(listing)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.list, 1)
        left.addWidget(self.others_note)

        detail = QWidget()
        right = QVBoxLayout(detail)
        right.setContentsMargins(6, 0, 0, 0)
        right.addWidget(self.title)
        right.addWidget(self.fault_box)
        right.addLayout(actions)
        right.addWidget(self.cut_note)
        right.addWidget(self.rows, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(listing)
        split.addWidget(detail)
        split.setSizes([500, 630])  # (at 1400x900: every column of the list, Events/s too)
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(split)
        self._refresh = single_shot(self, REFRESH_MS, self._reload_rows)
        self._set_enabled(False)

    # -- wiring ----------------------------------------------------------------------------

    def show_system(self, loaded: LoadedSystem) -> None:
        self.set_system(loaded.system)

    def set_system(self, system: System) -> None:
        """The system whose projections the runner runs (what they are called and keep)."""
        self.projections = {projection.name: projection for projection in system.projections()}

    def set_runner(self, runner) -> None:
        """The runner thread of the open store (None when there is none)."""
        self.runner = runner
        self.selected = None
        self._shown_checkpoint = -1
        self._count_when_shown = False
        self.counter.forget()
        self._last_status = RunnerStatus(0, 0, (), (), 0.0)
        self.status_model.set_status(self._last_status)
        self._show_others(())
        self._cuts.clear()
        self._rebuilt_to.clear()
        self.cut_note.hide()
        self._note_faults(())
        self.rows_model.reset([], 0)
        self.search.reset()
        self.no_rows.hide()
        self.progress.hide()
        self.cancel_button.hide()
        self._set_enabled(False)
        if runner is not None:
            runner.status.connect(self.update_status)
            runner.rebuild_progress.connect(self._rebuild_progress)
            runner.rebuild_finished.connect(self._rebuild_finished)
            runner.rebuild_cut.connect(self._rebuild_cut)
            runner.stopped.connect(self._runner_stopped)

    def update_status(self, status: RunnerStatus) -> None:
        had_rows = self.status_model.rowCount()
        self._last_status = status
        self._cuts.clear()  # (the runner reports again: its status says how each one stands)
        self.cut_note.hide()
        self.status_model.set_status(status)
        work = {p.name for p in status.projections} | {f"saga:{s.name}" for s in status.sagas}
        self._show_others(status.others, status.left_to_others,
                          rest=not work.issubset(status.left_to_others))
        self._note_faults(tuple(p for p in status.projections if p.fault is not None))
        if not had_rows and self.status_model.rowCount() and self.selected is None:
            self.list.selectRow(0)
        projection = self._current()
        if projection is None:
            return
        self._show_state(projection)
        if projection.checkpoint != self._shown_checkpoint and not self._refresh.isActive():
            self._refresh.start()

    def _show_others(self, others: tuple[str, ...], left: tuple[str, ...] = (), *,
                     rest: bool = True) -> None:
        """The line under the list saying which other runners keep these read models (as the
        runner last looked), and what they advance, until they stop."""
        text = others_line(others, left, rest=rest)
        if text != self.others_note.text():
            self.others_note.setText(text)
        self.others_note.setVisible(bool(text))

    def log_moved(self, last: int) -> None:
        """The log's last position now (a store opened, events appended): a read model the
        runner last said caught up is said behind as soon as the log moves past it."""
        self.status_model.set_log_end(last)

    def _note_faults(self, faults: tuple[ProjectionStatus, ...]) -> None:
        def where(statuses):
            return [(p.name, p.fault.position, p.fault.error) for p in statuses]
        if where(faults) != where(self.faults):
            self.faults = faults
            self.faults_changed.emit(faults)

    def select(self, name: str) -> None:
        """Show this projection (its state, its fault, its rows)."""
        row = self.status_model.row_of(name)
        if row is not None:
            self.list.selectRow(row)

    def _current(self) -> ProjectionStatus | None:
        row = self.status_model.row_of(self.selected) if self.selected else None
        return self.status_model.status(row) if row is not None else None

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        projection = indexes[0].data(STATUS_ROLE) if indexes else None
        if projection is None:
            return
        self.selected = projection.name
        self._shown_checkpoint = -1
        self._show_state(projection)
        self._load_rows(reset=True)

    def _set_enabled(self, enabled: bool) -> None:
        self.rebuild_button.setEnabled(enabled)

    # -- state -----------------------------------------------------------------------------

    def _show_state(self, projection: ProjectionStatus) -> None:
        known = self.projections.get(projection.name)
        description = known.description if known else ""
        self.title.setText(f"<b>{html.escape(projection.title)}</b> &nbsp;<span style='color:"
                           f"{muted()}'>{html.escape(description)}</span>")
        self._set_enabled(self.runner is not None and projection.state != "rebuilding")
        cut = self._cuts.get(projection.name)
        self.cut_note.setText(cut or "")
        self.cut_note.setVisible(cut is not None)
        fault = projection.fault
        if fault is None:
            self.fault_box.hide()
            return
        started = getattr(self.runner, "started_ns", 0)  # (0: not started, or not known)
        edited = edited_since(type(known), started) if known is not None and started else None
        self.fault_label.setText(
            f"<b>Stopped at <a href='{fault.position}'>position {fault.position}</a></b>: "
            f"{html.escape(visible_lines(fault.error))}" + (
                f"<br><b>{html.escape(Path(edited).name)} was changed after the runner "
                "started</b>: Retry runs the code it loaded then. File › Load System… loads "
                "your edit; then Retry." if edited else ""))
        self.fault_box.show()

    def _rebuild(self) -> None:
        if self.runner is None or self.selected is None:
            return
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.rebuild_button.setEnabled(False)
        self._cuts.pop(self.selected, None)
        self._rebuilt_to.pop(self.selected, None)
        self.cut_note.hide()
        self.runner.rebuild(self.selected)

    def _cancel(self) -> None:
        if self.runner is not None:
            self.runner.cancel_rebuild()

    def _rebuild_progress(self, name: str, done: int, last: int) -> None:
        self._rebuilt_to[name] = done
        if name != self.selected:
            return
        self.progress.setRange(0, max(last, 1))
        self.progress.setValue(done)
        # (the list's state says "rebuilding": the bar says how far, on one line however
        # narrow the panel, and the whole sentence on hover)
        self.progress.setFormat(f"{done:,} of {last:,}")
        self.progress.setToolTip(f"Rebuilding {name}: {done:,} of {last:,} events")

    def _rebuild_finished(self, name: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.rebuild_button.setEnabled(True)
        self._rebuilt_to.pop(name, None)
        if name == self.selected and name not in self._cuts:  # (a cut one's rows: once the
            self._load_rows(reset=False)  # runner reports again, its checkpoint moved)

    def _rebuild_cut(self, name: str, said: str) -> None:
        """The runner says `name`'s rebuild stopped half-way (`said`: where, why, what comes
        next; its server's connection lost, say): shown as it stands, nothing rebuilding it,
        until the runner reports again."""
        self._cuts[name] = said
        reached = self._rebuilt_to.get(name)
        shown = tuple(
            replace(p, state=REBUILD_STOPPED, note=said,
                    checkpoint=p.checkpoint if reached is None else reached)
            if p.name == name else p for p in self._last_status.projections)
        self.status_model.set_status(replace(self._last_status, projections=shown))
        projection = self._current()
        if projection is not None:
            self._show_state(projection)

    def _runner_stopped(self, why: str) -> None:
        """The runner ended for good (`why`): every read model shown as not running, at the
        checkpoint it had reached, the reason on hover and under the list."""
        shown = tuple(replace(p, state=NOT_RUNNING, note=why)
                      for p in self._last_status.projections)
        self._last_status = replace(self._last_status, projections=shown, busy=False,
                                    appended_per_s=0.0)
        self.status_model.set_status(self._last_status)
        self.runner = None  # (nothing to rebuild, retry or skip with)
        self._show_others(())  # (no runner of this window's to look for them)
        self._cuts = {p.name: why for p in shown}  # (said under whichever is selected)
        self.progress.hide()
        self.cancel_button.hide()
        projection = self._current()
        if projection is not None:
            self._show_state(projection)
        else:  # (none listed: a runner that never reported, one that could not start)
            self.cut_note.setText(why)
            self.cut_note.show()

    def _retry(self) -> None:
        if self.runner is not None and self.selected:
            self.runner.retry(self.selected)

    def _skip(self) -> None:
        if self.runner is not None and self.selected:
            self.runner.skip(self.selected)

    # -- rows ------------------------------------------------------------------------------

    def _reload_rows(self) -> None:
        self._load_rows(reset=False)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._count_when_shown:
            self._load_rows(reset=False)

    def _load_rows(self, reset: bool) -> None:
        """Count the selected read model's rows (matching the search) on the counter's thread,
        then show them; while the panel is hidden, once it is shown."""
        self._reset_owed = self._reset_owed or reset
        self._count_when_shown = not self.isVisible()
        name, search, runner = self.selected, self.search.search, self.runner
        if self._count_when_shown or runner is None or name not in self.projections:
            return
        projection = self._current()
        checkpoint = projection.checkpoint if projection else 0
        known = self.projections[name]
        table = known.main_table
        asked = (name, search, checkpoint, runner)
        self.counter.count(asked, CountAsked(runner.location, runner.read_only, table, name,
                                             search=search, keeps_rows=keeps_rows(known)))

    def _counted(self, asked, total: int) -> None:
        name, search, checkpoint, runner = asked
        if (name, search, runner) != (self.selected, self.search.search, self.runner):
            return  # another list's, or another store's
        table = self.projections[name].main_table
        columns = [*table.info["keys"], *table.info["values"]]
        self._shown_checkpoint = checkpoint
        matching = f" match “{search}”" if search else ""
        self.rows_label.setText(f"{total:,} rows{matching}")
        if self._reset_owed or self.rows_model.columns != columns:
            self._reset_owed = False
            self.rows_model.reset(columns, total)
        else:
            self.rows_model.refresh(total)
        if total:
            self.no_rows.hide()
        else:
            self.no_rows.show_empty("rows" if search else "rows yet", search)

    def _count_failed(self, asked, error: Exception) -> None:
        name, search, _checkpoint, runner = asked
        if (name, search, runner) != (self.selected, self.search.search, self.runner):
            return
        self.rows_label.setText(str(error))
        if isinstance(error, SearchNotReadyError):
            table = self.projections[name].main_table
            self.rows_model.reset([*table.info["keys"], *table.info["values"]], 0)
            self._shown_checkpoint = -1  # try again at the runner's next report

    def _request_page(self, generation: int, page: int) -> None:
        name, search = self.selected, self.search.search
        if name is None or name not in self.projections:
            return
        table = self.projections[name].main_table

        def read(context: JobContext):
            return read_rows(context.readmodels, table,
                             offset=page * PAGE_ROWS, limit=PAGE_ROWS, search=search)

        def failed(error: Exception) -> None:
            if generation == self.rows_model.generation \
                    and (name, search) == (self.selected, self.search.search):
                # (else a page of a list the user has left since)
                self.rows_label.setText(str(error))

        self.worker.submit(read, lambda rows: self.rows_model.page_loaded(generation, page, rows),
                           on_error=failed)



class FaultBadges(QObject):
    """What stopped at an event, shown outside its panel: a red dot and count on each panel's
    tab, and "1 projection and 1 saga faulted" in the status bar, which opens the first failing
    event when clicked. Made for the projections panel; `watch` adds another (the sagas').

    A panel watched has `faults_changed(object)`, with its faulted statuses now (each with a
    `name` and a `fault` with `position` and `error`), and `select(name)`, which shows that
    one's fault there.

    Signals:
        open_position(int): show the event something stopped at.
    """

    open_position = Signal(int)

    def __init__(self, panel: ProjectionsPanel, tabs: QTabWidget, status_bar: QStatusBar,
                 page: QWidget | None = None) -> None:
        super().__init__(panel)
        self.tabs = tabs
        self.watched: list[_Watched] = []
        self.label = QLabel()
        self.label.setObjectName("fault-badge")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.linkActivated.connect(lambda _: self._open_first())
        self.label.hide()
        status_bar.insertPermanentWidget(0, self.label)
        self.watch(panel, "projection", page, title=attrgetter("title"))

    def watch(self, panel: ProjectionsPanel | SagasPanel, noun: str, page: QWidget | None = None,
              title: Callable[[Any], str] = attrgetter("name")) -> None:
        """Badge `panel`'s faults too, counted as `noun`s; `page`: what its tab holds (the
        panel, or a widget holding it); `title`: a faulted status as people call it."""
        page = page or panel
        tab = self.tabs.indexOf(page)
        watched = _Watched(panel, noun, page, title, self.tabs.tabText(tab),
                           self.tabs.tabIcon(tab))
        self.watched.append(watched)
        panel.faults_changed.connect(lambda faults: self.show_faults(faults, panel))

    def show_faults(self, faults: tuple[Any, ...],
                    panel: ProjectionsPanel | SagasPanel | None = None) -> None:
        """`panel`'s faulted statuses now (the projections panel's by default)."""
        watched = next((w for w in self.watched if w.panel is panel), self.watched[0])
        watched.faults = tuple(s for s in faults if s.fault is not None)
        watched.show_on_tab(self.tabs)
        counts = [watched.count() for watched in self.watched if watched.faults]
        if not counts:
            self.label.hide()
            return
        said = " and ".join(counts)
        self.label.setText(f"<a href='open' style='color:{FAULT_RED}; font-weight:bold;"
                           f" text-decoration:none'>⚠ {said} faulted</a>")
        lines = [w.lines() for w in self.watched if w.faults]
        which = "that event" if sum(len(w.faults) for w in self.watched) == 1 else \
            "the first one's event"
        self.label.setToolTip("\n".join([*lines, f"Click to open {which}."]))
        self.label.show()

    def _open_first(self) -> None:
        first = next((w for w in self.watched if w.faults), None)
        if first is not None:
            status = first.faults[0]
            first.panel.select(status.name)
            self.open_position.emit(status.fault.position)


@dataclass
class _Watched:
    """A panel whose faults FaultBadges shows, its tab as it is without them, and its faults."""

    panel: ProjectionsPanel | SagasPanel
    noun: str
    page: QWidget
    title: Callable[[Any], str]
    plain_text: str
    plain_icon: QIcon
    faults: tuple[Any, ...] = ()

    def count(self) -> str:
        return f"{len(self.faults)} {self.noun}{'s' if len(self.faults) > 1 else ''}"

    def lines(self) -> str:
        return "\n".join(f"{self.title(s)} stopped at position {s.fault.position:,}: "
                         f"{visible_lines(s.fault.error)}" for s in self.faults)

    def show_on_tab(self, tabs: QTabWidget) -> None:
        tab = tabs.indexOf(self.page)
        if not self.faults:
            tabs.setTabText(tab, self.plain_text)
            tabs.setTabIcon(tab, self.plain_icon)
            tabs.setTabToolTip(tab, "")
            return
        tabs.setTabText(tab, f"{self.plain_text} ({len(self.faults)})")
        tabs.setTabIcon(tab, fault_dot())
        tabs.setTabToolTip(tab, self.lines())


def fault_dot(size: int = 16) -> QIcon:
    """A red dot: something here needs attention."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(FAULT_RED))
    painter.drawEllipse(3, 3, size - 6, size - 6)
    painter.end()
    return QIcon(pixmap)


def others_line(others: tuple[str, ...], left: tuple[str, ...] = (), *,
                rest: bool = True) -> str:
    """"Also running: another runner (`run`, pid 1234 on host X, started 12:01:05), handling
    order_summary; this window's runner the rest." for the other runners (each as
    RunnerPresence.text says it) and the work they advance that this window's runner would
    (`left`: projections' names, `saga:NAME`; `rest`: whether it advances any); "" for none.
    In a file they share all of it."""
    if not others:
        return ""
    who = (f"another runner ({others[0]})" if len(others) == 1
           else f"{len(others)} other runners ({'; '.join(others)})")
    if not left:
        return f"Also running: {who}; they share the work."
    names = [name.removeprefix("saga:") + (" saga" if name.startswith("saga:") else "")
             for name in left]
    between = "" if len(others) == 1 else " between them"
    return (f"Also running: {who}, handling {', '.join(names)}{between}"
            + ("; this window's runner the rest." if rest else "."))
