"""Read models (and the search index, kept the same way) on a full disk: a write that finds no
room says so and that the store is not affected, not 'busy' nor a traceback (found by helper H
on a 3 MB tmpfs: `run` said 'The read models ... are busy: disk I/O error.', `events --search`
ended in a traceback, 'database or disk is full'). A full disk while writing is SQLite's
`max_page_count` reached: the same error, which ends the transaction as a full disk does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.store.errors import DiskFullError


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
