"""Inventory: one stream per product, holding stock on hand and reservations for orders.

A reservation that stock cannot cover is not an error but a fact, InventoryReservationFailed,
so that the order's saga can react to it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import Field

from explorer.demo.catalogue import product_name
from explorer.domain import Aggregate, Command, DomainError, applies

OrderId = Field(min_length=1, max_length=100, description="The order, e.g. order_789")


class Inventory(Aggregate):
    """Stock of one product: units on hand, and how many of them are reserved per order."""

    stream_type = "Inventory"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.name = product_name(stream_id)
        self.on_hand = 0
        self.reserved = 0
        self.reservations: dict[str, int] = {}

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def receive_stock(self, quantity: int, note: str = "", best_before: str | None = None) -> None:
        extra = {"best_before": best_before} if best_before else {}
        self._record("InventoryStockReceived", product_id=self.id, name=self.name,
                     quantity=quantity, on_hand=self.on_hand + quantity, note=note, **extra)

    def reserve(self, order_id: str, quantity: int) -> None:
        if order_id in self.reservations:
            raise DomainError(f"Cannot reserve {self.name} for order {order_id}: "
                              f"{self.reservations[order_id]} are already reserved for it.")
        if quantity > self.available:
            self._record("InventoryReservationFailed", product_id=self.id, name=self.name,
                         order_id=order_id, requested=quantity, available=self.available)
            return
        self._record("InventoryReserved", product_id=self.id, name=self.name, order_id=order_id,
                     quantity=quantity, available=self.available - quantity)

    def release(self, order_id: str, reason: str = "order cancelled") -> None:
        quantity = self._reservation(order_id, "release")
        self._record("InventoryReservationReleased", product_id=self.id, name=self.name,
                     order_id=order_id, quantity=quantity, reason=reason,
                     available=self.available + quantity)

    def dispatch(self, order_id: str) -> None:
        quantity = self._reservation(order_id, "dispatch")
        self._record("InventoryDispatched", product_id=self.id, name=self.name, order_id=order_id,
                     quantity=quantity, on_hand=self.on_hand - quantity)

    def _reservation(self, order_id: str, action: str) -> int:
        quantity = self.reservations.get(order_id)
        if quantity is None:
            raise DomainError(f"Cannot {action} {self.name} for order {order_id}: nothing is "
                              "reserved for that order.")
        return quantity

    @applies("InventoryStockReceived")
    def _received(self, data: dict[str, Any]) -> None:
        """Units of the product arrived in the warehouse."""
        self.name = data.get("name", self.name)
        self.on_hand = data["on_hand"]

    @applies("InventoryReserved")
    def _reserved(self, data: dict[str, Any]) -> None:
        """Units were set aside for an order."""
        self.reservations[data["order_id"]] = data["quantity"]
        self.reserved += data["quantity"]

    @applies("InventoryReservationFailed")
    def _reservation_failed(self, data: dict[str, Any]) -> None:
        """An order asked for more units than were available; nothing was set aside."""

    @applies("InventoryReservationReleased")
    def _released(self, data: dict[str, Any]) -> None:
        """An order's reserved units went back to available stock."""
        self.reserved -= self.reservations.pop(data["order_id"])

    @applies("InventoryDispatched")
    def _dispatched(self, data: dict[str, Any]) -> None:
        """An order's reserved units left the warehouse."""
        self.reserved -= self.reservations.pop(data["order_id"])
        self.on_hand = data["on_hand"]


class InventoryCommand(Command):
    stream_type: ClassVar[str] = "Inventory"


class ReceiveStock(InventoryCommand):
    """Receive units of the product into stock (starts its stream if new)."""

    command_name: ClassVar[str] = "receive_stock"
    creates_stream: ClassVar[bool | None] = None
    quantity: int = Field(gt=0, le=1_000_000, description="Units received")
    note: str = Field("", max_length=200, description="Delivery note or supplier reference")
    best_before: date | None = Field(None, description="The batch's best-before date, if any")


class Reserve(InventoryCommand):
    """Reserve units for an order (records a failure if stock is short)."""

    command_name: ClassVar[str] = "reserve"
    order_id: str = OrderId
    quantity: int = Field(gt=0, le=1000, description="Units to reserve")


class Release(InventoryCommand):
    """Release an order's reservation back to available stock."""

    command_name: ClassVar[str] = "release"
    order_id: str = OrderId
    reason: str = Field("order cancelled", max_length=200, description="Why it is released")


class Dispatch(InventoryCommand):
    """Send an order's reserved units out of the warehouse."""

    command_name: ClassVar[str] = "dispatch"
    order_id: str = OrderId


INVENTORY_COMMANDS: list[type[Command]] = [ReceiveStock, Reserve, Release, Dispatch]
