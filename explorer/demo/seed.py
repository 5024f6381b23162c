"""Seeding a demo store with a realistic history, made by running real commands.

A discrete-event simulation over a period of days: customers register and move house, stock
arrives (sometimes late), orders are placed, stock is reserved (or runs short), payments are
charged (about 10% fail), orders ship or are cancelled. Every step is a command through the domain's
rules; the events carry correlation and causation ids linking each order's steps. The same seed
gives the same store, event ids included.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from explorer.demo import DEMO_DOMAIN, make_context
from explorer.demo.catalogue import PRODUCTS, money
from explorer.demo.order import order_placed_v2_to_v1
from explorer.domain import CommandService, UnitOfWork
from explorer.store.event_store import EventStore
from explorer.store.ids import uuid7
from explorer.store.records import NewEvent
from explorer.store.timestamps import to_micros

SEED_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

CARRIERS = ["FedEx", "UPS", "DHL", "USPS", "Royal Mail"]
FIRST_NAMES = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret",
               "Dennis", "Radia", "Tim", "Sophie", "Linus", "Guido", "Anita", "Niklaus", "Shafi",
               "John", "Leslie", "Hedy", "Katherine", "Yukihiro", "Bjarne", "Karen"]
LAST_NAMES = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
              "Hamilton", "Ritchie", "Perlman", "Berners-Lee", "Wilson", "Torvalds", "van Rossum",
              "Borg", "Wirth", "Goldwasser", "McCarthy", "Lamport", "Lamarr", "Johnson",
              "Matsumoto", "Stroustrup", "Sparck Jones"]
CITIES = [("Springfield", "US"), ("Portland", "US"), ("Austin", "US"), ("Leeds", "GB"),
          ("Bristol", "GB"), ("Lyon", "FR"), ("Munich", "DE"), ("Utrecht", "NL"),
          ("Porto", "PT"), ("Dublin", "IE"), ("Toronto", "CA"), ("Melbourne", "AU")]
STREETS = ["Main St", "High Street", "Oak Avenue", "Station Road", "Church Lane", "Mill Road",
           "Park Drive", "Elm Street", "Harbour Way", "Market Square"]


@dataclass
class SeedReport:
    """What a seeding run made."""

    orders: int = 0
    events: int = 0
    customers: int = 0
    legacy_orders: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    cancelled_by_user: bool = False


class EmptyStoreRequired(ValueError):
    pass


def seed_store(store: EventStore, *, orders: int, seed: int = 42, days: int = 90,
               progress: Callable[[int], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> SeedReport:
    """Fill an empty store with `orders` orders' worth of history over `days` simulated days.

    `progress(n)` is called as orders are placed; when `should_stop()` turns true the run ends
    early, keeping what was made so far (every stored event is a valid fact).
    """
    if orders < 1:
        raise ValueError(f"The number of orders must be at least 1, not {orders}.")
    if days < 1:
        raise ValueError(f"The simulated period must be at least one day, not {days}.")
    if store.last_position():
        raise EmptyStoreRequired(
            f"{store.location} already holds {store.last_position()} events; seed a new or empty "
            "store instead, so that the demo's ids do not collide with what is there.")
    # Hundreds of thousands of live objects (cached aggregates, the schedule) make the cyclic
    # garbage collector rescan them over and over; none of them form cycles, so pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Simulation(store, orders, seed, days, progress, should_stop).run()
    finally:
        if collecting:
            gc.enable()


class _Simulation:
    def __init__(self, store: EventStore, orders: int, seed: int, days: int,
                 progress: Callable[[int], None] | None,
                 should_stop: Callable[[], bool] | None) -> None:
        self.rng = random.Random(seed)
        id_rng = random.Random(seed ^ 0x5EED)
        self.now = to_micros(SEED_START)
        self.service = CommandService(
            store, DEMO_DOMAIN, issued_by="seed",
            context=make_context(failure_rate=0.10, rng=random.Random(seed + 1)),
            clock=lambda: self.now, new_id=lambda: uuid7(self.now // 1000, id_rng))
        self.uow = UnitOfWork(self.service, flush_every=20_000)
        self.orders = orders
        self.period = days * DAY
        self.end = self.now + self.period
        self.legacy_until = self.now + self.period // 4  # before this, OrderPlaced was version 1
        self.width = max(3, len(str(orders)))
        self.customer_count = max(5, orders // 4)
        self.registered: set[int] = set()
        self.progress = progress
        self.should_stop = should_stop or (lambda: False)
        self.report = SeedReport()
        self._queue: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._sequence = itertools.count()
        # Stock: a week's expected demand per product, topped up weekly (sometimes late).
        weekly_units = orders * 2.2 * 1.6 / len(PRODUCTS) / max(days / 7, 1)
        self.stock_target = max(5, int(weekly_units * 1.1))

    # -- the event loop ----------------------------------------------------------------------

    def at(self, when: int, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._queue, (when, next(self._sequence), action, args))

    def run(self) -> SeedReport:
        for product_id in PRODUCTS:
            self.command("Inventory", product_id, "receive_stock",
                         {"quantity": self.stock_target * 2, "note": "opening stock"})
            self.at(self.now + 7 * DAY + self.rng.randrange(DAY), self.restock, product_id)
        gap = max(1, self.period // self.orders)
        arrival = self.now
        for number in range(1, self.orders + 1):
            arrival += int(self.rng.expovariate(1.0) * gap) + 1
            self._run_until(arrival)
            self.now = max(self.now, arrival)
            self.place_order(number)
            if self.progress and number % 500 == 0:
                self.progress(number)
            if number % 500 == 0 and self.should_stop():
                self.report.cancelled_by_user = True
                self._queue.clear()
                break
        self._run_until(None)
        self.uow.flush()
        self.report.events = self.uow.events_appended
        if self.progress:
            self.progress(self.report.orders)
        return self.report

    def _run_until(self, limit: int | None) -> None:
        queue = self._queue
        while queue and (limit is None or queue[0][0] <= limit):
            when, _, action, args = heapq.heappop(queue)
            self.now = max(self.now, when)
            action(*args)

    def command(self, stream_type: str, stream_id: str, name: str, data: dict[str, Any],
                correlation_id: str | None = None, causation_id: str | None = None,
                ) -> list[NewEvent]:
        return self.uow.execute(stream_type, stream_id, name, data, timestamp_us=self.now,
                                correlation_id=correlation_id, causation_id=causation_id)

    def count(self, outcome: str) -> None:
        self.report.outcomes[outcome] = self.report.outcomes.get(outcome, 0) + 1

    # -- customers and stock ----------------------------------------------------------------

    def customer_id(self, index: int) -> str:
        return f"cust_{index:0{self.width}d}"

    def ensure_customer(self, index: int) -> str:
        customer_id = self.customer_id(index)
        if index not in self.registered:
            rng = self.rng
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            self.command("Customer", customer_id, "register", {
                "name": f"{first} {last}",
                "email": f"{first}.{last}{index}@example.com".lower().replace(" ", ""),
                "address": self.address()})
            self.registered.add(index)
            self.report.customers += 1
            if rng.random() < 0.2:
                self.at(self.now + rng.randrange(2 * DAY, 30 * DAY), self.move_house, customer_id)
        return customer_id

    def address(self) -> dict[str, str]:
        rng = self.rng
        city, country = rng.choice(CITIES)
        return {"street": f"{rng.randrange(1, 250)} {rng.choice(STREETS)}", "city": city,
                "postal_code": f"{rng.randrange(10000, 99999)}", "country": country}

    def move_house(self, customer_id: str) -> None:
        if self.now < self.end:
            self.command("Customer", customer_id, "change_address", {"address": self.address()})
            self.count("address changes")

    def restock(self, product_id: str) -> None:
        if self.now >= self.end:
            return
        rng = self.rng
        if rng.random() < 0.12:  # the supplier is late: try again in a few days
            self.at(self.now + rng.randrange(2 * DAY, 5 * DAY), self.restock, product_id)
            return
        inventory = self.uow.aggregate("Inventory", product_id)
        missing = self.stock_target - inventory.available
        if missing > 0:
            self.command("Inventory", product_id, "receive_stock",
                         {"quantity": missing, "note": f"delivery {rng.randrange(10**5, 10**6)}"})
        self.at(self.now + 7 * DAY + rng.randrange(-DAY, DAY), self.restock, product_id)

    # -- an order's life --------------------------------------------------------------------

    def place_order(self, number: int) -> None:
        rng = self.rng
        customer_id = self.ensure_customer(rng.randrange(1, self.customer_count + 1))
        order_id = f"order_{number:0{self.width}d}"
        products = rng.sample(list(PRODUCTS.values()), k=rng.choice((1, 1, 2, 2, 2, 3, 4)))
        items = [{"product_id": p.product_id, "quantity": rng.choice((1, 1, 1, 2, 3)),
                  "price": p.price} for p in products]
        legacy = self.now < self.legacy_until
        currency = "USD" if legacy else rng.choices(("USD", "EUR", "GBP"), (85, 10, 5))[0]
        total = money(sum(i["quantity"] * i["price"] for i in items))
        placed = self.command("Order", order_id, "place", {
            "customer_id": customer_id, "items": items, "total": total, "currency": currency})
        if legacy:
            event = placed[0]
            event.schema_version = 1
            event.data = order_placed_v2_to_v1(event.data)
            self.report.legacy_orders += 1
        self.report.orders += 1
        correlation_id = placed[0].metadata["correlation_id"]
        cause = placed[0].event_id
        roll = rng.random()
        if roll < 0.05:
            self.at(self.now + rng.randrange(MINUTE, 10 * MINUTE), self.change_order, order_id,
                    correlation_id, cause)
        else:
            self.at(self.now + rng.randrange(SECOND, 5 * SECOND), self.reserve, order_id,
                    customer_id, correlation_id, cause)

    def change_order(self, order_id: str, correlation_id: str, cause: str) -> None:
        rng = self.rng
        order = self.uow.aggregate("Order", order_id)
        if len(order.items) > 1 and rng.random() < 0.5:
            product_id = rng.choice(sorted(order.items))
            events = self.command("Order", order_id, "remove_item", {
                "product_id": product_id, "reason": "customer_request"}, correlation_id, cause)
        else:
            product = rng.choice([p for p in PRODUCTS.values() if p.product_id not in order.items]
                                 or list(PRODUCTS.values()))
            events = self.command("Order", order_id, "add_item", {
                "product_id": product.product_id, "quantity": 1, "price": product.price},
                correlation_id, cause)
        self.at(self.now + rng.randrange(SECOND, 5 * SECOND), self.reserve, order_id,
                order.customer_id, correlation_id, events[-1].event_id)

    def reserve(self, order_id: str, customer_id: str, correlation_id: str, cause: str) -> None:
        order = self.uow.aggregate("Order", order_id)
        reserved: list[str] = []
        short = None
        for product_id, item in order.items.items():
            events = self.command("Inventory", product_id, "reserve", {
                "order_id": order_id, "quantity": item["quantity"]}, correlation_id, cause)
            if events[0].event_type == "InventoryReservationFailed":
                short = (product_id, events[0].event_id)
                break
            reserved.append(product_id)
        if short is not None:
            self.compensate(order_id, reserved, f"out of stock: {PRODUCTS[short[0]].name}",
                            correlation_id, short[1])
            self.count("cancelled: out of stock")
            return
        self.at(self.now + self.rng.randrange(2 * SECOND, 10 * SECOND), self.charge, order_id,
                customer_id, correlation_id, cause)

    def payment_id(self, order_id: str) -> str:
        return "pay_" + order_id.removeprefix("order_")

    def charge(self, order_id: str, customer_id: str, correlation_id: str, cause: str) -> None:
        order = self.uow.aggregate("Order", order_id)
        payment_id = self.payment_id(order_id)
        method = self.rng.choices(("card", "paypal", "bank_transfer"), (80, 15, 5))[0]
        events = self.command("Payment", payment_id, "charge", {
            "order_id": order_id, "customer_id": customer_id, "amount": order.total,
            "currency": order.currency, "method": method}, correlation_id, cause)
        event = events[0]
        if event.event_type == "PaymentFailed":
            self.compensate(order_id, list(order.items), f"payment failed: {event.data['reason']}",
                            correlation_id, event.event_id)
            self.count("cancelled: payment failed")
            return
        paid = self.command("Order", order_id, "mark_paid", {
            "payment_id": payment_id, "amount": order.total}, correlation_id, event.event_id)
        rng = self.rng
        if rng.random() < 0.03:
            self.at(self.now + rng.randrange(HOUR, 12 * HOUR), self.customer_cancels, order_id,
                    correlation_id, paid[0].event_id)
        else:
            self.at(self.now + rng.randrange(4 * HOUR, 48 * HOUR), self.ship, order_id,
                    correlation_id, paid[0].event_id)

    def ship(self, order_id: str, correlation_id: str, cause: str) -> None:
        rng = self.rng
        carrier = rng.choice(CARRIERS)
        shipped = self.command("Order", order_id, "ship", {
            "carrier": carrier, "tracking": f"{carrier[:2].upper()}{rng.randrange(10**9, 10**10)}"},
            correlation_id, cause)
        for product_id in self.uow.aggregate("Order", order_id).items:
            self.command("Inventory", product_id, "dispatch", {"order_id": order_id},
                         correlation_id, shipped[0].event_id)
        self.count("shipped")

    def customer_cancels(self, order_id: str, correlation_id: str, cause: str) -> None:
        order = self.uow.aggregate("Order", order_id)
        cancelled = self.compensate(order_id, list(order.items), "customer changed their mind",
                                    correlation_id, cause)
        self.command("Payment", self.payment_id(order_id), "refund", {
            "reason": "order cancelled before shipping"}, correlation_id, cancelled)
        self.count("cancelled by customer, refunded")

    def compensate(self, order_id: str, reserved: list[str], reason: str, correlation_id: str,
                   cause: str) -> str:
        """Release what was reserved and cancel the order; the cancellation's event id."""
        for product_id in reserved:
            self.command("Inventory", product_id, "release", {
                "order_id": order_id, "reason": reason}, correlation_id, cause)
        return self.command("Order", order_id, "cancel", {"reason": reason}, correlation_id,
                            cause)[0].event_id
