"""The timeline's histogram, kept as the log grows: how many events of each stream type fell in
each minute, hour and day.

A derived table in the read-model database (explorer.projections.database: beside the store,
or in the cache folder for a store opened read-only), advanced by the runner like a read model:
each batch's counts and the checkpoint commit in one transaction, so a process killed at any
moment leaves counts that are whole up to their checkpoint, and two processes counting at once
never count an event twice (the checkpoint is read again inside the transaction). The counts
are exact; the timeline draws any zoom by summing the buckets of the finest width that keeps
their number small (`buckets`), instead of estimating it from a sample of the log.

Each bucket row is (width, start, stream type) -> events, and the first position and time and
the last position among them: the first positions and times are where the timeline's position
and time axes meet. `rebuild` counts everything again; a checkpoint whose event is not the
store's (another file is at the store's path now) empties the counts first.

Beside the buckets, the same transactions keep each stream type's events and streams (a stream
counted at its first event, version 1): what the window's stream tree shows, read on open
(`stream_types`) instead of a count of every stream in the store (3 s at 10M events).

And each event type's events, by stream type: what a filter by event type counts its list from
(`match_count`: the total kept, and the type's events between its checkpoint and the list's end
counted by the type's index) instead of every match (620,701 at 10M events for OrderShipped). Read
models counted before these totals were kept get them without counting the histogram again: they
have a checkpoint of their own (`event_types_checkpoint`), brought up to the histogram's a batch a
transaction (the database's count by type of that range of the log), then moved with it.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from explorer.projections.database import ReadModelDatabase, read_model_path
from explorer.store.content_filter import parse_filter
from explorer.store.errors import EventNotFoundError, StoreOpenError
from explorer.store.event_store import EventStore
from explorer.store.postgres_url import is_server_url
from explorer.store.query import EventQuery
from explorer.store.records import StreamTypeInfo

BUCKETS = "timeline_buckets"
STATE = "timeline_state"
TYPES = "timeline_stream_types"
EVENT_TYPES = "timeline_event_types"
MINUTE_US = 60_000_000
WIDTHS_US = (MINUTE_US, 60 * MINUTE_US, 24 * 60 * MINUTE_US)
"""The bucket widths kept, finest first: a minute, an hour, a day."""
BATCH = 100_000
"""Events counted per transaction (one checkpoint each)."""
MAX_BUCKETS = 60_000
"""The most bucket rows `buckets` returns for the whole log: the finest width within it."""
TAIL = 200_000
"""The most events after the checkpoint `stream_types` counts itself (else it says None)."""
MATCH_TAIL = 20_000
"""The most positions before the checkpoint whose matches `match_count` takes from its totals
(an index range of them counted; else it says None): a filter by type is counted from the
totals for a list's end after the checkpoint whatever the distance, that range being part of
the list anyway."""
_FIRST_IN_STREAM = parse_filter("version = 1")
_ADD_TYPES = (f"INSERT INTO {TYPES} (stream_type, events, streams) VALUES (?, ?, ?) "
              "ON CONFLICT (stream_type) DO UPDATE SET events = events + excluded.events, "
              "streams = streams + excluded.streams")

_ADD_EVENT_TYPES = (f"INSERT INTO {EVENT_TYPES} (event_type, stream_type, events) "
                    "VALUES (?, ?, ?) ON CONFLICT (event_type, stream_type) DO UPDATE SET "
                    "events = events + excluded.events")
_CHECKPOINTS = f"SELECT checkpoint, event_types_checkpoint FROM {STATE}"

_UPSERT = (
    f"INSERT INTO {BUCKETS} (width, start, stream_type, events, first_position, "
    "first_timestamp, last_position) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (width, start, stream_type) DO UPDATE SET "
    "events = events + excluded.events, "
    "first_position = min(first_position, excluded.first_position), "
    "first_timestamp = min(first_timestamp, excluded.first_timestamp), "
    "last_position = max(last_position, excluded.last_position)")


@dataclass(frozen=True)
class Buckets:
    """Bucket rows of one width, ordered by their first position: parallel arrays."""

    width_us: int
    first_positions: array[int]
    first_timestamps: array[int]
    type_codes: array[int]
    events: array[int]
    types: tuple[str, ...]
    checkpoint: int
    """Every event up to this position is counted."""


class TimelineCounts:
    """The histogram's tables in a read-model database (created there unless it is read-only)."""

    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database
        self.db = database.db
        if not database.read_only and not self.exists():
            with database.transaction() as db:
                db.execute(f"CREATE TABLE IF NOT EXISTS {BUCKETS} (width INTEGER NOT NULL, "
                           "start INTEGER NOT NULL, stream_type TEXT NOT NULL, "
                           "events INTEGER NOT NULL, first_position INTEGER NOT NULL, "
                           "first_timestamp INTEGER NOT NULL, last_position INTEGER NOT NULL, "
                           "PRIMARY KEY (width, start, stream_type)) WITHOUT ROWID")
                db.execute(f"CREATE TABLE IF NOT EXISTS {STATE} (id INTEGER PRIMARY KEY "
                           "CHECK (id = 1), checkpoint INTEGER NOT NULL, "
                           "last_counted INTEGER, last_counted_id TEXT)")
                # (its columns named: another runner starting beside this one may have made
                # the table, and added a column since, before this transaction began)
                db.execute(f"INSERT OR IGNORE INTO {STATE} (id, checkpoint) VALUES (1, 0)")
        if not database.read_only and not self._has(EVENT_TYPES):
            with database.transaction() as db:  # counts made before event types were kept
                if not self._has(EVENT_TYPES):  # (another runner may have made it meanwhile)
                    self._keep_event_types(db)
        if not database.read_only and not self._has(TYPES):
            with database.transaction() as db:  # counts made before types were kept: again
                if not self._has(TYPES):
                    db.execute(f"CREATE TABLE {TYPES} (stream_type TEXT PRIMARY KEY, "
                               "events INTEGER NOT NULL, streams INTEGER NOT NULL)")
                    _forget(db)

    @staticmethod
    def _keep_event_types(db: sqlite3.Connection) -> None:
        db.execute(f"CREATE TABLE {EVENT_TYPES} (event_type TEXT NOT NULL, "
                   "stream_type TEXT NOT NULL, events INTEGER NOT NULL, "
                   "PRIMARY KEY (event_type, stream_type)) WITHOUT ROWID")
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({STATE})")}
        if "event_types_checkpoint" in columns:
            db.execute(f"UPDATE {STATE} SET event_types_checkpoint = 0")
        else:
            db.execute(f"ALTER TABLE {STATE} ADD COLUMN event_types_checkpoint "
                       "INTEGER NOT NULL DEFAULT 0")

    def exists(self) -> bool:
        """Whether the database holds the histogram's tables (a read-only one may not yet)."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                               (STATE,)).fetchone() is not None

    def _has(self, table: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                               (table,)).fetchone() is not None

    def checkpoint(self) -> int:
        """The position up to which every event is counted (0 before anything is)."""
        if not self.exists():
            return 0
        return int(self.db.execute(f"SELECT checkpoint FROM {STATE}").fetchone()[0])

    def catch_up(self, store: EventStore, *, should_stop: Callable[[], bool] | None = None,
                 batch: int = BATCH, type_batches: int | None = None) -> int:
        """Count the events after the checkpoint, a batch a transaction; how many were (those
        counted only into the event types' totals, for read models made before them, too).

        Read models made before the event types' totals were kept count them first, from the
        start of the log (~41 s at 10M events, once); `type_batches` bounds the batches of that
        this call counts (None: all), so a runner can keep its projections going between them
        (see `event_types_behind`)."""
        self._forget_another_log(store)
        done = 0
        last = store.last_position()
        while should_stop is None or not should_stop():
            start, typed = self.db.execute(_CHECKPOINTS).fetchone()
            if typed > start:  # not made by catch_up: counted again
                with self.database.transaction() as db:
                    db.execute(f"DELETE FROM {EVENT_TYPES}")
                    db.execute(f"UPDATE {STATE} SET event_types_checkpoint = 0")
                continue
            if typed < start:
                if type_batches is not None:
                    if type_batches <= 0:
                        break
                    type_batches -= 1
                done += self._count_event_types(store, typed, min(start, typed + batch))
                continue
            if start >= last:
                break
            rows = store.event_times(start, min(batch, last - start))
            if not rows:
                break
            end = rows[-1][0]
            event_types = store.event_type_counts(start, end)
            with self.database.transaction() as db:
                if tuple(db.execute(_CHECKPOINTS).fetchone()) != (start, start):
                    continue  # another process counted some meanwhile: from its checkpoint
                db.executemany(_UPSERT, _summed(rows))
                db.executemany(_ADD_TYPES, [
                    (stream_type, events, streams)
                    for stream_type, events, streams in _by_stream_type(event_types)])
                db.executemany(_ADD_EVENT_TYPES, [
                    (event_type, stream_type, events)
                    for stream_type, event_type, events, _ in event_types])
                # the last event counted, by id: how a replaced store is told
                db.execute(f"UPDATE {STATE} SET checkpoint = ?, event_types_checkpoint = ?, "
                           "last_counted = ?, last_counted_id = ?",
                           (end, end, end, store.event_at(end).event_id))
            done += len(rows)
        return done

    def event_types_behind(self) -> bool:
        """Whether the event types' totals are still being counted behind the histogram (read
        models made before they were kept: see `catch_up`)."""
        start, typed = self.db.execute(_CHECKPOINTS).fetchone()
        return bool(typed < start)

    def _count_event_types(self, store: EventStore, start: int, end: int) -> int:
        """Count the event types of the events after `start` up to `end` (the histogram counted
        them before the event types were kept), in one transaction; how many events were."""
        event_types = store.event_type_counts(start, end)
        with self.database.transaction() as db:
            if db.execute(_CHECKPOINTS).fetchone()[1] != start:
                return 0  # another process counted them meanwhile
            db.executemany(_ADD_EVENT_TYPES, [
                (event_type, stream_type, events)
                for stream_type, event_type, events, _ in event_types])
            db.execute(f"UPDATE {STATE} SET event_types_checkpoint = ?", (end,))
        return sum(events for _, _, events, _ in event_types)

    def rebuild(self, store: EventStore, *, should_stop: Callable[[], bool] | None = None) -> int:
        """Forget every count and count the whole log again; how many events were counted."""
        with self.database.transaction() as db:
            _forget(db)
        return self.catch_up(store, should_stop=should_stop)

    def _forget_another_log(self, store: EventStore) -> None:
        """Empty the counts if the last event they counted is not the store's (another file is
        at the store's path now): they are counted again from the start."""
        row = self.db.execute(f"SELECT last_counted, last_counted_id FROM {STATE}").fetchone()
        if not _same_store(store, row[0], row[1]):
            with self.database.transaction() as db:
                _forget(db)

    def stream_types(self, store: EventStore, *, tail: int = TAIL) -> list[StreamTypeInfo] | None:
        """Each stream type's streams and events up to the store's end: the kept tally, and
        the events after its checkpoint counted here; None if those are more than `tail` (the
        counts are being made) or the counts are another store's."""
        if not self._has(TYPES):
            return None
        kept = self.db.execute(  # one statement: the tally and its checkpoint from one commit
            f"SELECT s.checkpoint, s.last_counted, s.last_counted_id, t.stream_type, t.events, "
            f"t.streams FROM {STATE} AS s LEFT JOIN {TYPES} AS t").fetchall()
        checkpoint, last_counted, last_counted_id = kept[0][:3]
        last = store.last_position()
        if last - checkpoint > tail or checkpoint > last:
            return None
        if not _same_store(store, last_counted, last_counted_id):
            return None
        tally = {row[3]: [row[4], row[5]] for row in kept if row[3] is not None}
        rows = store.event_times(checkpoint, last - checkpoint) if last > checkpoint else []
        for stream_type, (events, streams) in _tallied(rows, _first_in_stream(store, rows)
                                                       ).items():
            counts = tally.setdefault(stream_type, [0, 0])
            counts[0] += events
            counts[1] += streams
        return [StreamTypeInfo(stream_type, streams, events)
                for stream_type, (events, streams) in sorted(tally.items())]

    def match_count(self, store: EventStore, event_types: tuple[str, ...],
                    stream_types: tuple[str, ...], end: int, *, tail: int = MATCH_TAIL,
                    ) -> int | None:
        """How many events of `event_types` (of `stream_types`, if any) the log holds up to
        position `end`: the totals kept, plus those after their checkpoint up to `end` (or
        minus those after `end` up to it, if at most `tail` positions) counted by the store's
        index; None if the totals are not made up to the histogram's checkpoint, are another
        store's or are further than `tail` after `end`."""
        if not event_types or not self._has(EVENT_TYPES):
            return None
        types = ", ".join("?" * len(event_types))
        of_streams = (f" AND stream_type IN ({', '.join('?' * len(stream_types))})"
                      if stream_types else "")
        checkpoint, typed, last_counted, last_counted_id, total = self.db.execute(
            # one statement: the totals and their checkpoint from one commit
            f"SELECT checkpoint, event_types_checkpoint, last_counted, last_counted_id, "
            f"(SELECT coalesce(sum(events), 0) FROM {EVENT_TYPES} WHERE event_type IN ({types})"
            f"{of_streams}) FROM {STATE}", (*event_types, *stream_types)).fetchone()
        if typed != checkpoint or typed - end > tail:
            return None
        if not _same_store(store, last_counted, last_counted_id):
            return None
        if end == typed:
            return int(total)
        between = EventQuery(event_types=event_types, stream_types=stream_types,
                             from_position=min(typed, end) + 1, to_position=max(typed, end))
        return int(total) + (1 if end > typed else -1) * store.count(between)

    def width_for(self, most: int = MAX_BUCKETS) -> int:
        """The finest bucket width whose rows for the whole log number at most `most`: each
        width's rows counted up to `most` + 1 only, so that choosing costs the same however
        long the log (a count of them all read the 600,000 minutes of the 10M-event store).
        The finest while there are no counts' tables (a read-only database the runner has not
        made them in yet: the window's samples asked before the runner had started, and failed)."""
        return self._width_for(most) if self.exists() else WIDTHS_US[0]

    def _width_for(self, most: int) -> int:
        for width in WIDTHS_US[:-1]:
            (rows,) = self.db.execute(f"SELECT count(*) FROM (SELECT 1 FROM {BUCKETS} "
                                      "WHERE width = ? LIMIT ?)", (width, most + 1)).fetchone()
            if rows <= most:
                return width
        return WIDTHS_US[-1]

    def buckets(self, width_us: int | None = None, *, most: int = MAX_BUCKETS) -> Buckets:
        """The bucket rows of one width (by default the finest within `most` rows), ordered by
        their first position."""
        firsts, times, codes, counts = array("q"), array("q"), array("b"), array("q")
        if not self.exists():  # (asked once: the checkpoint and width would ask again)
            return Buckets(WIDTHS_US[0] if width_us is None else width_us, firsts, times, codes,
                           counts, (), 0)
        checkpoint = int(self.db.execute(f"SELECT checkpoint FROM {STATE}").fetchone()[0])
        width = width_us if width_us is not None else self._width_for(most)
        types: list[str] = []
        code_of: dict[str, int] = {}
        for first, timestamp, stream_type, events in self.db.execute(
                f"SELECT first_position, first_timestamp, stream_type, events FROM {BUCKETS} "
                "WHERE width = ? ORDER BY first_position", (width,)):
            code = code_of.get(stream_type)
            if code is None:
                code = code_of[stream_type] = len(types)
                types.append(stream_type)
            firsts.append(first)
            times.append(timestamp)
            codes.append(code)
            counts.append(events)
        return Buckets(width, firsts, times, codes, counts, tuple(types), checkpoint)


def kept_stream_types(store: EventStore) -> list[StreamTypeInfo] | None:
    """Each stream type's streams and events from the timeline's counts, if the runner has
    made them (see TimelineCounts.stream_types); else None."""
    with _kept_counts(store) as counts:
        return None if counts is None else counts.stream_types(store)


def kept_match_count(store: EventStore, query: EventQuery) -> int | None:
    """How many events a filter by event type (and stream type) holds up to its `to_position`,
    from the totals the timeline's counts keep (see TimelineCounts.match_count), if the
    runner has made them and the query asks nothing else; else None (count it otherwise)."""
    if not query.event_types or query.to_position is None or query != EventQuery(
            event_types=query.event_types, stream_types=query.stream_types,
            to_position=query.to_position):
        return None
    with _kept_counts(store) as counts:
        return None if counts is None else counts.match_count(
            store, query.event_types, query.stream_types, query.to_position)


@contextmanager
def _kept_counts(store: EventStore) -> Iterator[TimelineCounts | None]:
    """The timeline's counts of the store, read-only, in the read-model file that keeps them
    (a store on a server keeps them in the cache folder: opened there, without connecting to
    the server again); None if the runner has not made them."""
    path = read_model_path(store.location, store.read_only or is_server_url(store.location))
    try:
        database = ReadModelDatabase(path, read_only=True)
    except StoreOpenError:  # none made yet
        yield None
        return
    with database:
        yield TimelineCounts(database)


def counted_stream_types(store: EventStore) -> list[StreamTypeInfo]:
    """Each stream type's streams and events: kept_stream_types, else counted over every
    stream."""
    kept = kept_stream_types(store)
    return store.stream_types() if kept is None else kept


def counted_events(store: EventStore) -> int:
    """How many events the store holds: from kept_stream_types, else counted over the log."""
    kept = kept_stream_types(store)
    return store.event_count() if kept is None else sum(t.events for t in kept)


def _forget(db: Any) -> None:
    db.execute(f"DELETE FROM {BUCKETS}")
    db.execute(f"DELETE FROM {TYPES}")
    db.execute(f"DELETE FROM {EVENT_TYPES}")
    db.execute(f"UPDATE {STATE} SET checkpoint = 0, event_types_checkpoint = 0, "
               "last_counted = NULL, last_counted_id = NULL")


def _first_in_stream(store: EventStore, rows: list[tuple[int, int, str]]) -> set[int]:
    """The positions among `rows` (in position order) of streams' first events."""
    if not rows:
        return set()
    return set(store.positions(EventQuery(content=_FIRST_IN_STREAM, from_position=rows[0][0],
                                          to_position=rows[-1][0])))


def _by_stream_type(event_types: list[tuple[str, str, int, int]]) -> list[tuple[str, int, int]]:
    """(stream type, events, streams begun) from the same by stream and event type."""
    tally: dict[str, list[int]] = {}
    for stream_type, _, events, streams in event_types:
        counts = tally.setdefault(stream_type, [0, 0])
        counts[0] += events
        counts[1] += streams
    return [(stream_type, events, streams) for stream_type, (events, streams) in tally.items()]


def _tallied(rows: list[tuple[int, int, str]], firsts: set[int]) -> dict[str, tuple[int, int]]:
    """Stream type -> (events, streams begun) among `rows` (position, timestamp, type)."""
    events: dict[str, int] = {}
    streams: dict[str, int] = {}
    for position, _, stream_type in rows:
        events[stream_type] = events.get(stream_type, 0) + 1
        if position in firsts:
            streams[stream_type] = streams.get(stream_type, 0) + 1
    return {stream_type: (count, streams.get(stream_type, 0))
            for stream_type, count in events.items()}


def _summed(rows: list[tuple[int, int, str]]) -> list[tuple[int, int, str, int, int, int, int]]:
    """The bucket rows (width, start, type, events, first position, first time, last position)
    of events (position, timestamp, stream type) in position order, at every width: the
    finest from the events, each coarser one from the finest's buckets."""
    finest = WIDTHS_US[0]
    found: dict[tuple[int, str], list[int]] = {}
    for position, timestamp, stream_type in rows:
        key = (timestamp - timestamp % finest, stream_type)
        bucket = found.get(key)
        if bucket is None:
            found[key] = [1, position, timestamp, position]
        else:
            bucket[0] += 1
            if timestamp < bucket[2]:
                bucket[2] = timestamp
            bucket[3] = position
    summed = [(finest, start, stream_type, events, first, first_time, last)
              for (start, stream_type), (events, first, first_time, last) in found.items()]
    for width in WIDTHS_US[1:]:
        coarser: dict[tuple[int, str], list[int]] = {}
        for (start, stream_type), (events, first, first_time, last) in found.items():
            key = (start - start % width, stream_type)
            bucket = coarser.get(key)
            if bucket is None:
                coarser[key] = [events, first, first_time, last]
            else:
                bucket[0] += events
                bucket[1] = min(bucket[1], first)
                bucket[2] = min(bucket[2], first_time)
                bucket[3] = max(bucket[3], last)
        summed += [(width, start, stream_type, events, first, first_time, last)
                   for (start, stream_type), (events, first, first_time, last)
                   in coarser.items()]
    return summed


__all__ = ["MAX_BUCKETS", "WIDTHS_US", "Buckets", "TimelineCounts", "counted_events",
           "counted_stream_types", "kept_match_count", "kept_stream_types"]


def _same_store(store: EventStore, last_counted: int, last_counted_id: str | None) -> bool:
    """Whether the counts were made of this store: the event they last counted is there, with
    the id they noted (None: nothing counted yet)."""
    if last_counted_id is None:
        return True
    try:
        return store.event_at(int(last_counted)).event_id == last_counted_id
    except EventNotFoundError:
        return False
