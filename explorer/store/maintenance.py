"""The store's maintenance reads and writes: what `check` and `salvage` need of a SQLite store.

A part of EventStore (the `Maintenance` mixin, on the store's own connection): reading every
stored row with its link in the hash chain, in one read transaction; tolerating text that is not
UTF-8; SQLite's own integrity check; the file's schema objects; importing salvaged rows as they
are. Code outside explorer/store has no use for these.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from explorer.store import chain, damage, schema
from explorer.store.compiled import Columns
from explorer.store.decoding import RowDecoder
from explorer.store.errors import StoreDamagedError
from explorer.store.records import RecordedEvent
from explorer.store.statements import EVENT_COLUMNS, NO_LIMIT, Statements

READ_PAGE_SIZE = 2000
CHAIN_CHUNK = 20_000



@dataclass(frozen=True)
class SchemaObjects:
    """What the file says of itself: markers, store_meta, and sqlite_master's entries by
    (type, name) -> (table, SQL)."""

    application_id: int
    user_version: int
    meta: dict[str, str]
    objects: dict[tuple[str, str], tuple[str, str | None]]


class Maintenance:
    """EventStore's part for `check` and `salvage` (see the module's docstring), using its
    connections (`_db`, `_sa`), statements (`_sql`) and write helpers."""

    _db: sqlite3.Connection
    _sa: sa.Connection
    _sql: Statements
    decoder: RowDecoder
    location: str
    chain_form: chain.ChainForm

    if TYPE_CHECKING:  # EventStore's own, of which this is a part
        def _require_writable(self, action: str) -> None: ...
        def _begin_write(self, action: str) -> None: ...
        def _roll_back(self) -> None: ...
        def meta(self) -> dict[str, str]: ...

    def stored_chain_form(self) -> chain.ChainForm:
        """How the store links its events, as its store_meta says now (another process may
        have moved a store on a server to its server's form since this one was opened)."""
        return chain.ChainForm.of_meta(self.meta())

    def import_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append stored rows as they are (EVENT_COLUMNS order, positions and versions already
        given, following on from the store's), in one transaction, linked into the chain: for
        salvaging events from a damaged store, whose data may not even be valid JSON."""
        self._require_writable("import events")
        if not rows:
            return
        db, sql = self._db, self._sql
        self._begin_write("import events")
        try:
            position, _, chain_end, previous = db.execute(
                sql.append_tail.sql, sql.append_tail.args()).fetchone()
            position = position or 0
            if rows[0][0] != position + 1:
                raise ValueError(f"Imported rows must follow on from position {position}, "
                                 f"not start at {rows[0][0]}.")
            db.executemany(sql.insert_event.sql, rows)
            previous = chain.continued_from(position, chain_end, previous)
            if previous is not None:
                db.execute(sql.insert_links.sql, (rows[0][0],
                                                 self.chain_form.links(previous, rows)))
            heads: dict[str, tuple[Any, ...]] = {}
            for row in rows:
                first = heads[row[1]][3] if row[1] in heads else row[0]
                heads[row[1]] = (row[1], row[2], row[3], first, row[0], row[7])
            db.executemany(sql.upsert_stream.sql, list(heads.values()))
            db.execute("COMMIT")
        except BaseException:
            self._roll_back()
            raise

    def _execute(self, statement: sa.Select[*Columns]) -> sa.Result[*Columns]:
        """Run a read-only SQLAlchemy statement on this store's connection (for `check`)."""
        return self._sa.execute(statement)

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Run the block's reads in one read transaction: they all see the log as it was when
        the first of them ran, whatever other processes append meanwhile (for `check`)."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            if self._db.in_transaction:  # (SQLite ends it itself on some errors: disk I/O)
                self._db.execute("COMMIT")

    @contextmanager
    def tolerating_bad_text(self) -> Iterator[None]:
        """Read text that is not valid UTF-8 (damage) as text with stand-ins for the bad bytes,
        instead of failing: for `check`, which reports such rows rather than stopping at them."""
        self._db.text_factory = lambda data: data.decode("utf-8", "surrogateescape")
        try:
            yield
        finally:
            self._db.text_factory = str

    def sqlite_problems(self, limit: int = 20) -> list[str]:
        """What SQLite's own integrity check finds wrong with the file ([] when nothing)."""
        return damage.quick_check(self._db, full=True, limit=limit)

    def schema_objects(self) -> SchemaObjects:
        """The file's markers, its store_meta entries and its tables, indexes and triggers."""
        db = self._db
        meta: dict[str, str] = {}
        with suppress(sqlite3.OperationalError):  # a file without store_meta
            meta = dict(db.execute("SELECT key, value FROM store_meta").fetchall())
        objects = {(kind, name): (table, sql) for kind, name, table, sql in db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()}
        return SchemaObjects(db.execute("PRAGMA application_id").fetchone()[0],
                             db.execute("PRAGMA user_version").fetchone()[0], meta, objects)

    def schema_triggers(self) -> dict[str, str]:
        """Every trigger the store's schema has, by name, with its SQL as `schema_objects`
        gives it (what `check` expects to find)."""
        return schema.TRIGGERS

    def index_columns(self, index: str) -> list[str]:
        return [row[2] for row in self._db.execute(f'PRAGMA index_info("{index}")').fetchall()]

    def linked_pages(self, page_size: int = READ_PAGE_SIZE) -> Iterator[list[tuple[Any, ...]]]:
        """Every stored row (EVENT_COLUMNS, undecoded) with its link in the hash chain last (None
        where it has none), a page at a time, in flat memory. Read it inside `read_snapshot`:
        rows and links must be of one moment."""
        sql = self._sql
        runs = chain.LinkRuns(self._db.execute(sql.read_runs.sql, sql.read_runs.args(1)))
        position = 0
        while rows := self._db.execute(sql.read_all.sql, sql.read_all.args(
                position + 1, NO_LIMIT, page_size)).fetchall():
            yield chain.with_links(rows, runs)
            position = rows[-1][0]

    def chain_end(self) -> int:
        """The last position the hash chain covers (0 when it covers none)."""
        return self._db.execute(self._sql.chain_tail.sql,
                                self._sql.chain_tail.args()).fetchone()[0] or 0

    def _verify_chain(self) -> None:
        """Raise StoreDamagedError where a stored event is not as it was written, cannot be
        read, or was removed from the end of the log: before anything is written to a store
        opened for writing. The events of a store from before the chain that it has not linked
        yet are read (their text must be text) but not judged: they are linked as it is
        upgraded."""
        with self.read_snapshot():  # rows and links as of one moment, whoever appends meanwhile
            linked = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (schema.event_hashes.name,)).fetchone() is not None
            complete = linked and self.meta().get(schema.CHAIN_KEY) == schema.CHAIN_COMPLETE
            last = 0

            def pages() -> Iterator[list[tuple[Any, ...]]]:
                nonlocal last
                source = (self.linked_pages(CHAIN_CHUNK) if linked
                          else self._unlinked_pages(CHAIN_CHUNK))
                while True:
                    try:
                        page = next(source, None)
                    except StoreDamagedError as error:
                        raise self._where_damaged(last, error) from None
                    if page is None:
                        return
                    last = page[-1][0]
                    yield page

            for position, changed in chain.breaks(pages(), self.stored_chain_form()):
                if not changed and not complete:
                    continue  # not linked yet: the upgrade links it
                what = ("is not as it was written (its link in the hash chain does not match)"
                        if changed else "has no link in the hash chain")
                raise damage.damaged(self.location, f"the event at position {position} {what}")
            chained = self.chain_end() if linked else 0
        if chained > last:
            raise damage.damaged(self.location, (
                f"the hash chain goes on to position {chained:,}, but the log ends at "
                f"{last:,}: the events after it were removed"))

    def damage_found(self, *, check: bool = True, remember: bool = True) -> str | None:
        """What is wrong with the store, as opening it for writing would find it (with `check`:
        SQLite's quick check, then the hash chain, for a file small enough for that to be cheap;
        see damage.QUICK_CHECK_MAX_BYTES), or what this process found wrong with it before; None
        when nothing. For a store opened read-only, which shows what can be read of a damaged
        store but must say that it is damaged. Without `remember`, damage this check finds is
        not kept for the process's later opens of the store (damage.only_looking: the command
        line's reads say it, and a runner opened after reads as before)."""
        path = Path(self.location)
        seen = damage.damage_of(path)
        if seen is not None or not check or not damage.small_enough(path) \
                or damage.chain_verified(path):  # (once per process for an unchanged file)
            return seen
        with nullcontext() if remember else damage.only_looking(path):
            try:
                if isinstance(self._db, damage.GuardedConnection):
                    damage.verify_on_open(self._db, path)
                self._verify_chain()
            except StoreDamagedError as error:
                return damage.damage_of(path) or error.detail
        damage.note_chain_verified(path)
        return None

    def _where_damaged(self, after: int, error: StoreDamagedError) -> StoreDamagedError:
        """`error`, met reading the rows after position `after`, naming the event whose text
        is not UTF-8 (SQLite names only the column), when that is what it was."""
        if not error.detail.startswith(damage.BAD_TEXT):
            return error
        names = [column.name for column in EVENT_COLUMNS]
        with self.tolerating_bad_text():
            for page in self._unlinked_pages(READ_PAGE_SIZE, after):
                for row in page:
                    for name, value in zip(names, row, strict=False):
                        if isinstance(value, str) and not _encodable(value):
                            return damage.damaged(self.location, (
                                f"the text stored in the column {name!r} of the event at "
                                f"position {row[0]} is not valid UTF-8"), more_precisely=True)
        return error

    def _unlinked_pages(self, page_size: int, after: int = 0) -> Iterator[list[tuple[Any, ...]]]:
        """Every stored row after position `after` as `linked_pages` gives it, of a store
        without a chain (None for each link)."""
        sql = self._sql
        position = after
        while rows := self._db.execute(sql.read_all.sql, sql.read_all.args(
                position + 1, NO_LIMIT, page_size)).fetchall():
            yield [(*row, None) for row in rows]
            position = rows[-1][0]

    def decode_rows(self, rows: Sequence[Sequence[Any]]) -> list[RecordedEvent]:
        """Events from stored rows in EVENT_COLUMNS order (see `linked_rows`)."""
        return self.decoder.decode_rows(rows)


def _encodable(text: str) -> bool:
    """Whether text read with stand-ins for bytes that are not UTF-8 has none."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
