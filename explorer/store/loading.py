"""Filling a new store from nothing fast: for an import written under a temporary name.

While a new store is filled, nobody else can see it and a failure discards the whole file, so
SQLite needs neither a journal on disk nor a sync at each commit: the store's connection keeps
its rollback journal in memory and does not sync while `loading_new_store` runs (on a million
events about twice as fast as the store's usual write-ahead log, whose file grew by every
batch). Afterwards the store is in its usual WAL mode, and the caller syncs the file
(`sync_file`) before it takes the store's real name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from explorer.store.event_store import EventStore


@contextmanager
def loading_new_store(store: EventStore) -> Iterator[None]:
    """Fill `store` (new and empty) without an on-disk journal or syncs; then put its usual
    journal back. Writes by the block are all-or-nothing only as the caller discards them."""
    if store.last_position() != 0:
        raise ValueError(f"{store.location} has events already: only a new store is loaded "
                         "without a journal.")
    db = store._db
    db.execute("PRAGMA journal_mode = MEMORY")
    db.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA journal_mode = WAL")


def sync_file(path: Path) -> None:
    """Make sure what was written to the file at `path` is on disk."""
    with open(path, "rb+") as file:
        os.fsync(file.fileno())
