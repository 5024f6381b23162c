"""Keys that are not plain names (`hold.1@berlin`, `order-7`, `é`, a leading digit): written
quoted in a path (`holds["hold.1@berlin"]`), read so by the content filter on both backends,
by find-when's conditions on a state, by watches, and offered so by the window's paths (found by
a plug-in author: a ticketing system's holds keyed by such ids could not be named at all, and a
watch of one was taken and stayed empty)."""

from __future__ import annotations

import pytest

from explorer.common.field_paths import child_path, parent_path, part_key, path_parts
from explorer.store.content_filter import FilterError, parse_filter
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from explorer.timetravel.conditions import parse_state_condition, predicate
from explorer.timetravel.machine import diff

pytestmark = pytest.mark.backends

HOLDS = {"hold.1@berlin": {"state": "held", "seats": 2}, "order-7": {"state": "released"},
         "7abc": 5, "é": [1, 2], "*": "star", "plain": 1}


@pytest.mark.parametrize("key", ["hold.1@berlin", "order-7", "7abc", "é", "*", "a b", "plain",
                                 "O'Neil"])
def test_a_key_written_into_a_path_is_read_back(key):
    path = child_path(child_path("holds", key), "state")
    parts = path_parts(path)
    assert [part_key(part) for part in parts] == ["holds", key, "state"]
    assert parent_path(parent_path(path)) == "holds"
    assert parent_path(path) == child_path("holds", key)
    assert child_path("", key) in (key, f'["{key}"]')
    assert child_path("items", 0) == "items[0]" and part_key("[*]") is None


def test_the_paths_of_a_change_quote_keys_that_are_not_names():
    changes = diff({"holds": {}}, {"holds": {"hold.1@berlin": {"state": "held"}, "n": 1}})
    assert [c.path for c in changes] == ['holds["hold.1@berlin"]', "holds.n"]


@pytest.fixture
def filled(store):
    store.append("conf.pycon@berlin", "Order", [NewEvent("OrderPlaced", {"holds": HOLDS})])
    store.append("other", "Order", [NewEvent("OrderPlaced", {"holds": {"plain": 2}})])
    return store


def matching(store, text):
    return [e.position for e in store.query(EventQuery(content=parse_filter(text)), limit=10)]


@pytest.mark.parametrize(("text", "found"), [
    ('data.holds["hold.1@berlin"].state = "held"', [1]),
    ("data.holds['hold.1@berlin'].seats > 1", [1]),
    ('data.holds["order-7"].state = "released"', [1]),
    ('data.holds["7abc"] = 5', [1]),
    ('data.holds["é"][1] = 2', [1]),
    ('data.holds["é"][*] = 1', [1]),
    ('data.holds["*"] = "star"', [1]),
    ('data.holds["plain"] = 2', [2]),
    ('data.holds["hold.1"] exists', []),
    ('data["holds"].plain exists', [1, 2]),
])
def test_the_content_filter_reads_quoted_keys(filled, text, found):
    assert matching(filled, text) == found


@pytest.mark.parametrize(("text", "said"), [
    ('data.holds.order-7.state = "x"', 'data.holds["order-7"]'),
    ("data.holds.7abc = 5", 'data.holds["7abc"]'),
    ('data.holds["a\\"b"] = 1', "cannot be named"),
])
def test_an_unquoted_key_that_is_not_a_name_is_told_how_to_write_it(text, said):
    with pytest.raises(FilterError, match="cannot be named") as caught:
        parse_filter(text)
    assert said in str(caught.value)


def test_a_state_condition_reads_quoted_keys():
    state = {"holds": HOLDS}
    for text, truth in [('state.holds["hold.1@berlin"].state = "held"', True),
                        ('state.holds["order-7"].state = "held"', False),
                        ('state.holds["*"] = "star"', True),
                        ('state.holds[*] = "star"', True),
                        ('state["holds"]["7abc"] > 4', True)]:
        assert predicate(parse_state_condition(text))(state) is truth, text


def test_a_watch_reads_a_quoted_key(filled):
    from explorer.system import NO_SYSTEM
    from explorer.timetravel.machine import TimeMachine
    from explorer.timetravel.watch import Watcher, WatchError

    watcher = Watcher(TimeMachine(filled, None, NO_SYSTEM))
    held = watcher.parse('conf.pycon@berlin.holds["hold.1@berlin"].state')
    assert watcher.value_at(held, 1) == "held"
    assert watcher.value_at(watcher.parse('conf.pycon@berlin.holds["é"][1]'), 2) == 2
    with pytest.raises(WatchError, match="quoted"):
        watcher.parse('conf.pycon@berlin.holds["a]b"].state')
