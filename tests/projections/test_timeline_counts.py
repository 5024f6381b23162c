"""The timeline's histogram: equal to a count of the log by bucket and stream type, on a seeded
store, as events are appended live through the runner, after a rebuild, after kill -9 midway,
for a replaced store, and in the cache folder for a read-only store. On a store file and on a
store on a PostgreSQL server (whose counts are kept in a file in the cache folder)."""

from __future__ import annotations

from collections import Counter

import pytest

from explorer.demo.system import SHOP
from explorer.projections import ReadModelDatabase, read_model_path
from explorer.projections.timeline_counts import WIDTHS_US, TimelineCounts
from explorer.runtime.runner import Runner
from explorer.store import EventStore
from explorer.store.records import NewEvent
from explorer.system.workspace import open_store
from tests.projections.seeded_shop import (
    count_killed_midway,
    replace_with_another_store,
    shop_store_fixtures,
)
from tests.sqlite_steps import sql_steps

pytestmark = pytest.mark.backends


seeded, shop_store = shop_store_fixtures("timeline", orders=60, days=3)


def counted_by_scan(store: EventStore, width: int, up_to: int | None = None) -> Counter:
    """(bucket start, stream type) -> events, by reading every event of the log."""
    counts: Counter = Counter()
    for event in store.read_all():
        if up_to is not None and event.position > up_to:
            break
        counts[(event.timestamp_us - event.timestamp_us % width, event.stream_type)] += 1
    return counts


def kept(counts: TimelineCounts, width: int) -> Counter:
    """What the histogram holds at a width, in the same shape."""
    rows = counts.db.execute(
        "SELECT start, stream_type, events FROM timeline_buckets WHERE width = ?", (width,))
    return Counter({(start, stream_type): events for start, stream_type, events in rows})


def histogram_of(store: EventStore) -> ReadModelDatabase:
    return ReadModelDatabase(read_model_path(store.location, store.read_only))


def test_the_counts_equal_a_count_of_the_log_at_every_width(shop_store):
    with histogram_of(shop_store) as database:
        counts = TimelineCounts(database)
        assert counts.catch_up(shop_store, batch=97) == shop_store.last_position()
        assert counts.checkpoint() == shop_store.last_position()
        for width in WIDTHS_US:
            assert kept(counts, width) == counted_by_scan(shop_store, width), width
        buckets = counts.buckets(WIDTHS_US[0])
        assert sum(buckets.events) == shop_store.last_position()
        assert list(buckets.first_positions) == sorted(buckets.first_positions)
        assert buckets.first_positions[0] == 1
        assert set(buckets.types) == {e.stream_type for e in shop_store.read_all()}
        assert counts.catch_up(shop_store) == 0  # nothing counted twice


def test_the_stream_types_equal_the_stream_index_kept_and_after_the_checkpoint(shop_store):
    with histogram_of(shop_store) as database:
        counts = TimelineCounts(database)
        assert counts.stream_types(shop_store, tail=10) is None  # nothing counted yet
        assert counts.stream_types(shop_store) == shop_store.stream_types()  # all the tail
        counts.catch_up(shop_store, batch=97)
        assert counts.stream_types(shop_store) == shop_store.stream_types()
        shop_store.append("note_1", "Note", [NewEvent("Noted", {"n": 1})])  # a new stream
        stream = shop_store.list_streams("Order", limit=1)[0]
        shop_store.append(stream.stream_id, "Order", [NewEvent("OrderNoted", {"n": 2})],
                          stream.version)
        assert counts.stream_types(shop_store, tail=2) == shop_store.stream_types()
        assert counts.stream_types(shop_store, tail=1) is None
        counts.catch_up(shop_store)
        assert counts.stream_types(shop_store, tail=0) == shop_store.stream_types()


def test_counts_made_before_stream_types_were_kept_are_made_again(shop_store):
    with histogram_of(shop_store) as database:
        TimelineCounts(database).catch_up(shop_store)
        with database.transaction() as db:
            db.execute("DROP TABLE timeline_stream_types")
        counts = TimelineCounts(database)
        assert counts.checkpoint() == 0
        counts.catch_up(shop_store)
        assert counts.stream_types(shop_store, tail=0) == shop_store.stream_types()


def test_the_finest_width_within_the_limit_is_chosen(shop_store):
    with histogram_of(shop_store) as database:
        counts = TimelineCounts(database)
        counts.catch_up(shop_store)
        minutes, hours = (len(kept(counts, width)) for width in WIDTHS_US[:2])
        assert counts.width_for(minutes) == WIDTHS_US[0]
        assert counts.width_for(minutes - 1) == WIDTHS_US[1]
        assert counts.buckets(most=hours).width_us == WIDTHS_US[1]
        assert counts.width_for(0) == WIDTHS_US[-1]


def test_choosing_the_width_reads_the_same_rows_for_a_long_log_as_for_a_short_one(tmp_path):
    # 2,000 minutes against 200,000 (a long log's): the width chosen within 10 rows reads
    # about the same (before: every bucket row counted, 100 times as many instructions)
    steps = {}
    for minutes in (2_000, 200_000):
        with ReadModelDatabase(tmp_path / f"{minutes}.readmodels") as database:
            counts = TimelineCounts(database)
            with database.transaction() as db:
                db.executemany(
                    "INSERT INTO timeline_buckets VALUES (?, ?, 'Order', 1, ?, ?, ?)",
                    ((width, start * width, start + 1, start * width, start + 1)
                     for width, number in zip(WIDTHS_US, (minutes, minutes // 60, 50), strict=True)
                     for start in range(number)))
            assert counts.width_for(10) == WIDTHS_US[-1]
            assert counts.width_for(minutes // 60) == WIDTHS_US[1]
            assert counts.width_for(minutes) == WIDTHS_US[0]
            _, steps[minutes] = sql_steps(counts.db, lambda counts=counts: counts.width_for(10))
    assert steps[200_000] <= 2 * steps[2_000], steps


def test_the_runner_counts_live_appends_and_a_rebuild_counts_the_same(shop_store):
    runner = Runner(shop_store.location, SHOP, run_sagas=False)
    try:
        runner.run_pending()
        for number in range(30):  # live: a few at a time, the runner between them
            shop_store.append(f"note_{number}", "Note", [NewEvent("Noted", {"n": number})])
            if number % 7 == 0:
                runner.run_pending()
        runner.run_pending()
        width = WIDTHS_US[0]
        with histogram_of(shop_store) as database:
            counts = TimelineCounts(database)
            assert counts.checkpoint() == shop_store.last_position()
            assert kept(counts, width) == counted_by_scan(shop_store, width)
            assert counts.stream_types(shop_store, tail=0) == shop_store.stream_types()
            before = kept(counts, width)
            assert counts.rebuild(shop_store) == shop_store.last_position()
            assert kept(counts, width) == before
    finally:
        runner.close()


def test_counting_killed_midway_resumes_to_the_same_counts(shop_store):
    count_killed_midway(shop_store, "checkpoint")
    width = WIDTHS_US[1]
    with histogram_of(shop_store) as database:
        counts = TimelineCounts(database)
        checkpoint = counts.checkpoint()
        assert 120 <= checkpoint < shop_store.last_position()
        assert kept(counts, width) == counted_by_scan(shop_store, width, checkpoint)
        counts.catch_up(shop_store)
        assert kept(counts, width) == counted_by_scan(shop_store, width)


def test_the_counts_of_a_replaced_store_start_again(shop_store, backend, tmp_path, request):
    """A store file replaced by another, or a server's schema dropped and made again."""
    with histogram_of(shop_store) as database:
        TimelineCounts(database).catch_up(shop_store)
    location = replace_with_another_store(shop_store, backend, tmp_path, request, "Noted")
    with open_store(location, system=SHOP) as replaced, histogram_of(replaced) as database:
        counts = TimelineCounts(database)
        assert counts.stream_types(replaced) is None  # another store's
        assert counts.catch_up(replaced) == 1
        assert kept(counts, WIDTHS_US[0]) == counted_by_scan(replaced, WIDTHS_US[0])
        assert counts.stream_types(replaced) == replaced.stream_types()


def test_a_read_only_stores_counts_are_in_the_cache_folder(seeded, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "shop.evstore"
    path.write_bytes(seeded.read_bytes())
    path.chmod(0o444)
    before = sorted(p.name for p in folder.iterdir())
    runner = Runner(str(path), SHOP, read_only=True)
    try:
        runner.run_pending()
        assert runner.db.path.is_relative_to(tmp_path / "cache")
        assert runner.timeline.checkpoint() == runner.store.last_position()
        assert kept(runner.timeline, WIDTHS_US[2]) == counted_by_scan(runner.store, WIDTHS_US[2])
    finally:
        runner.close()
    assert sorted(p.name for p in folder.iterdir()) == before


def test_the_timelines_samples_are_the_counts_once_there_are_any(shop_store):
    from explorer.timetravel.machine import TimeMachine

    last = shop_store.last_position()
    with histogram_of(shop_store) as database:
        machine = TimeMachine(shop_store, database, SHOP)
        assert machine.counted() is None  # nothing counted yet: the samples say so
        TimelineCounts(database).catch_up(shop_store)
        samples = machine.samples()
    assert samples.counts is not None and not samples.counting and samples.weight == 1
    assert sum(samples.counts) == last and samples.last_position == last
    assert samples.bucket_us == WIDTHS_US[0]
    by_scan = counted_by_scan(shop_store, WIDTHS_US[0])
    drawn: Counter = Counter()
    for timestamp, code, events in zip(samples.timestamps, samples.type_codes, samples.counts,
                                       strict=True):
        if events:
            drawn[(timestamp - timestamp % WIDTHS_US[0], samples.types[code])] += events
    assert drawn == by_scan


def test_a_read_only_database_without_the_counts_has_no_buckets_yet(tmp_path):
    """The window reads the counts read-only: before the runner has made their tables (its
    process still starting, on a busy machine), its samples are the store's, not an error
    (they failed with "no such table: timeline_buckets", and the filters' "To" stopped
    following the log)."""
    from explorer.timetravel.machine import TimeMachine

    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        store.append("cust_1", "Customer", [NewEvent("CustomerRegistered", {
            "customer_id": "cust_1", "name": "Ada", "email": "ada@example.com"})])
    ReadModelDatabase(read_model_path(str(path), False)).close()  # no counts' tables in it
    with open_store(path, system=SHOP, read_only=True) as store, ReadModelDatabase(
            read_model_path(str(path), False), read_only=True) as database:
        counts = TimelineCounts(database)
        assert not counts.exists()
        assert counts.width_for() == WIDTHS_US[0] and not counts.buckets().events
        machine = TimeMachine(store, database, SHOP)
        assert machine.counted() is None
        assert machine.samples().last_position == 1  # sampled from the store


def test_a_runner_starting_beside_one_that_made_the_counts_tables_meanwhile_opens(tmp_path,
                                                                                   monkeypatch):
    # (two runners starting together: the second looked before the first's commits, found no
    # tables, and waited for its transaction; the first made them and added a column since, so
    # the second's insert of four values into five columns raised, and its runner died)
    path = tmp_path / "shop.readmodels"
    with ReadModelDatabase(path) as first:
        TimelineCounts(first)  # the first runner: every table, the column added
    looked: list[str] = []
    has = TimelineCounts._has

    def seen_before_the_first_committed(self, table: str) -> bool:
        looked.append(table)
        return False if looked.count(table) == 1 else has(self, table)
    monkeypatch.setattr(TimelineCounts, "exists", lambda self: False)
    monkeypatch.setattr(TimelineCounts, "_has", seen_before_the_first_committed)
    with ReadModelDatabase(path) as second:
        counts = TimelineCounts(second)
        monkeypatch.undo()
        assert counts.checkpoint() == 0 and counts.exists()
