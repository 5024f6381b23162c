"""Filling a new store from nothing fast: for an import written under a temporary name.

While a new store is filled, nobody else can see it and a failure discards the whole file, so
SQLite needs neither a journal on disk nor a sync at each commit: the store's connection keeps
its rollback journal in memory and does not sync while `loading_new_store` runs. The loader it
gives appends stored rows a batch at a time (ROWS_A_STATEMENT rows an INSERT), straight through
the store's raw connection: the events and their run of links in the hash chain, nothing else,
all of them in one transaction (committed once at the end: a commit a batch wrote the unique
indexes' pages out again at each one, a third of the inserts' CPU). What can be built once at
the end is: the secondary indexes (event type, correlation id; the unique ones belong to the
table and stay) are dropped before and built by one sort each after the last batch, and the
stream index is filled from the events by one grouping query. Afterwards the store is in its
usual WAL mode, and the caller syncs the file (`sync_file`) before it takes the store's real
name. `new_store_file` makes the empty file with larger pages first (a quarter less CPU for the
inserts of a million events than with SQLite's default 4 KB).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from explorer.store import chain, schema
from explorer.store.damage import is_full
from explorer.store.errors import DiskFullError
from explorer.store.event_store import EventStore
from explorer.store.statements import ROWS_AN_INSERT, insert_of_rows, insert_rows

LOAD_PAGE_SIZE = 16_384
ROWS_A_STATEMENT = ROWS_AN_INSERT
"""Rows one INSERT writes (see ROWS_AN_INSERT)."""
_BUILT_AFTER = tuple(index for index in schema.events.indexes if not index.unique)
_FILL_STREAMS = (
    "INSERT INTO streams (stream_id, stream_type, version, first_position, last_position, "
    "last_timestamp) SELECT head.stream_id, newest.stream_type, head.version, head.first, "
    "head.last, newest.timestamp FROM (SELECT stream_id, max(version) AS version, "
    "min(position) AS first, max(position) AS last FROM events GROUP BY stream_id) AS head "
    "JOIN events AS newest ON newest.position = head.last")
"""The stream index of a log whose versions follow on and whose times never go back: the
heads from the unique (stream id, version) index alone, each stream's newest row looked up."""


def new_store_file(path: Path, page_size: int = LOAD_PAGE_SIZE) -> None:
    """Make an empty SQLite file at `path` (none there) with pages of `page_size` bytes, for
    EventStore.open(path, create=True) to give the schema."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute(f"PRAGMA page_size = {int(page_size)}")
        try:
            db.execute("VACUUM")
        except sqlite3.OperationalError as error:
            if is_full(error):
                raise DiskFullError.of_new_file(path, str(error)) from None
            raise


class RowsRefused(Exception):
    """A batch the store refused for an event id stored already: its rows, and the tag it was
    given with (what the caller needs to say which line). Its rows before the refused one may
    be written (the load is one transaction, and a refused load is discarded whole): an event
    id stored at a position before its row's is the one used again."""

    def __init__(self, rows: Sequence[tuple[Any, ...]], tag: object) -> None:
        super().__init__("an event id is stored already")
        self.rows = rows
        self.tag = tag


class NewStoreLoader:
    """Appends stored rows to a store being loaded (see the module): each batch's events and
    their links, in the load's one transaction, positions following on from 1, written as they
    are given. Once a batch is refused, no other one is written."""

    def __init__(self, store: EventStore) -> None:
        self._db = store._db
        self._sql = store._sql
        self._per = ROWS_A_STATEMENT
        self._insert_many = insert_of_rows(store._sql.insert_event.sql, self._per)
        self.position = 0
        self._previous = chain.GENESIS
        self._links = store.chain_form.links
        self._refused: RowsRefused | None = None

    def append(self, rows: Sequence[tuple[Any, ...]], tag: object = None) -> None:
        """Write `rows` (EVENT_COLUMNS order, positions following on) in the load's
        transaction; RowsRefused (with `tag`) for a batch holding an event id stored already
        (this one, or one before)."""
        if self._refused is not None:
            raise self._refused
        if not rows:
            return
        if rows[0][0] != self.position + 1:
            raise ValueError(f"Loaded rows must follow on from position {self.position}, not "
                             f"start at {rows[0][0]}.")
        try:
            self._write(rows)
        except sqlite3.IntegrityError:
            self._refused = RowsRefused(rows, tag)
            raise self._refused from None
        self.position = rows[-1][0]

    def position_of(self, event_id: str) -> int | None:
        """The position of the stored event with this id, or None."""
        found = self._db.execute("SELECT position FROM events WHERE event_id = ?",
                                 (event_id,)).fetchone()
        return None if found is None else int(found[0])

    def _write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        db, sql = self._db, self._sql
        run = self._links(self._previous, rows)
        if not db.in_transaction:
            db.execute("BEGIN")
        insert_rows(db, sql.insert_event.sql, self._insert_many, self._per, rows)
        db.execute(sql.insert_links.sql, (rows[0][0], run))
        self._previous = run[-chain.DIGEST_SIZE:]

    def _finish(self) -> None:
        """Build what was left for the end: the secondary indexes and the stream index."""
        db = self._db
        if not db.in_transaction:
            db.execute("BEGIN")
        for index in _BUILT_AFTER:
            db.execute(_ddl(sa.schema.CreateIndex(index)))
        db.execute(_FILL_STREAMS)
        db.execute("COMMIT")


@contextmanager
def loading_new_store(store: EventStore) -> Iterator[NewStoreLoader]:
    """Fill `store` (new and empty) through the loader given, without an on-disk journal or
    syncs, in one transaction; then build its secondary indexes and stream index, commit, and
    put its usual journal back. A failure rolls the load back (and the caller discards the
    file: SQLite may have spilled pages to it)."""
    if store.last_position() != 0:
        raise ValueError(f"{store.location} has events already: only a new store is loaded "
                         "without a journal.")
    db = store._db
    db.execute("PRAGMA journal_mode = MEMORY")
    db.execute("PRAGMA synchronous = OFF")
    try:
        for index in _BUILT_AFTER:
            db.execute(_ddl(sa.schema.DropIndex(index)))
        loader = NewStoreLoader(store)
        try:
            yield loader
            loader._finish()
        finally:
            if db.in_transaction:  # a failed load: nothing of it kept
                db.execute("ROLLBACK")
    finally:
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA journal_mode = WAL")


def _ddl(statement: sa.schema.ExecutableDDLElement) -> str:
    return str(statement.compile(dialect=sqlite_dialect.dialect()))


def sync_file(path: Path) -> None:
    """Make sure what was written to the file at `path` is on disk."""
    with open(path, "rb+") as file:
        os.fsync(file.fileno())
