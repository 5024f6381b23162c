"""A read model's list counted again from what changed since its last count
(explorer.projections.list_count) equals a count of every row, for each read model of the demo
with the projections panel's searches, as orders are placed, changed, paid, shipped and
cancelled, customers register and stock moves; a projection that deletes rows is counted in
full at each checkpoint, and stays exact (a file and a store on a PostgreSQL server)."""

from __future__ import annotations

import contextlib
import random
from functools import partial
from typing import ClassVar

import pytest
import sqlalchemy as sa

from explorer.demo.projections import shop_projections
from explorer.domain import CommandService, DomainError
from explorer.projections import (
    Projection,
    ProjectionEngine,
    Writes,
    count_rows,
    versioned_table,
)
from explorer.projections.database import open_read_models
from explorer.projections.list_count import ListCounts, count_list, keeps_rows
from explorer.store.records import NewEvent, RecordedEvent
from tests.conftest import ADDRESS
from tests.sagas.test_list_count import (
    meddle,
    place_orders,
    run_some_steps,
    shop,
    shop_round,
)
from tests.sqlite_steps import sql_steps

pytestmark = pytest.mark.backends
SEARCHES = ["", "order_1", "paid", "prod_101", "Ada", "cust_2 placed"]
"""What the user may type in the panel's search box: an id, a status, a product, a name, two
words; "" is no search."""


def more_changes(service: CommandService, rng: random.Random, orders: int) -> None:
    """Customers register, orders gain items, stock comes in (besides the sagas' steps)."""
    if rng.random() < 0.4:
        number = rng.randint(2, 30)
        with contextlib.suppress(DomainError):  # registered already
            service.execute("Customer", f"cust_{number}", "register", {
                "name": f"Customer {number}", "email": f"c{number}@b.co", "address": ADDRESS})
    for _ in range(rng.randint(0, 3)):
        with contextlib.suppress(DomainError):  # paid, shipped or cancelled: no more items
            service.execute("Order", f"order_{rng.randrange(1, orders)}", "add_item", {
                "product_id": "prod_102", "quantity": 1, "price": 4.5})
    if rng.random() < 0.3:
        service.execute("Inventory", rng.choice(["prod_101", "prod_102", "prod_103"]),
                        "receive_stock", {"quantity": rng.randint(1, 20)})


def test_each_read_model_counted_from_its_changes_equals_a_full_count(store):
    rng = random.Random(18)
    service, manager = shop(store, failure_rate=0.3)
    projections = shop_projections()
    lists = ListCounts(kept=len(projections) * len(SEARCHES))
    from_changes = dict.fromkeys((p.name for p in projections), 0)
    orders = 1
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, projections)
        for round_ in range(12):
            placed = rng.randint(0, 5)
            place_orders(service, rng, orders, placed)
            orders += placed
            if orders > 2:
                more_changes(service, rng, orders)
                if rng.random() < 0.4:
                    meddle(service, rng, orders)
            run_some_steps(manager, rng)
            engine.catch_up_all()
            for projection in projections:
                table = projection.main_table
                for search in SEARCHES:
                    counted = lists.count(readmodels, table, projection.name, search=search,
                                          keeps_rows=True)  # the shop never deletes a row
                    assert counted.total == count_rows(readmodels, table, search=search), (
                        projection.name, search, round_)
                    from_changes[projection.name] += not counted.full
    assert all(total > len(SEARCHES) * 6 for total in from_changes.values()), from_changes


open_orders = versioned_table("open_orders", sa.MetaData(), [sa.Column("order_id", sa.Text)],
                              [sa.Column("customer_id", sa.Text), sa.Column("total", sa.Float)])


class OpenOrdersProjection(Projection):
    """The orders neither shipped nor cancelled: a row deleted when one is."""

    name = "open_orders"
    title = "Open orders"
    event_types: ClassVar[frozenset[str]] = frozenset(
        {"OrderPlaced", "OrderShipped", "OrderCancelled"})
    tables = (open_orders,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        if event.event_type == "OrderPlaced":
            writes.put("open_orders", (event.stream_id,), customer_id=event.data["customer_id"],
                       total=event.data["total"])
        else:
            writes.delete("open_orders", (event.stream_id,))


def test_a_projection_that_deletes_rows_is_counted_in_full_and_stays_exact(store):
    # A deletion begins no version: counted from the versions begun since, a shipped order
    # would still be counted. Unless a projection says it keeps every row, its lists are
    # counted in full at each new checkpoint.
    assert not keeps_rows(OpenOrdersProjection()) and keeps_rows(shop_projections()[0])
    rng = random.Random(4)
    service, manager = shop(store, failure_rate=0.3)
    lists = ListCounts()
    orders, gone_seen = 1, False
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, [OpenOrdersProjection()])
        for round_ in range(10):
            before, first = count_rows(readmodels, open_orders), orders
            orders = shop_round(service, manager, rng, orders, least=1, most=4, meddling=False)
            engine.catch_up_all()
            for search in ("", "cust_1"):
                counted = lists.count(readmodels, open_orders, "open_orders", search=search,
                                      keeps_rows=keeps_rows(OpenOrdersProjection()))
                assert counted.total == count_rows(readmodels, open_orders, search=search), (
                    search, round_)
                assert counted.full
            gone_seen |= count_rows(readmodels, open_orders) < before + orders - first
    assert gone_seen  # orders were shipped or cancelled: rows deleted


def test_a_count_at_the_same_checkpoint_is_the_last_one(store):
    service, _manager = shop(store, failure_rate=0.0)
    place_orders(service, random.Random(1), 1, 3)
    with open_read_models(store.location, False) as readmodels:
        projections = shop_projections()
        ProjectionEngine(store, readmodels, projections).catch_up_all()
        table = projections[0].main_table
        first = count_list(readmodels, table, projections[0].name)
        assert first.total == 3
        assert count_list(readmodels, table, projections[0].name, since=first) is first


@pytest.mark.sqlite_only("counts SQLite's instructions")
def test_a_row_of_many_versions_is_counted_from_its_changes_by_a_seek(store, service):
    # Stock keeps a version of a product for every move of its stock: at 10M events each of
    # 21 products has ~400,000. A count from the changes read every version of each product
    # changed (490 ms for 10,000 positions since); it finds each one's versions by a seek.
    projection = next(p for p in shop_projections() if p.name == "stock")
    table, steps = projection.main_table, []
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, [projection])
        last = None
        for versions in (20, 400):
            for _ in range(versions - (0 if last is None else 20)):
                for product in ("prod_101", "prod_102", "prod_103"):
                    service.execute("Inventory", product, "receive_stock", {"quantity": 1})
            engine.catch_up_all()
            last = count_list(readmodels, table, "stock", since=last, keeps_rows=True)
            service.execute("Inventory", "prod_102", "receive_stock", {"quantity": 1})
            engine.catch_up_all()
            last, used = sql_steps(readmodels.db, partial(count_list, readmodels, table, "stock",
                                                       since=last, keeps_rows=True))
            assert (last.total, last.full) == (3, False)
            steps.append(used)
    few, many = steps
    assert many <= few * 1.25 + 2, steps  # every version read: 10 times as many


notes = versioned_table("notes", sa.MetaData(), [sa.Column("note_id", sa.Text)],
                        [sa.Column("text", sa.Text)])


class Notes(Projection):
    """Each note a row; `odd_only` as a handler changed without its version (a fix)."""

    name, title, tables = "notes", "Notes", (notes,)
    event_types = frozenset({"CustomerRegistered"})  # (one the store's system knows)
    keeps_rows = True
    odd_only = False

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        if not (self.odd_only and event.data["n"] % 2 == 0):
            writes.put("notes", (event.stream_id,), text=str(event.data["n"]))


def test_a_rebuild_between_two_counts_is_counted_in_full(store):
    # (rebuilt within one chunk, the count never saw its checkpoint go back: the next count
    # added the rebuilt table's changes to the old total, 11 where 6 rows are)
    for n in range(10):
        store.append(f"note_{n}", "Customer", [NewEvent("CustomerRegistered", {"n": n})])
    lists, projection = ListCounts(), Notes()
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, [projection])
        engine.catch_up_all()
        assert lists.count(readmodels, notes, "notes", keeps_rows=True).total == 10
        projection.odd_only = True
        engine.rebuild("notes")
        for n in range(10, 12):
            store.append(f"note_{n}", "Customer", [NewEvent("CustomerRegistered", {"n": n})])
        engine.catch_up_all()
        counted = lists.count(readmodels, notes, "notes", keeps_rows=True)
        assert (counted.total, counted.full) == (count_rows(readmodels, notes), True) == (6, True)
        store.append("note_12", "Customer", [NewEvent("CustomerRegistered", {"n": 13})])
        engine.catch_up_all()
        counted = lists.count(readmodels, notes, "notes", keeps_rows=True)
        assert (counted.total, counted.full) == (7, False)  # (from the changes again)
