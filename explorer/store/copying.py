"""A consistent copy of a whole store, taken while other processes write to it (bug reports).

The copy is made with SQLite's backup API in one step, inside one read transaction of a
connection that only reads (`read_only_uri`): the copy holds the store exactly as it was at one
commit, and the source is left byte for byte as it was. The copy is an ordinary rollback-journal
file (no `-wal` beside it once written), with facts of its own added to its store_meta, which
`meta_of_store_file` reads back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from explorer.store.damage import is_full
from explorer.store.errors import DiskFullError, StoreError, StoreOpenError
from explorer.store.event_store import EventStore
from explorer.store.schema import BUNDLE_KEY, TAKEN_KEY
from explorer.store.sqlite import BUSY_TIMEOUT_S, inspect, read_only_uri, side_file

__all__ = ["BUNDLE_KEY", "TAKEN_KEY", "copy_store", "meta_of_store_file",
           "remove_store_files"]

SIDE_FILES = ("-wal", "-shm", "-journal")


def copy_store(source: Path, target: Path, meta: Mapping[str, str]) -> None:
    """Write a copy of the store at `source` to the new file `target`, with `meta` added to
    its store_meta. A `target` that exists is refused; a failure leaves nothing there."""
    if target.exists():
        raise StoreOpenError(f"Cannot write {target}: there is a file there already. Choose a "
                             "new path.")
    if not target.parent.is_dir():
        raise StoreOpenError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    reading = sqlite3.connect(read_only_uri(source), uri=True, isolation_level=None,
                              timeout=BUSY_TIMEOUT_S)
    try:
        reading.execute("PRAGMA query_only = 1")
        try:
            copy = sqlite3.connect(target, isolation_level=None)
        except sqlite3.OperationalError as error:  # (a folder that cannot be written)
            raise StoreOpenError(f"Cannot write {target}: {error}. Choose a folder you can "
                                 "write to.") from None
        try:
            reading.backup(copy)  # all pages in one step: one read transaction, one commit
            copy.execute("PRAGMA journal_mode = DELETE")
            copy.executemany("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
                             list(meta.items()))
        finally:
            copy.close()
    except BaseException as error:
        remove_store_files(target)
        if isinstance(error, sqlite3.OperationalError) and is_full(error):
            raise DiskFullError.of_new_file(target, str(error)) from None
        raise
    finally:
        reading.close()


def remove_store_files(path: Path) -> None:
    """Delete a store file made here and SQLite's side files beside it (a failed copy, load)."""
    for leftover in (path, *(side_file(path, suffix) for suffix in SIDE_FILES)):
        leftover.unlink(missing_ok=True)


def meta_of_store_file(path: Path) -> dict[str, str] | None:
    """The store_meta of the Event Explorer store at `path` (what a copy carries, e.g. a bug
    report's view), read without opening a store on it; None for any other file or none."""
    try:
        if inspect(path).kind != "store":
            return None
        with EventStore.open(path, read_only=True, verify=False) as store:
            return store.meta()
    except (StoreError, OSError):
        return None
