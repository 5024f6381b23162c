"""The demo shop from the design text: orders, inventory, payments and customers."""

from __future__ import annotations

from dataclasses import dataclass

from explorer.demo.customer import CUSTOMER_COMMANDS, Customer
from explorer.demo.fulfilment import OrderFulfilment
from explorer.demo.inventory import INVENTORY_COMMANDS, Inventory
from explorer.demo.order import ORDER_COMMANDS, Order
from explorer.demo.payment import PAYMENT_COMMANDS, Payment, PaymentGateway, SimulatedPaymentGateway
from explorer.domain import DomainModel


@dataclass(slots=True)
class ShopContext:
    """What the shop's command handlers use besides the aggregate."""

    gateway: PaymentGateway


def make_context(*, failure_rate: float = 0.0, latency_s: float = 0.0,
                 salt: str = "") -> ShopContext:
    return ShopContext(SimulatedPaymentGateway(failure_rate, latency_s, salt))


SAGAS = [OrderFulfilment]
"""The demo's process managers: their streams are written by sagas only, never by hand."""


DEMO_DOMAIN = DomainModel(
    "shop",
    aggregates=[Order, Inventory, Payment, Customer, OrderFulfilment],
    commands=[*ORDER_COMMANDS, *INVENTORY_COMMANDS, *PAYMENT_COMMANDS, *CUSTOMER_COMMANDS],
    make_context=make_context,
)

__all__ = ["DEMO_DOMAIN", "SAGAS", "Customer", "Inventory", "Order", "OrderFulfilment",
           "Payment", "ShopContext", "SimulatedPaymentGateway", "make_context"]
