"""Reading the store: a stream's events, the whole log page by page, queries, single events.

A part of EventStore (the `Reading` mixin, on the store's own connection). Reads are short
queries on the DBAPI cursor, decoded (and upcast) by the store's RowDecoder; replaying an
aggregate gets its rows undecoded, with the newest snapshot, in one round trip.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from explorer.store import schema
from explorer.store.content_filter import json_types_sample
from explorer.store.damage import HotStatements
from explorer.store.decoding import DecodedRows, RowDecoder
from explorer.store.errors import EventNotFoundError
from explorer.store.maintenance import READ_PAGE_SIZE
from explorer.store.query import EventQuery
from explorer.store.records import RecordedEvent, SnapshotRecord
from explorer.store.statements import EVENT_COLUMNS, NO_LIMIT, SNAPSHOT_MARK, Statements

ReplayRow = tuple[int, str, int, Any, str]
"""A stored event as replaying it needs it: (version, event type, schema version, data, stream
type), its data undecoded JSON text."""
PositionedReplayRow = tuple[int, str, int, Any, str, int]
"""A ReplayRow with the event's global position last."""
FIELD_TYPE_SAMPLE = 50  # events of each type read to learn what JSON types a field holds
FIELD_TYPE_KINDS = 200  # event types sampled at most


class Reading:
    """EventStore's reads of events and snapshots (see the module's docstring)."""

    _db: sqlite3.Connection
    _hot: HotStatements
    _sa: sa.Connection
    _engine: sa.Engine
    _sql: Statements
    decoder: RowDecoder

    def read_stream(self, stream_id: str, *, from_version: int = 1, to_version: int | None = None,
                    to_position: int | None = None, to_time_us: int | None = None,
                    ) -> list[RecordedEvent]:
        """A stream's events in version order, optionally bounded by version, position or time."""
        statement = self._sql.read_stream
        rows = self._hot.rows(statement.sql, statement.args(
            stream_id, from_version, _bound(to_version), _bound(to_position), _bound(to_time_us)))
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
            return self._hot.rows(sql.replay_whole_stream.sql, (stream_id, after_version))
        return self._hot.rows(sql.replay_stream.sql, sql.replay_stream.args(
            stream_id, after_version, _bound(to_version), _bound(to_position), _bound(to_time_us)))

    def replay_rows_positioned(self, stream_id: str, *, after_version: int = 0,
                               to_version: int | None = None) -> list[PositionedReplayRow]:
        """`replay_rows` with each event's global position last: for folding a stream event by
        event and saying where each one is (find-when)."""
        statement = self._sql.replay_positioned
        return self._hot.rows(statement.sql, statement.args(
            stream_id, after_version, _bound(to_version)))

    def replay_after_snapshot(self, stream_id: str, *, to_version: int | None = None,
                              to_position: int | None = None, to_time_us: int | None = None,
                              ) -> tuple[SnapshotRecord | None, list[ReplayRow]]:
        """The newest snapshot of a stream within the bounds (None if it has none) and the
        rows (as `replay_rows` gives them) of its events after it up to the bounds, in one round
        trip: what loading an aggregate that is snapshotted needs. The snapshot's position and
        timestamp are given as 0 (loading does not need them)."""
        if to_version is None and to_position is None and to_time_us is None:
            statement = self._sql.replay_latest
            rows = self._hot.rows(statement.sql, statement.args(stream_id))
        else:
            statement = self._sql.replay_after_snapshot
            rows = self._hot.rows(statement.sql, statement.args(
                stream_id, _bound(to_version), _bound(to_position), _bound(to_time_us)))
        if not rows or rows[0][1] is not SNAPSHOT_MARK:
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
        read = self._hot.rows
        decode = self.decoder.decode_each
        end = _bound(to_position)
        next_position = from_position
        while next_position <= end:
            rows = read(statement.sql, statement.args(next_position, end, page_size))
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

    def query_lazily(self, query: EventQuery, *, after_position: int = 0,
                     limit: int | None = None) -> DecodedRows:
        """`query`'s events, their rows read now and decoded as they are iterated: for going
        through many once (a projection's chunk) without holding them all decoded."""
        return DecodedRows(self._run_select(query._select(
            after_position=after_position, limit=limit, descending=False)).fetchall(),
            self.decoder)

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

    def _events_by_ids(self, event_ids: list[str]) -> list[RecordedEvent]:
        return self._fetch_events(sa.select(*EVENT_COLUMNS).where(
            schema.events.c.event_id.in_(event_ids)))

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
        return self.decoder.decode_rows(self._hot.rows(statement.sql, statement.args(
            after_position + 1, NO_LIMIT, limit)))

    def event_at(self, position: int) -> RecordedEvent:
        """The event at a global position; EventNotFoundError if there is none."""
        rows = self._hot.rows(self._sql.event_at.sql, (position,))
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
        row = self._hot.row(self._sql.last_event.sql, self._sql.last_event.args())
        return row[0] if row else 0

    def event_count(self) -> int:
        return self._sa.execute(sa.select(sa.func.count()).select_from(schema.events)).scalar_one()

    # -- snapshots -------------------------------------------------------------------------

    def latest_snapshot(self, stream_id: str, *, max_version: int | None = None,
                        max_position: int | None = None, max_time_us: int | None = None,
                        ) -> SnapshotRecord | None:
        """The newest snapshot of a stream within the bounds, or None."""
        statement = self._sql.latest_snapshot
        row = self._hot.row(statement.sql, statement.args(
            stream_id, _bound(max_version), _bound(max_position), _bound(max_time_us)))
        return SnapshotRecord(*row) if row else None


def _bound(value: int | None) -> int:
    return NO_LIMIT if value is None else value
