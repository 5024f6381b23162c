"""A store read from the `eventsourcing` library's SQLite file: the same EventStore, read-only.

Why a reader and not a converter: a user points the explorer at the file their application is
writing, and wants to see it as it is now and as it grows, without a copy going stale or the
file being touched. So the store opens a private in-memory database, attaches the library's file
read-only (the same URI choice as any read-only store: it leaves no `-wal`/`-shm` behind and the
file byte-identical), and shows its tables under our tables' names (see `views`). Every reader,
filter, the timeline and time travel then run unchanged. Writes raise ReadOnlyStoreError, and an
authorizer refuses any statement that would change the attached file, whatever asks for it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from explorer.store import sqlite as sqlite_backend
from explorer.store.damage import damaged
from explorer.store.event_store import EventStore
from explorer.store.foreign import views
from explorer.store.foreign.layout import LibraryLayout, describe
from explorer.store.foreign.records import attach_read_only, log_end_beside, refuse_changes
from explorer.store.foreign.transcoding import (
    StateReader,
    event_type_of,
    load_cipher,
    stream_id_of,
    stream_type_of,
)
from explorer.store.upcasting import EventRegistry

FORMAT = "eventsourcing"
READ_ONLY_REASON = "an eventsourcing library store, which Event Explorer only reads"
@dataclass(frozen=True, slots=True)
class _Derived:
    """What one connection derived from a log (its stream index up to notification id `upto`,
    its event topics up to `topics_upto`): where the next connection of this process starts."""

    upto: int
    streams: list[tuple[Any, ...]]
    last_event: tuple[Any, ...] | None
    """The originator id and version of the event at `upto`: the log still holds it, or it is
    another file (an inode is reused once a file is deleted)."""
    topics_upto: int = 0
    topics: list[tuple[Any, ...]] = field(default_factory=list)


_derived: dict[tuple[Any, ...], _Derived] = {}
_derived_lock = threading.Lock()
"""By file (device, inode) and log table. The window's workers each open their own store on
the same file; the first one's scans serve the others, who catch up from there. The library's
log is append-only: one that no longer holds the event at `upto` is not the one scanned, and
is scanned anew."""


_cipher_keys: dict[Path, str] = {}
"""The keys given for files, in this process's memory only (never written anywhere): the
window's workers open their own stores on the file the user gave a key for."""


def remember_cipher_key(path: Path, key: str) -> None:
    """Open the library's file at `path` with `key` from now on, in this process."""
    with _derived_lock:
        _cipher_keys[path.resolve()] = key


class LibraryStore(EventStore):
    """An `eventsourcing` application's SQLite file, shown through the EventStore interface."""

    format = FORMAT

    def __init__(self, engine: sa.Engine, *, location: str, registry: EventRegistry | None,
                 layout: LibraryLayout) -> None:
        super().__init__(engine, location=location, read_only=True, registry=registry,
                         read_only_reason=READ_ONLY_REASON)
        self.layout = layout
        self.cipher_key: str | None = None
        self._releases: list[Callable[[], None]] = []
        """The key given to open it with (never written anywhere): an application adapter
        reading the file with the application's own code decrypts with it too."""
        self._indexed = 0
        self._topics_indexed = 0
        self._last_rowid = views.last_rowid_statement(layout)
        self._index_whole = views.index_statement(layout, whole=True)
        self._index_since = views.index_statement(layout, whole=False)
        self._topics = views.topics_statement(layout)
        self._event_key_at = (f'SELECT originator_id, originator_version FROM {views.LIBRARY}.'
                              f'"{layout.events_table}" WHERE rowid = ?')
        self._shared_key = self._share_key(location, layout)

    def _share_key(self, location: str, layout: LibraryLayout) -> tuple[Any, ...]:
        """What the derived stream index is shared by, in this process: the file (device,
        inode) and its log table."""
        stat = Path(location).stat()
        return (stat.st_dev, stat.st_ino, layout.events_table)

    @classmethod
    def open_library(cls, path: Path, layout: LibraryLayout, *,
                     registry: EventRegistry | None = None,
                     cipher_key: str | None = None) -> LibraryStore:
        """Open the library's file at `path` (its tables as `layout` names them), read-only.
        Encrypted states are decrypted with `cipher_key` (else the key an earlier store of this
        process was given for the file, else the library's CIPHER_KEY variable); without a key
        they show as encrypted."""
        if cipher_key:
            remember_cipher_key(path, cipher_key)
        else:
            with _derived_lock:
                cipher_key = _cipher_keys.get(path.resolve())
        reader = StateReader(load_cipher(cipher_key))
        releases: list[Callable[[], None]] = []

        def configure(connection: sqlite3.Connection) -> None:
            releases.append(attach_read_only(connection, path))
            connection.execute("PRAGMA temp_store = MEMORY")
            connection.execute("PRAGMA cache_size = -32000")
            register_functions(connection, reader)
            for statement in views.create_statements(layout):
                connection.execute(statement)
            connection.executemany("INSERT INTO temp.store_meta VALUES (?, ?)", [
                ("schema", "eventsourcing-library"),
                ("format", "a store of the Python eventsourcing library (read-only)"),
                ("tables", describe(layout)),
            ])
            connection.set_authorizer(refuse_changes)

        engine = sqlite_backend.guarded_engine(
            "file::memory:", on_damage=lambda detail: damaged(str(path), detail),
            configure=configure)
        store = cls(engine, location=str(path), registry=registry, layout=layout)
        store.cipher_key = cipher_key
        store._releases = releases
        try:
            store._catch_up()
        except BaseException:
            store.close()
            raise
        return store

    # -- following the file as the application writes it ------------------------------------

    def _catch_up(self) -> int:
        """Index the streams of events appended since the last look; the last position."""
        db = self._db
        last = db.execute(self._last_rowid).fetchone()[0] or 0
        if not self._indexed and last:
            self._start_from_shared(last)
        if last > self._indexed:
            whole = not self._indexed
            own = not db.in_transaction
            if own:
                db.execute("BEGIN")
            try:
                if whole and own:  # the end of the log this transaction sees: all it scans
                    last = db.execute(self._last_rowid).fetchone()[0] or 0
                db.execute(self._index_since if self._indexed else self._index_whole,
                           {"after": self._indexed, "upto": last})
                db.execute("UPDATE temp.index_mark SET last = ?", (last,))
                if own:
                    db.execute("COMMIT")
            except BaseException:
                if own:
                    db.execute("ROLLBACK")
                raise
            self._indexed = last
            if whole:
                with _derived_lock:
                    _derived[self._shared_key] = _Derived(
                        last, db.execute(views.STREAM_ROWS).fetchall(), self._event_key(last))
        return self._indexed

    def _start_from_shared(self, last: int) -> None:
        with _derived_lock:
            derived = _derived.get(self._shared_key)
        if derived is None or derived.upto > last or \
                self._event_key(derived.upto) != derived.last_event:
            return
        db = self._db
        db.execute("BEGIN")
        try:
            db.executemany(views.INSERT_STREAM_ROWS, derived.streams)
            db.executemany(views.INSERT_TOPIC_ROWS, derived.topics)
            db.execute("UPDATE temp.index_mark SET last = ?", (derived.upto,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._indexed, self._topics_indexed = derived.upto, derived.topics_upto

    def _event_key(self, position: int) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._db.execute(self._event_key_at, (position,)).fetchone()
        return row

    def close(self) -> None:
        super().close()
        for release in self._releases:
            release()
        self._releases.clear()

    def last_position(self) -> int:
        return self._catch_up()

    def data_version(self) -> int:
        """Changes whenever the application commits to its file."""
        version: int = self._db.execute(
            f"PRAGMA {views.LIBRARY}.data_version").fetchone()[0]
        return version

    def event_types(self) -> list[str]:
        """The distinct event types, from the topics seen (one scan of the events not yet seen:
        the library's log has no index on its topics)."""
        last = self._catch_up()
        if last > self._topics_indexed:
            self._db.execute(self._topics, {"after": self._topics_indexed, "upto": last})
            self._topics_indexed = last
            with _derived_lock:
                derived = _derived.get(self._shared_key)
                if derived is not None and derived.upto <= last:
                    _derived[self._shared_key] = replace(
                        derived, topics_upto=last,
                        topics=self._db.execute(views.TOPIC_ROWS).fetchall())
        return [name for (name,) in self._db.execute(
            "SELECT DISTINCT event_type FROM temp.event_topics ORDER BY event_type")]

    def event_count(self) -> int:
        """From the stream index (each stream's count of events), not a count of the log."""
        self._catch_up()
        count: int = self._db.execute("SELECT total(events) FROM temp.streams").fetchone()[0]
        return int(count)

    def sqlite_problems(self, limit: int = 20) -> list[str]:
        rows = self._db.execute(f"PRAGMA {views.LIBRARY}.quick_check({int(limit)})").fetchall()
        return [] if rows == [("ok",)] else [row[0] for row in rows]

    # -- what the library keeps besides events -------------------------------------------------

    def followers(self, leader_last: int | None = None) -> list[dict[str, Any]]:
        """The applications this file's application follows (its `tracking` rows: the library
        keeps them with the follower): each one's name and the notification id of its log
        processed up to. SQLite keeps one application a file, so the followed log is in another
        file: the one `leader_last` gives the end of, else the library's file named after the
        application beside this one (`bank.db` for Bank, as the library's runners are set up);
        each says how many events it is behind ("lag") and which file it read that from
        ("log"), else both are None. The library's own marker rows are left out."""
        found = []
        for name, position in self._db.execute(
                "SELECT name, position FROM process_checkpoints "
                "WHERE name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name").fetchall():
            log: str | None = None
            last = leader_last
            if last is None:
                beside = log_end_beside(Path(self.location), name)
                if beside is not None:
                    log, last = beside[0].name, beside[1]
            found.append({"name": name, "position": position, "log": log,
                          "lag": None if last is None else max(0, last - position)})
        return found

    def describe(self) -> dict[str, Any]:
        """What the file is, for `info` and the window: the tables read, how states are stored."""
        return {"format": FORMAT, "tables": describe(self.layout),
                "other_logs": list(self.layout.other_logs),
                "read_only": READ_ONLY_REASON}


def register_functions(connection: sqlite3.Connection, reader: StateReader) -> None:
    """The `es_*` SQL functions the views compute their columns with."""
    functions: list[tuple[str, int, Any]] = [
        ("es_stream_id", 1, stream_id_of),
        ("es_stream_type", 1, stream_type_of),
        ("es_event_type", 1, event_type_of),
        ("es_timestamp", 1, reader.timestamp_us),
        ("es_data", 1, reader.data_json),
        ("es_snapshot", 1, reader.snapshot_json),
        ("es_metadata", 2, reader.metadata_json),
    ]
    for name, arguments, function in functions:
        connection.create_function(name, arguments, function, deterministic=True)

