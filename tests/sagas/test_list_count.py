"""A saga list counted again from what changed since its last count (explorer.sagas.list_count
over explorer.projections.list_count) equals a count of every row, with each of the list's
filters, as sagas start, go on, fail and are compensated; and it reads only the sagas changed
since, not the list (a file and a store on a PostgreSQL server)."""

from __future__ import annotations

import contextlib
import random
from functools import partial

import pytest
import sqlalchemy as sa

from explorer.demo import DEMO_DOMAIN, OrderFulfilment, make_context
from explorer.demo.projections import FulfilmentSagasProjection
from explorer.domain import CommandService, DomainError
from explorer.projections import ProjectionEngine, count_rows, list_count, read_rows
from explorer.projections.database import open_read_models
from explorer.sagas import SagaManager
from explorer.sagas.list_count import SagaListCounts, count_saga_list
from tests.conftest import ADDRESS
from tests.sqlite_steps import sql_steps

pytestmark = pytest.mark.backends
TABLE = FulfilmentSagasProjection.tables[0]
PRODUCTS = ("prod_101", "prod_102", "prod_103")
FILTERS = [(None, ""), *[({"status": status}, "") for status in (
    "running", "compensating", "completed", "compensated", "failed")],
    (None, "payment"), (None, "order_1"), ({"status": "completed"}, "ship"),
    ({"status": "failed"}, "reserve prod_103")]


def shop(store, failure_rate: float, stock: int = 15) -> tuple[CommandService, SagaManager]:
    """A customer and a little stock (reservations fail once it is gone), and the saga run
    by a manager whose payments fail at `failure_rate`."""
    service = CommandService(store, DEMO_DOMAIN, issued_by="test")
    service.execute("Customer", "cust_1", "register", {"name": "Ada", "email": "a@b.co",
                                                       "address": ADDRESS})
    for product in PRODUCTS:
        service.execute("Inventory", product, "receive_stock", {"quantity": stock})
    sagas = CommandService(store, DEMO_DOMAIN, context=make_context(failure_rate=failure_rate),
                           issued_by="saga:test")
    return service, SagaManager(OrderFulfilment, sagas)


def place_orders(service: CommandService, rng: random.Random, first: int, count: int) -> None:
    for number in range(first, first + count):
        items = [{"product_id": product, "quantity": rng.randint(1, 3), "price": 10.0}
                 for product in rng.sample(PRODUCTS, rng.randint(1, 2))]
        service.execute("Order", f"order_{number}", "place", {
            "customer_id": "cust_1", "items": items,
            "total": 10.0 * sum(item["quantity"] for item in items)})


def meddle(service: CommandService, rng: random.Random, orders: int) -> None:
    """Someone releases an order's stock behind its saga's back, then cancels the order: the
    saga's compensation (releasing that stock) is refused, and the saga fails."""
    order_id = f"order_{rng.randrange(1, orders)}"
    for product in PRODUCTS:
        with contextlib.suppress(DomainError):
            service.execute("Inventory", product, "release", {"order_id": order_id})
    with contextlib.suppress(DomainError):
        service.execute("Order", order_id, "cancel", {"reason": "changed my mind"})


def run_some_steps(manager: SagaManager, rng: random.Random) -> None:
    """Let the sagas take a random number of their steps (some left running)."""
    run_steps(manager, rng.randint(0, 40))


def run_steps(manager: SagaManager, events: int) -> None:
    """Let the sagas observe about this many events (their steps are taken as they do)."""
    budget = [events]

    def should_stop() -> bool:
        budget[0] -= 1
        return budget[0] < 0
    manager.catch_up(should_stop=should_stop)


def shop_round(service, manager, rng: random.Random, orders: int, *, least: int = 0,
               most: int, meddling: bool = True) -> int:
    """One round of the shop: `least` to `most` orders placed from number `orders` on, now and
    then stock released behind a saga's back (`meddling`), some saga steps run; the number of
    the next order."""
    placed = rng.randint(least, most)
    place_orders(service, rng, orders, placed)
    orders += placed
    if meddling and orders > 1 and rng.random() < 0.5:
        meddle(service, rng, orders)
    run_some_steps(manager, rng)
    return orders


def test_a_list_counted_from_its_changes_equals_a_full_count_with_every_filter(store):
    rng = random.Random(7)
    service, manager = shop(store, failure_rate=0.3)
    readmodels = open_read_models(store.location, False)
    engine = ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()])
    last = {}
    seen: set[str] = set()  # the statuses of the sagas, at one round or another
    counted_from_changes = 0
    orders = 1
    try:
        for _round in range(14):
            orders = shop_round(service, manager, rng, orders, most=6)
            engine.catch_up("sagas")
            for where, search in FILTERS:
                key = (str(where), search)
                counted = count_saga_list(readmodels, TABLE, "sagas", where, search,
                                          last.get(key))
                assert counted.total == count_rows(readmodels, TABLE, where=where,
                                                   search=search), (where, search, _round)
                counted_from_changes += not counted.full
                last[key] = counted
            seen.update(row["status"] for row in engine.rows("sagas", limit=None))
    finally:
        readmodels.close()
    assert {"running", "compensating", "completed", "compensated", "failed"} <= seen
    assert counted_from_changes > len(FILTERS) * 8  # not all counted in full


def test_lists_chosen_in_turn_are_counted_from_the_changes_since_any_count(store):
    # The user picks a status, then another, then all sagas, as the sagas go on: the first
    # list by status counted counts every status (and all sagas) at once; each list after it
    # is counted from what changed since, and equals a count of its rows.
    rng = random.Random(11)
    service, manager = shop(store, failure_rate=0.3)
    lists = SagaListCounts()
    orders = 1
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()])
        for round_ in range(30):
            orders = shop_round(service, manager, rng, orders, most=4)
            engine.catch_up("sagas")
            for where, search in rng.sample(FILTERS, 2):
                counted = lists.count(readmodels, TABLE, "sagas", where, search)
                assert counted.total == count_rows(readmodels, TABLE, where=where,
                                                   search=search), (where, search, round_)


def test_a_list_by_status_counts_every_status_at_once(store, monkeypatch):
    rng = random.Random(2)
    service, manager = shop(store, failure_rate=0.3, stock=10_000)
    place_orders(service, rng, 1, 60)
    manager.catch_up()
    lists = SagaListCounts()
    with open_read_models(store.location, False) as readmodels:
        ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()]).catch_up("sagas")
        expected = {str(where): count_rows(readmodels, TABLE, where=where)
                    for where in ({"status": "compensated"}, {"status": "failed"}, None)}
        lists.count(readmodels, TABLE, "sagas", {"status": "completed"})

        def counted_again(*args, **kwargs):
            raise AssertionError("a list was counted again")
        monkeypatch.setattr(list_count, "count_rows", counted_again)
        monkeypatch.setattr(list_count, "count_each_value", counted_again)
        for where in ({"status": "compensated"}, {"status": "failed"}, None):
            assert lists.count(readmodels, TABLE, "sagas", where).total == expected[str(where)]


def test_a_read_model_gone_back_or_changed_is_counted_in_full(store):
    rng = random.Random(3)
    service, manager = shop(store, failure_rate=0.0)
    place_orders(service, rng, 1, 8)
    manager.catch_up()
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()])
        engine.catch_up("sagas")
        first = count_saga_list(readmodels, TABLE, "sagas")
        assert (first.total, first.full) == (8, True)
        assert count_saga_list(readmodels, TABLE, "sagas", since=first) is first
        engine.reset("sagas")  # a rebuild begun: the rows counted are gone
        assert count_saga_list(readmodels, TABLE, "sagas", since=first).total == 0
        engine.catch_up("sagas")
        # counted at the same checkpoint under another version of the projection's code
        other = count_saga_list(readmodels, TABLE, "sagas", since=type(first)(
            99, first.checkpoint, (first.generation[0] + 1, first.generation[1])))
        assert (other.total, other.full) == (8, True)


@pytest.mark.sqlite_only("counts SQLite's instructions")
def test_a_count_from_the_changes_reads_the_sagas_changed_not_the_list(store):
    # One more saga, counted from the last count: as many instructions with 200 sagas listed
    # as with 20, where a count of the list reads every version of every saga.
    rng = random.Random(5)
    service, manager = shop(store, failure_rate=0.0, stock=10_000)
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()])
        orders, last, steps = 1, None, []
        for listed in (20, 200):
            place_orders(service, rng, orders, listed - orders + 1)
            orders = listed + 1
            manager.catch_up()
            engine.catch_up("sagas")
            last = count_saga_list(readmodels, TABLE, "sagas", since=last)
            place_orders(service, rng, orders, 1)
            orders += 1
            manager.catch_up()
            engine.catch_up("sagas")
            last, used = sql_steps(readmodels.db, partial(count_saga_list, readmodels, TABLE,
                                                       "sagas", since=last))
            steps.append(used)
            assert (last.total, last.full) == (listed + 1, False)
        _total, full = sql_steps(readmodels.db, partial(count_rows, readmodels, TABLE))  # (41)
    small, big = steps
    assert big <= small * 1.25 + 2, (steps, full)  # a count of the list: 4 times as many


@pytest.mark.sqlite_only("counts SQLite's instructions")
def test_a_page_of_one_status_reads_that_status_not_every_saga(store):
    # The first page of the running sagas read the sagas in key order until it had a page of
    # them: all 750,000 of the 10M store for its 5,692 running ones (1.4 s at each checkpoint).
    rng = random.Random(9)
    service, manager = shop(store, failure_rate=0.0, stock=10_000)
    steps = []
    orders = 1
    with open_read_models(store.location, False) as readmodels:
        engine = ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()])
        for completed in (20, 200):
            place_orders(service, rng, orders, completed)
            orders += completed
            manager.catch_up()
            place_orders(service, rng, orders, 3)
            orders += 3
            run_steps(manager, 4)  # their sagas started, not finished: running
            engine.catch_up("sagas")
            rows, used = sql_steps(readmodels.db, partial(read_rows, readmodels, TABLE,
                                                       where={"status": "running"}))
            assert 0 < len(rows) == count_rows(readmodels, TABLE, where={"status": "running"})
            steps.append(used)
            _total, counted = sql_steps(readmodels.db, partial(count_rows, readmodels, TABLE,
                                                            where={"status": "running"}))
            steps.append(counted)
    small_page, small_count, big_page, big_count = steps
    assert big_page <= small_page * 2 + 2, steps
    assert big_count <= small_count * 2 + 2, steps


def test_read_models_made_before_the_status_index_get_it(store, tmp_path):
    service, _manager = shop(store, failure_rate=0.0)
    with open_read_models(store.location, False) as readmodels:
        ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()]).catch_up("sagas")
        readmodels.execute(sa.text(f"DROP INDEX ix_{TABLE.name}_status"))
        assert f"ix_{TABLE.name}_status" not in indexes(readmodels)
        ProjectionEngine(store, readmodels, [FulfilmentSagasProjection()])
        assert f"ix_{TABLE.name}_status" in indexes(readmodels)


def indexes(readmodels) -> set[str]:
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
           if readmodels.engine.dialect.name == "sqlite" else
           "SELECT indexname FROM pg_indexes WHERE tablename = :table "
           "AND schemaname = current_schema()")
    return {name for (name,) in readmodels.execute(sa.text(sql), {"table": TABLE.name})}
