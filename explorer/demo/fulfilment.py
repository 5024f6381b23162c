"""The order fulfilment saga, from the design text, with compensation.

    OrderPlaced                 -> reserve each item's stock
    InventoryReserved (all)     -> charge the payment
    PaymentCharged              -> mark the order paid, ship it
    OrderShipped                -> dispatch the reserved stock; completed
    InventoryReservationFailed  -> release what was reserved, cancel the order; compensated
    PaymentFailed               -> release the reservations, cancel the order; compensated
    OrderCancelled (by others)  -> release the reservations, refund what was charged; compensated

A step refused by a business rule compensates like a failure; a refused compensation step leaves
the saga failed, for a person to look at. One saga per order, in the stream fulfilment-ORDER_ID.

The saga knows the customer's card by its last four digits alone, as the order does: its charge
step asks for the card on file by its masked form ("•••• 0002"), so its events never hold a
card number. (Sagas stored before that hold a whole number in their charge step; the charge
command takes it as it always did.)
"""

from __future__ import annotations

import hashlib
from typing import Any

from explorer.demo.catalogue import product_name
from explorer.demo.payment import masked_card
from explorer.domain.aggregate import applies
from explorer.sagas.process import COMPENSATION, FORWARD, Observed, ProcessManager, StepCause

CARRIERS = ("FedEx", "UPS", "DHL", "USPS", "Royal Mail")
SAGA_PREFIX = "fulfilment-"


def payment_id_for(order_id: str) -> str:
    return "pay_" + order_id.removeprefix("order_")


def streams_derived_from(stream_type: str, stream_id: str) -> list[str]:
    """The streams the saga names after a stream: an order's payment."""
    return [payment_id_for(stream_id)] if stream_type == "Order" else []


class OrderFulfilment(ProcessManager):
    """Takes an order from placement to shipment, or back out again."""

    stream_type = "OrderFulfilment"
    name = "order_fulfilment"
    title = "order fulfilment"
    stream_prefix = SAGA_PREFIX
    observes = frozenset({"OrderPlaced", "InventoryReserved", "InventoryReservationFailed",
                          "PaymentCharged", "PaymentFailed", "OrderShipped", "OrderCancelled"})

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.order_id: str | None = None
        self.customer_id: str | None = None
        self.items: dict[str, int] = {}
        self.total = 0.0
        self.currency = "USD"
        self.card_last4 = "4242"
        self.reserved: list[str] = []
        self.charged = False

    @property
    def started_order_id(self) -> str:
        """The order's id, known from the saga's first event on (each step comes after it)."""
        if self.order_id is None:
            raise RuntimeError(f"{self.id} has not started: it follows no order yet.")
        return self.order_id

    @classmethod
    def saga_id_for(cls, event: Observed) -> str | None:
        order_id = event.data.get("order_id")
        return f"{SAGA_PREFIX}{order_id}" if isinstance(order_id, str) and order_id else None

    # -- observing -------------------------------------------------------------------------

    def observe(self, event: Observed) -> None:
        if event.event_type not in self.observes or self.has_handled(event):
            return
        if event.event_type == "OrderPlaced":
            if not self.exists:
                self._start(event)
            return
        if not self.exists or self.status in ("completed", "failed"):
            return
        if self.status in ("compensating", "compensated"):
            # Only what still needs undoing: stock reserved late, a charge that went through.
            late = {"InventoryReserved": self._reserved, "PaymentCharged": self._charged,
                    "OrderCancelled": self._cancelled}.get(event.event_type)
            if late is not None:
                late(event)
            return
        handler = {
            "InventoryReserved": self._reserved,
            "InventoryReservationFailed": self._reservation_failed,
            "PaymentCharged": self._charged,
            "PaymentFailed": self._payment_failed,
            "OrderShipped": self._shipped,
            "OrderCancelled": self._cancelled,
        }[event.event_type]
        handler(event)

    def _start(self, event: Observed) -> None:
        data = event.data
        items = {line["product_id"]: line["quantity"] for line in data["items"]}
        self._record("FulfilmentStarted", source_event_id=event.event_id, at=event.timestamp_us,
                     order_id=data["order_id"], customer_id=data["customer_id"], items=items,
                     total=data["total"], currency=data.get("currency", "USD"),
                     card_last4=data.get("card_last4", "4242"),
                     correlation_id=getattr(event, "correlation_id", None)
                     or event.metadata.get("correlation_id"),
                     status="running",
                     schedule=[self.step(f"reserve {product}", FORWARD, "Inventory", product,
                                         "reserve", {"order_id": data["order_id"],
                                                     "quantity": quantity}, event)
                               for product, quantity in items.items()])

    def _reserved(self, event: Observed) -> None:
        product = event.data["product_id"]
        done = [{"step": f"reserve {product}", "status": "done", "event_id": event.event_id,
                 "at": event.timestamp_us}]
        if self.status == "compensating":  # a reservation that arrived after things went wrong
            self._record("ReservationConfirmed", source_event_id=event.event_id,
                         at=event.timestamp_us, product_id=product, outcomes=done,
                         schedule=self._new([self._release(
                             product, self.reason or "order cancelled", event)]))
            return
        schedule = []
        if set(self.reserved) | {product} >= set(self.items):
            schedule.append(self.step("charge payment", FORWARD, "Payment",
                                      payment_id_for(self.started_order_id), "charge", {
                                          "order_id": self.order_id,
                                          "customer_id": self.customer_id,
                                          "amount": self.total, "currency": self.currency,
                                          "method": "card",
                                          "card_number": masked_card(self.card_last4)},
                                      event))
        self._record("ReservationConfirmed", source_event_id=event.event_id, at=event.timestamp_us,
                     product_id=product, outcomes=done, schedule=schedule)

    def _reservation_failed(self, event: Observed) -> None:
        product = event.data["product_id"]
        reason = f"out of stock: {product_name(product)}"
        failed = [{"step": f"reserve {product}", "status": "failed", "event_id": event.event_id,
                   "at": event.timestamp_us, "reason": reason}]
        self._compensate("ReservationRefused", event, reason, failed, cancel=True)

    def _charged(self, event: Observed) -> None:
        done = [{"step": "charge payment", "status": "done", "event_id": event.event_id,
                 "at": event.timestamp_us}]
        payment_id = event.data["payment_id"]
        if self.status in ("compensating", "compensated"):  # too late: give the money back
            self._record("PaymentConfirmed", source_event_id=event.event_id,
                         at=event.timestamp_us, payment_id=payment_id, outcomes=done,
                         schedule=self._new([self.step(
                             "refund payment", COMPENSATION, "Payment", payment_id, "refund",
                             {"reason": self.reason or "order cancelled"}, event)]))
            return
        self._record("PaymentConfirmed", source_event_id=event.event_id, at=event.timestamp_us,
                     payment_id=payment_id, outcomes=done, schedule=[
                         self.step("mark order paid", FORWARD, "Order", self.started_order_id,
                                   "mark_paid", {"payment_id": payment_id, "amount": self.total},
                                   event),
                         self.step("ship order", FORWARD, "Order", self.started_order_id, "ship",
                                   self._shipping(), event)])

    def _payment_failed(self, event: Observed) -> None:
        reason = f"payment failed: {event.data.get('reason', 'declined')}"
        failed = [{"step": "charge payment", "status": "failed", "event_id": event.event_id,
                   "at": event.timestamp_us, "reason": reason}]
        self._compensate("PaymentRefused", event, reason, failed, cancel=True)

    def _shipped(self, event: Observed) -> None:
        done = [{"step": "ship order", "status": "done", "event_id": event.event_id,
                 "at": event.timestamp_us}]
        self._record("ShipmentConfirmed", source_event_id=event.event_id, at=event.timestamp_us,
                     carrier=event.data.get("carrier"), tracking=event.data.get("tracking"),
                     outcomes=done, status="completed", schedule=[
                         self.step(f"dispatch {product}", FORWARD, "Inventory", product,
                                   "dispatch", {"order_id": self.order_id}, event)
                         for product in self.reserved])

    def _cancelled(self, event: Observed) -> None:
        own = self.steps.get("cancel order")
        metadata = event.metadata
        if own is not None and metadata.get("command_id") == own["command_id"]:
            if own["status"] != "scheduled":
                return
            done = [{"step": "cancel order", "status": "done", "event_id": event.event_id,
                     "at": event.timestamp_us}]
            self._record("CancellationConfirmed", source_event_id=event.event_id,
                         at=event.timestamp_us, outcomes=done, status="compensated")
            return
        if self.status == "compensated":
            return
        reason = f"cancelled by {metadata.get('issued_by', 'someone else')}: " \
                 f"{event.data.get('reason', '')}".rstrip(": ")
        self._compensate("CancellationObserved", event, reason, [], cancel=False,
                         status="compensated")

    def rejected(self, step: str, reason: str, at: int) -> None:
        """A step's command was refused: compensate a forward step; fail on a compensation."""
        info = self.steps.get(step)
        if info is None or info["status"] != "scheduled":
            return
        outcome = [{"step": step, "status": "rejected", "at": at, "reason": reason}]
        source = StepCause(f"{self.id}/rejected/{step}", "StepRejected", at)
        if info["kind"] == FORWARD and self.status in ("compensating", "compensated"):
            # Expected: the order was being undone anyway (e.g. shipping a cancelled order).
            self._record("StepRejected", source_event_id=source.event_id, at=at, step=step,
                         outcomes=outcome)
            return
        if info["kind"] == COMPENSATION or self.status == "completed":
            self._record("StepRejected", source_event_id=source.event_id, at=at, step=step,
                         outcomes=outcome, status="failed",
                         reason=f"{step} was refused: {reason}")
            return
        self._compensate("StepRejected", source, f"{step} was refused: {reason}", outcome,
                         cancel=True, step=step)

    # -- compensation ----------------------------------------------------------------------

    def _compensate(self, event_type: str, event: Observed, reason: str,
                    outcomes: list[dict[str, Any]], *, cancel: bool,
                    status: str = "compensating", **extra: Any) -> None:
        schedule = [self._release(product, reason, event) for product in self.reserved]
        undone = [{"step": f"reserve {product}", "status": "compensated",
                   "at": event.timestamp_us} for product in self.reserved]
        if self.charged:
            schedule.append(self.step("refund payment", COMPENSATION, "Payment",
                                      payment_id_for(self.started_order_id), "refund",
                                      {"reason": reason}, event))
            undone.append({"step": "charge payment", "status": "compensated",
                           "at": event.timestamp_us})
        if cancel:
            schedule.append(self.step("cancel order", COMPENSATION, "Order", self.started_order_id,
                                      "cancel", {"reason": reason}, event))
        self._record(event_type, source_event_id=event.event_id, at=event.timestamp_us,
                     outcomes=outcomes + undone, schedule=self._new(schedule), status=status,
                     reason=reason, **extra)

    def _new(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Only steps not scheduled before: each step of a saga runs at most once."""
        return [step for step in steps if step["step"] not in self.steps]

    def _release(self, product: str, reason: str, event: Observed) -> dict[str, Any]:
        return self.step(f"release {product}", COMPENSATION, "Inventory", product, "release",
                         {"order_id": self.order_id, "reason": reason}, event)

    def _shipping(self) -> dict[str, str]:
        digest = hashlib.sha256(self.started_order_id.encode()).digest()
        carrier = CARRIERS[digest[0] % len(CARRIERS)]
        tracking = f"{carrier[:2].upper()}{int.from_bytes(digest[1:6]) % 10**10:010d}"
        return {"carrier": carrier, "tracking": tracking}

    # -- applying its own events -----------------------------------------------------------

    @applies("FulfilmentStarted")
    def _started(self, data: dict[str, Any]) -> None:
        """The saga began for a newly placed order and asked for its stock."""
        self.order_id = data["order_id"]
        self.customer_id = data["customer_id"]
        self.items = data["items"]
        self.total = data["total"]
        self.currency = data["currency"]
        self.card_last4 = data.get("card_last4", "4242")  # older sagas predate cards on file
        self.correlation_id = data.get("correlation_id")
        self.apply_saga_event(data)

    @applies("ReservationConfirmed")
    def _reservation_confirmed(self, data: dict[str, Any]) -> None:
        """Stock for one item was reserved."""
        if data["product_id"] not in self.reserved:
            self.reserved.append(data["product_id"])
        self.apply_saga_event(data)

    @applies("PaymentConfirmed")
    def _payment_confirmed(self, data: dict[str, Any]) -> None:
        """The payment went through; the order is to be marked paid and shipped."""
        self.charged = True
        self.apply_saga_event(data)

    @applies("ShipmentConfirmed")
    def _shipment_confirmed(self, data: dict[str, Any]) -> None:
        """The order shipped; its stock is to be dispatched. Done."""
        self.apply_saga_event(data)

    @applies("ReservationRefused")
    def _reservation_refused(self, data: dict[str, Any]) -> None:
        """An item was out of stock: compensating."""
        self.apply_saga_event(data)
        self.reserved = []

    @applies("PaymentRefused")
    def _payment_refused(self, data: dict[str, Any]) -> None:
        """The payment failed: compensating."""
        self.apply_saga_event(data)
        self.reserved = []

    @applies("CancellationObserved")
    def _cancellation_observed(self, data: dict[str, Any]) -> None:
        """Someone else cancelled the order: reservations released, payment refunded."""
        self.apply_saga_event(data)
        self.reserved = []
        self.charged = False

    @applies("CancellationConfirmed")
    def _cancellation_confirmed(self, data: dict[str, Any]) -> None:
        """The saga's own cancellation of the order went through. Compensated."""
        self.apply_saga_event(data)

    @applies("StepRejected")
    def _step_rejected(self, data: dict[str, Any]) -> None:
        """A step's command was refused by a business rule."""
        self.apply_saga_event(data)
        if data.get("status") == "compensating":
            self.reserved = []
            self.charged = False
