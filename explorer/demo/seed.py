"""Seeding a demo store with a realistic history, made by running real commands.

A discrete-event simulation over a period of days: customers register and move house, stock
arrives (sometimes late), and orders are placed. From there the order fulfilment saga drives each
order as it would live: it reserves stock (which sometimes runs short), charges the payment
(about 10% fail), marks the order paid and ships it, or compensates. Customers sometimes cancel
after paying, and now and then someone in operations releases a reservation by hand, which
leaves that order's saga failed. Every step is a command through the domain's rules, with
correlation and causation ids; the steps the saga schedules run after realistic delays, and
those still due when the period ends are left pending, so the store holds sagas in every state.
The same seed gives the same store, event ids included.
"""

from __future__ import annotations

import heapq
import itertools
import random
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from explorer.common.bulk import bulk_work
from explorer.common.timestamps import to_micros
from explorer.demo import DEMO_DOMAIN, make_context
from explorer.demo.catalogue import PRODUCTS, money
from explorer.demo.fulfilment import OrderFulfilment
from explorer.demo.inventory import Inventory
from explorer.demo.order import Order, order_placed_v2_to_v1
from explorer.domain import AlreadyDone, CommandService, DomainError, UnitOfWork
from explorer.sagas.manager import cause_millis
from explorer.sagas.process import Observed, StepCause
from explorer.store.event_store import EventStore
from explorer.store.ids import derived_id, uuid7
from explorer.store.records import NewEvent

SEED_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

STEP_DELAYS = {"reserve": (SECOND, 5 * SECOND), "charge": (2 * SECOND, 10 * SECOND),
               "mark": (100_000, SECOND), "ship": (4 * HOUR, 48 * HOUR),
               "dispatch": (MINUTE, 30 * MINUTE), "release": (SECOND, 3 * SECOND),
               "refund": (MINUTE, 60 * MINUTE), "cancel": (3 * SECOND, 5 * SECOND)}
"""How long after the saga decides on a step the seeded world carries it out."""
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


FLUSH_EVERY = 20_000
"""Events appended a transaction: what the seed holds until then is its peak memory (536,000
events: 297 MB at 50,000 a transaction, 210 MB at 20,000, for 24.1 and 24.7 CPU-seconds)."""
SMALLEST_CACHE = 15_000
"""Aggregates kept in memory by a seed of few orders (see `cache_size_for`)."""
IN_PLAY_DAYS = 3
"""How long an order stays in play: shipped at most 48 hours after it is paid, cancelled at
most 12 hours after it is placed (a customer moving house later is read back: one stream)."""
AGGREGATES_PER_ORDER = 3
"""The aggregates an order in play keeps in memory: the order, its saga and its payment."""
FRESH_ORDERS = 100_000
"""Up to this many orders, the seed's unit of work remembers every stream it wrote, to know a
new stream without asking the store; beyond, it asks (about a sixth more CPU): the set grows
with every stream made (~325 bytes an order, 245 MB at 750,000 orders)."""
STATUSES = ("new", "running", "compensating", "completed", "compensated", "failed")
"""A saga's statuses, by the code `_Simulation` keeps for each order's saga (0: none yet)."""


def cache_size_for(orders: int, days: int = 90) -> int:
    """How many aggregates a seed of `orders` orders over `days` days keeps in memory: every one
    still in play (the orders of the last IN_PLAY_DAYS days, with their sagas and payments), so
    that none is read back from the store, and no more: about 3 KB each, what a seed holds grows
    with the orders in play, not with every order made. At 750,000 orders a cache of 15,000
    read back several a command, and seeding ran 10x slower than at 40,000; orders // 4
    (187,500 there) kept three times what is in play."""
    return max(SMALLEST_CACHE, orders * IN_PLAY_DAYS * AGGREGATES_PER_ORDER // days)


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


def recent_start(days: int, now: datetime | None = None) -> datetime:
    """A start for a `days`-long history that ends a day before `now` (the hour, UTC).

    A demo store made this way sits just before today on the timeline, so that commands a
    presenter sends now follow it closely instead of months later.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(days=days + 1)


def seed_store(store: EventStore, *, orders: int, seed: int = 42, days: int = 90,
               start: datetime | None = None,
               progress: Callable[[int], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> SeedReport:
    """Fill an empty store with `orders` orders' worth of history over `days` simulated days.

    The history begins at `start` (default SEED_START, so that the same seed gives the same
    store) and no event is later than `days` days and six hours after it. `progress(n)` is
    called as orders are placed; when `should_stop()` turns true the run ends early, keeping
    what was made so far (every stored event is a valid fact).
    """
    if orders < 1:
        raise ValueError(f"The number of orders must be at least 1, not {orders}.")
    if days < 1:
        raise ValueError(f"The simulated period must be at least one day, not {days}.")
    if store.last_position():
        raise EmptyStoreRequired(
            f"{store.location} already holds {store.last_position()} events; seed a new or empty "
            "store instead, so that the demo's ids do not collide with what is there.")
    with bulk_work():
        return _Simulation(store, orders, seed, days, start or SEED_START, progress,
                           should_stop).run()


class _Simulation:
    def __init__(self, store: EventStore, orders: int, seed: int, days: int, start: datetime,
                 progress: Callable[[int], None] | None,
                 should_stop: Callable[[], bool] | None) -> None:
        self.rng = random.Random(seed)
        id_rng = random.Random(seed ^ 0x5EED)
        self.now = to_micros(start)
        self.service = CommandService(
            store, DEMO_DOMAIN, issued_by="seed",
            context=make_context(failure_rate=0.10, salt=f"seed-{seed}"),
            clock=lambda: self.now, new_id=lambda: uuid7(self.now // 1000, id_rng))
        self.uow = UnitOfWork(self.service, flush_every=FLUSH_EVERY,
                              cache_size=cache_size_for(orders, days),
                              fresh=orders <= FRESH_ORDERS)
        self.orders = orders
        self.period = days * DAY
        self.end = self.now + 10 * self.period  # set to just after the last order, once placed
        self.legacy_until = self.now + self.period // 4  # before this, OrderPlaced was version 1
        self.width = max(3, len(str(orders)))
        self.customer_count = max(5, orders // 4)
        self.registered: set[int] = set()
        self.progress = progress
        self.should_stop = should_stop or (lambda: False)
        self.report = SeedReport()
        self.saga_status = bytearray(orders + 1)  # order number -> its saga's STATUSES code
        self.left_pending: dict[str, str] = {}  # saga id -> the last event it observed
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
        for number, arrival in enumerate(self.arrivals(), start=1):
            self._run_until(arrival)
            self.now = max(self.now, arrival)
            self.place_order(number)
            if self.progress and number % 500 == 0:
                self.progress(number)
            if number % 500 == 0 and self.should_stop():
                self.report.cancelled_by_user = True
                self._queue.clear()
                break
        # The period ends a few hours after the last order: what is due later stays pending.
        self.end = self.now + 6 * HOUR
        self._run_until(None)
        self.uow.flush()
        self.report.events = self.uow.events_appended
        self.report.outcomes.update(self.outcomes())
        self._save_saga_checkpoint()
        if self.progress:
            self.progress(self.report.orders)
        return self.report

    def arrivals(self) -> array[int]:
        """When each order comes in: random (exponential) gaps, averaging period / orders,
        scaled down if they add up to more than the period, so that the last order arrives
        within it (without piling the late ones onto its last instant)."""
        mean = self.period / self.orders
        gaps = array("d", (self.rng.expovariate(1.0) * mean + 1 for _ in range(self.orders)))
        scale = min(1.0, self.period / sum(gaps))
        arrivals, at = array("q"), float(self.now)  # 8 bytes an order, not a number object
        for gap in gaps:
            at += gap * scale
            arrivals.append(int(at))
        return arrivals

    def _save_saga_checkpoint(self) -> None:
        """Tell a live saga runner where to start: just before the events whose steps are
        still pending, so that it picks them up (everything before is done)."""
        store = self.service.store
        positions = [store.event_by_id(source).position for source in self.left_pending.values()]
        start = min(positions) - 1 if positions else store.last_position()
        store.save_checkpoint(OrderFulfilment.name, start)

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
        inventory = self.uow.aggregate(Inventory, product_id)
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
        lines = [(p, rng.choice((1, 1, 1, 2, 3))) for p in products]
        items = [{"product_id": p.product_id, "quantity": quantity, "price": p.price}
                 for p, quantity in lines]
        legacy = self.now < self.legacy_until
        currency = "USD" if legacy else rng.choices(("USD", "EUR", "GBP"), (85, 10, 5))[0]
        total = money(sum(quantity * p.price for p, quantity in lines))
        placed = self.command("Order", order_id, "place", {
            "customer_id": customer_id, "items": items, "total": total, "currency": currency})
        if legacy:
            event = placed[0]
            event.schema_version = 1
            event.data = order_placed_v2_to_v1(event.data)
            self.report.legacy_orders += 1
        self.report.orders += 1
        roll = rng.random()
        if roll < 0.005:  # operations staff release a reservation by hand before payment
            self.at(self.now + rng.randrange(2 * SECOND, 6 * SECOND), self.manual_release,
                    order_id, products[0].product_id)
        elif roll < 0.035:  # the customer changes their mind after paying
            self.at(self.now + rng.randrange(HOUR, 12 * HOUR), self.customer_cancels, order_id)
        self.observe(placed)

    # -- the saga, as the live runner would drive it -----------------------------------------

    def observe(self, events: list[NewEvent]) -> None:
        """Let the fulfilment saga observe new events, and schedule the steps it decides on."""
        for event in events:
            if event.event_type not in OrderFulfilment.observes:
                continue
            saga_id = OrderFulfilment.saga_id_for(event)
            if saga_id is None:
                continue
            saga = self.uow.aggregate(OrderFulfilment, saga_id)
            if not saga.exists and event.event_type != "OrderPlaced":
                continue
            known = set(saga.steps)
            saga.observe(event)
            self._record_saga(saga, event)
            self._schedule(saga, [name for name in saga.steps if name not in known])

    def _record_saga(self, saga: OrderFulfilment, cause: Observed) -> None:
        """Queue what the saga recorded in reaction to `cause`, as the saga manager does."""
        self.saga_status[int(saga.id.rsplit("_", 1)[1])] = STATUSES.index(saga.status)
        pending = len(saga._pending)
        if not pending:
            return
        metadata = {"correlation_id": saga.correlation_id or cause.metadata.get("correlation_id"),
                    "causation_id": cause.event_id, "command": f"observe {cause.event_type}",
                    "issued_by": saga.issuer()}
        millis = cause_millis(cause)
        self.uow.record(saga, metadata, self.now, [
            derived_id(saga.id, f"{cause.event_id}/{n}", millis) for n in range(pending)])

    def _schedule(self, saga: OrderFulfilment, names: list[str]) -> None:
        """Dispatch new steps after the delays a real system would show."""
        delays: dict[str, int] = {}  # one delay per kind of step, so a batch goes out together
        for order, name in enumerate(names):
            kind = name.split()[0]
            if kind not in delays:
                delays[kind] = self.rng.randrange(*STEP_DELAYS[kind])
            self.at(self.now + delays[kind] + order * 1000, self.dispatch, saga.id, name)

    def dispatch(self, saga_id: str, name: str) -> None:
        saga = self.uow.aggregate(OrderFulfilment, saga_id)
        step = saga.steps[name]
        if step["status"] != "scheduled":
            return
        if self.now >= self.end:  # still due when the period ends: left for a live runner
            self.left_pending.setdefault(saga_id, saga.handled[-1])
            return
        try:
            events = self.uow.execute(step["stream_type"], step["stream_id"], step["command"],
                                      step["data"], timestamp_us=self.now,
                                      correlation_id=saga.correlation_id,
                                      causation_id=step["source_event_id"],
                                      issued_by="saga:order_fulfilment",
                                      command_id=step["command_id"])
        except AlreadyDone as done:
            saga.already_done(name, str(done), self.now)
            self._record_saga(saga, StepCause(f"{saga.id}/settled/{name}", "StepSettled",
                                              step["scheduled_at"]))
            return
        except DomainError as error:
            known = set(saga.steps)
            saga.rejected(name, str(error), self.now)
            self._record_saga(saga, StepCause(f"{saga.id}/refused/{name}", "StepRefused",
                                              step["scheduled_at"]))
            self._schedule(saga, [n for n in saga.steps if n not in known])
            return
        self.observe(events)

    def manual_release(self, order_id: str, product_id: str) -> None:
        inventory = self.uow.aggregate(Inventory, product_id)
        if order_id not in inventory.reservations:
            return
        events = self.uow.execute("Inventory", product_id, "release", {
            "order_id": order_id, "reason": "released by hand in the warehouse"},
            timestamp_us=self.now, issued_by="ops:warehouse")
        self.observe(events)

    def customer_cancels(self, order_id: str) -> None:
        order = self.uow.aggregate(Order, order_id)
        if order.status not in ("placed", "paid"):
            return
        events = self.uow.execute("Order", order_id, "cancel", {
            "reason": "customer changed their mind"}, timestamp_us=self.now,
            issued_by=f"web:{order.customer_id}")
        self.observe(events)

    def outcomes(self) -> dict[str, int]:
        return {f"sagas {STATUSES[code]}": self.saga_status.count(code)
                for code in range(1, len(STATUSES)) if self.saga_status.count(code)}
