"""The `eventsourcing` library's raw records of one file, selected as its own recorders do.

For an application's own code to rebuild its aggregates from the file (explorer.system's
application adapter gives them to the application's repository in place of its recorders): the
rows as stored (originator id, version, topic, state bytes), never decoded here. The file is
attached read-only to a private in-memory database, as LibraryStore does it (`attach_read_only`
says what is left beside it, when), under the same authorizer, which refuses any change.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from explorer.store import sqlite as sqlite_backend
from explorer.store.foreign.layout import LibraryLayout
from explorer.store.foreign.views import LIBRARY

_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE,
           sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_DROP_TABLE,
           sqlite3.SQLITE_DROP_INDEX, sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_CREATE_TRIGGER,
           sqlite3.SQLITE_CREATE_VIEW, sqlite3.SQLITE_REINDEX, sqlite3.SQLITE_ANALYZE}
_PRAGMAS_WITH_ARGUMENTS = {"cache_size", "quick_check", "integrity_check", "table_info",
                           "table_xinfo", "index_info", "index_list"}
"""Pragmas that may be given a value: this connection's cache, and those that only read."""


def refuse_changes(action: int, first: str | None, second: str | None,
                   database: str | None, _trigger: str | None) -> int:
    """The authorizer: nothing may change the library's file, attach or detach one, or set a
    pragma (a journal mode, say) other than this connection's cache or read with one."""
    if action in _WRITES and database == LIBRARY:
        return sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and second is not None:
        return sqlite3.SQLITE_OK if first in _PRAGMAS_WITH_ARGUMENTS else sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


_ours: Counter[Path] = Counter()
_ours_lock = threading.Lock()
"""Files this process has attached by the query-only read-write URI (see read_only_uri), by
how many connections: their `-wal`/`-shm` are then this process's own, and the next connection
must share them the same way. (By the read-only URI, the last connection to close could not
remove them, and they would be left beside the file.)"""


def attach_read_only(connection: sqlite3.Connection,
                     path: Path) -> tuple[Callable[[], None], bool]:
    """Attach the library's file at `path` to `connection` as `library`, read-only (changes are
    refused by `refuse_changes`): what to call once the connection is closed, and whether the
    file is read without locks (immutable: where no side file can be made, see below), which
    does not see what its application writes meanwhile.

    What is left beside the file: the library keeps it in WAL mode, and SQLite reads such a file
    only through its `-wal` and `-shm` (or as immutable, which is wrong for a file its application
    may write meanwhile: torn pages, missed events). With none there, the file is attached by
    the query-only read-write URI (see `read_only_uri`): SQLite makes them, and removes them when
    the last connection closes (a process killed before that leaves them, empty of data). An
    empty `-wal` found there (such a leftover, or that of an application which has written
    nothing since it opened) is shared the same way, so that the last reader to close removes
    it. Either way, if the application writes meanwhile and closes first, the last reader's
    close copies those writes from the `-wal` into the file, as any last connection does. A
    `-wal` holding the application's writes when attached is shared read-only (O_RDONLY): the
    file is not written from here, and if the application closes first, its `-wal` and `-shm`
    stay, holding its writes, until a writer of the file (its next run) closes it last."""
    key = path.resolve()
    shared = sqlite_backend.sqlite_uri(path, read_only=False)
    with _ours_lock:
        uri = shared if _ours[key] or _empty_log_beside(path) else \
            sqlite_backend.read_only_uri(path, room=sqlite_backend.ROOM_FOR_SIDE_FILES)
        connection.execute("ATTACH DATABASE ? AS " + LIBRARY, (uri,))
        if uri != shared:
            return (lambda: None), uri.endswith("&immutable=1")
        _ours[key] += 1

    def release() -> None:
        with _ours_lock:
            _ours[key] -= 1
            if not _ours[key]:
                del _ours[key]

    return release, False


def _empty_log_beside(path: Path) -> bool:
    """Whether the `-wal` beside `path` is there and empty (nothing in it to copy into the file
    when the last connection closes), and the file, its side files and its folder may be
    written (so that they can be removed)."""
    wal, shm = sqlite_backend.side_file(path, "-wal"), sqlite_backend.side_file(path, "-shm")
    try:
        if wal.stat().st_size:
            return False
    except OSError:
        return False
    return all(os.access(p, os.W_OK) for p in (path, wal, path.parent)) and \
        os.access(path.parent, os.X_OK) and (not shm.exists() or os.access(shm, os.W_OK))


class LibraryRecords:
    """One file's stored events and snapshots, as the library's SQLite recorders select them.
    Safe to use from several threads (one connection, one at a time)."""

    def __init__(self, path: Path, layout: LibraryLayout, *, own_copy: bool = False) -> None:
        """The records of the library's file at `path`; with `own_copy`, of the explorer's own
        copy of them at `path` (a server's log mirrored in the cache folder: see
        postgres_library), read as it is kept, in WAL mode beside its writer."""
        self.path = path
        self.layout = layout
        self._db = sqlite3.connect("file::memory:", uri=True, isolation_level=None,
                                   check_same_thread=False,
                                   timeout=sqlite_backend.BUSY_TIMEOUT_S)
        if own_copy:
            self._db.execute("ATTACH DATABASE ? AS " + LIBRARY,
                             (sqlite_backend.sqlite_uri(path, read_only=False),))
            self._release: Callable[[], None] = lambda: None
        else:
            self._release, _ = attach_read_only(self._db, path)
        self._db.set_authorizer(refuse_changes)
        self._lock = threading.Lock()

    def select(self, originator_id: str, *, snapshots: bool = False, gt: int | None = None,
               lte: int | None = None, desc: bool = False, limit: int | None = None,
               ) -> list[tuple[Any, ...]]:
        """(originator id, version, topic, state) of one originator's records in version order
        (`desc`: newest first), after version `gt`, up to `lte`, at most `limit`: the
        arguments of the library's `select_events`. `snapshots` reads its snapshots table
        (none when the file has none)."""
        table = self.layout.snapshots_table if snapshots else self.layout.events_table
        if table is None:
            return []
        sql = [f'SELECT originator_id, originator_version, topic, state FROM {LIBRARY}."{table}"'
               " WHERE originator_id = ?"]
        params: list[Any] = [originator_id]
        if gt is not None:
            sql.append("AND originator_version > ?")
            params.append(gt)
        if lte is not None:
            sql.append("AND originator_version <= ?")
            params.append(lte)
        sql.append("ORDER BY originator_version " + ("DESC" if desc else "ASC"))
        if limit is not None:
            sql.append("LIMIT ?")
            params.append(limit)
        with self._lock:
            return self._db.execute(" ".join(sql), params).fetchall()

    def log_end(self) -> int:
        """The last notification id of the file's application log (0 when it is empty)."""
        with self._lock:
            last = self._db.execute(
                f'SELECT max(rowid) FROM {LIBRARY}."{self.layout.events_table}"').fetchone()[0]
        return int(last or 0)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._release()
        self._release = lambda: None


LOG_SUFFIXES = (".db", ".sqlite", ".sqlite3", "")


def log_end_beside(path: Path, application: str) -> tuple[Path, int] | None:
    """The library's file of the application named `application` beside `path` (its name in
    lower case with a usual suffix), and its log's last notification id; None when there is
    none (or it cannot be read)."""
    for suffix in LOG_SUFFIXES:
        candidate = path.with_name(application.lower() + suffix)
        if candidate == path or not candidate.is_file():
            continue
        try:
            layout = sqlite_backend.inspect(candidate).library
        except Exception:  # noqa: BLE001 - another file, whatever it is: not the log
            continue
        if layout is None:
            continue
        records = LibraryRecords(candidate, layout)
        try:
            return candidate, records.log_end()
        finally:
            records.close()
    return None
