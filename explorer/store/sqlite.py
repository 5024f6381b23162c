"""Opening SQLite files as stores: inspect before touching, refuse what is not ours, plan how to
open, make the engines (on guarded connections: `damage.py`), tune connections, initialise.

A file is inspected through a read-only connection first. Only when it is an Event Explorer store
(or a new or empty file) is it opened for writing and switched to WAL, so a file that is not ours
is never modified.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from explorer.store import schema
from explorer.store.damage import GuardedConnection, damaged, full, unreadable
from explorer.store.errors import (
    NotAStoreError,
    StoreLockedError,
    StoreOpenError,
)
from explorer.store.foreign.layout import LibraryLayout, library_layout

BUSY_TIMEOUT_S = 10.0
INSPECT_TIMEOUT_S = 3.0
SQLITE_MAGIC = b"SQLite format 3\x00"

_KNOWN_FORMATS = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF executable)"),
]


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a file holds, found without changing it."""

    kind: str  # "missing", "empty", "store", "empty-sqlite", "eventsourcing"
    schema_version: int = 0
    library: LibraryLayout | None = None
    """Where the `eventsourcing` library keeps its records (kind "eventsourcing")."""
    bundle: bool = False
    """A bug-report bundle (schema.BUNDLE_KEY): kept as saved, opened read-only."""


WAL_MAGICS = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
JOURNAL_MAGIC = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
SIDE_FILES = {"-wal": "write-ahead log", "-shm": "shared-memory index", "-journal": "journal"}
"""The files SQLite keeps beside a database while it is in use (or after a crash)."""


def side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def describe_bytes(header: bytes) -> str:
    """A short human description of a file that is not SQLite, from its first bytes."""
    for magic, name in _KNOWN_FORMATS:
        if header.startswith(magic):
            return name
    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError:
        shown = " ".join(f"{b:02x}" for b in header[:8])
        return f"binary data starting with the bytes {shown}"
    first_line = text.strip().splitlines()[0][:40] if text.strip() else ""
    kind = "JSON text" if first_line[:1] in "{[" and first_line else "a text file"
    return f"{kind} starting with {first_line!r}" if first_line else "a text file of blank lines"


def sqlite_uri(path: Path, read_only: bool, immutable: bool = False,
               create: bool = False) -> str:
    """A `file:` URI for the path, safe for names with spaces, '?' or '#'. Without `create`, a
    missing file is an error, never a new empty database."""
    uri = "file:" + quote(os.fsencode(path.resolve()), safe="/")  # (its bytes: a name not UTF-8)
    if read_only:
        return uri + "?mode=ro" + ("&immutable=1" if immutable else "")
    return uri + ("?mode=rwc" if create else "?mode=rw")


def untouched_connection(path: Path) -> sqlite3.Connection:
    """A connection that only reads and creates nothing beside the file.

    A database in WAL mode opened read-only would get `-wal` and `-shm` files that stay behind.
    When no `-wal` is there, everything is in the main file: read it as immutable (no locks, no
    side files). When one is, someone uses the file (or crashed); its side files exist already.
    """
    in_use = side_file(path, "-wal").exists() or side_file(path, "-journal").exists()
    try:
        return sqlite3.connect(sqlite_uri(path, read_only=True, immutable=not in_use), uri=True,
                               timeout=INSPECT_TIMEOUT_S, isolation_level=None)
    except sqlite3.OperationalError as error:
        raise StoreOpenError(
            f"Cannot open {path}: {error}. Check that the file is readable.") from None


def read_header(path: Path) -> bytes:
    """The first bytes of a file that SQLite cannot open as a database.

    Only for such files: opening and closing a file that SQLite has open in this process would
    release SQLite's POSIX locks on it, silently breaking its other connections.
    """
    try:
        with path.open("rb") as handle:
            return handle.read(100)
    except OSError as error:
        raise StoreOpenError(f"Cannot read {path}: {error.strerror or error}.") from None


def not_sqlite_error(path: Path, what: str = "an Event Explorer store") -> NotAStoreError:
    header = read_header(path)
    if header.startswith(SQLITE_MAGIC):
        return NotAStoreError(f"{path} is an SQLite file that cannot be read; it may be damaged "
                              f"or encrypted. It was not changed. If it is a store, `salvage "
                              f"{path} NEW.evstore` copies what can still be read of it.",
                              damaged=True)
    if header[:4] in WAL_MAGICS:
        return NotAStoreError(f"{path} is the write-ahead log of an SQLite database, not a store. "
                              "It was not changed. Open the store file beside it instead.")
    return NotAStoreError(
        f"{path} is not {what}: it is {describe_bytes(header)}, not an SQLite database. It was "
        "not changed. Choose an Event Explorer store file instead.")


def _special_kind(mode: int) -> str | None:
    """What a file of this mode is when it is neither a regular file nor a folder (whose
    contents are not stored bytes): a device, a named pipe, a socket."""
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def _refuse_side_file(path: Path) -> None:
    """Refuse a path that names a store's side file (`-wal`, `-shm`, `-journal`), and a missing
    store whose side files are still there: creating a store at that path would make SQLite
    throw away what the log holds."""
    for suffix, what in SIDE_FILES.items():
        if not path.name.endswith(suffix) or len(path.name) == len(suffix):
            continue
        database = path.with_name(path.name[:-len(suffix)])
        if not _is_side_file(path, suffix, database):
            continue
        state = "" if database.exists() else ", which is missing"
        raise StoreOpenError(
            f"{path.name} is the {what} SQLite keeps beside the database {database.name}"
            f"{state}, not a store. It was not changed. Open {database.name} instead"
            + ("." if database.exists() else
               ", after putting it back beside its log (moving the log away loses what it "
               "holds)."))
    if path.exists():
        return
    for suffix, what in SIDE_FILES.items():
        leftover = side_file(path, suffix)
        if suffix != "-shm" and leftover.exists() and leftover.stat().st_size:
            raise StoreOpenError(
                f"No store at {path}, but its {what} {leftover.name} is there, holding changes "
                "that may not be in any store file: the store was moved, renamed or deleted "
                f"while in use. Nothing was changed. Put the store file back as {path.name} "
                f"(or move {leftover.name} beside it under its new name) and open it again.")


def _is_side_file(path: Path, suffix: str, database: Path) -> bool:
    """Whether `path` really is a side file (a store may be called "travel-journal")."""
    if not path.is_file():
        return False
    if database.is_file() or suffix == "-shm":  # a -shm is never read: SQLite locks it
        return database.is_file()
    header = read_header(path)  # safe for a log: SQLite keeps no locks in it
    return header[:4] in WAL_MAGICS or header[:8] == JOURNAL_MAGIC


def inspect(path: Path) -> Inspection:
    """Find what the file at `path` is without modifying it. Raises for anything not ours."""
    try:
        special = _special_kind(os.stat(path).st_mode)
    except FileNotFoundError:
        special = None
    except OSError as error:  # a name too long, a folder in the path that is a file...
        raise StoreOpenError(f"Cannot open {path}: {error.strerror}.") from None
    if special is not None:  # never opened: a pipe's read waits for a writer, /dev/zero never
        # ends, a socket cannot be opened at all
        raise StoreOpenError(f"{path} is {special}, not a store file. Choose a store file, or "
                             "a new path to make one.")
    _refuse_side_file(path)
    if not path.exists():
        return Inspection("missing")
    if path.is_dir():
        raise StoreOpenError(f"{path} is a folder, not a store file. Choose a file inside it.")
    if not os.access(path, os.R_OK):
        raise StoreOpenError(
            f"Cannot read {path}: permission denied. Ask for read access or copy the file.")
    if path.stat().st_size == 0:
        return Inspection("empty")
    connection = untouched_connection(path)
    try:
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            user_version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = sorted(name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
            meta_version = _meta_schema_version(connection, tables)
            bundle = "store_meta" in tables and connection.execute(
                "SELECT 1 FROM store_meta WHERE key = ?",
                (schema.BUNDLE_KEY,)).fetchone() is not None
            library = (library_layout(connection, tables)
                       if application_id != schema.APPLICATION_ID else None)
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise StoreLockedError(
                    f"{path} is locked by another program. Close that program (or wait for it to "
                    "finish) and open the store again.") from None
            journal = side_file(path, "-journal")
            if "readonly" in str(error) and journal.exists():  # SQLite would roll it back
                raise StoreOpenError(
                    f"Cannot read {path} as it is: its journal {journal.name} holds a write "
                    "that was cut short (the program writing it stopped in the middle), which "
                    "SQLite rolls back before the file can be read, and a read never writes. "
                    "Nothing was changed. Open the file once with the program that writes it "
                    f"(or `sqlite3 {path} 'PRAGMA quick_check'`), which rolls the write back, "
                    "then open it here again.") from None
            raise StoreOpenError(f"Cannot read {path}: {error}.") from None
        except sqlite3.DatabaseError:
            raise not_sqlite_error(path) from None
    finally:
        connection.close()
    if application_id == schema.APPLICATION_ID:
        newest = max(user_version, meta_version)
        if newest > schema.SCHEMA_VERSION:
            raise NotAStoreError(
                f"{path} was written by a newer Event Explorer (store schema {newest}; this "
                f"version reads up to {schema.SCHEMA_VERSION}). It was not changed. Update Event "
                "Explorer to open it.")
        missing = schema.REQUIRED_TABLES - set(tables)
        if missing:
            raise NotAStoreError(
                f"{path} is marked as an Event Explorer store but lacks the tables "
                f"{', '.join(sorted(missing))}; it looks damaged. It was not changed. `salvage "
                f"{path} NEW.evstore` copies what can still be read of it.", damaged=True)
        return Inspection("store", user_version, bundle=bundle)
    if not tables and application_id == 0:
        return Inspection("empty-sqlite")
    if library is not None:  # read by explorer.store.foreign, never written
        return Inspection("eventsourcing", library=library)
    shown = ", ".join(tables[:6]) + (f" and {len(tables) - 6} more" if len(tables) > 6 else "")
    found = f"the tables {shown}" if tables else f"application id {application_id:#x}"
    raise NotAStoreError(
        f"{path} is an SQLite database of another program ({found}), not an Event Explorer "
        "store. It was not changed. Choose an Event Explorer store file instead.")


def _meta_schema_version(connection: sqlite3.Connection, tables: list[str]) -> int:
    """The schema version `store_meta` records (0 when it says none): a second marker, so that
    a store from a newer version is refused whichever marker it changed."""
    if "store_meta" not in tables:
        return 0
    row = connection.execute(
        "SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
    try:
        return int(row[0]) if row else 0
    except (TypeError, ValueError):
        return 0


def _configure(connection: sqlite3.Connection, read_only: bool) -> None:
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA cache_size = -32000")  # 32 MB of page cache per connection
    connection.execute("PRAGMA temp_store = MEMORY")
    # Check each page's cells as it is read: damage is found where it is, not written over.
    connection.execute("PRAGMA cell_size_check = ON")
    if read_only:
        connection.execute("PRAGMA query_only = ON")
    else:
        connection.execute("PRAGMA journal_size_limit = 67108864")
        # Checkpoint every ~40 MB of WAL instead of every 4 MB: appends keep rewriting the same
        # few index pages, so fewer, larger checkpoints copy far fewer pages in total.
        connection.execute("PRAGMA wal_autocheckpoint = 10000")


# -- how a file is opened ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OpenPlan:
    """How to open a store file: its URI, whether writes are refused, and why when they were
    asked for but cannot be done."""

    uri: str
    read_only: bool
    reason: str | None = None

    @property
    def immutable(self) -> bool:
        """Whether the file is read without locks, as if no program could write it (one that
        cannot be written here: see read_only_uri): what others write to it is not seen."""
        return self.uri.endswith("&immutable=1")


def plan_open(path: Path, *, read_only: bool, create: bool) -> OpenPlan:
    """Choose how to open `path` so that reading never leaves a file behind.

    Writing needs the file and its folder writable (SQLite keeps its log beside the store);
    without them the store opens read-only, saying why. A read-only open shares the side files
    of whoever uses the store; when there are none, it opens the file for writing with SQL
    writes switched off (`query_only`), because only such a connection removes the `-wal` and
    `-shm` files it had to make when it closes; where it may not make them at all, it reads the
    file as immutable.
    """
    if create:
        return OpenPlan(sqlite_uri(path, read_only=False, create=True), read_only=False)
    if not read_only:
        reason = write_refusal(path)
        if reason is None:
            return OpenPlan(sqlite_uri(path, read_only=False), read_only=False)
        return OpenPlan(read_only_uri(path), read_only=True, reason=reason)
    return OpenPlan(read_only_uri(path), read_only=True)


ROOM_TO_WRITE = 1024 * 1024
"""Free space on a store's disk below which it opens read-only, and a read makes no side files:
SQLite's -shm alone takes 32 KB, and making it on a full disk fails half way, leaving it and an
empty -wal behind (on which every later read fails until there is room again)."""
ROOM_FOR_SIDE_FILES = 128 * 1024
"""Free space below which a read of a file another program writes (an eventsourcing library
application's) makes no side files: room for the -shm (32 KB) and the first frames of a -wal.
Above it such a file is read through them, seeing what its application writes; read without
locks (immutable), it would not, and could meet pages of two versions of it."""


def mounted_read_only(folder: Path) -> bool:
    """Whether the file system holding `folder` is mounted read-only."""
    if not hasattr(os, "statvfs"):  # (Windows: a read-only folder is said as such)
        return False
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def short_of_room(folder: Path, room: int = ROOM_TO_WRITE) -> int | None:
    """The bytes free on the disk holding `folder` when they are fewer than `room` (a full disk
    or quota), else None."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    return free if free < room else None


def write_refusal(path: Path) -> str | None:
    """Why the store at `path` cannot be written here (None when it can)."""
    folder = path.parent
    if mounted_read_only(folder):
        return (f"the file system holding {folder} is mounted read-only, so it opened "
                "read-only. Copy the store to a disk you can write to make changes.")
    if not os.access(path, os.W_OK):
        return (f"the file {path} is read-only for you (no write permission), so it opened "
                "read-only. Ask its owner for write permission, or copy the store to make "
                "changes.")
    sides = [side_file(path, suffix) for suffix in ("-wal", "-shm")]
    sides_ready = all(side.exists() and os.access(side, os.W_OK) for side in sides)
    if not os.access(folder, os.W_OK | os.X_OK) and not sides_ready:
        return (f"the folder {folder} cannot be written, and SQLite keeps the store's log beside "
                "it there, so it opened read-only. Copy the store to a folder you can write to "
                "make changes.")
    free = short_of_room(folder)
    if free is not None:
        return (f"the disk holding {folder} is full ({free // 1024:,} KB free), so it opened "
                "read-only. Free some space there to make changes.")
    return None


def read_only_uri(path: Path, room: int = ROOM_TO_WRITE) -> str:
    """The URI to read the database at `path` by, leaving no side file behind (see plan_open;
    a connection using it must not write, e.g. through `PRAGMA query_only`); immutable where
    it cannot make them, or has less than `room` free to. StoreOpenError for a store whose log
    was deleted while in use (see `refuse_lost_log`)."""
    refuse_lost_log(path)
    if side_file(path, "-wal").exists():  # in use (or left by a crash): share its side files
        uri = sqlite_uri(path, read_only=True)
        return uri if _readable(uri) else sqlite_uri(path, read_only=True, immutable=True)
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK) \
            and short_of_room(path.parent, room) is None:
        return sqlite_uri(path, read_only=False)  # query_only; cleans up after itself
    return sqlite_uri(path, read_only=True, immutable=True)


LOST_LOG_RECHECKS = 5
LOST_LOG_PAUSE_S = 0.02


def refuse_lost_log(path: Path) -> None:
    """Refuse to read a store whose shared-memory index (`-shm`) is there without its
    write-ahead log (`-wal`): the log was deleted or moved while a program had the store open,
    and SQLite, reading it, would make an empty log beside it (and fail, if the index says the
    lost log held changes). The last connection to close deletes the log just before the index:
    in that moment, the pair is looked at again a few times before refusing."""
    for attempt in range(LOST_LOG_RECHECKS):
        if side_file(path, "-wal").exists() or not side_file(path, "-shm").exists():
            return
        if attempt + 1 < LOST_LOG_RECHECKS:
            time.sleep(LOST_LOG_PAUSE_S)
    name = path.name
    raise StoreOpenError(
        f"Cannot read {path} as it is: its index {name}-shm is there without its write-ahead log "
        f"{name}-wal, which was deleted or moved while a program had the store open, so the "
        "store file may lack its last changes. Nothing was changed. Close the program that has "
        "it open (it then writes what the log held into the store) and try again; if this "
        f"still shows with no program using the store, delete {name}-shm (the index of the lost "
        f"log), or `salvage {path} NEW.evstore` copies what the store file holds.")


def _readable(uri: str) -> bool:
    try:
        probe = sqlite3.connect(uri, uri=True, timeout=INSPECT_TIMEOUT_S)
        try:
            probe.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        finally:
            probe.close()
    except sqlite3.OperationalError:
        return False
    return True


def create_engine(path: Path, plan: OpenPlan, *, location: str | None = None) -> sa.Engine:
    """An engine with one connection to the store file, as `plan` says."""
    where = location or str(path)
    on_damage = (_changed_or_damaged(path, where) if plan.immutable
                 else lambda detail: damaged(where, detail))
    return guarded_engine(plan.uri, on_damage=on_damage,
                          on_unreadable=lambda detail: unreadable(where, detail),
                          on_full=lambda detail: full(where, detail),
                          configure=lambda connection: _configure(connection, plan.read_only))


def _changed_or_damaged(path: Path, where: str) -> Callable[[str], Exception]:
    """on_damage for a store read as immutable (without locks, as if no program could write it:
    a read-only file or folder, a full disk). Once another program has written the file since
    it was opened (room made on the disk, say), SQLite reads pages of two versions of it and may
    call that 'malformed', as its documentation warns: no sign of damage, so not remembered as
    such (the store would be said damaged, its writes refused, until the process ends)."""
    def version() -> tuple[int, int, int] | None:
        try:
            found = os.stat(path)
        except OSError:
            return None
        return found.st_ino, found.st_size, found.st_mtime_ns

    opened = version()

    def on_damage(detail: str) -> Exception:
        if version() == opened:
            return damaged(where, detail)
        return StoreOpenError(
            f"The store {where} was changed by another program since it was opened read-only, "
            "and read without the locks that keep a read whole (as a store that cannot be "
            f"written here is), so SQLite found pages of two versions of it ({detail}), which says "
            "nothing of damage, and what was read of it may be out of date. Open it again to "
            "read it as it is now.")
    return on_damage


def guarded_engine(uri: str, *, on_damage: Callable[[str], Exception],
                   configure: Callable[[sqlite3.Connection], None],
                   on_unreadable: Callable[[str], Exception] | None = None,
                   on_full: Callable[[str], Exception] | None = None) -> sa.Engine:
    """An engine with one GuardedConnection to the SQLite file at `uri` (`on_damage(detail)`
    says what a damaged file is, `on_unreadable(detail)` one SQLite cannot read, `on_full` a
    write that found the disk full), `configure`d once connected, in autocommit mode: the store
    and the read models alike."""
    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S,
                                     isolation_level=None, check_same_thread=False,
                                     cached_statements=256, factory=GuardedConnection)
        connection.on_damage = on_damage
        connection.on_unreadable = on_unreadable
        connection.on_full = on_full
        configure(connection)
        return connection

    # Transactions are begun and ended explicitly (BEGIN IMMEDIATE for writes), so SQLAlchemy
    # must neither begin one implicitly nor roll one back when a connection is returned.
    return sa.create_engine("sqlite+pysqlite://", creator=connect, poolclass=StaticPool,
                            isolation_level="AUTOCOMMIT", pool_reset_on_return=None)


def connect_engine(engine: sa.Engine, what: str) -> sa.Connection:
    """The engine's one connection; if it cannot be made, the engine is let go and SQLite's
    refusal raised as a StoreOpenError that names `what` could not be opened."""
    try:
        return engine.connect()
    except sa.exc.OperationalError as error:
        engine.dispose()
        raise StoreOpenError(f"Cannot open {what}: {error.orig}.") from None
    except BaseException:
        engine.dispose()
        raise


def close_engine(connection: sa.Connection, engine: sa.Engine) -> None:
    """Close a connection made by `connect_engine`, and let its engine go."""
    try:
        connection.close()
    finally:
        engine.dispose()


def initialise(connection: sqlite3.Connection, sa_connection: sa.Connection) -> None:
    """Give a new or empty file the schema and its marker, once, even if two processes race."""
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("BEGIN IMMEDIATE")
    try:
        if connection.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID:
            connection.execute("COMMIT")  # another process initialised it first
            return
        schema.metadata.create_all(sa_connection)
        sa_connection.execute(sa.insert(schema.store_meta), schema.first_meta())
        connection.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:  # (SQLite ends it itself on some errors: a full disk)
            connection.execute("ROLLBACK")
        raise
