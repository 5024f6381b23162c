"""Command schemas: machine-readable for forms and the CLI, and validation with a message per
field."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from explorer.demo import DEMO_DOMAIN
from explorer.domain import CommandValidationError, UnknownCommandError
from explorer.domain.commands import Command

EXPECTED_COMMANDS = {
    "Order": ["place", "add_item", "remove_item", "mark_paid", "ship", "cancel"],
    "Inventory": ["receive_stock", "reserve", "release", "dispatch"],
    "Payment": ["charge", "refund"],
    "Customer": ["register", "change_address"],
    "OrderFulfilment": [],  # a saga's stream: written by the saga only
}


def test_every_aggregate_type_has_its_commands():
    assert {t: list(c) for t, c in DEMO_DOMAIN.commands.items()} == EXPECTED_COMMANDS


@pytest.mark.parametrize("described", DEMO_DOMAIN.describe_commands(),
                         ids=lambda d: f"{d['stream_type']}.{d['name']}")
def test_each_command_describes_its_fields(described):
    schema = described["schema"]
    assert described["summary"] and schema["type"] == "object"
    assert schema.get("additionalProperties") is False
    for name, prop in schema["properties"].items():
        assert "description" in prop or "$ref" in prop, f"{name} has no description"


def test_the_place_schema_has_types_ranges_choices_and_nested_items():
    schema = DEMO_DOMAIN.command_class("Order", "place").schema()
    assert schema["required"] == ["customer_id", "items", "total"]
    assert schema["properties"]["currency"]["enum"] == ["USD", "EUR", "GBP"]
    assert schema["properties"]["currency"]["default"] == "USD"
    line = schema["$defs"]["OrderLine"]["properties"]
    assert line["quantity"]["type"] == "integer" and line["quantity"]["exclusiveMinimum"] == 0
    assert line["quantity"]["maximum"] == 1000 and line["price"]["type"] == "number"
    address = DEMO_DOMAIN.command_class("Customer", "register").schema()["$defs"]["Address"]
    assert address["required"] == ["street", "city", "postal_code", "country"]


def problems(stream_type, command, data):
    with pytest.raises(CommandValidationError) as caught:
        DEMO_DOMAIN.command_class(stream_type, command).parse(data)
    return {p.field: p.message for p in caught.value.problems}


def test_each_invalid_field_gets_its_own_message():
    found = problems("Order", "place", {
        "customer_id": "", "items": [{"product_id": "nope", "quantity": -1, "price": 1}],
        "total": "lots", "currency": "DOGE", "colour": "red"})
    assert found["customer_id"].startswith("string should have at least 1 character")
    assert "unknown product 'nope'" in found["items[0].product_id"]
    assert found["items[0].quantity"] == "input should be greater than 0"
    assert found["total"] == 'expected a number, not "lots"'
    assert found["currency"] == "input should be 'USD', 'EUR' or 'GBP'"
    assert found["colour"].startswith("unknown field (this command takes: customer_id, items")


def test_missing_fields_are_named():
    assert problems("Order", "ship", {}) == {"carrier": "required", "tracking": "required"}
    assert problems("Customer", "register", {"name": "A", "email": "bad", "address": {}}) == {
        "email": "string should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'",
        "address.street": "required", "address.city": "required",
        "address.postal_code": "required", "address.country": "required"}


def test_the_error_message_lists_every_problem():
    with pytest.raises(CommandValidationError) as caught:
        DEMO_DOMAIN.command_class("Order", "ship").parse({"carrier": "Owl", "tracking": "x y"})
    message = str(caught.value)
    assert message.startswith("ship: carrier: input should be 'FedEx'")
    assert "tracking: string should" in message


def test_data_that_is_not_an_object():
    assert problems("Order", "cancel", ["reason"]) == {
        "": "the data must be a JSON object of fields, not list"}


def test_unknown_types_and_commands_list_what_exists():
    with pytest.raises(UnknownCommandError, match="no aggregate type 'Ordr'; the types are Order, "
                                                  "Inventory, Payment, Customer"):
        DEMO_DOMAIN.command_class("Ordr", "place")
    with pytest.raises(UnknownCommandError, match="Order has no command 'explode'; its commands "
                                                  "are place, add_item"):
        DEMO_DOMAIN.command_class("Order", "explode")
    with pytest.raises(UnknownCommandError, match="OrderFulfilment takes no commands"):
        DEMO_DOMAIN.command_class("OrderFulfilment", "start")


def test_defaults_are_filled_in():
    command = DEMO_DOMAIN.command_class("Payment", "charge").parse(
        {"order_id": "o", "customer_id": "c", "amount": 5})
    assert (command.currency, command.method) == ("USD", "card")


def test_a_whole_number_beyond_64_bits_is_said_too_large():
    # Found by a tester: 2**70 read from JSON came as a float, "expected a whole number, not
    # 1.1805916207174113e+21", as if it had a fraction.
    assert problems("Inventory", "reserve", {"order_id": "o", "quantity": float(2**70)}) == {
        "quantity": "about 1.18e+21 is too large: a whole number here is at most "
                    "9,223,372,036,854,775,807"}
    assert problems("Inventory", "reserve", {"order_id": "o", "quantity": 1.5}) == {
        "quantity": "expected a whole number, not 1.5"}


def test_fields_are_not_coerced_to_another_kind():
    assert problems("Inventory", "reserve", {"order_id": "o", "quantity": True}) == {
        "quantity": "expected a whole number, not true"}
    assert problems("Inventory", "reserve", {"order_id": "o", "quantity": "5 units"}) == {
        "quantity": 'expected a whole number, not "5 units"'}
    assert problems("Order", "cancel", {"reason": 5}) == {"reason": "expected text, not 5"}
    assert problems("Order", "mark_paid", {"payment_id": "p", "amount": "sixty"}) == {
        "amount": 'expected a number, not "sixty"'}
    paid = DEMO_DOMAIN.command_class("Order", "mark_paid").parse({"payment_id": "p", "amount": 60})
    assert paid.amount == 60.0 and isinstance(paid.amount, float)
    stock = DEMO_DOMAIN.command_class("Inventory", "receive_stock").parse(
        {"quantity": 5, "best_before": "2026-05-01"})
    assert stock.best_before.isoformat() == "2026-05-01"


def test_a_number_written_as_text_is_read_for_a_field_of_either_kind():
    # `float | int` (or a union of models holding numbers): "5.5" was refused twice over,
    # 'price.float: expected a number, not "5.5"; price.int: expected a whole number, ...',
    # where a `float` field took it.
    class Line(BaseModel):
        quantity: int

    class Quote(Command):
        command_name = "quote"
        price: float | int
        line: Line | str = "none"

    assert Quote.parse({"price": "5.5"}).price == 5.5
    quoted = Quote.parse({"price": " 5 ", "line": {"quantity": "2.00"}})
    assert quoted.price == 5 and quoted.line == Line(quantity=2)
    with pytest.raises(CommandValidationError, match='price.float: expected a number, not "lots"'):
        Quote.parse({"price": "lots"})
