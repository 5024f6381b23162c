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
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from explorer.projections.database import ReadModelDatabase, open_read_models
from explorer.store.content_filter import parse_filter
from explorer.store.errors import EventNotFoundError, StoreOpenError
from explorer.store.event_store import EventStore
from explorer.store.query import EventQuery
from explorer.store.records import StreamTypeInfo

BUCKETS = "timeline_buckets"
STATE = "timeline_state"
TYPES = "timeline_stream_types"
MINUTE_US = 60_000_000
WIDTHS_US = (MINUTE_US, 60 * MINUTE_US, 24 * 60 * MINUTE_US)
"""The bucket widths kept, finest first: a minute, an hour, a day."""
BATCH = 100_000
"""Events counted per transaction (one checkpoint each)."""
MAX_BUCKETS = 60_000
"""The most bucket rows `buckets` returns for the whole log: the finest width within it."""
TAIL = 200_000
"""The most events after the checkpoint `stream_types` counts itself (else it says None)."""
_FIRST_IN_STREAM = parse_filter("version = 1")
_ADD_TYPES = (f"INSERT INTO {TYPES} (stream_type, events, streams) VALUES (?, ?, ?) "
              "ON CONFLICT (stream_type) DO UPDATE SET events = events + excluded.events, "
              "streams = streams + excluded.streams")

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
                db.execute(f"INSERT OR IGNORE INTO {STATE} VALUES (1, 0, NULL, NULL)")
        if not database.read_only and not self._has_types():
            with database.transaction() as db:  # counts made before types were kept: again
                db.execute(f"CREATE TABLE {TYPES} (stream_type TEXT PRIMARY KEY, "
                           "events INTEGER NOT NULL, streams INTEGER NOT NULL)")
                _forget(db)

    def exists(self) -> bool:
        """Whether the database holds the histogram's tables (a read-only one may not yet)."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                               (STATE,)).fetchone() is not None

    def _has_types(self) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                               (TYPES,)).fetchone() is not None

    def checkpoint(self) -> int:
        """The position up to which every event is counted (0 before anything is)."""
        if not self.exists():
            return 0
        return int(self.db.execute(f"SELECT checkpoint FROM {STATE}").fetchone()[0])

    def catch_up(self, store: EventStore, *, should_stop: Callable[[], bool] | None = None,
                 batch: int = BATCH) -> int:
        """Count the events after the checkpoint, a batch a transaction; how many were."""
        self._forget_another_log(store)
        done = 0
        last = store.last_position()
        while should_stop is None or not should_stop():
            start = self.checkpoint()
            if start >= last:
                break
            rows = store.event_times(start, min(batch, last - start))
            if not rows:
                break
            firsts = _first_in_stream(store, rows)
            with self.database.transaction() as db:
                checkpoint = int(db.execute(f"SELECT checkpoint FROM {STATE}").fetchone()[0])
                if checkpoint != start:  # another process counted some: skip what it did
                    rows = [row for row in rows if row[0] > checkpoint]
                if rows:
                    db.executemany(_UPSERT, _summed(rows))
                    db.executemany(_ADD_TYPES, [
                        (stream_type, events, streams)
                        for stream_type, (events, streams) in _tallied(rows, firsts).items()])
                if rows:  # the last event counted, by id: how a replaced store is told
                    db.execute(f"UPDATE {STATE} SET checkpoint = ?, last_counted = ?, "
                               "last_counted_id = ?", (rows[-1][0], rows[-1][0],
                                                       store.event_at(rows[-1][0]).event_id))
            done += len(rows)
        return done

    def rebuild(self, store: EventStore, *, should_stop: Callable[[], bool] | None = None) -> int:
        """Forget every count and count the whole log again; how many events were counted."""
        with self.database.transaction() as db:
            _forget(db)
        return self.catch_up(store, should_stop=should_stop)

    def _forget_another_log(self, store: EventStore) -> None:
        """Empty the counts if the last event they counted is not the store's (another file is
        at the store's path now): they are counted again from the start."""
        row = self.db.execute(f"SELECT last_counted, last_counted_id FROM {STATE}").fetchone()
        if row[1] is None:
            return
        try:
            same = store.event_at(int(row[0])).event_id == row[1]
        except EventNotFoundError:
            same = False
        if not same:
            with self.database.transaction() as db:
                _forget(db)

    def stream_types(self, store: EventStore, *, tail: int = TAIL) -> list[StreamTypeInfo] | None:
        """Each stream type's streams and events up to the store's end: the kept tally, and
        the events after its checkpoint counted here; None if those are more than `tail` (the
        counts are being made) or the counts are another store's."""
        if not self._has_types():
            return None
        kept = self.db.execute(  # one statement: the tally and its checkpoint from one commit
            f"SELECT s.checkpoint, s.last_counted, s.last_counted_id, t.stream_type, t.events, "
            f"t.streams FROM {STATE} AS s LEFT JOIN {TYPES} AS t").fetchall()
        checkpoint, last_counted, last_counted_id = kept[0][:3]
        last = store.last_position()
        if last - checkpoint > tail or checkpoint > last:
            return None
        if last_counted_id is not None:
            try:
                if store.event_at(last_counted).event_id != last_counted_id:
                    return None
            except EventNotFoundError:
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

    def width_for(self, most: int = MAX_BUCKETS) -> int:
        """The finest bucket width whose rows for the whole log number at most `most`: each
        width's rows counted up to `most` + 1 only, so that choosing costs the same however
        long the log (a count of them all read the 600,000 minutes of the 10M-event store)."""
        for width in WIDTHS_US[:-1]:
            (rows,) = self.db.execute(f"SELECT count(*) FROM (SELECT 1 FROM {BUCKETS} "
                                      "WHERE width = ? LIMIT ?)", (width, most + 1)).fetchone()
            if rows <= most:
                return width
        return WIDTHS_US[-1]

    def buckets(self, width_us: int | None = None, *, most: int = MAX_BUCKETS) -> Buckets:
        """The bucket rows of one width (by default the finest within `most` rows), ordered by
        their first position."""
        checkpoint = self.checkpoint()
        width = width_us if width_us is not None else self.width_for(most)
        firsts, times, codes, counts = array("q"), array("q"), array("b"), array("q")
        types: list[str] = []
        code_of: dict[str, int] = {}
        if self.exists():
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
    try:
        database = open_read_models(store.location, store.read_only, read_only=True)
    except StoreOpenError:  # none made yet
        return None
    with database:
        local = database.local()
        return None if local is None else TimelineCounts(local).stream_types(store)


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
    db.execute(f"UPDATE {STATE} SET checkpoint = 0, last_counted = NULL, last_counted_id = NULL")


def _first_in_stream(store: EventStore, rows: list[tuple[int, int, str]]) -> set[int]:
    """The positions among `rows` (in position order) of streams' first events."""
    if not rows:
        return set()
    return set(store.positions(EventQuery(content=_FIRST_IN_STREAM, from_position=rows[0][0],
                                          to_position=rows[-1][0])))


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
           "counted_stream_types", "kept_stream_types"]
