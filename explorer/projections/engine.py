"""The projection runtime: each projection follows the event log from its own checkpoint.

For a chunk of positions, a projection's new row versions and its new checkpoint commit in one
transaction of the read-model database, so every event takes effect exactly once, whatever
crashes; an event at or before the checkpoint (redelivered) is never handled again. Another
runner advancing the same projection is detected (the checkpoint moved) and its work is kept.
An event that makes a projection fail stops that projection just before it, with the error kept
(faulted); the others go on. A faulted projection can be retried or can skip the event.
Each projection's shown table is searchable (explorer.projections.search): its index is built
once the projection has caught up, and kept in the same transactions from then on.
"""

from __future__ import annotations

import abc
import logging
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
import sqlalchemy as sa

from explorer.common.bulk import bulk_work
from explorer.common.cancel import Cancelled
from explorer.common.faults import raised_in
from explorer.common.timestamps import now_micros
from explorer.projections.database import (
    ReadModelDatabase,
    ReadModelsOutdatedError,
    projection_resets,
    projection_state,
)
from explorer.projections.search import (
    SearchIndex,
    count_matching,
    search_terms,
)
from explorer.projections.versioned import (
    VersionedWriter,
    current_rows,
    key_order,
    rows_as_of,
)
from explorer.store.event_store import EventStore
from explorer.store.projection_feed import feed_columns
from explorer.store.query import EventQuery
from explorer.store.records import RecordedEvent

log = logging.getLogger(__name__)

CHUNK_POSITIONS = 50_000
"""Positions a projection handles a transaction, by default."""
READ_POSITIONS = 20_000
"""Positions whose events are read from the store at a time, within a chunk (see _events)."""


class ProjectionError(Exception):
    """A projection could not handle an event; raised by handlers for bad data they detect."""


class Writes:
    """What a projection's handler changes for one event: versioned rows, keyed by tuples."""

    def __init__(self, writers: dict[str, VersionedWriter], *, keeps_rows: bool = False) -> None:
        self._writers = writers
        self._keeps_rows = keeps_rows
        self.position = 0

    def get(self, table: str, *key: Any) -> dict[str, Any] | None:
        try:
            return self._writers[table].get(key)
        except Exception as error:  # (free unless raised) a mistake of the handler's: say which
            raise self._misuse(error, "get", table, key) from error

    def put(self, table: str, key: tuple[Any, ...], **values: Any) -> None:
        try:
            self._writers[table].put(key, values, self.position)
        except Exception as error:
            raise self._misuse(error, "put", table, key, values) from error

    def update(self, table: str, key: tuple[Any, ...], **changes: Any) -> dict[str, Any] | None:
        """Change some values of an existing row; returns the new values, or None if missing."""
        if type(key) is not tuple:  # (a text key would be taken for its letters)
            raise self._misuse(TypeError("not a tuple"), "update", table, key)
        current = self.get(table, *key)
        if current is None:
            return None
        current.update(changes)
        if len(current) != len(self._writers[table].values):  # (else dropped without a word)
            unknown = [name for name in changes if name not in self._writers[table].values]
            raise ProjectionError(
                f"writes.update({table!r}, ...) was given {', '.join(unknown)}, which {table} "
                f"has not: its value columns are {', '.join(self._writers[table].values)}")
        self._writers[table].put(key, current, self.position)  # kept as a tuple of its values
        return current

    def delete(self, table: str, key: tuple[Any, ...]) -> None:
        if self._keeps_rows:
            raise ProjectionError(
                f"deleted a row of {table}, but the projection says it keeps its rows "
                "(keeps_rows = True): remove that, or stop deleting rows")
        try:
            self._writers[table].delete(key, self.position)
        except Exception as error:
            raise self._misuse(error, "delete", table, key) from error

    def _misuse(self, error: Exception, call: str, table: Any, key: Any,
                values: dict[str, Any] | None = None) -> Exception:
        """What was wrong with a call of the handler's (a ProjectionError saying so), or
        `error` itself if the call was right."""
        writer = self._writers.get(table) if isinstance(table, str) else None
        if writer is None:
            return ProjectionError(f"writes.{call}({table!r}, ...): the projection has no table "
                                   f"{table!r}; its tables are {', '.join(self._writers)}")
        keys = ", ".join(writer.keys)
        if call != "get" and not isinstance(key, tuple):
            return ProjectionError(
                f"writes.{call}({table!r}, {key!r}, ...): a row's key is a tuple of its key "
                f"columns' values ({keys}), e.g. ({key!r},), not a {type(key).__name__}")
        if len(key) != len(writer.keys):
            return ProjectionError(
                f"writes.{call}({table!r}, ...) was given {len(key)} key value(s) {key!r}; "
                f"{table}'s key is {len(writer.keys)} column(s): {keys}")
        if values is not None:
            missing = [name for name in writer.values if name not in values]
            unknown = [name for name in values if name not in writer.values]
            if missing or unknown:
                said = " and ".join(
                    ([f"without {', '.join(missing)}"] if missing else [])
                    + ([f"with {', '.join(unknown)}, which it has not"] if unknown else []))
                return ProjectionError(
                    f"writes.put({table!r}, ...) was given a row {said}: a row of {table} gives "
                    f"every value column, {', '.join(writer.values)} (writes.update changes "
                    "some of them)")
        return error


class Projection(abc.ABC):
    """A read model built from events.

    Subclasses set `name`, `title`, `version` (bump it when `handle` changes: the read model is
    then rebuilt), the `event_types` they read, their versioned `tables` (the first is the one
    shown), and implement `handle(event, writes)`.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[int] = 1
    event_types: ClassVar[frozenset[str]] = frozenset()
    tables: ClassVar[tuple[sa.Table, ...]] = ()
    event_fields: ClassVar[frozenset[str] | None] = None
    """The fields of an event `handle` reads besides position, event_type, schema_version and
    data (RecordedEvent's names: "stream_id", "timestamp_us", "metadata_json", ...), or None
    for all of them. The others are None in the events it is given: following the log then
    reads only these from the store (a rebuild reads a third less)."""
    keeps_rows: ClassVar[bool] = False
    """True if `handle` never deletes a row: its lists are then counted from the versions
    begun since the last count, not in full (explorer.projections.list_count). A deletion by
    a projection saying so is refused, as a fault of the event."""

    @abc.abstractmethod
    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        """Apply one event to the read model through `writes`."""

    @property
    def main_table(self) -> sa.Table:
        return self.tables[0]


@dataclass(frozen=True)
class Fault:
    position: int
    event_id: str
    error: str


@dataclass(frozen=True)
class ProjectionStatus:
    """Where a projection stands; `state` is caught up, behind, rebuilding or faulted."""

    name: str
    title: str
    checkpoint: int
    last_position: int
    processed: int
    state: str
    rebuild_target: int | None = None
    fault: Fault | None = None
    skipped: tuple[int, ...] = ()
    lag_seconds: float = 0.0
    note: str | None = None
    """Something the user should know besides its state (its tables were made again)."""

    @property
    def lag_events(self) -> int:
        return max(0, self.last_position - self.checkpoint)

    def to_dict(self) -> dict[str, Any]:
        found = {"name": self.name, "title": self.title, "state": self.state,
                 "checkpoint": self.checkpoint, "last_position": self.last_position,
                 "lag_events": self.lag_events, "lag_seconds": round(self.lag_seconds, 3),
                 "processed": self.processed, "skipped": list(self.skipped),
                 "fault": None if self.fault is None else {
                     "position": self.fault.position, "event_id": self.fault.event_id,
                     "error": self.fault.error}}
        if self.note is not None:  # (rare: a message without it reads as before)
            found["note"] = self.note
        return found


@dataclass
class _Runtime:
    projection: Projection
    writers: dict[str, VersionedWriter]
    search: SearchIndex
    unindexed: bool = False  # its tables' indexes dropped for a rebuild, not made again yet
    note: str | None = None  # what its status should say besides (tables made again)
    resets: int = 0  # the read model's resets its writers' caches follow (_checkpoint_in)
    kept_by: int | None = None  # the code version that took the read model over, once said
    reshaped: str | None = None
    """What its status says once another code made its read model again otherwise (its tables
    of another shape, or built from other event types: _checkpoint_in): the read model is that
    code's now, and this engine leaves it alone."""
    cached_at: int | None = None
    """The checkpoint its writers' caches hold the rows of (None: they hold none). Another
    runner may have handled the chunks since, writing rows these caches do not know."""


class ProjectionEngine:
    """Keeps a set of projections up to date with one store."""

    def __init__(self, store: EventStore, db: ReadModelDatabase,
                 projections: Sequence[Projection], *, chunk: int = CHUNK_POSITIONS) -> None:
        self.store = store
        self.db = db
        self.chunk = chunk
        self._runtimes: dict[str, _Runtime] = {}
        self.handed_over: set[str] = set()
        """The projections whose read model another program's code took over (other tables or
        event types, another version): this engine writes them no more, and lets another
        runner advance them (see catch_up), until its own rebuild, or another program of this
        code starting it over, takes one back (`take_back`)."""
        for projection in projections:
            feed_columns(projection.event_fields)  # ValueError for a field events lack
            if db.read_only:
                _refuse_changed_tables(db, projection)
                _refuse_other_feed(db, projection)
            search = db.search_index(projection.main_table)
            self._runtimes[projection.name] = _Runtime(projection, {
                table.name: VersionedWriter(table, db.db, db.engine.dialect,
                                            search if table is projection.main_table else None)
                for table in projection.tables}, search)
            if not db.read_only:
                self._register(projection)
            self._runtimes[projection.name].resets = db.execute(
                sa.select(projection_resets.c.resets).where(
                    projection_resets.c.name == projection.name)).scalar() or 0

    @property
    def names(self) -> list[str]:
        return list(self._runtimes)

    def projection(self, name: str) -> Projection:
        try:
            return self._runtimes[name].projection
        except KeyError:
            raise ValueError(f"There is no projection {name!r}; the projections are "
                             f"{', '.join(self._runtimes)}.") from None

    def _register(self, projection: Projection) -> None:
        """Make sure the projection has its tables and a state row; a new code version, or
        tables whose columns or key changed, start it over.

        Every code version keeps the read model in the same tables: the last runner to start
        owns them, and a runner of another version still going stops advancing it
        (catch_up, _checkpoint_in) rather than mix its rows into this one's. Tables that
        changed shape are made again as declared, in the same transaction as the projection
        is started over, so that no checkpoint ever covers rows that are gone."""
        with self.db.transaction() as db:
            changes = self.db.prepare_tables(projection.tables)
            if changes:
                self._runtimes[projection.name].search.drop()  # (of the columns before)
            row = db.execute("SELECT version FROM projection_state WHERE name = ?",
                             (projection.name,)).fetchone()
            fed = _stored_feed(db, projection.name)
            refed = fed is not None and fed != feed_of(projection)
            if row is None:
                db.execute("INSERT INTO projection_state (name, kind, version, updated_at) "
                           "VALUES (?, 'projection', ?, ?)",
                           (projection.name, projection.version, now_micros()))
                _keep_feed(db, projection)
            elif row[0] != projection.version or changes or refed:
                self._clear(projection, db)
                db.execute("UPDATE projection_state SET version = ?, rebuild_target = ? "
                           "WHERE name = ?", (projection.version, self.store.last_position(),
                                              projection.name))
                if changes:
                    self._note_changes(projection, changes, bumped=row[0] != projection.version)
                elif refed and row[0] == projection.version:
                    assert fed is not None
                    note = (f"{projection.name}'s event types changed "
                            f"({_feed_changes(fed, projection)}) without a new version: "
                            "rebuilt from the first event")
                    log.warning("%s (raise its version when its event types or its handling "
                                "change).", note)
                    self._runtimes[projection.name].note = note
            elif fed is None:  # (read models made before their feeds were kept)
                _keep_feed(db, projection)

    def _note_changes(self, projection: Projection, changes: dict[str, str], *,
                      bumped: bool) -> None:
        """Say that the projection's tables were made again (its status's `note`; a warning
        in the log too when its version stayed the same, which it should not have)."""
        what = _changes_text(projection, changes)
        if bumped:
            note = (f"{projection.name}'s tables changed ({what}) with its version "
                    f"{projection.version}: rebuilt from the first event")
        else:
            note = (f"{projection.name}'s tables changed ({what}) without a new version: "
                    "rebuilt from the first event")
            log.warning("%s (raise its version when its tables or its handling change).", note)
        self._runtimes[projection.name].note = note

    # -- catching up -----------------------------------------------------------------------

    def catch_up_all(self, should_stop: Callable[[], bool] | None = None,
                     names: Collection[str] | None = None,
                     progress: Callable[[int, int], None] | None = None) -> int:
        """Bring every projection (or those `names`) up to the store's last position; the
        events handled. `progress(checkpoint, last)` after each committed chunk of each."""
        return sum(self.catch_up(name, should_stop=should_stop, progress=progress)
                   for name in self._runtimes if names is None or name in names)

    def catch_up(self, name: str, *, progress: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> int:
        """Follow the log from the projection's checkpoint to the last position.

        `progress(checkpoint, last)` is called after each committed chunk; `should_stop()` ends
        the run between chunks (the work so far is kept). Returns the events handled.
        """
        runtime = self._runtimes[name]
        handled = 0
        while True:
            state = self._state(name)
            if runtime.reshaped is not None:
                self._hand_over(name)
                return handled  # another code made its tables again: see _checkpoint_in
            if state["version"] != runtime.projection.version:
                self._restore_indexes(runtime)
                if runtime.kept_by != state["version"]:  # (said once, in the log too)
                    runtime.kept_by = state["version"]
                    log.warning("%s.", _kept_by_note(runtime.projection, state["version"]))
                self._hand_over(name)
                return handled  # another code version took the read model over: see _register
            if state["fault_position"] is not None:
                self._restore_indexes(runtime)
                self._index_for_search(runtime)
                return handled
            checkpoint = state["checkpoint"]
            last = self.store.last_position()
            if checkpoint >= last:
                self._restore_indexes(runtime)
                if state["rebuild_target"] is not None:
                    self._finish_rebuild(name)
                self._index_for_search(runtime)
                return handled
            if should_stop is not None and should_stop():
                self._restore_indexes(runtime)
                return handled
            end = min(checkpoint + self.chunk, last)
            with bulk_work():
                handled += self._apply_chunk(runtime, checkpoint, end)
            if progress is not None:
                progress(end, last)

    def take_back(self) -> list[str]:
        """The projections handed over whose read model this code has started over since
        (another program running it: the version, tables and event types are this code's
        again, emptied since it was handed over): this engine advances them again, from where
        that program left them. A runner asks before it claims its work, each pass. The names
        taken back."""
        taken, db = [], self.db.db  # (only read: catch_up's transactions check it again)
        for name in sorted(self.handed_over):
            runtime = self._runtimes[name]
            found = db.execute("SELECT version FROM projection_state WHERE name = ?",
                               (name,)).fetchone()
            if found is None or found[0] != runtime.projection.version:
                continue  # (still another version's)
            if runtime.reshaped is not None:  # (the same version of other code made it)
                resets = _resets(db, name)
                if resets == runtime.resets:
                    continue  # not started over since
                self._discard(runtime)
                runtime.resets = resets  # (looked at once each time it is started over)
                fed = _stored_feed(db, name)
                if self.db.table_changes(runtime.projection.tables) or (
                        fed is not None and fed != feed_of(runtime.projection)):
                    continue  # started over by other code again
                runtime.reshaped = None
            runtime.kept_by = None  # (said again if another version takes it over again)
            self.handed_over.discard(name)
            taken.append(name)
        return taken

    def _hand_over(self, name: str) -> None:
        """Write the projection no more, and let the runner of the code that took it over
        advance it (on a server, the one runner holding its lock does: see runtime.runner)."""
        if name not in self.handed_over:
            self.handed_over.add(name)
            self.db.release([name])

    def _events(self, runtime: _Runtime, checkpoint: int, end: int) -> Iterator[RecordedEvent]:
        """The projection's events after `checkpoint` up to `end`, their rows read from the
        store READ_POSITIONS at a time: what a chunk holds in memory is then one such piece's
        rows, however many positions its transaction covers."""
        projection = runtime.projection
        types = tuple(sorted(projection.event_types))
        for start in range(checkpoint, end, READ_POSITIONS):
            yield from self.store.query_for_projection(EventQuery(
                event_types=types, from_position=start + 1,
                to_position=min(start + READ_POSITIONS, end)), projection.event_fields)

    def _apply_chunk(self, runtime: _Runtime, checkpoint: int, end: int) -> int:
        projection = runtime.projection
        writes = Writes(runtime.writers, keeps_rows=projection.keeps_rows)
        try:
            with self.db.transaction() as db:
                if self._checkpoint_in(db, projection.name) != checkpoint:
                    raise _Moved()
                if runtime.cached_at not in (None, checkpoint):
                    self._discard(runtime)  # another runner handled events since: read its rows
                handled, failed = _handle_each(projection, self._events(runtime, checkpoint, end),
                                               writes, self.db.failed_itself)
                if failed is not None:
                    raise _Failed(*failed)
                try:
                    for writer in runtime.writers.values():
                        writer.flush()
                except Exception as error:  # a value the database cannot hold: whose was it?
                    # (not when the database failed itself: a connection lost is retried, and
                    # a value it holds, a Decimal, say, was no handler's mistake)
                    found = None if self.db.failed_itself(error) else _unstorable(runtime.writers)
                    if found is None:
                        raise
                    raise _Failed(self.store.event_at(found[0]), found[1]) from error
                self._advance(db, projection.name, end, handled)
            runtime.cached_at = end
            return handled
        except _Moved:  # another runner did this chunk: forget our cache and carry on
            self._discard(runtime)
            return 0
        except _Failed as failed:
            self._discard(runtime)
            event, problem = failed.event, failed.problem
        except BaseException:
            self._discard(runtime)
            raise
        # Commit everything before the failing event, then record the fault at it (unless
        # another runner, or another code version, moved the read model on meanwhile).
        with self.db.transaction() as db:
            if self._checkpoint_in(db, projection.name) != checkpoint:
                self._discard(runtime)
                return 0
            handled, again = _handle_each(  # as before: they were handled once already
                projection, self._events(runtime, checkpoint, event.position - 1), writes,
                self.db.failed_itself)
            if again is not None:  # (a handler that fails where it did not the first time)
                event, problem = again
            event_id = event.event_id or self.store.event_at(event.position).event_id  # unread
            for writer in runtime.writers.values():
                writer.flush()
            self._advance(db, projection.name, event.position - 1, handled)
            runtime.cached_at = event.position - 1
            db.execute("UPDATE projection_state SET fault_position = ?, fault_event_id = ?, "
                       "fault_error = ? WHERE name = ?",
                       (event.position, event_id, problem, projection.name))
        return handled

    def _index_for_search(self, runtime: _Runtime) -> None:
        """Build the projection's search index in one pass if it has none (a first catch-up,
        a rebuild, a file from before search): from then on each chunk keeps it up to date."""
        search = runtime.search
        if self.db.read_only or search.exists():
            return
        with self.db.transaction():
            if not search.exists():  # another runner may have built it meanwhile
                search.build()

    def _restore_indexes(self, runtime: _Runtime) -> None:
        """Make the indexes a rebuild dropped (see `reset`) once it stops or is done. A
        process that dies first leaves them to the next engine on the file (create_tables)."""
        if runtime.unindexed:
            self.db.create_indexes(list(runtime.projection.tables))
            runtime.unindexed = False

    def _discard(self, runtime: _Runtime) -> None:
        for writer in runtime.writers.values():
            writer.discard()
        runtime.cached_at = None

    def _checkpoint_in(self, db: sqlite3.Connection, name: str) -> int:
        """The projection's checkpoint in this transaction; -1 if a runner of another code
        version of it has taken its read model over since (its tables are the same: see
        _register), so that nothing of this version's is written into that one's. If another
        engine emptied the read model since this one last looked (a Rebuild in another window),
        what its writers remember of the rows is forgotten: those rows are gone."""
        checkpoint, version, resets = db.execute(
            "SELECT s.checkpoint, s.version, COALESCE(r.resets, 0) FROM projection_state s "
            "LEFT JOIN projection_resets r ON r.name = s.name WHERE s.name = ?",
            (name,)).fetchone()
        runtime = self._runtimes[name]
        if resets != runtime.resets:
            self._discard(runtime)
            runtime.resets = resets
            if runtime.reshaped is None and version == runtime.projection.version:
                # (the same version of other code, its tables or event types otherwise: made
                # again by it)
                if changes := self.db.table_changes(runtime.projection.tables):
                    runtime.reshaped = _reshaped_note(
                        runtime.projection, _changes_text(runtime.projection, changes))
                elif (fed := _stored_feed(db, name)) is not None \
                        and fed != feed_of(runtime.projection):
                    runtime.reshaped = _refed_note(runtime.projection, fed)
                if runtime.reshaped is not None:
                    log.warning("%s.", runtime.reshaped)
        if runtime.reshaped is not None:
            return -1
        return int(checkpoint) if version == runtime.projection.version else -1

    @staticmethod
    def _advance(db: sqlite3.Connection, name: str, checkpoint: int, handled: int) -> None:
        db.execute("UPDATE projection_state SET checkpoint = ?, processed = processed + ?, "
                   "updated_at = ? WHERE name = ?", (checkpoint, handled, now_micros(), name))

    # -- rebuilding, retrying, skipping ----------------------------------------------------

    def rebuild(self, name: str, *, progress: Callable[[int, int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> int:
        """Start the read model over from the first event and catch up, with progress.

        Stopping (should_stop, or a crash) keeps what was rebuilt: the projection then simply
        continues from where the rebuild got to.
        """
        self.reset(name)
        return self.catch_up(name, progress=progress, should_stop=should_stop)

    def reset(self, name: str) -> None:
        """Empty the read model and put its checkpoint back to 0. Its tables' indexes besides
        their keys are dropped until the rebuild that follows stops or is done: writing each
        version into them cost a rebuild more than making them once at its end."""
        runtime = self._runtimes[name]
        with self.db.transaction() as db:
            version = db.execute("SELECT version FROM projection_state WHERE name = ?",
                                 (name,)).fetchone()
            if version is not None and version[0] != runtime.projection.version:
                raise ValueError(
                    f"The read model {name} is now kept by version {version[0]} of its code, "
                    f"started since; this program runs version {runtime.projection.version}. "
                    "Nothing was emptied: rebuild it from a program running the newer code.")
            changes = self.db.prepare_tables(runtime.projection.tables)  # (changed since)
            runtime.reshaped = None  # (its tables and event types are this code's again)
            self.handed_over.discard(name)
            self._clear(runtime.projection, db)
            if changes:
                self._note_changes(runtime.projection, changes, bumped=False)
            runtime.resets = _resets(db, name)
            runtime.unindexed = self.db.drop_indexes(runtime.projection.tables)
            db.execute("UPDATE projection_state SET rebuild_target = ? WHERE name = ?",
                       (self.store.last_position(), name))
        for writer in runtime.writers.values():
            writer.start_empty()
        runtime.cached_at = 0

    def _clear(self, projection: Projection, db: sqlite3.Connection) -> None:
        self._runtimes[projection.name].search.drop()  # built again once caught up
        for table in projection.tables:
            db.execute(f'DELETE FROM "{table.name}"')  # our own table names, never user input
        db.execute("UPDATE projection_state SET checkpoint = 0, processed = 0, "
                   "fault_position = NULL, fault_event_id = NULL, fault_error = NULL, "
                   "skipped = '[]', updated_at = ? WHERE name = ?", (now_micros(),
                                                                     projection.name))
        db.execute("INSERT INTO projection_resets (name, resets) VALUES (?, 1) ON CONFLICT "
                   "(name) DO UPDATE SET resets = projection_resets.resets + 1",
                   (projection.name,))
        _keep_feed(db, projection)  # (started over from this code's event types)

    def _finish_rebuild(self, name: str) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE projection_state SET rebuild_target = NULL WHERE name = ?", (name,))

    def retry(self, name: str) -> None:
        """Clear a fault so that the failing event is handled again."""
        with self.db.transaction() as db:
            db.execute("UPDATE projection_state SET fault_position = NULL, fault_event_id = NULL,"
                       " fault_error = NULL WHERE name = ?", (name,))

    def skip(self, name: str) -> int:
        """Step over the failing event (remembered as skipped); the position skipped."""
        state = self._state(name)
        position: int | None = state["fault_position"]
        if position is None:
            raise ValueError(f"Projection {name} is not faulted; there is nothing to skip.")
        skipped = [*state["skipped"], position]
        with self.db.transaction() as db:
            db.execute("UPDATE projection_state SET checkpoint = ?, skipped = ?, "
                       "fault_position = NULL, fault_event_id = NULL, fault_error = NULL "
                       "WHERE name = ?", (position, orjson.dumps(skipped).decode(), name))
        return position

    # -- reading ---------------------------------------------------------------------------

    def _state(self, name: str) -> dict[str, Any]:
        row = self.db.execute(sa.select(projection_state).where(
            projection_state.c.name == name)).mappings().first()
        if row is None:
            raise ValueError(f"Projection {name} has no state yet; run the projections once.")
        state = dict(row)
        state["skipped"] = orjson.loads(state["skipped"])
        return state

    def statuses(self) -> list[ProjectionStatus]:
        last = self.store.last_position()
        last_time = self.store.event_at(last).timestamp_us if last else 0
        result = []
        for name, runtime in self._runtimes.items():
            state = self._state(name)
            fault = None
            if state["fault_position"] is not None:
                fault = Fault(state["fault_position"], state["fault_event_id"] or "",
                              state["fault_error"] or "")
            checkpoint = state["checkpoint"]
            if fault is not None:
                label = "faulted"
            elif state["rebuild_target"] is not None:
                label = "rebuilding"
            elif checkpoint >= last:
                label = "caught up"
            else:
                label = "behind"
            lag_seconds = 0.0
            if checkpoint < last:
                waiting = self.store.event_at(checkpoint + 1).timestamp_us
                lag_seconds = max(0.0, (last_time - waiting) / 1e6)
            note = runtime.note
            if state["version"] != runtime.projection.version:  # see _register
                note = _kept_by_note(runtime.projection, state["version"])
            elif runtime.reshaped is not None:
                note = runtime.reshaped
            result.append(ProjectionStatus(
                name, runtime.projection.title, checkpoint, last, state["processed"], label,
                state["rebuild_target"], fault, tuple(state["skipped"]), lag_seconds, note))
        return result

    def rows(self, name: str, *, at_position: int | None = None, offset: int = 0,
             limit: int | None = 200, table: str | None = None) -> list[dict[str, Any]]:
        """Rows of a projection's table, now or as of a position, in key order."""
        projection = self.projection(name)
        chosen = next((t for t in projection.tables if t.name == table), projection.main_table)
        return read_rows(self.db, chosen, at_position=at_position, offset=offset, limit=limit)


def _kept_by_note(projection: Projection, version: int) -> str:
    """What a projection's status says once another code version of it took its read model
    over (the last runner to start owns it)."""
    return (f"{projection.name} is kept by version {version} of its code, started since by "
            f"another program; this one runs version {projection.version} and no longer writes "
            f"it: its rows are version {version}'s")


def _reshaped_note(projection: Projection, changes: str) -> str:
    """What a projection's status says once other code of the same version made its tables
    again otherwise (`changes`: how they differ from this code's)."""
    return (f"{projection.name}'s tables were made again otherwise by another program, running "
            f"other code of it (this code's tables differ: {changes}); this one no longer "
            "writes them: their rows are that code's")


def read_rows(db: ReadModelDatabase, table: sa.Table, *, at_position: int | None = None,
              offset: int = 0, limit: int | None = 200, where: dict[str, Any] | None = None,
              search: str | None = None) -> list[dict[str, Any]]:
    """Rows of a versioned table, now or as of a position, in key order; `where` holds
    column values the rows must have. With `search` (what the user typed; see
    explorer.projections.search), only current rows matching it, in the order they were
    first indexed; SearchNotReadyError while the table has no search index."""
    query = _view(db, table, at_position, where, search)
    if search_terms(search) is None:  # a search has its own order
        query = query.order_by(*key_order(table))
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with _as_declared(db, table):
        return [{str(key): value for key, value in row.items()}
                for row in db.execute(query).mappings()]


def count_rows(db: ReadModelDatabase, table: sa.Table, at_position: int | None = None,
               where: dict[str, Any] | None = None, search: str | None = None) -> int:
    """How many rows read_rows would give with the same arguments, all pages together."""
    query = _view(db, table, at_position, where, search).order_by(None)
    terms = search_terms(search)
    if terms is not None and not where and db.indexed_search:  # the index alone knows
        return count_matching(db.db, table, terms)
    with _as_declared(db, table):
        counted: int = db.execute(
            sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    return counted


def _view(db: ReadModelDatabase, table: sa.Table, at_position: int | None,
          where: dict[str, Any] | None, search: str | None) -> sa.Select[*tuple[Any, ...]]:
    query = current_rows(table) if at_position is None else rows_as_of(table, at_position)
    for column, value in (where or {}).items():
        query = query.where(table.c[column] == value)
    terms = search_terms(search)
    if terms is None:
        return query
    if at_position is not None:
        raise ValueError("A search covers the current rows only, not the rows as of a position.")
    return db.search_rows(query, table, search or "", where)


def _handle_each(projection: Projection, events: Iterable[RecordedEvent], writes: Writes,
                 failed_itself: Callable[[BaseException], bool],
                 ) -> tuple[int, tuple[RecordedEvent, str] | None]:
    """Handle the events in turn (a rebuild's hot loop: nothing called an event but the
    handler): how many were handled, and the first the projection cannot handle with the
    problem, or None. A handler's error stops only its projection; the read models'
    database failing as a handler reads a row (`failed_itself`: its connection lost) is
    raised, to be tried again."""
    handle = projection.handle
    handled = 0
    for event in events:
        if event.problem is not None:
            return handled, (event, f"the event cannot be read ({event.problem})")
        writes.position = event.position
        try:
            handle(event, writes)
        except Cancelled:
            raise
        except Exception as error:  # a projection's bug must stop only that projection
            if failed_itself(error):
                raise
            return handled, (event, _problem(projection, error))
        handled += 1
    return handled, None


def _problem(projection: Projection, error: Exception) -> str:
    """A handler's error as the fault's text: what it was and where in the projection (the
    deepest frame in its own module, else the deepest of all)."""
    return f"{type(error).__name__}: {error} (in {raised_in(error, type(projection))})"


def _unstorable(writers: dict[str, VersionedWriter]) -> tuple[int, str] | None:
    """The first position whose handling put a value no column can hold (a dict, a list, a
    date, a whole number past 64 bits), and a fault's text saying so; None if there is none."""
    found = [(position, f"ProjectionError: writes.put({table!r}, ...) was given {column}="
                        f"{value!r}, {_a(type(value).__name__)}, which a column cannot hold: give "
                        "text, a number, true or false, or None (JSON text for a list or an "
                        "object)")
             for table, writer in writers.items()
             if (bad := writer.unstorable()) is not None
             for position, column, value in (bad,)]
    return min(found) if found else None


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


class _Moved(Exception):
    pass


class _Failed(Exception):
    """A handler failed on `event`; `problem` says how."""

    def __init__(self, event: RecordedEvent, problem: str) -> None:
        super().__init__(problem)
        self.event = event
        self.problem = problem


def _refed_note(projection: Projection, fed: list[str]) -> str:
    """What a projection's status says once other code of the same version rebuilt its read
    model from other event types (`fed`: those types)."""
    return (f"{projection.name}'s read model was made again by another program, running other "
            f"code of it, from other event types (this code's differ: "
            f"{_feed_changes(fed, projection)}); this one no longer writes it: its rows are "
            "that code's")


def feed_of(projection: Projection) -> list[str]:
    """The event types a projection's code reads, in the form projection_feeds keeps those its
    read model was built from (sorted)."""
    return sorted(projection.event_types)


def _stored_feed(db: Any, name: str) -> list[str] | None:
    """The event types the projection's read model was built from (projection_feeds), in the
    caller's transaction; None if not known (read models made before they were kept)."""
    found = db.execute("SELECT event_types FROM projection_feeds WHERE name = ?",
                       (name,)).fetchone()
    return None if found is None else list(orjson.loads(found[0]))


def _keep_feed(db: Any, projection: Projection) -> None:
    """Note, in the caller's transaction, that the projection's read model is built from the
    event types its code reads."""
    db.execute("INSERT INTO projection_feeds (name, event_types) VALUES (?, ?) ON CONFLICT "
               "(name) DO UPDATE SET event_types = excluded.event_types",
               (projection.name, orjson.dumps(feed_of(projection)).decode()))


def _feed_changes(fed: list[str], projection: Projection) -> str:
    """How the event types a read model was built from differ from those its code reads, e.g.
    `OrderPaid added; OrderCancelled removed`, or `from every event type to OrderPaid` (no
    types: every type's events)."""
    said, reads = [], set(projection.event_types)  # (declared as any collection)
    if not fed or not reads:
        return (f"from {', '.join(sorted(fed)) or 'every event type'} to "
                f"{', '.join(sorted(reads)) or 'every event type'}")
    for names, how in ((sorted(reads - set(fed)), "added"), (sorted(set(fed) - reads), "removed")):
        if names:
            said.append(f"{', '.join(names)} {how}")
    return "; ".join(said)


def _changes_text(projection: Projection, changes: dict[str, str]) -> str:
    """The changes of a projection's tables (ReadModelDatabase.table_changes), each named by
    its table unless the projection has only one."""
    if len(projection.tables) == 1:
        return "; ".join(changes.values())
    return "; ".join(f"{table}: {change}" for table, change in changes.items())


def _refuse_changed_tables(db: ReadModelDatabase, projection: Projection) -> None:
    """ReadModelsOutdatedError, saying what to do, if the projection's tables in read models
    opened read-only are not those its code declares (they cannot be made again here)."""
    changes = db.table_changes(projection.tables)
    if changes:
        raise _outdated(db, f"{projection.name}'s tables", _changes_text(projection, changes))


def _refuse_other_feed(db: ReadModelDatabase, projection: Projection) -> None:
    """ReadModelsOutdatedError, saying what to do, if the projection's read model, opened
    read-only, was built from other event types than its code reads (it cannot be rebuilt
    here; shown, it would lack what the events of a type added did)."""
    if not db.has_table("projection_feeds"):  # (read models made before feeds were kept)
        return
    fed = _stored_feed(db.db, projection.name)
    if fed is not None and fed != feed_of(projection):
        raise _outdated(db, f"{projection.name}'s event types", _feed_changes(fed, projection))


def _outdated(db: ReadModelDatabase, what: str, changes: str) -> ReadModelsOutdatedError:
    if db.read_only:
        why = ("and the read models are opened read-only here: run the projections on the store "
               "for writing (event-explorer-cli project STORE, or open it without --read-only) "
               "to make them again, rebuilt from the first event")
    else:  # made again by another program, its code another version of the system's
        why = ("as another program running other code made them: run one version of the "
               "system's code on this store; the next runner of it makes them again, rebuilt "
               "from the first event")
    return ReadModelsOutdatedError(
        f"{what} in {db.path} are not as the code declares them ({changes}), {why}. Nothing "
        "was changed.")


@contextmanager
def _as_declared(db: ReadModelDatabase, table: sa.Table) -> Iterator[None]:
    """Reads of `table` failing because the read models hold it in another shape (the code
    changed it; they are made again by the next runner for writing) raise
    ReadModelsOutdatedError, saying so and what to do."""
    try:
        yield
    except sa.exc.DBAPIError as error:
        try:
            changes = db.table_changes([table]).get(table.name)
        except Exception:  # (a server's transaction the error ended): the error says it
            raise error from None
        if not changes:
            raise
        raise _outdated(db, f"The table {table.name}", changes) from None


def projection_state_of(db: ReadModelDatabase, name: str) -> int:
    """How far a projection has read the log (0 if it never ran)."""
    row = db.execute(sa.select(projection_state.c.checkpoint).where(
        projection_state.c.name == name)).first()
    return row[0] if row else 0


def _resets(db: sqlite3.Connection, name: str) -> int:
    """How many times the projection's read model was emptied (projection_resets)."""
    found = db.execute("SELECT resets FROM projection_resets WHERE name = ?", (name,)).fetchone()
    return int(found[0]) if found is not None else 0
