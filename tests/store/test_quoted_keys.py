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
                                 "O'Neil", "x[0]", '"q"', "a\\b", "a]b", "[*]", "", '\\"'])
def test_a_key_written_into_a_path_is_read_back(key):
    path = child_path(child_path("holds", key), "state")
    parts = path_parts(path)
    assert [part_key(part) for part in parts] == ["holds", key, "state"]
    assert parent_path(parent_path(path)) == "holds"
    assert parent_path(path) == child_path("holds", key)
    assert [part_key(part) for part in path_parts(child_path("", key))] == [key]
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
])
def test_an_unquoted_key_that_is_not_a_name_is_told_how_to_write_it(text, said):
    with pytest.raises(FilterError, match="cannot be named") as caught:
        parse_filter(text)
    assert said in str(caught.value)
    assert 'a quote or a backslash in it after a backslash: data.holds["say \\"hi\\""]' \
        in str(caught.value)


ODD = {"a.b": 1, "x[0]": 2, "it's": 3, '"q"': 4, "a b": 5, "a\\b": 6, "a]b": 7, "[*]": 8,
       "": 9, "é": 10, "a": {"b": 11}, "x": [12], 'say "hi"': {"to": "you"}}
"""Keys holding dots, brackets, quotes, spaces and backslashes, beside the fields a plain path
would read instead (a.b, x[0])."""


@pytest.mark.parametrize(("text", "value"), [
    ('data["a.b"]', 1), ("data.a.b", 11),
    ('data["x[0]"]', 2), ("data.x[0]", 12),
    ('data["it\'s"]', 3), ("data['it\\'s']", 3),
    ('data["\\"q\\""]', 4), ("data['\"q\"']", 4),
    ('data["a b"]', 5), ('data["a\\\\b"]', 6), ('data["a]b"]', 7), ('data["[*]"]', 8),
    ('data[""]', 9), ('data["é"]', 10), ('data["say \\"hi\\""].to', "you"),
])
def test_a_key_holding_dots_brackets_quotes_or_spaces_is_named_quoted(odd_keys, text, value):
    """Found by helper P: a key holding a quote, a backslash or square brackets could not be
    named at all (the filter said so, and offered [*], which tests every key); the window's
    paths wrote such a key unreadably (holds["x[0]"] read back as the keys 'x[' and '"]')."""
    written = f'"{value}"' if isinstance(value, str) else str(value)
    assert matching(odd_keys, f"{text} = {written}") == [1], text
    assert matching(odd_keys, f"{text} exists") == [1], text
    assert matching(odd_keys, f"{text} != {written}") == [], text
    state = f"state{text[len('data'):]} = {written}"
    assert predicate(parse_state_condition(state))(ODD) is True, state


def test_each_odd_key_is_written_into_a_path_the_filter_reads(odd_keys):
    """What the window offers (explorer.common.field_paths.child_path: a change's path, Watch
    This) names the key it was made of."""
    for key, value in ODD.items():
        if isinstance(value, int):
            path = child_path("data", key)
            assert matching(odd_keys, f"{path} = {value}") == [1], path


@pytest.mark.parametrize(("text", "said"), [
    ('data["a.b = 1', 'The key quoted after data is not closed with "]'),
    ('data["a"b"] = 1', 'The key quoted after data is not closed with "]'),
    ("data['it's'] = 1", "The key quoted after data is not closed with ']"),
    ('data.x["a\\"] = 1', 'The key quoted after data.x is not closed with "]'),
])
def test_a_quoted_key_not_closed_is_told_how_to_write_it(text, said):
    with pytest.raises(FilterError, match="a quote or a backslash inside it after a backslash") \
            as caught:
        parse_filter(text)
    assert said in str(caught.value)


@pytest.fixture
def odd_keys(store):
    store.append("odd", "Odd", [NewEvent("E", ODD)])
    store.append("plain", "Odd", [NewEvent("E", {"q": 4, "it": 3, "s": 3, "b": 11, "a": 1})])
    return store


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
        watcher.parse('conf.pycon@berlin.holds["a].state')
    assert watcher.parse('conf.pycon@berlin.holds["a]b"]') is not None  # a key like another


@pytest.mark.sqlite_only("the JSON text is written into the file as another program wrote it")
def test_a_key_stored_with_escapes_is_found(store, backend):
    """Another program's JSON (Python's json.dumps, the eventsourcing library) writes é as
    \\u00e9 and a backslash as \\\\: SQLite's paths before 3.45 compare a key as stored, so
    data["é"] found no such key (found by helper P); a quoted key is now looked up as JSON
    reads it."""
    import json
    import sqlite3

    store.append("odd", "Odd", [NewEvent("E", {})])
    location = store.location
    store.close()
    db = sqlite3.connect(location)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET data = ?",
               (json.dumps({"é": {"n": 1}, "a\\b": 2, "s": "é"}, ensure_ascii=True),))
    db.commit()
    db.close()
    from explorer.store import EventStore
    with EventStore.open(location, read_only=True) as reopened:
        for text in ('data["é"].n = 1', 'data["a\\\\b"] = 2', 'data["é"] exists',
                     'data.s = "é"', 'data["é"][*] = 1'):
            assert matching(reopened, text) == [1], text
