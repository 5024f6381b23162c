"""The event store: an append-only log of events in SQLite, with a stream index and snapshots.

One `EventStore` owns one database connection and is used by one thread at a time; a worker
thread opens its own. Other processes may read and append to the same file at the same time (WAL).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
import sqlalchemy.dialects.sqlite

from explorer.store import chain, schema
from explorer.store import sqlite as sqlite_backend
from explorer.store.content_filter import json_types_sample
from explorer.store.decoding import RowDecoder
from explorer.store.errors import (
    ConcurrencyError, DuplicateEventError, EventNotFoundError, ReadOnlyStoreError,
    StoreDamagedError, StoreError, StoreLockedError, StoreMissingError, StoreOpenError,
    StreamNotFoundError, StreamTypeMismatchError,
)
from explorer.store.ids import uuid7
from explorer.store.query import EventQuery
from explorer.store.records import (
    ANY_VERSION, AppendRequest, AppendResult, NewEvent, RecordedEvent, SnapshotRecord,
    StreamInfo, StreamTypeInfo,
)
from explorer.store.statements import EVENT_COLUMNS, Statements
from explorer.store.timestamps import now_micros
from explorer.store.upcasting import EventRegistry

_NO_LIMIT = 2**62
READ_PAGE_SIZE = 2000
CHAIN_CHUNK = 20_000
FIELD_TYPE_SAMPLE = 50  # events of each type read to learn what JSON types a field holds
FIELD_TYPE_KINDS = 200  # event types sampled at most


class EventStore:
    """Append and read events; list streams; keep snapshots.

    Open one with `EventStore.open(path)`. Writes raise ReadOnlyStoreError on a read-only store.
    """

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
        try:
            self._sa = engine.connect()
        except sa.exc.OperationalError as error:
            engine.dispose()
            raise StoreOpenError(f"Cannot open {location}: {error.orig}.") from None
        except BaseException:
            engine.dispose()
            raise
        self._db: sqlite3.Connection = self._sa.connection.driver_connection
        self._sql = Statements(engine.dialect)

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
        plan = sqlite_backend.plan_open(path, read_only=read_only, create=False)
        store = cls(sqlite_backend.create_engine(path, plan), location=str(path),
                    read_only=plan.read_only, registry=registry, read_only_reason=plan.reason)
        try:
            small = verify and sqlite_backend.verify_on_open(store._db, path)
            if not store.read_only:
                store._upgrade(progress)
                if small:  # a write must not add to a log that was changed after the fact
                    store._verify_chain()
        except sqlite3.OperationalError as error:
            store.close()
            raise _translate_operational(error, str(path), "open the store") from None
        except BaseException:
            store.close()
            raise
        return store

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
        store = cls(sqlite_backend.create_engine(path, plan), location=str(path), read_only=False,
                    registry=registry)
        try:
            sqlite_backend.initialise(store._db, store._sa)
        except sqlite3.OperationalError as error:
            store.close()
            raise _translate_operational(error, str(path), "create the store") from None
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
                    done + 1, _NO_LIMIT, CHAIN_CHUNK)).fetchall()
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
        try:
            self._sa.close()
        finally:
            self._engine.dispose()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        return Path(self.location).name

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the file."""
        return self._db.execute("PRAGMA data_version").fetchone()[0]

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
        prepared = [_prepare(request, self.registry) for request in requests]
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

    def _append_locked(self, prepared: list[_Prepared]) -> list[AppendResult]:
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
        previous = _chain_link(position, chain_end, previous)
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

    def _stored_retry(self, prep: _Prepared) -> AppendResult | None:
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

    def _resolve_integrity_error(self, prepared: list[_Prepared],
                                 error: sqlite3.IntegrityError) -> list[AppendResult]:
        """A unique constraint failed: a retried request (return the stored events) or a clash."""
        if "event_id" not in str(error):
            raise StoreError(
                f"The append to {self.location} was refused by the database ({error}): the stream "
                "index and the events disagree. Nothing was written; run `check` on the store.") from None
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
                    after_snapshot: bool = False) -> list[tuple[int, str, int, Any, str]]:
        """Just what rebuilding an aggregate needs, undecoded: (version, type, schema, data, stream type).

        Aggregate loading decodes these itself; skipping whole event objects makes replay fast.
        With `after_snapshot`, the newest snapshot within the bounds comes first, as a row whose
        type is SNAPSHOT_MARK (schema column: its state version; data column: its state), then
        only the events after it, all in one round trip.
        """
        sql = self._sql
        if after_snapshot:
            return self._db.execute(sql.replay_after_snapshot.sql, sql.replay_after_snapshot.args(
                stream_id, _bound(to_version), _bound(to_position), _bound(to_time_us),
            )).fetchall()
        if to_version is None and to_position is None and to_time_us is None:
            return self._db.execute(sql.replay_whole_stream.sql, (stream_id, after_version)).fetchall()
        return self._db.execute(sql.replay_stream.sql, sql.replay_stream.args(
            stream_id, after_version, _bound(to_version), _bound(to_position), _bound(to_time_us),
        )).fetchall()

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
            rows = db.execute(statement.sql, statement.args(next_position, end, page_size)).fetchall()
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
        return self._fetch_events(query.select(after_position=after_position, limit=limit,
                                               descending=descending))

    def _fetch_events(self, select: sa.Select) -> list[RecordedEvent]:
        """Run a select of EVENT_COLUMNS on the DBAPI cursor (no per-row SQLAlchemy objects:
        projections read hundreds of thousands of rows this way) and decode the rows."""
        compiled = select.compile(dialect=self._engine.dialect,
                                  compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        arguments = [params[name] for name in compiled.positiontup or ()]
        return self.decoder.decode_rows(self._db.execute(str(compiled), arguments).fetchall())

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
        return self._sa.execute(query.count()).scalar_one()

    def read_page(self, after_position: int = 0, limit: int = 100) -> list[RecordedEvent]:
        """Up to `limit` events after `after_position`, in global order."""
        statement = self._sql.read_all
        rows = self._db.execute(statement.sql, statement.args(after_position + 1, _NO_LIMIT, limit))
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

    def events_by_correlation(self, correlation_id: str, limit: int = 10_000) -> list[RecordedEvent]:
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

    def position_at_time(self, timestamp_us: int) -> int:
        """The last position whose event happened at or before a time (0 if none did).

        A binary search over positions: the store keeps timestamps non-decreasing along them.
        """
        low, high = 0, self.last_position()
        sql = self._sql.timestamp_at.sql
        while low < high:
            middle = (low + high + 1) // 2
            row = self._db.execute(sql, (middle,)).fetchone()
            if row is not None and row[0] <= timestamp_us:
                low = middle
            else:
                high = middle - 1
        return low

    def event_count(self) -> int:
        return self._sa.execute(sa.select(sa.func.count()).select_from(schema.events)).scalar_one()

    # -- streams ---------------------------------------------------------------------------

    def stream_head(self, stream_id: str) -> tuple[str, int] | None:
        """(stream type, version) of a stream from the index, or None if it does not exist."""
        return self._db.execute(self._sql.stream_head.sql, (stream_id,)).fetchone()

    def stream_info(self, stream_id: str) -> StreamInfo:
        """One stream from the stream index; StreamNotFoundError if it does not exist."""
        s = schema.streams.c
        row = self._sa.execute(sa.select(*_STREAM_COLUMNS).where(s.stream_id == stream_id)).first()
        if row is None:
            raise StreamNotFoundError(stream_id)
        return StreamInfo(*row)

    def list_streams(self, stream_type: str | None = None, pattern: str | None = None, *,
                     after: str | None = None, limit: int | None = None) -> list[StreamInfo]:
        """Streams in id order from the stream index, filtered by type and an id pattern.

        `pattern` matches a substring, or with * and ? as wildcards the whole id (case-insensitive).
        `after` continues a listing after that stream id.
        """
        s = schema.streams.c
        query = self._filter_streams(sa.select(*_STREAM_COLUMNS), stream_type, pattern)
        if after is not None:
            query = query.where(s.stream_id > after)
        query = query.order_by(s.stream_id)
        if limit is not None:
            query = query.limit(limit)
        return [StreamInfo(*row) for row in self._sa.execute(query)]

    def count_streams(self, stream_type: str | None = None, pattern: str | None = None) -> int:
        query = self._filter_streams(sa.select(sa.func.count()).select_from(schema.streams),
                                     stream_type, pattern)
        return self._sa.execute(query).scalar_one()

    @staticmethod
    def _filter_streams(query: sa.Select, stream_type: str | None, pattern: str | None) -> sa.Select:
        s = schema.streams.c
        if stream_type is not None:
            query = query.where(s.stream_type == stream_type)
        if pattern:
            query = query.where(s.stream_id.like(stream_pattern_to_like(pattern), escape="\\"))
        return query

    def stream_types(self) -> list[StreamTypeInfo]:
        """Each stream type with its number of streams and of events, from the stream index."""
        s = schema.streams.c
        query = (sa.select(s.stream_type, sa.func.count(), sa.func.sum(s.version))
                 .group_by(s.stream_type).order_by(s.stream_type))
        return [StreamTypeInfo(t, streams, int(events or 0)) for t, streams, events in
                self._sa.execute(query)]

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

    # -- maintenance (check, salvage) --------------------------------------------------------

    def import_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append stored rows as they are (EVENT_COLUMNS order, positions and versions already
        given, following on from the store's), in one transaction, linked into the chain: for
        salvaging events from a damaged store, whose data may not even be valid JSON."""
        self._require_writable("import events")
        if not rows:
            return
        db, sql = self._db, self._sql
        self._begin_write("import events")
        try:
            position, _, chain_end, previous = db.execute(
                sql.append_tail.sql, sql.append_tail.args()).fetchone()
            position = position or 0
            if rows[0][0] != position + 1:
                raise ValueError(f"Imported rows must follow on from position {position}, "
                                 f"not start at {rows[0][0]}.")
            db.executemany(sql.insert_event.sql, rows)
            previous = _chain_link(position, chain_end, previous)
            if previous is not None:
                db.execute(sql.insert_links.sql, (rows[0][0], chain.links(previous, rows)))
            heads: dict[str, tuple[Any, ...]] = {}
            for row in rows:
                first = heads[row[1]][3] if row[1] in heads else row[0]
                heads[row[1]] = (row[1], row[2], row[3], first, row[0], row[7])
            db.executemany(sql.upsert_stream.sql, list(heads.values()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

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

    def execute(self, statement: sa.Executable) -> sa.Result:
        """Run a read-only SQLAlchemy statement on this store's connection."""
        return self._sa.execute(statement)

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Run the block's reads in one read transaction: they all see the log as it was when
        the first of them ran, whatever other processes append meanwhile (for `check`)."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    @contextmanager
    def tolerating_bad_text(self) -> Iterator[None]:
        """Read text that is not valid UTF-8 (damage) as text with stand-ins for the bad bytes,
        instead of failing: for `check`, which reports such rows rather than stopping at them."""
        self._db.text_factory = lambda data: data.decode("utf-8", "surrogateescape")
        try:
            yield
        finally:
            self._db.text_factory = str

    def sqlite_problems(self, limit: int = 20) -> list[str]:
        """What SQLite's own integrity check finds wrong with the file ([] when nothing)."""
        return sqlite_backend.quick_check(self._db, full=True, limit=limit)

    def schema_objects(self) -> SchemaObjects:
        """The file's markers, its store_meta entries and its tables, indexes and triggers."""
        db = self._db
        meta = {}
        try:
            meta = dict(db.execute("SELECT key, value FROM store_meta").fetchall())
        except sqlite3.OperationalError:
            pass
        objects = {(kind, name): (table, sql) for kind, name, table, sql in db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()}
        return SchemaObjects(db.execute("PRAGMA application_id").fetchone()[0],
                             db.execute("PRAGMA user_version").fetchone()[0], meta, objects)

    def index_columns(self, index: str) -> list[str]:
        return [row[2] for row in self._db.execute(f'PRAGMA index_info("{index}")').fetchall()]

    def linked_pages(self, page_size: int = READ_PAGE_SIZE) -> Iterator[list[tuple[Any, ...]]]:
        """Every stored row (EVENT_COLUMNS, undecoded) with its link in the hash chain last (None
        where it has none), a page at a time, in flat memory. Read it inside `read_snapshot`:
        rows and links must be of one moment."""
        sql = self._sql
        runs = chain.LinkRuns(self._db.execute(sql.read_runs.sql, sql.read_runs.args(1)))
        position = 0
        while rows := self._db.execute(sql.read_all.sql, sql.read_all.args(
                position + 1, _NO_LIMIT, page_size)).fetchall():
            yield chain.with_links(rows, runs)
            position = rows[-1][0]

    def chain_end(self) -> int:
        """The last position the hash chain covers (0 when it covers none)."""
        return self._db.execute(self._sql.chain_tail.sql,
                                self._sql.chain_tail.args()).fetchone()[0] or 0

    def _verify_chain(self) -> None:
        """Raise StoreDamagedError where a stored event is not as it was written."""
        with self.read_snapshot():  # rows and links as of one moment, whoever appends meanwhile
            for position, changed in chain.breaks(self.linked_pages(CHAIN_CHUNK)):
                what = ("is not as it was written (its link in the hash chain does not match)"
                        if changed else "has no link in the hash chain")
                raise sqlite_backend.damaged(self.location,
                                             f"the event at position {position} {what}")

    def decode_rows(self, rows: Sequence[tuple[Any, ...]]) -> list[RecordedEvent]:
        """Events from stored rows in EVENT_COLUMNS order (see `linked_rows`)."""
        return self.decoder.decode_rows(rows)


@dataclass(frozen=True)
class SchemaObjects:
    """What the file says of itself: markers, store_meta, and sqlite_master's entries by
    (type, name) -> (table, SQL)."""

    application_id: int
    user_version: int
    meta: dict[str, str]
    objects: dict[tuple[str, str], tuple[str, str | None]]


_STREAM_COLUMNS = (schema.streams.c.stream_id, schema.streams.c.stream_type,
                   schema.streams.c.version, schema.streams.c.last_position,
                   schema.streams.c.last_timestamp)


class _Prepared:
    """A request with its events encoded, done before the write lock is taken."""

    __slots__ = ("stream_id", "stream_type", "expected_version", "rows")

    def __init__(self, stream_id: str, stream_type: str, expected_version: int | None,
                 rows: list[tuple[Any, ...]]) -> None:
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.expected_version = expected_version
        self.rows = rows


def _prepare(request: AppendRequest, registry: EventRegistry | None) -> _Prepared:
    stream_id = request.stream_id
    if not isinstance(stream_id, str) or not stream_id.strip():
        raise ValueError("A stream id must be a non-empty text.")
    if not request.stream_type:
        raise ValueError(f"Stream {stream_id} needs a stream type.")
    if request.expected_version is not None and request.expected_version < 0:
        raise ValueError(f"Expected version {request.expected_version} of {stream_id} is negative.")
    versions = registry.current_versions if registry is not None else {}
    dumps = orjson.dumps
    now = now_micros()
    rows = []
    encoded_for: dict[str, Any] | None = None  # the events of one command share their metadata
    for event in request.events:
        if type(event.data) is not dict:
            raise ValueError(f"The data of {event.event_type} must be a JSON object, "
                             f"not {type(event.data).__name__}.")
        if event.metadata is not encoded_for:
            encoded_for = event.metadata
            metadata = dict(encoded_for)
            correlation_id = metadata.pop("correlation_id", None)
            try:
                metadata_json = dumps(metadata).decode()
            except TypeError as error:
                raise ValueError(f"The metadata of {event.event_type} cannot be stored as JSON: "
                                 f"{error}.") from None
        try:
            data_json = dumps(event.data).decode()
        except TypeError as error:
            raise ValueError(f"The data of {event.event_type} cannot be stored as JSON: {error}.") \
                from None
        rows.append((event.event_id or uuid7(), event.event_type,
                     event.schema_version or versions.get(event.event_type, 1),
                     event.timestamp_us if event.timestamp_us is not None else now,
                     correlation_id, data_json, metadata_json, event.data))
    return _Prepared(stream_id, request.stream_type, request.expected_version, rows)


def _chain_link(position: int, chain_end: int | None, last_link: bytes | None) -> bytes | None:
    """The link an append goes on from: the chain's last, when it reaches the newest event
    (`position`); the first link for an empty log; None while the chain does not reach it (a
    store from before the chain, being linked by whoever opened it for writing: that linking
    takes in these events too)."""
    if not position:
        return chain.GENESIS
    return last_link if chain_end == position else None


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
    return _NO_LIMIT if value is None else value


def stream_pattern_to_like(pattern: str) -> str:
    """A LIKE pattern for a user's stream filter: a substring, or a whole-id wildcard (* and ?)."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" in pattern or "?" in pattern:
        return escaped.replace("*", "%").replace("?", "_")
    return f"%{escaped}%"


def _translate_operational(error: sqlite3.OperationalError, location: str, action: str) -> Exception:
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreLockedError(
            f"Cannot {action}: {location} is locked by another program for more than "
            f"{sqlite_backend.BUSY_TIMEOUT_S:.0f} s. Close that program or wait, then try again.")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyStoreError(location, action)
    return StoreOpenError(f"Cannot {action} in {location}: {text}.")

