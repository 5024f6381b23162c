"""Indexes on paths of the events' JSON: made on request, used by the content filter (its query
plan says so), listed, removed; refused on a read-only store and for a field with no one value."""

from __future__ import annotations

import pytest

from explorer.store import EventStore
from explorer.store.content_filter import parse_filter
from explorer.store.errors import ReadOnlyStoreError
from explorer.store.path_indexes import (
    PathIndex,
    PathIndexError,
    create_path_index,
    drop_path_index,
    index_name,
    indexed_positions,
    path_indexes,
    query_plan,
    uses_path_index,
)
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent

FILTER = 'data.total > 900 and data.currency = "EUR"'


@pytest.fixture
def orders(store):
    for number in range(60):
        data = {"total": number * 20, "currency": "EUR" if number % 3 else "USD",
                "customer": {"country": "FR" if number % 2 else "DE"}}
        store.append(f"order_{number}", "Order", [NewEvent("OrderPlaced", data)])
        store.append(f"order_{number}", "Order", [NewEvent("OrderShipped", {"carrier": "x"})])
    return store


def filtered(store: EventStore, text: str) -> list[int]:
    return list(store.positions(EventQuery(content=parse_filter(text))))


def test_a_filter_reads_an_indexed_path_through_its_index(orders):
    query = EventQuery(content=parse_filter(FILTER))
    before = filtered(orders, FILTER)
    assert before and not uses_path_index(orders, query)
    assert any("SCAN events" in detail for detail in query_plan(orders, query))
    made = create_path_index(orders, "data.total")
    assert made == PathIndex(index_name("data.total"), "data.total")
    assert uses_path_index(orders, query)
    assert any(f"USING INDEX {made.name}" in detail for detail in query_plan(orders, query))
    assert filtered(orders, FILTER) == before == list(indexed_positions(orders, query))
    nested = 'data.customer.country = "FR"'
    create_path_index(orders, "data.customer.country")
    assert uses_path_index(orders, EventQuery(content=parse_filter(nested)))
    assert path_indexes(orders) == [PathIndex(index_name("data.customer.country"),
                                              "data.customer.country"), made]
    assert create_path_index(orders, "data.total") == made  # once only
    assert len(path_indexes(orders)) == 2


def test_another_connection_sees_an_index_made_since_it_last_read(orders):
    query = EventQuery(content=parse_filter(FILTER))
    with EventStore.open(orders.location, read_only=True) as reader:
        assert not uses_path_index(reader, query)
        create_path_index(orders, "data.total")
        assert uses_path_index(reader, query)


def test_an_index_is_removed_and_the_filter_scans_again(orders):
    create_path_index(orders, "data.total")
    query = EventQuery(content=parse_filter(FILTER))
    assert drop_path_index(orders, "data.total")
    assert not uses_path_index(orders, query) and path_indexes(orders) == []
    assert not drop_path_index(orders, "data.total")
    assert not any(key.startswith("path_index:") for key in orders.meta())


def test_a_read_only_store_says_why_it_cannot_index(orders):
    location = orders.location
    orders.close()
    with EventStore.open(location, read_only=True) as read_only, \
            pytest.raises(ReadOnlyStoreError, match="index data.total"):
        create_path_index(read_only, "data.total")


@pytest.mark.parametrize("field", ["total", "data", "data.items[*].id", "stream_id",
                                   "data.a'b", "data.total; DROP TABLE events"])
def test_a_field_with_no_one_value_is_refused(orders, field):
    with pytest.raises(PathIndexError, match="name one value inside the events' data"):
        create_path_index(orders, field)
    assert path_indexes(orders) == []


def test_index_names_differ_for_every_field():
    assert index_name("data.a_b") != index_name("data.a.b")
    assert index_name("data.total").startswith("ix_events_path_data_total_")


@pytest.mark.parametrize("text", ["data.total > 900", "data.total >= 900", "data.total < 100",
                                  "data.total <= 100", "data.total = 950"])
def test_every_comparison_with_a_number_reads_the_index_texts_too(orders, text):
    orders.append("order_t", "Order", [NewEvent("OrderPlaced", {"total": "950.00"}),
                                       NewEvent("OrderPlaced", {"total": "99.5"})])
    query = EventQuery(content=parse_filter(text))
    before = filtered(orders, text)
    create_path_index(orders, "data.total")
    assert uses_path_index(orders, query)  # numbers and numeric text alike
    assert filtered(orders, text) == before == list(indexed_positions(orders, query))
    last = orders.last_position()
    assert (last - 1 in before) == (">" in text or "=" in text and "<" not in text)
    assert (last in before) == ("<" in text)
