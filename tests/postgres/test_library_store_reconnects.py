"""The `eventsourcing` library's tables on a PostgreSQL server, followed across a restart of the
server: while it is away the store says it is reconnecting and shows what it copied; once it is
back, what the application wrote meanwhile arrives (it stayed at the last event before, 'Live'
for ever). On a cluster of the test's own (it is stopped)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from bench.postgres_server import PostgresServer
from explorer.store.event_store import EventStore
from explorer.store.watch import AppendWatcher
from tests.backends import a_postgres_server
from tests.foreign.bank import Bank
from tests.postgres.test_library_store import heard


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    yield from a_postgres_server()


def bank_on(server: PostgresServer) -> Bank:
    return Bank(env={"PERSISTENCE_MODULE": "eventsourcing.postgres",
                     "POSTGRES_DBNAME": "postgres", "POSTGRES_HOST": "127.0.0.1",
                     "POSTGRES_PORT": str(server.port), "POSTGRES_USER": server.superuser,
                     "POSTGRES_PASSWORD": "", "POSTGRES_SCHEMA": "public"})


def test_a_library_store_on_a_server_follows_it_again_after_a_restart(own_server):
    app = bank_on(own_server)
    account = app.open_account("first")
    app.credit(account, Decimal("1.00"))
    app.close()
    with EventStore.open(own_server.url(schema="public"), read_only=True) as store:
        watcher = AppendWatcher(store)
        assert watcher.poll() is None and store.last_position() == 2
        own_server.pause()
        deadline = time.monotonic() + 30
        while not store.reconnecting:  # (a poll finds the connection gone)
            assert watcher.poll() is None and time.monotonic() < deadline
        assert [e.position for e in store.read_all()] == [1, 2]  # what was copied, still read
        own_server.resume()
        app = bank_on(own_server)
        try:
            app.credit(account, Decimal("2.50"))
        finally:
            app.close()
        assert heard(watcher, within_s=30) == 3
        assert not store.reconnecting
        assert [e.data for e in store.read_all()][-1] == {"amount": "2.50"}
