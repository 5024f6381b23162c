"""What the window has open, and the news about it that its panels subscribe to.

A `StoreSession` holds the open store's `StoreSummary` (where it is, whether it is read-only,
its last position, types and hints), the `LoadedSystem` it is read with, the worker whose store
it is, and the watcher that sees other processes append to it. It announces each change by a
signal; each panel takes the news in one method (`show_store(summary, loaded)`,
`show_system(loaded)`), so the window only wires them.

Opening reads nothing of the whole log before the first page: the event types stored are a scan
on a store without an index of them (the eventsourcing library's), so an opened summary offers
the system's types and the stored ones follow from the worker (`types_read`). A store whose
stream index is derived from its log (the library's again) opens without it (`streams_pending`):
the index is built, then the event types read, on a worker of the session's own (`indexer`),
so the window's worker reads the first page and any other meanwhile; the stream types follow
(`streams_read`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from explorer.browsing.hints import StoreExamples, store_examples
from explorer.projections.timeline_counts import counted_stream_types
from explorer.store import EventStore
from explorer.store.records import StreamTypeInfo
from explorer.system import NO_SYSTEM, System
from explorer.system.discovery import NONE
from explorer.system.workspace import default_demo_store, open_store
from explorer.ui.worker import ChangeWatcher, JobContext, StoreWorker


@dataclass(frozen=True)
class LoadedSystem:
    """A system and how it was named (what the window's runner process is started with: an
    installed name, a module path, or "none"), and, without one, why none is loaded."""

    system: System
    spec: str
    note: str = ""

    @property
    def generic(self) -> bool:
        return self.system.generic

    @property
    def label(self) -> str:
        return "No system" if self.generic else self.system.label


NOTHING_LOADED = LoadedSystem(NO_SYSTEM, NONE)


def is_demo_store(location: str, loaded: LoadedSystem, demo_stores: set[str]) -> bool:
    """Whether the store at `location` is a demo store: one this window made (`demo_stores`),
    or the one the app opens for the system when it is given none."""
    return location in demo_stores or (
        not loaded.generic and Path(location) == default_demo_store(loaded.system))


@dataclass(frozen=True)
class StoreSummary:
    """What the window shows about an open store."""

    location: str
    read_only: bool
    last_position: int
    stream_types: list[StreamTypeInfo]
    event_types: list[str]  # those stored and those the system knows, for the filters
    first_time_us: int
    last_time_us: int
    read_only_reason: str | None = None  # why it opened read-only though asked for writing
    meta: dict[str, str] = field(default_factory=dict)
    stored_event_types: tuple[str, ...] = ()
    examples: StoreExamples = field(default_factory=StoreExamples)  # for the fields' hints
    types_pending: bool = False
    """The stored event types are not read yet: `event_types` are the system's alone."""
    streams_pending: bool = False
    """The stream index is being built: `stream_types` are not read yet."""
    glance: bool = False
    """Only where the store is and its meta were read (see `glance`): not a summary to show."""
    damage: str | None = None
    """What is wrong with a damaged store shown read-only (see EventStore.damage_found)."""
    sees_other_writers: bool = True
    """Whether what other programs append is seen (not in a file read without locks: see
    EventStore.sees_other_writers)."""

    def with_stored_types(self, stored: tuple[str, ...]) -> StoreSummary:
        """This summary once the stored event types are read."""
        return replace(self, event_types=sorted(set(self.event_types) | set(stored)),
                       stored_event_types=stored, types_pending=False)

    def with_stream_types(self, types: list[StreamTypeInfo]) -> StoreSummary:
        """This summary once the stream index is built."""
        return replace(self, stream_types=types, streams_pending=False)


def glance(store: EventStore) -> StoreSummary:
    """Enough of a store to choose its system by: what opening reads first of a store that
    names an installed system, before opening it again with that system (its stream types
    are a count of its streams, read once then, not twice)."""
    return StoreSummary(store.location, store.read_only, store.last_position(), [], [], 0, 0,
                        store.read_only_reason, store.meta(), types_pending=True, glance=True)


def summarise(store: EventStore, system: System, *, read_types: bool = True) -> StoreSummary:
    """What the window shows about a store; without `read_types`, the stored event types are
    left for later (`types_pending`: a scan of the whole log on some stores)."""
    last = store.last_position()
    first_time = store.event_at(1).timestamp_us if last else 0
    last_time = store.event_at(last).timestamp_us if last else 0
    known = {spec.name for spec in system.registry} if system.registry is not None else set()
    indexed = store.streams_indexed()
    summary = StoreSummary(store.location, store.read_only, last,
                           counted_stream_types(store) if indexed else [], sorted(known),
                           first_time, last_time, store.read_only_reason, store.meta(), (),
                           store_examples(store), types_pending=True,
                           streams_pending=not indexed,
                           sees_other_writers=store.sees_other_writers)
    return summary.with_stored_types(tuple(store.event_types())) if read_types else summary


class StoreSession(QObject):
    """The open store and its system, announced to whoever shows them.

    Signals:
        system_changed(object): the LoadedSystem explored with from now on (when a store opens,
            just before `opened`; alone when one is loaded while no store is open).
        opened(object, object): a StoreSummary and its LoadedSystem: the store is open on the
            worker, read with that system.
        changed(int): the open store's last position, after a process appended to it.
        gone(bool): the open store's file was deleted, moved or replaced since it was opened
            (True: commands are refused), or is back (False).
        refreshed(object): the open store's StoreSummary, read again (View > Refresh).
        types_read(object): the open store's StoreSummary once its stored event types are read
            (an opened summary leaves them for later: `types_pending`).
        streams_read(object): the open store's StoreSummary once its stream index is built
            and its stream types read (`streams_pending`).
        closed(): the session ended (the window closes): stop following the store.
    """

    system_changed = Signal(object)
    opened = Signal(object, object)
    changed = Signal(int)
    reconnecting = Signal(bool)
    gone = Signal(bool)
    refreshed = Signal(object)
    types_read = Signal(object)
    streams_read = Signal(object)
    closed = Signal()

    def __init__(self, worker: StoreWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.summary: StoreSummary | None = None
        self.loaded: LoadedSystem = NOTHING_LOADED
        self.watcher: ChangeWatcher | None = None
        self.indexer: StoreWorker | None = None
        """Builds a stream index derived from the log, off the window's worker (made when
        first needed)."""

    def open(self, summary: StoreSummary, loaded: LoadedSystem) -> None:
        """The worker has this store open, read with `loaded`: announce it and follow it."""
        self.summary = summary
        self.show_system(loaded)
        self._watch(summary.location, summary.last_position)
        self.opened.emit(summary, loaded)
        if summary.streams_pending:  # once the worker has read what opening asked of it
            self.worker.submit(lambda _context: None, lambda _none: self._index_streams(summary),
                               key="index-after-opening", on_error=lambda _error: None)
        elif summary.types_pending:
            self._read_types(summary)

    def _index_streams(self, summary: StoreSummary) -> None:
        """Build the store's stream index and read its event types on the indexer (its own
        connection; the window's worker's store then takes the index as built): announce
        each."""
        if self.summary is not summary:  # another store opened, or this one read again
            return
        if self.indexer is None:
            self.indexer = StoreWorker(self)
        location = summary.location

        def index(context: JobContext) -> list[StreamTypeInfo]:
            context.set_store(None)  # the store opened before, closed first
            context.set_store(open_store(location, system=NO_SYSTEM, read_only=True,
                                         verify=False))
            types = context.store.stream_types()
            if not summary.types_pending:
                context.set_store(None)
            return types

        def indexed(types: list[StreamTypeInfo]) -> None:
            if self.summary is not None and self.summary.location == location:
                self.summary = self.summary.with_stream_types(types)
                self.streams_read.emit(self.summary)

        def read(context: JobContext) -> tuple[str, ...]:
            stored = tuple(context.store.event_types())
            context.set_store(None)  # done with: the window's worker follows the store
            return stored

        def types_done(stored: tuple[str, ...]) -> None:
            if self.summary is not None and self.summary.location == location \
                    and self.summary.types_pending:
                self.summary = self.summary.with_stored_types(stored)
                self.types_read.emit(self.summary)

        self.indexer.submit(index, indexed, key="index", on_error=lambda _error: None)
        if summary.types_pending:
            self.indexer.submit(read, types_done, key="event-types",
                                on_error=lambda _error: None)

    def _read_types(self, summary: StoreSummary) -> None:
        """Read the stored event types on the worker, after what opening the store asked of
        it (the first page): then announce them."""
        def read(context: JobContext) -> tuple[str, ...]:
            return tuple(context.store.event_types())

        def done(stored: tuple[str, ...]) -> None:
            if self.summary is summary:  # else another store opened, or it was read again
                self.summary = summary.with_stored_types(stored)
                self.types_read.emit(self.summary)

        self.worker.submit(read, done, key="event-types", on_error=lambda _error: None)

    def show_system(self, loaded: LoadedSystem) -> None:
        self.loaded = loaded
        self.system_changed.emit(loaded)

    def refresh(self, on_error) -> None:
        """Read the open store's summary again; `on_error(error)` if that fails."""
        if self.summary is None:
            return
        location, system = self.summary.location, self.loaded.system

        def read(context: JobContext) -> StoreSummary:
            context.store.index_streams()  # (taken as the indexer built it, if it has)
            return summarise(context.store, system)

        def read_again(summary: StoreSummary) -> None:
            if summary.location == location:  # else another store opened meanwhile
                self.summary = summary
                self.refreshed.emit(summary)

        self.worker.submit(read, read_again, on_error=on_error)

    def close(self) -> None:
        """Stop following the store; the subscribers let it go too."""
        if self.watcher is not None:
            self.watcher.stop()
        if self.indexer is not None:
            self.indexer.shutdown()
        self.closed.emit()

    def _watch(self, path: str, since: int) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.watcher = ChangeWatcher(path, since=since, parent=self)
        self.watcher.changed.connect(self.changed)
        self.watcher.reconnecting.connect(self.reconnecting)
        self.watcher.gone.connect(self.gone)
        self.watcher.start()
