"""Opening files: new stores get the schema; anything that is not a store is refused unchanged."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from explorer.store import (
    EventStore,
    NewEvent,
    NotAStoreError,
    ReadOnlyStoreError,
    StoreLockedError,
    StoreMissingError,
    StoreOpenError,
    schema,
)
from explorer.store import sqlite as sqlite_backend


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def listing(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file in the folder with its content hash and modification time."""
    return {child.name: fingerprint(child) for child in sorted(folder.iterdir())}


def test_a_new_file_gets_the_schema_and_its_marker(tmp_path):
    path = tmp_path / "new.evstore"
    EventStore.open(path, create=True).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        meta = dict(db.execute("SELECT key, value FROM store_meta"))
    assert meta["schema"] == schema.SCHEMA_NAME
    assert meta["schema_version"] == str(schema.SCHEMA_VERSION)


def test_only_creating_turns_an_empty_file_or_empty_database_into_a_store(tmp_path):
    empty = tmp_path / "empty.evstore"
    empty.touch()
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).close()
    for path in (empty, blank):
        before = fingerprint(path)
        for read_only in (False, True):
            with pytest.raises(StoreMissingError, match="empty .*not a store.*not changed.*seed"):
                EventStore.open(path, read_only=read_only)
        assert fingerprint(path) == before
        EventStore.open(path, create=True).close()
        with EventStore.open(path, read_only=True) as store:
            assert store.last_position() == 0


def test_reopening_keeps_the_events(tmp_path):
    path = tmp_path / "s.evstore"
    with EventStore.open(path, create=True) as store:
        store.append("o", "Order", [NewEvent("A", {"x": 1})])
    with EventStore.open(path) as store:
        assert [e.data for e in store.read_all()] == [{"x": 1}]


@pytest.mark.parametrize(("content", "described"), [
    (b"root:x:0:0:root:/root:/bin/bash\n", "a text file starting with 'root:x:0:0"),
    (b'{"orders": []}', "JSON text"),
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "a PNG image"),
    (b"%PDF-1.7\n", "a PDF document"),
    (bytes(range(200, 256)), "binary data starting with the bytes c8 c9"),
])
def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path, content, described):
    path = tmp_path / "notes.evstore"
    path.write_bytes(content)
    before = fingerprint(path)
    with pytest.raises(NotAStoreError) as caught:
        EventStore.open(path)
    assert described in str(caught.value) and "not changed" in str(caught.value)
    assert fingerprint(path) == before
    assert not Path(f"{path}-wal").exists()


def test_an_sqlite_database_of_another_program_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        db.execute("INSERT INTO customers (name) VALUES ('Ada')")
    before = fingerprint(path)
    for read_only in (False, True):
        with pytest.raises(NotAStoreError, match="another program .*customers, invoices"):
            EventStore.open(path, read_only=read_only)
    assert fingerprint(path) == before
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize("marker", [
    f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}",
    f"UPDATE store_meta SET value = '{schema.SCHEMA_VERSION + 97}' WHERE key = 'schema_version'",
])
def test_a_store_from_a_newer_version_is_refused_by_either_marker(tmp_path, marker):
    path = tmp_path / "future.evstore"
    EventStore.open(path, create=True).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(marker)
    before = listing(tmp_path)
    for read_only in (False, True):
        with pytest.raises(NotAStoreError, match="newer Event Explorer .*not changed.*Update"):
            EventStore.open(path, read_only=read_only)
    assert listing(tmp_path) == before


def test_a_damaged_store_missing_tables_is_refused(tmp_path):
    path = tmp_path / "damaged.evstore"
    EventStore.open(path, create=True).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE snapshots")
    with pytest.raises(NotAStoreError, match="lacks the tables snapshots"):
        EventStore.open(path)


def test_a_corrupt_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "corrupt.evstore"
    path.write_bytes(sqlite_backend.SQLITE_MAGIC + b"\xff" * 4000)
    with pytest.raises(NotAStoreError, match="SQLite file that cannot be read"):
        EventStore.open(path)


def test_folders_missing_files_and_missing_folders(tmp_path):
    with pytest.raises(StoreOpenError, match="is a folder"):
        EventStore.open(tmp_path)
    for read_only in (False, True):
        with pytest.raises(StoreMissingError, match="No store at .*Check the path.*seed"):
            EventStore.open(tmp_path / "missing.evstore", read_only=read_only)
    with pytest.raises(StoreOpenError, match="folder .* does not exist"):
        EventStore.open(tmp_path / "nowhere" / "s.evstore")
    with pytest.raises(StoreOpenError, match="folder .* does not exist"):
        EventStore.open(tmp_path / "nowhere" / "s.evstore", create=True)
    with pytest.raises(StoreOpenError, match="mysql:// is not a database this version opens"):
        EventStore.open("mysql://localhost/events")
    assert sorted(tmp_path.iterdir()) == []


def test_an_unreadable_file_gives_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "secret.evstore"
    EventStore.open(path, create=True).close()

    monkeypatch.setattr(sqlite_backend.os, "access", lambda path, mode: False)  # as for a user
    with pytest.raises(StoreOpenError, match="permission denied"):
        EventStore.open(path)


def test_read_only_mode_leaves_the_file_byte_for_byte_unchanged(tmp_path):
    path = tmp_path / "ro.evstore"
    with EventStore.open(path, create=True) as store:
        store.append("o", "Order", [NewEvent("A", {})])
    with sqlite3.connect(path) as db:  # fold the WAL in, so the main file holds everything
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = fingerprint(path)
    with EventStore.open(path, read_only=True) as store:
        with pytest.raises(ReadOnlyStoreError):
            store.append("o", "Order", [NewEvent("B", {})])
        assert store.last_position() == 1
    assert fingerprint(path) == before


def test_a_store_locked_by_another_program(tmp_path, monkeypatch):
    path = tmp_path / "locked.evstore"
    EventStore.open(path, create=True).close()
    monkeypatch.setattr(sqlite_backend, "INSPECT_TIMEOUT_S", 0.1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError, match="locked by another program"):
            EventStore.open(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    EventStore.open(path).close()


def test_a_write_waiting_too_long_for_the_lock_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "busy.evstore"
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_S", 0.1)
    store = EventStore.open(path, create=True)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreLockedError, match="locked by another program"):
            store.append("o", "Order", [NewEvent("A", {})])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.append("o", "Order", [NewEvent("A", {})]).version == 1
    store.close()


def test_the_database_refuses_to_change_or_delete_stored_events(tmp_path):
    path = tmp_path / "immutable.evstore"
    with EventStore.open(path, create=True) as store:
        store.append("o", "Order", [NewEvent("A", {"x": 1})])
    with sqlite3.connect(path) as db:
        for statement in ("UPDATE events SET data = '{}'", "DELETE FROM events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
    with EventStore.open(path) as store:
        assert [e.data for e in store.read_all()] == [{"x": 1}]
