"""The event store contract: behaviour every backend must have, written once.

A backend's test module subclasses `EventStoreContract` and provides two fixtures:
`make_store(registry=None, read_only=False)` opening the same store each call, and
`insert_raw(**columns)` writing one row around the store (to test malformed rows); and, if its
stores are not files, `branch_target`: where a new store may be made.
"""

from __future__ import annotations

import pytest

from explorer.store import (
    ANY_VERSION,
    NO_STREAM,
    AppendRequest,
    ConcurrencyError,
    DuplicateEventError,
    EventNotFoundError,
    EventRegistry,
    NewEvent,
    ReadOnlyStoreError,
    SnapshotRecord,
    StoreOpenError,
    StreamNotFoundError,
    StreamTypeMismatchError,
)
from explorer.store.check import check_store
from explorer.store.content_filter import parse_filter
from explorer.store.query import EventQuery


def events(*types: str, **data) -> list[NewEvent]:
    return [NewEvent(t, {"n": i, **data}) for i, t in enumerate(types)]


def sample_registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register("Placed", stream_type="Order", version=3)
    registry.add_upcaster("Placed", 1, lambda d: {**d, "currency": "USD"})
    registry.add_upcaster("Placed", 2, lambda d: {**d, "total": d["amount"]})
    registry.register("Shipped", stream_type="Order")
    registry.register("Broken", version=2)
    registry.add_upcaster("Broken", 1, lambda d: d["missing"])
    registry.register("Gapped", version=3)
    registry.add_upcaster("Gapped", 2, lambda d: d)
    return registry


def interleaved(store, count: int = 20) -> None:
    """`count` events at times 10, 20, ...: odd positions in stream a, even ones in b (each
    with its number in `i`)."""
    for i in range(count):
        store.append("a" if i % 2 == 0 else "b", "T",
                     [NewEvent("Even" if i % 2 == 0 else "Odd", {"i": i},
                               timestamp_us=(i + 1) * 10)])


class EventStoreContract:
    @pytest.fixture
    def store(self, make_store):
        opened = make_store()
        yield opened
        opened.close()

    @pytest.fixture
    def branch_target(self, tmp_path):
        """Where a branch of the store may be made."""
        return tmp_path / "branch.evstore"

    # -- appending -------------------------------------------------------------------------

    def test_append_gives_gap_free_positions_and_stream_versions(self, store):
        first = store.append("order_1", "Order", events("A", "B"), NO_STREAM)
        second = store.append("order_2", "Order", events("A"), NO_STREAM)
        third = store.append("order_1", "Order", events("C"), 2)
        assert [e.position for e in first.events] == [1, 2]
        assert [e.version for e in first.events] == [1, 2]
        assert second.events[0].position == 3 and second.events[0].version == 1
        assert third.events[0].position == 4 and third.version == 3
        assert [e.position for e in store.read_all()] == [1, 2, 3, 4]

    def test_stale_expected_version_names_the_stream_and_versions_and_writes_nothing(self, store):
        store.append("order_1", "Order", events("A", "B"), NO_STREAM)
        with pytest.raises(ConcurrencyError) as caught:
            store.append("order_1", "Order", events("C"), 1)
        error = caught.value
        assert (error.stream_id, error.expected, error.actual) == ("order_1", 1, 2)
        assert "order_1" in str(error) and "version 1" in str(error) and "version 2" in str(error)
        assert store.last_position() == 2
        assert store.stream_info("order_1").version == 2

    def test_expecting_a_new_stream_fails_when_it_exists(self, store):
        store.append("order_1", "Order", events("A"), NO_STREAM)
        with pytest.raises(ConcurrencyError, match="a new stream"):
            store.append("order_1", "Order", events("B"), NO_STREAM)

    def test_any_version_appends_wherever_the_stream_is(self, store):
        store.append("order_1", "Order", events("A"), ANY_VERSION)
        result = store.append("order_1", "Order", events("B"), ANY_VERSION)
        assert result.version == 2

    def test_a_batch_is_atomic(self, store):
        store.append("order_2", "Order", events("A"), NO_STREAM)
        with pytest.raises(ConcurrencyError):
            store.append_batch([
                AppendRequest("order_1", "Order", events("A", "B"), NO_STREAM),
                AppendRequest("order_2", "Order", events("B"), 5),
            ])
        assert store.last_position() == 1
        with pytest.raises(StreamNotFoundError):
            store.stream_info("order_1")

    def test_unserialisable_data_is_refused_before_anything_is_written(self, store):
        with pytest.raises(ValueError, match="cannot be stored as JSON"):
            store.append("order_1", "Order",
                         [NewEvent("A", {"ok": 1}), NewEvent("B", {"x": {1, 2}})])
        assert store.last_position() == 0

    def test_one_batch_may_append_to_the_same_stream_twice(self, store):
        results = store.append_batch([
            AppendRequest("order_1", "Order", events("A"), NO_STREAM),
            AppendRequest("order_2", "Order", events("A"), NO_STREAM),
            AppendRequest("order_1", "Order", events("B", "C"), 1),
        ])
        assert [r.version for r in results] == [1, 1, 3]
        assert [e.version for e in store.read_stream("order_1")] == [1, 2, 3]
        assert store.stream_info("order_1").last_position == 4

    def test_a_retried_append_is_not_stored_twice(self, store):
        request = [NewEvent("A", {}, event_id="e-1"), NewEvent("B", {}, event_id="e-2")]
        store.append("order_1", "Order", request, NO_STREAM)
        again = store.append("order_1", "Order", request, NO_STREAM)
        assert again.duplicate and [e.event_id for e in again.events] == ["e-1", "e-2"]
        with_any = store.append("order_1", "Order", request, ANY_VERSION)
        assert with_any.duplicate
        assert store.last_position() == 2

    def test_reusing_an_event_id_elsewhere_is_refused(self, store):
        store.append("order_1", "Order", [NewEvent("A", {}, event_id="e-1")], NO_STREAM)
        with pytest.raises(DuplicateEventError, match="e-1"):
            store.append("order_2", "Order", [NewEvent("A", {}, event_id="e-1")], NO_STREAM)
        with pytest.raises(DuplicateEventError):
            store.append("order_1", "Order", [NewEvent("B", {}, event_id="e-1"),
                                              NewEvent("C", {}, event_id="e-new")], 0)
        assert store.last_position() == 1

    def test_a_large_batch_is_stored_whole_in_order(self, store):
        """A batch longer than one INSERT of many rows writes them all, the rest too."""
        sizes = {"s1": 120, "s2": 1, "s3": 130}  # 251 events: two INSERTs of 100, then 51
        results = store.append_batch([
            AppendRequest(stream_id, "Order", events(*["A"] * size, stream=stream_id), NO_STREAM)
            for stream_id, size in sizes.items()])
        assert [r.version for r in results] == [120, 1, 130]
        stored = list(store.read_all())
        assert [e.position for e in stored] == list(range(1, 252))
        assert [(e.stream_id, e.version, e.data) for e in stored] == [
            (stream_id, n + 1, {"n": n, "stream": stream_id})
            for stream_id, size in sizes.items() for n in range(size)]
        assert [e.event_id for e in stored] == [e.event_id for r in results for e in r.events]
        assert check_store(store).ok
        more = store.append("s2", "Order", events("B"), 1)
        assert more.events[0].position == 252 and check_store(store).ok

    def test_a_large_batch_reusing_a_stored_event_id_writes_nothing(self, store):
        store.append("order_1", "Order", [NewEvent("A", {}, event_id="e-1")], NO_STREAM)
        for at in (50, 230):  # within an INSERT of many rows, and among the rest
            batch = [NewEvent("A", {"n": n}, event_id="e-1" if n == at else None)
                     for n in range(250)]
            with pytest.raises(DuplicateEventError, match="e-1"):
                store.append_batch([AppendRequest("order_2", "Order", batch, NO_STREAM)])
            assert store.last_position() == 1
            assert [s.stream_id for s in store.list_streams()] == ["order_1"]

    def test_a_stream_keeps_its_type(self, store):
        store.append("order_1", "Order", events("A"))
        with pytest.raises(StreamTypeMismatchError, match="Order"):
            store.append("order_1", "Customer", events("B"))

    def test_bad_requests_are_refused_with_a_message(self, store):
        with pytest.raises(ValueError, match="stream id"):
            store.append("  ", "Order", events("A"))
        with pytest.raises(ValueError, match="negative"):
            store.append("order_1", "Order", events("A"), -1)
        with pytest.raises(ValueError, match="JSON object"):
            store.append("order_1", "Order", [NewEvent("A", [1, 2])])

    def test_timestamps_never_go_back_along_positions(self, store):
        store.append("s", "T", [NewEvent("A", {}, timestamp_us=2_000_000)])
        store.append("s", "T", [NewEvent("B", {}, timestamp_us=1_000_000)])
        assert [e.timestamp_us for e in store.read_all()] == [2_000_000, 2_000_000]

    def test_metadata_round_trips_with_correlation_and_causation(self, store):
        metadata = {"correlation_id": "corr-1", "causation_id": "cmd-1", "command": "place",
                    "issued_by": "cli:ada", "extra": [1, 2]}
        store.append("order_1", "Order", [NewEvent("A", {"x": 1}, metadata)])
        event = store.event_at(1)
        assert event.metadata == metadata
        assert event.correlation_id == "corr-1" and event.causation_id == "cmd-1"
        assert event.to_dict()["metadata"] == metadata

    # -- reading ---------------------------------------------------------------------------

    def test_read_stream_within_version_position_and_time_bounds(self, store):
        for i in range(5):
            store.append("order_1", "Order", [NewEvent("A", {"i": i}, timestamp_us=(i + 1) * 10)])
            store.append("other", "Order", [NewEvent("A", {"i": i}, timestamp_us=(i + 1) * 10)])
        assert [e.data["i"] for e in store.read_stream("order_1")] == [0, 1, 2, 3, 4]
        between = store.read_stream("order_1", from_version=2, to_version=3)
        assert [e.version for e in between] == [2, 3]
        assert [e.position for e in store.read_stream("order_1", to_position=5)] == [1, 3, 5]
        assert [e.version for e in store.read_stream("order_1", to_time_us=20)] == [1, 2]
        assert store.read_stream("missing") == []

    def test_read_all_pages_through_everything_in_order(self, store):
        for i in range(25):
            store.append(f"s{i % 3}", "T", [NewEvent("A", {"i": i})])
        assert [e.data["i"] for e in store.read_all(page_size=4)] == list(range(25))
        assert [e.position for e in store.read_all(10, 12, page_size=2)] == [10, 11, 12]
        assert list(store.read_all(26)) == []

    def test_queries_filter_by_stream_type_event_type_and_correlation(self, store):
        store.append("o", "Order", [NewEvent("Placed", {}, {"correlation_id": "c1"})])
        store.append("c", "Customer", [NewEvent("Registered", {}, {"correlation_id": "c1"})])
        store.append("o", "Order", [NewEvent("Shipped", {}, {"correlation_id": "c2"})])
        by_type = store.query(EventQuery(event_types=("Placed", "Shipped")))
        assert [e.event_type for e in by_type] == ["Placed", "Shipped"]
        assert [e.stream_id for e in store.query(EventQuery(stream_types=("Customer",)))] == ["c"]
        assert [e.position for e in store.events_by_correlation("c1")] == [1, 2]
        assert store.count(EventQuery(stream_id="o")) == 2
        assert [e.position for e in store.query(EventQuery(), descending=True, limit=2)] == [3, 2]

    def test_a_query_read_lazily_gives_the_same_events_each_time_it_is_gone_through(self,
                                                                                      store):
        interleaved(store, 12)
        query = EventQuery(event_types=("Odd",), from_position=3, to_position=10)
        lazily = store.query_lazily(query, after_position=4)
        expected = store.query(query, after_position=4, limit=None)
        assert [e.position for e in expected] == [6, 8, 10]
        assert len(lazily) == 3
        assert list(lazily) == expected
        assert list(lazily) == expected

    def test_events_by_position_and_id(self, store):
        store.append("o", "Order", [NewEvent("A", {}, event_id="id-1")])
        assert store.event_at(1).event_id == "id-1"
        assert store.event_by_id("id-1").position == 1
        with pytest.raises(EventNotFoundError, match="position 9"):
            store.event_at(9)
        with pytest.raises(EventNotFoundError):
            store.event_by_id("nope")

    def test_the_stream_index_lists_streams_types_and_counts(self, store):
        for i in range(12):
            store.append(f"order_{i:02d}", "Order", events("A", "B"))
        store.append("cust_1", "Customer", events("A"))
        assert store.last_position() == 25 and store.event_count() == 25
        orders = store.list_streams("Order")
        assert len(orders) == 12 and orders[0].stream_id == "order_00"
        assert orders[0].version == 2 and orders[0].last_position == 2
        assert [s.stream_id for s in store.list_streams(pattern="_1")] == [
            "cust_1", "order_10", "order_11"]
        assert [s.stream_id for s in store.list_streams(pattern="order_?1")] == [
            "order_01", "order_11"]
        assert [s.stream_id for s in store.list_streams(pattern="ORDER_1*")] == [
            "order_10", "order_11"]
        assert [s.stream_id for s in store.list_streams("Order", after="order_09", limit=2)] == [
            "order_10", "order_11"]
        assert store.list_streams(pattern="100%") == []
        for pattern in ("\x00", "order_\x001"):  # (SQLite's LIKE ended the pattern there,
            # so a NUL alone matched every stream; a server refused it with its own words)
            for listing in (store.list_streams, store.count_streams):
                with pytest.raises(ValueError, match=r"^The stream filter holds a NUL "):
                    listing(pattern=pattern)
        assert store.count_streams("Order") == 12 and store.count_streams(pattern="cust") == 1
        assert [(t.stream_type, t.streams, t.events) for t in store.stream_types()] == [
            ("Customer", 1, 1), ("Order", 12, 24)]
        assert store.stream_info("cust_1").to_dict()["stream_type"] == "Customer"
        with pytest.raises(StreamNotFoundError, match="nope"):
            store.stream_info("nope")

    def test_an_empty_store(self, store):
        assert store.last_position() == 0 and list(store.read_all()) == []
        assert store.list_streams() == [] and store.stream_types() == []

    # -- moving about the log (time travel, the timeline, row maps) -------------------------

    def test_positions_of_a_query_for_row_maps(self, store):
        assert store.first_position() == 0 and len(store.positions(EventQuery())) == 0
        interleaved(store)
        assert store.first_position() == 1
        odd = store.positions(EventQuery(event_types=("Odd",)))
        assert odd.typecode == "q" and list(odd) == list(range(2, 21, 2))
        assert list(store.positions(EventQuery(stream_id="a"), after_position=15)) == [17, 19]
        content = EventQuery(content=parse_filter("data.i >= 12"), from_position=10,
                             to_position=16)  # one chunk of a content filter's scan
        assert list(store.positions(content)) == [13, 14, 15, 16]

    def test_samples_of_the_log_every_nth_and_the_last(self, store):
        assert store.sample_events(1, 3, 0) == []
        interleaved(store, 10)
        samples = store.sample_events(1, 3, 10)
        assert [tuple(row) for row in samples] == [
            (1, 10, "T"), (4, 40, "T"), (7, 70, "T"), (10, 100, "T")]
        assert [row[0] for row in store.sample_events(1, 4, 10)] == [1, 5, 9, 10]
        assert [row[0] for row in store.sample_events(9, 4, 10)] == [9, 10]  # from a later start
        assert [row[0] for row in store.sample_events(1, 1, 3)] == [1, 2, 3]
        with pytest.raises(ValueError, match="every 0"):
            store.sample_events(1, 0, 10)

    def test_the_times_and_stream_types_of_the_events_after_a_position(self, store):
        assert store.event_times(0, 5) == []
        interleaved(store, 10)
        assert [tuple(row) for row in store.event_times(7, 2)] == [(8, 80, "T"), (9, 90, "T")]
        assert [row[0] for row in store.event_times(0, 100)] == list(range(1, 11))
        assert store.event_times(10, 5) == []

    def test_the_events_of_each_event_and_stream_type_in_a_range(self, store):
        assert store.event_type_counts(0, 5) == []
        interleaved(store, 10)  # Even at odd positions (stream a), Odd at even ones (b)
        store.append("c", "U", [NewEvent("Odd", {})] * 2)  # 11, 12
        assert sorted(store.event_type_counts(0, 12)) == [  # streams begun: a, b, c
            ("T", "Even", 5, 1), ("T", "Odd", 5, 1), ("U", "Odd", 2, 1)]
        assert sorted(store.event_type_counts(3, 7)) == [("T", "Even", 2, 0), ("T", "Odd", 2, 0)]
        assert store.event_type_counts(10, 11) == [("U", "Odd", 1, 1)]
        assert store.event_type_counts(12, 20) == []

    def test_stepping_within_a_stream(self, store):
        interleaved(store)  # stream a at 1, 3, ..., 19; b at 2, 4, ..., 20
        assert store.step_in_stream("a", 4, 1) == 5
        assert store.step_in_stream("a", 5, 1) == 7 and store.step_in_stream("a", 5, 3) == 11
        assert store.step_in_stream("a", 5, 0) == 7  # 0 counts as 1
        assert store.step_in_stream("a", 5, 100) == 19  # as far as it goes
        assert store.step_in_stream("a", 19, 1) is None  # nothing later
        assert store.step_in_stream("b", 5, -1) == 4 and store.step_in_stream("b", 5, -2) == 2
        assert store.step_in_stream("b", 5, -100) == 2
        assert store.step_in_stream("b", 2, -1) is None  # nothing earlier
        assert store.step_in_stream("missing", 5, 1) is None
        assert store.step_in_stream("missing", 5, -1) is None

    def test_moving_in_a_stream_from_every_position_is_what_its_events_say(self, store):
        # Stream o among others, several of its events at one time: each step in it, its next
        # event and its last event at a time, from every position, against its events' list.
        for i in range(30):
            stream = "o" if i % 3 != 1 else f"other-{i % 2}"
            store.append(stream, "T", [NewEvent("E", {"i": i}, timestamp_us=(i // 2 + 1) * 10)])
        own = [(event.position, event.timestamp_us) for event in store.read_stream("o")]
        for position in range(store.last_position() + 2):
            after = [p for p, _ in own if p > position]
            before = [p for p, _ in own if p < position]
            for count in (0, 1, 2, 7, 100):
                assert store.step_in_stream("o", position, count) == (
                    after[min(max(count, 1), len(after)) - 1] if after else None), (position,
                                                                                     count)
                assert store.step_in_stream("o", position, -max(count, 1)) == (
                    before[-min(max(count, 1), len(before))] if before else None), (position,
                                                                                      count)
            assert store.next_event(position, "o") == next(
                ((p, t) for p, t in own if p > position), None)
            assert store.stream_version_at("o", position) == len(own) - len(after)
            time = position * 5  # every time from before the first event to after the last
            assert store.position_at_time(time, "o") == max(
                (p for p, t in own if t <= time), default=0), time

    def test_a_streams_marks_all_or_every_nth_with_its_first_and_last(self, store):
        interleaved(store)
        positions, timestamps = store.stream_marks("b", limit=100)
        assert list(positions) == list(range(2, 21, 2))
        assert list(timestamps) == [p * 10 for p in range(2, 21, 2)]
        positions, _ = store.stream_marks("b", limit=4)  # every 3rd version, and the last
        assert list(positions) == [2, 8, 14, 20]
        positions, _ = store.stream_marks("b", limit=3)  # every 4th version, and the last
        assert list(positions) == [2, 10, 18, 20]
        assert [list(a) for a in store.stream_marks("missing", limit=4)] == [[], []]
        with pytest.raises(ValueError, match="not 0"):
            store.stream_marks("b", limit=0)

    def test_positions_times_and_the_next_event(self, store):
        assert store.position_at_time(50) == 0 and store.next_event(0) is None
        interleaved(store)
        assert store.timestamp_at(7) == 70 and store.timestamp_at(21) is None
        assert store.timestamp_at(0) is None
        assert store.position_at_time(5) == 0 and store.position_at_time(75) == 7
        assert store.position_at_time(10**15) == 20
        assert store.position_at_time(75, "b") == 6 and store.position_at_time(5, "b") == 0
        assert store.position_at_time(75, "missing") == 0
        assert store.next_event(7) == (8, 80) and store.next_event(20) is None
        assert store.next_event(7, "a") == (9, 90) and store.next_event(19, "a") is None

    def test_the_times_of_many_positions_at_once(self, store):
        assert list(store.timestamps_at([3])) == [-1]
        interleaved(store)
        many = list(range(1, 21)) * 30  # more than one statement reads
        assert list(store.timestamps_at([7, 1, 21, 0, 7, *many])) == [
            70, 10, -1, -1, 70, *(p * 10 for p in many)]
        assert list(store.timestamps_at([])) == []

    # -- branching (what-if) -----------------------------------------------------------------

    def test_a_branch_holds_the_events_index_and_snapshots_as_they_were(self, store,
                                                                       branch_target):
        interleaved(store)
        store.save_snapshot(SnapshotRecord("a", "T", 2, 3, 30, 1, '{"at": 3}'))
        store.save_snapshot(SnapshotRecord("a", "T", 5, 9, 90, 1, '{"at": 9}'))
        seen = []
        store.branch(branch_target, 8, progress=lambda copied, total: seen.append((copied, total)))
        assert seen[0] == (0, 8) and seen[-1] == (8, 8)
        assert store.last_position() == 20  # the store itself is as it was
        branch = type(store).open(branch_target)
        try:
            assert [e.to_dict() for e in branch.read_all()] == [
                e.to_dict() for e in store.read_all(1, 8)]
            assert [(s.stream_id, s.version, s.last_position) for s in branch.list_streams()] == [
                ("a", 4, 7), ("b", 4, 8)]
            assert branch.latest_snapshot("a").version == 2  # the one of position 9 came later
            appended = branch.append("a", "T", [NewEvent("Later", {})], 4)
            assert appended.events[0].position == 9 and appended.version == 5
        finally:
            branch.close()

    def test_a_branch_is_refused_outside_the_log_or_onto_a_file(self, store, branch_target):
        interleaved(store, 3)
        with pytest.raises(ValueError, match="positions 1 to 3"):
            store.branch(branch_target, 4)
        with pytest.raises(ValueError, match="positions 1 to 3"):
            store.branch(branch_target, -1)
        store.branch(branch_target, 2)
        with pytest.raises(StoreOpenError, match="there is a file there, and nothing there is "
                           "replaced. Choose a new path."):
            store.branch(branch_target, 3)

    def test_a_branch_stopped_half_way_leaves_nothing(self, store, branch_target):
        interleaved(store, 3)

        def stop(copied, total):
            if copied:
                raise KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            store.branch(branch_target, 3, progress=stop)
        assert not branch_target.exists()
        assert list(branch_target.parent.glob(branch_target.name + "*")) == []

    # -- snapshots -------------------------------------------------------------------------

    def test_the_newest_snapshot_within_bounds_is_found(self, store):
        store.append("o", "Order", events(*"ABCDEF"))
        for version in (2, 4):
            store.save_snapshot(SnapshotRecord("o", "Order", version, version, version * 10, 1,
                                               f'{{"v": {version}}}'))
        assert store.latest_snapshot("o").version == 4
        assert store.latest_snapshot("o", max_version=3).version == 2
        assert store.latest_snapshot("o", max_position=1) is None
        assert store.latest_snapshot("o", max_time_us=39).version == 2
        assert store.latest_snapshot("other") is None

    def test_replay_after_the_newest_snapshot_within_bounds(self, store):
        store.append("o", "Order", events(*"ABCDEF"))
        assert store.replay_after_snapshot("o") == (None, store.replay_rows("o"))
        store.save_snapshot(SnapshotRecord("o", "Order", 4, 4, 40, 7, '{"v": 4}'))
        snapshot, rows = store.replay_after_snapshot("o")
        assert (snapshot.stream_type, snapshot.version, snapshot.state_version,
                snapshot.state_json) == ("Order", 4, 7, '{"v": 4}')
        assert [row[:2] for row in rows] == [(5, "E"), (6, "F")]
        assert rows == store.replay_rows("o", after_version=4)
        snapshot, rows = store.replay_after_snapshot("o", to_version=5)
        assert snapshot.version == 4 and [row[0] for row in rows] == [5]
        snapshot, rows = store.replay_after_snapshot("o", to_position=3)
        assert snapshot is None and [row[0] for row in rows] == [1, 2, 3]
        assert store.replay_after_snapshot("missing") == (None, [])

    def test_replay_as_of_any_position_starts_at_the_newest_snapshot_before_it(self, store):
        # Another stream's events between this one's, snapshots at versions 3, 6 and 9: as of
        # every position, the newest snapshot at or before it and the events after it up to
        # the position (a replay bounded by the next snapshot must still read all of them).
        for version in range(12):
            store.append("o", "Order", events(f"O{version}"), expected_version=version)
            store.append("p", "Order", events(*"PQ"), expected_version=2 * version)
        positions = {event.version: event.position for event in store.read_stream("o")}
        for version in (3, 6, 9):
            store.save_snapshot(SnapshotRecord("o", "Order", version, positions[version],
                                               positions[version] * 10, 1, f'{{"v": {version}}}'))
        for position in range(1, store.last_position() + 2):
            newest = max((v for v in (3, 6, 9) if positions[v] <= position), default=0)
            snapshot, rows = store.replay_after_snapshot("o", to_position=position)
            assert (snapshot.version if snapshot is not None else 0) == newest, position
            assert rows == store.replay_rows("o", after_version=newest, to_position=position)
            assert [row[0] for row in rows] == [v for v in range(newest + 1, 13)
                                                if positions[v] <= position]
        snapshot, rows = store.replay_after_snapshot("o", to_version=7, to_position=positions[4])
        assert snapshot.version == 3 and [row[0] for row in rows] == [4]
        snapshot, rows = store.replay_after_snapshot("o", to_version=4, to_position=positions[8])
        assert snapshot.version == 3 and [row[0] for row in rows] == [4]

    def test_replay_rows_with_their_positions(self, store):
        store.append("o", "Order", events(*"AB"))
        store.append("p", "Order", events("X"))
        store.append("o", "Order", events(*"CD"), expected_version=2)
        rows = store.replay_rows_positioned("o")
        assert [row[:5] for row in rows] == store.replay_rows("o")
        assert [(row[0], row[5]) for row in rows] == [
            (1, 1), (2, 2), (3, 4), (4, 5)]
        assert [row[0] for row in store.replay_rows_positioned("o", after_version=1,
                                                               to_version=3)] == [2, 3]
        assert store.replay_rows_positioned("missing") == []

    # -- schema evolution and bad rows -----------------------------------------------------

    def test_old_events_are_upcast_on_read_and_keep_their_stored_form(self, make_store,
                                                                        insert_raw):
        insert_raw(position=1, stream_id="o", version=1, event_type="Placed", schema_version=1,
                   data='{"amount": 5}')
        insert_raw(position=2, stream_id="o", version=2, event_type="Placed", schema_version=3,
                   data='{"amount": 6, "currency": "EUR", "total": 6}')
        store = make_store(registry=sample_registry(), read_only=True)
        old, new = store.read_stream("o")
        assert old.data == {"amount": 5, "currency": "USD", "total": 5}
        assert old.schema_version == 3
        assert old.stored.schema_version == 1 and old.stored.data == {"amount": 5}
        assert old.stored_data == {"amount": 5} and old.stored_schema_version == 1
        assert new.stored is None and new.stored_data is new.data
        assert old.to_dict()["stored"] == {"schema_version": 1, "data": {"amount": 5}}
        store.close()

    def test_rows_that_cannot_be_decoded_come_back_raw_without_stopping_readers(
            self, make_store, insert_raw):
        rows = [
            ("Shipped", 1, '{"ok": 1}', None),
            ("Shipped", 1, "{not json", "not valid JSON"),
            ("Shipped", 1, "[1, 2]", "JSON list, not an object"),
            ("Unheard", 1, "{}", "unknown event type 'Unheard'"),
            ("Placed", 4, "{}", "newer than this program knows"),
            ("Gapped", 1, "{}", "no upcaster from version 1 of Gapped"),
            ("Broken", 1, '{"a": 1}', "upcasting Broken from version 1 to 2 failed: KeyError"),
            ("Shipped", 1, '{"last": true}', None),
        ]
        for i, (event_type, version, data, _) in enumerate(rows, start=1):
            insert_raw(position=i, stream_id="o", version=i, event_type=event_type,
                       schema_version=version, data=data)
        store = make_store(registry=sample_registry(), read_only=True)
        for read in (lambda: store.read_stream("o"), lambda: list(store.read_all(page_size=3)),
                     lambda: list(store.query_lazily(EventQuery()))):
            found = read()
            assert len(found) == len(rows)
            for event, (_, _, data, reason) in zip(found, rows, strict=True):
                if reason is None:
                    assert not event.is_raw
                else:
                    assert event.is_raw and reason in event.problem, event.problem
                    assert event.data == {} and event.raw_data == data
                    assert event.to_dict()["problem"] == event.problem
        store.close()

    # -- read-only -------------------------------------------------------------------------

    def test_read_only_refuses_every_write_and_changes_nothing(self, make_store):
        writer = make_store()
        writer.append("o", "Order", events("A"))
        writer.close()
        reader = make_store(read_only=True)
        assert reader.read_only and [e.event_type for e in reader.read_all()] == ["A"]
        attempts = [
            lambda: reader.append("o", "Order", events("B")),
            lambda: reader.append_batch([AppendRequest("p", "Order", events("B"))]),
            lambda: reader.save_snapshot(SnapshotRecord("o", "Order", 1, 1, 1, 1, "{}")),
        ]
        for attempt in attempts:
            with pytest.raises(ReadOnlyStoreError, match="read-only"):
                attempt()
        assert reader.last_position() == 1
        reader.close()
