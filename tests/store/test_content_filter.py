"""The content filter language: what it matches, and the message for each mistake."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from explorer.store.content_filter import FilterError, parse_filter
from explorer.store.portable_sql import JsonField
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from explorer.store.schema import events
from explorer.timetravel.conditions import predicate


@pytest.fixture
def filled(store):
    rows = [
        ("order_1", "Order", "OrderPlaced", {"customer_id": "cust_456", "total": 59.98,
                                             "items": [{"product_id": "prod_101", "quantity": 2}],
                                             "currency": "USD", "gift": True}),
        ("order_2", "Order", "OrderPlaced", {"customer_id": "cust_7", "total": 150.0,
                                             "items": [{"product_id": "prod_102", "quantity": 1},
                                                       {"product_id": "prod_101", "quantity": 5}],
                                             "currency": "EUR", "gift": False, "note": None}),
        ("order_2", "Order", "OrderCancelled", {"reason": "Out of stock: 100% gone_now"}),
        ("cust_7", "Customer", "CustomerRegistered", {"name": "O'Neil \"Ed\""}),
    ]
    for stream_id, stream_type, event_type, data in rows:
        store.append(stream_id, stream_type, [NewEvent(event_type, data, {"command": "x"})])
    return store


def matching(store, text):
    query = EventQuery(content=parse_filter(text))
    return [e.position for e in store.query(query, limit=100)]


MATCHES = [
    ('data.customer_id = "cust_456"', [1]),
    ("data.total > 100", [2]),
    ("data.total >= 59.98 and data.total < 100", [1]),
    ('data.currency != "USD"', [2]),
    ('data.items[*].product_id = "prod_101"', [1, 2]),
    ('data.items[*].quantity > 4', [2]),
    ('data.items[1].product_id = "prod_101"', [2]),
    ("data.gift = true", [1]),
    ("data.gift = false", [2]),
    # true and false are no numbers (SQLite's json_extract reads them as 1 and 0, a server's
    # jsonb orders them above every number): compared with one, unknown, nor is its not
    # (tests/store/test_boolean_filters.py)
    ("data.gift = 1", []),
    ("data.gift > 4", []),
    ("data.gift < 0.5", []),
    ("not data.gift = 1", []),
    ("data.gift != true", [2]),
    ("not data.gift = false", [1]),
    ("data.note = null", [2]),
    ("data.note exists", [2]),
    ("data.note != null", []),
    ("data.currency != null", [1, 2]),
    ("data.total exists", [1, 2]),
    ('data.reason contains "100% gone_"', [3]),
    ('data.reason contains "out of STOCK"', [3]),
    ('data.name = "O\'Neil \\"Ed\\""', [4]),
    ("data.name = 'O\\'Neil \"Ed\"'", [4]),
    ('event_type = "OrderPlaced" and not data.currency = "USD"', [2]),
    ('(stream_id = "order_1" or stream_type = "Customer") and position > 0', [1, 4]),
    ('metadata.command = "x"', [1, 2, 3, 4]),
    ("version = 2", [3]),
]
"""Filters on `filled`'s events and the positions they match (every backend: tests/postgres)."""


@pytest.mark.parametrize(("text", "positions"), MATCHES)
def test_filters_match_what_they_say(filled, text, positions):
    assert matching(filled, text) == positions


def test_values_are_bound_parameters_never_sql_text():
    condition = parse_filter('data.customer_id = "x\'; DROP TABLE events; --"').condition()
    sql = str(sa.select(events.c.position).where(condition).compile())
    assert "DROP" not in sql
    # a plain path is written as text (an index on it can serve the filter: path_indexes)...
    assert "json_extract(events.data, '$.customer_id') = :param_1" in sql
    # ...and any other stays a parameter
    odd = JsonField(events.c.data, ["it's", "[0]"]) == 1
    assert "it's" not in str(sa.select(events.c.position).where(odd).compile())


@pytest.mark.parametrize(("text", "message", "column"), [
    ("", "The filter is empty", 1),
    ("dta.total > 1", "Unknown field 'dta.total'", 1),
    ("data > 1", "Name a field inside data", 1),
    ("data.total >", "ends too early", 13),
    ("data.total > abc", 'not \'abc\' (quote text: "abc")', 14),
    ("data.total 5", "Expected an operator", 12),
    ("data.total > 1 data.x = 2", "join conditions with 'and' or 'or'", 16),
    ("(data.x = 1", "ends too early", 12),
    ("(data.x = 1 data", "Expected ')'", 13),
    ("data.x < null", "null can only be compared with = or !=", 10),
    ('data.x = "open', "not closed with \"", 10),
    ("data.x contains 5", "'contains' needs quoted text", 17),
    ("data.a[*].b[*] = 1", "Only one [*]", 1),
    ("data.x ! 3", "Unexpected character '!'", 8),
    # a path running into what no path holds: said so, not as a stray character
    ("data.lines.ordér_9 = 1", "'data.lines.ordér_9' cannot be named in a filter", 15),
    ("data.lines.order-7 exists", "'data.lines.order-7' cannot be named", 17),
    ("data.lines.7abc = 1", 'quoted: data.lines["7abc"], a quote or a backslash in it', 11),
    ('data.x["a.b = 1', 'The key quoted after data.x is not closed with "]', 7),
    ("data.réf = 1", "'data.réf' cannot be named", 7),
    ("and data.x = 1", "Expected a field", 1),
    # a NUL (pasted) ended SQL's LIKE pattern there: contains "1\0z" found every text with a 1
    ('data.x contains "1\x00z"', "The filter holds a NUL character", 19),
    ('data.x = "a\x00"', "The filter holds a NUL character", 12),
    ("data.x = 1 \x00", "The filter holds a NUL character", 12),
])
def test_mistakes_say_what_and_where(text, message, column):
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert message in str(caught.value) and caught.value.column == column
    assert f"(at column {column})" in str(caught.value)


def test_parsed_filters_are_values():
    assert parse_filter("data.total > 1") == parse_filter("  data.total > 1 ")
    assert hash(EventQuery(content=parse_filter("data.x = 1")))


AMOUNTS = ["10.00", "0.10", "abc", "-1.5e3", "+5", "1234567890123456789.123456789", "1E+2",
           5, 0.25, "5 ", [7], "-0.00", "1234567890123456789"]
"""Amounts kept as text (as the `eventsourcing` library keeps a Decimal), numbers, and texts
that write no number; the events at positions 1, 2, ... hold them in this order."""

NUMERIC_TEXT_MATCHES = [
    ("data.amount > 50", [1 + AMOUNTS.index(a) for a in
                          ("1234567890123456789.123456789", "1E+2", "1234567890123456789")]),
    ("data.amount < 5", [2, 4, 9, 12]),
    ("data.amount <= 5", [2, 4, 5, 8, 9, 12]),
    ("data.amount = 5", [5, 8]),
    ("data.amount != 5", [1, 2, 4, 6, 7, 9, 12, 13]),
    ("data.amount >= 100", [6, 7, 13]),
    ("data.amount = 0", [12]),
    ("data.amount < 0", [4]),
    ("data.amount = -1500", [4]),
    ("data.amount = 0.1", [2]),
    ("data.amount > 1234567890123456789", [6]),  # exactly: not as a double
    ("data.amount = 1234567890123456789", [13]),
    ("not data.amount > 5", [2, 4, 5, 8, 9, 12]),  # "abc" > 5 is unknown: nor is its not
    ('data.amount = "10.00"', [1]),  # a quoted value: text compared as text
    ('data.amount = "10"', []),
]
"""Comparisons of `amounts`' field with numbers and the positions they match (every backend,
and the evaluator of conditions on states: tests/timetravel/test_numeric_text.py)."""


@pytest.fixture
def amounts(store):
    for amount in AMOUNTS:
        store.append("acct", "Account", [NewEvent("Credited", {"amount": amount})])
    return store


@pytest.mark.parametrize(("text", "positions"), NUMERIC_TEXT_MATCHES)
def test_numeric_text_compares_with_numbers_as_its_number(amounts, text, positions):
    assert matching(amounts, text) == positions


ELEMENTS = [{"l": [{"x": 1}]}, {"l": ['{"x": 1}']}, {"l": ["abc", {"x": 2}]}, {"l": [5, None]}]
"""Lists whose elements are objects, texts (one writing JSON) and other values: a field inside
the elements is read in the objects alone (found by helper P: on a store file a text element
was read as JSON, so "abc" failed the whole filter as 'not valid JSON' and '{"x": 1}' matched
data.l[*].x = 1)."""

ELEMENT_MATCHES = [
    ("data.l[*].x = 1", [1]),
    ("data.l[*].x exists", [1, 3]),
    ("data.l[*].x > 0", [1, 3]),
    ('data.l[*].x contains "1"', [1]),
    ("not data.l[*].x = 2", [1, 2, 4]),
    ('data.l[*] = "abc"', [3]),
]
"""Filters on `elements`' events and the positions they match (every backend: tests/postgres)."""


@pytest.fixture
def elements(store):
    store.append("s", "S", [NewEvent("E", data) for data in ELEMENTS])
    return store


@pytest.mark.parametrize(("text", "positions"), ELEMENT_MATCHES)
def test_a_field_inside_a_lists_elements_is_read_in_its_objects(elements, text, positions):
    assert matching(elements, text) == positions


SPREAD = [{"l": {"a": 1, "b": "x"}}, {"l": 1}, {"l": None}, {}, {"l": [1]}]
"""[*] over an object, a single value, null, nothing and a list: as SQLite's json_each, an
object's values and a single value itself (found by helper P comparing random filters on both
backends with the conditions on state: on a server [*] went through lists alone)."""

SPREAD_MATCHES = [
    ("data.l[*] = 1", [1, 2, 5]),
    ('data.l[*] = "x"', [1]),
    ("data.l[*] = null", [3]),
    ("data.l[*] exists", [1, 2, 3, 5]),
    ("not data.l[*] = 1", [3, 4]),
]


@pytest.fixture
def spread(store):
    store.append("s", "S", [NewEvent("E", data) for data in SPREAD])
    return store


@pytest.mark.parametrize(("text", "positions"), SPREAD_MATCHES)
def test_every_item_is_an_objects_value_or_a_single_value_itself(spread, text, positions):
    assert matching(spread, text) == positions
    holds = predicate(parse_filter(text), "data")
    assert [p for p, data in enumerate(SPREAD, 1) if holds(data)] == positions
