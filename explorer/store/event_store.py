"""The event store: an append-only log of events in SQLite, with a stream index and snapshots.

One `EventStore` owns one database connection and is used by one thread at a time; a worker
thread opens its own. Other processes may read and append to the same file at the same time (WAL).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import sqlalchemy as sa
import sqlalchemy.dialects.sqlite

from explorer.common.closable import Closable
from explorer.common.timestamps import now_micros
from explorer.store import branching, chain, damage, schema
from explorer.store import sqlite as sqlite_backend
from explorer.store.activity import Activity
from explorer.store.appending import Appending
from explorer.store.damage import GuardedConnection
from explorer.store.decoding import RowDecoder
from explorer.store.errors import (
    ReadOnlyStoreError,
    StoreDamagedError,
    StoreError,
    StoreLockedError,
    StoreMissingError,
    StoreOpenError,
)
from explorer.store.maintenance import CHAIN_CHUNK, Maintenance
from explorer.store.navigation import Navigation, navigation_statements
from explorer.store.projection_feed import ProjectionFeed
from explorer.store.reading import Reading
from explorer.store.statements import NO_LIMIT, Statements
from explorer.store.stream_index import StreamIndex
from explorer.store.upcasting import EventRegistry


class EventStore(Appending, Reading, ProjectionFeed, StreamIndex, Navigation, Activity,
                 Maintenance, Closable):
    """Append and read events; list streams; keep snapshots; branch.

    Open one with `EventStore.open(path)`. Writes raise ReadOnlyStoreError on a read-only store.
    Its parts in modules of their own: appending (`Appending`), reading events and snapshots
    (`Reading`), a projection's events with only the fields it reads (`ProjectionFeed`), the
    stream index (`StreamIndex`), moving about the log for time travel and huge
    lists (`Navigation`: samples, steps within a stream, marks, positions for row maps), what
    happened between two positions (`Activity`) and what `check` and `salvage` need
    (`Maintenance`). Here: opening (checked, upgraded, its chain
    completed), the write transaction, checkpoints, what the store records of itself, branches.
    """

    _db: GuardedConnection
    library: ClassVar[bool] = False
    """Whether it is a store of the Python eventsourcing library (read-only, never salvaged)."""
    sees_other_writers = True
    """Whether what other programs append to the store is seen: not for a file read without
    locks (immutable), as one that cannot be written here is (see sqlite.read_only_uri)."""

    def __init__(self, engine: sa.Engine, *, location: str, read_only: bool,
                 registry: EventRegistry | None, read_only_reason: str | None = None) -> None:
        self._engine = engine
        self.location = location
        self._real_path = os.path.realpath(location)
        self.read_only = read_only
        self.read_only_reason = read_only_reason
        """Why a store asked for writing opened read-only (a folder that cannot be written...)."""
        self.registry = registry
        self.decoder = RowDecoder(registry)
        self._sa, self._db = self._connect(engine)
        self._file = file_identity(self._real_path)
        """The file opened (device, inode): a write refuses to go to it once it is no longer the
        one at its path (None: no file, a server's store)."""
        self._hot = damage.hot_statements(self._db)
        self._sql = Statements(engine.dialect)
        self._nav = navigation_statements(engine.dialect)

    def _connect(self, engine: sa.Engine) -> tuple[sa.Connection, GuardedConnection]:
        """The engine's one connection, and the DBAPI connection under it that the hot
        statements run on (a backend on another database answers with its own)."""
        connection = sqlite_backend.connect_engine(engine, self.location)
        return connection, damage.guarded_connection(connection)

    # -- opening and closing ---------------------------------------------------------------

    @classmethod
    def open(cls, target: str | Path, *, read_only: bool = False,
             registry: EventRegistry | None = None, create: bool = False,
             progress: Callable[[int, int], None] | None = None,
             verify: bool = True, cipher_key: str | None = None) -> EventStore:
        """Open the store at a file path; with `create`, make a new one where there is none.

        Only creating writes a new file: without `create`, a missing or empty file is refused
        with StoreMissingError. Files that are not stores are refused with NotAStoreError, and a
        damaged one with StoreDamagedError; none of them is touched. Opened for writing where it
        cannot be written (a folder without write permission), a store opens read-only and
        `read_only_reason` says why. A store from before the hash chain gets its chain when first
        opened for writing (`progress(done, last)` meanwhile). A store small enough for it to
        be cheap gets SQLite's quick check first, unless `verify` is False (`check` runs the full
        one itself). `cipher_key` decrypts an `eventsourcing` library store's encrypted states
        (else its CIPHER_KEY variable does).
        """
        if isinstance(target, str) and "://" in target:  # a server's URL, not a file
            from explorer.store.postgres import PostgresStore  # (it subclasses us)

            return PostgresStore.open_url(target, read_only=read_only, registry=registry,
                                          create=create, cipher_key=cipher_key)
        path = Path(target).expanduser()
        found = sqlite_backend.inspect(path)
        if found.library is not None:  # the `eventsourcing` library's file: read, never written
            from explorer.store.foreign.library_store import LibraryStore  # (it subclasses us)

            return LibraryStore.open_library(path, found.library, registry=registry,
                                             cipher_key=cipher_key)
        if found.kind != "store":
            if not create or read_only:
                raise _missing(path, found.kind)
            return cls._create(path, registry)
        seen = damage.damage_of(path)
        if seen is not None and not read_only:  # seen damaged: never written again
            raise StoreDamagedError(str(path), seen)

        def prepare(store: EventStore) -> None:
            small = verify and damage.verify_on_open(store._db, path)
            if not store.read_only:
                if small:  # a write must not add to a log that was changed after the fact; it
                    store._verify_chain()  # is checked before anything (even the journal mode)
                store._upgrade(progress)  # is written

        plan = sqlite_backend.plan_open(path, read_only=read_only or found.bundle, create=False)
        if found.bundle:  # a bug report stays as it was saved (asked read-only or not: what
            # is made of it, its read models and search index, go where a read-only store's do)
            plan = replace(plan, reason=(
                f"{path.name} is a bug report, kept as it was saved. To change its events, "
                f"copy it first: `copy {path} NEW.evstore`."))
        return cls._opened(path, plan, registry, prepare, "open the store")

    @classmethod
    def _create(cls, path: Path, registry: EventRegistry | None) -> EventStore:
        if not path.parent.is_dir():
            raise StoreOpenError(f"Cannot create {path}: the folder {path.parent} does not exist.")
        reason = sqlite_backend.write_refusal(path) if path.exists() else (
            None if os.access(path.parent, os.W_OK | os.X_OK)
            else f"the folder {path.parent} cannot be written")
        free = sqlite_backend.short_of_room(path.parent)
        if reason is None and free is not None:
            reason = (f"the disk holding {path.parent} is full ({free // 1024:,} KB free). Free "
                      "some space there, or choose a folder on another disk.")
        if reason is not None:
            raise StoreOpenError(f"Cannot create a store at {path}: {reason}")
        plan = sqlite_backend.plan_open(path, read_only=False, create=True)
        return cls._opened(path, plan, registry,
                           lambda store: sqlite_backend.initialise(store._db, store._sa),
                           "create the store")

    @classmethod
    def _opened(cls, path: Path, plan: sqlite_backend.OpenPlan, registry: EventRegistry | None,
                prepare: Callable[[EventStore], None], doing: str) -> EventStore:
        """A store on `path` as `plan` says, `prepare`d (checked, upgraded or made); closed
        again if that fails, SQLite's refusal said as failing to do `doing`."""
        store = cls(sqlite_backend.create_engine(path, plan), location=str(path),
                    read_only=plan.read_only, registry=registry, read_only_reason=plan.reason)
        store.sees_other_writers = not plan.immutable
        try:
            prepare(store)
        except sqlite3.OperationalError as error:
            store.close()
            raise _translate_operational(error, str(path), doing) from None
        except BaseException:
            store.close()
            raise
        return store

    def _upgrade(self, progress: Callable[[int, int], None] | None) -> None:
        """Bring a store written by an earlier version up to this schema (opened for writing)."""
        db = self._db
        db.execute("PRAGMA journal_mode = WAL")
        if db.execute("PRAGMA user_version").fetchone()[0] < schema.SCHEMA_VERSION:
            self._begin_write("upgrade the store's schema")
            try:
                for table in schema.ADDED_TABLES:
                    table.create(self._sa, checkfirst=True)
                db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
                db.executemany("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)", [
                    ("schema_version", str(schema.SCHEMA_VERSION)),
                    (schema.CHAIN_KEY, schema.CHAIN_LINKING)])
                db.execute("COMMIT")
            except BaseException:
                self._roll_back()
                raise
        marker = db.execute("SELECT value FROM store_meta WHERE key = ?",
                            (schema.CHAIN_KEY,)).fetchone()
        if marker is not None and marker[0] == schema.CHAIN_LINKING:
            self._complete_chain(progress)
            self.set_meta(schema.CHAIN_KEY, schema.CHAIN_COMPLETE)

    def _complete_chain(self, progress: Callable[[int, int], None] | None) -> None:
        """Link every event not yet in the hash chain (those of a store from before it), a
        chunk a transaction, so that appends by others go on meanwhile."""
        db, sql = self._db, self._sql
        last = self.last_position()
        while True:
            self._begin_write("add the hash chain to the store")
            try:
                done, previous = db.execute(sql.chain_tail.sql, sql.chain_tail.args()).fetchone()
                done, previous = (done, previous) if done else (0, chain.GENESIS)
                rows = db.execute(sql.read_all.sql, sql.read_all.args(
                    done + 1, NO_LIMIT, CHAIN_CHUNK)).fetchall()
                if rows:
                    db.execute(sql.insert_links.sql, (rows[0][0],
                                                     self.chain_form.links(previous, rows)))
                db.execute("COMMIT")
            except BaseException:
                self._roll_back()
                raise
            if not rows:
                return
            if progress is not None:
                progress(rows[-1][0], max(last, rows[-1][0]))

    def limit_cache(self, megabytes: int) -> None:
        """Keep at most this much of the file in this connection's own page cache (32 MB by
        default): for connections that only poll or seek, where the OS's cache does as well."""
        self._db.execute(f"PRAGMA cache_size = {-1000 * int(megabytes)}")

    def close(self) -> None:
        """Close the connection. The store cannot be used afterwards."""
        sqlite_backend.close_engine(self._sa, self._engine)

    @property
    def name(self) -> str:
        return Path(self.location).name

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the file."""
        version: int = self._db.execute("PRAGMA data_version").fetchone()[0]
        return version

    # -- writing --------------------------------------------------------------------------

    def _require_writable(self, action: str) -> None:
        if self.read_only:
            raise ReadOnlyStoreError(self.location, action, self.read_only_reason)
        seen = damage.damage_at(self._real_path)
        if seen is not None:  # seen damaged, here or by another connection of this process
            raise StoreDamagedError(self.location, seen)
        self.refuse_if_gone(action)

    def refuse_if_gone(self, action: str) -> None:
        """StoreError, saying so, if the store's file was deleted, moved or replaced since it
        was opened (see `file_changed`): what `action` wrote would not be in it."""
        if self.file_changed():
            raise StoreError(
                f"The store {self.location} was deleted, moved or replaced by another file since "
                f"it was opened, so Event Explorer cannot {action}: what it wrote would not be in "
                "the file at that path (and lost with a deleted one). Nothing was written. Open "
                "the store again, where it is now, to make changes.")

    def file_changed(self) -> bool:
        """Whether the file at the store's path is no longer the one opened: it was deleted,
        moved or replaced by another file since (False for a server's store)."""
        return self._file is not None and file_identity(self._real_path) != self._file

    def _begin_write(self, action: str) -> None:
        try:
            self._hot.run("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise _translate_operational(error, self.location, action) from None

    def _roll_back(self) -> None:
        """End a write transaction that failed, unless SQLite ended it itself (as a full disk
        does): a ROLLBACK then fails ('no transaction is active'), hiding the write's error."""
        if self._db.in_transaction:
            self._hot.run("ROLLBACK")

    # -- process manager checkpoints ------------------------------------------------------

    def checkpoint(self, name: str) -> int:
        """How far the process manager `name` has read the log (0 if it never ran)."""
        table = schema.process_checkpoints
        try:
            found = self._sa.execute(sa.select(table.c.position).where(table.c.name == name))
        except sa.exc.OperationalError as error:
            if "no such table" in str(error.orig):  # a read-only store from before the table
                return 0
            raise _translate_operational(error.orig, self.location, "read a checkpoint") from None
        return found.scalar_one_or_none() or 0

    def save_checkpoint(self, name: str, position: int) -> None:
        """Record that `name` has read the log up to `position` (it never moves back)."""
        self._require_writable("save a checkpoint")
        table = schema.process_checkpoints
        insert = sa.dialects.sqlite.insert(table).values(name=name, position=position,
                                                         updated_at=now_micros())
        insert = insert.on_conflict_do_update(index_elements=[table.c.name], set_={
            "position": sa.func.max(table.c.position, insert.excluded.position),
            "updated_at": insert.excluded.updated_at})
        self._begin_write("save a checkpoint")
        try:
            self._sa.execute(insert)
            self._db.execute("COMMIT")
        except BaseException:
            self._roll_back()
            raise

    # -- what the store records about itself ----------------------------------------------

    def meta(self) -> dict[str, str]:
        """What store_meta records about the store (its schema, who made it, which system
        writes it, ...)."""
        return dict(self._db.execute("SELECT key, value FROM store_meta").fetchall())

    def set_meta(self, key: str, value: str) -> None:
        """Record a fact about the store in store_meta (e.g. where a salvaged store came from)."""
        if key in ("schema", "schema_version"):
            raise ValueError(f"store_meta's {key!r} is the store's own marker.")
        self._require_writable("record store information")
        self._begin_write("record store information")
        try:
            self._db.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
                             (key, value))
            self._db.execute("COMMIT")
        except BaseException:
            self._roll_back()
            raise

    # -- branching -------------------------------------------------------------------------

    def branch(self, target: str | Path, position: int, *,
               progress: Callable[[int, int], None] | None = None) -> None:
        """Make a new store at `target` holding this store's events 1..`position`, with the
        stream index, the snapshots and the hash chain as they were then: a branch to try
        commands on without touching this store (what-if). This store is only read.

        `progress(copied, position)` is called as events are copied and may raise (Cancelled,
        say) to stop: nothing is then left at `target`. A `target` where a file is already,
        or a position outside the log, is refused.
        """
        target = self._branch_file(target, position)
        EventStore.open(target, create=True).close()  # a new, empty store with our schema
        try:
            branching.copy_events(Path(self.location), target, position,
                                  progress or (lambda copied, total: None))
        except BaseException:
            remove_store_file(target)
            raise

    def _branch_file(self, target: str | Path, position: int, doing: str = "branch") -> Path:
        """The path of a new store file to branch (or, `doing` "copy", copy) into at
        `position`, both checked."""
        target = Path(target).expanduser()
        last = self.last_position()
        if not 0 <= position <= last:
            raise ValueError(f"Cannot {doing} {self.name} at position {position:,}: its events "
                             f"are at positions 1 to {last:,}. Choose one of those.")
        if target.exists():
            what = ("this store's own file" if file_identity(target) == file_identity(
                self.location) else "a file")
            raise StoreOpenError(f"Cannot {doing} {self.name} into {target}: there is "
                                 f"{what} there, and nothing there is replaced. Choose a new "
                                 "path.")
        return target


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """The file at `path` (device, inode), to tell it from another put there since; None where
    there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def remove_store_file(path: Path) -> None:
    """Delete a store file made in vain (a branch stopped half-way) with its side files."""
    for leftover in (path, *(sqlite_backend.side_file(path, suffix)
                             for suffix in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)

def _missing(path: Path, kind: str) -> StoreMissingError:
    """The error for a path where opening found no store (and was not asked to create one)."""
    create = ("To make a new store there, use `seed` (a demo history; File > New Demo Store in "
              "the window) or `create` (an empty one, for its system's commands to fill).")
    if kind == "missing":
        where = (f": it is a link to {os.readlink(path)}, where there is no file"
                 if path.is_symlink() else "" if path.parent.is_dir()
                 else f": the folder {path.parent} does not exist")
        return StoreMissingError(f"No store at {path}{where}. Check the path. {create}",
                                 str(path))
    what = "an empty file" if kind == "empty" else "an empty SQLite database"
    return StoreMissingError(f"{path} is {what}, not a store: it holds no events. It was not "
                             f"changed. Choose a store file. {create}", str(path), empty=True)


def _translate_operational(error: BaseException | None, location: str,
                           action: str) -> Exception:
    """The store's error for SQLite's `error` (a sqlite3.OperationalError) while doing `action`."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreLockedError(
            f"Cannot {action}: {location} is locked by another program for more than "
            f"{sqlite_backend.BUSY_TIMEOUT_S:.0f} s. Close that program or wait, then try again.")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyStoreError(location, action)
    return StoreOpenError(f"Cannot {action} in {location}: {text}.")

