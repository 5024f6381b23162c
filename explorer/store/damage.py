"""Damage: a store SQLite finds damaged is never written again by this process.

SQLite's "malformed" and "not a database" errors (and text that is not UTF-8) are told apart from
other errors; the stores seen damaged are remembered by their real path; a `GuardedConnection`
turns such an error, wherever it is raised (running a statement or fetching its rows), into the
store's StoreDamagedError; small stores get SQLite's quick check when opened.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast, overload

import sqlalchemy as sa

from explorer.store.errors import (
    DiskFullError,
    StoreDamagedError,
    StoreOpenError,
    UnreadableJsonError,
)

_DAMAGE_CODES = (11, 26)  # SQLITE_CORRUPT ("malformed"), SQLITE_NOTADB ("not a database")
_UNREADABLE_CODES = (10,)  # SQLITE_IOERR ("disk I/O error"; 522: a short read)
_FULL_CODES = (13, 4874)  # SQLITE_FULL ("database or disk is full"), SQLITE_IOERR_SHMSIZE (the
# -shm could not be made or grown: on Linux only for want of space)
_damaged: dict[str, str] = {}
"""Stores this process has seen damaged (real path -> what SQLite said): never written again."""


BAD_TEXT = "the text stored in the column"
"""How the damage of a text that is not UTF-8 is described."""
FUNCTION_FAILED = "user-defined function raised exception"
"""What sqlite3 says when a function registered on the connection fails. The only ones are the
`eventsourcing` library stores' readers (explorer/store/foreign), which read any bytes: they fail
only where a stored id or topic handed to them is no UTF-8 text (sqlite3 decodes it first)."""


_interruptions = threading.local()


def note_interrupted() -> None:
    """Note that a function registered on a connection (the `eventsourcing` library stores'
    readers, where reading their rows spends its time) was interrupted (Ctrl-C), which sqlite3
    says as FUNCTION_FAILED: the statement's failure is then raised as the KeyboardInterrupt it
    was, not taken for damage."""
    _interruptions.pending = True


def _interruption_taken() -> bool:
    pending = getattr(_interruptions, "pending", False)
    _interruptions.pending = False
    return pending


def is_damage(error: sqlite3.DatabaseError) -> bool:
    """Whether SQLite (or the text it hands over) says the file is damaged."""
    text = str(error)
    if text.startswith("Could not decode to UTF-8") or text == FUNCTION_FAILED:
        return True  # a stored text that is no longer text
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGE_CODES
    return "malformed" in text or "not a database" in text


def is_unreadable(error: sqlite3.DatabaseError) -> bool:
    """Whether SQLite could not read the file (or its log) at all: an I/O error, such as a read
    past the end of a write-ahead log deleted while in use."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _UNREADABLE_CODES
    return "disk I/O error" in str(error)


def is_full(error: sqlite3.DatabaseError) -> bool:
    """Whether SQLite could not write for want of space (a full disk or quota)."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code in _FULL_CODES
    return "database or disk is full" in str(error)


def full(location: str, detail: str) -> DiskFullError:
    """The error for a write to the store at `location` that found its disk full: SQLite rolled
    it back, so what was stored before is all there, unchanged."""
    folder = Path(location).parent
    return DiskFullError(
        f"The disk holding {folder} is full (SQLite: {detail}), so nothing more could be "
        f"written to the store {location}: what was being written was not, and everything "
        "stored before is kept unchanged. Free some space there, then try again.", detail)


def unreadable(location: str, detail: str) -> StoreOpenError:
    """The error for a store SQLite cannot read as it is (see `is_unreadable`)."""
    name = Path(location).name
    return StoreOpenError(
        f"Cannot read the store {location} as it is (SQLite: {detail}). Nothing was changed. If "
        f"another program has it open, close that program and try again (its write-ahead log "
        f"{name}-wal may have been deleted or moved while in use); otherwise `event-explorer-cli "
        f"salvage {location} NEW.evstore` copies every event that can still be read into a new "
        "store.")


def _unreadable_code(problem: str) -> bool:
    """Whether a line of SQLite's quick check is an I/O error ("... error code=522"), not
    damage."""
    _, found, code = problem.partition("error code=")
    digits = code.split(" ", 1)[0].rstrip(").,")
    return bool(found) and digits.isdigit() and int(digits) & 0xFF in _UNREADABLE_CODES


def describe_damage(error_or_problems: Exception | list[str]) -> str:
    """One line for what SQLite said: its first problem, and how many more there are."""
    if isinstance(error_or_problems, Exception):
        text = str(error_or_problems)
        if text.startswith("Could not decode to UTF-8"):
            column = text.split("column ", 1)[-1].split(" ", 1)[0]
            return f"{BAD_TEXT} {column} of a row is not valid UTF-8"
        if text == FUNCTION_FAILED:
            return "an id or a topic stored in the log is not valid UTF-8 text"
        lines = [text]
    else:
        lines = error_or_problems
    lines = [line.strip() for chunk in lines for line in chunk.splitlines()
             if line.strip() and not line.strip().startswith("***")] or ["unknown damage"]
    more = f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else ""
    return lines[0] + more


def damaged(location: str, detail: str, *, more_precisely: bool = False,
            library: bool = False) -> StoreDamagedError:
    """Note that the store at `location` is damaged (`more_precisely`: the damage noted first,
    said better; `library`: an eventsourcing library file); the error to raise."""
    mark_damaged(Path(location), detail, more_precisely=more_precisely)
    return StoreDamagedError(location, detail, library=library)


def mark_damaged(path: Path, detail: str, *, more_precisely: bool = False) -> None:
    if more_precisely:
        _damaged[os.path.realpath(path)] = detail
    else:
        _damaged.setdefault(os.path.realpath(path), detail)


@contextmanager
def only_looking(path: Path) -> Iterator[None]:
    """Damage found inside the block is not remembered for `path` (unless it was before): for
    a command that only reads a store and says what it found (the command line's read
    commands), whose later opens must go as they would have (a read-only runner's, say)."""
    real = os.path.realpath(path)
    before = _damaged.get(real)
    try:
        yield
    finally:
        if before is None:
            _damaged.pop(real, None)


def damage_of(path: Path) -> str | None:
    """What SQLite said when this process found the store at `path` damaged, or None."""
    return _damaged.get(os.path.realpath(path))


def damage_at(real_path: str) -> str | None:
    """damage_of for a path already resolved (appends ask on every write)."""
    return _damaged.get(real_path)


CursorT = TypeVar("CursorT", bound=sqlite3.Cursor)


def _database_damaged(detail: str) -> Exception:
    return StoreDamagedError("the database", detail)


class GuardedConnection(sqlite3.Connection):
    """A connection on which SQLite's "damaged" errors, wherever raised (running a statement or
    fetching its rows, here or through SQLAlchemy), become the error `on_damage` makes.

    Appends run several statements each, so the guard is one frame: sqlite3's own methods are
    called directly, on a GuardedCursor (whose rows are read lazily and so are guarded too).
    """

    on_damage: Callable[[str], Exception] = staticmethod(_database_damaged)
    """Makes the error for damage SQLite describes (a store's or read models' own, if set)."""
    on_unreadable: Callable[[str], Exception] | None = None
    """Makes the error for a file SQLite cannot read (an I/O error); None: SQLite's own."""
    on_full: Callable[[str], Exception] | None = None
    """Makes the error for a write that found the disk full (`is_full`); None: SQLite's own."""

    @overload
    def cursor(self, factory: None = None) -> sqlite3.Cursor: ...
    @overload
    def cursor(self, factory: Callable[[sqlite3.Connection], CursorT]) -> CursorT: ...
    def cursor(self, factory: Callable[[sqlite3.Connection], sqlite3.Cursor] | None = None,
               ) -> sqlite3.Cursor:
        return _cursor(self, factory or GuardedCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return _execute(_cursor(self, GuardedCursor), sql, parameters)
        except sqlite3.DatabaseError as error:
            raise _translated(self, error) from None

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        try:
            return _executemany(_cursor(self, GuardedCursor), sql, parameters)
        except sqlite3.DatabaseError as error:
            raise _translated(self, error) from None


def guarded_connection(connection: sa.Connection) -> GuardedConnection:
    """The sqlite3 connection under a SQLAlchemy one whose engine connects with GuardedConnection
    (`create_engine` here, the read models' database)."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, GuardedConnection):
        raise TypeError(f"not a GuardedConnection: {driver!r}")
    return driver


MethodT = TypeVar("MethodT", bound=Callable[..., Any])


def _guarded(method: MethodT) -> MethodT:
    """sqlite3.Cursor's own `method`, its damage errors translated (see GuardedConnection)."""
    def guarded(cursor: sqlite3.Cursor, *args: Any) -> Any:
        try:
            return method(cursor, *args)
        except sqlite3.DatabaseError as error:
            translated = _translated(cursor.connection, error)
            if translated is not error:  # its statement let go now, not when the error is:
                cursor.close()  # a statement kept alive keeps its file open, and its side files
            raise translated from None
    return cast(MethodT, guarded)


class GuardedCursor(sqlite3.Cursor):
    """The cursors of a GuardedConnection: running a statement and reading its rows guarded."""

    execute = _guarded(sqlite3.Cursor.execute)
    executemany = _guarded(sqlite3.Cursor.executemany)
    fetchone = _guarded(sqlite3.Cursor.fetchone)
    fetchmany = _guarded(sqlite3.Cursor.fetchmany)
    fetchall = _guarded(sqlite3.Cursor.fetchall)
    __next__ = _guarded(sqlite3.Cursor.__next__)


_cursor = sqlite3.Connection.cursor
_execute, _executemany = sqlite3.Cursor.execute, sqlite3.Cursor.executemany
_fetchall = sqlite3.Cursor.fetchall


class HotStatements(Protocol):
    """How the store runs its hot statements (appends, loads, pages of the log), each read
    whole at once: on a cursor kept for them (`KeptCursor`), or on any connection answering
    as sqlite3's does (`OnConnection`: a server's)."""

    def run(self, sql: str, parameters: Any = ..., /) -> None: ...
    def executemany(self, sql: str, parameters: Iterable[Any], /) -> None: ...
    def rows(self, sql: str, parameters: Any = ..., /) -> list[Any]: ...
    def row(self, sql: str, parameters: Any = ..., /) -> Any: ...


class KeptCursor:
    """HotStatements on one cursor of a GuardedConnection kept for them, their errors said
    as the connection's are (damage as its `on_damage`, ...). A cursor made and let go for
    each statement cost a command (its load and the append's six statements) 17,000 of its
    530,000 instructions. Every statement here is read to its end (or fails) before the
    next, so none is left open; one that failed is let go with its cursor, as a
    GuardedCursor's is, and the next gets a new cursor."""

    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: GuardedConnection) -> None:
        self._connection = connection
        self._cursor = _cursor(connection, sqlite3.Cursor)

    def run(self, sql: str, parameters: Any = (), /) -> None:
        try:
            _execute(self._cursor, sql, parameters)
        except sqlite3.DatabaseError as error:
            raise self._failed(error) from None

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> None:
        try:
            _executemany(self._cursor, sql, parameters)
        except sqlite3.DatabaseError as error:
            raise self._failed(error) from None

    def rows(self, sql: str, parameters: Any = (), /) -> list[Any]:
        try:
            return _fetchall(_execute(self._cursor, sql, parameters))
        except sqlite3.DatabaseError as error:
            raise self._failed(error) from None

    def row(self, sql: str, parameters: Any = (), /) -> Any:
        """The first row (None if there is none) of a statement giving one."""
        rows = self.rows(sql, parameters)
        return rows[0] if rows else None

    def _failed(self, error: sqlite3.DatabaseError) -> BaseException:
        """The error to raise for `error`, the failed statement let go."""
        translated = _translated(self._connection, error)
        try:
            fresh = _cursor(self._connection, sqlite3.Cursor)
        except sqlite3.ProgrammingError:  # a closed connection: its statements went with it
            return translated
        self._cursor.close()
        self._cursor = fresh
        return translated


class OnConnection:
    """HotStatements on a connection answering as sqlite3's does (a server's), a cursor each."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def run(self, sql: str, parameters: Any = None, /) -> None:
        self._connection.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> None:
        self._connection.executemany(sql, parameters)

    def rows(self, sql: str, parameters: Any = None, /) -> list[Any]:
        rows: list[Any] = self._connection.execute(sql, parameters).fetchall()
        return rows

    def row(self, sql: str, parameters: Any = None, /) -> Any:
        return self._connection.execute(sql, parameters).fetchone()


def hot_statements(connection: Any) -> HotStatements:
    """The HotStatements for a store's connection: a kept cursor on SQLite's."""
    if isinstance(connection, GuardedConnection):
        return KeptCursor(connection)
    return OnConnection(connection)


def _translated(connection: sqlite3.Connection, error: sqlite3.DatabaseError,
                ) -> BaseException:
    """The error to raise for `error`: the connection's damage error, KeyboardInterrupt for a
    registered function interrupted (`note_interrupted`), or `error` itself."""
    if str(error) == FUNCTION_FAILED and _interruption_taken():
        return KeyboardInterrupt()
    if not isinstance(connection, GuardedConnection):
        return error
    if is_damage(error):
        return connection.on_damage(describe_damage(error))
    if connection.on_full is not None and is_full(error):
        return connection.on_full(str(error))
    if connection.on_unreadable is not None and is_unreadable(error):
        return connection.on_unreadable(str(error))
    if "malformed JSON" in str(error):  # a filter's JSON function met a row it cannot read
        return UnreadableJsonError(
            "A stored event's data or metadata is not valid JSON, so this filter cannot be "
            "evaluated over it (SQLite: malformed JSON). `check` names the event; without "
            "the filter it is listed as unreadable, and the rest of the store reads as usual.")
    return error


QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
"""Stores up to this size (about 70,000 events) are checked when opened: by SQLite's quick check
(up to ~0.2 s), and for writing also their hash chain (up to ~0.3 s). Larger ones are checked by
`check`, and wherever reading meets damage."""
_verified: set[tuple[str, int, int, int]] = set()
_chain_verified: set[tuple[str, int, int, int]] = set()
"""Files whose hash chain this process found whole (as `_verified`, by path, inode, size and
time of change: a file changed since is checked again)."""


def _file_key(path: Path) -> tuple[str, int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return os.path.realpath(path), info.st_ino, info.st_size, info.st_mtime_ns


def chain_verified(path: Path) -> bool:
    """Whether this process found the hash chain of the file at `path`, as it is, whole."""
    key = _file_key(path)
    return key is not None and key in _chain_verified


def note_chain_verified(path: Path) -> None:
    key = _file_key(path)
    if key is not None:
        _chain_verified.add(key)


def small_enough(path: Path) -> bool:
    """Whether the store file at `path` is checked when opened (see QUICK_CHECK_MAX_BYTES)."""
    try:
        return path.stat().st_size <= QUICK_CHECK_MAX_BYTES
    except OSError:  # (not a file: a server's store)
        return False


def verify_on_open(connection: GuardedConnection, path: Path) -> bool:
    """Run SQLite's quick check on a store small enough for it to be cheap (once per process
    for an unchanged file); raises StoreDamagedError for a damaged one. Whether it was small."""
    try:
        info = path.stat()
    except OSError:
        return False
    if info.st_size > QUICK_CHECK_MAX_BYTES:
        return False
    key = (os.path.realpath(path), info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _verified:
        problems = quick_check(connection)
        if problems and connection.on_unreadable is not None \
                and all(_unreadable_code(problem) for problem in problems):
            raise connection.on_unreadable(describe_damage(problems))  # not damage: unread
        if problems:
            raise connection.on_damage(describe_damage(problems))
        _verified.add(key)
    return True


def quick_check(connection: sqlite3.Connection, *, full: bool = False,
                limit: int = 20) -> list[str]:
    """What SQLite's own check finds wrong with the file ([] when nothing)."""
    pragma = "integrity_check" if full else "quick_check"
    cursor = connection.cursor(sqlite3.Cursor)  # SQLite's own errors, not translated ones
    try:
        rows = [row[0] for row in cursor.execute(f"PRAGMA {pragma}({int(limit)})").fetchall()]
    except sqlite3.OperationalError as error:
        if not is_damage(error):
            raise
        return [str(error)]
    except sqlite3.DatabaseError as error:
        return [str(error)]
    finally:
        cursor.close()
    return [] if rows == ["ok"] else rows
