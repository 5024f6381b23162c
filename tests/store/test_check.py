"""`check_store` finds each kind of damage another program could leave, and changes nothing."""

from __future__ import annotations

import sqlite3

from explorer.store.check import check_store
from explorer.store.records import NewEvent, SnapshotRecord
from explorer.workspace import open_store


def insert(db, position, stream_id, version, event_type="OrderShipped", data='{"carrier": "UPS"}',
           timestamp=None, stream_type="Order"):
    db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
               "event_type, schema_version, timestamp, data) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
               (position, stream_id, stream_type, version, f"raw-{position}", event_type,
                timestamp if timestamp is not None else 3 * 10**15 + position, data))


def test_a_healthy_store_has_no_problems(store, service):
    from tests.conftest import place_order
    place_order(service)
    report = check_store(store)
    assert report.ok and report.events == 1 and report.streams == 1
    assert report.to_dict()["problem_count"] == 0


def test_every_kind_of_damage_is_reported(store_path):
    with open_store(store_path) as store:
        store.append("order_1", "Order", [NewEvent("OrderCancelled", {"reason": "x"})])
        store.save_snapshot(SnapshotRecord("order_1", "Order", 9, 1, 1, 1, "{}"))
    with sqlite3.connect(store_path) as db:
        insert(db, 3, "order_1", 3)  # skips position 2 and version 2
        insert(db, 4, "order_2", 1, data="{broken")  # not in the stream index
        insert(db, 5, "order_3", 1, event_type="Unheard", timestamp=1)  # goes back in time
        insert(db, 6, "order_3", 2, stream_type="Customer")
        db.execute("INSERT INTO streams VALUES ('ghost', 'Order', 1, 1, 1, 1)")
        db.execute("INSERT INTO streams VALUES ('order_3', 'Order', 2, 5, 6, 1)")
    with open_store(store_path, read_only=True) as store:
        report = check_store(store)
    kinds = {}
    for problem in report.problems:
        kinds.setdefault(problem.kind, []).append(problem.message)
    assert not report.ok
    assert kinds["gap"] == ["no event at position 2"]
    assert any("order_1 has 2 events with versions 1..3" in m for m in kinds["versions"])
    assert any("order_2 has events but is missing" in m for m in kinds["stream index"])
    assert any("ghost is in the index but has no events" in m for m in kinds["stream index"])
    assert any("order_1 is indexed as Order v1" in m for m in kinds["stream index"])
    assert any("order_3 mixes the types Customer and Order" in m for m in kinds["stream type"])
    assert any("position 4" in m and "not valid JSON" in m for m in kinds["undecodable"])
    assert any("unknown event type 'Unheard'" in m for m in kinds["undecodable"])
    assert kinds["time order"] == ["position 5 is timestamped before the event preceding it"]
    assert kinds["snapshot"] == ["snapshot of order_1 at version 9 is beyond version 1"]
    with open_store(store_path, read_only=True) as store:
        assert store.last_position() == 6
