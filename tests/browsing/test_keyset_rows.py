"""A filter by event type is counted by its index and read a page at a time (KeysetRows): page by
page it lists exactly what a brute-force filter of the log lists, at its start, middle and end,
in any order of reading, and as events are appended."""

from __future__ import annotations

import random
from array import array

import pytest

from explorer.browsing.rows import KeysetRows, build_row_map, new_positions, read_rows
from explorer.demo.seed import seed_store
from explorer.domain import CommandService
from explorer.store.query import EventQuery
from tests.conftest import SHOP

TYPES = [("OrderPlaced",), ("OrderShipped", "PaymentCaptured")]


@pytest.fixture
def seeded(store):
    seed_store(store, orders=320, seed=5)
    return store


def brute_force(store, types) -> list[int]:
    return [event.position for event in store.read_all() if event.event_type in types]


@pytest.mark.parametrize("types", TYPES)
def test_the_list_is_counted_and_holds_only_its_first_and_last_pages(seeded, types):
    expected = brute_force(seeded, types)
    rows = build_row_map(seeded, EventQuery(event_types=types))
    assert isinstance(rows, KeysetRows)  # (failed before: every matching position listed)
    assert len(rows) == len(expected) > 2 * rows.page_size
    assert sorted(rows.pages) == [0, (len(expected) - 1) // rows.page_size]
    assert rows.last_position == expected[-1]
    assert rows.position(rows.page_size) == 0  # not read yet


@pytest.mark.parametrize("types", TYPES)
def test_pages_equal_the_brute_force_filter_whatever_the_order_they_are_read_in(seeded, types):
    expected = brute_force(seeded, types)
    query = EventQuery(event_types=types)
    middle = len(expected) // 2
    for page_size in (7, 100):
        rows = KeysetRows.build(seeded, query, page_size=page_size)
        for first in (0, middle, len(expected) - 5, middle - page_size, middle + page_size):
            events = read_rows(seeded, rows, first, 10, query)
            assert [e.position for e in events] == expected[first:first + 10]
            assert all(e.event_type in types for e in events)
        order = list(range(0, len(expected), 3))
        random.Random(page_size).shuffle(order)
        for row in order:  # pages read from either neighbour or from either end
            rows.load(seeded, row, row)
        assert [rows.position(row) for row in order] == [expected[row] for row in order]
        for row, position in enumerate(expected):
            if rows.position(row):
                assert rows.row_of(position) == row
                assert rows.row_at_or_before(position) == row
        assert rows.row_of(expected[-1] + 1) is None
        assert rows.row_at_or_before(expected[0] - 1) is None


def test_a_list_opened_at_an_event_reads_that_events_page(seeded):
    expected = brute_force(seeded, TYPES[0])
    chosen = len(expected) // 2 + 3
    rows = build_row_map(seeded, EventQuery(event_types=TYPES[0]), around=expected[chosen])
    assert rows.row_of(expected[chosen]) == chosen


def test_a_position_is_found_in_a_page_not_read_yet(seeded):
    expected = brute_force(seeded, TYPES[0])
    rows = KeysetRows.build(seeded, EventQuery(event_types=TYPES[0]), page_size=7)
    chosen = len(expected) // 2
    assert rows.row_of(expected[chosen]) is None  # its page is not read
    assert rows.find(seeded, expected[chosen]) == chosen
    assert rows.find(seeded, expected[chosen] + 1) is None  # not an OrderPlaced
    assert rows.find(seeded, expected[-1] + 10_000) is None  # after the list
    # where a time-travel cursor falls: the last row at or before it, its page read first
    fresh = KeysetRows.build(seeded, EventQuery(event_types=TYPES[0]), page_size=7)
    assert fresh.row_at_or_before(expected[chosen] + 1) is None  # not read
    assert fresh.locate(seeded, expected[chosen] + 1) == chosen
    assert fresh.locate(seeded, expected[0] - 1) is None
    assert fresh.locate(seeded, expected[-1] + 10_000) == len(expected) - 1


def test_events_appended_later_neither_shift_the_pages_nor_are_lost(seeded):
    query = EventQuery(event_types=TYPES[0])
    expected = brute_force(seeded, TYPES[0])
    rows = KeysetRows.build(seeded, query, page_size=7)
    service = CommandService(seeded, SHOP.domain)
    for n in range(3):
        service.execute("Order", f"order_late_{n}", "place", {
            "customer_id": "cust_001", "total": 10.0,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 10.0}]})
    middle = len(expected) // 2  # read from the end, as counted: the new events do not count
    assert [e.position for e in read_rows(seeded, rows, middle, 7, query)] == \
        expected[middle:middle + 7]
    rows.extend(new_positions(seeded, query, rows.last_position))
    now = brute_force(seeded, TYPES[0])
    assert len(rows) == len(now) == len(expected) + 3
    assert [e.position for e in read_rows(seeded, rows, len(now) - 5, 5, query)] == now[-5:]
    rows.extend(array("q"))
    assert rows.last_position == now[-1]
