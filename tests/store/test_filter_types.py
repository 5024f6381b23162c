"""Filters that compare unlike types say so: the JSON types a field holds, found by sampling."""

from __future__ import annotations

import pytest

from explorer.store.content_filter import parse_filter
from explorer.store.filter_types import type_warnings
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent


@pytest.fixture
def filled(store):
    rows = [
        ("order_1", "Order", "OrderPlaced", {"customer_id": "cust_456", "total": 59.98,
                                             "items": [{"product_id": "prod_101", "quantity": 2}],
                                             "gift": True}),
        ("order_2", "Order", "OrderPlaced", {"customer_id": "cust_7", "total": 150,
                                             "items": [{"product_id": "prod_102", "quantity": 1}],
                                             "gift": False}),
        ("order_2", "Order", "OrderCancelled", {"reason": "Out of stock", "total": "n/a"}),
        ("cust_7", "Customer", "CustomerRegistered", {"name": "Ed", "address": {"city": "Oslo"}}),
    ]
    for stream_id, stream_type, event_type, data in rows:
        store.append(stream_id, stream_type, [NewEvent(event_type, data, {"command": "x"})])
    return store


def test_the_store_names_the_json_types_a_field_holds_and_where(filled):
    assert filled.field_types("data.total") == {"real": ("OrderPlaced",),
                                                "integer": ("OrderPlaced",),
                                                "text": ("OrderCancelled",)}
    assert filled.field_types("data.total", ["OrderPlaced"]) == {
        "real": ("OrderPlaced",), "integer": ("OrderPlaced",)}
    assert filled.field_types("data.items[*].product_id") == {"text": ("OrderPlaced",)}
    assert filled.field_types("data.items[*]") == {"object": ("OrderPlaced",)}
    assert filled.field_types("data.address") == {"object": ("CustomerRegistered",)}
    assert filled.field_types("data.gift") == {"true": ("OrderPlaced",),
                                               "false": ("OrderPlaced",)}
    assert filled.field_types("metadata.command") == {"text": ("CustomerRegistered",
                                                               "OrderCancelled", "OrderPlaced")}
    assert filled.field_types("data.totl") == {}
    with pytest.raises(ValueError, match="column"):
        filled.field_types("version")


def test_only_the_newest_events_of_each_type_are_sampled(filled):
    assert filled.field_types("data.total", ["OrderPlaced"], per_type=1) == {
        "integer": ("OrderPlaced",)}  # order_2's 150, not order_1's 59.98


def warnings(store, text: str, event_types=()) -> list[str]:
    return type_warnings(parse_filter(text), lambda field: store.field_types(field, event_types),
                         "the sampled events")


@pytest.mark.parametrize(("text", "says"), [
    ('data.total > "abc"', 'data.total holds numbers, but "abc" is text: data.total > "abc" '
                           "matches nothing (every number sorts before any text). Compare it "
                           "with a number, e.g. data.total > 100."),
    ('data.total < "abc"', "matches every event that has it"),
    ('data.total = "150"', "Write the number without quotes: data.total = 150."),
    ("data.customer_id = 456", 'data.customer_id holds text, but 456 is a number: '
                               'data.customer_id = 456 matches only text writing a number '
                               '(such as "10.00"), compared as that number. Quote the value to '
                               'compare text: data.customer_id = "456".'),
    ("data.customer_id < 5", "data.customer_id < 5 matches only text writing a number"),
    ("data.customer_id > 5", "data.customer_id > 5 matches only text writing a number"),
    ("data.items[*].product_id = 101", "data.items[*].product_id holds text"),
    ('data.items = "prod_101"', "Compare its elements with [*]"),
    ('data.address = "Oslo"', "Name a field inside it, e.g. data.address.name"),
    ("data.gift = 1", "data.gift holds true or false, not numbers: data.gift = 1 matches "
                      "nothing (true and false are compared only with true and false). "
                      "Compare it with true or false, e.g. data.gift = true."),
    ('data.gift != "yes"', 'data.gift != "yes" matches nothing'),
    ("data.customer_id != true", "data.customer_id != true matches nothing"),
    ('data.gift contains "tru"', "contains looks for text in it"),
    ('data.totl > 5', "None of the sampled events has data.totl: check the field's name"),
    ('version > "abc"', 'version holds numbers, but "abc" is text'),
])
def test_a_comparison_of_unlike_types_says_what_it_matches_and_what_to_write(filled, text,
                                                                            says):
    found = warnings(filled, text, ["OrderPlaced", "CustomerRegistered"])
    assert len(found) == 1 and says in found[0], found


@pytest.mark.parametrize("text", [
    "data.total > 100", 'data.customer_id = "cust_7"', 'data.items[*].product_id = "prod_101"',
    "data.gift = true", 'data.total contains "15"', 'data.items contains "prod"',
    'version > "1"',  # the column makes "1" a number itself
    "event_type = 5",  # and 5 the text "5": a plain comparison of text
    "data.total exists", "data.total = null", 'data.total = "n/a"',  # text somewhere: it can match
])
def test_comparisons_that_can_match_have_no_warning(filled, text):
    assert warnings(filled, text) == []


def test_the_warning_is_true_the_filter_matches_nothing(filled):
    placed = ("OrderPlaced",)
    assert filled.count(EventQuery(content=parse_filter('data.total > "abc"'),
                                   event_types=placed)) == 0
    assert filled.count(EventQuery(content=parse_filter('data.customer_id = 456'))) == 0
    assert filled.count(EventQuery(content=parse_filter('data.total < "abc"'),
                                   event_types=placed)) == 2


def test_a_field_is_sampled_once_and_each_warning_said_once(filled):
    asked = []

    def types(field):
        asked.append(field)
        return filled.field_types(field)

    found = type_warnings(parse_filter('data.totl > 1 or data.totl < 5 or data.total > "x"'),
                          types)
    assert asked == ["data.totl", "data.total"]
    assert len(found) == 1 and "data.totl" in found[0]  # data.total holds text in some events
