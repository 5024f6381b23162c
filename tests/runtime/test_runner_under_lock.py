"""A runner started, or its sagas turned on, while another program holds the store's write lock
waits the lock out as it does any other: it used to end at once ('Cannot record store
information: ... locked by another program'), `run` with status 1 and the window's runner
process ended (restarted, ending again), because recording the system in a store that did not
name it yet was a write done before the first pass, outside the retrying."""

from __future__ import annotations

import sqlite3

import pytest

from explorer.demo.seed import seed_store
from explorer.domain import CommandService
from explorer.runtime.runner import Runner
from explorer.store import sqlite as sqlite_backend
from explorer.system.discovery import load_system
from explorer.system.workspace import META_NAME, open_store

SHOP = load_system("shop")


@pytest.fixture
def unnamed(tmp_path, monkeypatch):
    """A shop store that names no system yet, and a lock waited for a tenth of a second."""
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=5, seed=3)  # (names no system)
        assert META_NAME not in store.meta()
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_S", 0.1)
    return path


class Holder:
    """Another program holding the store's write lock (a `BEGIN IMMEDIATE` left open)."""

    def __init__(self, path) -> None:
        self.connection: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.connection is not None:
            self.connection.execute("COMMIT")
            self.connection.close()
            self.connection = None


def retried_then_through(runner: Runner, holder: Holder) -> list[str]:
    """Run a pass while the lock is held (retried until the second retry), then once it is let
    go; the retries' messages."""
    said: list[str] = []
    runner.run_pending(should_stop=lambda: len(said) >= 2,
                       on_retry=lambda error: said.append(str(error)))
    holder.release()
    runner.run_pending(on_retry=lambda error: said.append(str(error)))
    return said


def test_a_runner_started_while_the_store_is_locked_waits_for_the_lock(unnamed):
    holder = Holder(unnamed)
    try:
        runner = Runner(str(unnamed), SHOP)
    except BaseException:
        holder.release()
        raise
    with runner:
        said = retried_then_through(runner, holder)
        assert len(said) >= 2 and all("locked by another program" in text for text in said)
        assert runner.store.meta()[META_NAME] == "shop"  # recorded once the lock was let go
        assert runner.retrying is None and runner.status().sagas_enabled


def test_sagas_turned_on_while_the_store_is_locked_wait_for_the_lock(unnamed):
    with Runner(str(unnamed), SHOP, run_sagas=False) as runner:
        runner.run_pending()
        holder = Holder(unnamed)
        try:
            runner.set_sagas(True)  # (the window's "Run sagas in this window")
        except BaseException:
            holder.release()
            raise
        said = retried_then_through(runner, holder)
        assert said and all("locked by another program" in text for text in said)
        assert runner.store.meta()[META_NAME] == "shop"
        assert runner.sagas and runner.retrying is None


def test_the_projections_catch_up_while_the_sagas_wait_for_the_lock(unnamed):
    """The projections only read the store: a saga step waiting for another program's lock
    held them back too (the whole pass was retried), so the read models, and what the window
    shows of them, stayed behind for as long as the lock was held."""
    with open_store(unnamed, system=SHOP) as store:
        CommandService(store, SHOP.domain).execute("Order", "order_late", "place", {
            "customer_id": "cust_001", "total": 5.0,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 5.0}]})
        last = store.last_position()
    holder = Holder(unnamed)
    try:
        with Runner(str(unnamed), SHOP) as runner:
            said: list[str] = []
            runner.run_pending(should_stop=lambda: len(said) >= 1,
                               on_retry=lambda error: said.append(str(error)))
            assert said and "locked by another program" in said[0]
            assert [(p.name, p.checkpoint) for p in runner.engine.statuses()] == [
                (name, last) for name in runner.engine.names]
            holder.release()
            runner.run_pending()
            assert runner.store.last_position() > last  # the saga's steps, once let go
    finally:
        holder.release()
