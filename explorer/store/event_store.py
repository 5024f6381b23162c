"""The event store: an append-only log of events in SQLite, with a stream index and snapshots.

One `EventStore` owns one database connection and is used by one thread at a time; a worker
thread opens its own. Other processes may read and append to the same file at the same time (WAL).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
import sqlalchemy.dialects.sqlite

from explorer.common.closable import Closable
from explorer.common.timestamps import now_micros
from explorer.store import branching, chain, schema
from explorer.store import sqlite as sqlite_backend
from explorer.store.content_filter import json_types_sample
from explorer.store.decoding import RowDecoder
from explorer.store.encoding import Prepared, prepare
from explorer.store.errors import (
    ConcurrencyError,
    DuplicateEventError,
    EventNotFoundError,
    ReadOnlyStoreError,
    StoreDamagedError,
    StoreError,
    StoreLockedError,
    StoreMissingError,
    StoreOpenError,
    StreamTypeMismatchError,
)
from explorer.store.maintenance import CHAIN_CHUNK, READ_PAGE_SIZE, Maintenance
from explorer.store.navigation import Navigation, navigation_statements
from explorer.store.query import EventQuery
from explorer.store.records import (
    ANY_VERSION,
    AppendRequest,
    AppendResult,
    NewEvent,
    RecordedEvent,
    SnapshotRecord,
)
from explorer.store.sqlite import GuardedConnection
from explorer.store.statements import EVENT_COLUMNS, NO_LIMIT, SNAPSHOT_MARK, Statements
from explorer.store.stream_index import StreamIndex
from explorer.store.upcasting import EventRegistry

ReplayRow = tuple[int, str, int, Any, str]
"""A stored event as replaying it needs it: (version, event type, schema version, data, stream
type), its data undecoded JSON text."""
FIELD_TYPE_SAMPLE = 50  # events of each type read to learn what JSON types a field holds
FIELD_TYPE_KINDS = 200  # event types sampled at most


class EventStore(StreamIndex, Navigation, Maintenance, Closable):
    """Append and read events; list streams; keep snapshots; branch.

    Open one with `EventStore.open(path)`. Writes raise ReadOnlyStoreError on a read-only store.
    Its parts in modules of their own: the stream index (`StreamIndex`), moving about the log
    for time travel and huge lists (`Navigation`: samples, steps within a stream, marks,
    positions for row maps) and what `check` and `salvage` need (`Maintenance`).
    """

    _db: GuardedConnection

    def __init__(self, engine: sa.Engine, *, location: str, read_only: bool,
                 registry: EventRegistry | None, read_only_reason: str | None = None) -> None:
        self._engine = engine
        self.location = location
        self._real_path = os.path.realpath(location)
        self.read_only = read_only
        self.read_only_reason = read_only_reason
        """Why a store asked for writing opened read-only (a folder that cannot be written...)."""
        self.registry = registry
        self.decoder = RowDecoder(registry)
        self._sa = sqlite_backend.connect_engine(engine, location)
        self._db = sqlite_backend.guarded_connection(self._sa)
        self._sql = Statements(engine.dialect)
        self._nav = navigation_statements(engine.dialect)

    # -- opening and closing ---------------------------------------------------------------

    @classmethod
    def open(cls, target: str | Path, *, read_only: bool = False,
             registry: EventRegistry | None = None, create: bool = False,
             progress: Callable[[int, int], None] | None = None,
             verify: bool = True) -> EventStore:
        """Open the store at a file path; with `create`, make a new one where there is none.

        Only creating writes a new file: without `create`, a missing or empty file is refused
        with StoreMissingError. Files that are not stores are refused with NotAStoreError, and a
        damaged one with StoreDamagedError; none of them is touched. Opened for writing where it
        cannot be written (a folder without write permission), a store opens read-only and
        `read_only_reason` says why. A store from before the hash chain gets its chain when first
        opened for writing (`progress(done, last)` meanwhile). A store small enough for it to
        be cheap gets SQLite's quick check first, unless `verify` is False (`check` runs the full
        one itself).
        """
        if isinstance(target, str) and "://" in target:
            raise StoreOpenError(
                f"{target} is a database URL; this version opens SQLite store files only. "
                "Give the path of a store file.")
        path = Path(target).expanduser()
        found = sqlite_backend.inspect(path)
        if found.kind != "store":
            if not create or read_only:
                raise _missing(path, found.kind)
            return cls._create(path, registry)
        damage = sqlite_backend.damage_of(path)
        if damage is not None and not read_only:  # seen damaged: never written again
            raise StoreDamagedError(str(path), damage)

        def prepare(store: EventStore) -> None:
            small = verify and sqlite_backend.verify_on_open(store._db, path)
            if not store.read_only:
                store._upgrade(progress)
                if small:  # a write must not add to a log that was changed after the fact
                    store._verify_chain()

        plan = sqlite_backend.plan_open(path, read_only=read_only, create=False)
        return cls._opened(path, plan, registry, prepare, "open the store")

    @classmethod
    def _create(cls, path: Path, registry: EventRegistry | None) -> EventStore:
        if not path.parent.is_dir():
            raise StoreOpenError(f"Cannot create {path}: the folder {path.parent} does not exist.")
        reason = sqlite_backend.write_refusal(path) if path.exists() else (
            None if os.access(path.parent, os.W_OK | os.X_OK)
            else f"the folder {path.parent} cannot be written")
        if reason is not None:
            raise StoreOpenError(f"Cannot create a store at {path}: {reason}")
        plan = sqlite_backend.plan_open(path, read_only=False, create=True)
        return cls._opened(path, plan, registry,
                           lambda store: sqlite_backend.initialise(store._db, store._sa),
                           "create the store")

    @classmethod
    def _opened(cls, path: Path, plan: sqlite_backend.OpenPlan, registry: EventRegistry | None,
                prepare: Callable[[EventStore], None], doing: str) -> EventStore:
        """A store on `path` as `plan` says, `prepare`d (checked, upgraded or made); closed
        again if that fails, SQLite's refusal said as failing to do `doing`."""
        store = cls(sqlite_backend.create_engine(path, plan), location=str(path),
                    read_only=plan.read_only, registry=registry, read_only_reason=plan.reason)
        try:
            prepare(store)
        except sqlite3.OperationalError as error:
            store.close()
            raise _translate_operational(error, str(path), doing) from None
        except BaseException:
            store.close()
            raise
        return store

    def _upgrade(self, progress: Callable[[int, int], None] | None) -> None:
        """Bring a store written by an earlier version up to this schema (opened for writing)."""
        db = self._db
        db.execute("PRAGMA journal_mode = WAL")
        if db.execute("PRAGMA user_version").fetchone()[0] < schema.SCHEMA_VERSION:
            self._begin_write("upgrade the store's schema")
            try:
                for table in schema.ADDED_TABLES:
                    table.create(self._sa, checkfirst=True)
                db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
                db.executemany("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)", [
                    ("schema_version", str(schema.SCHEMA_VERSION)),
                    (schema.CHAIN_KEY, schema.CHAIN_LINKING)])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        marker = db.execute("SELECT value FROM store_meta WHERE key = ?",
                            (schema.CHAIN_KEY,)).fetchone()
        if marker is not None and marker[0] == schema.CHAIN_LINKING:
            self._complete_chain(progress)
            self.set_meta(schema.CHAIN_KEY, schema.CHAIN_COMPLETE)

    def _complete_chain(self, progress: Callable[[int, int], None] | None) -> None:
        """Link every event not yet in the hash chain (those of a store from before it), a
        chunk a transaction, so that appends by others go on meanwhile."""
        db, sql = self._db, self._sql
        last = self.last_position()
        while True:
            self._begin_write("add the hash chain to the store")
            try:
                done, previous = db.execute(sql.chain_tail.sql, sql.chain_tail.args()).fetchone()
                done, previous = (done, previous) if done else (0, chain.GENESIS)
                rows = db.execute(sql.read_all.sql, sql.read_all.args(
                    done + 1, NO_LIMIT, CHAIN_CHUNK)).fetchall()
                if rows:
                    db.execute(sql.insert_links.sql, (rows[0][0], chain.links(previous, rows)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if not rows:
                return
            if progress is not None:
                progress(rows[-1][0], max(last, rows[-1][0]))

    def limit_cache(self, megabytes: int) -> None:
        """Keep at most this much of the file in this connection's own page cache (32 MB by
        default): for connections that only poll or seek, where the OS's cache does as well."""
        self._db.execute(f"PRAGMA cache_size = {-1000 * int(megabytes)}")

    def close(self) -> None:
        """Close the connection. The store cannot be used afterwards."""
        sqlite_backend.close_engine(self._sa, self._engine)

    @property
    def name(self) -> str:
        return Path(self.location).name

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the file."""
        version: int = self._db.execute("PRAGMA data_version").fetchone()[0]
        return version

    # -- appending -------------------------------------------------------------------------

    def append(self, stream_id: str, stream_type: str, events: Sequence[NewEvent],
               expected_version: int | None = ANY_VERSION) -> AppendResult:
        """Append `events` to one stream atomically.

        `expected_version` is the stream's version the caller decided on (0 for a new stream,
        None for any). A stale one raises ConcurrencyError and writes nothing. Appending events
        whose ids are all stored already (a retried request) writes nothing and returns them.
        """
        return self.append_batch([AppendRequest(stream_id, stream_type, list(events),
                                                expected_version)])[0]

    def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult]:
        """Append to several streams in one transaction: all of it is written, or none of it."""
        self._require_writable("append events")
        prepared = [prepare(request, self.registry) for request in requests]
        db = self._db
        self._begin_write("append events")
        try:
            results = self._append_locked(prepared)
            db.execute("COMMIT")
        except sqlite3.IntegrityError as error:
            db.execute("ROLLBACK")
            return self._resolve_integrity_error(prepared, error)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return results

    def _append_locked(self, prepared: list[Prepared]) -> list[AppendResult]:
        db = self._db
        sql = self._sql
        # stream id -> [type, version, first position, last position, last timestamp]
        heads: dict[str, list[Any]] = {}
        if len(prepared) == 1:  # one round trip for the newest event and the stream's head
            first = prepared[0]
            position, last_time, head_type, head_version, chain_end, previous = db.execute(
                sql.append_head.sql, sql.append_head.args(first.stream_id)).fetchone()
            heads[first.stream_id] = [head_type or first.stream_type, head_version or 0, 0, 0, 0]
        else:
            position, last_time, chain_end, previous = db.execute(
                sql.append_tail.sql, sql.append_tail.args()).fetchone()
            heads = self._heads({prep.stream_id for prep in prepared})
        position = position or 0
        previous = chain.continued_from(position, chain_end, previous)
        last_time = last_time or 0
        touched: dict[str, list[Any]] = {}
        rows: list[tuple[Any, ...]] = []
        results: list[AppendResult] = []
        new_tuple = tuple.__new__
        for prep in prepared:
            head = heads.get(prep.stream_id)
            if head is None:  # a new stream
                head = heads[prep.stream_id] = [prep.stream_type, 0, 0, 0, 0]
            actual_type, actual = head[0], head[1]
            if actual_type != prep.stream_type:
                raise StreamTypeMismatchError(prep.stream_id, prep.stream_type, actual_type)
            if prep.rows and (prep.expected_version is None and actual
                              or prep.expected_version not in (None, actual)):
                retried = self._stored_retry(prep)
                if retried is not None:
                    results.append(retried)
                    continue
                if prep.expected_version is not None:
                    raise ConcurrencyError(prep.stream_id, prep.expected_version, actual)
            recorded = []
            version = actual
            stream_id, stream_type = prep.stream_id, prep.stream_type
            for event_id, event_type, schema_version, timestamp, correlation_id, data_json, \
                    metadata_json, data in prep.rows:
                position += 1
                version += 1
                if timestamp < last_time:  # keep timestamps non-decreasing along positions
                    timestamp = last_time
                last_time = timestamp
                rows.append((position, stream_id, stream_type, version, event_id, event_type,
                             schema_version, timestamp, correlation_id, data_json,
                             metadata_json))
                recorded.append(new_tuple(RecordedEvent, (
                    position, stream_id, stream_type, version, event_id, event_type,
                    schema_version, timestamp, correlation_id, data, metadata_json,
                    None, None, None)))
            if recorded:
                head[1] = version
                head[2] = head[2] or recorded[0].position
                head[3] = position
                head[4] = last_time
                touched[stream_id] = head
            results.append(AppendResult(stream_id, stream_type, version, tuple(recorded)))
        if len(rows) == 1:
            db.execute(sql.insert_event.sql, rows[0])
        elif rows:
            db.executemany(sql.insert_event.sql, rows)
        if rows and previous is not None:
            links = chain.links(previous, rows)
            if links:
                db.execute(sql.insert_links.sql, (rows[0][0], links))
        stream_rows = [(stream_id, head[0], head[1], head[2], head[3], head[4])
                       for stream_id, head in touched.items()]
        if len(stream_rows) == 1:
            db.execute(sql.upsert_stream.sql, stream_rows[0])
        elif stream_rows:
            db.executemany(sql.upsert_stream.sql, stream_rows)
        return results

    def _heads(self, stream_ids: set[str]) -> dict[str, list[Any]]:
        """Type and version of many streams, in one query (for batch appends)."""
        statement = self._sql.stream_heads
        rows = self._db.execute(statement.sql, statement.args(
            orjson.dumps(list(stream_ids)).decode()))
        return {stream_id: [stream_type, version, 0, 0, 0]
                for stream_id, stream_type, version in rows}

    def _stored_retry(self, prep: Prepared) -> AppendResult | None:
        """If every event of `prep` is stored already in its stream, the result of that append."""
        ids = [row[0] for row in prep.rows]
        if not ids:
            return None
        found = self._events_by_ids(ids)
        if not found:
            return None
        if len(found) == len(ids) and all(e.stream_id == prep.stream_id for e in found):
            found.sort(key=lambda e: e.position)
            return AppendResult(prep.stream_id, prep.stream_type, found[-1].version, tuple(found),
                                duplicate=True)
        raise DuplicateEventError(prep.stream_id, [e.event_id for e in found])

    def _resolve_integrity_error(self, prepared: list[Prepared],
                                 error: sqlite3.IntegrityError) -> list[AppendResult]:
        """A unique constraint failed: a retried request (return the stored events) or a clash."""
        if "event_id" not in str(error):
            raise StoreError(
                f"The append to {self.location} was refused by the database ({error}): the stream "
                "index and the events disagree. Nothing was written; run `check` on the "
                "store.") from None
        results = []
        for prep in prepared:
            retried = self._stored_retry(prep)
            if retried is None:
                # Only some requests of the batch were stored before; never write half of it.
                stored = [p for p in prepared if self._events_by_ids([r[0] for r in p.rows])]
                raise DuplicateEventError(stored[0].stream_id if stored else prep.stream_id,
                                          [r[0] for p in stored for r in p.rows]) from None
            results.append(retried)
        return results

    def _events_by_ids(self, event_ids: list[str]) -> list[RecordedEvent]:
        return self._fetch_events(sa.select(*EVENT_COLUMNS).where(
            schema.events.c.event_id.in_(event_ids)))

    def save_snapshot(self, snapshot: SnapshotRecord) -> None:
        """Keep an aggregate's state at a version, to shorten later loads. Existing ones stay."""
        self._require_writable("save snapshots")
        self._begin_write("save a snapshot")
        try:
            self._db.execute(self._sql.insert_snapshot.sql, self._sql.insert_snapshot.args(
                snapshot.stream_id, snapshot.version, snapshot.stream_type, snapshot.position,
                snapshot.timestamp_us, snapshot.state_version, snapshot.state_json, now_micros()))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _require_writable(self, action: str) -> None:
        if self.read_only:
            raise ReadOnlyStoreError(self.location, action, self.read_only_reason)
        damage = sqlite_backend.damage_at(self._real_path)
        if damage is not None:  # seen damaged, here or by another connection of this process
            raise StoreDamagedError(self.location, damage)

    def _begin_write(self, action: str) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise _translate_operational(error, self.location, action) from None

    # -- reading events --------------------------------------------------------------------

    def read_stream(self, stream_id: str, *, from_version: int = 1, to_version: int | None = None,
                    to_position: int | None = None, to_time_us: int | None = None,
                    ) -> list[RecordedEvent]:
        """A stream's events in version order, optionally bounded by version, position or time."""
        statement = self._sql.read_stream
        rows = self._db.execute(statement.sql, statement.args(
            stream_id, from_version, _bound(to_version), _bound(to_position), _bound(to_time_us),
        )).fetchall()
        return self.decoder.decode_rows(rows)

    def replay_rows(self, stream_id: str, *, after_version: int = 0, to_version: int | None = None,
                    to_position: int | None = None, to_time_us: int | None = None,
                    ) -> list[ReplayRow]:
        """Just what rebuilding an aggregate needs, undecoded: (version, type, schema, data,
        stream type).

        Aggregate loading decodes these itself; skipping whole event objects makes replay fast.
        """
        sql = self._sql
        if to_version is None and to_position is None and to_time_us is None:
            return self._db.execute(sql.replay_whole_stream.sql,
                                    (stream_id, after_version)).fetchall()
        return self._db.execute(sql.replay_stream.sql, sql.replay_stream.args(
            stream_id, after_version, _bound(to_version), _bound(to_position), _bound(to_time_us),
        )).fetchall()

    def replay_after_snapshot(self, stream_id: str, *, to_version: int | None = None,
                              to_position: int | None = None, to_time_us: int | None = None,
                              ) -> tuple[SnapshotRecord | None, list[ReplayRow]]:
        """The newest snapshot of a stream within the bounds (None if it has none) and the
        rows (as `replay_rows` gives them) of its events after it up to the bounds, in one round
        trip: what loading an aggregate that is snapshotted needs. The snapshot's position and
        timestamp are given as 0 (loading does not need them)."""
        statement = self._sql.replay_after_snapshot
        rows = self._db.execute(statement.sql, statement.args(
            stream_id, _bound(to_version), _bound(to_position), _bound(to_time_us))).fetchall()
        if not rows or rows[0][1] != SNAPSHOT_MARK:
            return None, rows
        version, _, state_version, state, stream_type = rows[0]
        del rows[0]
        return SnapshotRecord(stream_id, stream_type, version, 0, 0, state_version, state), rows

    def read_all(self, from_position: int = 1, to_position: int | None = None, *,
                 page_size: int = READ_PAGE_SIZE) -> Iterator[RecordedEvent]:
        """Every event in global order from `from_position`, read page by page in flat memory.

        Each page is its own short query, so a slow consumer never holds a read transaction open.
        """
        statement = self._sql.read_all
        db = self._db
        decode = self.decoder.decode_rows
        end = _bound(to_position)
        next_position = from_position
        while next_position <= end:
            rows = db.execute(statement.sql,
                              statement.args(next_position, end, page_size)).fetchall()
            if not rows:
                return
            yield from decode(rows)
            next_position = rows[-1][0] + 1
            if len(rows) < page_size:
                return

    def query(self, query: EventQuery, *, after_position: int = 0, limit: int | None = 100,
              descending: bool = False) -> list[RecordedEvent]:
        """A page of the events matching `query`, in global order (or reversed); limit=None
        reads every match at once (callers bound the query by positions)."""
        return self._fetch_events(query._select(after_position=after_position, limit=limit,
                                               descending=descending))

    def _fetch_events(self, select: sa.Select[*tuple[Any, ...]]) -> list[RecordedEvent]:
        """Run a select of EVENT_COLUMNS and decode the rows."""
        return self.decoder.decode_rows(self._run_select(select).fetchall())

    def _run_select(self, select: sa.Select[*tuple[Any, ...]]) -> sqlite3.Cursor:
        """Run a select on the DBAPI cursor: no per-row SQLAlchemy objects (projections read
        hundreds of thousands of rows this way, row maps millions of positions)."""
        compiled = select.compile(dialect=self._engine.dialect,
                                  compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        arguments = [params[name] for name in compiled.positiontup or ()]
        return self._db.execute(str(compiled), arguments)

    def iter_query(self, query: EventQuery, *, page_size: int = READ_PAGE_SIZE,
                   ) -> Iterator[RecordedEvent]:
        """Every event matching `query` in global order, page by page in flat memory."""
        after = 0
        while True:
            page = self.query(query, after_position=after, limit=page_size)
            yield from page
            if len(page) < page_size:
                return
            after = page[-1].position

    def count(self, query: EventQuery) -> int:
        return self._sa.execute(query._count()).scalar_one()

    def read_page(self, after_position: int = 0, limit: int = 100) -> list[RecordedEvent]:
        """Up to `limit` events after `after_position`, in global order."""
        statement = self._sql.read_all
        rows = self._db.execute(statement.sql, statement.args(after_position + 1, NO_LIMIT, limit))
        return self.decoder.decode_rows(rows.fetchall())

    def event_at(self, position: int) -> RecordedEvent:
        """The event at a global position; EventNotFoundError if there is none."""
        rows = self._db.execute(self._sql.event_at.sql, (position,)).fetchall()
        if not rows:
            raise EventNotFoundError(f"position {position}")
        return self.decoder.decode_rows(rows)[0]

    def event_by_id(self, event_id: str) -> RecordedEvent:
        """The event with an event id; EventNotFoundError if there is none."""
        found = self._events_by_ids([event_id])
        if not found:
            raise EventNotFoundError(f"id {event_id}")
        return found[0]

    def events_by_correlation(self, correlation_id: str,
                              limit: int = 10_000) -> list[RecordedEvent]:
        """Every event with a correlation id, in global order (the chain of one request)."""
        e = schema.events.c
        return self._fetch_events(sa.select(*EVENT_COLUMNS).where(
            e.correlation_id == correlation_id).order_by(e.position).limit(limit))

    def event_types(self) -> list[str]:
        """The distinct event types stored, found by skipping through their index."""
        e = schema.events.c
        names = sa.select(sa.func.min(e.event_type).label("name")).cte("names", recursive=True)
        following = sa.select(e.event_type).where(e.event_type > names.c.name).order_by(
            e.event_type).limit(1).scalar_subquery()
        names = names.union_all(sa.select(following).where(names.c.name.is_not(None)))
        return [name for (name,) in self._sa.execute(
            sa.select(names.c.name).where(names.c.name.is_not(None)))]

    def field_types(self, field: str, event_types: Sequence[str] = (),
                    per_type: int = FIELD_TYPE_SAMPLE) -> dict[str, tuple[str, ...]]:
        """The JSON types a content-filter field (data.total, data.items[*].price) holds in the
        newest `per_type` events of each event type (of `event_types`, or every one; at most
        FIELD_TYPE_KINDS of them), as {json type: event types having it}: a bounded sample read
        through the event-type index, for telling a user that a filter compares unlike types.
        {} for a field no sampled event has; a column field (position, ...) raises ValueError."""
        names = list(event_types or self.event_types())[:FIELD_TYPE_KINDS]
        found: dict[str, list[str]] = {}
        for name in names:
            query = json_types_sample(field, name, per_type)
            if query is None:
                raise ValueError(f"{field} is a column of the events table, not a JSON field")
            for (json_type,) in self._sa.execute(query):
                found.setdefault(json_type, []).append(name)
        return {json_type: tuple(having) for json_type, having in found.items()}

    def last_position(self) -> int:
        """The global position of the newest event, 0 for an empty store."""
        row = self._db.execute(self._sql.last_event.sql, self._sql.last_event.args()).fetchone()
        return row[0] if row else 0

    def event_count(self) -> int:
        return self._sa.execute(sa.select(sa.func.count()).select_from(schema.events)).scalar_one()

    # -- snapshots -------------------------------------------------------------------------

    def latest_snapshot(self, stream_id: str, *, max_version: int | None = None,
                        max_position: int | None = None, max_time_us: int | None = None,
                        ) -> SnapshotRecord | None:
        """The newest snapshot of a stream within the bounds, or None."""
        statement = self._sql.latest_snapshot
        row = self._db.execute(statement.sql, statement.args(
            stream_id, _bound(max_version), _bound(max_position), _bound(max_time_us))).fetchone()
        return SnapshotRecord(*row) if row else None

    # -- process manager checkpoints ------------------------------------------------------

    def checkpoint(self, name: str) -> int:
        """How far the process manager `name` has read the log (0 if it never ran)."""
        table = schema.process_checkpoints
        try:
            found = self._sa.execute(sa.select(table.c.position).where(table.c.name == name))
        except sa.exc.OperationalError as error:
            if "no such table" in str(error.orig):  # a read-only store from before the table
                return 0
            raise _translate_operational(error.orig, self.location, "read a checkpoint") from None
        return found.scalar_one_or_none() or 0

    def save_checkpoint(self, name: str, position: int) -> None:
        """Record that `name` has read the log up to `position` (it never moves back)."""
        self._require_writable("save a checkpoint")
        table = schema.process_checkpoints
        insert = sa.dialects.sqlite.insert(table).values(name=name, position=position,
                                                         updated_at=now_micros())
        insert = insert.on_conflict_do_update(index_elements=[table.c.name], set_={
            "position": sa.func.max(table.c.position, insert.excluded.position),
            "updated_at": insert.excluded.updated_at})
        self._begin_write("save a checkpoint")
        try:
            self._sa.execute(insert)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # -- what the store records about itself ----------------------------------------------

    def meta(self) -> dict[str, str]:
        """What store_meta records about the store (its schema, who made it, which system
        writes it, ...)."""
        return dict(self._db.execute("SELECT key, value FROM store_meta").fetchall())

    def set_meta(self, key: str, value: str) -> None:
        """Record a fact about the store in store_meta (e.g. where a salvaged store came from)."""
        if key in ("schema", "schema_version"):
            raise ValueError(f"store_meta's {key!r} is the store's own marker.")
        self._require_writable("record store information")
        self._begin_write("record store information")
        try:
            self._db.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
                             (key, value))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # -- branching -------------------------------------------------------------------------

    def branch(self, target: str | Path, position: int, *,
               progress: Callable[[int, int], None] | None = None) -> None:
        """Make a new store at `target` holding this store's events 1..`position`, with the
        stream index, the snapshots and the hash chain as they were then: a branch to try
        commands on without touching this store (what-if). This store is only read.

        `progress(copied, position)` is called as events are copied and may raise (Cancelled,
        say) to stop: nothing is then left at `target`. A `target` where a file is already,
        or a position outside the log, is refused.
        """
        target = Path(target).expanduser()
        last = self.last_position()
        if not 0 <= position <= last:
            raise ValueError(f"Cannot branch {self.name} at position {position:,}: its events "
                             f"are at positions 1 to {last:,}. Choose one of those.")
        if target.exists():
            raise StoreOpenError(f"Cannot branch {self.name} into {target}: there is a file "
                                 "there already. Choose a new path.")
        EventStore.open(target, create=True).close()  # a new, empty store with our schema
        try:
            branching.copy_events(Path(self.location), target, position,
                                  progress or (lambda copied, total: None))
        except BaseException:
            for leftover in (target, *(sqlite_backend.side_file(target, suffix)
                                       for suffix in ("-wal", "-shm", "-journal"))):
                leftover.unlink(missing_ok=True)
            raise

def _missing(path: Path, kind: str) -> StoreMissingError:
    """The error for a path where opening found no store (and was not asked to create one)."""
    create = ("To make a new store there, use `seed` (or File > New Demo Store in the window).")
    if kind == "missing":
        where = ("" if path.parent.is_dir()
                 else f": the folder {path.parent} does not exist")
        return StoreMissingError(f"No store at {path}{where}. Check the path. {create}",
                                 str(path))
    what = "an empty file" if kind == "empty" else "an empty SQLite database"
    return StoreMissingError(f"{path} is {what}, not a store: it holds no events. It was not "
                             f"changed. Choose a store file. {create}", str(path), empty=True)


def _bound(value: int | None) -> int:
    return NO_LIMIT if value is None else value


def _translate_operational(error: BaseException | None, location: str,
                           action: str) -> Exception:
    """The store's error for SQLite's `error` (a sqlite3.OperationalError) while doing `action`."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreLockedError(
            f"Cannot {action}: {location} is locked by another program for more than "
            f"{sqlite_backend.BUSY_TIMEOUT_S:.0f} s. Close that program or wait, then try again.")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyStoreError(location, action)
    return StoreOpenError(f"Cannot {action} in {location}: {text}.")

