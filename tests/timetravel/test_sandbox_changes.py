"""What-if's read-model changes carry each row's values before the branch's commands, too."""

from __future__ import annotations

import pytest

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.runtime.runner import Runner
from explorer.system.workspace import open_store
from explorer.timetravel.whatif import Sandbox


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=40, seed=5)
    with Runner(str(path), SHOP, run_sagas=False) as runner:
        runner.run_pending()
    return path


def test_changed_rows_come_with_their_values_at_the_branch_point(shop):
    with open_store(shop, system=SHOP, read_only=True) as store:
        position = store.last_position()
        placed = next(e for e in store.read_all(1, position) if e.event_type == "OrderPlaced")
    sandbox = Sandbox.create(str(shop), position, SHOP)
    try:
        sandbox.execute("Order", "order_whatif", "place", {
            "customer_id": placed.data["customer_id"], "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        changes = {(c.projection, c.key): c for c in sandbox.changes()}
        new = changes[("order_summary", "order_whatif")]
        assert new.before is None  # the branch made it
        customer = changes[("orders_per_customer", placed.data["customer_id"])]
        assert customer.before is not None
        assert customer.values["orders"] == customer.before["orders"] + 1
        assert customer.before["customer_id"] == customer.values["customer_id"]
        assert set(customer.before) == set(customer.values)
    finally:
        sandbox.discard()
