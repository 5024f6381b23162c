"""The read-model database: projections' tables and checkpoints, in a SQLite file of their own.

Read models live beside the store, in `STORE.readmodels` (for a store opened read-only, in the
user's cache folder instead, so nothing is written next to it). Those of a store on a PostgreSQL
server opened for writing live on the server, in a schema beside its events, behind the same
interface (explorer.projections.postgres_readmodels; `open_read_models` chooses).

A separate file because read models are derived and disposable: deleting the file only means
rebuilding them; projection writes never take the store's write lock, so appends are never
held up by a rebuild; and checkpoints commit in the same transaction as the rows they cover,
which is all exactly-once needs.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote

import platformdirs
import sqlalchemy as sa

from explorer.common.closable import Closable
from explorer.common.timestamps import now_micros
from explorer.projections.presence import STALE_AFTER_S, RunnerPresence
from explorer.projections.search import (
    TOKENIZER,
    SearchIndex,
    check_ready,
    matching,
    search_terms,
)
from explorer.store.compiled import Columns
from explorer.store.damage import guarded_connection
from explorer.store.errors import (
    DiskFullError,
    NotAStoreError,
    StoreError,
    StoreLockedError,
    StoreOpenError,
)
from explorer.store.event_store import file_identity
from explorer.store.postgres_url import is_server_url
from explorer.store.sqlite import (
    BUSY_TIMEOUT_S,
    SQLITE_MAGIC,
    close_engine,
    connect_engine,
    describe_bytes,
    guarded_engine,
    mounted_read_only,
    read_header,
)

APPLICATION_ID = 0x45565852  # "EVXR"
SCHEMA_VERSION = 5
"""Read models are derived: a file of another schema version is simply emptied and rebuilt.
3: the sagas' tables changed shape and name (the old ones are dropped with everything else).
4: a versioned table's position index holds valid_to too (explorer.projections.versioned).
5: a versioned table with wide columns (the sagas' step tables) has an index without them."""
SUFFIX = ".readmodels"

metadata = sa.MetaData()

projection_state = sa.Table(
    "projection_state", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),  # "projection" or "saga"
    sa.Column("version", sa.Integer, nullable=False),  # of the projection's code
    sa.Column("checkpoint", sa.Integer, nullable=False, server_default="0"),
    sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rebuild_target", sa.Integer),  # while rebuilding: the last position to reach
    sa.Column("fault_position", sa.Integer),
    sa.Column("fault_event_id", sa.Text),
    sa.Column("fault_error", sa.Text),
    sa.Column("skipped", sa.Text, nullable=False, server_default="[]"),  # JSON positions
    sa.Column("updated_at", sa.Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,
)

projection_resets = sa.Table(
    "projection_resets", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("resets", sa.Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,
)
"""How many times each projection's read model was emptied to be made again (a rebuild, a new
code version): a count kept from the changes since an earlier one holds only while this stays
the same (explorer.projections.list_count). Its own table, so that read models made before it
get it without being made again."""


projection_feeds = sa.Table(
    "projection_feeds", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("event_types", sa.Text, nullable=False),  # a JSON array, sorted
    sqlite_with_rowid=False,
)
"""The event types each projection's read model was built from (its code's `event_types` when
it last started it over): one whose code now reads others, without a new version, is rebuilt
(explorer.projections.engine), rather than shown as if the events of a type added had been
handled. Its own table, so that read models made before it get it without being made again
(a read model without a row here is taken as built from the types its code reads)."""


runner_presence = sa.Table(
    "runner_presence", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("started_at", sa.BigInteger, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("token", sa.Text),
    sa.Column("seen_at", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""The runners keeping these read models, each its own row (explorer.projections.presence).
Its own table, so that read models made before it get it without being made again."""


def _configure(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA cache_size = -32000")
    # What a rebuild empties, and FTS5's merges free, is not overwritten with zeros: the rows
    # are derived from the store, which keeps them anyway. SQLite built with secure_delete on
    # (Debian's is) zeroed every freed page: emptying the sagas' read model of a 1M-event store
    # before its rebuild took 3.1 s of CPU, 1.1 s without; order_summary's 0.33 s, 0.06 s.
    connection.execute("PRAGMA secure_delete = OFF")


def open_read_models(store_location: str, store_read_only: bool, *,
                     read_only: bool = False) -> ReadModelDatabase:
    """The read models of the store at `store_location` (opened read-only if `store_read_only`):
    on the server beside a server store opened for writing, else the file at read_model_path.
    With `read_only`, StoreOpenError if there are none yet."""
    if is_server_url(store_location) and not store_read_only:
        from explorer.projections.postgres_readmodels import ServerReadModels  # needs this one
        return ServerReadModels(store_location, read_only=read_only)
    return ReadModelDatabase(read_model_path(store_location, store_read_only),
                             read_only=read_only)


def cache_folder() -> Path:
    """The user's cache folder of read models and search indexes made for stores that are not
    written (opened read-only, the `eventsourcing` library's, bug reports)."""
    return platformdirs.user_cache_path("event-explorer", appauthor=False) / "readmodels"


def read_model_path(store_location: str, read_only: bool) -> Path:
    """Where the read-model file of a store lives (see the module docstring; a store on a
    server keeps its file, for a read-only store or what only SQLite keeps, in the user's
    cache folder, named by its URL without a password)."""
    folder = cache_folder()
    if is_server_url(store_location):
        digest = hashlib.sha256(store_location.encode()).hexdigest()[:16]
        return folder / f"server-{digest}{SUFFIX}"
    store = Path(store_location).resolve()
    if not read_only:
        return store.with_name(store.name + SUFFIX)
    digest = hashlib.sha256(os.fsencode(store)).hexdigest()[:16]  # (a name not UTF-8 too)
    return folder / f"{store.stem}-{digest}{SUFFIX}"


class ReadModelsMissingError(StoreOpenError):
    """Read models opened read-only that nobody has built yet."""


class ReadModelsOutdatedError(StoreOpenError):
    """A projection's tables in the read models are not those its code declares, and they are
    opened read-only, so they cannot be made again here."""


def describe_changes(table: sa.Table, columns: Mapping[str, Any], key: Sequence[str],
                     dialect: sa.Dialect) -> str:
    """How `table` as declared differs from the table found in a database (its `columns`'
    types by name, its primary key's columns), as "column prio added, key (a) now (a, b)";
    "" if they match. Types are compared by what they hold (see _kind), so that a database
    reporting a type in its own words (DOUBLE PRECISION for FLOAT) is no change."""
    changes = [f"column {c.name} added" for c in table.columns if c.name not in columns]
    changes += [f"column {name} removed" for name in columns if name not in table.c]
    for column in table.c:
        found = columns.get(column.name)
        if found is not None and _kind(found) not in (None, _kind(column.type)):
            changes.append(f"column {column.name} now {_type_text(column.type, dialect)}, "
                           f"not {_type_text(found, dialect)}")
    declared_key = [c.name for c in table.primary_key.columns]
    if list(key) != declared_key:
        shown = [name for name in declared_key if name != "valid_from"]  # (every version's)
        was = [name for name in key if name != "valid_from"]
        changes.append(f"key ({', '.join(was)}) now ({', '.join(shown)})")
    return ", ".join(changes)


def _kind(kind: Any) -> str | None:
    """What a column type holds, as far as a read model's rows care: SQLAlchemy's generic
    type it stands for (Integer for BIGINT, Float for DOUBLE PRECISION, String for TEXT and
    VARCHAR(n), ...); None for a type the database reported that SQLAlchemy does not know."""
    generic = sa.types.to_instance(kind)._type_affinity
    return None if generic is None or generic is sa.types.NullType else generic.__name__


def _type_text(kind: Any, dialect: sa.Dialect) -> str:
    """A column type as the dialect writes it."""
    try:
        return str(sa.types.to_instance(kind).compile(dialect=dialect))
    except sa.exc.CompileError:
        return type(kind).__name__


class ReadModelDatabase(Closable):
    """One connection to a read-model file, on one thread at a time (like EventStore)."""

    indexed_search = True
    """Whether a search of a read model's rows has an index (SQLite's FTS5) to count from."""
    _file: tuple[int, int] | None = None
    """The file opened (device, inode; None: a server's read models)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        _refuse_foreign(self.path)
        if read_only and not self.path.exists():
            raise ReadModelsMissingError(
                f"No read models at {self.path} yet; run the projections first.")
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if mounted_read_only(self.path.parent):  # (SQLite says 'unable to open ...')
                    raise OSError(errno.EROFS, os.strerror(errno.EROFS))
            except OSError as error:  # (the cache folder of a read-only store, say)
                raise StoreOpenError(
                    f"Cannot keep the read models in {self.path.parent}: {error.strerror}. Make "
                    "that folder writable (or set XDG_CACHE_HOME to one that is).") from None
        uri = "file:" + quote(os.fsencode(self.path.resolve()), safe="/")  # (a name not UTF-8)
        if read_only:
            uri += "?mode=ro"
        made = not read_only and not self.path.exists()
        self.engine = guarded_engine(uri, on_damage=self._damaged, on_full=self._full,
                                     configure=_configure)
        self.connection = connect_engine(self.engine, f"the read models {self.path}")
        self.db = guarded_connection(self.connection)
        self._file = file_identity(self.path)
        if read_only:
            return
        try:
            self._use_wal()
            with self.transaction():
                if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    self._drop_everything()
                    self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                metadata.create_all(self.connection)
        except DiskFullError:  # the empty file this open made is not left behind
            self.close()
            if made and self.path.stat().st_size == 0:
                self.path.unlink()
            raise

    def _use_wal(self) -> None:
        """Switch the file to WAL mode. Two processes opening a new file at once (`run` and the
        window's runner) can make SQLite refuse one of them at once instead of waiting (each
        holds a lock the other's switch needs), so the switch is retried for the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"The read models {self.path} are busy: {error}.") from None
            time.sleep(random.uniform(0.005, 0.05))

    def _damaged(self, detail: str) -> StoreError:
        return StoreError(
            f"The read models {self.path} are damaged (SQLite: {detail}). They are derived from "
            "the store, which is not affected: delete that file and they are built again.")

    def _full(self, detail: str) -> StoreError:
        return DiskFullError(
            f"The disk holding the read models {self.path} is full (SQLite: {detail}), so they "
            "could not be written. They are derived from the store, which is not affected: free "
            f"some space in {self.path.parent}, then try again.", detail)

    def _drop_everything(self) -> None:
        tables = [name for (name,) in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for name in tables:  # our own file (checked): its tables are ours to drop
            # IF EXISTS: a search index's tables went with it (its virtual table comes first)
            self.db.execute(f'DROP TABLE IF EXISTS "{name}"')

    def close(self) -> None:
        close_engine(self.connection, self.engine)

    def file_changed(self) -> bool:
        """Whether the read models' file is no longer the one opened: deleted, moved or replaced
        since, what is written to it goes where nothing reads it (False on a server)."""
        return self._file is not None and file_identity(self.path) != self._file

    def failed_itself(self, error: BaseException) -> bool:
        """Whether `error`, raised writing a chunk's rows, is the database's own failure (a
        full disk, a lock, a lost connection): the chunk is to be tried again, not taken for a
        value it refused (see ProjectionEngine._apply_chunk)."""
        return isinstance(error, (sqlite3.OperationalError, StoreError))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed if the block ends normally, rolled back otherwise."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreLockedError(f"The read models {self.path} are busy: {error}.") from None
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:  # (SQLite ends it itself on some errors: a full disk)
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def create_tables(self, tables: list[sa.Table]) -> None:
        """Create tables if they do not exist yet, and the indexes they declare that a table
        made before lacks (a projection's engine uses `prepare_tables`, which also remakes a
        table whose shape changed)."""
        if self.read_only:
            return
        with self.transaction():
            for table in tables:
                table.create(self.connection, checkfirst=True)
                for index in table.indexes:
                    self.connection.execute(sa.schema.CreateIndex(index, if_not_exists=True))

    def table_changes(self, tables: Sequence[sa.Table]) -> dict[str, str]:
        """How each of `tables` as declared differs from the one of its name in the read
        models (see describe_changes), by table name: only those that are there and differ."""
        inspector = sa.inspect(self.connection)  # (a new one each time: it caches)
        changes = {}
        for table in tables:
            if not inspector.has_table(table.name):
                continue
            columns = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
            key = self._primary_key(inspector, table.name)
            change = describe_changes(table, columns, key, self.engine.dialect)
            if change:
                changes[table.name] = change
        return changes

    def has_table(self, name: str) -> bool:
        """Whether the read models hold a table of this name."""
        return sa.inspect(self.connection).has_table(name)

    def _primary_key(self, inspector: sa.Inspector, name: str) -> list[str]:
        """The columns of the primary key of the table `name`, in its order."""
        return list(inspector.get_pk_constraint(name)["constrained_columns"])

    def prepare_tables(self, tables: Sequence[sa.Table]) -> dict[str, str]:
        """In the caller's transaction: make a projection's tables as declared, those not there
        yet and those whose columns or key changed (dropped first, their rows with them: the
        caller starts the projection over), and the indexes they declare that a table made
        before lacks (the sagas' status index: explorer.sagas.instances). The changes found,
        as `table_changes` says them."""
        changes = self.table_changes(tables)
        for table in tables:
            if table.name in changes:
                # our own table names, never user input
                self.db.execute(f'DROP TABLE "{table.name}"')
            table.create(self.connection, checkfirst=True)
            for index in table.indexes:
                self.connection.execute(sa.schema.CreateIndex(index, if_not_exists=True))
        return changes

    def drop_indexes(self, tables: Sequence[sa.Table]) -> bool:
        """Drop the indexes besides their primary keys that `tables` declare, in the caller's
        transaction, for a rebuild that has just emptied them: their rows are then written
        without keeping those indexes at each insert, and `create_indexes` makes them once
        the rows are there, each in one sorted pass. True if it dropped them (a file; a
        server keeps them)."""
        for table in tables:
            for index in table.indexes:
                # our own index names, never user input
                self.db.execute(f'DROP INDEX IF EXISTS "{index.name}"')
        return True

    def create_indexes(self, tables: Sequence[sa.Table]) -> None:
        """Make the indexes `tables` declare that they lack (after `drop_indexes`)."""
        if self.read_only:
            return
        with self.transaction():
            for table in tables:
                for index in table.indexes:
                    self.connection.execute(sa.schema.CreateIndex(index, if_not_exists=True))

    def limit_cache(self, megabytes: int) -> None:
        """Keep at most this much in this connection's page cache (32 MB by default)."""
        self.db.execute(f"PRAGMA cache_size = {-1000 * int(megabytes)}")

    def search_index(self, table: sa.Table) -> SearchIndex:
        """The search index a projection's shown table keeps (explorer.projections.search)."""
        return SearchIndex(table, self.db)

    def search_rows(self, query: sa.Select[*tuple[Any, ...]], table: sa.Table, text: str,
                    where: Mapping[str, Any] | None = None) -> sa.Select[*tuple[Any, ...]]:
        """`query` (current rows of `table`) narrowed to those matching what the user typed
        (there is something to search for in `text`); SearchNotReadyError without an index."""
        terms = search_terms(text)
        if terms is None:
            raise ValueError(f"nothing to search for in {text!r}")
        check_ready(self.db, table)
        return matching(query, table, terms, where)

    def count_matching(self, table: sa.Table, rows: Sequence[Sequence[Any]], text: str) -> int:
        """How many of `rows` (values of `table`'s columns as `current_rows` reads them: keys,
        then values) match what the user typed, as the table's search index would match them
        (rows of a version before the current one, which the index no longer holds): in an
        index of their own, in this connection's temporary database."""
        terms = search_terms(text)
        if terms is None:
            raise ValueError(f"nothing to search for in {text!r}")
        if not rows:
            return 0
        name = f"{table.name}__probe"
        width = len(table.info["keys"]) + len(table.info["values"])
        columns = ", ".join(f"c{i}" for i in range(width))
        self.db.execute(f'CREATE VIRTUAL TABLE IF NOT EXISTS temp."{name}" USING fts5({columns}, '
                        f"tokenize = '{TOKENIZER}', columnsize = 0)")
        self.db.execute(f'DELETE FROM temp."{name}"')
        slots = ", ".join("?" for _ in range(width))
        self.db.executemany(f'INSERT INTO temp."{name}" ({columns}) VALUES ({slots})', rows)
        found: int = self.db.execute(f'SELECT count(*) FROM temp."{name}" WHERE "{name}" MATCH ?',
                                     (terms,)).fetchone()[0]
        return found

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Reads that see one state of the read models, however many statements they take (a
        projection's rows and its checkpoint, which commit together)."""
        sqlite = self.engine.dialect.name == "sqlite"
        self.db.execute("BEGIN" if sqlite else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        except BaseException:
            with suppress(Exception):  # the error to say is the first one
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def local(self) -> ReadModelDatabase | None:
        """The read-model file for what only SQLite keeps (the timeline's counts): this one."""
        return self

    def claim(self, names: Iterable[str]) -> frozenset[str]:
        """Of these projections and sagas, those this runner advances: in a file, all of them
        (its write lock and the checkpoints re-read in each transaction share the work)."""
        return frozenset(names)

    def release(self, names: Iterable[str]) -> None:
        """Let other runners advance these (nothing to let go of in a file)."""

    # -- which runners keep these read models (explorer.projections.presence) --------------

    def announce(self, me: RunnerPresence) -> None:
        """Say (again) that the runner `me` keeps these read models, now. It never waits for
        the write lock (another runner's chunk, a rebuild's, may hold it for seconds, and a
        runner at rest was not held up by others before): StoreLockedError at once instead,
        and the runner says it at its next look."""
        with self._without_waiting(), self.transaction() as db:
            values = (me.pid, me.host, me.started_at, me.role, me.token, now_micros(), me.id)
            if db.execute("UPDATE runner_presence SET pid = ?, host = ?, started_at = ?, "
                          "role = ?, token = ?, seen_at = ? WHERE id = ?", values).rowcount:
                return
            db.execute("INSERT INTO runner_presence (pid, host, started_at, role, token, "
                       "seen_at, id) VALUES (?, ?, ?, ?, ?, ?, ?)", values)

    @contextmanager
    def _without_waiting(self) -> Iterator[None]:
        """The writes in the block do not wait for the write lock (see `announce`)."""
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")

    def withdraw(self, me: RunnerPresence) -> None:
        """Say that the runner `me` no longer keeps them (it stops), without waiting for the
        write lock: a row left, its process gone, is taken out by the next runner to look."""
        with self._without_waiting(), self.transaction() as db:
            db.execute("DELETE FROM runner_presence WHERE id = ?", (me.id,))

    def other_runners(self, me: RunnerPresence) -> list[RunnerPresence]:
        """The runners besides `me` that keep these read models now, the earliest first; the
        rows of runners found gone are taken out."""
        rows = self.db.execute("SELECT id, pid, host, started_at, role, token, seen_at FROM "
                               "runner_presence WHERE id <> ? ORDER BY started_at, id",
                               (me.id,)).fetchall()
        alive: list[RunnerPresence] = []
        gone: list[RunnerPresence] = []
        for row in rows:
            other = RunnerPresence(*row[:6])
            (alive if self.runs(other, seen_at=row[6]) else gone).append(other)
        if gone:
            with self._without_waiting(), self.transaction() as db:
                for other in gone:
                    db.execute("DELETE FROM runner_presence WHERE id = ?", (other.id,))
        return alive

    def runs(self, other: RunnerPresence, *, seen_at: int) -> bool:
        """Whether the runner behind a row still runs: its process, on this machine; else
        whether it said so within STALE_AFTER_S."""
        here = other.alive_here()
        if here is not None:
            return here
        return now_micros() - seen_at < STALE_AFTER_S * 1e6

    @overload
    def execute(self, statement: sa.Select[*Columns],
                parameters: dict[str, Any] | None = None) -> sa.Result[*Columns]: ...

    @overload
    def execute(self, statement: sa.Executable,
                parameters: dict[str, Any] | None = None) -> sa.Result[*tuple[Any, ...]]: ...

    def execute(self, statement: sa.Executable,
                parameters: dict[str, Any] | None = None) -> sa.Result[*tuple[Any, ...]]:
        """Run a statement on the read models' connection (a select keeps its column types)."""
        return self.connection.execute(statement, parameters)


def _refuse_foreign(path: Path) -> None:
    """Never take over a file at the read-model path that is not ours (asked through SQLite:
    reading the file directly would drop this process's SQLite locks on it)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    what = "search index" if path.name.endswith(".fulltext") else "read models"
    uri = "file:" + quote(os.fsencode(path.resolve()), safe="/") + "?mode=ro"
    probe = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        application_id = probe.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError:
        raise NotAStoreError(
            f"{path} should hold the store's {what}, but it {_is_what(path)}. It was not "
            f"changed. That file is made from the store alone: delete it (or move it away) "
            "and it is made again.") from None
    finally:
        probe.close()
    if application_id not in (0, APPLICATION_ID):
        raise NotAStoreError(f"{path} is an SQLite database of another program, not Event "
                             f"Explorer's {what}. Move it away so they can be kept there.")


def _is_what(path: Path) -> str:
    """What the file that is not an SQLite database we can read holds, as "is ..."."""
    header = read_header(path)
    if header.startswith(SQLITE_MAGIC):
        return "is an SQLite file that cannot be read (damaged, or cut short)"
    return f"is {describe_bytes(header)}"
