"""Appends on a server are pipelined (the lock and the log's end in one round trip, the rows and
the COMMIT in another): a row the server refuses is still refused as it was, wherever in the
pipeline its error comes back, and the store goes on working."""

from __future__ import annotations

import select

import pytest

from explorer.store import NO_STREAM, DuplicateEventError, EventStore, NewEvent


@pytest.mark.parametrize("surfaces", ["at the commit", "before the commit"])
def test_a_refused_row_is_refused_wherever_its_error_comes_back(store_url, surfaces):
    with EventStore.open(store_url) as store:
        store.append("order_1", "Order", [NewEvent("A", {}, event_id="e-1")], NO_STREAM)
        server = store._db
        if surfaces == "before the commit":  # as when its result arrives while more is queued
            execute = server.execute

            def reading_each_result(sql, parameters=None):
                cursor = execute(sql, parameters)
                if server.pipelining and sql.startswith("INSERT INTO events"):
                    pgconn = server.connection.pgconn  # the server answers what it has so far
                    pgconn.send_flush_request()
                    pgconn.flush()
                    select.select([pgconn.socket], [], [], 10)  # (and it has: the next
                    # statement queued reads the refusal, before the COMMIT)
                return cursor
            server.execute = reading_each_result
        with pytest.raises(DuplicateEventError, match="e-1"):
            store.append("order_2", "Order", [NewEvent("A", {}, event_id="e-1")], NO_STREAM)
        store.append("order_2", "Order", [NewEvent("B", {}, event_id="e-2")], NO_STREAM)
        assert [(e.position, e.event_id) for e in store.read_all()] == [(1, "e-1"), (2, "e-2")]
