"""Read models (and the search index, kept the same way) on a full disk: a write that finds no
room says so and that the store is not affected, not 'busy' nor a traceback (found by helper H
on a 3 MB tmpfs: `run` said 'The read models ... are busy: disk I/O error.', `events --search`
ended in a traceback, 'database or disk is full'). A full disk while writing is SQLite's
`max_page_count` reached: the same error, which ends the transaction as a full disk does."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.store.errors import DiskFullError, StoreOpenError


def test_read_models_that_fill_the_disk_say_so(tmp_path):
    path = tmp_path / "s.evstore.readmodels"
    database = ReadModelDatabase(path)
    try:
        table = sa.Table("rows", sa.MetaData(), sa.Column("text", sa.Text))
        database.create_tables([table])
        pages = database.db.execute("PRAGMA page_count").fetchone()[0]
        database.db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DiskFullError, match=(
                f"The disk holding the read models {path} is full .*database or disk is full.*"
                "so they could not be written. They are derived from the store, which is not "
                f"affected: free some space in {tmp_path}, then try again.")), \
                database.transaction():
            database.connection.execute(table.insert(), [{"text": "x" * 100_000}])
        database.db.execute("PRAGMA max_page_count = 1073741823")
        with database.transaction():  # room again: it goes on
            database.connection.execute(table.insert(), [{"text": "y"}])
        assert database.connection.execute(sa.select(table.c.text)).scalars().all() == ["y"]
    finally:
        database.close()


def test_read_models_made_on_a_full_disk_leave_no_empty_file(tmp_path, monkeypatch):
    def no_room_for_the_log(database):  # as on the tmpfs: the -shm could not be made
        raise database._full("disk I/O error")

    monkeypatch.setattr(ReadModelDatabase, "_use_wal", no_room_for_the_log)
    path = tmp_path / "s.evstore.fulltext"
    with pytest.raises(DiskFullError, match="is full"):
        ReadModelDatabase(path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="POSIX mounts")
def test_read_models_on_a_read_only_file_system_say_so(tmp_path, monkeypatch):
    """(Found by helper H with the cache folder on a read-only mount: 'run --read-only' said
    'Cannot open the read models ...: unable to open database file.')"""
    real = os.statvfs

    def statvfs(where):
        found = real(where)
        return os.statvfs_result(tuple(found)[:8] + (found.f_flag | os.ST_RDONLY,)
                                 + tuple(found)[9:])

    monkeypatch.setattr(os, "statvfs", statvfs)
    folder = tmp_path / "cache"
    folder.mkdir()
    with pytest.raises(StoreOpenError, match=(
            f"Cannot keep the read models in {folder}: Read-only file system. Make that folder "
            r"writable \(or set XDG_CACHE_HOME to one that is\).")):
        ReadModelDatabase(folder / "s.readmodels")
    assert list(folder.iterdir()) == []


def test_read_models_know_when_their_file_is_gone(tmp_path):
    """(For `run`, which wrote on to read models deleted under it: tests/cli/
    test_store_file_gone_cli.py.)"""
    path = tmp_path / "s.evstore.readmodels"
    database = ReadModelDatabase(path)
    try:
        assert not database.file_changed()
        os.rename(path, tmp_path / "moved.readmodels")
        assert database.file_changed()
        os.rename(tmp_path / "moved.readmodels", path)
        assert not database.file_changed()
    finally:
        database.close()
