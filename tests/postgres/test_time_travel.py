"""What if, on a store on a server: the store is branched at P into a sandbox file, which takes
commands, runs its sagas and shows their changes, while the server's store is only read.
(That time travel on a server store is faithful, tests/timetravel/test_fidelity.py shows on
both backends.)"""

from __future__ import annotations

import pytest

from explorer.runtime.runner import Runner
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.timetravel.whatif import Sandbox

SHOP = load_system("shop")


@pytest.fixture
def history(store_url):
    """A shop's history on the server, and its read models built by the runner."""
    with open_store(store_url, system=SHOP, create=True) as store:
        SHOP.seeder.seed(store, size=15, seed=8, days=20, recent=False)
    with Runner(store_url, SHOP, run_sagas=False) as runner:
        runner.run_pending()
    return store_url


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
