"""Opening SQLite files as stores: inspect before touching, refuse what is not ours, tune connections.

A file is inspected through a read-only connection first. Only when it is an Event Explorer store
(or a new or empty file) is it opened for writing and switched to WAL, so a file that is not ours
is never modified.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from explorer import __version__
from explorer.store import schema
from explorer.store.errors import NotAStoreError, StoreLockedError, StoreOpenError
from explorer.store.timestamps import iso, now_micros

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

    kind: str  # "missing", "empty", "store", "empty-sqlite"
    schema_version: int = 0


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


def sqlite_uri(path: Path, read_only: bool, immutable: bool = False) -> str:
    """A `file:` URI for the path, safe for names with spaces, '?' or '#'."""
    uri = "file:" + quote(str(path.resolve()), safe="/")
    if read_only:
        uri += "?mode=ro" + ("&immutable=1" if immutable else "")
    return uri


def _inspect_connection(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(sqlite_uri(path, read_only=True), uri=True,
                               timeout=INSPECT_TIMEOUT_S, isolation_level=None)
    except sqlite3.OperationalError as error:
        raise StoreOpenError(f"Cannot open {path}: {error}. Check that the file is readable.") from None


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
                              "or encrypted. It was not changed.")
    return NotAStoreError(
        f"{path} is not {what}: it is {describe_bytes(header)}, not an SQLite database. It was "
        "not changed. Choose an Event Explorer store file instead.")


def inspect(path: Path) -> Inspection:
    """Find what the file at `path` is without modifying it. Raises for anything not ours."""
    if not path.exists():
        return Inspection("missing")
    if path.is_dir():
        raise StoreOpenError(f"{path} is a folder, not a store file. Choose a file inside it.")
    if not os.access(path, os.R_OK):
        raise StoreOpenError(
            f"Cannot read {path}: permission denied. Ask for read access or copy the file.")
    if path.stat().st_size == 0:
        return Inspection("empty")
    connection = _inspect_connection(path)
    try:
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            user_version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = sorted(name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise StoreLockedError(
                    f"{path} is locked by another program. Close that program (or wait for it to "
                    "finish) and open the store again.") from None
            raise StoreOpenError(f"Cannot read {path}: {error}.") from None
        except sqlite3.DatabaseError:
            raise not_sqlite_error(path) from None
    finally:
        connection.close()
    if application_id == schema.APPLICATION_ID:
        if user_version > schema.SCHEMA_VERSION:
            raise NotAStoreError(
                f"{path} was written by a newer Event Explorer (store schema {user_version}; this "
                f"version reads up to {schema.SCHEMA_VERSION}). Update Event Explorer to open it.")
        missing = schema.REQUIRED_TABLES - set(tables)
        if missing:
            raise NotAStoreError(
                f"{path} is marked as an Event Explorer store but lacks the tables "
                f"{', '.join(sorted(missing))}; it looks damaged. It was not changed.")
        return Inspection("store", user_version)
    if not tables and application_id == 0:
        return Inspection("empty-sqlite")
    shown = ", ".join(tables[:6]) + (f" and {len(tables) - 6} more" if len(tables) > 6 else "")
    found = f"the tables {shown}" if tables else f"application id {application_id:#x}"
    raise NotAStoreError(
        f"{path} is an SQLite database of another program ({found}), not an Event Explorer "
        "store. It was not changed. Choose an Event Explorer store file instead.")


def _configure(connection: sqlite3.Connection, read_only: bool) -> None:
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA cache_size = -32000")  # 32 MB of page cache per connection
    connection.execute("PRAGMA temp_store = MEMORY")
    if not read_only:
        connection.execute("PRAGMA journal_size_limit = 67108864")
        # Checkpoint every ~40 MB of WAL instead of every 4 MB: appends keep rewriting the same
        # few index pages, so fewer, larger checkpoints copy far fewer pages in total.
        connection.execute("PRAGMA wal_autocheckpoint = 10000")


def create_engine(path: Path, read_only: bool) -> sa.Engine:
    """An engine with one connection to the file, in autocommit mode (transactions are explicit)."""
    immutable = False
    if read_only:
        # A WAL database read from a folder we cannot write needs the immutable flag.
        probe_ok = True
        try:
            probe = sqlite3.connect(sqlite_uri(path, True), uri=True, timeout=INSPECT_TIMEOUT_S)
            probe.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            probe.close()
        except sqlite3.OperationalError:
            probe_ok = False
        immutable = not probe_ok
    uri = sqlite_uri(path, read_only, immutable)

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                     check_same_thread=False, cached_statements=256)
        _configure(connection, read_only)
        return connection

    # Transactions are begun and ended explicitly by the store (BEGIN IMMEDIATE for writes), so
    # SQLAlchemy must neither begin one implicitly nor roll one back when a connection is returned.
    return sa.create_engine("sqlite+pysqlite://", creator=connect, poolclass=StaticPool,
                            isolation_level="AUTOCOMMIT", pool_reset_on_return=None)


def initialise(connection: sqlite3.Connection, sa_connection: sa.Connection) -> None:
    """Give a new or empty file the schema and its marker, once, even if two processes race."""
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("BEGIN IMMEDIATE")
    try:
        if connection.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID:
            connection.execute("COMMIT")  # another process initialised it first
            return
        schema.metadata.create_all(sa_connection)
        sa_connection.execute(sa.insert(schema.store_meta), [
            {"key": "schema", "value": schema.SCHEMA_NAME},
            {"key": "schema_version", "value": str(schema.SCHEMA_VERSION)},
            {"key": "created_at", "value": iso(now_micros())},
            {"key": "created_by", "value": f"Event Explorer {__version__}"},
        ])
        connection.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
