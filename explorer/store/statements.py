"""The store's hot statements: SQLAlchemy Core constructs compiled once per dialect.

Appends and reads run millions of times, so they execute the compiled SQL on the DBAPI cursor with
positional parameters; a SQLAlchemy `Connection.execute` per call would cost more than the SQLite
work itself. Cold and dynamic queries (filters, listings) go through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, islice
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from explorer.store.compiled import CompiledStatement
from explorer.store.schema import event_hashes, events, snapshots, streams

EVENT_COLUMNS = (
    events.c.position, events.c.stream_id, events.c.stream_type, events.c.version,
    events.c.event_id, events.c.event_type, events.c.schema_version, events.c.timestamp,
    events.c.correlation_id, events.c.data, events.c.metadata,
)
"""The column order every event row is read in; decoding.decode_rows relies on it."""

NO_LIMIT = 2**62
"""A bound beyond any position, version or time: for statements whose bound was not given."""

ROWS_AN_INSERT = 100
"""Rows one INSERT of many writes (a VALUES list of them): with a statement a row, executemany
steps, resets and lets the interpreter's lock go and takes it back each row (the inserts of 1M
events: 3.6-3.9 s of CPU a row a statement, 3.2-3.3 s a hundred)."""

CORRELATION = 8
"""correlation_id's place in EVENT_COLUMNS and in an event's row: NULL in most events, and a
NULL bound as a parameter costs sqlite3 a failed adaptation (an AttributeError made and
dropped, ~2,500 instructions) each time, so inserts of events without one write it as NULL."""

SNAPSHOT_MARK = None
"""The event type column of the snapshot row that leads a replay (an event's is never NULL)."""


class Statements:
    """Every hot statement of the store, compiled for `dialect`."""

    def __init__(self, dialect: sa.Dialect) -> None:
        p = sa.bindparam
        c = CompiledStatement
        e = events.c
        self.last_event = c(sa.select(e.position, e.timestamp).order_by(e.position.desc()).limit(1),
                            dialect)
        self.stream_head = c(sa.select(streams.c.stream_type, streams.c.version)
                             .where(streams.c.stream_id == p("stream_id")), dialect, ("stream_id",))
        # Many streams' heads at once, their ids given as one JSON array (for batch appends).
        stream_ids = p("stream_ids", type_=sa.Text)
        wanted = sa.select(sa.column("value", sa.Text)).select_from(
            sa.func.json_array_elements_text(sa.cast(stream_ids, postgresql.JSON))
            if dialect.name == "postgresql" else sa.func.json_each(stream_ids))
        self.stream_heads = c(sa.select(streams.c.stream_id, streams.c.stream_type,
                                        streams.c.version)
                              .where(streams.c.stream_id.in_(wanted.scalar_subquery())),
                              dialect, ("stream_ids",))
        # The newest event and one stream's head in one round trip: what a single append needs.
        newest = sa.select(e.position, e.timestamp).order_by(e.position.desc()).limit(1)
        head = sa.select(streams.c.stream_type, streams.c.version).where(
            streams.c.stream_id == p("stream_id"))
        h = event_hashes.c
        newest_run = sa.select(h.position, h.links).order_by(h.position.desc()).limit(1)
        run_end = h.position + sa.func.length(h.links).op("/")(16) - 1  # whole division
        # Its last link (constants written in: PostgreSQL's substr takes 32-bit integers).
        run_tail = sa.func.substr(h.links, sa.func.length(h.links) - sa.literal_column("15"),
                                  sa.literal_column("16"))
        # The chain's end and its last link: the newest run's (the chain is incomplete while its
        # end is not the newest event: a store from before it, being linked).
        chain_end = newest_run.with_only_columns(run_end).scalar_subquery()
        chain_last = newest_run.with_only_columns(run_tail).scalar_subquery()
        self.append_head = c(sa.select(
            newest.with_only_columns(e.position).scalar_subquery(),
            newest.with_only_columns(e.timestamp).scalar_subquery(),
            head.with_only_columns(streams.c.stream_type).scalar_subquery(),
            head.with_only_columns(streams.c.version).scalar_subquery(),
            chain_end, chain_last), dialect, ("stream_id",))
        self.append_tail = c(sa.select(
            newest.with_only_columns(e.position).scalar_subquery(),
            newest.with_only_columns(e.timestamp).scalar_subquery(),
            chain_end, chain_last), dialect)
        self.chain_tail = c(sa.select(chain_end, chain_last), dialect)
        # Runs of links from the one covering a position on, for `check` to recompute the chain.
        covering = sa.select(sa.func.coalesce(sa.func.max(h.position), 0)).where(
            h.position <= p("from_position")).scalar_subquery()
        self.read_runs = c(sa.select(h.position, h.links).where(h.position >= covering)
                           .order_by(h.position), dialect, ("from_position",))
        self.insert_links = c(sa.insert(event_hashes).values(position=p("position"),
                                                             links=p("links")),
                              dialect, ("position", "links"))
        self.insert_event = c(sa.insert(events).values(
            position=p("position"), stream_id=p("stream_id"), stream_type=p("stream_type"),
            version=p("version"), event_id=p("event_id"), event_type=p("event_type"),
            schema_version=p("schema_version"), timestamp=p("timestamp"),
            correlation_id=p("correlation_id"), data=p("data"), metadata=p("metadata")), dialect,
            ("position", "stream_id", "stream_type", "version", "event_id", "event_type",
             "schema_version", "timestamp", "correlation_id", "data", "metadata"))
        # (a server takes many rows as one JSON text instead: postgres_location.json_form)
        self.rows_an_insert = 1 if dialect.name == "postgresql" else ROWS_AN_INSERT
        self.insert_events = insert_of_rows(self.insert_event.sql, self.rows_an_insert)
        """rows_an_insert events at once (insert_rows)."""
        self.uncorrelated: tuple[str, str] | None = None
        """insert_event and insert_events with correlation_id NULL, not a parameter (SQLite's:
        see CORRELATION)."""
        if dialect.name == "sqlite":
            one_uncorrelated = uncorrelated(self.insert_event.sql)
            self.uncorrelated = (one_uncorrelated,
                                 insert_of_rows(one_uncorrelated, self.rows_an_insert))
        upsert_values: dict[str, sa.BindParameter[Any]] = dict(
            stream_id=p("stream_id"), stream_type=p("stream_type"), version=p("version"),
            first_position=p("first_position"), last_position=p("last_position"),
            last_timestamp=p("last_timestamp"))
        insert = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(streams)
        upsert = insert.values(**upsert_values)
        upsert = upsert.on_conflict_do_update(index_elements=[streams.c.stream_id], set_={
            "version": upsert.excluded.version, "last_position": upsert.excluded.last_position,
            "last_timestamp": upsert.excluded.last_timestamp})
        self.upsert_stream = c(upsert, dialect, tuple(upsert_values))
        columns = EVENT_COLUMNS
        self.read_stream = c(
            sa.select(*columns).where(e.stream_id == p("stream_id"), e.version >= p("from_version"),
                                      e.version <= p("to_version"), e.position <= p("to_position"),
                                      e.timestamp <= p("to_time")).order_by(e.version),
            dialect, ("stream_id", "from_version", "to_version", "to_position", "to_time"))
        self.replay_stream = c(
            sa.select(e.version, e.event_type, e.schema_version, e.data, e.stream_type)
            .where(e.stream_id == p("stream_id"), e.version > p("after_version"),
                   e.version <= p("to_version"), e.position <= p("to_position"),
                   e.timestamp <= p("to_time")).order_by(e.version),
            dialect, ("stream_id", "after_version", "to_version", "to_position", "to_time"))
        s = snapshots.c
        newest_snapshot = sa.select(s.version).where(
            s.stream_id == p("stream_id"), s.version <= p("to_version"),
            s.position <= p("to_position"), s.timestamp <= p("to_time"),
        ).order_by(s.version.desc()).limit(1).scalar_subquery()
        since = sa.func.coalesce(newest_snapshot, 0)
        # The events to replay end before the next snapshot past the position bound: a stream's
        # positions grow with its versions, so none from that one on is within the bound. The
        # range searched on (stream_id, version) is then one snapshot's interval, not the rest
        # of the stream (as of a position early in a long stream, read to its end: 153,000
        # events of an Inventory stream in the 10M-event store for each as-of load).
        until = sa.func.coalesce(sa.select(s.version - 1).where(
            s.stream_id == p("stream_id"), s.version > since, s.version <= p("to_version"),
            s.position > p("to_position"),
        ).order_by(s.version).limit(1).scalar_subquery(), p("to_version"))
        # One round trip for the newest snapshot within the bounds (a first row marked SNAPSHOT,
        # its state in the data column) and the events after it.
        snapshot_row = sa.select(s.version, sa.null(), s.state_version, s.state,
                                 s.stream_type).where(s.stream_id == p("stream_id"),
                                                      s.version == newest_snapshot)
        after = sa.select(e.version, e.event_type, e.schema_version, e.data, e.stream_type).where(
            e.stream_id == p("stream_id"), e.version > since, e.version <= until,
            e.position <= p("to_position"), e.timestamp <= p("to_time"))
        self.replay_after_snapshot = c(sa.union_all(snapshot_row, after).order_by(sa.text("1")),
                                       dialect, ("stream_id", "to_version", "to_position",
                                                 "to_time"))
        # The same without bounds (loading an aggregate now, what every command does): the
        # newest snapshot and every event after it, without the bounds' five subqueries.
        newest_now = sa.select(s.version).where(s.stream_id == p("stream_id")).order_by(
            s.version.desc()).limit(1).scalar_subquery()
        self.replay_latest = c(sa.union_all(
            sa.select(s.version, sa.null(), s.state_version, s.state, s.stream_type).where(
                s.stream_id == p("stream_id"), s.version == newest_now),
            sa.select(e.version, e.event_type, e.schema_version, e.data, e.stream_type).where(
                e.stream_id == p("stream_id"),
                e.version > sa.func.coalesce(newest_now, sa.literal_column("0"))),
        ).order_by(sa.text("1")), dialect, ("stream_id",))
        # A stream's events as replaying them needs, each with its position (find-when).
        self.replay_positioned = c(
            sa.select(e.version, e.event_type, e.schema_version, e.data, e.stream_type, e.position)
            .where(e.stream_id == p("stream_id"), e.version > p("after_version"),
                   e.version <= p("to_version")).order_by(e.version),
            dialect, ("stream_id", "after_version", "to_version"))
        self.replay_whole_stream = c(
            sa.select(e.version, e.event_type, e.schema_version, e.data, e.stream_type)
            .where(e.stream_id == p("stream_id"), e.version > p("after_version"))
            .order_by(e.version), dialect, ("stream_id", "after_version"))
        self.read_all = c(
            sa.select(*columns)
            .where(e.position >= p("from_position"), e.position <= p("to_position"))
            .order_by(e.position).limit(p("limit")),
            dialect, ("from_position", "to_position", "limit"))
        self.event_at = c(sa.select(*columns).where(e.position == p("position")), dialect,
                          ("position",))
        self.latest_snapshot = c(
            sa.select(s.stream_id, s.stream_type, s.version, s.position, s.timestamp,
                      s.state_version, s.state)
            .where(s.stream_id == p("stream_id"), s.version <= p("max_version"),
                   s.position <= p("max_position"), s.timestamp <= p("max_time"))
            .order_by(s.version.desc()).limit(1),
            dialect, ("stream_id", "max_version", "max_position", "max_time"))
        snapshot_values: dict[str, sa.BindParameter[Any]] = dict(
            stream_id=p("stream_id"), version=p("version"), stream_type=p("stream_type"),
            position=p("position"), timestamp=p("timestamp"), state_version=p("state_version"),
            state=p("state"), taken_at=p("taken_at"))
        snapshot_insert = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(
            snapshots).values(**snapshot_values)
        snapshot_insert = snapshot_insert.on_conflict_do_nothing()
        self.insert_snapshot = c(snapshot_insert, dialect, tuple(snapshot_values))


def insert_of_rows(insert: str, rows: int) -> str:
    """`insert` (an INSERT of one row's VALUES, as compiled) made to insert `rows` rows."""
    head, values, one = insert.partition(" VALUES ")
    return f"{head}{values}{', '.join([one] * rows)}"


def uncorrelated(insert: str) -> str:
    """`insert` (an INSERT of one event's values in EVENT_COLUMNS order, as compiled with
    positional parameters) with correlation_id written as NULL instead of a parameter."""
    head, values, one = insert.partition(" VALUES ")
    marks = one.strip().removeprefix("(").removesuffix(")").split(", ")
    if len(marks) != len(EVENT_COLUMNS) or marks[CORRELATION] != "?":
        raise ValueError(f"not an insert of an event's columns: {insert}")
    marks[CORRELATION] = "NULL"
    return f"{head}{values}({', '.join(marks)})"


class Executes(Protocol):
    """A DBAPI connection as the store uses it (sqlite3's, or one answering as it does)."""

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


def insert_rows(db: Executes, one: str, many: str, per: int,
                rows: Sequence[Sequence[Any]],
                uncorrelated: tuple[str, str] | None = None) -> None:
    """Write `rows` by `many` (`one`, an INSERT of a row, made to insert `per`), the rest
    that does not fill it by `one`. With `uncorrelated` (`one` and `many` with correlation_id
    written as NULL: events' rows), rows none of which has a correlation id are written by
    those, without it."""
    if uncorrelated is not None and rows:
        width = len(rows[0])
        values = list(chain.from_iterable(rows))
        if values[CORRELATION::width].count(None) == len(rows):
            del values[CORRELATION::width]
            one, many = uncorrelated
            width -= 1
            whole = (len(rows) - len(rows) % per) * width
            if whole:
                many_width = width * per
                db.executemany(many, [values[at:at + many_width]
                                      for at in range(0, whole, many_width)])
            if whole < len(values):
                db.executemany(one, [values[at:at + width]
                                     for at in range(whole, len(values), width)])
            return
    whole = len(rows) - len(rows) % per
    if whole:
        values = list(chain.from_iterable(islice(rows, whole)))
        width = len(values) // whole * per
        db.executemany(many, [values[at:at + width] for at in range(0, len(values), width)])
    if whole < len(rows):
        db.executemany(one, rows[whole:])
