"""The systems the engine's tests run for, and what each test needs to know of each system.

The `system` fixture runs a test once for every example system (the demo shop and the lending
library in examples/library); `case` gives that system's data: a small seed, commands with
known outcomes, a story that ends in a compensated saga, a what-if to try. Tests take these
instead of naming a system's streams, so that one test covers every system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from explorer.commanding.sending import CommandRequest
from explorer.domain import CommandService
from explorer.runtime.runner import Runner
from explorer.store import EventStore, RecordedEvent
from explorer.store.query import EventQuery
from explorer.system import System
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store

ADDRESS = {"street": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


@dataclass(frozen=True)
class Case:
    """One system's data for the engine's tests."""

    name: str
    seed_size: int
    """A small history: the seeder's size (orders, loans) for stores of a few hundred events."""
    create: CommandRequest
    created: tuple[str, ...]
    """A command that starts a stream, and the event types it records."""
    change: CommandRequest
    """A command on the stream `create` made."""
    refused: CommandRequest
    """A command a rule refuses (sent before `create`), naming the stream in its message."""
    invalid: CommandRequest
    invalid_fields: frozenset[str]
    """A command with fields that are wrong, and which."""
    wrong_type: CommandRequest
    """A command of another type to the stream `create` made."""
    writable: tuple[str, ...]
    """The stream types people may write (the others are the sagas')."""
    compensation: tuple[CommandRequest, ...]
    compensated_saga: str
    compensated_steps: dict[str, str]
    """A story whose saga is compensated: the saga, and its steps' statuses as shown."""
    what_if: Callable[[EventStore], tuple[int, CommandRequest]]
    """Where to branch a seeded store (a position at about its middle) and a command to try
    there that changes read models."""

    @property
    def system(self) -> System:
        return load_system(self.name)


def first_after(store: EventStore, event_type: str, start: int) -> RecordedEvent:
    return store.query(EventQuery(event_types=(event_type,), from_position=start), limit=1)[0]


def _cancel_an_order(store: EventStore) -> tuple[int, CommandRequest]:
    placed = first_after(store, "OrderPlaced", store.last_position() // 2)
    return placed.position, CommandRequest("Order", placed.stream_id, "cancel",
                                           {"reason": "what if"})


def _return_a_book(store: EventStore) -> tuple[int, CommandRequest]:
    lent = first_after(store, "BookLent", store.last_position() // 2)
    return lent.position, CommandRequest("Book", lent.stream_id, "return_book",
                                         {"loan_id": lent.data["loan_id"]})


LINE = {"product_id": "prod_101", "quantity": 5, "price": 29.99}
SHOP_CASE = Case(
    name="shop", seed_size=30,
    create=CommandRequest("Order", "order_1", "place", {
        "customer_id": "cust_1", "items": [LINE], "total": 149.95}),
    created=("OrderPlaced",),
    change=CommandRequest("Order", "order_1", "cancel", {"reason": "late"}),
    refused=CommandRequest("Order", "order_1", "ship", {"carrier": "UPS", "tracking": "1Z999"}),
    invalid=CommandRequest("Order", "order_1", "ship", {"carrier": "Pigeon"}),
    invalid_fields=frozenset({"carrier", "tracking"}),
    wrong_type=CommandRequest("Customer", "order_1", "change_address", {"address": ADDRESS}),
    writable=("Order", "Inventory", "Payment", "Customer"),
    compensation=(  # five widgets ordered, one in stock
        CommandRequest("Customer", "cust_1", "register", {"name": "Ada", "email": "a@b.co",
                                                          "address": ADDRESS}),
        CommandRequest("Inventory", "prod_101", "receive_stock", {"quantity": 1}),
        CommandRequest("Order", "order_1", "place", {"customer_id": "cust_1", "items": [LINE],
                                                     "total": 149.95})),
    compensated_saga="fulfilment-order_1",
    compensated_steps={"reserve prod_101": "failed", "cancel order": "done"},
    what_if=_cancel_an_order,
)

BOOK = {"title": "The Glass Orchard", "authors": ["Ada Lovelace"], "isbn": "9780306406157",
        "replacement_cost": 20.0}
LIBRARY_CASE = Case(
    name="library", seed_size=40,
    create=CommandRequest("Book", "book_1", "acquire", BOOK),
    created=("BookAcquired",),
    change=CommandRequest("Book", "book_1", "declare_lost", {"note": "gone"}),
    refused=CommandRequest("Book", "book_1", "return_book", {"loan_id": "loan_1"}),
    invalid=CommandRequest("Book", "book_1", "return_book", {"note": 5}),
    invalid_fields=frozenset({"loan_id", "note"}),
    wrong_type=CommandRequest("Member", "book_1", "suspend", {"reason": "by mistake"}),
    writable=("Member", "Book"),
    compensation=(  # Alan asks for the book Ada has
        CommandRequest("Book", "book_1", "acquire", BOOK),
        CommandRequest("Member", "member_1", "join", {"name": "Ada", "email": "a@b.co"}),
        CommandRequest("Member", "member_2", "join", {"name": "Alan", "email": "t@b.co"}),
        CommandRequest("Member", "member_1", "request_loan", {"loan_id": "loan_1",
                                                              "book_id": "book_1"}),
        CommandRequest("Member", "member_2", "request_loan", {"loan_id": "loan_2",
                                                              "book_id": "book_1"})),
    compensated_saga="lending-loan_2",
    compensated_steps={"lend book": "failed", "withdraw request": "done"},
    what_if=_return_a_book,
)

CASES = {case.name: case for case in (SHOP_CASE, LIBRARY_CASE)}


@pytest.fixture(params=sorted(CASES))
def system(request) -> System:
    """Each example system in turn."""
    return load_system(request.param)


@pytest.fixture
def case(system: System) -> Case:
    """The data of the system the test runs for."""
    return CASES[system.name]


@pytest.fixture
def system_store(system: System, tmp_path: Path) -> EventStore:
    """A new, empty store of the system the test runs for."""
    opened = open_store(tmp_path / f"{system.name}.evstore", system=system, create=True)
    yield opened
    opened.close()


@pytest.fixture
def system_service(system: System, system_store: EventStore) -> CommandService:
    return CommandService(system_store, system.domain, issued_by="test",
                          context=system.make_context(failure_rate=0.0))


def seeded(folder: Path, system: System, size: int, seed: int = 3, days: int = 30) -> Path:
    """A store of the system seeded with its own seeder (kept in `folder`: made once), with
    its read models built."""
    path = folder / f"{system.name}-{size}-{seed}-{days}.evstore"
    if not path.exists():
        with open_store(path, system=system, create=True) as store:
            system.seeder.seed(store, size=size, seed=seed, days=days, recent=False)
        with Runner(str(path), system, run_sagas=False) as runner:
            runner.run_pending()
    return path
