"""The order fulfilment saga, every path, run by the live saga manager against a store (a file,
and a store on a PostgreSQL server)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from explorer.demo import DEMO_DOMAIN, OrderFulfilment, make_context
from explorer.demo.system import SHOP
from explorer.domain import CommandService, Repository
from explorer.runtime.runner import Runner
from explorer.sagas import SagaManager
from explorer.system.workspace import open_store
from tests.conftest import ADDRESS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends


def manager_for(store, failure_rate=0.0) -> SagaManager:
    service = CommandService(store, DEMO_DOMAIN, context=make_context(failure_rate=failure_rate),
                             issued_by="saga:test")
    return SagaManager(OrderFulfilment, service)


def setup_shop(service, stock=10):
    service.execute("Customer", "cust_1", "register", {"name": "Ada", "email": "a@b.co",
                                                       "address": ADDRESS})
    for product in ("prod_101", "prod_102"):
        service.execute("Inventory", product, "receive_stock", {"quantity": stock})


def place(service, order_id="order_1", quantities=(1, 2)):
    items = [{"product_id": p, "quantity": q, "price": 10.0}
             for p, q in zip(("prod_101", "prod_102"), quantities, strict=False)]
    return service.execute("Order", order_id, "place", {
        "customer_id": "cust_1", "items": items, "total": 10.0 * sum(quantities)})


def saga(store, order_id="order_1") -> OrderFulfilment:
    return Repository(store, DEMO_DOMAIN).load("OrderFulfilment",
                                               f"fulfilment-{order_id}").aggregate


def types(store, stream_id):
    return [e.event_type for e in store.read_stream(stream_id)]


def test_the_happy_path_reserves_charges_ships_and_dispatches(service, store):
    setup_shop(service)
    placed = place(service)
    manager_for(store).catch_up()
    state = saga(store)
    assert state.status == "completed"
    assert types(store, "order_1") == ["OrderPlaced", "OrderPaid", "OrderShipped"]
    assert types(store, "pay_1") == ["PaymentCharged"]
    assert types(store, "prod_101") == ["InventoryStockReceived", "InventoryReserved",
                                        "InventoryDispatched"]
    assert types(store, "fulfilment-order_1") == [
        "FulfilmentStarted", "ReservationConfirmed", "ReservationConfirmed", "PaymentConfirmed",
        "ShipmentConfirmed"]
    steps = state.steps
    assert [steps[s]["status"] for s in ("reserve prod_101", "reserve prod_102",
                                         "charge payment", "ship order")] == ["done"] * 4
    shipped = store.read_stream("order_1")[-1]
    assert shipped.correlation_id == placed.correlation_id
    charged = store.read_stream("pay_1")[0]
    assert shipped.causation_id == charged.event_id
    assert shipped.metadata["issued_by"] == "saga:order_fulfilment"
    assert shipped.metadata["command_id"] == steps["ship order"]["command_id"]


def test_out_of_stock_releases_what_was_reserved_and_cancels(service, store):
    setup_shop(service, stock=1)
    place(service, quantities=(1, 2))  # prod_102 has 1, 2 are wanted
    manager_for(store).catch_up()
    state = saga(store)
    assert state.status == "compensated" and "out of stock: Gadget" in state.reason
    assert types(store, "prod_101")[-2:] == ["InventoryReserved", "InventoryReservationReleased"]
    assert types(store, "prod_102")[-1] == "InventoryReservationFailed"
    assert types(store, "order_1") == ["OrderPlaced", "OrderCancelled"]
    assert store.read_stream("order_1")[-1].data["reason"] == "out of stock: Gadget"
    assert state.steps["reserve prod_101"]["status"] == "compensated"
    assert state.steps["reserve prod_102"]["status"] == "failed"
    assert "charge payment" not in state.steps


def test_a_failed_payment_releases_reservations_and_cancels(service, store):
    setup_shop(service)
    place(service)
    manager_for(store, failure_rate=1.0).catch_up()
    state = saga(store)
    assert state.status == "compensated" and state.reason.startswith("payment failed: ")
    assert types(store, "pay_1") == ["PaymentFailed"]
    for product in ("prod_101", "prod_102"):
        assert types(store, product)[-1] == "InventoryReservationReleased"
    assert types(store, "order_1") == ["OrderPlaced", "OrderCancelled"]
    assert state.steps["charge payment"]["status"] == "failed"


def test_an_order_paid_with_a_declined_card_on_file_is_compensated(service, store):
    setup_shop(service)
    service.execute("Order", "order_1", "place", {
        "customer_id": "cust_1", "total": 10.0, "card_number": "4000 0000 0000 0002",
        "items": [{"product_id": "prod_101", "quantity": 1, "price": 10.0}]})
    placed = store.read_stream("order_1")[0]
    assert placed.data["card_last4"] == "0002"
    assert "4000" not in str(placed.data)  # only the last four digits are kept
    manager_for(store).catch_up()  # no random failures: the card itself is declined
    state = saga(store)
    assert state.status == "compensated" and state.reason == "payment failed: card declined"
    assert types(store, "prod_101")[-1] == "InventoryReservationReleased"
    assert types(store, "order_1") == ["OrderPlaced", "OrderCancelled"]


def test_a_customer_cancelling_after_payment_gets_refunded(service, store):
    setup_shop(service)
    place(service)
    manager = manager_for(store)
    # run until the payment is confirmed, then the customer cancels before shipping
    manager.handle(store.read_stream("order_1")[0])
    for product in ("prod_101", "prod_102"):
        manager.handle(store.read_stream(product)[-1])
    store_events = store.read_stream("pay_1")
    assert [e.event_type for e in store_events] == ["PaymentCharged"]
    service.execute("Order", "order_1", "cancel", {"reason": "changed my mind"},
                    issued_by="web:cust_1")
    manager.catch_up()
    state = saga(store)
    assert state.status == "compensated" and "cancelled by web:cust_1" in state.reason
    assert types(store, "pay_1") == ["PaymentCharged", "PaymentRefunded"]
    assert state.steps["ship order"]["status"] == "rejected"
    assert "cancelled" in state.steps["ship order"]["reason"]


def test_a_refused_compensation_leaves_the_saga_failed_for_a_person(service, store):
    setup_shop(service)
    place(service)
    manager = manager_for(store, failure_rate=1.0)
    manager.handle(store.read_stream("order_1")[0])  # reservations made
    service.execute("Inventory", "prod_101", "release", {"order_id": "order_1"},
                    issued_by="ops:warehouse")
    manager.catch_up()
    state = saga(store)
    assert state.status == "failed"
    assert state.reason.startswith("release prod_101 was refused: Cannot release Widget")


def test_each_event_is_observed_once_and_each_step_runs_once(service, store):
    setup_shop(service)
    place(service)
    manager = manager_for(store)
    manager.catch_up()
    before = store.last_position()
    for event in list(store.read_all()):  # redeliver everything, twice, to a fresh manager
        manager_for(store).handle(event)
        manager.handle(event)
    assert store.last_position() == before


def test_two_runners_at_once_never_double_a_step(service, store, store_location):
    setup_shop(service, stock=100)
    for i in range(1, 21):
        place(service, f"order_{i}", quantities=(1, 1))
    errors = []

    def run():
        try:
            with open_store(store_location, system=SHOP) as own:
                manager_for(own).catch_up()
        except Exception as error:  # a failure in a thread must fail the test
            errors.append(error)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    manager_for(store).catch_up()
    counts = Counter(e.event_type for e in store.read_all())
    assert counts["PaymentCharged"] == counts["OrderShipped"] == 20
    assert counts["InventoryReserved"] == counts["InventoryDispatched"] == 40
    assert counts["FulfilmentStarted"] == 20


SAGA_RUN = """
import sys
from explorer.demo.system import SHOP
from explorer.runtime.runner import Runner
with Runner(sys.argv[1], SHOP, context_options={"failure_rate": 0.1, "latency_s": 0.002}) as runner:
    for manager in runner.sagas:
        manager.catch_up(progress=lambda done, last: print(done, flush=True))
"""


TIME_KEYS = {"at", "scheduled_at", "outcome_at"}


def timeless(value):
    """Data without wall-clock times, and ids (which are derived from those times) as <id>."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in sorted(value.items()) if k not in TIME_KEYS}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    if isinstance(value, str) and len(value) == 36 and value[8] == "-" and value[13] == "-":
        return "<id>"
    return value


def signature(path):
    """Every event as any run would write it, whenever it ran: streams, versions, types and
    data, without the times and the ids made from them."""
    with open_store(path, system=SHOP, read_only=True) as store:
        return sorted((e.stream_id, e.version, e.event_type, repr(timeless(e.data)))
                      for e in store.read_all())


def with_orders(location, orders: int = 80) -> str:
    """A shop with stock for half the orders, and the orders, no saga run yet."""
    with open_store(location, system=SHOP, create=True) as store:
        service = CommandService(store, DEMO_DOMAIN)
        setup_shop(service, stock=orders // 2)
        for i in range(1, orders + 1):
            place(service, f"order_{i}", quantities=(1, 1))
    return str(location)


def test_a_saga_run_killed_midway_finishes_exactly_as_an_uninterrupted_one(locations):
    path, clean = with_orders(locations("orders")), with_orders(locations("clean"))
    with Runner(str(clean), SHOP, context_options={"failure_rate": 0.1}) as runner:
        runner.run_pending()
    child = subprocess.Popen([sys.executable, "-c", SAGA_RUN, str(path)],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**__import__("os").environ})
    deadline = time.monotonic() + 60
    with open_store(path, system=SHOP, read_only=True) as store:
        while sum(1 for e in store.read_all() if e.event_type == "PaymentCharged") < 10:
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Runner(str(path), SHOP, context_options={"failure_rate": 0.1}) as runner:
        runner.run_pending()
    assert signature(path) == signature(clean)
    with open_store(path, system=SHOP, read_only=True) as store:
        events = list(store.read_all())
    charges = Counter(e.stream_id for e in events if e.event_type == "PaymentCharged")
    assert charges and max(charges.values()) == 1  # never a double charge
    counts = Counter(e.event_type for e in events)
    assert counts["PaymentCharged"] + counts["PaymentFailed"] == 40  # stock for 40 orders
    assert counts["ReservationRefused"] == 40  # the rest compensated
    assert counts["FulfilmentStarted"] == 80


def test_the_runner_picks_up_another_processs_orders_within_a_fraction_of_a_second(
        service, store, store_location):
    setup_shop(service)
    stop = threading.Event()
    runner = Runner(str(store_location), SHOP, context_options={"failure_rate": 0.1})
    thread = threading.Thread(target=runner.run_forever, args=(stop,))
    thread.start()
    try:
        subprocess.run([sys.executable, "-m", "explorer", "command", str(store_location), "Order",
                        "order_9", "place", "--data",
                        '{"customer_id": "cust_1", "total": 10.0, "items": [{"product_id": '
                        '"prod_101", "quantity": 1, "price": 10.0}]}'], check=True, cwd=ROOT,
                       capture_output=True)
        appended = time.monotonic()
        deadline = appended + 20
        while saga(store, "order_9").status != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)
        runner.close()
    assert types(store, "order_9") == ["OrderPlaced", "OrderPaid", "OrderShipped"]


@pytest.mark.parametrize("path", ["happy", "refused"])
def test_step_commands_name_their_cause_and_request(service, store, path):
    setup_shop(service, stock=1 if path == "refused" else 10)
    placed = place(service)
    manager_for(store).catch_up()
    for event in store.read_all():
        if event.metadata.get("issued_by") == "saga:order_fulfilment":
            assert event.correlation_id == placed.correlation_id
            assert event.causation_id is not None
            if event.stream_type != "OrderFulfilment":
                store.event_by_id(event.causation_id)  # the causing event exists
