"""What reaches the event list, the stream tree and the timeline as the open store grows.

While the list is live, events any process appends are listed as they arrive and the stream
tree's counts and the timeline's end follow; while it is paused (Live Updates off), the new
events are only counted, and resuming takes them all in. The stream filter's
counts (each type's matching streams "of" all its streams: the filter picks streams in the tree;
a type still lists all its events) are read on the worker, from the stream index, and the
events a command from the console wrote are selected once they are listed.

Signals (LiveEventList):
    state_changed(): the list was paused or resumed, or missed more events while paused.
    taken_in(int): the window takes in the log up to this position (the timeline follows).
    written_selected(): an event a command wrote is selected in the list.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from explorer.projections.timeline_counts import counted_stream_types
from explorer.store.records import StreamTypeInfo
from explorer.ui.event_browser import EventBrowser
from explorer.ui.models.event_table import EventTableModel
from explorer.ui.models.stream_tree import StreamTreeModel
from explorer.ui.session import LoadedSystem, StoreSummary
from explorer.ui.widgets.stream_browser import StreamBrowser
from explorer.ui.worker import JobContext, StoreWorker

TypeCounts = tuple[list[StreamTypeInfo], dict[str, int] | None]


def type_counts(context: JobContext, pattern: str) -> TypeCounts:
    """Each stream type's counts of streams and events, and with a pattern, how many of its
    streams match it (by type; from the stream index, not the log)."""
    store = context.store
    types = counted_stream_types(store)
    if not pattern:
        return types, None
    return types, {t.stream_type: store.count_streams(t.stream_type, pattern) for t in types}


class LiveEventList(QObject):
    """Feeds `browser` (the event list) and `streams` (the stream tree) from the store."""

    state_changed = Signal()
    taken_in = Signal(int)
    written_selected = Signal()

    def __init__(self, worker: StoreWorker, browser: EventBrowser, events: EventTableModel,
                 streams: StreamBrowser, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.browser = browser
        self.events = events
        self.streams = streams
        self.live = True
        self.missed = 0  # events appended while the list was paused
        self._latest_position = 0
        self._select_when_listed: int | None = None
        browser.live_applied.connect(self._select_written)

    @property
    def stream_model(self) -> StreamTreeModel:
        return self.streams.model

    def show_store(self, _summary: StoreSummary, _loaded: LoadedSystem) -> None:
        self.missed = 0
        self._select_when_listed = None  # a position written to the store that was open before
        self.events.set_highlight(())

    def set_live(self, live: bool) -> None:
        """Resume or pause taking in new events; resuming takes in those missed meanwhile, in
        the list and in the tree's counts alike."""
        self.live = live
        if live and self.missed:
            self.missed = 0
            self._take_in(self._latest_position)
        self.state_changed.emit()

    def store_changed(self, last_position: int) -> None:
        self._latest_position = last_position
        if not self.live:
            self.missed = last_position - self.browser.last_position
            self.state_changed.emit()
            return
        self._take_in(last_position)

    def _take_in(self, last_position: int) -> None:
        """List the events up to `last_position`, count them in the stream tree and let the
        timeline reach them."""
        self.taken_in.emit(last_position)
        self.browser.apply_new_events(last_position)
        pattern = self.stream_model.pattern

        def counts(context: JobContext) -> TypeCounts:
            return type_counts(context, pattern)

        def counted(found: TypeCounts) -> None:
            if pattern == self.stream_model.pattern:  # (else the new pattern's counts come)
                self.stream_model.update_counts(found[0], last_position, found[1])

        self.worker.submit(counts, counted, key="type-counts", on_error=lambda e: None)

    def refreshed(self, summary: StoreSummary) -> None:
        """The store's summary was read again: the list's end and the tree's counts follow it
        (the list is read again after: `EventBrowser.refresh`); under a stream filter, its
        matching streams are counted again."""
        self.browser.last_position = summary.last_position
        self.missed = 0  # the list is read again up to the summary's end, paused or not
        self.taken_in.emit(summary.last_position)
        self.state_changed.emit()
        pattern = self.stream_model.pattern
        if pattern:
            self.pattern_changed(pattern)
        else:
            self.stream_model.set_types(summary.stream_types, summary.last_position)

    def pattern_changed(self, pattern: str) -> None:
        """The stream filter changed: count the matching streams of each type (the type's
        counts of all its streams and events stay beside them)."""
        def count(context: JobContext) -> TypeCounts:
            return type_counts(context, pattern)

        def counted(found: TypeCounts) -> None:
            types, matching = found
            model = self.stream_model
            model.set_types(types, self.browser.last_position, pattern, matching)
            for row, info in enumerate(types):
                if matching and matching.get(info.stream_type):
                    self.streams.tree.expand(model.index(row, 0, model.all_index()))

        self.worker.submit(count, counted, key="pattern", on_error=self.browser.job_failed)

    def command_wrote(self, positions: tuple[int, ...]) -> None:
        """A command from the console wrote these events: show them in the list, highlighted."""
        self.events.set_highlight(positions)
        self._select_when_listed = positions[0]
        if self.browser.last_position >= max(positions):
            self._select_written(self.browser.last_position)
        else:
            self.browser.apply_new_events(max(positions))  # sooner than the watcher says

    def _select_written(self, listed_up_to: int) -> None:
        position = self._select_when_listed
        if position is not None and listed_up_to >= position:
            self._select_when_listed = None
            if self.browser.select_position(position):
                self.written_selected.emit()
