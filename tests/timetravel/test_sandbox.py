"""What-if branches: commands at a past position, in a copy; the real store never changes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.domain import DomainError
from explorer.projections import ProjectionEngine, ReadModelDatabase, read_model_path, read_rows
from explorer.runtime.runner import Runner
from explorer.store.query import EventQuery
from explorer.system.workspace import open_store
from explorer.timetravel.whatif import Sandbox
from tests.conftest import ADDRESS
from tests.systems.cases import seeded


def digest(path: Path) -> str:
    return "".join(hashlib.sha256(Path(f"{path}{suffix}").read_bytes()).hexdigest()
                   for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=60, seed=3)
    with Runner(str(path), SHOP, run_sagas=False) as runner:
        runner.run_pending()
    return path


def test_a_branch_holds_the_past_and_lets_commands_play_out(shop, tmp_path):
    with open_store(shop, system=SHOP, read_only=True) as store:
        position = store.last_position() // 2
        placed = [e for e in store.read_all(1, position) if e.event_type == "OrderPlaced"]
    before = digest(shop)
    sandbox = Sandbox.create(str(shop), position, SHOP)
    try:
        with open_store(sandbox.path, system=SHOP, read_only=True) as branch:
            assert branch.last_position() == position
            assert branch.count_streams("Order") == len(placed)
        result = sandbox.execute("Order", "order_whatif", "place", {
            "customer_id": "cust_001", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        assert result.events[0].position == position + 1
        new = sandbox.new_events()
        types = [e.event_type for e in new]
        assert types[0] == "OrderPlaced" and "FulfilmentStarted" in types  # the saga reacted
        changed = {(c.projection, c.key) for c in sandbox.changes()}
        assert ("order_summary", "order_whatif") in changed
        exported = tmp_path / "what-if.jsonl"
        assert sandbox.export(exported) == len(new)
        lines = [json.loads(line) for line in exported.read_text().splitlines()]
        assert lines[0]["stream_id"] == "order_whatif"
        with pytest.raises(DomainError):
            sandbox.execute("Order", "order_whatif", "place", {
                "customer_id": "cust_001", "total": 29.99,
                "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
    finally:
        sandbox.discard()
    assert not sandbox.folder.exists()
    assert digest(shop) == before  # byte for byte
    with open_store(shop, system=SHOP, read_only=True) as store:
        assert store.stream_head("order_whatif") is None


def test_the_branch_read_models_are_those_as_of_the_position(shop):
    from explorer.demo.projections import order_summary
    from explorer.projections import ReadModelDatabase, read_model_path, read_rows

    with open_store(shop, system=SHOP, read_only=True) as store:
        position = store.last_position() // 3
    sandbox = Sandbox.create(str(shop), position, SHOP)
    try:
        with ReadModelDatabase(read_model_path(str(shop), False), read_only=True) as real, \
                ReadModelDatabase(read_model_path(str(sandbox.path), False),
                                  read_only=True) as branch:
            assert read_rows(branch, order_summary, limit=None) == read_rows(
                real, order_summary, at_position=position, limit=None)
    finally:
        sandbox.discard()


def first_after(store, event_type, followed_by=None, start=1):
    """The first event of a type (from `start`), optionally the one right before a given type."""
    for event in store.query(EventQuery(event_types=(event_type,), from_position=start),
                             limit=None):
        if followed_by is None or store.event_at(event.position + 1).event_type == followed_by:
            return event
    raise AssertionError(f"no {event_type} in the store")


def test_a_branch_at_an_event_the_saga_had_not_handled_yet_still_reacts_to_it(shop):
    """A payment charged at P, recorded by the saga at P+1: cancelling the order in a branch at
    P refunds the payment, as a branch at P+1 does (and as the live system would have)."""
    with open_store(shop, system=SHOP, read_only=True) as store:
        charged = first_after(store, "PaymentCharged", followed_by="PaymentConfirmed")
    order_id, payment_id = charged.data["order_id"], charged.data["payment_id"]
    for position in (charged.position, charged.position + 1):
        sandbox = Sandbox.create(str(shop), position, SHOP)
        try:
            sandbox.execute("Order", order_id, "cancel", {"reason": "what if"})
            refunds = [e for e in sandbox.new_events()
                       if e.event_type == "PaymentRefunded" and e.stream_id == payment_id]
            assert len(refunds) == 1, position
        finally:
            sandbox.discard()


def test_a_branch_takes_up_the_steps_that_were_due_and_does_nothing_twice(shop):
    """At P an order's 'ship order' step is scheduled, its command not run yet (it runs later
    in the real log): the branch's saga runs it, as the live runner would have; no saga
    reaction and no command that the log up to P already holds is done again."""
    with open_store(shop, system=SHOP, read_only=True) as store:
        confirmed = first_after(store, "PaymentConfirmed")
        position = confirmed.position
        order_id = confirmed.data["payment_id"].replace("pay_", "order_")
        assert "OrderShipped" not in [e.event_type for e in store.read_stream(order_id)
                                      if e.position <= position]
        done = {e.metadata.get("command_id") for e in store.read_all(1, position)} - {None}
        observed = {e.data.get("source_event_id") for e in store.read_all(1, position)
                    if e.stream_type == "OrderFulfilment"}
    sandbox = Sandbox.create(str(shop), position, SHOP)
    try:
        sandbox.execute("Customer", "cust_whatif", "register", {
            "name": "Ada", "email": "ada@example.com", "address": ADDRESS})
        new = sandbox.new_events()
    finally:
        sandbox.discard()
    assert any(e.event_type == "OrderShipped" and e.stream_id == order_id for e in new)
    assert not {e.metadata.get("command_id") for e in new} & done
    assert not {e.data.get("source_event_id") for e in new
                if e.stream_type == "OrderFulfilment"} & observed


def test_the_branch_read_models_go_on_from_the_position_including_its_event(system, case,
                                                                          tmp_path):
    """Branched at an event that changes read models, then a command: each read model of the
    branch equals one built from nothing but the branch's events (for each system)."""
    path = seeded(tmp_path, system, case.seed_size * 2)
    with open_store(path, system=system, read_only=True) as store:
        position, request = case.what_if(store)
    before = digest(path)
    sandbox = Sandbox.create(str(path), position, system)
    try:
        result = sandbox.execute(request.stream_type, request.stream_id, request.command,
                                 request.data)
        assert result.events[0].position > position
        assert sandbox.changes()  # the command changed read models
        with open_store(sandbox.path, system=system, read_only=True) as branch, \
                ReadModelDatabase(read_model_path(str(sandbox.path), False),
                                  read_only=True) as kept, \
                ReadModelDatabase(tmp_path / "fresh.readmodels") as fresh:
            ProjectionEngine(branch, fresh, system.projections()).catch_up_all()
            for projection in system.projections():
                for table in projection.tables:
                    assert read_rows(kept, table, limit=None) == \
                        read_rows(fresh, table, limit=None), table.name
    finally:
        sandbox.discard()
    assert digest(path) == before  # the real store, byte for byte


def test_a_commands_own_consequences_are_told_from_the_work_due_at_the_position(shop):
    """(Review: registering a customer in a branch was said to have caused the shipping of
    orders whose steps were due at the position.) `caused` is the command's events and their
    consequences, by their causes; the due work is not among them. The branch's events are
    stamped from the position's moment on, not with today's date."""
    with open_store(shop, system=SHOP, read_only=True) as store:
        position = first_after(store, "PaymentConfirmed").position
        moment = store.event_at(position).timestamp_us
    sandbox = Sandbox.create(str(shop), position, SHOP)
    try:
        registered = sandbox.execute("Customer", "cust_whatif", "register", {
            "name": "Ada", "email": "ada@example.com", "address": ADDRESS})
        new = sandbox.new_events()
        assert Sandbox.caused(registered, new) == list(registered.events)
        assert any(e.event_type == "OrderShipped" for e in new)  # due, done meanwhile
        placed = sandbox.execute("Order", "order_whatif", "place", {
            "customer_id": "cust_whatif", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        after = sandbox.new_events()[len(new):]
        caused = Sandbox.caused(placed, after)
        assert caused[:len(placed.events)] == list(placed.events)
        reactions = caused[len(placed.events):]
        assert {"FulfilmentStarted", "InventoryReserved", "PaymentCharged"} <= {
            e.event_type for e in reactions}  # the saga took the order through
        assert {e.stream_id for e in caused} <= {"order_whatif", "fulfilment-order_whatif",
                                                 "prod_101", "pay_whatif"}
        assert caused == after  # (the due work was done after the first command)
        hour = 3_600_000_000
        assert all(moment <= e.timestamp_us < moment + hour for e in sandbox.new_events())
    finally:
        sandbox.discard()
