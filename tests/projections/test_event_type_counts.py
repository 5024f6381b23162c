"""Each event type's events, kept with the timeline's counts: equal to a count of the log by event
and stream type after a catch-up, live appends through the runner, a kill -9 midway, and in read
models made before they were kept (counted without counting the histogram again). A filter by
event type counts its list from them (the events since their checkpoint counted by the type's
index) exactly as a brute-force filter does, and reads the same rows whatever the number of
matches. On a store file and on a store on a PostgreSQL server."""

from __future__ import annotations

import functools
import random
from collections import Counter

import pytest

from explorer.browsing.rows import KeysetRows, build_row_map
from explorer.demo.system import SHOP
from explorer.projections import ReadModelDatabase, read_model_path
from explorer.projections.timeline_counts import (
    WIDTHS_US,
    TimelineCounts,
    kept_match_count,
)
from explorer.runtime.runner import Runner
from explorer.store import EventStore
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from explorer.system.workspace import open_store
from tests.projections.seeded_shop import (
    count_killed_midway,
    replace_with_another_store,
    shop_store_fixtures,
)
from tests.sqlite_steps import sql_steps

pytestmark = pytest.mark.backends


seeded, shop_store = shop_store_fixtures("event_types", orders=60, days=3)


def counts_of(store: EventStore) -> ReadModelDatabase:
    return ReadModelDatabase(read_model_path(store.location, store.read_only))


def grouped(store: EventStore, up_to: int | None = None) -> Counter:
    """(event type, stream type) -> events, by reading every event of the log."""
    return Counter((event.event_type, event.stream_type) for event in store.read_all()
                   if up_to is None or event.position <= up_to)


def kept(counts: TimelineCounts) -> Counter:
    rows = counts.db.execute("SELECT event_type, stream_type, events FROM timeline_event_types")
    return Counter({(event_type, stream_type): events
                    for event_type, stream_type, events in rows})


def histogram(counts: TimelineCounts) -> list[tuple]:
    return counts.db.execute("SELECT * FROM timeline_buckets ORDER BY 1, 2, 3").fetchall()


def checkpoints(counts: TimelineCounts) -> tuple[int, int]:
    return tuple(counts.db.execute(
        "SELECT checkpoint, event_types_checkpoint FROM timeline_state").fetchone())


def made_before_event_types(database: ReadModelDatabase) -> None:
    """The read models as an earlier version left them: a histogram without event types."""
    with database.transaction() as db:
        db.execute("DROP TABLE timeline_event_types")
        db.execute("ALTER TABLE timeline_state DROP COLUMN event_types_checkpoint")


def append_at_random(store: EventStore, rng: random.Random, events: int) -> None:
    """Events of a few types in a few stream types, new streams and old ones."""
    for number in range(events):
        stream_type = rng.choice(["Note", "Order", "Audit"])
        stream_id = f"{stream_type.lower()}_x{rng.randrange(5)}"
        head = store.stream_head(stream_id)
        store.append(stream_id, stream_type,
                     [NewEvent(rng.choice(["Noted", "OrderShipped", "Checked"]), {"n": number})],
                     head[1] if head is not None else 0)


def test_the_totals_equal_a_count_of_the_log_by_event_and_stream_type(shop_store):
    with counts_of(shop_store) as database:
        counts = TimelineCounts(database)
        assert counts.catch_up(shop_store, batch=97) == shop_store.last_position()
        assert checkpoints(counts) == (shop_store.last_position(),) * 2
        assert kept(counts) == grouped(shop_store)  # (failed before: no such table)
        assert counts.catch_up(shop_store) == 0  # nothing counted twice
        assert counts.rebuild(shop_store) == shop_store.last_position()
        assert kept(counts) == grouped(shop_store)


def test_the_runner_keeps_the_totals_over_random_appends(shop_store):
    rng = random.Random(18)
    runner = Runner(shop_store.location, SHOP, run_sagas=False)
    try:
        for _ in range(6):  # live: a few at a time, the runner between them
            append_at_random(shop_store, rng, rng.randrange(1, 15))
            runner.run_pending()
            assert kept(runner.timeline) == grouped(shop_store)
    finally:
        runner.close()


def test_counting_killed_midway_resumes_to_the_same_totals(shop_store):
    count_killed_midway(shop_store, "event_types_checkpoint")
    with counts_of(shop_store) as database:
        counts = TimelineCounts(database)
        checkpoint, typed = checkpoints(counts)
        assert checkpoint == typed and 120 <= typed < shop_store.last_position()
        assert kept(counts) == grouped(shop_store, typed)
        counts.catch_up(shop_store)
        assert kept(counts) == grouped(shop_store)


def test_read_models_made_before_the_totals_get_them_without_a_new_histogram(shop_store):
    with counts_of(shop_store) as database:
        counts = TimelineCounts(database)
        counts.catch_up(shop_store, batch=97)
        made = histogram(counts)
        made_before_event_types(database)
        counts = TimelineCounts(database)  # as a new version opens them
        last = shop_store.last_position()
        assert checkpoints(counts) == (last, 0)  # the histogram kept, not counted again
        assert counts.match_count(shop_store, ("OrderPlaced",), (), last) is None  # not made
        assert counts.catch_up(shop_store, batch=97) == last  # the event types alone
        assert kept(counts) == grouped(shop_store)
        assert histogram(counts) == made
        append_at_random(shop_store, random.Random(5), 30)  # then both move on together
        counts.catch_up(shop_store, batch=7)
        assert kept(counts) == grouped(shop_store)
        assert checkpoints(counts) == (shop_store.last_position(),) * 2
        assert sum(row[3] for row in histogram(counts) if row[0] == WIDTHS_US[0]) \
            == shop_store.last_position()


def test_totals_made_for_old_read_models_resume_after_a_kill(shop_store):
    with counts_of(shop_store) as database:
        TimelineCounts(database).catch_up(shop_store)
        made = histogram(TimelineCounts(database))
        made_before_event_types(database)
    count_killed_midway(shop_store, "event_types_checkpoint")
    with counts_of(shop_store) as database:
        counts = TimelineCounts(database)
        checkpoint, typed = checkpoints(counts)
        assert checkpoint == shop_store.last_position() and 120 <= typed < checkpoint
        assert kept(counts) == grouped(shop_store, typed)
        counts.catch_up(shop_store)
        assert kept(counts) == grouped(shop_store)
        assert histogram(counts) == made


def test_the_runner_keeps_projections_going_while_old_read_models_get_their_totals(shop_store):
    """Counting the event types of read models made before them takes the whole log (~41 s at
    10M events): the runner counts them a batch a pass, its projections handled in between,
    and ends with the same totals."""
    with counts_of(shop_store) as database:
        TimelineCounts(database).catch_up(shop_store)
        made_before_event_types(database)
    runner = Runner(shop_store.location, SHOP, run_sagas=False)
    try:
        counts = runner.timeline
        counts.catch_up = functools.partial(counts.catch_up, batch=50)
        seen = []  # the timeline's checkpoints each time the projections were handled
        catch_up_all = runner.engine.catch_up_all

        def handling(**options):
            seen.append(checkpoints(counts))
            return catch_up_all(**options)
        runner.engine.catch_up_all = handling
        runner.run_pending()
        last = shop_store.last_position()
        assert seen[0] == (last, 50)  # (failed before: (last, last), the whole log first)
        assert seen[-1] == (last, last) and len(seen) >= last // 50
        assert kept(counts) == grouped(shop_store)
        assert not counts.event_types_behind()
    finally:
        runner.close()


FILTERS = [(("OrderPlaced",), ()), (("OrderShipped", "PaymentCaptured"), ()),
           (("OrderShipped", "Noted"), ("Order",)), (("Noted",), ("Note", "Order")),
           (("Nothing",), ())]


def brute_force(store: EventStore, types, stream_types, up_to: int) -> int:
    return sum(1 for event in store.read_all() if event.position <= up_to
               and event.event_type in types
               and (not stream_types or event.stream_type in stream_types))


@pytest.mark.parametrize(("types", "stream_types"), FILTERS)
def test_a_filter_by_type_counts_as_a_brute_force_filter_with_and_without_totals(
        shop_store, types, stream_types):
    query = EventQuery(event_types=types, stream_types=stream_types)

    def listed(**options) -> tuple[int, int | None]:
        rows = build_row_map(shop_store, query, kept_count=kept_match_count, **options)
        assert isinstance(rows, KeysetRows)
        last = shop_store.last_position()
        return len(rows), kept_match_count(shop_store, EventQuery(
            event_types=types, stream_types=stream_types, to_position=last))

    expected = brute_force(shop_store, types, stream_types, shop_store.last_position())
    assert listed() == (expected, None)  # no read models yet: the index counts
    runner = Runner(shop_store.location, SHOP, run_sagas=False)
    try:
        runner.run_pending()
        counts = runner.timeline
        assert listed() == (expected, expected)
        append_at_random(shop_store, random.Random(7), 25)  # after the totals' checkpoint
        expected = brute_force(shop_store, types, stream_types, shop_store.last_position())
        assert listed() == (expected, expected)
        checkpoint = counts.checkpoint()
        for end in (checkpoint - 40, checkpoint - 1, checkpoint, checkpoint + 3):  # about it
            assert counts.match_count(shop_store, types, stream_types, end) == brute_force(
                shop_store, types, stream_types, end), end
        assert counts.match_count(shop_store, types, stream_types, checkpoint - 41,
                                  tail=40) is None  # too far before the checkpoint
        rows = build_row_map(shop_store, query, kept_count=kept_match_count,
                             around=checkpoint - 5)
        for position in (checkpoint - 5, checkpoint + 10):
            row = rows.locate(shop_store, position)
            before = brute_force(shop_store, types, stream_types, position)
            assert (row if row is not None else -1) == before - 1, position
    finally:
        runner.close()


def test_a_replaced_stores_totals_are_not_used(shop_store, backend, tmp_path, request):
    with counts_of(shop_store) as database:
        TimelineCounts(database).catch_up(shop_store)
    location = replace_with_another_store(shop_store, backend, tmp_path, request, "OrderPlaced")
    with open_store(location, system=SHOP) as replaced:
        query = EventQuery(event_types=("OrderPlaced",), to_position=1)
        assert kept_match_count(replaced, query) is None  # another store's totals
        rows = build_row_map(replaced, EventQuery(event_types=("OrderPlaced",)),
                             kept_count=kept_match_count)
        assert len(rows) == 1


def test_the_count_reads_the_same_rows_for_ten_times_the_matches(tmp_path):
    # (a store file's: SQLite's instructions are counted)
    query = EventQuery(event_types=("OrderShipped",))
    steps = []
    with open_store(tmp_path / "long.evstore", system=SHOP, create=True) as store, \
            counts_of(store) as database:
        counts = TimelineCounts(database)

        def kept_count(store: EventStore, bounded: EventQuery) -> int | None:
            assert kept_match_count(store, bounded) is not None  # what the window asks
            return counts.match_count(store, bounded.event_types, bounded.stream_types,
                                      bounded.to_position or 0)
        for round_number, shipped in enumerate((200, 1_800)):  # early, then 10x the matches
            store.append(f"order_{round_number}", "Order",
                         [NewEvent("OrderShipped", {}), NewEvent("Noted", {})] * shipped)
            counts.catch_up(store)
            store.append(f"order_late_{round_number}", "Order",  # after the checkpoint
                         [NewEvent("OrderShipped", {})] * 3)
            built: list[KeysetRows] = []
            _, used = sql_steps([store._db, database.db], lambda built=built: built.append(
                KeysetRows.build(store, query, kept_count=kept_count)))
            steps.append(used)
            assert len(built[0]) == len(KeysetRows.build(store, query)) == 203 + 1_803 * \
                round_number
    assert steps[1] <= 2 * steps[0], steps  # (failed before: the index counted every match)
