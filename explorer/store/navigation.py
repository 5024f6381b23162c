"""Moving about the log: what time travel, the timeline and huge event lists ask of the store.

Samples of the whole log for the timeline, the n-th event of a stream before or after a position,
a stream's marks, the event at or before a time, positions of the events a query matches (for row
maps of lists of any length). Each is an indexed query (or a binary search of seeks: a time in
the log, a position in a stream), compiled once per dialect and run on the DBAPI cursor: the
window asks them many times a second while the user scrubs.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from explorer.store.compiled import CompiledStatement
from explorer.store.query import EventQuery
from explorer.store.schema import events

TIMES_CHUNK = 200
"""The positions whose times one statement of `timestamps_at` reads."""


class NavigationStatements:
    """The statements of the reads below, compiled for one dialect."""

    def __init__(self, dialect: sa.Dialect) -> None:
        c = CompiledStatement
        e = events.c

        def p(name: str) -> sa.BindParameter[int]:
            return sa.bindparam(name, type_=sa.Integer)

        stream = sa.bindparam("stream_id", type_=sa.Text)
        self.first_position = c(sa.select(e.position).order_by(e.position).limit(1), dialect)
        # Every `every`-th position from `start` to `last` (a recursive grid joined to the log by
        # its primary key), and `last` itself.
        start, every, last = p("start"), p("every"), p("last")
        grid = sa.select(start.label("p")).where(start <= last).cte("grid", recursive=True)
        grid = grid.union_all(sa.select(grid.c.p + every).where(grid.c.p + every <= last))
        on_grid = sa.select(e.position, e.timestamp, e.stream_type).join(
            grid, e.position == grid.c.p)
        final = sa.select(e.position, e.timestamp, e.stream_type).where(e.position == last)
        self.samples = c(sa.union(on_grid, final).order_by(sa.literal_column("1")), dialect,
                         ("start", "every", "last"))
        position = p("position")
        version = p("version")
        # A stream's events by version, each found by one seek on (stream_id, version): its
        # last, and the first at or after a version (the steps of a search by position or
        # time, see Navigation._stream_version_at).
        self.stream_end = c(sa.select(e.version, e.position).where(e.stream_id == stream)
                            .order_by(e.version.desc()).limit(1), dialect, ("stream_id",))
        self.stream_from = c(
            sa.select(e.version, e.position, e.timestamp)
            .where(e.stream_id == stream, e.version >= version).order_by(e.version).limit(1),
            dialect, ("stream_id", "version"))
        self.stream_marks = c(
            sa.select(e.position, e.timestamp).where(
                e.stream_id == stream, sa.or_((e.version - 1) % every == 0, e.version == version))
            .order_by(e.version), dialect, ("stream_id", "every", "version"))
        self.next_event = c(sa.select(e.position, e.timestamp).where(e.position > position)
                            .order_by(e.position).limit(1), dialect, ("position",))
        self.timestamp_at = c(sa.select(e.timestamp).where(e.position == position), dialect,
                              ("position",))
        # The events at TIMES_CHUNK positions at once (a shorter list repeats its last).
        chunk = tuple(f"p{number}" for number in range(TIMES_CHUNK))
        self.timestamps_at = c(sa.select(e.position, e.timestamp).where(
            e.position.in_([p(name) for name in chunk])), dialect, chunk)
        self.times_after = c(sa.select(e.position, e.timestamp, e.stream_type)
                             .where(e.position > position).order_by(e.position).limit(p("limit")),
                             dialect, ("position", "limit"))


_COMPILED: dict[str, NavigationStatements] = {}


def navigation_statements(dialect: sa.Dialect) -> NavigationStatements:
    """The statements for a dialect, compiled the first time a store of it asks."""
    statements = _COMPILED.get(dialect.name)
    if statements is None:
        statements = _COMPILED[dialect.name] = NavigationStatements(dialect)
    return statements


class Navigation:
    """EventStore's reads for moving about the log: a part of EventStore, using its connection
    (`_db`), its `_nav` statements, `_run_select`, `last_position` and `stream_head`."""

    _db: sqlite3.Connection
    _nav: NavigationStatements

    if TYPE_CHECKING:  # EventStore's own, of which this is a part
        def _run_select(self, select: sa.Select[*tuple[Any, ...]]) -> sqlite3.Cursor: ...
        def last_position(self) -> int: ...
        def stream_head(self, stream_id: str) -> tuple[str, int] | None: ...

    def first_position(self) -> int:
        """The position of the oldest event (1 in a store without gaps), 0 for an empty store."""
        statement = self._nav.first_position
        row = self._db.execute(statement.sql, statement.args()).fetchone()
        return row[0] if row else 0

    def positions(self, query: EventQuery, *, after_position: int = 0) -> array[int]:
        """The positions of the events matching `query` after a position, in order, as an array
        of 64-bit integers (8 bytes an event): what a list of millions of events keeps to map its
        rows to events. Bound the query by positions (`from_position`, `to_position`) to scan a
        content filter in chunks."""
        return array("q", [row[0] for row in self._run_select(query._positions(after_position))])

    def positions_page(self, query: EventQuery, limit: int, *, after_position: int = 0,
                       offset: int = 0, descending: bool = False) -> array[int]:
        """Up to `limit` positions of the events matching `query`, in order (or, `descending`,
        from the last backwards): those after `after_position` (before it, descending), the
        first `offset` of them skipped. A page of a long filtered list read by position
        (keyset) from its neighbour, or by skipping from the nearer end: an index walk over
        those rows, never a list of every match."""
        c = events.c
        select = sa.select(c.position).where(*query._where())
        if after_position:
            select = select.where(c.position < after_position if descending
                                  else c.position > after_position)
        select = select.order_by(c.position.desc() if descending else c.position).limit(limit)
        if offset:
            select = select.offset(offset)
        return array("q", [row[0] for row in self._run_select(select)])

    def search_texts(self, after_position: int, limit: int) -> list[tuple[int, str]]:
        """(position, text) of up to `limit` events after `after_position`, in order: each
        event's stream id, type, data and metadata as stored, and its correlation id as the
        metadata shows it (`correlation_id ID`: the store keeps it in a column of its own),
        joined by spaces; what a full-text index of the log indexes
        (explorer.projections.fulltext), which reads the text's JSON escapes: a backslash in
        the stream id, type or correlation id, which are no JSON, is written as JSON writes
        one (`\\`), so that it is read as itself."""
        c = events.c

        def as_json(column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
            return sa.func.replace(column, "\\", "\\\\")

        correlation = sa.func.coalesce(sa.literal(" correlation_id ")
                                       + as_json(c.correlation_id), "")
        text = (as_json(c.stream_id) + " " + as_json(c.event_type) + " " + c.data + " "
                + c.metadata + correlation)
        select = sa.select(c.position, text).where(c.position > after_position).order_by(
            c.position).limit(limit)
        return self._run_select(select).fetchall()

    def event_times(self, after_position: int, limit: int) -> list[tuple[int, int, str]]:
        """(position, timestamp, stream type) of up to `limit` events after `after_position`,
        in order: what the timeline's counts count (explorer.projections.timeline_counts)."""
        statement = self._nav.times_after
        return self._db.execute(statement.sql, statement.args(after_position, limit)).fetchall()

    def event_type_counts(self, after_position: int, to_position: int,
                          ) -> list[tuple[str, str, int, int]]:
        """(stream type, event type, events, streams begun) of the events after
        `after_position` up to `to_position`, one row a pair found (a stream begun at its
        version 1): the totals the timeline's counts keep beside their histogram
        (explorer.projections.timeline_counts), counted by the database."""
        c = events.c
        begun = sa.func.sum(sa.case((c.version == 1, 1), else_=0))
        select = sa.select(c.stream_type, c.event_type, sa.func.count(), begun).where(
            c.position > after_position, c.position <= to_position).group_by(
            c.stream_type, c.event_type)
        return [(row[0], row[1], int(row[2]), int(row[3])) for row in self._run_select(select)]

    def sample_events(self, start: int, every: int, to_position: int) -> list[tuple[int, int, str]]:
        """(position, timestamp, stream type) of the events at `start`, `start + every`, ... up
        to `to_position`, and of the event at `to_position` itself, in position order: the
        timeline's picture of a log too long to read whole. Missing positions (gaps) are
        skipped."""
        if every < 1:
            raise ValueError(f"Samples are taken every 1 or more positions, not every {every}.")
        statement = self._nav.samples
        return self._db.execute(statement.sql, statement.args(start, every, to_position)).fetchall()

    def step_in_stream(self, stream_id: str, position: int, count: int) -> int | None:
        """The position of the stream's `count`-th event after `position` (before it, for a
        negative count; 0 counts as 1); where the stream has fewer there, its last (first) event
        there. None when the stream has no event on that side of `position`."""
        if count >= 0:
            version, last = self._stream_version_at(stream_id, position)
            if version >= last:
                return None  # no stream, or none of its events after the position
            return self._stream_from(stream_id, min(version + max(count, 1), last))[1]
        version, _ = self._stream_version_at(stream_id, position - 1)
        if not version:
            return None
        return self._stream_from(stream_id, max(version + count + 1, 1))[1]

    def stream_marks(self, stream_id: str, limit: int) -> tuple[array[int], array[int]]:
        """Positions and timestamps of a stream's events, in order: all of them, or, for a
        stream of more than `limit` events, every n-th, its first and last included (at most
        about `limit`). Empty arrays for a stream that does not exist."""
        if limit < 1:
            raise ValueError(f"A stream's marks are limited to 1 or more, not {limit}.")
        head = self.stream_head(stream_id)
        versions = head[1] if head else 0
        every = max(1, -(-versions // limit))
        positions, timestamps = array("q"), array("q")
        if not versions:
            return positions, timestamps
        statement = self._nav.stream_marks
        for position, timestamp in self._db.execute(statement.sql, statement.args(
                stream_id, every, versions)):
            positions.append(position)
            timestamps.append(timestamp)
        return positions, timestamps

    def position_at_time(self, timestamp_us: int, stream_id: str | None = None) -> int:
        """The last position whose event happened at or before a time (0 if none did); of one
        stream's events, given its id.

        For the whole log, a binary search over positions: the store keeps timestamps
        non-decreasing along them.
        """
        db = self._db
        if stream_id is not None:  # the stream's last event at or before the log's
            version, _ = self._stream_version_at(stream_id, self.position_at_time(timestamp_us))
            return self._stream_from(stream_id, version)[1] if version else 0
        low, high = 0, self.last_position()
        statement = self._nav.timestamp_at
        while low < high:
            middle = (low + high + 1) // 2
            row = db.execute(statement.sql, statement.args(middle)).fetchone()
            if row is not None and row[0] <= timestamp_us:
                low = middle
            else:
                high = middle - 1
        return low

    def next_event(self, after_position: int, stream_id: str | None = None
                   ) -> tuple[int, int] | None:
        """(position, timestamp) of the first event after a position (of one stream, given its
        id), or None when there is none: where playback goes after a quiet spell."""
        nav = self._nav
        if stream_id is None:
            row = self._db.execute(nav.next_event.sql,
                                   nav.next_event.args(after_position)).fetchone()
        else:
            version, last = self._stream_version_at(stream_id, after_position)
            row = self._stream_from(stream_id, version + 1)[1:] if version < last else None
        return None if row is None else (row[0], row[1])

    def stream_version_at(self, stream_id: str, position: int) -> int:
        """The stream's version as of a position: that of its last event at or before it (0
        before its first event, or for a stream that does not exist)."""
        return self._stream_version_at(stream_id, position)[0]

    def _stream_version_at(self, stream_id: str, position: int) -> tuple[int, int]:
        """The version of the stream's last event at or before `position` (0 if none), and
        the stream's last version (0 for a stream that does not exist).

        A binary search over its versions, a seek on (stream_id, version) each step: a stream's
        positions grow with its versions (the log is appended in order). A query on the stream
        and the position read every version on one side of it instead (153,000 for an
        Inventory stream of the 10M-event store, at each step in it or tick of its playback).
        """
        nav = self._nav
        end = self._db.execute(nav.stream_end.sql, nav.stream_end.args(stream_id)).fetchone()
        if end is None:
            return 0, 0
        last, last_position = end
        if last_position <= position:
            return last, last
        low, high = 0, last - 1  # the answer: the last version at or before the position
        while low < high:
            middle = (low + high + 1) // 2
            version, found, _ = self._stream_from(stream_id, middle)
            if found <= position:
                low = version  # (versions have no gaps; if they had, this skips them)
            else:
                high = middle - 1
        return low, last

    def _stream_from(self, stream_id: str, version: int) -> tuple[int, int, int]:
        """(version, position, timestamp) of the stream's first event at or after `version`,
        which the caller knows exists."""
        nav = self._nav
        row = self._db.execute(nav.stream_from.sql, nav.stream_from.args(stream_id, version)
                               ).fetchone()
        return row[0], row[1], row[2]

    def timestamp_at(self, position: int) -> int | None:
        """The timestamp of the event at a position, in microseconds (None where there is no
        event)."""
        statement = self._nav.timestamp_at
        row = self._db.execute(statement.sql, statement.args(position)).fetchone()
        return None if row is None else row[0]

    def timestamps_at(self, positions: Sequence[int]) -> array[int]:
        """The timestamps of the events at many positions, in microseconds, in their order (-1
        where there is no event): Find when's switches are marked at their events' times."""
        statement = self._nav.timestamps_at
        found: dict[int, int] = {}
        for start in range(0, len(positions), TIMES_CHUNK):
            chunk = list(positions[start:start + TIMES_CHUNK])
            chunk += chunk[-1:] * (TIMES_CHUNK - len(chunk))
            found.update(self._db.execute(statement.sql, statement.args(*chunk)).fetchall())
        return array("q", [found.get(position, -1) for position in positions])
