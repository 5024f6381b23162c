"""A chunk whose read-model connection is lost as its rows are written, or as a handler reads
a row, is retried as any transient failure, not taken for a handler's mistake: a value the
server holds (a Decimal in a Numeric column) was said to be one "a column cannot hold", and
the projection faulted at an event nothing was wrong with; a row read was said as the
handler's error (AdminShutdown ... in handle) and the ROLLBACK on the lost connection ended
catch-up in a traceback."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from explorer.projections import Projection, ProjectionEngine, Writes, versioned_table
from explorer.projections.database import open_read_models
from explorer.projections.postgres_readmodels import ReadModelsReconnectedError
from explorer.projections.versioned import VersionedWriter
from explorer.store import EventStore, NewEvent, RecordedEvent

TABLE = versioned_table("balances", sa.MetaData(), [sa.Column("account", sa.Text)],
                        [sa.Column("balance", sa.Numeric)])


class Balances(Projection):
    name = "balances"
    title = "Balances"
    event_types = frozenset({"Deposited"})
    tables = (TABLE,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        row = writes.get("balances", event.stream_id)
        before = row["balance"] if row is not None else Decimal(0)
        writes.put("balances", (event.stream_id,), balance=before + Decimal(event.data["amount"]))


def test_a_connection_lost_while_a_chunk_is_written_is_no_fault(store_url, admin, monkeypatch):
    with EventStore.open(store_url, create=True) as store:
        for n in (1, 2, 3):
            store.append(f"account_{n}", "Account", [NewEvent("Deposited", {"amount": "1.50"})],
                         0)
        with open_read_models(store.location, False) as db:
            engine = ProjectionEngine(store, db, [Balances()])
            flush = VersionedWriter.flush

            def lost_then_flush(writer: VersionedWriter) -> int:
                monkeypatch.setattr(VersionedWriter, "flush", flush)  # (once)
                pid = db._server.connection.info.backend_pid
                assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
                return flush(writer)

            monkeypatch.setattr(VersionedWriter, "flush", lost_then_flush)
            with pytest.raises(ReadModelsReconnectedError):  # (the runner retries it)
                engine.catch_up_all()
            assert engine.statuses()[0].fault is None
            engine.catch_up_all()
            status = engine.statuses()[0]
            assert status.fault is None and status.checkpoint == store.last_position()
            assert sorted((r["account"], r["balance"]) for r in engine.rows("balances")) == [
                (f"account_{n}", Decimal("1.50")) for n in (1, 2, 3)]


def test_a_connection_lost_as_a_handler_reads_a_row_is_no_fault(store_url, admin, monkeypatch):
    with EventStore.open(store_url, create=True) as store:
        for n in (1, 2, 3):
            store.append(f"account_{n}", "Account", [NewEvent("Deposited", {"amount": "1.50"})],
                         0)
        with open_read_models(store.location, False) as db:
            engine = ProjectionEngine(store, db, [Balances()])
            stored = VersionedWriter._stored

            def lost_then_read(writer: VersionedWriter, key: tuple[str, ...]) -> object:
                monkeypatch.setattr(VersionedWriter, "_stored", stored)  # (once)
                pid = db._server.connection.info.backend_pid
                assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
                return stored(writer, key)

            monkeypatch.setattr(VersionedWriter, "_stored", lost_then_read)
            with pytest.raises(ReadModelsReconnectedError):  # (the runner retries it)
                engine.catch_up_all()
            engine.catch_up_all()
            status = engine.statuses()[0]
            assert status.fault is None and status.checkpoint == store.last_position()
