"""true and false in content filters mean JSON's true and false, and nothing else, wherever a
filter is evaluated: in SQL on a store file (SQLite's json_extract reads true as 1), in SQL on
a server, read through an index made on the path, and in Python on a state (find-when,
watches). Each filter is checked against a brute-force reading of the same values.

`= true` matches only true, `= 1` only the number 1 (1.0, and text writing it, as for any
number). true and false are compared only with true and false, by = and != (`!= true` is
false): a boolean compared with a number or a text, and any other value with true or false, is
unknown (as a text that is no number is against a number): neither it nor its `not` matches;
`contains` finds no text in them. Found comparing the evaluators with each other: on a store
file `data.x = true` matched the number 1 (and the conditions on state did so too), on a server
only true; `data.x != "true"` and `data.x < "abc"` on a server ordered null, numbers and
booleans as jsonb does (null below every text, numbers above), not as SQLite."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from explorer.store.content_filter import FilterError, parse_filter
from explorer.store.numeric_text import decimal_key
from explorer.store.path_indexes import create_path_index, uses_path_index
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from explorer.timetravel.conditions import parse_state_condition, predicate

pytestmark = pytest.mark.backends

MISSING = object()
VALUES: list[Any] = [True, False, 1, 0, 1.0, "true", None, MISSING, "1", 2, "false", "abc",
                     [True], {"a": 1}, 0.5, -1]
"""The values of `x` in the events at positions 1, 2, ... (MISSING: the event has no x)."""

FILTERS = [
    "data.x = true", "data.x = false", "data.x != true", "data.x != false",
    "not data.x = true", "not data.x != false", "data.x == true or data.x = 1",
    "data.x = 1", "data.x = 0", "data.x != 1", "data.x != 0", "data.x = 1.0",
    "data.x > 0", "data.x >= 1", "data.x < 1", "data.x <= 0", "data.x > 0.5", "data.x < 0.5",
    "not data.x = 1", "not data.x > 0", "not data.x < 1",
    'data.x = "true"', 'data.x != "true"', 'data.x < "abc"', 'data.x > "abc"',
    'data.x = "1"', 'not data.x = "true"',
    "data.x exists", "not data.x exists", "data.x = null", "data.x != null",
    'data.x contains "1"', 'data.x contains "tru"', 'not data.x contains "1"',
    "data.x = true and data.x = 1", "not (data.x = true or data.x = false)",
    "data.l[*] = true", "data.l[*] = 1", "data.l[*] != true", "not data.l[*] = true",
    "data.l[*] > 0", "data.l[0] = true", "data.l[0] = 1",
]


def _events() -> list[dict[str, Any]]:
    """Each event's data: x holds one of VALUES; l holds it as a list's only item."""
    return [{} if value is MISSING else {"x": value, "l": [value]} for value in VALUES]


# -- the brute force: what each filter means, read value by value ---------------------------

def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(repr(value))
    if isinstance(value, str) and decimal_key(value) is not None:
        return Decimal(value)
    return None


_ORDER = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
          "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _compare(value: Any, op: str, literal: Any) -> bool | None:
    """A comparison's truth for one value, None for unknown."""
    if op == "exists":
        return value is not MISSING
    if literal is None:
        if value is MISSING:
            return None if op == "=" else False
        return (value is None) == (op == "=")
    if value is MISSING or value is None:
        return None
    if op == "contains":
        if isinstance(value, bool):
            return None  # true and false hold no text
        return literal.lower() in _text(value).lower()
    if isinstance(literal, bool):
        if not isinstance(value, bool):
            return None
        return _ORDER[op](value, literal)
    if isinstance(literal, int | float):
        number = _number(value)
        return None if number is None else _ORDER[op](number, Decimal(repr(literal)))
    # text: a number (no boolean) before any text; unlike values never equal
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return op in ("!=", "<", "<=")
    return _ORDER[op](_text(value), literal)  # a list or an object: its JSON text


def _text(value: Any) -> str:
    """A value's text, as `contains` reads it: a list or an object as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _truth(node: Any, data: dict[str, Any]) -> bool | None:
    if hasattr(node, "parts"):
        truths = [_truth(part, data) for part in node.parts]
        if node.op == "not":
            return None if truths[0] is None else not truths[0]
        decisive = node.op == "or"
        if decisive in truths:
            return decisive
        return None if None in truths else not decisive
    field = node.field.removeprefix("data.")
    if field.startswith("l["):
        items = data.get("l", MISSING)
        if field == "l[*]":
            if items is MISSING:
                return False
            return any(_compare(item, node.op, node.value) is True for item in items)
        value = items[0] if items is not MISSING else MISSING
    else:
        value = data.get("x", MISSING)
    return _compare(value, node.op, node.value)


def expected(text: str) -> list[int]:
    tree = parse_filter(text).tree
    return [p for p, data in enumerate(_events(), 1) if _truth(tree, data) is True]


# -- each evaluator against it ----------------------------------------------------------------

@pytest.fixture
def booleans(store):
    store.append("s", "S", [NewEvent("E", data) for data in _events()])
    return store


def matching(store, text: str) -> list[int]:
    return [e.position for e in store.query(EventQuery(content=parse_filter(text)), limit=100)]


@pytest.mark.parametrize("text", FILTERS)
def test_a_filter_on_the_store_matches_what_it_says(booleans, text):
    assert matching(booleans, text) == expected(text)


@pytest.mark.sqlite_only("paths are indexed in store files")
def test_a_filter_read_through_an_index_matches_what_it_says(booleans, backend):
    create_path_index(booleans, "data.x")
    for text in FILTERS:
        assert matching(booleans, text) == expected(text), text
    for text in ("data.x = true", "data.x = false", "data.x = 1", "data.x > 0",
                 "data.x < 1", "data.x >= 0.5"):
        assert uses_path_index(booleans, EventQuery(content=parse_filter(text))), text


@pytest.mark.parametrize("text", FILTERS)
def test_a_condition_on_a_state_matches_what_the_filter_says(text):
    holds = predicate(parse_state_condition(text.replace("data.", "state.")))
    assert [p for p, data in enumerate(_events(), 1) if holds(data)] == expected(text)


@pytest.mark.parametrize("text", ["data.x > true", "data.x <= false", "state.x < true"])
def test_true_and_false_are_not_ordered(text):
    with pytest.raises(FilterError, match="true and false can only be compared with = or !="):
        parse_state_condition(text) if text.startswith("state") else parse_filter(text)

