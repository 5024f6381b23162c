"""The demo shop as a system: registered as the entry point `shop` in the group
`event_explorer.systems`, so that the explorer finds it exactly like a user's system."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from typing import Any

from explorer.demo import DEMO_DOMAIN, SAGAS
from explorer.demo.fulfilment import streams_derived_from
from explorer.demo.projections import shop_projections
from explorer.demo.seed import recent_start, seed_store
from explorer.store.event_store import EventStore
from explorer.system import System


class ShopSeeder:
    """Orders placed by simulated customers over a period, the saga driving each to its end."""

    size_name = "orders"
    size_help = "how many orders to simulate"
    default_size = 2000
    max_size = 1_000_000  # minutes, and memory in proportion

    def seed(self, store: EventStore, *, size: int, seed: int, days: int, recent: bool,
             progress: Callable[[int], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
        report = seed_store(store, orders=size, seed=seed, days=days,
                            start=recent_start(days) if recent else None, progress=progress,
                            should_stop=should_stop)
        return {"orders": report.orders, "events": report.events, "customers": report.customers,
                "legacy_orders": report.legacy_orders, "outcomes": report.outcomes,
                "cancelled_by_user": report.cancelled_by_user}


SHOP = System(
    name="shop",
    title="Demo shop",
    description="Orders, inventory, payments and customers, with an order fulfilment saga that "
                "reserves stock, charges the payment and ships, or compensates.",
    domain=DEMO_DOMAIN,
    projections=shop_projections,
    sagas=tuple(SAGAS),
    id_prefixes={"Order": "order", "Inventory": "prod", "Payment": "pay", "Customer": "cust"},
    derived_streams=streams_derived_from,
    seeder=ShopSeeder(),
    scripts=files("explorer.resources").joinpath("scripts"),
)
