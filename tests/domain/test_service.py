"""The command service: metadata, expected versions, retries, snapshots, and the unit of work."""

from __future__ import annotations

import sqlite3

import pytest

from explorer.demo import DEMO_DOMAIN, Inventory, Order
from explorer.demo.system import SHOP
from explorer.domain import CommandService, DomainError, Repository, UnitOfWork
from explorer.domain.model import DomainModel
from explorer.store import ConcurrencyError, NewEvent, StreamTypeMismatchError
from explorer.system.workspace import open_store
from tests.conftest import place_order


def test_events_carry_the_command_correlation_and_causation(service):
    result = service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 3})
    metadata = result.events[0].metadata
    assert metadata["command"] == "receive_stock" and metadata["issued_by"] == "test"
    assert metadata["correlation_id"] == result.command_id == result.correlation_id
    assert metadata["causation_id"] == result.command_id == metadata["command_id"]
    cause = result.events[0].event_id
    follow = service.execute("Inventory", "prod_101", "reserve", {"order_id": "o", "quantity": 1},
                             correlation_id=result.correlation_id, causation_id=cause)
    assert follow.events[0].correlation_id == result.correlation_id
    assert follow.events[0].causation_id == cause
    assert follow.events[0].metadata["command_id"] == follow.command_id != cause


def test_a_stale_expected_version_is_not_retried(service):
    place_order(service)
    with pytest.raises(ConcurrencyError, match="expected a new stream, but it is at version 1"):
        service.execute("Order", "order_789", "cancel", {"reason": "x"}, expected_version=0)
    result = service.execute("Order", "order_789", "cancel", {"reason": "x"}, expected_version=1)
    assert (result.version_before, result.version) == (1, 2)


def test_a_conflict_with_another_writer_is_retried_on_fresh_state(store, store_path, monkeypatch):
    service = CommandService(store, DEMO_DOMAIN, issued_by="test")
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    other = open_store(store_path, system=SHOP)
    real_load = service.repository.load
    interfered = []

    def load_then_interfere(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        if not interfered:  # another process reserves between our load and our append
            interfered.append(True)
            CommandService(other, DEMO_DOMAIN).execute(
                "Inventory", "prod_101", "reserve", {"order_id": "theirs", "quantity": 4})
        return loaded
    monkeypatch.setattr(service.repository, "load", load_then_interfere)
    result = service.execute("Inventory", "prod_101", "reserve",
                             {"order_id": "ours", "quantity": 3})
    assert result.attempts == 2
    assert [e.event_type for e in result.events] == ["InventoryReservationFailed"]
    assert result.events[0].data["available"] == 1
    other.close()


def test_conflicts_that_keep_happening_give_up(store, store_path, monkeypatch):
    service = CommandService(store, DEMO_DOMAIN, max_attempts=2)
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    other = open_store(store_path, system=SHOP)
    real_load = service.repository.load

    def always_interfere(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        other.append("prod_101", "Inventory", [NewEvent("InventoryStockReceived", {
            "product_id": "prod_101", "name": "Widget", "quantity": 1, "on_hand": 6, "note": ""})])
        return loaded
    monkeypatch.setattr(service.repository, "load", always_interfere)
    with pytest.raises(ConcurrencyError):
        service.execute("Inventory", "prod_101", "reserve", {"order_id": "o", "quantity": 1})
    other.close()


def test_stream_ids_and_types_are_checked(service):
    for bad, message in [("", "stream id is needed"), ("order 1", "spaces or control"),
                         ("x" * 201, "keep it under 200")]:
        with pytest.raises(DomainError, match=message):
            service.execute("Order", bad, "cancel", {"reason": "x"})
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    with pytest.raises(StreamTypeMismatchError, match="prod_101 has the type Inventory"):
        service.execute("Order", "prod_101", "cancel", {"reason": "x"})
    command = DEMO_DOMAIN.command_class("Order", "cancel").parse({"reason": "x"})
    with pytest.raises(DomainError, match="cancel is a Order command, not Inventory"):
        service.execute("Inventory", "prod_101", command)


@pytest.fixture
def snapshot_every_3(monkeypatch):
    monkeypatch.setattr(Inventory, "snapshot_every", 3)


def receive(service, times):
    for _ in range(times):
        service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 1})


def test_snapshots_are_taken_every_n_events_and_shorten_loads(service, store, snapshot_every_3):
    receive(service, 8)
    assert store.latest_snapshot("prod_101").version == 6
    loaded = service.repository.load("Inventory", "prod_101")
    assert loaded.snapshot_version == 6 and loaded.events_replayed == 2
    assert loaded.aggregate.state()["on_hand"] == 8 and loaded.version == 8
    at_five = service.repository.load("Inventory", "prod_101", at_version=5)
    assert at_five.snapshot_version == 3 and at_five.aggregate.on_hand == 5
    plain = Repository(store, DEMO_DOMAIN, use_snapshots=False).load("Inventory", "prod_101")
    assert plain.events_replayed == 8 and plain.aggregate.state() == loaded.aggregate.state()


def test_a_snapshot_at_the_head_of_the_stream(service, snapshot_every_3):
    receive(service, 6)
    loaded = service.repository.load("Inventory", "prod_101")
    assert loaded.snapshot_version == 6 and loaded.events_replayed == 0
    assert loaded.aggregate.on_hand == 6


@pytest.mark.parametrize(("state", "state_version", "note"), [
    ("{broken", 1, "ignored (unexpected character"),
    ('{"on_hand": 1}', 1, "ignored (snapshot fields"),
    ("[1]", 1, "ignored (its state is not a JSON object)"),
    ('{"name": "W", "on_hand": 99, "reserved": 0, "reservations": {}}', 7,
     "ignored (its state version 7 is not 1)"),
])
def test_a_snapshot_that_cannot_be_used_is_ignored(service, store_path, snapshot_every_3, state,
                                                   state_version, note):
    receive(service, 7)
    with sqlite3.connect(store_path) as db:
        db.execute("DELETE FROM snapshots")
        db.execute("INSERT INTO snapshots VALUES ('prod_101', 6, 'Inventory', 6, 0, ?, ?, 0)",
                   (state_version, state))
    loaded = service.repository.load("Inventory", "prod_101")
    assert loaded.snapshot_version is None and loaded.events_replayed == 7
    assert loaded.aggregate.on_hand == 7
    assert any(note in n for n in loaded.notes), loaded.notes
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 1})


def test_loading_as_of_a_position_or_time(service):
    receive(service, 2)
    place_order(service)
    receive(service, 1)
    repository = service.repository
    assert repository.load("Inventory", "prod_101", at_position=3).aggregate.on_hand == 2
    assert repository.load("Inventory", "prod_101", at_position=4).aggregate.on_hand == 3
    before_any = repository.load("Order", "order_789", at_position=2)
    assert before_any.version == 0
    last_time = service.store.event_at(2).timestamp_us
    assert repository.load("Inventory", "prod_101", at_time_us=last_time).version == 2


def test_loading_as_a_class_gives_its_instance_or_says_what_the_domain_reads(service):
    place_order(service)
    repository = service.repository
    loaded = repository.load(Order, "order_789")
    assert type(loaded.aggregate) is Order and loaded.aggregate.status == "placed"
    assert repository.load(Order, "order_789", at_version=0).aggregate.version == 0

    class SpecialOrder(Order):
        """Not the class the shop reads Order streams with."""

    with pytest.raises(TypeError, match="The domain shop has the class Order for Order streams, "
                                        "not .*SpecialOrder: add .*SpecialOrder to the domain"):
        repository.load(SpecialOrder, "order_789")
    bare = Repository(service.store, DomainModel("bare", [], []))
    with pytest.raises(TypeError, match="The domain bare has no class for Order streams"):
        bare.load(Order, "order_789")


def test_a_unit_of_work_gives_an_aggregate_of_the_class_asked_for(service):
    place_order(service)
    unit = UnitOfWork(service)
    assert unit.aggregate(Order, "order_789").status == "placed"
    unit.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5}, timestamp_us=10)
    assert unit.aggregate(Inventory, "prod_101").on_hand == 5
    with pytest.raises(StreamTypeMismatchError, match="Stream prod_101 has the type Inventory, "
                                                      "not Order"):
        unit.aggregate(Order, "prod_101")
    with pytest.raises(TypeError, match="has the class OrderFulfilment for OrderFulfilment"):
        unit.aggregate(type("Saga", (Order,), {"stream_type": "OrderFulfilment"}), "x")


def test_undecodable_events_are_skipped_with_a_note(service, store_path):
    receive(service, 1)
    with sqlite3.connect(store_path) as db:
        db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
                   "event_type, schema_version, timestamp, data) VALUES (2, 'prod_101', "
                   "'Inventory', 2, 'bad', 'InventoryStockReceived', 1, 1, '{oops')")
        db.execute("UPDATE streams SET version = 2, last_position = 2")
    receive(service, 1)
    loaded = service.repository.load("Inventory", "prod_101")
    assert loaded.version == 3 and loaded.aggregate.on_hand == 2
    assert "Version 2 (InventoryStockReceived) was skipped: the data is not valid JSON" in \
        loaded.notes[0]


def test_a_unit_of_work_appends_in_decision_order_in_one_transaction(service, store):
    unit = UnitOfWork(service, flush_every=1000)
    unit.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5}, timestamp_us=10)
    unit.execute("Inventory", "prod_102", "receive_stock", {"quantity": 5}, timestamp_us=20)
    unit.execute("Inventory", "prod_101", "reserve", {"order_id": "o", "quantity": 2},
                 timestamp_us=30)
    assert store.last_position() == 0 and unit.aggregate("Inventory", "prod_101").reserved == 2
    assert unit.flush() == 3 and unit.flush() == 0
    assert [(e.stream_id, e.version, e.timestamp_us) for e in store.read_all()] == [
        ("prod_101", 1, 10), ("prod_102", 1, 20), ("prod_101", 2, 30)]


def test_a_unit_of_work_fails_whole_when_another_writer_interferes(service, store, store_path):
    unit = UnitOfWork(service)
    unit.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5}, timestamp_us=10)
    unit.execute("Inventory", "prod_102", "receive_stock", {"quantity": 5}, timestamp_us=10)
    with open_store(store_path, system=SHOP) as other:
        CommandService(other, DEMO_DOMAIN).execute("Inventory", "prod_102", "receive_stock",
                                                   {"quantity": 1})
    with pytest.raises(ConcurrencyError, match="prod_102"):
        unit.flush()
    assert [e.stream_id for e in store.read_all()] == ["prod_102"]


def test_a_fresh_unit_of_work_looks_up_only_what_it_wrote(service, store, store_path,
                                                           monkeypatch):
    unit = UnitOfWork(service, flush_every=1000, cache_size=1, fresh=True)
    loads = []
    original = service.repository.load
    monkeypatch.setattr(service.repository, "load",
                        lambda *args, **kwargs: loads.append(args) or original(*args, **kwargs))
    unit.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5}, timestamp_us=10)
    unit.execute("Inventory", "prod_102", "receive_stock", {"quantity": 5}, timestamp_us=20)
    assert loads == []  # new streams: nothing to read
    unit.flush()
    unit.flush()  # the cache keeps one aggregate: a flush forgets one written before...
    assert len(unit._cache) == 1
    forgotten = "prod_101" if "prod_102" in unit._cache else "prod_102"
    unit.execute("Inventory", forgotten, "reserve", {"order_id": "o", "quantity": 2},
                 timestamp_us=30)
    assert loads == [("Inventory", forgotten)]  # ...and reads it back, as it exists
    unit.flush()
    assert [(e.stream_id, e.version) for e in store.read_all()] == [
        ("prod_101", 1), ("prod_102", 1), (forgotten, 2)]
    # were a stream written by someone else meanwhile, the flush fails whole: nothing is lost
    with open_store(store_path, system=SHOP) as other:
        CommandService(other, DEMO_DOMAIN).execute("Inventory", "prod_103", "receive_stock",
                                                   {"quantity": 1})
    unit.execute("Inventory", "prod_103", "receive_stock", {"quantity": 5}, timestamp_us=40)
    with pytest.raises(ConcurrencyError, match="prod_103"):
        unit.flush()
    assert [e.stream_id for e in store.read_all()][-1] == "prod_103"
    assert len(list(store.read_all())) == 4
