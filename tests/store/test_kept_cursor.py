"""The store's hot statements (appends, loads, pages of the log) run on one cursor kept for them
(damage.KeptCursor), not a cursor made and let go a statement; their errors are said as the
guarded connection's are, and a statement that failed is let go without stopping the next."""

from __future__ import annotations

import sqlite3

import pytest

from explorer.store import damage
from explorer.store.errors import StoreDamagedError
from explorer.store.event_store import EventStore
from explorer.store.records import AppendRequest, NewEvent
from tests.reliability.corpus import _garble_text, _rewrite


def made(n: int) -> list[NewEvent]:
    return [NewEvent("ItemAdded", {"n": n, "text": "ünï\"code"}, {"correlation_id": f"c-{n}"})]


def test_appends_and_reads_make_no_cursor_a_statement(tmp_path, monkeypatch):
    store = EventStore.open(tmp_path / "s.evstore", create=True)
    made_cursors: list[object] = []
    make = damage._cursor

    def counted(connection, *args):
        made_cursors.append(connection)
        return make(connection, *args)
    monkeypatch.setattr(damage, "_cursor", counted)
    for n in range(5):
        store.append("order-1", "Order", made(n), expected_version=n)
    store.append_batch([AppendRequest(f"order-{k}", "Order", made(k), 0) for k in range(2, 5)])
    assert [event.data["n"] for event in store.read_all()] == [0, 1, 2, 3, 4, 2, 3, 4]
    assert len(store.read_stream("order-1")) == len(store.replay_rows("order-1")) == 5
    assert store.replay_after_snapshot("order-1")[0] is None
    assert store.last_position() == store.event_at(8).position == 8
    assert made_cursors == []  # (each statement made one before)
    store.close()


def test_a_statement_that_failed_is_let_go_and_the_next_runs(tmp_path):
    with EventStore.open(tmp_path / "s.evstore", create=True) as store:
        store.append("order-1", "Order", made(1))
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            store._hot.rows("SELECT * FROM no_table")
        with pytest.raises(sqlite3.IntegrityError):
            store._hot.run("INSERT INTO store_meta (key, value) VALUES ('schema', 'x')")
        result = store.append("order-1", "Order", made(2), expected_version=1)
        assert [event.version for event in store.read_all()] == [1, 2]
        assert store.read_stream("order-1")[-1] == result.events[0]


def test_damage_met_by_a_page_of_the_log_is_said_as_damage(tmp_path):
    path = tmp_path / "s.evstore"
    with EventStore.open(path, create=True) as store:
        for n in range(30):
            store.append(f"order-{n}", "Order", made(n))
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _rewrite(path, _garble_text(b"c-17"))  # a correlation id no longer UTF-8
    with EventStore.open(path, read_only=True) as store:
        with pytest.raises(StoreDamagedError, match="not valid UTF-8"):
            list(store.read_all())
        assert store.event_at(3).correlation_id == "c-2"  # the statement after it runs
        with pytest.raises(StoreDamagedError):
            store.read_page(10)
    assert sorted(item.name for item in tmp_path.iterdir()) == ["s.evstore"]
