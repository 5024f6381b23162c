"""`check_store` finds each kind of damage another program could leave, and changes nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from explorer.demo.system import SHOP
from explorer.store import schema
from explorer.store.check import check_store
from explorer.store.records import NewEvent, SnapshotRecord
from explorer.system.workspace import open_store


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
    with open_store(store_path, system=SHOP, create=True) as store:
        store.append("order_1", "Order", [NewEvent("OrderCancelled", {"reason": "x"})])
        store.save_snapshot(SnapshotRecord("order_1", "Order", 9, 1, 1, 1, "{}"))
    with sqlite3.connect(store_path) as db:
        insert(db, 3, "order_1", 3)  # skips position 2 and version 2
        insert(db, 4, "order_2", 1, data="{broken")  # not in the stream index
        insert(db, 5, "order_3", 1, event_type="Unheard", timestamp=1)  # goes back in time
        insert(db, 6, "order_3", 2, stream_type="Customer")
        db.execute("INSERT INTO streams VALUES ('ghost', 'Order', 1, 1, 1, 1)")
        db.execute("INSERT INTO streams VALUES ('order_3', 'Order', 2, 5, 6, 1)")
    with open_store(store_path, system=SHOP, read_only=True) as store:
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
    with open_store(store_path, system=SHOP, read_only=True) as store:
        assert store.last_position() == 6


def tampered(store_path, *statements):
    """Run statements on the file as another program might, the triggers dropped first."""
    with closing(sqlite3.connect(store_path)) as db, db:
        db.execute("DROP TRIGGER events_no_update")
        for statement in statements:
            db.execute(statement)


def seeded(store_path, events=5):
    with open_store(store_path, system=SHOP, create=True) as store:
        for number in range(1, events + 1):
            store.append(f"order_{number}", "Order",
                         [NewEvent("OrderCancelled", {"reason": f"r{number}"})])


def problems(store_path):
    with open_store(store_path, system=SHOP, read_only=True) as store:
        report = check_store(store)
    return {(p.kind, p.message) for p in report.problems}


def test_a_store_kept_by_this_version_checks_clean_with_its_chain(store_path):
    seeded(store_path)
    with open_store(store_path, system=SHOP, read_only=True) as store:
        report = check_store(store)
    assert report.ok and report.events == 5 and not report.notes


def test_data_edited_to_other_valid_json_breaks_the_chain_there(store_path):
    seeded(store_path)
    tampered(store_path, "UPDATE events SET data = '{\"reason\": \"forged\"}' WHERE position = 3")
    found = problems(store_path)
    assert ("hash chain", "the hash chain breaks at position 3: the event there (or the link of "
            "the one before it) is not as it was written") in found
    assert not any("position 4" in message for _, message in found)


def test_metadata_edits_and_removed_events_break_the_chain(store_path):
    seeded(store_path)
    with closing(sqlite3.connect(store_path)) as db, db:
        db.execute("DROP TRIGGER events_no_update")
        db.execute("DROP TRIGGER events_no_delete")
        db.execute("UPDATE events SET metadata = '{\"issued_by\": \"someone\"}' WHERE position = 2")
        db.execute("DELETE FROM events WHERE position = 5")
        db.execute("DELETE FROM streams WHERE stream_id = 'order_5'")
    messages = [message for kind, message in problems(store_path) if kind == "hash chain"]
    assert any("breaks at position 2" in m for m in messages)
    assert any("goes on to position 5, but the log ends at 4" in m for m in messages)


def test_dropped_triggers_and_indexes_and_an_emptied_store_meta_are_reported(store_path):
    seeded(store_path)
    with closing(sqlite3.connect(store_path)) as db, db:
        db.execute("DROP TRIGGER events_no_delete")
        db.execute("DROP INDEX ix_events_correlation_id")
        db.execute("DELETE FROM store_meta")
        db.execute("CREATE TRIGGER sneaky AFTER INSERT ON events BEGIN SELECT 1; END")
    found = {message for kind, message in problems(store_path)}
    assert "the trigger events_no_delete, which keeps events immutable, is missing" in found
    assert "the index ix_events_correlation_id on events(correlation_id) is missing" in found
    assert "store_meta has no 'schema' entry (expected 'event-explorer-store')" in found
    assert "store_meta has no 'created_at' entry" in found
    assert any(m.startswith("an unexpected trigger sneaky on events") for m in found)


def test_a_store_from_before_the_chain_gets_it_when_first_opened_for_writing(store_path):
    seeded(store_path, events=45_000 // 1000)
    with closing(sqlite3.connect(store_path)) as db, db:  # as version 1 wrote it
        db.execute("DROP TABLE event_hashes")
        db.execute("PRAGMA user_version = 1")
        db.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    with open_store(store_path, system=SHOP, read_only=True) as store:
        report = check_store(store)
        assert report.ok and "no hash chain" in report.notes[0]
    steps = []
    with open_store(store_path, system=SHOP,
                    progress=lambda done, last: steps.append((done, last))) as store:
        assert steps[-1] == (45, 45)
        store.append("order_x", "Order", [NewEvent("OrderCancelled", {"reason": "later"})])
    with open_store(store_path, system=SHOP, read_only=True) as store:
        report = check_store(store)
    assert report.ok and not report.notes and report.events == 46
    with closing(sqlite3.connect(store_path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert db.execute("SELECT sum(length(links)) / 16 FROM event_hashes").fetchone()[0] == 46


def test_the_chain_cannot_be_changed_either(store_path):
    seeded(store_path)
    with closing(sqlite3.connect(store_path)) as db:
        for statement in ("UPDATE event_hashes SET links = x'00'", "DELETE FROM event_hashes"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
