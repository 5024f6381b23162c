"""The "As of" panel: the system at the time-travel cursor, all at once.

Left, the aggregate (the selected stream's, or that of the event at the cursor) with what its
latest event changed (`aggregate_pane`). Middle, a read model's rows as of the cursor (chosen by
its whole title: tabs cut "Stock per product" to "Stock per pr…" at 1400x900, and to "Stock …"
at 1024x700), those the event at the cursor wrote highlighted. Right, the saga instances as of
the cursor and one saga's steps. Without a system there are no read models
or sagas: the aggregate takes the whole width.

Laid out for a laptop screen: the read models get the widest share of the width and of any
extra; columns are as wide as their content up to a limit, longer text ends in "…" with the
whole of it on hover; secondary columns (since which position a row holds) are hidden and can
be shown again from the table header's menu.

Signals:
    saga_chosen(str): the user picked a saga whose steps to follow.
    open_position(int): show the event at this position in the explorer.
    watch_wanted(str): pin this expression to the Watch panel ("Watch This" on a state field
        or a read-model cell: watch_this).
"""

from __future__ import annotations

import html
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.common.formatting import short_time
from explorer.sagas.instances import ROW_COLUMNS
from explorer.sagas.progress import current_step
from explorer.system import System
from explorer.timetravel.machine import Moment, ReadModelAt, SagaAt
from explorer.ui.cursor_moves import MORE_ROWS
from explorer.ui.models.moment_rows import ROW_ROLE, SINCE, MomentRowsModel
from explorer.ui.models.read_model import STATUS_COLOURS
from explorer.ui.tones import TEXT_ON_TINT, TINT_TEXT
from explorer.ui.widgets.aggregate_pane import PATH_ROLE, AggregatePane, rich_label
from explorer.ui.widgets.change_tree import FIELD
from explorer.ui.widgets.tables import read_only_table, row_view
from explorer.ui.widgets.watch_this import cell_expression, field_expression, offer_watch

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem

STEP_COLOURS = {"done": "#2e7d32", "pending": "#1565c0", "failed": "#c62828",
                "compensated": "#ef6c00"}
SAGA_COLUMNS = ["status", "current_step", "valid_from"]  # after the saga's own (the shop's
# order_id), else its id
SAGAS = "sagas"  # the sagas' rows, among the read models' names
POSITION_ROLE = Qt.ItemDataRole.UserRole + 9
SHARES = (26, 42, 32)  # of the width: aggregate, read models, sagas (and 1:2:1 of any extra)
COLUMN_LIMIT = 160  # pixels: wider text is elided, whole in its tooltip
SECONDARY = (SINCE,)  # columns hidden until the user shows them (the header's menu)


def _view(model) -> QTableView:
    view = row_view(model)
    view.setAlternatingRowColors(True)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setMinimumSectionSize(36)
    _offer_columns(view)
    return view


def _fit(view: QTableView, model: MomentRowsModel, limit: int = COLUMN_LIMIT,
         secondary: tuple[str, ...] = SECONDARY) -> None:
    """Columns as wide as their rows' text, up to `limit`; a long header is cut rather than
    make a column of short values wide; `secondary` columns hidden."""
    metrics = view.fontMetrics()
    for column in range(model.columnCount()):
        header = str(model.headerData(column, Qt.Orientation.Horizontal))
        texts = [str(model.index(row, column).data() or "") for row in range(model.rowCount())]
        content = max((metrics.horizontalAdvance(text) for text in texts), default=0)
        width = max(content, min(metrics.horizontalAdvance(header), 90)) + 16
        view.horizontalHeader().resizeSection(column, min(width, limit))
        view.setColumnHidden(column, model.columns[column] in secondary)


def _offer_columns(view: QTableView) -> None:
    """A menu on the table's header to hide and show its columns."""
    header = view.horizontalHeader()
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(
        lambda point: column_menu(view).popup(header.mapToGlobal(point)))


def column_menu(view: QTableView) -> QMenu:
    """A menu of the table's columns, each ticked while shown; unticking hides it."""
    menu = QMenu(view)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    model = view.model()
    shown = sum(not view.isColumnHidden(c) for c in range(model.columnCount()))
    for column in range(model.columnCount()):
        action = menu.addAction(str(model.headerData(column, Qt.Orientation.Horizontal)))
        action.setCheckable(True)
        action.setChecked(not view.isColumnHidden(column))
        action.setEnabled(view.isColumnHidden(column) or shown > 1)  # keep one
        action.toggled.connect(lambda on, c=column: view.setColumnHidden(c, not on))
    return menu


class MomentPanel(QWidget):
    """Signals:
        saga_chosen(str): show this saga's steps.
        open_position(int): show the event at this position in the explorer.
        more_rows_wanted(str, int): show more of this read model's rows, after this many.
        watch_wanted(str): pin this expression to the Watch panel.
    """

    saga_chosen = Signal(str)
    open_position = Signal(int)
    more_rows_wanted = Signal(str, int)
    watch_wanted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.moment: Moment | None = None
        self.focused_stream: str | None = None
        self._fitted: set[str] = set()
        self._more: dict[str, bool] = {}  # per read model: more rows than shown were valid
        self._reading: set[str] = set()  # read models whose next page is being read

        self.aggregate = AggregatePane()
        self.aggregate_title = self.aggregate.title
        self.aggregate_caption = self.aggregate.caption
        self.state = self.aggregate.state
        offer_watch(self.state, self._field_at, self.watch_wanted.emit)
        self._keys: dict[str, list[str]] = {}  # each read model's key columns

        # the read models
        self.read_models = QStackedWidget()  # a table per read model, chosen by its title
        self.read_model_choice = QComboBox()
        self.read_model_choice.setSizePolicy(QSizePolicy.Policy.Expanding,
                                             QSizePolicy.Policy.Fixed)
        self.read_model_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.read_model_choice.setMinimumContentsLength(8)  # (a long title: cut, whole in its list)
        self.read_model_choice.currentIndexChanged.connect(self.read_models.setCurrentIndex)
        self.read_models.currentChanged.connect(self.read_model_choice.setCurrentIndex)
        self.read_models.currentChanged.connect(lambda _: self._show_read_model_note())
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("<b>Read model</b>"))
        chooser.addWidget(self.read_model_choice, 1)
        self.models: dict[str, MomentRowsModel] = {}
        self.views: dict[str, QTableView] = {}
        self.read_model_note = rich_label(grey=True)
        self.read_model_note.linkActivated.connect(
            lambda _: self._more_wanted(self._current_read_model()))
        read_models = QWidget()
        layout = QVBoxLayout(read_models)
        layout.setContentsMargins(3, 6, 3, 6)
        layout.addLayout(chooser)
        layout.addWidget(self.read_models, 1)
        layout.addWidget(self.read_model_note)

        # the sagas
        self.sagas_model = MomentRowsModel(self)
        self.sagas = _view(self.sagas_model)
        self.sagas.clicked.connect(self._saga_clicked)
        self.saga_title = rich_label("Sagas as of the cursor", grey=True)
        self.steps = read_only_table(["Step", "Status", "Finished"])
        finished = QTableWidgetItem("Finished")  # a header item of its own, for its tooltip
        finished.setToolTip("When the step finished, UTC (the time of day on the cursor's day)")
        self.steps.setHorizontalHeaderItem(2, finished)
        self.steps.setTextElideMode(Qt.TextElideMode.ElideRight)
        steps_header = self.steps.horizontalHeader()
        steps_header.setStretchLastSection(False)
        steps_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the step's name
        for column in (1, 2):
            steps_header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.steps.setToolTip("Double-click a step to open its event")
        self.steps.itemDoubleClicked.connect(self._step_opened)
        sagas = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        layout = QVBoxLayout(top)
        layout.setContentsMargins(3, 6, 6, 0)
        self.sagas_heading = rich_label("<b>Sagas</b>")
        layout.addWidget(self.sagas_heading)
        layout.addWidget(self.sagas, 1)
        self.sagas_note = rich_label(grey=True)
        self.sagas_note.linkActivated.connect(lambda _: self._more_wanted(SAGAS))
        layout.addWidget(self.sagas_note)
        bottom = QWidget()
        layout = QVBoxLayout(bottom)
        layout.setContentsMargins(3, 0, 6, 6)
        layout.addWidget(self.saga_title)
        layout.addWidget(self.steps, 1)
        sagas.addWidget(top)
        sagas.addWidget(bottom)
        sagas.setSizes([55, 45])
        self.sagas_split = sagas

        self.read_models_pane = read_models
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setChildrenCollapsible(False)
        for pane, stretch in ((self.aggregate, 1), (read_models, 2), (sagas, 1)):
            pane.setMinimumWidth(160)  # three across an 800-pixel screen
            self.split.addWidget(pane)
            self.split.setStretchFactor(self.split.count() - 1, stretch)
        self.split.setSizes([share * 12 for share in SHARES])  # in proportion, as first shown
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.split)

    # -- the system ------------------------------------------------------------------------

    def show_system(self, loaded: LoadedSystem) -> None:
        self.set_system(loaded.system)

    def set_system(self, system: System) -> None:
        """What there is to show: a system's read models and sagas (their tabs start over), or
        without one the aggregate alone."""
        self.clear()
        self.read_model_choice.clear()
        for view in self.views.values():
            self.read_models.removeWidget(view)
            view.deleteLater()
        for model in self.models.values():
            model.deleteLater()
        self.models.clear()
        self.views.clear()
        self._fitted.clear()
        self._keys = {projection.name: list(projection.main_table.info["keys"])
                      for projection in system.projections()}
        self.read_models_pane.setVisible(not system.generic)
        self.sagas_split.setVisible(bool(system.sagas))

    # -- showing a moment ------------------------------------------------------------------

    def show_moment(self, moment: Moment, focused_stream: str | None = None) -> None:
        self.moment = moment
        self.focused_stream = focused_stream
        self.aggregate.show_moment(moment, focused_stream)
        self._show_read_models(moment)
        self._show_sagas(moment.sagas, moment.position)
        self._show_saga(moment.saga, moment.position)

    def _show_read_models(self, moment: Moment) -> None:
        for name, model_at in moment.read_models.items():
            model = self.models.get(name)
            if model is None:
                model = self.models[name] = MomentRowsModel(self)
                view = self.views[name] = _view(model)
                offer_watch(view, partial(self._cell_at, name), self.watch_wanted.emit)
                self.read_models.addWidget(view)
                self.read_model_choice.addItem(model_at.title)
                self.read_model_choice.setItemData(self.read_model_choice.count() - 1,
                                                   model_at.title, Qt.ItemDataRole.ToolTipRole)
            model.set_rows(model_at.rows, moment.position)
            self._more[name] = model_at.more
            self._reading.discard(name)
            if name not in self._fitted and model_at.rows:
                self._fitted.add(name)
                _fit(self.views[name], model)
        self._show_read_model_note()

    def _field_at(self, point: QPoint) -> str | None:
        """The watch of the state field at `point` in the aggregate's tree."""
        item = self.state.itemAt(point)
        aggregate = self.moment.aggregate if self.moment is not None else None
        if item is None or aggregate is None:
            return None
        return field_expression(aggregate.stream_id, item.data(FIELD, PATH_ROLE))

    def _cell_at(self, name: str, point: QPoint) -> str | None:
        """The watch of the read-model cell at `point` in `name`'s table."""
        index = self.views[name].indexAt(point)
        model = self.models[name]
        if not index.isValid() or name not in self._keys:
            return None
        return cell_expression(name, self._keys[name], model.rows[index.row()],
                               model.columns[index.column()])

    def _show_read_model_note(self) -> None:
        moment = self.moment
        if moment is None or not self.models:
            return
        name = self._current_read_model()
        model_at: ReadModelAt | None = moment.read_models.get(name) if name else None
        if name is None or model_at is None:
            return
        model = self.models[name]
        changed = len(model.changed_rows())
        text = self._rows_note(name, model, moment.position)
        if changed:
            text += (f"; <span style='background:#fff59d; color:{TINT_TEXT}'>&nbsp;{changed} "
                     f"written by the event at the cursor&nbsp;</span>")
        if model_at.built_to < moment.position:
            text += (f"<br><span style='color:#e65100'>Built up to position "
                     f"{model_at.built_to:,} so far: later changes will show once the projection"
                     " catches up.</span>")
        self.read_model_note.setText(text)

    def _current_read_model(self) -> str | None:
        index = self.read_models.currentIndex()
        return list(self.models)[index] if 0 <= index < len(self.models) else None

    def _model_of(self, name: str) -> MomentRowsModel | None:
        return self.sagas_model if name == SAGAS else self.models.get(name)

    def _more_wanted(self, name: str | None) -> None:
        model = self._model_of(name) if name else None
        if name and model is not None and self._more.get(name) and name not in self._reading:
            self._reading.add(name)
            self._show_notes()
            self.more_rows_wanted.emit(name, len(model.rows))

    def add_rows(self, name: str, offset: int, model_at: ReadModelAt | None) -> None:
        """A further page of a read model's (or the sagas') rows as of the moment shown; None
        if it could not be read (the link is offered again)."""
        model = self._model_of(name)
        if model is None or self.moment is None:
            return
        first = self.moment.sagas if name == SAGAS else self.moment.read_models.get(name)
        if model_at is None or model_at.changed_at != self.moment.position \
                or len(model.rows) != offset or first is None \
                or model_at.built_to != first.built_to:  # the projection moved on meanwhile:
            # its pages would overlap or leave gaps; the moment is read again as it catches up
            self._reading.discard(name)
            self._show_notes()
            return
        model.append_rows(_saga_rows(model_at) if name == SAGAS else model_at.rows)
        self._more[name] = model_at.more
        self._reading.discard(name)
        self._show_notes()

    def _show_notes(self) -> None:
        self._show_read_model_note()
        self._show_sagas_note()

    def _show_sagas_note(self) -> None:
        if self.moment is None:
            self.sagas_note.setText("")
            return
        count = len(self.sagas_model.rows)
        text = (self._more_link(SAGAS, f"The {count:,} changed last")
                if self._more.get(SAGAS) else f"All {count:,}" if count else "No sagas")
        sagas = self.moment.sagas
        if sagas is not None and sagas.built_to < self.moment.position:
            text += (f"<br><span style='color:#e65100'>Built up to position "
                     f"{sagas.built_to:,} so far</span>")
        self.sagas_note.setText(text)

    def _rows_note(self, name: str, model: MomentRowsModel, position: int) -> str:
        """"40 rows as of position P, latest changes first · show 200 more" and the like."""
        more = self._more.get(name)
        if not model.rows and not more:
            return f"No rows as of position {position:,}"
        text = (f"{'' if more else 'All '}{len(model.rows):,} rows as of position "
                f"{position:,}, latest changes first")
        return self._more_link(name, text) if more else text

    def _more_link(self, name: str, text: str) -> str:
        return text + " · " + ("reading more…" if name in self._reading else
                               f"<a href='more'>show {MORE_ROWS} more</a>")

    def _show_sagas(self, sagas: ReadModelAt | None, position: int) -> None:
        rows = [] if sagas is None else _saga_rows(sagas)
        self.sagas_model.set_rows(rows, position)
        self._more[SAGAS] = sagas is not None and sagas.more
        self._reading.discard(SAGAS)
        self._show_sagas_note()
        if sagas is not None:
            self.sagas_heading.setText(f"<b>{html.escape(sagas.title)}</b>")
        if "sagas" not in self._fitted and rows:
            self._fitted.add("sagas")
            # the saga's id repeats its own columns' (the shop's order id), if it has any; the
            # last shown, the current step, stretches
            own = len(self.sagas_model.columns) > len(SAGA_COLUMNS) + 1
            _fit(self.sagas, self.sagas_model, 110, (*SECONDARY, *(("saga_id",) if own else ())))
        chosen = self.moment.saga.saga_id if self.moment and self.moment.saga else None
        for number, row in enumerate(rows):
            if row.get("saga_id") == chosen:
                self.sagas.selectRow(number)
                break
        else:
            self.sagas.clearSelection()

    def _show_saga(self, saga: SagaAt | None, position: int) -> None:
        self.steps.setRowCount(0)
        if saga is None:
            self.saga_title.setText("Select a saga (or move to one of its events) to see its "
                                    "steps as of the cursor.")
            return
        colour = STATUS_COLOURS.get(saga.status, "#424242")
        reason = f" — {html.escape(saga.reason)}" if saga.reason else ""
        self.saga_title.setText(f"<b>{html.escape(saga.saga_id)}</b> <span style='color:"
                                f"{colour}'>{html.escape(saga.status)}</span>{reason}")
        self.steps.setRowCount(len(saga.steps))
        event = self.moment.event if self.moment is not None else None
        day = short_time(event.timestamp_us)[:10] if event is not None else ""
        for row, step in enumerate(saga.steps):
            finished = short_time(step.finished_at_us) if step.finished_at_us else ""
            label = step.step + (" (undo)" if step.kind == "compensation" else "")
            about = "\n".join(line for line in (
                step.step + (" (compensation)" if step.kind == "compensation" else ""),
                step.target, step.reason, finished and f"finished {finished} UTC",
                "Double-click to open its event" if step.event_position else "") if line)
            for column, text in enumerate((label, step.status, _within_day(finished, day))):
                item = QTableWidgetItem(text)
                item.setData(POSITION_ROLE, step.event_position)
                item.setToolTip(about)
                if column == 1:
                    item.setForeground(QBrush(QColor(STEP_COLOURS.get(step.status, "#424242"))))
                if step.event_position == position:
                    item.setBackground(QBrush(QColor("#fff59d")))
                    if column != 1:
                        item.setForeground(TEXT_ON_TINT)
                self.steps.setItem(row, column, item)

    # -- the user --------------------------------------------------------------------------

    def _saga_clicked(self, index) -> None:
        row = index.data(ROW_ROLE)
        if row and row.get("saga_id"):
            self.saga_chosen.emit(row["saga_id"])

    def _step_opened(self, item: QTableWidgetItem) -> None:
        position = item.data(POSITION_ROLE)
        if position:
            self.open_position.emit(int(position))

    def clear(self) -> None:
        self.moment = None
        self.aggregate.clear()
        self.steps.setRowCount(0)
        self.sagas_model.set_rows([], None)
        for model in self.models.values():
            model.set_rows([], None)
        self._more.clear()
        self._reading.clear()
        self.read_model_note.setText("")
        self.sagas_note.setText("")


def _within_day(time: str, day: str) -> str:
    """A time as short as it can be said beside `day` (that of the cursor's event): the time
    of day on that day, else the day and minute, without the year in the same year. The whole
    time is in the tooltip."""
    if day and time.startswith(day):
        return time[11:19]
    return time[5:16] if day and time[:4] == day[:4] else time[:16]


def _saga_rows(sagas: ReadModelAt) -> list[dict[str, Any]]:
    """The sagas' rows as listed: the saga's own columns (the shop's order_id), else its id,
    then SAGA_COLUMNS; the saga id always (to choose one by). A finished saga has no current
    step (current_step)."""
    rows = []
    for row in sagas.rows:
        own = [c for c in row if c not in ROW_COLUMNS and c not in ("saga_id", SINCE)]
        shown = {c: row.get(c) for c in (*(own or ["saga_id"]), *SAGA_COLUMNS) if c in row}
        if "current_step" in shown:
            shown["current_step"] = current_step(row)
        rows.append(shown | {"saga_id": row.get("saga_id")})
    return rows
