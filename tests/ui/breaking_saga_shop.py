"""A system loaded by module path in the window's tests (`tests.ui.breaking_saga_shop:SYSTEM`):
the shop, whose fulfilment saga raises on an order placed for the customer `cust_broken` while
the file named by $EXPLORER_TEST_SAGA_BREAKS exists (the runner runs in a process of its own:
the test breaks and mends the saga through that file)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from explorer.demo.fulfilment import OrderFulfilment
from explorer.demo.projections import FulfilmentSagasProjection, shop_projections
from explorer.domain import DomainModel
from explorer.projections import Projection
from explorer.sagas.process import Observed
from explorer.system.discovery import load_system

SPEC = "tests.ui.breaking_saga_shop:SYSTEM"
BREAKS = "EXPLORER_TEST_SAGA_BREAKS"
BROKEN_CUSTOMER = "cust_broken"


class BreakingFulfilment(OrderFulfilment):
    def observe(self, event: Observed) -> None:
        if event.data.get("customer_id") == BROKEN_CUSTOMER \
                and Path(os.environ.get(BREAKS, "")).is_file():
            raise KeyError("the saga's code broke")  # the line the fault names
        super().observe(event)


class BreakingSagasProjection(FulfilmentSagasProjection):
    saga = BreakingFulfilment


def projections() -> list[Projection]:
    return [*(p for p in shop_projections() if p.name != "sagas"), BreakingSagasProjection()]


SHOP = load_system("shop")
DOMAIN = DomainModel(
    "shop_breaking", [BreakingFulfilment if cls is OrderFulfilment else cls
                      for cls in SHOP.domain.aggregates.values()],
    [command for commands in SHOP.domain.commands.values() for command in commands.values()],
    SHOP.domain.make_context)
SYSTEM = replace(SHOP, name="shop_breaking", title="Shop with a breaking saga", domain=DOMAIN,
                 projections=projections, sagas=(BreakingFulfilment,))
