"""A full disk (or a read-only file system) under a store: a write that finds no room says so and
leaves the store as it was; opening says why it cannot write, and a read makes no side file.

A disk filling up while a write runs is SQLite's `max_page_count` reached: the same error
(SQLITE_FULL), which ends the transaction as a full disk does (found by helper H on a 3 MB tmpfs:
`seed` and `command` ended in a traceback, 'cannot rollback - no transaction is active'). A disk
full when the store is opened is `shutil.disk_usage` saying so (on the tmpfs every read failed,
'disk I/O error', calling the store unreadable and pointing to salvage, and left an empty -wal
and a 3-byte -shm beside it, on which every later read failed too).
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from explorer.store import EventStore, NewEvent, ReadOnlyStoreError, StoreOpenError
from explorer.store.check import check_store
from explorer.store.damage import damage_of
from explorer.store.errors import DiskFullError


def _store_with_events(path: Path) -> list[tuple[int, str]]:
    with EventStore.open(path, create=True) as store:
        store.append("o1", "Order", [NewEvent("Placed", {"n": 1}), NewEvent("Paid", {"n": 2})])
        return [(e.position, e.event_id) for e in store.read_all()]


def _as_full(monkeypatch, free: int = 0) -> None:
    real = shutil.disk_usage

    def disk_usage(path):
        total, used, _ = real(path)
        return shutil._ntuple_diskusage(total, total - free, free)  # type: ignore[attr-defined]

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)


def test_a_write_that_fills_the_disk_says_so_and_keeps_what_was_stored(tmp_path):
    path = tmp_path / "s.evstore"
    stored = _store_with_events(path)
    with EventStore.open(path) as store:
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")  # no room for another page
        with pytest.raises(DiskFullError, match=(
                f"The disk holding {tmp_path} is full .*database or disk is full.* nothing more "
                f"could be written to the store {path}: .*everything stored before is kept "
                "unchanged. Free some space there, then try again.")):
            store.append("o2", "Order", [NewEvent("Placed", {"note": "x" * 100_000})])
        assert [(e.position, e.event_id) for e in store.read_all()] == stored
        store._db.execute("PRAGMA max_page_count = 1073741823")  # room again: writes go on
        store.append("o2", "Order", [NewEvent("Placed", {"n": 3})])
    with EventStore.open(path, read_only=True) as store:
        assert [(e.position, e.event_id) for e in store.read_all()][:2] == stored
        assert check_store(store).ok


def test_a_store_on_a_full_disk_opens_read_only_saying_why_and_a_read_makes_no_side_file(
        tmp_path, monkeypatch):
    path = tmp_path / "s.evstore"
    stored = _store_with_events(path)
    before = sorted(os.listdir(tmp_path))
    _as_full(monkeypatch, free=3 * 1024)
    with EventStore.open(path, read_only=True) as store:
        assert [(e.position, e.event_id) for e in store.read_all()] == stored
        assert sorted(os.listdir(tmp_path)) == before  # no -wal, no -shm, even while open
    with EventStore.open(path) as store:
        assert store.read_only
        assert store.read_only_reason == (
            f"the disk holding {tmp_path} is full (3 KB free), so it opened read-only. Free "
            "some space there to make changes.")
        with pytest.raises(ReadOnlyStoreError, match="cannot append events: the disk holding"):
            store.append("o2", "Order", [NewEvent("Placed", {})])
        assert sorted(os.listdir(tmp_path)) == before
    with pytest.raises(StoreOpenError, match=(
            f"Cannot create a store at {tmp_path / 'new.evstore'}: the disk holding {tmp_path} "
            "is full .*Free some space there, or choose a folder on another disk.")):
        EventStore.open(tmp_path / "new.evstore", create=True)
    assert sorted(os.listdir(tmp_path)) == before


def test_a_store_read_without_locks_and_written_meanwhile_is_not_called_damaged(
        tmp_path, monkeypatch):
    # A store opened on a full disk is read as immutable, without locks; room made, another
    # program wrote it: SQLite read a page freed and used again since ('malformed', as its
    # documentation warns) and the store was said damaged, its writes refused for the process.
    path = tmp_path / "s.evstore"
    _store_with_events(path)
    other = sqlite3.connect(path)  # (each statement in a transaction, committed on closing)
    other.execute("CREATE TABLE notes (text BLOB)")
    other.execute("CREATE TABLE more_notes (text BLOB)")
    other.executemany("INSERT INTO notes VALUES (?)", [(os.urandom(20_000),)] * 200)
    other.commit()
    other.close()
    with monkeypatch.context() as full_now:
        _as_full(full_now)
        store = EventStore.open(path, read_only=True)
    with store:
        store.limit_cache(1)  # a store larger than its cache: not all of it is held
        assert store._db.execute("SELECT count(*) FROM notes").fetchone() == (200,)  # (rows,
        other = sqlite3.connect(path)
        other.execute("DELETE FROM notes")  # not their text, which another table now holds)
        other.executemany("INSERT INTO more_notes VALUES (?)", [(os.urandom(3_000),)] * 2000)
        other.commit()
        other.close()
        with pytest.raises(StoreOpenError, match=(
                f"The store {path} was changed by another program since it was opened "
                r"read-only, .* \(database disk image is malformed\), which says nothing of "
                "damage, .* Open it again to read it as it is now.")):
            store._db.execute("SELECT text FROM notes").fetchall()
    assert damage_of(path) is None
    with EventStore.open(path) as store:  # written as before
        store.append("o2", "Order", [NewEvent("Placed", {})])


def test_a_store_read_without_locks_says_it_does_not_see_other_writers(tmp_path, monkeypatch):
    # (the window then says '◌ Not followed', not '● Live'; follow warns)
    path = tmp_path / "s.evstore"
    _store_with_events(path)
    with EventStore.open(path) as store, EventStore.open(path, read_only=True) as reader:
        assert store.sees_other_writers and reader.sees_other_writers
    _as_full(monkeypatch)
    with EventStore.open(path) as store, EventStore.open(path, read_only=True) as reader:
        assert not store.sees_other_writers and not reader.sees_other_writers


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="POSIX mounts")
def test_a_store_on_a_read_only_file_system_says_so(tmp_path, monkeypatch):
    path = tmp_path / "s.evstore"
    stored = _store_with_events(path)
    real = os.statvfs

    def statvfs(where):
        found = real(where)
        return os.statvfs_result(tuple(found)[:8] + (found.f_flag | os.ST_RDONLY,)
                                 + tuple(found)[9:])

    monkeypatch.setattr(os, "statvfs", statvfs)
    with EventStore.open(path) as store:  # (root may write anywhere but on such a mount)
        assert store.read_only
        assert store.read_only_reason == (
            f"the file system holding {tmp_path} is mounted read-only, so it opened read-only. "
            "Copy the store to a disk you can write to make changes.")
        assert [(e.position, e.event_id) for e in store.read_all()] == stored


def _writes_find_no_room_after(monkeypatch, pages: int) -> None:
    """Every store opened for writing from now on holds at most `pages` pages (as if its disk
    filled up there)."""
    from explorer.store import sqlite as sqlite_backend

    configure = sqlite_backend._configure

    def filling(connection, read_only):
        configure(connection, read_only)
        if not read_only:
            connection.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(sqlite_backend, "_configure", filling)


def _many_events(path: Path) -> None:
    with EventStore.open(path, create=True) as store:
        for n in range(40):
            store.append(f"o{n}", "Order", [NewEvent("Placed", {"note": "x" * 2_000})])


def test_a_copy_import_or_salvage_that_fills_the_disk_says_it_left_nothing(tmp_path,
                                                                            monkeypatch):
    """(Copy and import said the new store's events 'stored before' were kept, of a file they
    removed; salvage said it of a new store it left holding a part of what it saved, without
    its report.)"""
    from explorer.exchange.export import export_to
    from explorer.exchange.importing import import_stream
    from explorer.store.postgres_copy import copy_store
    from explorer.store.salvage import salvage_store

    source = tmp_path / "s.evstore"
    _many_events(source)
    exported = io.BytesIO()
    export_to(source, exported)
    before = sorted(os.listdir(tmp_path))
    _writes_find_no_room_after(monkeypatch, 12)
    def copy(target):
        with EventStore.open(source, read_only=True) as store:
            copy_store(store, target)

    for target, make in [
            (tmp_path / "salvaged.evstore", lambda target: salvage_store(source, target)),
            (tmp_path / "copy.evstore", copy),
            (tmp_path / "imported.evstore", lambda target: import_stream(
                io.BytesIO(exported.getvalue()), target))]:
        with pytest.raises(DiskFullError, match=(
                f"The disk holding {tmp_path} is full .*database or disk is full.*, so {target} "
                "could not be written; what was written of it was removed. Free some space "
                "there, or choose a folder on another disk, then try again.")):
            make(target)
        assert sorted(os.listdir(tmp_path)) == before


def test_a_store_file_read_only_for_the_user_says_what_to_do(tmp_path, monkeypatch):
    """(It said only that it opened read-only: found by helper H as the user nobody.)"""
    path = tmp_path / "s.evstore"
    _store_with_events(path)
    real = os.access
    monkeypatch.setattr(os, "access", lambda where, mode, **kw: (
        False if Path(where) == path and mode & os.W_OK else real(where, mode, **kw)))
    with EventStore.open(path) as store:
        assert store.read_only_reason == (
            f"the file {path} is read-only for you (no write permission), so it opened "
            "read-only. Ask its owner for write permission, or copy the store to make changes.")
