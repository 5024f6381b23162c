"""The explorer's behaviour: which events are listed, paging, selection, cause and effect,
navigation history and live updates. Widgets show; this asks the worker and routes results.

An empty list says why ("No events match" and the filters, with a Clear link), and a content
filter comparing unlike types (data.total > "abc") is checked against a sample of the store.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from explorer.browsing.causality import build_tree
from explorer.browsing.rows import (
    ContiguousRows,
    KeysetRows,
    PositionRows,
    RowMap,
    build_row_map,
    new_positions,
    read_rows,
)
from explorer.projections.search_upcasts import search_upcast_warnings
from explorer.projections.timeline_counts import counted_events, kept_match_count
from explorer.store.filter_types import type_warnings
from explorer.store.filter_upcasts import upcast_warnings
from explorer.store.path_indexes import indexed_positions, uses_path_index
from explorer.store.query import EventQuery
from explorer.store.reading import FIELD_TYPE_SAMPLE
from explorer.store.records import RecordedEvent
from explorer.ui.models.event_table import COPY_ROLE, PAGE_SIZE, STREAM, EventTableModel
from explorer.ui.models.stream_tree import StreamTreeModel
from explorer.ui.widgets.causality_panel import CausalityPanel
from explorer.ui.widgets.empty_list import EmptyListNotice
from explorer.ui.widgets.event_detail import EventDetail
from explorer.ui.widgets.filter_bar import FilterBar, Filters
from explorer.ui.widgets.tables import elide_middle, tab_leaves
from explorer.ui.window.fulltext import (
    NewestMatches,
    newest_matches,
    search_rows,
    searched_after,
)
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem, StoreSummary

CORRELATION_LIMIT = 2000


@dataclass(frozen=True)
class ViewState:
    """What the event list shows: one stream (or all), through some filters."""

    stream_id: str | None = None
    filters: Filters = field(default_factory=Filters)

    def query(self):
        return self.filters.query(self.stream_id)


def stream_choice(view: ViewState) -> str | tuple[str, str] | None:
    """The stream browser's entry that shows `view`: its stream, else its stream type (a
    ("type", name) pair), else None (All events)."""
    if view.stream_id is not None:
        return view.stream_id
    return ("type", view.filters.stream_type) if view.filters.stream_type else None


@dataclass(frozen=True)
class Location:
    view: ViewState
    position: int | None


class History:
    """Back and forward over the places the user went to."""

    def __init__(self) -> None:
        self._back: list[Location] = []
        self._forward: list[Location] = []
        self.current: Location | None = None

    def visit(self, location: Location) -> None:
        if location == self.current:
            return
        if self.current is not None:
            self._back.append(self.current)
        self.current = location
        self._forward.clear()

    def update_position(self, position: int | None) -> None:
        """The selection moved within the same list: remember it without a new step."""
        if self.current is not None:
            self.current = replace(self.current, position=position)

    def back(self) -> Location | None:
        if not self._back or self.current is None:
            return None
        self._forward.append(self.current)
        self.current = self._back.pop()
        return self.current

    def forward(self) -> Location | None:
        if not self._forward or self.current is None:
            return None
        self._back.append(self.current)
        self.current = self._forward.pop()
        return self.current

    @property
    def can_go_back(self) -> bool:
        return bool(self._back)

    @property
    def can_go_forward(self) -> bool:
        return bool(self._forward)

    def clear(self) -> None:
        self._back.clear()
        self._forward.clear()
        self.current = None


EVENT_COLUMN_WIDTHS = (84, 176, 150, 64, 190)


class EventTableView(QTableView):
    """The event list's view. Copy (Ctrl+C) copies the current cell as QTableView does, but a
    position as its plain number (it is shown grouped: 10,099,038)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.matches(QKeySequence.StandardKey.Copy):
            text = self.currentIndex().data(COPY_ROLE)
            if text is not None:
                QGuiApplication.clipboard().setText(str(text))
            event.accept()
            return
        super().keyPressEvent(event)


def event_table_view(events: EventTableModel) -> QTableView:
    """The event list's view: one row per event, selected whole, one at a time."""
    table = EventTableView()
    table.setModel(events)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setShowGrid(False)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    for column, width in enumerate(EVENT_COLUMN_WIDTHS):
        table.setColumnWidth(column, width)
    table.setColumnWidth(0, max(EVENT_COLUMN_WIDTHS[0], events.position_width()))
    header.setSectionsMovable(True)
    tab_leaves(table)
    elide_middle(table, STREAM)  # a stream id's end tells it apart
    return table


class EventBrowser(QObject):
    """Signals:
        rows_ready(int): a new list is shown, with this many rows (more may follow for scans).
        scan_progress(int, int): a content filter scanned up to a position, of the last one.
        detail_shown(object): the event now shown in detail (or None).
        causality_shown(object): the event whose cause and effect are now shown.
        view_shown(object): a list is asked for; the stream browser's entry that shows it (a
            stream id, a ("type", name) pair, or None for all events: `stream_choice`).
        history_changed(): back/forward availability changed.
        live_applied(int): new events up to this position are now listed.
        failed(str): a job failed with this message.
    """

    rows_ready = Signal(int)
    scan_progress = Signal(int, int)
    detail_shown = Signal(object)
    causality_shown = Signal(object)
    view_shown = Signal(object)
    history_changed = Signal()
    live_applied = Signal(int)
    failed = Signal(str)

    def __init__(self, worker: StoreWorker, table: QTableView, events: EventTableModel,
                 streams: StreamTreeModel, filter_bar: FilterBar, detail: EventDetail,
                 causality: CausalityPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.table = table
        self.events = events
        self.streams = streams
        self.filter_bar = filter_bar
        self.detail = detail
        self.causality = causality
        self.view = ViewState()
        self.history = History()
        self.last_position = 0
        self._pending_select: int | None = None
        self._detail_follows_list = False
        """Back or Forward restores a list: once built, the detail shows its selected event,
        or nothing when none is selected (not the event of the list left)."""
        self._list_request = 0
        """Counts the lists asked for: a result or progress of any but the newest is dropped (the
        worker supersedes jobs of one key, but a result already on its way still arrives)."""
        self._building = False
        self.search_pending_note: Callable[[], str | None] = lambda: None
        """What an empty search list says while the search index is still being made (set by
        the window's FullTextSearch), instead of "No events match"; None when it is not."""
        self._list_job = 0
        self._scan_partial: dict[str, int] = {}
        self._live_backlog: int | None = None
        events.set_request_page(self._request_page)
        streams.set_request_streams(self._request_streams)
        events.dataChanged.connect(self._rows_loaded)
        self.empty_notice = EmptyListNotice(table)
        self.empty_notice.clear_requested.connect(filter_bar.clear)
        events.modelReset.connect(self.update_empty_notice)
        events.rowsInserted.connect(self.update_empty_notice)
        table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        filter_bar.changed.connect(self._filters_changed)
        causality.navigate.connect(self.go_to_event_id)

    # -- which list is shown ---------------------------------------------------------------

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        self.reset(summary.last_position)

    def reset(self, last_position: int) -> None:
        """A store was opened: start over on all its events."""
        self.last_position = last_position
        self.history.clear()
        self.detail.show_event(None)
        self.causality.clear()
        self.show(ViewState(), select=None, record=True)

    def show(self, view: ViewState, *, select: int | None = None, record: bool = True) -> None:
        """List the events of `view`, then select the event at position `select` if given."""
        self.view = view
        self._pending_select = select
        self._detail_follows_list = False
        self._list_request += 1
        request = self._list_request
        if record:
            self.history.visit(Location(view, select))
            self.history_changed.emit()
        self.view_shown.emit(stream_choice(view))
        query = view.query()
        self._building = True
        self.update_empty_notice()
        self._check_filter_types(view.filters)

        search = view.filters.search

        def build(context: JobContext) -> RowMap | NewestMatches:
            def partial(rows: PositionRows, scanned: int, last: int) -> None:
                context.progress((scanned, last, array("q", rows.positions)))
            if search:  # its newest matches first (see `built`)
                return newest_matches(context, search, query)
            if query.content is not None and uses_path_index(context.store, query):
                return PositionRows(indexed_positions(context.store, query))
            return build_row_map(context.store, query, partial, event_count=counted_events,
                                 around=select, kept_count=kept_match_count)

        partial: dict[str, int] = {}  # generation of the list showing a scan's first matches
        self._scan_partial = partial

        def progress(value) -> None:
            if request != self._list_request:  # a newer list was asked for
                return
            scanned, last, positions = value
            if not partial:  # show the first matches of a long scan at once
                partial["generation"] = self.events.set_rows(PositionRows(positions))
            elif len(positions) > len(self.events.rows):
                self.events.append_positions(positions[len(self.events.rows):])
            self.scan_progress.emit(scanned, last)  # (after: a stop keeps what is listed)

        def built(rows: RowMap | NewestMatches) -> None:
            if request != self._list_request:  # a newer list was asked for: not this one's turn
                return
            if isinstance(rows, NewestMatches):  # shown; the whole list is read after the jobs
                # the newest match asks for (its cause and effects), not before them
                self.events.set_rows(PositionRows(rows.positions), rows.events)
                self._select_newest_match()
                self._list_job = self.worker.submit(
                    lambda context: search_rows(context, search, query), built, key="rows",
                    on_error=self.job_failed)
                return
            if partial.get("generation") == self.events.generation and isinstance(
                    rows, PositionRows):  # the scan's list is on screen: only add the rest
                shown = len(self.events.rows)
                self.events.append_positions(rows.positions[shown:])
                self._rows_built(None)
            else:
                self._rows_built(rows)

        self._list_job = self.worker.submit(build, built, key="rows", on_progress=progress,
                                            on_error=self.job_failed)

    def stop_scan(self) -> bool:
        """Stop a content filter's scan: the matches it found so far stay listed. False if
        no list is being built."""
        if not self._building:
            return False
        self.worker.cancel(self._list_job)
        self._list_request += 1  # what the job still reports is dropped
        shown = self._scan_partial.get("generation") == self.events.generation
        self._rows_built(None if shown else PositionRows())
        return True

    def _rows_built(self, rows: RowMap | None) -> None:
        """The list is complete; `rows` replaces the shown one unless it was grown in place."""
        self._building = False
        current = self.table.currentIndex()  # in a search's newest matches, shown first: the
        # newest stays chosen (the index may have grown since them), another the user chose
        chosen = None if current.row() == len(self.events.rows) - 1 else self.selected_position()
        if rows is not None:
            self.events.set_rows(rows)
        rows = self.events.rows
        self.update_empty_notice()
        self.rows_ready.emit(len(rows))
        follows, self._detail_follows_list = self._detail_follows_list, False
        if self._pending_select is not None:
            if not self.select_position(self._pending_select):
                if follows:
                    self._clear_detail()
                else:  # not in this list: its place in time stays in view
                    self._scroll_near(self._pending_select)
        elif follows:
            self._clear_detail()
        elif self.view.filters.search:
            self._select_newest_match(chosen)
        elif len(rows):
            self.table.scrollToTop()
        if not self.table.currentIndex().isValid() and self.detail.shown_event is not None:
            self._clear_detail(left_out=True)  # not shown as if the new list held it
        if self._live_backlog is not None:
            backlog, self._live_backlog = self._live_backlog, None
            self.apply_new_events(backlog)

    def _scroll_near(self, position: int) -> None:
        """Scroll to the last event listed at or before `position` (the top if none is)."""
        row = self.events.rows.row_at_or_before(position)
        if row is None:
            self.table.scrollToTop()
        else:
            self.table.scrollTo(self.events.index(row, 0),
                                QAbstractItemView.ScrollHint.PositionAtCenter)

    def _select_newest_match(self, chosen: int | None = None) -> None:
        """A search lists its matches newest first: the newest is selected (its detail shown),
        at the foot of the list in log order, the older ones above it; `chosen`, an event the
        user selected meanwhile, stays selected instead."""
        if chosen is None or not self.select_position(chosen):
            self.select_last()

    def _filters_changed(self, filters: Filters) -> None:
        """The list is made again for new filters, keeping the selected event selected if it
        is in it (a search selects its newest match instead)."""
        kept = None if filters.search else self._kept_position()
        self.show(ViewState(self.view.stream_id, filters), select=kept)

    def update_empty_notice(self) -> None:
        """Say why the list is empty once it is known to be (not while it is being built):
        no event matches, or (a search whose index is being made) none has been found yet."""
        if len(self.events.rows) or self._building:
            self.empty_notice.hide()
        elif self.view.filters.search and (note := self.search_pending_note()) is not None:
            self.empty_notice.show_note(note)  # (not "no match": the index is not made yet)
        else:
            self.empty_notice.show_no_match(self.view.filters, self.view.stream_id)

    def _check_filter_types(self, filters: Filters) -> None:
        """Warn under the filter field if its content compares a field with a value of a type
        the field does not hold (in a sample of the events of the chosen types, or of all), or
        reads a field, or the search a word, that upcasting changes in older events."""
        content, types, search = filters.content, filters.event_types, filters.search
        if content is None and not search:
            return
        sampled = (f"the newest {FIELD_TYPE_SAMPLE} events of "
                   + (types[0] if len(types) == 1 else
                      "each chosen event type" if types else "each event type"))

        def check(context: JobContext) -> list[str]:
            warnings = [] if content is None else type_warnings(
                content, lambda field: context.store.field_types(field, types),
                sampled) + upcast_warnings(context.store, content, types)
            return warnings + (search_upcast_warnings(context.store, search, types)
                               if search else [])

        self.worker.submit(check, lambda warnings: self.filter_bar.show_warnings(
                               content, warnings, search),
                           key="filter-types", on_error=lambda error: self.failed.emit(
                               f"Could not check the filter's types: {error}"))

    def show_stream(self, choice) -> None:
        """The stream browser chose a stream id, a ("type", name) pair, or None for all events
        (and so no stream type either), keeping the selected event selected if it is in the
        list. The entry that shows the current view changes nothing."""
        if choice == stream_choice(self.view):
            return
        kept = self._kept_position()
        if isinstance(choice, str):
            self.show(ViewState(choice, self.view.filters), select=kept)
            return
        filters = replace(self.filter_bar.filters,
                          stream_type=choice[1] if isinstance(choice, tuple) else None)
        self.filter_bar.set_filters(filters)
        self.show(ViewState(None, filters), select=kept)

    def refresh(self) -> None:
        """Read the list again (F5), keeping the selected event."""
        self.show(self.view, select=self._kept_position(), record=False)

    # -- paging ----------------------------------------------------------------------------

    def _request_page(self, generation: int, page: int) -> None:
        rows = self.events.rows
        query = self.view.query()

        def read(context: JobContext) -> list[RecordedEvent]:
            return read_rows(context.store, rows, page * PAGE_SIZE, PAGE_SIZE, query)

        def failed(error: Exception) -> None:
            self.events.page_failed(generation, page)
            self.job_failed(error)

        self.worker.submit(read, lambda events: self.events.page_loaded(generation, page, events),
                           on_error=failed)

    def _request_streams(self, generation: int, stream_type: str, after: str | None,
                         limit: int) -> None:
        pattern = self.streams.pattern

        def read(context: JobContext):
            return context.store.list_streams(stream_type, pattern or None, after=after,
                                              limit=limit)

        self.worker.submit(read, lambda found: self.streams.streams_loaded(generation, stream_type,
                                                                           found),
                           on_error=self.job_failed)

    # -- selection -------------------------------------------------------------------------

    def selected_position(self) -> int | None:
        index = self.table.currentIndex()
        # (0: the row's page is not read yet, in a list read a page at a time)
        return (self.events.position(index.row()) or None) if index.isValid() else None

    def _kept_position(self) -> int | None:
        """The event a new list keeps selected: the one selected, or the one the detail shows
        while a list being built has reset the selection (a scan's first matches shown)."""
        if self.table.currentIndex().isValid():
            return self.selected_position()
        shown = self.detail.shown_event
        return None if shown is None else shown.position

    def select_position(self, position: int) -> bool:
        """Select the event at `position` if the list has it; True if it does."""
        row = self.events.row_of(position)
        if row is None:
            return False
        index = self.events.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index, QTableView.ScrollHint.PositionAtCenter)
        self._pending_select = None
        return True

    def select_last(self) -> None:
        if len(self.events.rows):
            self.select_position(self.events.rows.last_position)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        position = self.events.position(current.row())
        if position:  # else its page is on its way (a list read a page at a time)
            self.history.update_position(position)
        self._show_detail(current.row())

    def _rows_loaded(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        current = self.table.currentIndex()
        if current.isValid() and top_left.row() <= current.row() <= bottom_right.row() and (
                self.detail.shown_event is None
                or self.detail.shown_event.position != self.events.position(current.row())):
            self._show_detail(current.row())

    def _show_detail(self, row: int) -> None:
        event = self.events.event_at(row)
        if event is None:  # its page is on its way; _rows_loaded comes back here
            return
        if self.detail.shown_event is not None and self.detail.shown_event == event:
            return
        self.detail.show_event(event)
        self.detail_shown.emit(event)
        self._load_causality(event)

    def _load_causality(self, event: RecordedEvent) -> None:
        def find(context: JobContext):
            store = context.store
            cause = None
            causation = event.causation_id
            if causation and causation != event.metadata.get("command_id"):
                try:
                    cause = store.event_by_id(causation)
                except Exception:  # the cause may be a command, or missing: both are fine
                    cause = None
            related = (store.events_by_correlation(event.correlation_id, CORRELATION_LIMIT)
                       if event.correlation_id else [event])
            total = (store.count(EventQuery(correlation_id=event.correlation_id))
                     if event.correlation_id and len(related) >= CORRELATION_LIMIT
                     else len(related))  # (more than the tree reads: counted by its index)
            return cause, build_tree(related), len(related), total

        def shown(result) -> None:
            shown_now = self.detail.shown_event
            if shown_now is None or shown_now.event_id != event.event_id:
                return  # the selection moved on meanwhile
            cause, roots, count, total = result
            self.causality.show_causality(event, cause, roots, count, total)
            self.causality_shown.emit(event)

        self.worker.submit(find, shown, key="causality", on_error=self.job_failed)

    # -- navigation ------------------------------------------------------------------------

    def go_to_position(self, position: int) -> None:
        """Select the event at a position, in this list if it has it, else in all events."""
        if self.events.row_of(position) is not None:
            self.history.visit(Location(self.view, position))  # before the selection moves
            self.history_changed.emit()
            self.select_position(position)
            return
        rows, generation = self.events.rows, self.events.generation
        if isinstance(rows, KeysetRows) and not self._building:  # its page may not be read yet

            def find(context: JobContext) -> int | None:
                return rows.find(context.store, position)

            def found(row: int | None) -> None:
                if generation != self.events.generation:
                    return  # another list is shown meanwhile
                if row is None:
                    self._show_everything_at(position)
                else:
                    self.go_to_position(position)

            self.worker.submit(find, found, on_error=self.job_failed)
            return
        self._show_everything_at(position)

    def _show_everything_at(self, position: int) -> None:
        self.filter_bar.set_filters(Filters())
        self.show(ViewState(), select=position)

    def go_to_event_id(self, event_id: str) -> None:
        def find(context: JobContext) -> int:
            return context.store.event_by_id(event_id).position

        self.worker.submit(find, self.go_to_position, on_error=self.job_failed)

    def go_to_cause(self) -> None:
        event = self.detail.shown_event
        if event is None or not event.causation_id:
            return
        if event.causation_id == event.metadata.get("command_id"):
            self.failed.emit(f"{event.event_type} was caused directly by the command "
                             f"{event.metadata.get('command', '')}, not by another event.")
            return
        self.go_to_event_id(event.causation_id)

    def back(self) -> None:
        self._restore(self.history.back())

    def forward(self) -> None:
        self._restore(self.history.forward())

    def _restore(self, location: Location | None) -> None:
        if location is None:
            return
        self.history_changed.emit()
        self.filter_bar.set_filters(location.view.filters)
        if location.view == self.view and location.position is not None \
                and self.select_position(location.position):
            return
        self.show(location.view, select=location.position, record=False)
        self._detail_follows_list = True

    def _clear_detail(self, left_out: bool = False) -> None:
        """No event is selected in the list: none is shown in detail, nor its cause. With
        `left_out`, the detail says the event it showed is not in the list."""
        self.table.selectionModel().clearSelection()
        if (shown := self.detail.shown_event) is not None:
            if left_out:
                self.detail.show_left_out(shown)
            else:
                self.detail.show_event(None)
            self.causality.clear()
            self.detail_shown.emit(None)

    # -- live updates ----------------------------------------------------------------------

    def apply_new_events(self, last_position: int) -> None:
        """Events up to `last_position` exist now: add the matching ones at the end of the list."""
        if last_position <= self.last_position:
            return
        if self._building:  # the list being built will include them; catch up afterwards
            self._live_backlog = last_position
            return
        known = self.last_position
        self.last_position = last_position
        rows = self.events.rows
        if isinstance(rows, ContiguousRows) and self.view == ViewState():
            start = rows.first + len(rows)
            self._append_live(array("q", range(start, last_position + 1)))
            self.live_applied.emit(last_position)
            return
        self._find_more(max(known, rows.last_position), last_position)

    def search_index_grew(self) -> None:
        """The full-text index holds more events: list the new matches of a search."""
        if self.view.filters.search and not self._building:
            self._find_more(self.events.rows.last_position, None)

    def _find_more(self, after: int, last_position: int | None) -> None:
        """Add the list's matching events after position `after` at its end (then, with
        `last_position`, say the list is live up to it: live_applied)."""
        query, search = self.view.query(), self.view.filters.search
        generation = self.events.generation

        def find(context: JobContext) -> array:
            if search:
                return searched_after(context, search, query, after)
            return new_positions(context.store, query, after)

        def found(positions: array) -> None:
            if generation == self.events.generation:
                listed = self.events.rows.last_position  # another look may have added some
                self._append_live(positions[bisect.bisect_right(positions, listed):])
            if last_position is not None:
                self.live_applied.emit(last_position)

        self.worker.submit(find, found, on_error=self.job_failed)

    def _append_live(self, positions: array) -> None:
        """Add new events; a list scrolled to its end keeps following, like `tail -f`."""
        bar = self.table.verticalScrollBar()
        at_end = len(self.events.rows) > 0 and bar.value() >= bar.maximum()
        current = self.table.currentIndex()
        newest_chosen = self.view.filters.search and (
            not current.isValid() or current.row() == len(self.events.rows) - 1)
        self.events.append_positions(positions)
        if newest_chosen and len(positions):  # a search keeps its newest match selected
            self._select_newest_match()
        elif at_end and len(positions):
            self.table.scrollToBottom()

    def job_failed(self, error: Exception) -> None:
        self._building = False
        self.failed.emit(str(error))
