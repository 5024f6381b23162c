"""Orders: placed with items, changed while unpaid, paid, shipped or cancelled.

OrderPlaced has two schema versions: version 1 had no currency (every order was in USD);
version 2 names it. Stored version-1 events are upcast on read.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from explorer.demo.catalogue import check_product, money, product_name
from explorer.demo.payment import CARD_NUMBER_PATTERN, DEFAULT_CARD, card_last4
from explorer.domain import Aggregate, AlreadyDone, Command, DomainError, applies
from explorer.domain.commands import secret_field

Currency = Literal["USD", "EUR", "GBP"]
ProductId = Annotated[str, Field(min_length=1, max_length=40,
                                 description="Catalogue product id, e.g. prod_101"),
                      AfterValidator(check_product)]
Quantity = Annotated[int, Field(gt=0, le=1000, description="How many units (1 to 1000)")]
Price = Annotated[float, Field(ge=0, le=100_000, description="Unit price, 0 to 100,000")]


def order_placed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 orders had no currency field: they were all in US dollars."""
    return {**data, "currency": "USD"}


def order_placed_v2_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """The version-1 shape of a version-2 event (for simulating a store's older history)."""
    return {key: value for key, value in data.items() if key != "currency"}


class Order(Aggregate):
    """An order. Status goes placed -> paid -> shipped, or to cancelled before shipping."""

    stream_type = "Order"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.status = "new"
        self.customer_id: str | None = None
        self.items: dict[str, dict[str, Any]] = {}
        self.total = 0.0
        self.currency = "USD"
        self.payment_id: str | None = None
        self.carrier: str | None = None
        self.tracking: str | None = None
        self.cancel_reason: str | None = None

    # -- commands --------------------------------------------------------------------------

    def place(self, customer_id: str, items: list[dict[str, Any]], total: float,
              currency: str = "USD", card_last4: str = "4242") -> None:
        seen: set[str] = set()
        for item in items:
            if item["product_id"] in seen:
                raise DomainError(f"Cannot place order {self.id}: {item['product_id']} is listed "
                                  "twice; list it once with the whole quantity.")
            seen.add(item["product_id"])
        lines = [{"product_id": i["product_id"], "name": product_name(i["product_id"]),
                  "quantity": i["quantity"], "price": money(i["price"])} for i in items]
        expected = money(sum(line["quantity"] * line["price"] for line in lines))
        if abs(money(total) - expected) > 0.005:
            raise DomainError(f"Cannot place order {self.id}: the total {total:.2f} does not match "
                              f"its items, which come to {expected:.2f}.")
        self._record("OrderPlaced", order_id=self.id, customer_id=customer_id, items=lines,
                     total=expected, currency=currency, card_last4=card_last4)

    def add_item(self, product_id: str, quantity: int, price: float) -> None:
        self._check_changeable("add items to")
        new_total = money(self.total + quantity * price)
        self._record("OrderItemAdded", order_id=self.id, product_id=product_id,
                     name=product_name(product_id), quantity=quantity, price=money(price),
                     new_total=new_total)

    def remove_item(self, product_id: str, quantity: int | None = None,
                    reason: str = "customer_request") -> None:
        self._check_changeable("remove items from")
        item = self.items.get(product_id)
        if item is None:
            raise DomainError(f"Cannot remove {product_id} from order {self.id}: the order has no "
                              f"such item (it has {', '.join(self.items) or 'none'}).")
        removed = item["quantity"] if quantity is None else quantity
        if removed > item["quantity"]:
            raise DomainError(f"Cannot remove {removed} of {item['name']} from order {self.id}: "
                              f"it has only {item['quantity']}.")
        if removed == item["quantity"] and len(self.items) == 1:
            raise DomainError(f"Cannot remove the last item of order {self.id}; cancel the order "
                              "instead.")
        self._record("OrderItemRemoved", order_id=self.id, product_id=product_id,
                     product_name=item["name"], quantity_removed=removed,
                     price_at_time=item["price"], reason=reason,
                     new_total=money(self.total - removed * item["price"]))

    def mark_paid(self, payment_id: str, amount: float) -> None:
        if self.status == "cancelled":
            raise DomainError(f"Cannot pay order {self.id}: it is cancelled.")
        if self.status in ("paid", "shipped"):
            raise DomainError(f"Cannot pay order {self.id}: it is already paid "
                              f"(payment {self.payment_id}).")
        if abs(money(amount) - self.total) > 0.005:
            raise DomainError(f"Cannot mark order {self.id} paid: the amount {amount:.2f} is not "
                              f"its total {self.total:.2f} {self.currency}.")
        self._record("OrderPaid", order_id=self.id, customer_id=self.customer_id,
                     payment_id=payment_id, amount=self.total, currency=self.currency)

    def ship(self, carrier: str, tracking: str) -> None:
        if self.status == "cancelled":
            raise DomainError(f"Cannot ship order {self.id}: it is cancelled.")
        if self.status == "shipped":
            raise DomainError(f"Cannot ship order {self.id}: it has already shipped with "
                              f"{self.carrier} ({self.tracking}).")
        if self.status != "paid":
            raise DomainError(f"Cannot ship order {self.id}: it is not paid.")
        self._record("OrderShipped", order_id=self.id, customer_id=self.customer_id,
                     carrier=carrier, tracking=tracking,
                     items=[{"product_id": p, "quantity": i["quantity"]}
                            for p, i in self.items.items()])

    def cancel(self, reason: str) -> None:
        if self.status == "shipped":
            raise DomainError(f"Cannot cancel order {self.id}: it has already shipped.")
        if self.status == "cancelled":
            raise AlreadyDone(f"Cannot cancel order {self.id}: it is already cancelled "
                              f"({self.cancel_reason}).")
        self._record("OrderCancelled", order_id=self.id, customer_id=self.customer_id,
                     reason=reason, previous_status=self.status,
                     refund_due=self.total if self.status == "paid" else 0.0,
                     payment_id=self.payment_id)

    def _check_changeable(self, action: str) -> None:
        if self.status != "placed":
            state = {"paid": "it is already paid", "shipped": "it has shipped",
                     "cancelled": "it is cancelled"}.get(self.status, f"it is {self.status}")
            raise DomainError(f"Cannot {action} order {self.id}: {state}.")

    # -- events ----------------------------------------------------------------------------

    @applies("OrderPlaced", version=2, upcasters={1: order_placed_v1_to_v2})
    def _placed(self, data: dict[str, Any]) -> None:
        """A customer placed an order for items at given prices."""
        self.status = "placed"
        self.customer_id = data["customer_id"]
        self.items = {line["product_id"]: {"name": line.get("name", line["product_id"]),
                                           "quantity": line["quantity"], "price": line["price"]}
                      for line in data["items"]}
        self.total = data["total"]
        self.currency = data["currency"]

    @applies("OrderItemAdded")
    def _item_added(self, data: dict[str, Any]) -> None:
        """An item was added to an unpaid order (or its quantity raised)."""
        item = self.items.get(data["product_id"])
        if item is None:
            self.items[data["product_id"]] = {"name": data["name"], "quantity": data["quantity"],
                                              "price": data["price"]}
        else:
            item["quantity"] += data["quantity"]
        self.total = data["new_total"]

    @applies("OrderItemRemoved")
    def _item_removed(self, data: dict[str, Any]) -> None:
        """Some or all of an item were removed from an unpaid order, with the reason."""
        item = self.items[data["product_id"]]
        item["quantity"] -= data["quantity_removed"]
        if item["quantity"] <= 0:
            del self.items[data["product_id"]]
        self.total = data["new_total"]

    @applies("OrderPaid")
    def _paid(self, data: dict[str, Any]) -> None:
        """The order's total was paid by a payment."""
        self.status = "paid"
        self.payment_id = data["payment_id"]

    @applies("OrderShipped")
    def _shipped(self, data: dict[str, Any]) -> None:
        """A paid order left the warehouse with a carrier and tracking number."""
        self.status = "shipped"
        self.carrier = data["carrier"]
        self.tracking = data["tracking"]

    @applies("OrderCancelled")
    def _cancelled(self, data: dict[str, Any]) -> None:
        """The order was cancelled before shipping, with the reason and any refund due."""
        self.status = "cancelled"
        self.cancel_reason = data["reason"]


class OrderLine(BaseModel):
    """One line of an order."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    product_id: ProductId
    quantity: Quantity
    price: Price


class OrderCommand(Command):
    stream_type: ClassVar[str] = "Order"


class PlaceOrder(OrderCommand):
    """Place a new order for a customer."""

    command_name: ClassVar[str] = "place"
    creates_stream: ClassVar[bool | None] = True
    customer_id: str = Field(min_length=1, max_length=100,
                             description="The customer, e.g. cust_456")
    items: list[OrderLine] = Field(min_length=1, max_length=50, description="What is ordered")
    total: float = Field(ge=0, le=10_000_000, description="The order total: the items' sum")
    currency: Currency = Field("USD", description="The currency of prices and total")
    card_number: str = secret_field(
        DEFAULT_CARD, keep_last=4, min_length=4, max_length=23, pattern=CARD_NUMBER_PATTERN,
        description="The card to charge when the order is fulfilled (or •••• and its last four "
                    "digits for the card on file ending so); only its last four digits are "
                    "kept. Ones ending 0002, 9995 or 0069 are declined")

    def run(self, aggregate: Order, context: Any) -> None:
        aggregate.place(self.customer_id, [line.model_dump() for line in self.items], self.total,
                        self.currency, card_last4(self.card_number))


class AddItem(OrderCommand):
    """Add an item to an unpaid order."""

    command_name: ClassVar[str] = "add_item"
    product_id: ProductId
    quantity: Quantity
    price: Price


class RemoveItem(OrderCommand):
    """Remove some or all of an item from an unpaid order."""

    command_name: ClassVar[str] = "remove_item"
    product_id: ProductId
    quantity: int | None = Field(None, gt=0, le=1000,
                                 description="How many to remove; all of them when empty")
    reason: Literal["customer_request", "out_of_stock", "pricing_error", "other"] = Field(
        "customer_request", description="Why the item is removed")


class MarkPaid(OrderCommand):
    """Record that the order's total was paid."""

    command_name: ClassVar[str] = "mark_paid"
    payment_id: str = Field(min_length=1, max_length=100, description="The payment, e.g. pay_789")
    amount: float = Field(gt=0, le=10_000_000, description="The amount paid: the order total")


class ShipOrder(OrderCommand):
    """Ship a paid order."""

    command_name: ClassVar[str] = "ship"
    carrier: Literal["FedEx", "UPS", "DHL", "USPS", "Royal Mail"] = Field(
        description="Who carries the parcel")
    tracking: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$",
                          description="The carrier's tracking number (letters, digits, -)")


class CancelOrder(OrderCommand):
    """Cancel an order that has not shipped."""

    command_name: ClassVar[str] = "cancel"
    reason: str = Field(min_length=1, max_length=200, description="Why the order is cancelled")


ORDER_COMMANDS: list[type[Command]] = [PlaceOrder, AddItem, RemoveItem, MarkPaid, ShipOrder,
                                       CancelOrder]
