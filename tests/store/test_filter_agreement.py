"""Random content filters give the same events on a store file, on a server and in the Python
evaluator of conditions on state, over values of every JSON kind: true, false, numbers, numeric
and other texts, null, lists, objects, and a missing key (tests/timetravel/random_conditions.py
makes the filters from the values)."""

from __future__ import annotations

import pytest

from explorer.store.content_filter import parse_filter
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from explorer.timetravel.conditions import predicate
from tests.timetravel.random_conditions import ConditionMaker, paths

pytestmark = pytest.mark.backends

VALUES = [True, False, 1, 0, 1.0, "true", None, "1", 2, "false", "abc", [True], {"a": 1}, 0.5,
          -1, "", "10.00", [], {}, "Z", 1e15, -0.0, [1, "x", None], {"k": [2, {"a": "b"}]}]
"""Texts of ASCII letters only: `contains` ignores the case of every letter on a
server (ILIKE), of ASCII letters on SQLite and in Python (README)."""
DATAS = [{"x": v, "l": [v, 1], "o": {"k": v}} for v in VALUES] + [{}]


def test_random_filters_match_what_the_conditions_on_state_match(store):
    store.append("s", "S", [NewEvent("E", data) for data in DATAS])
    maker = ConditionMaker(11, (pair for data in DATAS for pair in paths(data, "data")))
    for _ in range(600):
        text = maker.condition()
        parsed = parse_filter(text)
        holds = predicate(parsed, "data")
        in_python = [p for p, data in enumerate(DATAS, 1) if holds(data)]
        assert [e.position for e in store.query(EventQuery(content=parsed), limit=100)] \
            == in_python, text
