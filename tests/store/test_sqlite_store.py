"""The store contract on SQLite files (a plain path, and one with spaces and non-ASCII)."""

from __future__ import annotations

import sqlite3

import pytest

from explorer.store import EventStore, NewEvent, SnapshotRecord
from tests.sqlite_steps import sql_steps
from tests.store.contract import EventStoreContract


def raw_inserter(path):
    """Write one event row straight into the file, as another program might."""
    def insert_raw(**columns):
        if not path.exists():
            EventStore.open(path, create=True).close()
        row = {"stream_type": "Order", "event_id": f"raw-{columns['position']}",
               "schema_version": 1, "timestamp": 1_000_000 * columns["position"],
               "metadata": "{}", **columns}
        with sqlite3.connect(path) as db:
            db.execute(f"INSERT INTO events ({', '.join(row)}) VALUES "
                       f"({', '.join('?' * len(row))})", list(row.values()))
            db.execute("INSERT INTO streams VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stream_id) "
                       "DO UPDATE SET version = excluded.version, last_position = "
                       "excluded.last_position", (row["stream_id"], row["stream_type"],
                                                  row["version"], row["position"],
                                                  row["position"], row["timestamp"]))
    return insert_raw


class TestSQLiteFile(EventStoreContract):
    @pytest.fixture
    def path(self, tmp_path):
        return tmp_path / "contract.evstore"

    @pytest.fixture
    def make_store(self, path):
        opened = []

        def make(registry=None, read_only=False):
            store = EventStore.open(path, registry=registry, read_only=read_only,
                                    create=not read_only)
            opened.append(store)
            return store
        yield make
        for store in opened:
            store.close()

    @pytest.fixture
    def insert_raw(self, path):
        return raw_inserter(path)

    @pytest.fixture
    def branch_target(self, path):
        return path.with_name("branch – Zweig #2 ?.evstore")


class TestSQLiteFileWithAwkwardPath(TestSQLiteFile):
    @pytest.fixture
    def path(self, tmp_path):
        folder = tmp_path / "my stores #1 ?"
        folder.mkdir()
        return folder / "Bestellungen – Übersicht.evstore"


def store_steps(store, work) -> int:
    """The SQLite instructions (in tens) `work` runs on the store's connection."""
    return sql_steps(store._db, work)[1]


def test_replay_as_of_a_position_reads_one_snapshot_interval_not_the_rest_of_the_stream(
        tmp_path):
    # A long stream snapshotted every 100 versions, as of a position early in it: what is read
    # is the interval from the snapshot before the position to the next one, as it is late in
    # it. It read the stream to its end, checking each event's position (the 153,000 events
    # of an Inventory stream in the 10M-event store, for each step of the timeline).
    with EventStore.open(tmp_path / "long.evstore", create=True) as store:
        store.append("long", "Stock", [NewEvent("Moved", {"n": n}) for n in range(5_000)],
                     expected_version=0)
        positions = {event.version: event.position for event in store.read_stream("long")}
        for version in range(100, 5_001, 100):
            store.save_snapshot(SnapshotRecord("long", "Stock", version, positions[version],
                                               1, 1, '{}'))
        early, late = positions[150], positions[4_950]

        def replay_as_of(position):
            return lambda: store.replay_after_snapshot("long", to_position=position)
        assert [row[0] for row in store.replay_after_snapshot("long", to_position=early)[1]] \
            == list(range(101, 151))
        assert store_steps(store, replay_as_of(early)) <= 2 * store_steps(store, replay_as_of(late))


def test_a_page_of_known_positions_in_a_long_stream_is_read_by_them(tmp_path):
    # A page of a stream's list (its positions known from the row map): the rows are read at
    # those positions, as without the stream's condition. The stream's index was searched
    # whole instead, every entry checked against the positions (153,000 for each page of an
    # Inventory stream's list in the 10M-event store, as the list followed the timeline).
    from explorer.store.query import EventQuery

    with EventStore.open(tmp_path / "long.evstore", create=True) as store:
        store.append("long", "Stock", [NewEvent("Moved", {"n": n}) for n in range(5_000)],
                     expected_version=0)
        store.append("other", "Stock", [NewEvent("Moved", {"n": 0})], expected_version=0)
        page = tuple(range(2_000, 2_020))
        in_stream = EventQuery(stream_id="long", from_position=2_000, to_position=2_019,
                               at_positions=page)
        anywhere = EventQuery(from_position=2_000, to_position=2_019, at_positions=page)
        assert [e.position for e in store.query(in_stream)] == list(page)
        assert store.query(EventQuery(stream_id="other", at_positions=page)) == []
        assert store_steps(store, lambda: store.query(in_stream)) \
            <= 2 * store_steps(store, lambda: store.query(anywhere))
        # More positions than a page (a search's matches, filtered a thousand at a time) with a
        # short stream: its index stays the way in, not a seek for each position.
        many = tuple(range(1, 2_001))
        assert store_steps(store, lambda: store.positions(EventQuery(stream_id="other",
                                                                   at_positions=many))) \
            * 2 <= store_steps(store, lambda: store.positions(EventQuery(at_positions=many)))


def test_moving_in_a_long_stream_costs_as_in_a_short_one(tmp_path):
    # Steps in a stream, its next event and its last at a time, early and late in a stream of
    # 5,000 events: within 3x the SQLite instructions of the same in a stream of 20 (a search
    # by version, a seek each step). They read the stream's versions on one side of the
    # position (at a time, all of them, each event's timestamp from the table): 430-690 ms a
    # tick of playback in an Inventory stream of the 10M-event store.
    with EventStore.open(tmp_path / "streams.evstore", create=True) as store:
        for stream, count in (("long", 5_000), ("short", 20)):
            store.append(stream, "Stock", [NewEvent("Moved", {"n": n}, timestamp_us=n)
                                           for n in range(count)], expected_version=0)
        positions = {stream: [event.position for event in store.read_stream(stream)]
                     for stream in ("long", "short")}

        def moves(stream, position, time):
            return (lambda: store.step_in_stream(stream, position, 1),
                    lambda: store.step_in_stream(stream, position, -1),
                    lambda: store.next_event(position, stream),
                    lambda: store.position_at_time(time, stream))
        short = [store_steps(store, move) for move in moves("short", positions["short"][10], 10)]
        for index in (50, 4_950):
            long = [store_steps(store, move)
                    for move in moves("long", positions["long"][index], index)]
            assert all(steps <= 3 * max(brief, 1) for steps, brief in zip(long, short,
                                                                         strict=True)), long
        assert store.step_in_stream("long", positions["long"][50], 1) == positions["long"][51]
        assert store.position_at_time(50, "long") == positions["long"][50]
