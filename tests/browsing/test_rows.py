"""Row maps and pages: any list of events, from a handful to millions, by position."""

from __future__ import annotations

import sqlite3
from array import array

import pytest

from explorer.browsing.causality import build_tree, describe_cause
from explorer.browsing.rows import (
    ContiguousRows,
    PositionRows,
    build_row_map,
    iter_rows,
    new_positions,
    read_rows,
)
from explorer.common.cancel import Cancelled
from explorer.store import EventStore
from explorer.store.content_filter import parse_filter
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from tests.conftest import place_order


@pytest.fixture
def filled(store_path):
    # no registry: these test event types are all readable
    store = EventStore.open(store_path, create=True)
    for i in range(30):
        store.append(f"s{i % 4}", "Order" if i % 2 else "Customer",
                     [NewEvent("Even" if i % 2 == 0 else "Odd", {"i": i})])
    yield store
    store.close()


def test_all_events_without_gaps_need_no_positions_stored(filled):
    rows = build_row_map(filled, EventQuery())
    assert isinstance(rows, ContiguousRows) and len(rows) == 30
    assert rows.position(29) == 30 and rows.row_of(30) == 29 and rows.row_of(31) is None
    page = read_rows(filled, rows, 10, 5, EventQuery())
    assert [e.position for e in page] == [11, 12, 13, 14, 15]
    assert read_rows(filled, rows, 40, 5, EventQuery()) == []


def test_a_store_with_gaps_keeps_positions(filled, store_path):
    with sqlite3.connect(store_path) as db:
        db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
                   "event_type, schema_version, timestamp, data) VALUES (40, 'x', 'Order', 1, "
                   "'gap', 'Odd', 1, 9e15, '{}')")
    rows = build_row_map(filled, EventQuery())
    assert isinstance(rows, PositionRows) and len(rows) == 31 and rows.position(30) == 40


def test_filtered_lists_map_rows_to_matching_positions(filled):
    query = EventQuery(stream_types=("Order",))  # (by event type: test_keyset_rows.py)
    rows = build_row_map(filled, query)
    assert list(rows.positions) == list(range(2, 31, 2))
    assert rows.row_of(4) == 1 and rows.row_of(5) is None
    assert [e.data["i"] for e in read_rows(filled, rows, 2, 3, query)] == [5, 7, 9]
    assert [e.position for e in iter_rows(filled, rows, query, page=4)] == list(rows.positions)
    stream = EventQuery(stream_id="s1")
    assert list(build_row_map(filled, stream).positions) == [2, 6, 10, 14, 18, 22, 26, 30]


def test_the_row_at_or_before_a_position_finds_where_a_time_travel_cursor_falls():
    contiguous = ContiguousRows(5, 10)  # positions 5..14
    assert [contiguous.row_at_or_before(p) for p in (4, 5, 9, 14, 99)] == [None, 0, 4, 9, 9]
    assert ContiguousRows(1, 0).row_at_or_before(3) is None
    sparse = PositionRows(array("q", [3, 8, 20]))
    assert [sparse.row_at_or_before(p) for p in (2, 3, 7, 8, 19, 20, 50)] == [
        None, 0, 0, 1, 1, 2, 2]


def test_content_filters_scan_in_chunks_reporting_progress(filled, monkeypatch):
    monkeypatch.setattr("explorer.browsing.rows.SCAN_CHUNK", 7)
    query = EventQuery(content=parse_filter("data.i >= 20"))
    seen = []
    rows = build_row_map(filled, query, lambda partial, scanned, last: seen.append(
        (len(partial), scanned, last)))
    assert list(rows.positions) == list(range(21, 31))
    assert [s[1] for s in seen] == [7, 14, 21, 28, 30] and seen[-1] == (10, 30, 30)

    def stop(partial, scanned, last):
        raise Cancelled()
    with pytest.raises(Cancelled):
        build_row_map(filled, query, stop)


def test_new_positions_for_live_updates(filled):
    query = EventQuery(event_types=("Even",))
    rows = build_row_map(filled, query)
    filled.append("s0", "Customer", [NewEvent("Even", {"i": 30}), NewEvent("Odd", {"i": 31})])
    fresh = new_positions(filled, query, rows.last_position)
    assert list(fresh) == [31]
    rows.extend(fresh)
    assert rows.row_of(31) == 15
    contiguous = ContiguousRows(1, 30)
    contiguous.extend(array("q", [31, 32]))
    assert len(contiguous) == 32
    with pytest.raises(ValueError):
        contiguous.extend(array("q", [40]))


def test_the_causal_tree_of_a_request(service, store):
    place_order(service)
    placed = store.read_stream("order_789")[0]
    reserve = service.execute("Inventory", "prod_123", "receive_stock", {"quantity": 9},
                              correlation_id=placed.correlation_id, causation_id=placed.event_id)
    chain = store.events_by_correlation(placed.correlation_id)
    roots = build_tree(chain)
    assert [r.kind for r in roots] == ["command"] and roots[0].label == "place on order_789"
    event_node = roots[0].children[0]
    assert event_node.event == placed
    follow = event_node.children[0]
    assert follow.kind == "command" and follow.label == "receive_stock on prod_123"
    assert follow.children[0].event.event_id == reserve.events[0].event_id
    assert describe_cause(reserve.events[0], placed).startswith("OrderPlaced in order_789 v1")
    assert describe_cause(placed, None) == "the command place issued by test"
