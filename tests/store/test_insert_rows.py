"""Appended events are stored as given whether or not they have a correlation id: the inserts
write a missing one as NULL in the statement (statements.CORRELATION), and batches mixing
events with and without one, of any size around an insert's hundred rows, store every column
as the append returned it and keep the hash chain whole."""

from __future__ import annotations

import sqlite3

import orjson
import pytest

from explorer.store import AppendRequest, EventStore, NewEvent
from explorer.store.statements import EVENT_COLUMNS


def events(count: int, correlated: str) -> list[NewEvent]:
    """`count` events: none with a correlation id, each with one ("all", some "" and "x"), or
    every third with one ("some")."""
    made = []
    for n in range(count):
        if correlated == "all" or (correlated == "some" and n % 3 == 0):
            metadata = {"correlation_id": "" if n % 2 else f"c-{n}", "user": "ann"}
        else:
            metadata = {}
        made.append(NewEvent("ItemAdded", {"n": n, "text": "ünï\"code"}, metadata))
    return made


@pytest.mark.parametrize("sizes", [[1], [99], [100], [101], [250, 1, 100], [3, 7]])
@pytest.mark.parametrize("correlated", ["none", "all", "some"])
def test_stored_rows_are_the_appended_events_and_the_chain_holds(tmp_path, sizes, correlated):
    path = tmp_path / "s.evstore"
    store = EventStore.open(path, create=True)
    returned = []
    for batch, size in enumerate(sizes):
        results = store.append_batch([
            AppendRequest(f"order-{batch}-{part}", "Order", events(size, correlated), 0)
            for part in range(2)])
        returned += [event for result in results for event in result.events]
    store.close()
    columns = ", ".join(column.name for column in EVENT_COLUMNS)
    with sqlite3.connect(path) as db:
        stored = db.execute(f"SELECT {columns} FROM events ORDER BY position").fetchall()
    assert stored == [tuple(event[:9]) + (event.raw_data or _json(event.data),
                                          event.metadata_json) for event in returned]
    assert [row[8] for row in stored].count(None) == sum(
        1 for event in returned if event.correlation_id is None)
    if correlated == "none":
        assert all(row[8] is None for row in stored)
    EventStore.open(path)._verify_chain()  # raises StoreDamagedError where a link is wrong


def test_one_event_without_a_correlation_id_is_stored_with_null(tmp_path):
    store = EventStore.open(tmp_path / "s.evstore", create=True)
    result = store.append("order-1", "Order", events(1, "none"))
    again = store.append("order-1", "Order", events(1, "all"))
    assert [event.correlation_id for event in store.read_all()] == [None, "c-0"]
    assert store.read_all().__next__() == result.events[0]
    assert list(store.read_all())[1] == again.events[0]
    store._verify_chain()


def _json(data: dict) -> str:
    return orjson.dumps(data).decode()
