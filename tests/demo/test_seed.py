"""Seeding: a realistic, repeatable history made by real commands, with old schema versions."""

from __future__ import annotations

from collections import Counter

import pytest

from explorer.demo import DEMO_DOMAIN
from explorer.demo import seed as seed_module
from explorer.demo.seed import EmptyStoreRequired, seed_store
from explorer.demo.system import SHOP
from explorer.domain import Repository
from explorer.store.check import check_store
from explorer.system.workspace import open_store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "seeded.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        report = seed_store(store, orders=400, seed=7)
    return path, report


def rows(path):
    with open_store(path, system=SHOP, read_only=True) as store:
        return [(e.position, e.event_id, e.stream_id, e.event_type, e.timestamp_us, e.data,
                 e.metadata) for e in store.read_all()]


def test_the_same_seed_gives_the_same_store(seeded, tmp_path):
    path, _ = seeded
    again = tmp_path / "again.evstore"
    with open_store(again, system=SHOP, create=True) as store:
        seed_store(store, orders=400, seed=7)
    assert rows(again) == rows(path)
    other = tmp_path / "other.evstore"
    with open_store(other, system=SHOP, create=True) as store:
        seed_store(store, orders=400, seed=8)
    assert rows(other) != rows(path)


def test_a_seed_reading_aggregates_back_from_the_store_makes_the_same_store(
        seeded, tmp_path, monkeypatch):
    """The seed keeps the aggregates in play in memory (cache_size_for): with a cache too small
    for them, they are read back from the store, and the history is the same."""
    path, _ = seeded
    monkeypatch.setattr(seed_module, "SMALLEST_CACHE", 20)
    monkeypatch.setattr(seed_module, "FLUSH_EVERY", 300)  # the cache is trimmed at each flush
    assert seed_module.cache_size_for(400) == 40  # 400 orders * 3 days * 3 aggregates / 90 days
    small = tmp_path / "small-cache.evstore"
    with open_store(small, system=SHOP, create=True) as store:
        loads = []
        load = Repository.load
        monkeypatch.setattr(Repository, "load", lambda *a, **k: loads.append(a) or load(*a, **k))
        seed_store(store, orders=400, seed=7)
    assert len(loads) > 10  # it did read back
    assert rows(small) == rows(path)


def test_a_seed_of_many_orders_asks_the_store_for_new_streams_and_makes_the_same_store(
        seeded, tmp_path, monkeypatch):
    """Beyond FRESH_ORDERS the seed does not remember every stream it made (memory growing with
    the log): a new stream is looked up, and the history is the same."""
    path, _ = seeded
    monkeypatch.setattr(seed_module, "FRESH_ORDERS", 0)
    asking = tmp_path / "asking.evstore"
    with open_store(asking, system=SHOP, create=True) as store:
        loads = []
        load = Repository.load
        monkeypatch.setattr(Repository, "load", lambda *a, **k: loads.append(a) or load(*a, **k))
        seed_store(store, orders=400, seed=7)
    assert len(loads) > 400  # each new order's stream, at least, was asked for
    assert rows(asking) == rows(path)


def test_the_history_has_every_outcome(seeded):
    path, report = seeded
    with open_store(path, system=SHOP, read_only=True) as store:
        counts = Counter(e.event_type for e in store.read_all())
        types = {t.stream_type for t in store.stream_types()}
    assert types == {"Order", "Inventory", "Payment", "Customer", "OrderFulfilment"}
    assert counts["OrderPlaced"] == report.orders == counts["FulfilmentStarted"] == 400
    for event_type in ("OrderShipped", "OrderCancelled", "PaymentFailed", "PaymentCharged",
                       "PaymentRefunded", "InventoryReservationFailed", "InventoryReserved",
                       "InventoryReservationReleased", "InventoryDispatched",
                       "CustomerRegistered", "CustomerAddressChanged", "ReservationRefused",
                       "PaymentRefused", "CancellationObserved", "ShipmentConfirmed"):
        assert counts[event_type] > 0, event_type
    assert 0.04 < counts["PaymentFailed"] / counts["OrderPlaced"] < 0.2
    assert report.events == sum(counts.values())
    assert {"sagas running", "sagas completed", "sagas compensated"} <= set(report.outcomes)
    assert sum(n for outcome, n in report.outcomes.items() if outcome.startswith("sagas ")) \
        == report.orders  # each order's saga, in its last status


def test_early_orders_are_stored_in_schema_version_1_and_read_upcast(seeded):
    path, report = seeded
    with open_store(path, system=SHOP, read_only=True) as store:
        placed = [e for e in store.read_all() if e.event_type == "OrderPlaced"]
    legacy = [e for e in placed if e.stored is not None]
    assert len(legacy) == report.legacy_orders > 0
    assert all(e.stored.schema_version == 1 and "currency" not in e.stored.data for e in legacy)
    assert all(e.schema_version == 2 and e.data["currency"] == "USD" for e in legacy)
    assert legacy[0].position < placed[-1].position


def test_the_store_is_consistent_and_time_runs_forward(seeded):
    path, _ = seeded
    with open_store(path, system=SHOP, read_only=True) as store:
        assert check_store(store).ok
        events = list(store.read_all())
    times = [e.timestamp_us for e in events]
    assert times == sorted(times) and times[-1] - times[0] > 60 * 86_400 * 10**6


def test_the_saga_drives_each_order_and_links_cause_and_effect(seeded):
    path, _ = seeded
    with open_store(path, system=SHOP, read_only=True) as store:
        shipped = next(e for e in store.read_all() if e.event_type == "OrderShipped")
        chain = store.events_by_correlation(shipped.correlation_id)
        by_id = {e.event_id: e for e in chain}
        charged = by_id[shipped.causation_id]
        assert charged.event_type == "PaymentCharged"
        assert shipped.metadata["issued_by"] == "saga:order_fulfilment"
        reserved = by_id[charged.causation_id]
        assert reserved.event_type == "InventoryReserved"
        placed = by_id[reserved.causation_id]
        assert placed.event_type == "OrderPlaced" and chain[0] == placed
        saga = [e for e in chain if e.stream_type == "OrderFulfilment"]
        assert saga[0].event_type == "FulfilmentStarted"
        assert saga[0].causation_id == placed.event_id
        assert saga[-1].event_type == "ShipmentConfirmed"


def test_aggregates_load_from_seeded_snapshots(seeded):
    path, _ = seeded
    with open_store(path, system=SHOP, read_only=True) as store:
        stream = max(store.list_streams("Inventory"), key=lambda s: s.version)
        with_snapshots = Repository(store, DEMO_DOMAIN).load("Inventory", stream.stream_id)
        replayed = Repository(store, DEMO_DOMAIN, use_snapshots=False).load(
            "Inventory", stream.stream_id)
    assert stream.version > 100 and with_snapshots.snapshot_version
    assert with_snapshots.aggregate.state() == replayed.aggregate.state()
    assert with_snapshots.aggregate.on_hand >= 0


def test_seeding_refuses_a_store_with_events_and_bad_sizes(seeded, store):
    path, _ = seeded
    with open_store(path, system=SHOP) as full, \
            pytest.raises(EmptyStoreRequired, match="already holds"):
        seed_store(full, orders=1)
    with pytest.raises(ValueError, match="at least 1"):
        seed_store(store, orders=0)
    with pytest.raises(ValueError, match="at least one day"):
        seed_store(store, orders=5, days=0)
    assert store.last_position() == 0


def test_seeding_can_be_stopped_early_keeping_a_consistent_store(store):
    progress = []
    report = seed_store(store, orders=5000, progress=progress.append,
                        should_stop=lambda: len(progress) >= 1)
    assert report.cancelled_by_user and report.orders == 500
    assert check_store(store).ok


def test_a_recent_history_ends_before_now(tmp_path):
    from datetime import UTC, datetime

    from explorer.common.timestamps import to_micros
    from explorer.demo.seed import recent_start

    now = datetime.now(UTC)
    start = recent_start(4, now)
    with open_store(tmp_path / "recent.evstore", system=SHOP, create=True) as store:
        seed_store(store, orders=150, days=4, start=start)
        stamps = [e.timestamp_us for e in store.read_all()]
    assert to_micros(start) <= min(stamps)
    assert max(stamps) < to_micros(now)  # a command sent now comes after the whole history


def test_orders_arrive_spread_over_the_period(seeded):
    path, _ = seeded
    with open_store(path, system=SHOP, read_only=True) as store:
        placed = [e.timestamp_us for e in store.read_all() if e.event_type == "OrderPlaced"]
    assert len(set(placed)) == len(placed) == 400  # none piled onto one instant
    days = (max(placed) - min(placed)) / 86_400_000_000
    assert 45 < days <= 90  # the default 90-day period, mostly used, never exceeded
