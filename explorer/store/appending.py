"""Appending to the store: events to streams, atomically, with optimistic concurrency; snapshots.

A part of EventStore (the `Appending` mixin, on the store's own connection). An append checks each
stream's expected version against the stream index, gives the events their positions and
versions, keeps timestamps non-decreasing along positions, links them into the hash chain and
updates the stream index, all in one transaction. A retried request (every event id stored
already) writes nothing and returns the stored events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from explorer.common.timestamps import now_micros
from explorer.store import chain
from explorer.store.damage import HotStatements
from explorer.store.encoding import Prepared, prepare
from explorer.store.errors import (
    ConcurrencyError,
    DuplicateEventError,
    StoreError,
    StreamTypeMismatchError,
)
from explorer.store.records import (
    ANY_VERSION,
    AppendRequest,
    AppendResult,
    NewEvent,
    RecordedEvent,
    SnapshotRecord,
)
from explorer.store.statements import CORRELATION, Statements, insert_rows
from explorer.store.upcasting import EventRegistry


class AppendPlan(NamedTuple):
    """What an append writes: the events' rows (EVENT_COLUMNS order), their links as one run
    (empty while the chain does not reach the log's end), the streams' index rows, and what
    the append returns."""

    rows: list[tuple[Any, ...]]
    links: bytes
    stream_rows: list[tuple[Any, ...]]
    results: list[AppendResult]


def place(prep: Prepared, position: int, version: int, last_time: int,
          rows: list[tuple[Any, ...]]) -> tuple[list[RecordedEvent], int]:
    """Put `prep`'s events after the log's newest event (`position`, timestamped `last_time`)
    and the stream's `version`: their rows added to `rows` (EVENT_COLUMNS order), their records
    and the last one's timestamp returned. Timestamps are kept non-decreasing along positions."""
    recorded = []
    new_tuple = tuple.__new__
    stream_id, stream_type = prep.stream_id, prep.stream_type
    for event_id, event_type, schema_version, timestamp, correlation_id, data_json, \
            metadata_json, data in prep.rows:
        position += 1
        version += 1
        if timestamp < last_time:
            timestamp = last_time
        last_time = timestamp
        rows.append((position, stream_id, stream_type, version, event_id, event_type,
                     schema_version, timestamp, correlation_id, data_json, metadata_json))
        recorded.append(new_tuple(RecordedEvent, (
            position, stream_id, stream_type, version, event_id, event_type, schema_version,
            timestamp, correlation_id, data, metadata_json, None, None, None)))
    return recorded, last_time


class Appending:
    """EventStore's writes of events and snapshots (see the module's docstring)."""

    _db: sqlite3.Connection
    _hot: HotStatements
    _sql: Statements
    registry: EventRegistry | None
    location: str
    _integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    """What the database driver raises when a unique constraint refuses a row."""
    chain_form: chain.ChainForm = chain.PLAIN
    """How this store links its events (a store on a server says otherwise when opened)."""

    if TYPE_CHECKING:  # EventStore's own, of which this is a part
        def _require_writable(self, action: str) -> None: ...
        def _begin_write(self, action: str) -> None: ...
        def _roll_back(self) -> None: ...
        def _events_by_ids(self, event_ids: list[str]) -> list[RecordedEvent]: ...

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
        hot = self._hot
        self._begin_write("append events")
        try:
            results = self._append_locked(prepared)
            hot.run("COMMIT")
        except self._integrity_errors as error:
            self._roll_back()
            return self._resolve_integrity_error(prepared, error)
        except BaseException:
            self._roll_back()
            raise
        return results

    def _append_locked(self, prepared: list[Prepared]) -> list[AppendResult]:
        db = self._hot
        sql = self._sql
        heads: dict[str, list[Any]] = {}
        if len(prepared) == 1:  # one round trip for the newest event and the stream's head
            first = prepared[0]
            position, last_time, head_type, head_version, chain_end, previous = db.row(
                sql.append_head.sql, sql.append_head.args(first.stream_id))
            heads[first.stream_id] = [head_type or first.stream_type, head_version or 0, 0, 0, 0]
        else:
            position, last_time, chain_end, previous = db.row(
                sql.append_tail.sql, sql.append_tail.args())
            heads = self._heads({prep.stream_id for prep in prepared})
        position = position or 0
        plan = self._plan(prepared, position, last_time or 0,
                          chain.continued_from(position, chain_end, previous), heads)
        if len(plan.rows) == 1:
            row = plan.rows[0]
            if row[CORRELATION] is None and sql.uncorrelated is not None:
                db.run(sql.uncorrelated[0], row[:CORRELATION] + row[CORRELATION + 1:])
            else:
                db.run(sql.insert_event.sql, row)
        elif plan.rows:
            insert_rows(db, sql.insert_event.sql, sql.insert_events, sql.rows_an_insert,
                        plan.rows, sql.uncorrelated)
        if plan.links:
            db.run(sql.insert_links.sql, (plan.rows[0][0], plan.links))
        if len(plan.stream_rows) == 1:
            db.run(sql.upsert_stream.sql, plan.stream_rows[0])
        elif plan.stream_rows:
            db.executemany(sql.upsert_stream.sql, plan.stream_rows)
        return plan.results

    def _plan(self, prepared: list[Prepared], position: int, last_time: int,
              previous: bytes | None, heads: dict[str, list[Any]]) -> AppendPlan:
        """What an append writes after the log's newest event (`position`, its `last_time`,
        its link `previous`: None while the chain does not reach it) given the streams' heads
        (stream id -> [type, version, ...]): the rows, links, streams' rows and results. Raises
        as the append does on a stale expected version or another stream type."""
        # stream id -> [type, version, first position, last position, last timestamp]
        touched: dict[str, list[Any]] = {}
        rows: list[tuple[Any, ...]] = []
        results: list[AppendResult] = []
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
            recorded, last_time = place(prep, position, actual, last_time, rows)
            version = actual + len(recorded)
            if recorded:
                position = recorded[-1].position
                head[1] = version
                head[2] = head[2] or recorded[0].position
                head[3] = position
                head[4] = last_time
                touched[prep.stream_id] = head
            results.append(AppendResult(prep.stream_id, prep.stream_type, version,
                                        tuple(recorded)))
        links = self.chain_form.links(previous, rows) if rows and previous is not None else b""
        stream_rows = [(stream_id, head[0], head[1], head[2], head[3], head[4])
                       for stream_id, head in touched.items()]
        return AppendPlan(rows, links, stream_rows, results)

    def _heads(self, stream_ids: set[str]) -> dict[str, list[Any]]:
        """Type and version of many streams, in one query (for batch appends)."""
        statement = self._sql.stream_heads
        rows = self._hot.rows(statement.sql, statement.args(
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
                                 error: Exception) -> list[AppendResult]:
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

    def save_snapshot(self, snapshot: SnapshotRecord) -> None:
        """Keep an aggregate's state at a version, to shorten later loads. Existing ones stay."""
        self._require_writable("save snapshots")
        self._begin_write("save a snapshot")
        try:
            self._hot.run(self._sql.insert_snapshot.sql, self._sql.insert_snapshot.args(
                snapshot.stream_id, snapshot.version, snapshot.stream_type, snapshot.position,
                snapshot.timestamp_us, snapshot.state_version, snapshot.state_json, now_micros()))
            self._hot.run("COMMIT")
        except BaseException:
            self._roll_back()
            raise
