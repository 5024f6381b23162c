"""A runner whose read-model connection the server dropped (its session ended by an
administrator) connects again and goes on: at the next pass, holding again what it advanced,
with its keepalives; work in hand in a transaction is retried as a transient failure; and what
another runner took over meanwhile is not taken back."""

from __future__ import annotations

import pytest

from explorer.demo import DEMO_DOMAIN
from explorer.domain import CommandService
from explorer.projections.postgres_readmodels import ReadModelsReconnectedError
from explorer.runtime.runner import Runner
from explorer.sagas.backoff import TRANSIENT_ERRORS
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store

SHOP = load_system("shop")
LINE = {"product_id": "prod_101", "quantity": 2, "price": 29.99}


def seeded(location) -> str:
    with open_store(location, system=SHOP, create=True) as store:
        SHOP.seeder.seed(store, size=4, seed=5, days=10, recent=False)
    return str(location)


def place_order(location: str, order_id: str) -> int:
    """A new order placed by another process's store; the log's end after it."""
    with open_store(location, system=SHOP) as store:
        CommandService(store, DEMO_DOMAIN, issued_by="test").execute(
            "Order", order_id, "place", {"customer_id": "c", "items": [LINE], "total": 59.98})
        return store.last_position()


def end_read_model_session(admin, runner: Runner) -> int:
    pid = runner.db._server.connection.info.backend_pid
    assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    return pid


def advisory_locks_of(admin, pid: int) -> int:
    return admin.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                         "granted AND pid = %s", (pid,)).fetchone()[0]


def test_a_runner_whose_read_model_session_is_ended_goes_on(store_url, admin):
    with Runner(seeded(store_url), SHOP, run_sagas=False) as runner:
        runner.run_pending()
        ended = end_read_model_session(admin, runner)
        last = place_order(store_url, "o-after")
        assert runner.run_pending() >= 1
        assert {s.name: s.checkpoint for s in runner.engine.statuses()} == {
            name: last for name in runner.engine.names}
        pid = runner.db._server.connection.info.backend_pid
        assert pid != ended and runner.advances_all()
        assert advisory_locks_of(admin, pid) == len(runner.work())  # held again, there
        assert runner.db._server.execute("SHOW tcp_keepalives_idle").fetchone()[0] == "5"


def test_a_transaction_whose_connection_is_lost_is_tried_again(store_url, admin):
    with Runner(seeded(store_url), SHOP, run_sagas=False) as runner:
        runner.run_pending()
        with pytest.raises(ReadModelsReconnectedError,
                           match="lost in a transaction .* connected again") as lost, \
                runner.db.transaction() as db:
            end_read_model_session(admin, runner)
            db.execute("SELECT 1")
        assert isinstance(lost.value, TRANSIENT_ERRORS)  # (the runner's passes retry it)
        last = place_order(store_url, "o-after")
        assert runner.run_pending() >= 1
        assert {s.checkpoint for s in runner.engine.statuses()} == {last}


def test_what_another_runner_took_over_meanwhile_is_not_taken_back(store_url, admin):
    with Runner(seeded(store_url), SHOP, run_sagas=False) as first, \
            Runner(store_url, SHOP, run_sagas=False) as second:
        first.run_pending()
        second.run_pending()
        assert first.advances_all() and not second.advancing
        end_read_model_session(admin, first)
        second.run_pending()  # (the first's locks went with its session)
        assert second.advances_all()
        place_order(store_url, "o-after")
        with pytest.raises(ReadModelsReconnectedError, match="another runner advances"):
            first.run_pending()
        first.run_pending()
        assert not first.advancing
        assert advisory_locks_of(admin, first.db._server.connection.info.backend_pid) == 0
