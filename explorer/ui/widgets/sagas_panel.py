"""The sagas panel: a system's saga instances by status, searchable (a picker chooses the saga
when the system has several); for one, its steps and its history.

A saga's instances are listed from the read model its SagaInstancesProjection keeps (see
explorer/sagas/instances.py): its id first, then the saga's first own column (the shop's
order_id), status and steps, kept in view (LeadingColumnsFit: the id cut in the middle, whole
on hover, and the list widened when narrow; in a narrow list a long steps text is cut at its end
before the ids are cut short), then the rest.
The list is read and counted while the panel is shown: a list asked for while it is hidden (a
runner's checkpoint, another store) is read when it is shown. A saga the runner faulted (its own
code raised) is said above the list while the runner's status has it: the event it stopped at
(a link) and the error, with Retry.

Signals:
    open_position(int): show the event at this position in the explorer.
    run_sagas_changed(bool): the user turned running sagas in this window on or off.
    retry_wanted(str): the user asked to handle a faulted saga's (by name) failing event again.
    faults_changed(object): the faulted sagas now, a tuple of SagaManagerStatus.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.common.formatting import clock_time, raw_time, short_time, summarize
from explorer.common.names import visible, visible_lines
from explorer.domain import Repository
from explorer.projections import SearchNotReadyError, read_rows
from explorer.projections.list_count import keeps_rows
from explorer.runtime.runner import RunnerStatus
from explorer.sagas import SagaManagerStatus
from explorer.sagas.instances import ROW_COLUMNS, SagaInstancesProjection
from explorer.sagas.list_count import SagaListCounts
from explorer.sagas.process import ProcessManager
from explorer.sagas.progress import current_step, steps_text
from explorer.sagas.steps import step_views
from explorer.system import NO_SYSTEM, System
from explorer.ui.models.read_model import (
    PAGE_ROWS,
    ROW_ROLE,
    STATUS_COLOURS,
    RowsModel,
)
from explorer.ui.timers import single_shot
from explorer.ui.tones import muted
from explorer.ui.widgets.list_counter import CountAsked, CountLabel, ListCounter
from explorer.ui.widgets.projections_panel import FAULT_BOX_STYLE
from explorer.ui.widgets.search_box import NoRowsNotice, SearchBox
from explorer.ui.widgets.tables import (
    LeadingColumnsFit,
    compact_rows,
    read_only_table,
    tab_leaves,
)
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem

STATUSES = ["running", "compensating", "completed", "compensated", "failed"]
LIST_COLUMNS = ["status", "steps", "current_step", "updated_at"]
""""steps" is the progress in words (3/6 done, 2 compensated, 1 failed): the counts in one column
that a laptop screen shows whole. The saga's id and its first own column come before, its other
own columns after "steps"."""
LEADING = 4
"""The list's columns kept in view: the id, the saga's first own column (its correlation key:
the shop's order_id), the status and the steps."""
STEP_COLOURS = {"done": "#2e7d32", "pending": "#1565c0", "failed": "#c62828",
                "compensated": "#ef6c00", "unconfirmed": "#6a1b9a"}
LIST_SHARE, LIST_SHARE_AT_MOST = 55, 70
"""The list's part of the panel's width (%) at first, and how much it takes at most, when
narrow, for its leading columns (the saga's detail keeps 30%: at 1024x700 its steps' names)."""
POSITION_ROLE = Qt.ItemDataRole.UserRole + 5
REFRESH_MS = 400


@dataclass(frozen=True)
class SagaListing:
    """A saga of the system and the read model that lists its instances."""

    saga: type[ProcessManager]
    projection: SagaInstancesProjection

    @property
    def columns(self) -> list[str]:
        """The list's columns: the saga's id (always: the user needs it to open the saga),
        then its first own column (the shop's order_id, a loan's loan_id), its status and
        progress (the columns kept in view, LEADING), then its other own columns (a loan's
        member_id and book_id), the current step and when it changed."""
        table = self.projection.rows_table
        own = [c for c in table.info["values"] if c not in ROW_COLUMNS]
        return [*table.info["keys"], *own[:1], *LIST_COLUMNS[:2], *own[1:], *LIST_COLUMNS[2:]]

    @property
    def title(self) -> str:
        return self.projection.title or self.saga.name


def saga_listings(system: System) -> list[SagaListing]:
    """The system's sagas that a read model lists the instances of, in the system's order."""
    projections = [p for p in system.projections() if isinstance(p, SagaInstancesProjection)]
    listings = []
    for saga in system.sagas:
        projection = next((p for p in projections if p.saga is saga), None)
        if projection is not None:
            listings.append(SagaListing(saga, projection))
    return listings


class SagasPanel(QWidget):
    open_position = Signal(int)
    run_sagas_changed = Signal(bool)
    retry_wanted = Signal(str)
    faults_changed = Signal(object)

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.system = NO_SYSTEM
        self.listings: list[SagaListing] = []
        self.selected: str | None = None
        self._checkpoint = -1
        self._list_owed: bool | None = None  # (asked while hidden: whether with a reset)
        self._split_chosen = False  # the user moved the split between the list and a saga
        self.saga_choice = QComboBox()
        self.saga_choice.setToolTip("Which of the system's sagas to list")
        self.saga_choice.currentIndexChanged.connect(lambda _: self._saga_chosen())
        self.saga_choice.hide()
        self.status_filter = QComboBox()
        self.status_filter.addItem("All sagas", None)
        for status in STATUSES:
            self.status_filter.addItem(status.capitalize(), status)
        self.status_filter.currentIndexChanged.connect(lambda _: self._load_list(reset=True))
        self.search = SearchBox("Search sagas")
        self.search.setMinimumWidth(160)
        self.search.search_changed.connect(lambda _: self._load_list(reset=True))
        self.count_label = CountLabel("sagas")
        self.count_label.setStyleSheet(f"color: {muted()};")
        self.counter = ListCounter(SagaListCounts, "saga-count", self)
        self.counter.counted.connect(lambda asked, total: self._counted(asked[0], asked[1], total))
        self.counter.failed.connect(lambda asked, error: self._count_failed(asked[0], error))
        self.run_sagas = QCheckBox("Run sagas in this window")
        self.run_tip = ("Let this window carry out the sagas' steps as the events they react to "
                        "arrive. Off, it only shows them.")
        self.run_sagas.setToolTip(self.run_tip)
        self.run_sagas.toggled.connect(self.run_sagas_changed.emit)
        top = QHBoxLayout()
        top.addWidget(self.saga_choice)
        top.addWidget(self.status_filter)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label, 1)
        top.addWidget(self.run_sagas)
        self.faults: tuple[SagaManagerStatus, ...] = ()
        self.fault_box = QFrame()
        self.fault_box.setStyleSheet(FAULT_BOX_STYLE)
        self.fault_rows = QVBoxLayout(self.fault_box)
        self.fault_labels: list[QLabel] = []  # a line each faulted saga, with its Retry
        self.retry_buttons: list[QPushButton] = []
        self.fault_box.hide()

        self.list_model = RowsModel(self._request_page, self, derived={"steps": steps_text,
                                                                 "current_step": current_step})
        self.list = compact_rows(tab_leaves(QTableView()))
        self.list.setModel(self.list_model)
        self.fit = LeadingColumnsFit(self.list, squeezable=2,  # (the id, the key)
                                     cuttable=(LEADING - 1,))  # (the steps, before the ids)
        self.list_model.first_page_loaded.connect(self._fit_list)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.verticalHeader().hide()
        self.list.setShowGrid(False)
        self.list.setWordWrap(False)
        self.list.horizontalHeader().setStretchLastSection(True)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.no_rows = NoRowsNotice(self.list, self.search)

        self.title = QLabel("Select a saga to see its steps.")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.steps = self._table(["Step", "Status", "Scheduled (UTC)", "Finished (UTC)",
                                  "Outcome"])
        self.history = self._table(["Position", "Time (UTC)", "Saga event", "What it learnt"])
        tabs = QTabWidget()
        tabs.addTab(self.steps, "Steps")
        tabs.addTab(self.history, "History")
        self.tabs = tabs
        detail = QWidget()
        right = QVBoxLayout(detail)
        right.setContentsMargins(6, 0, 0, 0)
        right.addWidget(self.title)
        right.addWidget(tabs, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.splitterMoved.connect(self._split_moved)
        split.addWidget(self.list)
        split.addWidget(detail)
        split.setSizes([LIST_SHARE * 11, (100 - LIST_SHARE) * 11])  # (at 1400x900, in pixels)
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.fault_box)
        layout.addWidget(split, 1)
        self._refresh = single_shot(self, REFRESH_MS, lambda: self._load_list(reset=False))

    def _fit_list(self) -> None:
        self.fit.fit(LEADING)
        self._make_room()

    def _make_room(self) -> None:
        """Widen the list to the room its leading columns need, up to LIST_SHARE_AT_MOST of
        the width (a narrow window, a split kept from a wider one), unless the user has moved
        the split since the window opened."""
        sizes = self.split.sizes()
        total = sum(sizes)
        if self._split_chosen or total <= 0 or not self.fit.natural:
            return
        frame = self.list.width() - self.list.viewport().width()
        scroll_bar = self.list.verticalScrollBar()
        wanted = self.fit.need() + frame + (0 if scroll_bar.isVisible() else
                                            scroll_bar.sizeHint().width())
        share = min(wanted, total * LIST_SHARE_AT_MOST // 100)
        if sizes[0] < share:
            self.split.setSizes([share, total - share])

    def _split_moved(self, _position: int, _index: int) -> None:
        self._split_chosen = True

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._make_room()

    def _table(self, headers: list[str]) -> QTableWidget:
        table = read_only_table(headers, QHeaderView.ResizeMode.ResizeToContents)
        # the last (an outcome, what it learnt) takes the room left, cut, whole on hover: it
        # began past the table's edge at 1400x900, reached by scrolling sideways
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
        table.cellDoubleClicked.connect(lambda row, _: self._open(table, row))
        table.cellClicked.connect(lambda row, _: self._open(table, row))
        return table

    def _open(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        position = item.data(POSITION_ROLE) if item is not None else None
        if position:
            self.open_position.emit(position)

    # -- wiring ----------------------------------------------------------------------------

    def show_system(self, loaded: LoadedSystem) -> None:
        self.set_system(loaded.system)

    def set_system(self, system: System) -> None:
        """The system whose sagas to list: a picker when it has several."""
        self.system = system
        self.listings = saga_listings(system)
        self.saga_choice.blockSignals(True)
        self.saga_choice.clear()
        for listing in self.listings:
            self.saga_choice.addItem(listing.title, listing.saga.name)
        self.saga_choice.blockSignals(False)
        self.saga_choice.setVisible(len(self.listings) > 1)

    @property
    def listing(self) -> SagaListing | None:
        """The saga listed now."""
        index = self.saga_choice.currentIndex()
        return self.listings[index] if 0 <= index < len(self.listings) else None

    def _saga_chosen(self) -> None:
        self._clear_saga()
        self._checkpoint = -1
        self.search.reset()
        self._load_list(reset=True)

    def _clear_saga(self) -> None:
        self.selected = None
        self.steps.setRowCount(0)
        self.history.setRowCount(0)
        self.title.setText("Select a saga to see its steps.")

    def reset(self, *, can_run: bool, running: bool, reason: str = "") -> None:
        """A store was opened: start over; say whether sagas can and do run here."""
        self._checkpoint = -1
        self.counter.forget()
        self.run_sagas.blockSignals(True)
        self.run_sagas.setChecked(running and can_run)
        self.run_sagas.setEnabled(can_run)
        self.run_sagas.setToolTip(reason or self.run_tip)
        self.run_sagas.blockSignals(False)
        self._clear_saga()
        self._note_faults(())
        self.search.reset()
        self._load_list(reset=True)

    def runner_stopped(self, why: str) -> None:
        """The runner ended for good (`why`): nothing carries out the sagas' steps here any
        more, so the box no longer says so (what the user chose for the store is kept)."""
        self.run_sagas.blockSignals(True)
        self.run_sagas.setChecked(False)
        self.run_sagas.setEnabled(False)
        self.run_sagas.setToolTip(why)
        self.run_sagas.blockSignals(False)

    def select(self, name: str) -> None:
        """List this saga's instances (when the system has several sagas)."""
        index = self.saga_choice.findData(name)
        if index >= 0:
            self.saga_choice.setCurrentIndex(index)

    def update_status(self, status: RunnerStatus) -> None:
        self._note_faults(tuple(s for s in status.sagas if s.fault is not None))
        listing = self.listing
        sagas = next((p for p in status.projections if listing is not None
                      and p.name == listing.projection.name), None)
        if sagas is not None and sagas.checkpoint != self._checkpoint:
            self._checkpoint = sagas.checkpoint
            if not self._refresh.isActive():
                self._refresh.start()

    # -- faults ----------------------------------------------------------------------------

    def _note_faults(self, faults: tuple[SagaManagerStatus, ...]) -> None:
        """Say each faulted saga above the list, with its Retry; nothing when none is."""
        if [(s.name, s.fault) for s in faults] == [(s.name, s.fault) for s in self.faults]:
            return
        self.faults = faults
        while (item := self.fault_rows.takeAt(0)) is not None:
            if (row := item.widget()) is not None:
                row.deleteLater()
        self.fault_labels, self.retry_buttons = [], []
        for saga in faults:
            self._add_fault_row(saga)
        self.fault_box.setVisible(bool(faults))
        self.faults_changed.emit(faults)

    def _add_fault_row(self, saga: SagaManagerStatus) -> None:
        fault = saga.fault
        if fault is None:
            return
        label = QLabel(
            f"<b>Saga {html.escape(saga.name)} stopped at <a href='{fault.position}'>"
            f"position {fault.position:,}</a></b> ({html.escape(fault.event_type)} of "
            f"{html.escape(visible(fault.stream))}): {html.escape(visible_lines(fault.error))}")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setToolTip(f"Click the position to open the event {saga.name} failed on.")
        label.linkActivated.connect(lambda link: self.open_position.emit(int(link)))
        retry = QPushButton("Retry")
        retry.setToolTip(f"Let {saga.name} handle the event at position {fault.position:,} "
                         "again; the other sagas and the projections went on meanwhile.")
        retry.clicked.connect(lambda: self.retry_wanted.emit(saga.name))
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(label, 1)
        line.addWidget(retry, 0, Qt.AlignmentFlag.AlignTop)
        self.fault_rows.addWidget(row)
        self.fault_labels.append(label)
        self.retry_buttons.append(retry)

    # -- the list --------------------------------------------------------------------------

    def _where(self) -> dict[str, str] | None:
        status = self.status_filter.currentData()
        return {"status": status} if status else None

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._list_owed is not None:
            self._load_list(reset=self._list_owed)

    def _load_list(self, reset: bool) -> None:
        """The list's first page; its number of rows too when that page is not full, else
        counted on the panel's own thread (ListCounter) while the page is shown. While the
        panel is hidden, once it is shown."""
        if not self.isVisible():
            self._list_owed = bool(self._list_owed) or reset
            return
        self._list_owed = None
        where, search, listing = self._where(), self.search.search, self.listing
        if listing is None:
            self._say_none()
            return
        table, columns = listing.projection.rows_table, listing.columns
        if reset:
            self.list_model.reset(columns, 0)
        asked = (where, search, listing)

        def first_page(context: JobContext):
            rows = read_rows(context.readmodels, table, offset=0, limit=PAGE_ROWS, where=where,
                             search=search)
            return rows, context.store.location, context.opened_read_only

        def read(result) -> None:
            rows, location, opened_read_only = result
            if not self._asked_now(asked):
                return
            if len(rows) < PAGE_ROWS:  # the first page holds them all: no count to make
                self._counted(asked, reset, len(rows))
                return
            if reset:  # else the last count stays shown until the new one comes
                self.list_model.reset(columns, len(rows))
                self.count_label.setText(f"{len(rows):,}+ sagas, counting…")
            self.counter.count((asked, reset), CountAsked(
                location, opened_read_only, table, listing.projection.name, where, search,
                keeps_rows=keeps_rows(listing.projection)))

        self.worker.submit(first_page, read, key="saga-count",
                           on_error=lambda error: self._count_failed(asked, error))

    def _counted(self, asked, reset: bool, total: int) -> None:
        where, search, listing = asked
        if not self._asked_now(asked) or listing is None:
            return
        status = self.status_filter.currentText().lower() if where else ""
        matching = f" matching “{search}”" if search else ""
        self.count_label.setText(f"{total:,} {status or 'sagas'}{matching}")
        if reset and self.list_model.rowCount() < PAGE_ROWS:
            self.list_model.reset(listing.columns, total)
        else:
            self.list_model.refresh(total)
            if self.selected:
                self._load_saga(self.selected)
        if total:
            self.no_rows.hide()
        else:
            self._say_empty(search, status)

    def _asked_now(self, asked) -> bool:
        """Whether `asked` (filter, search, saga) is still the list shown: what a request
        superseded since brings back, result or error, is let go."""
        return bool(asked == (self._where(), self.search.search, self.listing))

    def _count_failed(self, asked, error: Exception) -> None:
        if not self._asked_now(asked):
            return
        self.count_label.setText(str(error))
        if isinstance(error, SearchNotReadyError):
            listing = self.listing
            self.list_model.reset(listing.columns if listing is not None else [], 0)
            self._checkpoint = -1  # try again at the runner's next report

    def _say_none(self) -> None:
        """The system has no sagas, or none with a read model listing its instances."""
        self.list_model.reset([], 0)
        self.count_label.setText("")
        if self.system.sagas:
            names = ", ".join(saga.name for saga in self.system.sagas)
            self.no_rows.show_note(html.escape(
                f"No read model lists the instances of {names}: a system lists a saga's "
                "instances with a SagaInstancesProjection (explorer.sagas.instances) among its "
                "projections."))
        else:
            self.no_rows.show_note(f"<b>{html.escape(self.system.label)} has no sagas.</b>")

    def _say_empty(self, search: str, status: str) -> None:
        if search:
            self.no_rows.show_empty("sagas", search, f"among the {status} sagas" if status else "")
        else:
            self.no_rows.show_empty(f"{status} sagas" if status else "sagas yet")

    def _request_page(self, generation: int, page: int) -> None:
        where, search, listing = self._where(), self.search.search, self.listing
        if listing is None:
            return
        table = listing.projection.rows_table

        def read(context: JobContext):
            return read_rows(context.readmodels, table, offset=page * PAGE_ROWS,
                             limit=PAGE_ROWS, where=where, search=search)

        def failed(error: Exception) -> None:
            if generation == self.list_model.generation:  # else a page of a list gone since
                self.count_label.setText(str(error))

        self.worker.submit(read, lambda rows: self.list_model.page_loaded(generation, page, rows),
                           on_error=failed)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        row = indexes[0].data(ROW_ROLE) if indexes else None
        if row is None:
            return
        self.selected = row["saga_id"]
        self._load_saga(self.selected)

    # -- one saga --------------------------------------------------------------------------

    def _load_saga(self, saga_id: str) -> None:
        listing, domain = self.listing, self.system.domain
        if listing is None:
            return

        def load(context: JobContext):
            store = context.store
            saga = Repository(store, domain).load(listing.saga, saga_id).aggregate
            return saga, step_views(store, saga), store.read_stream(saga_id)

        self.worker.submit(load, lambda result: self._show_saga(saga_id, *result),
                           key="saga-detail",
                           on_error=lambda error: self._saga_failed(saga_id, error))

    def _saga_failed(self, saga_id: str, error: Exception) -> None:
        if saga_id == self.selected:  # else another saga was selected meanwhile
            self.title.setText(html.escape(str(error)))

    def _show_saga(self, saga_id: str, saga, steps, history) -> None:
        if saga_id != self.selected:
            return
        colour = STATUS_COLOURS.get(saga.status, "#000000")
        reason = f" — {html.escape(saga.reason)}" if saga.reason else ""
        self.title.setText(f"<b>{html.escape(saga_id)}</b> &nbsp;<span style='color:{colour}'>"
                           f"{html.escape(saga.status)}</span>{reason}")
        self.steps.setRowCount(len(steps))
        for row, step in enumerate(steps):
            kind = " (undo)" if step.kind == "compensation" else ""
            outcome = step.reason or (f"{step.event_type} at {step.event_position}"
                                      if step.event_position else "")
            begun, finished = _time(step.scheduled_at_us), _time(step.finished_at_us)
            if begun and finished.startswith(begun[:11]):  # the same day: its time of day
                finished = finished[11:]  # (the whole in the tooltip; the Outcome in view)
            cells = [f"{step.step}{kind}", step.status, begun, finished, outcome]
            times = {2: step.scheduled_at_us, 3: step.finished_at_us}
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{step.target}\n{outcome}" if column == 0 else
                                raw_time(times[column]) if times.get(column) else text)
                if column == 0:
                    item.setData(POSITION_ROLE, step.event_position)
                if column == 1:
                    item.setForeground(QBrush(QColor(STEP_COLOURS.get(step.status, "#000"))))
                self.steps.setItem(row, column, item)
        self.history.setRowCount(len(history))
        for row, event in enumerate(history):
            learnt = {k: v for k, v in event.data.items()
                      if k not in ("source_event_id", "at", "schedule", "outcomes")}
            scheduled = [s["step"] for s in event.data.get("schedule", [])]
            if scheduled:
                learnt["then"] = ", ".join(scheduled)
            cells = [str(event.position), short_time(event.timestamp_us), event.event_type,
                     summarize(learnt, 140)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setData(POSITION_ROLE, event.position)
                if column == 3:
                    item.setToolTip(summarize(learnt, 2000))
                self.history.setItem(row, column, item)


def _time(micros: int | None) -> str:
    return clock_time(micros) if micros else ""
