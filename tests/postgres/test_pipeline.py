"""Appends on a server go in one round trip (one stream's, the server choosing positions) or
are pipelined (the lock and the log's end in one round trip, the rows and the COMMIT in
another), and many rows go as one INSERT of arrays: a row the server refuses is still refused as
it was, wherever in the pipeline its error comes back, the store goes on working, and what an
append stores reads back as given."""

from __future__ import annotations

import select

import pytest

from explorer.store import (
    NO_STREAM,
    AppendRequest,
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    NewEvent,
    postgres_append,
)
from explorer.store.postgres_location import json_form


def statements_sent(store):
    """What the store sends from now on, each statement up to its first parenthesis."""
    sent = []
    execute = store._server.execute

    def recording(sql, parameters=None):
        sent.append(sql.split("(")[0])
        return execute(sql, parameters)
    store._server.execute = recording
    return sent


@pytest.mark.parametrize("surfaces", ["at the commit", "before the commit"])
def test_a_refused_row_is_refused_wherever_its_error_comes_back(store_url, surfaces):
    with EventStore.open(store_url) as store:
        store.append("order_1", "Order", [NewEvent("A", {}, event_id="e-1")], NO_STREAM)
        server = store._db
        pipelined = []  # whether each INSERT of events was sent in a pipeline
        execute, executemany = server.execute, server.executemany

        def sent(sql):
            if sql.startswith("INSERT INTO events"):
                pipelined.append(server.pipelining)
                if server.pipelining and surfaces == "before the commit":
                    # as when its result arrives while more is queued: the server answers
                    # what it has so far
                    pgconn = server.connection.pgconn
                    pgconn.send_flush_request()
                    pgconn.flush()
                    select.select([pgconn.socket], [], [], 10)  # (and it has: the next
                    # statement queued reads the refusal, before the COMMIT)

        def executing(sql, parameters=None):
            cursor = execute(sql, parameters)
            sent(sql)
            return cursor

        def executing_many(sql, rows):
            cursor = executemany(sql, rows)
            sent(sql)
            return cursor
        server.execute, server.executemany = executing, executing_many
        with pytest.raises(DuplicateEventError, match="e-1"):  # (two streams: pipelined)
            store.append_batch([
                AppendRequest("order_2", "Order", [NewEvent("A", {}, event_id="e-1")], NO_STREAM),
                AppendRequest("order_3", "Order", [NewEvent("A", {}, event_id="e-3")], NO_STREAM)])
        assert pipelined == [True]
        store.append("order_2", "Order", [NewEvent("B", {}, event_id="e-2")], NO_STREAM)
        assert [(e.position, e.event_id) for e in store.read_all()] == [(1, "e-1"), (2, "e-2")]


def test_a_batch_goes_as_one_insert_and_reads_back_as_given(store_url):
    tricky = ['quote " and \\ backslash', "{braces, comma}", "NULL", "ünïcode ✓ 𝄞", "",
              "\\u0000 escaped, \u0001 control, \t tab, \n newline", "'single' quotes"]
    requests = [AppendRequest(f"s-{n}", "T", [
        NewEvent("E", {"text": text}, {} if n % 2 else {"correlation_id": f"c-{n}"})
        for text in tricky], NO_STREAM) for n in range(3)]
    with EventStore.open(store_url) as store:
        store.append_batch(requests)
        read = list(store.read_all())
    size = len(tricky)
    assert [e.data["text"] for e in read] == tricky * 3
    assert [e.correlation_id for e in read] == ["c-0"] * size + [None] * size + ["c-2"] * size
    assert [(e.position, e.stream_id, e.version) for e in read] == [
        (n * size + v, f"s-{n}", v) for n in range(3) for v in range(1, size + 1)]


def test_only_a_plain_insert_of_typed_parameters_has_a_json_form(store_url):
    with EventStore.open(store_url) as store:
        statements = store._sql
    bulk = json_form(statements.insert_event.sql)
    assert bulk is not None and bulk.startswith(
        "INSERT INTO events (position, stream_id, stream_type, version, event_id, event_type, "
        "schema_version, timestamp, correlation_id, data, metadata) SELECT (r ->> 0)::BIGINT, "
        "(r ->> 1)::VARCHAR, ")
    assert bulk.endswith("(r ->> 10)::VARCHAR FROM jsonb_array_elements(%s::jsonb) AS r")
    assert bulk.count("%s") == 1 and "COLLATE" not in bulk
    assert json_form(statements.upsert_stream.sql) is None  # ON CONFLICT: rows may meet
    assert json_form(statements.insert_links.sql) is None  # a parameter without its type


def test_an_append_after_another_sessions_goes_in_one_round_trip(store_url):
    """The server chooses an append's positions, so an append is sent once whoever appended
    since: no read of the log's end, no refused try."""
    with EventStore.open(store_url) as here, EventStore.open(store_url) as there:
        here.append("order_1", "Order", [NewEvent("Placed", {})], NO_STREAM)
        there.append("order_2", "Order", [NewEvent("Placed", {})], NO_STREAM)
        there.append("order_2", "Order", [NewEvent("Paid", {})], 1)
        sent = statements_sent(here)
        result = here.append("order_1", "Order", [NewEvent("Paid", {})], 1)
        anywhere = here.append("order_2", "Order", [NewEvent("Shipped", {})])  # (any version)
    assert [e.position for e in result.events] == [4]
    assert [(e.position, e.version) for e in anywhere.events] == [(5, 3)]
    assert sent == [f"SELECT * FROM {postgres_append.FUNCTION}"] * 2
    assert [(e.position, e.stream_id) for e in EventStore.open(store_url).read_all()] == [
        (1, "order_1"), (2, "order_2"), (3, "order_2"), (4, "order_1"), (5, "order_2")]


def test_a_batch_reads_its_streams_heads_with_the_lock_and_the_logs_end(store_url):
    """One round trip for the lock, the log's end and the streams' heads (queued before the
    log's end is read: its result is the first one waited for), one for the writes."""
    with EventStore.open(store_url) as store:
        store.append("s-0", "T", [NewEvent("E", {})], NO_STREAM)
        sent = []
        execute = store._server.execute

        def recording(sql, parameters=None):
            sent.append(sql)
            return execute(sql, parameters)
        store._server.execute = recording
        results = store.append_batch([
            AppendRequest("s-0", "T", [NewEvent("E", {})], 1),
            AppendRequest("s-1", "T", [NewEvent("E", {})], NO_STREAM)])
        statements = store._sql
    assert [(r.stream_id, r.version) for r in results] == [("s-0", 2), ("s-1", 1)]
    assert sent[:4] == ["BEGIN", "SELECT pg_advisory_xact_lock(%s)",
                        statements.stream_heads.sql, statements.append_tail.sql]


def test_a_conflict_is_told_by_the_refused_try_itself(store_url):
    """A stale expected version with new events: the server's refused try says none of them is
    stored, so the conflict is raised without asking the server again; a retried request (its
    events stored already) is still recognised and read back."""
    with EventStore.open(store_url) as here, EventStore.open(store_url) as there:
        here.append("order_1", "Order", [NewEvent("Placed", {}, event_id="e-1")], NO_STREAM)
        there.append("order_1", "Order", [NewEvent("Paid", {}, event_id="e-2")], 1)
        sent = statements_sent(here)
        with pytest.raises(ConcurrencyError, match="expected version 1, but it is at version 2"):
            here.append("order_1", "Order", [NewEvent("Paid", {}, event_id="e-3")], 1)
        assert sent == [f"SELECT * FROM {postgres_append.FUNCTION}"]
        again = here.append("order_1", "Order", [NewEvent("Paid", {}, event_id="e-2")], 1)
        assert again.duplicate and [e.position for e in again.events] == [2]
    assert [e.event_id for e in EventStore.open(store_url).read_all()] == ["e-1", "e-2"]


def test_an_append_at_the_logs_end_stores_its_rows_as_given(store_url):
    """The server-side append takes its rows as one JSON text: awkward text, nulls and big
    numbers read back as given, and the chain over them holds."""
    from explorer.store.check import check_store

    tricky = ['quote " and \\ backslash', "{braces, comma}", "NULL", "ünïcode ✓ 𝄞", "",
              "\\u0000 escaped, \u0001 control, \t tab, \n newline", "'single' quotes"]
    with EventStore.open(store_url) as store:
        store.append("s-0", "T", [NewEvent("E", {})], NO_STREAM)
        sent = statements_sent(store)
        result = store.append("s-0", "T", [
            NewEvent(f"E {n}", {"text": text, "big": 2 ** 62 + n}, {"correlation_id": text}
                     if n % 2 else {}) for n, text in enumerate(tricky)], 1)
        assert sent == [f"SELECT * FROM {postgres_append.FUNCTION}"]
        read = list(store.read_all())[1:]
        report = check_store(store)
    assert report.ok, report.to_dict()
    assert [e.data for e in read] == [{"text": t, "big": 2 ** 62 + n} for n, t in enumerate(tricky)]
    assert [e.correlation_id for e in read] == [t if n % 2 else None
                                                for n, t in enumerate(tricky)]
    assert [(e.position, e.version, e.event_type) for e in read] == [
        (2 + n, 2 + n, f"E {n}") for n in range(len(tricky))]
    assert [e.position for e in result.events] == [e.position for e in read]


def test_an_append_is_announced_once(store_url):
    """An append's commit is one notification, whichever way it went (the server's append, or
    a batch)."""
    with EventStore.open(store_url) as store:
        store.append("s-0", "T", [NewEvent("E", {})], NO_STREAM)
        with store.server.connect(read_only=True) as listener:
            listener.execute(f'LISTEN "{store.server.channel}"')
            store.append("s-0", "T", [NewEvent("E", {}), NewEvent("E", {})], 1)
            store.append_batch([AppendRequest("s-1", "T", [NewEvent("E", {})], NO_STREAM),
                                AppendRequest("s-2", "T", [NewEvent("E", {})], NO_STREAM)])
            store.append("s-0", "T", [NewEvent("E", {})], 3)
            heard = [n.payload for n in listener.notifies(timeout=2, stop_after=4)]
    assert len(heard) == 3, heard


def test_a_refused_append_looks_its_events_up_by_index(store_url):
    """Whether a refused append's events are stored is asked of the event id's index, not by
    reading every event: on a table the planner has no statistics for yet (a new store), a
    join was planned as a scan of the whole log, each conflict costing more as the log grew."""
    from explorer.store.encoding import prepare

    with EventStore.open(store_url) as store:
        store.append_batch([AppendRequest(f"s-{n}", "T", [NewEvent("E", {"n": n})
                                                          for _ in range(10)], NO_STREAM)
                            for n in range(300)])
        stale = prepare(AppendRequest("s-0", "T", [NewEvent("E", {}, event_id="late")], 3),
                        store.registry)
        schema_name = store.server.schema
        with store.server.connect(read_only=False) as session:
            session.execute("BEGIN")
            answer = session.execute(postgres_append.CALL.replace(
                postgres_append.FUNCTION, f'"{schema_name}".{postgres_append.FUNCTION}'),
                postgres_append.parameters(store._log_lock, stale)).fetchone()
            scans = session.execute(
                "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables "
                "WHERE schemaname = %s AND relname = 'events'", (schema_name,)).fetchone()
            session.execute("ROLLBACK")
    assert postgres_append.Answer(*answer)[3:] == (10, False, False)
    assert scans[0] == 0 and scans[1] >= 1, scans


def test_a_batch_sent_as_it_is_made_is_written_whole_or_not_at_all(store_url):
    """A batch of many requests goes to the server STREAMED_REQUESTS at a time, while the
    rest are made: all of it reads back in order and linked, and a stale version or a stored
    event id in its last part writes none of it."""
    from explorer.store import postgres
    from explorer.store.check import check_store

    per = postgres.STREAMED_REQUESTS
    requests = [AppendRequest(f"s-{n}", "T", [NewEvent("E", {"n": n, "k": k}) for k in range(3)],
                              NO_STREAM) for n in range(2 * per + 3)]
    with EventStore.open(store_url) as store:
        store.append("s-0", "T", [NewEvent("E", {"first": True}, event_id="e-0")], NO_STREAM)
        sent, executemany = [], store._server.executemany

        def sending_many(sql, rows):
            sent.append(sql.split("(")[0])
            return executemany(sql, rows)
        store._server.executemany = sending_many
        with pytest.raises(ConcurrencyError):  # (s-0 is at version 1: its request is first)
            store.append_batch(requests)
        late = requests[1:] + [AppendRequest("s-late", "T", [
            NewEvent("E", {}, event_id="e-0")], NO_STREAM)]
        with pytest.raises(DuplicateEventError, match="e-0"):
            store.append_batch(late)
        assert store.last_position() == 1
        written = store.append_batch(requests[1:])
        inserts = [statement for statement in sent if statement.startswith("INSERT INTO events")]
        read = list(store.read_all())
        report = check_store(store)
    assert report.ok, report.to_dict()
    assert len(inserts) == 2 * 3  # (two tries reached the inserts: each in three parts)
    assert [(e.stream_id, e.version, e.data) for e in read[1:]] == [
        (f"s-{n}", k + 1, {"n": n, "k": k}) for n in range(1, 2 * per + 3) for k in range(3)]
    assert [e.position for result in written for e in result.events] == list(
        range(2, len(read) + 1))


def test_a_request_repeated_in_a_batch_is_refused_wherever_the_parts_begin(store_url):
    """A batch's parts are sent before the rest is made: a later request asking whether its
    events are stored does not count those of this batch sent already, so a request given twice
    is a conflict whether the two are in one part or two (failed before, in two: written once,
    the second taken for a retry)."""
    from explorer.store import postgres

    again = AppendRequest("s-once", "T", [NewEvent("E", {}, event_id="once")], NO_STREAM)
    others = [AppendRequest(f"s-{n}", "T", [NewEvent("E", {})], NO_STREAM)
              for n in range(postgres.STREAMED_REQUESTS + 5)]
    with EventStore.open(store_url) as store:
        for batch in ([again, again, *others], [again, *others, again]):
            with pytest.raises(ConcurrencyError, match="s-once"):
                store.append_batch(batch)
        assert store.last_position() == 0


def test_a_clash_on_another_constraint_is_told_as_damage_not_a_duplicate_id(
        store_url, schema_name, admin):
    """The server's message quotes the statement it refused, naming event_id whichever
    constraint failed: a clash of positions or versions (a stream index behind its events) is
    damage to check, not a duplicate event id (failed before: 'Events with ids  are already
    stored')."""
    from explorer.store import StoreError

    with EventStore.open(store_url) as store:
        store.append("s", "T", [NewEvent("E", {})], NO_STREAM)
        admin.execute(f"DELETE FROM {schema_name}.streams")  # (the index behind the events)
        for append in (lambda: store.append("s", "T", [NewEvent("E", {})], NO_STREAM),
                       lambda: store.append_batch([
                           AppendRequest("s", "T", [NewEvent("E", {})], NO_STREAM),
                           AppendRequest("t", "T", [NewEvent("E", {})], NO_STREAM)])):
            with pytest.raises(StoreError, match="run `check`") as refused:
                append()
            assert not isinstance(refused.value, DuplicateEventError)
        assert store.last_position() == 1


def test_the_plain_append_of_many_rows_sends_them_as_one_json_text(store_url):
    """Where the store has no server-side append (a role that may not make it), many rows go
    as the one-row INSERT's JSON form, one statement, not as VALUES lists of a hundred rows
    (the files' way: psycopg converts such a statement again each time)."""
    with EventStore.open(store_url) as store:
        store._append_call = None
        many, executemany = [], store._server.executemany

        def sending_many(sql, rows):
            many.append((sql, len(rows)))
            return executemany(sql, rows)
        store._server.executemany = sending_many
        store.append("s", "T", [NewEvent("E", {"n": n}) for n in range(150)], NO_STREAM)
        assert many == [(store._sql.insert_event.sql, 150)]  # (failed before: 100 and 50)
        assert [e.data["n"] for e in store.read_all()] == list(range(150))
