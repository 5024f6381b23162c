"""The demo shop from the design text: orders, inventory, payments and customers."""

from __future__ import annotations

import random
from dataclasses import dataclass

from explorer.demo.customer import CUSTOMER_COMMANDS, Customer
from explorer.demo.inventory import INVENTORY_COMMANDS, Inventory
from explorer.demo.order import ORDER_COMMANDS, Order
from explorer.demo.payment import PAYMENT_COMMANDS, Payment, PaymentGateway, SimulatedPaymentGateway
from explorer.domain import DomainModel


@dataclass(slots=True)
class ShopContext:
    """What the shop's command handlers use besides the aggregate."""

    gateway: PaymentGateway


def make_context(*, failure_rate: float = 0.0, latency_s: float = 0.0,
                 rng: random.Random | None = None) -> ShopContext:
    return ShopContext(SimulatedPaymentGateway(failure_rate, latency_s, rng))


DEMO_DOMAIN = DomainModel(
    "shop",
    aggregates=[Order, Inventory, Payment, Customer],
    commands=[*ORDER_COMMANDS, *INVENTORY_COMMANDS, *PAYMENT_COMMANDS, *CUSTOMER_COMMANDS],
    make_context=make_context,
)

__all__ = ["DEMO_DOMAIN", "Customer", "Inventory", "Order", "Payment", "ShopContext",
           "SimulatedPaymentGateway", "make_context"]
