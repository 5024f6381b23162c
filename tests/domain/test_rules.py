"""The demo shop's business rules, exercised through the command service as a user would."""

from __future__ import annotations

import pytest

from explorer.domain import DomainError
from tests.conftest import ADDRESS, LINE, place_order


def run(service, stream_type, stream_id, command, **data):
    return service.execute(stream_type, stream_id, command, data)


def types(result):
    return [e.event_type for e in result.events]


def paid_order(service, order_id="order_789"):
    place_order(service, order_id)
    run(service, "Order", order_id, "mark_paid", payment_id="pay_789", amount=59.98)


# -- orders ----------------------------------------------------------------------------------

def test_placing_an_order_records_the_items_with_names_and_the_total(service):
    result = service.execute("Order", "order_789", "place", {
        "customer_id": "cust_456", "items": [LINE, {"product_id": "prod_101", "quantity": 1,
                                                    "price": 29.99}], "total": 89.97})
    data = result.events[0].data
    assert types(result) == ["OrderPlaced"] and result.events[0].schema_version == 2
    assert data["items"][0] == {"product_id": "prod_123", "name": "Widget Pro", "quantity": 2,
                                "price": 29.99}
    assert data["total"] == 89.97 and data["currency"] == "USD" and data["order_id"] == "order_789"


def test_an_order_total_must_match_its_items(service):
    with pytest.raises(DomainError, match="total 10.00 does not match its items, which come "
                                          "to 59.98"):
        place_order(service, total=10)


def test_a_product_listed_twice_is_refused(service):
    with pytest.raises(DomainError, match="prod_123 is listed twice"):
        place_order(service, items=[LINE, LINE], total=119.96)


def test_an_order_cannot_be_placed_twice(service):
    place_order(service)
    with pytest.raises(DomainError, match="Order order_789 already exists"):
        place_order(service)


def test_commands_on_an_order_that_does_not_exist(service):
    with pytest.raises(DomainError, match="Order order_1 does not exist yet; create it with "
                                          "place first"):
        run(service, "Order", "order_1", "ship", carrier="UPS", tracking="1Z999")


def test_shipping_needs_a_paid_order(service):
    place_order(service)
    with pytest.raises(DomainError, match="^Cannot ship order order_789: it is not paid.$"):
        run(service, "Order", "order_789", "ship", carrier="FedEx", tracking="123456")


def test_a_paid_order_ships_once(service):
    paid_order(service)
    result = run(service, "Order", "order_789", "ship", carrier="FedEx", tracking="123456")
    assert types(result) == ["OrderShipped"]
    assert result.events[0].data["items"] == [{"product_id": "prod_123", "quantity": 2}]
    with pytest.raises(DomainError, match="already shipped with FedEx \\(123456\\)"):
        run(service, "Order", "order_789", "ship", carrier="UPS", tracking="999")
    with pytest.raises(DomainError, match="Cannot cancel order order_789: it has already shipped"):
        run(service, "Order", "order_789", "cancel", reason="too late")


def test_paying_needs_the_right_amount_and_an_open_order(service):
    place_order(service)
    with pytest.raises(DomainError, match="amount 10.00 is not its total 59.98 USD"):
        run(service, "Order", "order_789", "mark_paid", payment_id="p", amount=10)
    run(service, "Order", "order_789", "mark_paid", payment_id="p", amount=59.98)
    with pytest.raises(DomainError, match="already paid \\(payment p\\)"):
        run(service, "Order", "order_789", "mark_paid", payment_id="p", amount=59.98)


def test_a_cancelled_order_cannot_be_paid_shipped_or_cancelled_again(service):
    place_order(service)
    result = run(service, "Order", "order_789", "cancel", reason="customer request")
    assert result.events[0].data["previous_status"] == "placed"
    assert result.events[0].data["refund_due"] == 0.0
    for command, data, message in [
        ("mark_paid", {"payment_id": "p", "amount": 59.98}, "Cannot pay order order_789: it is "
                                                            "cancelled"),
        ("ship", {"carrier": "UPS", "tracking": "1Z9"}, "Cannot ship order order_789: it is "
                                                        "cancelled"),
        ("cancel", {"reason": "again"}, "already cancelled \\(customer request\\)"),
        ("add_item", {"product_id": "prod_101", "quantity": 1, "price": 1},
         "Cannot add items to order order_789: it is cancelled"),
    ]:
        with pytest.raises(DomainError, match=message):
            service.execute("Order", "order_789", command, data)


def test_cancelling_a_paid_order_says_what_is_due_back(service):
    paid_order(service)
    data = run(service, "Order", "order_789", "cancel", reason="changed mind").events[0].data
    assert data["refund_due"] == 59.98 and data["payment_id"] == "pay_789"


def test_items_are_added_and_removed_with_full_context(service):
    place_order(service)
    added = run(service, "Order", "order_789", "add_item", product_id="prod_101", quantity=1,
                price=29.99)
    assert added.events[0].data["new_total"] == 89.97
    removed = run(service, "Order", "order_789", "remove_item", product_id="prod_123", quantity=1,
                  reason="out_of_stock")
    assert removed.events[0].data == {
        "order_id": "order_789", "product_id": "prod_123", "product_name": "Widget Pro",
        "quantity_removed": 1, "price_at_time": 29.99, "reason": "out_of_stock",
        "new_total": 59.98}
    state = service.repository.load("Order", "order_789").aggregate.state()
    assert state["items"]["prod_123"]["quantity"] == 1 and state["total"] == 59.98


def test_removing_items_that_are_not_there_or_too_many_or_the_last(service):
    place_order(service)
    with pytest.raises(DomainError, match="has no such item \\(it has prod_123\\)"):
        run(service, "Order", "order_789", "remove_item", product_id="prod_101")
    with pytest.raises(DomainError, match="Cannot remove 3 of Widget Pro .* it has only 2"):
        run(service, "Order", "order_789", "remove_item", product_id="prod_123", quantity=3)
    with pytest.raises(DomainError, match="last item .* cancel the order instead"):
        run(service, "Order", "order_789", "remove_item", product_id="prod_123")


def test_a_paid_order_cannot_change(service):
    paid_order(service)
    with pytest.raises(DomainError, match="Cannot remove items from order order_789: it is "
                                          "already paid"):
        run(service, "Order", "order_789", "remove_item", product_id="prod_123", quantity=1)


# -- inventory -------------------------------------------------------------------------------

def test_stock_is_received_reserved_released_and_dispatched(service):
    received = run(service, "Inventory", "prod_101", "receive_stock", quantity=5)
    assert received.events[0].data["name"] == "Widget" and received.events[0].data["on_hand"] == 5
    reserved = run(service, "Inventory", "prod_101", "reserve", order_id="o1", quantity=3)
    assert types(reserved) == ["InventoryReserved"] and reserved.events[0].data["available"] == 2
    run(service, "Inventory", "prod_101", "reserve", order_id="o2", quantity=2)
    released = run(service, "Inventory", "prod_101", "release", order_id="o2")
    assert released.events[0].data["available"] == 2
    dispatched = run(service, "Inventory", "prod_101", "dispatch", order_id="o1")
    assert dispatched.events[0].data["on_hand"] == 2
    state = service.repository.load("Inventory", "prod_101").aggregate.state()
    assert state == {"name": "Widget", "on_hand": 2, "reserved": 0, "reservations": {}}


def test_reserving_more_than_is_available_records_a_failure_not_an_error(service):
    run(service, "Inventory", "prod_101", "receive_stock", quantity=2)
    result = run(service, "Inventory", "prod_101", "reserve", order_id="o1", quantity=3)
    assert types(result) == ["InventoryReservationFailed"]
    assert result.events[0].data["requested"] == 3 and result.events[0].data["available"] == 2
    state = service.repository.load("Inventory", "prod_101").aggregate.state()
    assert state["reserved"] == 0


def test_reservation_rules(service):
    run(service, "Inventory", "prod_101", "receive_stock", quantity=9)
    run(service, "Inventory", "prod_101", "reserve", order_id="o1", quantity=1)
    with pytest.raises(DomainError, match="1 are already reserved for it"):
        run(service, "Inventory", "prod_101", "reserve", order_id="o1", quantity=1)
    for command in ("release", "dispatch"):
        with pytest.raises(DomainError, match=f"Cannot {command} Widget for order o9: nothing is "
                                              "reserved"):
            run(service, "Inventory", "prod_101", command, order_id="o9")


# -- payments --------------------------------------------------------------------------------

def charge(service, payment_id="pay_1", **changes):
    data = {"order_id": "order_1", "customer_id": "cust_1", "amount": 20.0, **changes}
    return service.execute("Payment", payment_id, "charge", data)


def test_a_charge_succeeds_or_fails_as_the_gateway_decides(service):
    failed = charge(service, card_number="4000 0000 0000 0002")
    assert types(failed) == ["PaymentFailed"] and failed.events[0].data["reason"] == "card declined"
    assert failed.events[0].data["attempt"] == 1
    with pytest.raises(DomainError, match="it is the payment of order order_1"):
        charge(service, "pay_1", order_id="order_2")
    charged = charge(service)
    assert types(charged) == ["PaymentCharged"] and charged.events[0].data["transaction_id"]
    with pytest.raises(DomainError, match="already charged"):
        charge(service)


def test_refunds_are_limited_to_what_was_charged(service):
    with pytest.raises(DomainError, match="Payment pay_1 does not exist yet"):
        run(service, "Payment", "pay_1", "refund", reason="x")
    charge(service, card_number="4000 0000 0000 9995")
    with pytest.raises(DomainError, match="nothing was charged"):
        run(service, "Payment", "pay_1", "refund", reason="x")
    charge(service)
    with pytest.raises(DomainError, match="only 20.00 USD is left to refund"):
        run(service, "Payment", "pay_1", "refund", amount=25, reason="x")
    assert run(service, "Payment", "pay_1", "refund", amount=5, reason="x").events[0].data[
        "amount"] == 5
    assert run(service, "Payment", "pay_1", "refund", reason="rest").events[0].data["amount"] == 15
    with pytest.raises(DomainError, match="already fully refunded|already refunded"):
        run(service, "Payment", "pay_1", "refund", reason="again")


# -- customers -------------------------------------------------------------------------------

def test_an_address_change_carries_both_addresses(service):
    run(service, "Customer", "cust_456", "register", name="Ada Lovelace",
        email="ada@example.com", address=ADDRESS)
    moved = {**ADDRESS, "street": "2 Oak Avenue"}
    result = run(service, "Customer", "cust_456", "change_address", address=moved)
    assert result.events[0].event_type == "CustomerAddressChanged"
    assert result.events[0].data["previous_address"] == ADDRESS
    assert result.events[0].data["new_address"] == moved
    with pytest.raises(DomainError, match="already has this address"):
        run(service, "Customer", "cust_456", "change_address", address=moved)


def test_a_stock_receipt_may_carry_a_best_before_date(service, store):
    service.execute("Inventory", "prod_101", "receive_stock",
                    {"quantity": 5, "best_before": "2026-12-31"})
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    first, second = store.read_stream("prod_101")
    assert first.data["best_before"] == "2026-12-31" and "best_before" not in second.data
    from explorer.domain.commands import CommandValidationError
    with pytest.raises(CommandValidationError, match="best_before"):
        service.execute("Inventory", "prod_101", "receive_stock",
                        {"quantity": 5, "best_before": "31/12/2026"})
