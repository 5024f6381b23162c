"""A saga's step view and its row: from one step table, truthful at every position (on a store
file and on a PostgreSQL server)."""

from __future__ import annotations

import pytest

from explorer.demo import DEMO_DOMAIN, OrderFulfilment, make_context
from explorer.demo.projections import saga_instances
from explorer.demo.system import SHOP
from explorer.domain import CommandService, Repository
from explorer.projections import read_rows
from explorer.projections.database import open_read_models
from explorer.runtime.runner import Runner
from explorer.sagas import SagaManager
from explorer.sagas.steps import step_views
from explorer.timetravel.machine import TimeMachine
from tests.conftest import ADDRESS
from tests.sagas.agreement import assert_row_says_what_its_steps_say

pytestmark = pytest.mark.backends


def run_saga(store, failure_rate=0.0):
    service = CommandService(store, DEMO_DOMAIN, context=make_context(failure_rate=failure_rate),
                             issued_by="saga:test")
    SagaManager(OrderFulfilment, service).catch_up()


def shop(service, stock):
    service.execute("Customer", "cust_1", "register", {"name": "Ada", "email": "a@b.co",
                                                       "address": ADDRESS})
    for product, quantity in stock.items():
        service.execute("Inventory", product, "receive_stock", {"quantity": quantity})


def place(service, *products, quantity=1):
    service.execute("Order", "order_1", "place", {
        "customer_id": "cust_1", "total": 10.0 * quantity * len(products),
        "items": [{"product_id": p, "quantity": quantity, "price": 10.0} for p in products]})


def views(store):
    saga = Repository(store, DEMO_DOMAIN).load("OrderFulfilment", "fulfilment-order_1").aggregate
    return saga, {view.step: view for view in step_views(store, saga)}


def row_of(store_location):
    with Runner(str(store_location), SHOP, run_sagas=False) as runner:
        runner.run_pending()
    with open_read_models(str(store_location), False, read_only=True) as db:
        return read_rows(db, saga_instances, where={"saga_id": "fulfilment-order_1"})[0]


def test_steps_whose_outcome_the_saga_never_hears_of_are_done_by_their_commands(
        service, store, store_location):
    shop(service, {"prod_101": 5, "prod_102": 5})
    place(service, "prod_101", "prod_102")
    run_saga(store)
    saga, shown = views(store)
    assert saga.status == "completed"
    assert saga.steps["dispatch prod_101"]["status"] == "scheduled"  # the saga's own record
    assert {view.status for view in shown.values()} == {"done"}
    dispatched = shown["dispatch prod_101"]
    assert dispatched.event_type == "InventoryDispatched" and dispatched.event_position
    row = row_of(store_location)
    assert (row["steps_done"], row["steps_total"], row["current_step"]) == (7, 7, None)


def test_a_failure_the_saga_did_not_record_is_not_shown_done(service, store, store_location):
    """Both reservations fail; the saga, compensating after the first, ignores the second."""
    shop(service, {"prod_101": 1, "prod_102": 1})
    place(service, "prod_101", "prod_102", quantity=2)
    run_saga(store)
    saga, shown = views(store)
    assert saga.status == "compensated"
    ignored = shown["reserve prod_102"]
    assert ignored.event_type == "InventoryReservationFailed"
    assert ignored.status == "unconfirmed" and "not recorded" in ignored.reason
    assert shown["reserve prod_101"].status == "failed"
    row = row_of(store_location)
    assert row["current_step"] is None
    assert (row["steps_failed"], row["steps_unconfirmed"], row["steps_done"],
            row["steps_total"]) == (1, 1, 1, 3)


def test_rows_and_steps_agree_at_every_position_of_sagas_run_live(service, store, store_location):
    """Sagas driven by the live manager (shipped, out of stock, declined): at every position,
    each saga's row as of it says what its steps as of it say."""
    shop(service, {"prod_101": 3, "prod_102": 1})
    for number, (product, quantity) in enumerate([("prod_101", 1), ("prod_102", 2),
                                                  ("prod_101", 1)], start=1):
        service.execute("Order", f"order_{number}", "place", {
            "customer_id": "cust_1", "total": 10.0 * quantity,
            "items": [{"product_id": product, "quantity": quantity, "price": 10.0}]})
    run_saga(store, failure_rate=0.0)
    service.execute("Order", "order_4", "place", {
        "customer_id": "cust_1", "total": 10.0, "card_number": "4000 0000 0000 0002",
        "items": [{"product_id": "prod_101", "quantity": 1, "price": 10.0}]})
    service.execute("Order", "order_5", "place", {
        "customer_id": "cust_1", "total": 10.0,
        "items": [{"product_id": "prod_101", "quantity": 1, "price": 10.0}]})
    run_saga(store)
    row_of(store_location)  # the read models, caught up
    with open_read_models(str(store_location), False, read_only=True) as db:
        machine = TimeMachine(store, db, SHOP)
        statuses = set()
        for position in range(1, store.last_position() + 1):
            for row in read_rows(db, saga_instances, at_position=position, limit=None):
                shown = machine.saga_at(row["saga_id"], position)
                assert_row_says_what_its_steps_say(row, shown.status, shown.steps)
                statuses.add(row["status"])
    assert {"running", "completed", "compensated"} <= statuses
