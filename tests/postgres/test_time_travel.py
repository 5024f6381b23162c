"""Time travel on a store on a server is faithful as on a file: an aggregate at P (from its
snapshots and events) is the replay of its events up to P, and a read model at P is the one
built from nothing but the events up to P (tests/timetravel/test_fidelity.py, on PostgreSQL)."""

from __future__ import annotations

import pytest

from explorer.projections import ProjectionEngine, ReadModelDatabase, read_rows
from explorer.projections.database import open_read_models
from explorer.runtime.runner import Runner
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine, diff
from explorer.timetravel.whatif import Sandbox
from tests.timetravel.test_fidelity import UpTo, replay

SHOP = load_system("shop")


@pytest.fixture
def history(store_url):
    """A shop's history on the server, its aggregates snapshotted every 3 events, and its read
    models built by the runner."""
    aggregates = [cls for cls in SHOP.domain.aggregates.values() if cls.snapshot_every]
    old = [cls.snapshot_every for cls in aggregates]
    for cls in aggregates:
        cls.snapshot_every = 3
    try:
        with open_store(store_url, system=SHOP, create=True) as store:
            SHOP.seeder.seed(store, size=15, seed=8, days=20, recent=False)
    finally:
        for cls, every in zip(aggregates, old, strict=True):
            cls.snapshot_every = every
    with Runner(store_url, SHOP, run_sagas=False) as runner:
        runner.run_pending()
    return store_url


def test_aggregates_and_read_models_at_p_equal_replays_up_to_p(history, tmp_path):
    with open_store(history, system=SHOP, read_only=True) as store, \
            open_read_models(history, False, read_only=True) as built:
        machine = TimeMachine(store, None, SHOP)
        last = store.last_position()
        assert any(store.latest_snapshot(s.stream_id) for s in store.list_streams())
        for position in (1, last // 3, last // 2, last - 1, last):
            for stream in store.list_streams()[::4]:
                expected = replay(store, SHOP, stream.stream_id, position)
                if not expected:
                    continue  # the stream did not exist yet at P
                shown = machine.aggregate_at(stream.stream_id, position)
                assert shown.state == expected, (stream.stream_id, position)
                assert shown.changes == diff(replay(store, SHOP, stream.stream_id,
                                                    shown.event.position - 1), expected)
            with ReadModelDatabase(tmp_path / f"fresh-{position}.readmodels") as fresh:
                ProjectionEngine(UpTo(store, position), fresh, SHOP.projections()).catch_up_all()
                for projection in SHOP.projections():
                    for table in projection.tables:
                        assert read_rows(built, table, at_position=position, limit=None) == \
                            read_rows(fresh, table, limit=None), (table.name, position)


def test_what_if_branches_a_server_store_into_a_sandbox_file(history):
    with open_store(history, system=SHOP, read_only=True) as store:
        last = store.last_position()
    position = last // 2
    sandbox = Sandbox.create(history, position, SHOP)
    try:
        with open_store(sandbox.path, system=SHOP, read_only=True) as branch:
            assert branch.last_position() == position
        result = sandbox.execute("Order", "order_whatif", "place", {
            "customer_id": "cust_001", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        assert result.events[0].position == position + 1
        assert "FulfilmentStarted" in [e.event_type for e in sandbox.new_events()]
        assert ("order_summary", "order_whatif") in {(c.projection, c.key)
                                                     for c in sandbox.changes()}
    finally:
        sandbox.discard()
    with open_store(history, system=SHOP, read_only=True) as store:
        assert store.last_position() == last  # the server's store was only read
