"""A store read from the `eventsourcing` library's SQLite file: the same EventStore, read-only.

Why a reader and not a converter: a user points the explorer at the file their application is
writing, and wants to see it as it is now and as it grows, without a copy going stale or the
file being touched. So the store opens a private in-memory database, attaches the library's file
read-only (records.attach_read_only: a read of a file no one else has open leaves the folder as
it was; what stays beside it while its application has it open is said there), and shows its
tables under our tables' names (see `views`). Every reader, filter, the timeline and time
travel then run unchanged. Writes raise ReadOnlyStoreError, and an authorizer refuses any
statement that would change the attached file, whatever asks for it.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from explorer.store import sqlite as sqlite_backend
from explorer.store.damage import damaged, note_interrupted
from explorer.store.errors import LIBRARY_SCHEMA, StoreError, StreamNotFoundError
from explorer.store.event_store import EventStore
from explorer.store.foreign import views
from explorer.store.foreign.layout import LibraryLayout, describe
from explorer.store.foreign.records import (
    LibraryRecords,
    attach_read_only,
    log_end_beside,
    refuse_changes,
)
from explorer.store.foreign.transcoding import (
    ENCRYPTED,
    UNREADABLE,
    StateReader,
    event_type_of,
    load_cipher,
    stream_id_of,
    stream_type_of,
)
from explorer.store.maintenance import READ_PAGE_SIZE
from explorer.store.postgres_url import is_server_url
from explorer.store.query import EventQuery
from explorer.store.records import RecordedEvent
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


_index_locks: dict[tuple[Any, ...], threading.Lock] = {}

_cipher_keys: dict[str, str] = {}
"""The keys given for files and servers' schemas, in this process's memory only (never written
anywhere): the window's workers open their own stores on the store the user gave a key for."""


def remember_cipher_key(target: str | Path, key: str) -> None:
    """Open the library's store at `target` (a file's path, a server's URL) with `key` from now
    on, in this process."""
    with _derived_lock:
        _cipher_keys[_keyed_location(target)] = key


_decrypting: set[str] = set()
"""The stores this process reads decrypted (see `decrypts_here`)."""


def note_decrypting(target: str | Path) -> None:
    """Note that this process reads the library's store at `target` decrypted."""
    with _derived_lock:
        _decrypting.add(_keyed_location(target))


def decrypts_here(target: str | Path) -> bool:
    """Whether this process reads the library's store at `target` (a file's path, a server's
    URL) decrypted. What is derived from its events (the words of a search index) then belongs
    to this process alone: written where others look (the cache folder), it would give away
    what the store keeps encrypted, and hide the events from a reader with the key (a search
    without the key indexes no word of them)."""
    with _derived_lock:
        return _keyed_location(target) in _decrypting


def cipher_key_for(target: str | Path, given: str | None) -> str | None:
    """The key to open the store at `target` with: `given` (then remembered), else the one an
    earlier store of this process was given for it."""
    if given:
        remember_cipher_key(target, given)
        return given
    with _derived_lock:
        return _cipher_keys.get(_keyed_location(target))


def _keyed_location(target: str | Path) -> str:
    """A server's location as its stores name it (without password), a file's real path."""
    if is_server_url(target):
        from explorer.store.postgres_location import ServerLocation  # (psycopg: servers only)

        try:
            return ServerLocation.parse(target).display
        except StoreError:  # (a URL that cannot be opened: its store never asks)
            return target
    return str(Path(target).expanduser().resolve())


def is_library_file(path: Path) -> bool:
    """Whether the file at `path` is one of the `eventsourcing` library's (its tables found),
    found without opening it as a store; False for anything else, readable or not."""
    if not path.is_file():
        return False
    try:
        return sqlite_backend.inspect(path).library is not None
    except StoreError:  # not SQLite, damaged, unreadable: not one to say so of
        return False


class LibraryStore(EventStore):
    """An `eventsourcing` application's SQLite file, shown through the EventStore interface."""

    format = FORMAT
    library = True
    pages_checked = True
    """Whether `sqlite_problems` checks the pages the records are kept in (a server's are its
    own)."""

    def __init__(self, engine: sa.Engine, *, location: str, registry: EventRegistry | None,
                 layout: LibraryLayout) -> None:
        super().__init__(engine, location=location, read_only=True, registry=registry,
                         read_only_reason=READ_ONLY_REASON)
        self.layout = layout
        self.cipher_key: str | None = None
        self._releases: list[Callable[[], None]] = []
        """The key given to open it with (never written anywhere): an application adapter
        reading the file with the application's own code decrypts with it too."""
        self._index_built = False
        self._indexed = 0
        """The last notification id whose stream is indexed."""
        self._shown = 0
        """The last notification id `events` shows (`index_mark`)."""
        self._topics_indexed = 0
        self._last_rowid = views.last_rowid_statement(layout)
        self._index_whole = views.index_statement(layout, whole=True)
        self._index_since = views.index_statement(layout, whole=False)
        self._topics = views.topics_statement(layout)
        self._index_one = views.index_one_statement(layout)
        self._listed: set[str] = set()
        """The streams listed for reading one (see `_stream_listed`); empty outside."""
        self._count_log = f'SELECT count(*) FROM {views.LIBRARY}."{layout.events_table}"'
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
        cipher_key = cipher_key_for(path, cipher_key)
        reader = StateReader(load_cipher(cipher_key))
        if reader.cipher is not None:
            note_decrypting(path)
        releases: list[Callable[[], None]] = []
        unlocked: list[bool] = []

        def configure(connection: sqlite3.Connection) -> None:
            release, immutable = attach_read_only(connection, path)
            releases.append(release)
            unlocked.append(immutable)
            connection.execute("PRAGMA temp_store = MEMORY")
            connection.execute("PRAGMA cache_size = -32000")
            register_functions(connection, reader)
            for statement in views.create_statements(layout):
                connection.execute(statement)
            connection.executemany("INSERT INTO temp.store_meta VALUES (?, ?)", [
                ("schema", LIBRARY_SCHEMA),
                ("format", "a store of the Python eventsourcing library (read-only)"),
                ("tables", describe(layout)),
            ])
            connection.set_authorizer(refuse_changes)

        engine = sqlite_backend.guarded_engine(
            "file::memory:", on_damage=lambda detail: damaged(str(path), detail, library=True),
            configure=configure)
        store = cls(engine, location=str(path), registry=registry, layout=layout)
        store.sees_other_writers = not any(unlocked)
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
        """Show the events appended since the last look (indexing their streams, once the
        index is built); the last position shown."""
        db = self._db
        last = db.execute(self._last_rowid).fetchone()[0] or 0
        if not self._index_built:
            if last > self._shown:
                db.execute("UPDATE temp.index_mark SET last = ?", (last,))
                self._shown = last
            return self._shown
        if last > self._shown:
            self._index_rows(whole=False, last=last)
        return self._shown

    def why_not_decrypted(self) -> str | None:
        """Why the events, encrypted, cannot be read ("no key was given", "the key given does
        not decrypt them"); None if they can be, or are not encrypted. Its first event says: an
        application encrypts all its events or none. A wrong key fails to decrypt (AES-GCM) or
        turns a state into bytes that are no JSON (a cipher without a check)."""
        first = self.read_page(0, 1)
        how = first[0].metadata.get("stored_as") if first else None
        if how == ENCRYPTED:
            return "no key was given"
        if isinstance(how, str) and (how.startswith(ENCRYPTED + " (") or (
                how == UNREADABLE and decrypts_here(self.location))):
            return "the key given does not decrypt them"
        return None

    def streams_indexed(self) -> bool:
        return self._index_built

    def index_streams(self) -> None:
        """Build the stream index, unless built: from the one another store of this process
        built on the file (catching up from there), else by one grouped scan of the log, which
        the other stores then start from. Two stores asking at once scan the log once: the
        second waits for the first's index."""
        if self._index_built:
            return
        self._db.execute("DELETE FROM temp.streams")  # rows listed to read one stream
        with _index_lock(self._shared_key):
            last = self._db.execute(self._last_rowid).fetchone()[0] or 0
            adopted = bool(last) and self._start_from_shared(last)
            if last and not adopted:
                self._index_rows(whole=True, last=last)
        if self._indexed < last:  # another store's index, up to where it was built
            self._index_rows(whole=False, last=last)
        for statement in views.indexed_events_view(self.layout):
            self._db.execute(statement)
        self._index_built = True

    def _index_rows(self, *, whole: bool, last: int) -> None:
        """Index the streams of the events after the last indexed up to `last` (the `whole`
        log: up to its end as the scan's own transaction sees it, then shared with this
        process's other stores of the file)."""
        db = self._db
        with self._own_transaction() as own:
            if whole and own:  # the end of the log this transaction sees: all it scans
                last = db.execute(self._last_rowid).fetchone()[0] or 0
            try:
                db.execute(self._index_whole if whole else self._index_since,
                           {"after": self._indexed, "upto": last})
            except sqlite3.IntegrityError:  # a stream without id or version: not the library's
                raise self._keyless_row() from None
            db.execute("UPDATE temp.index_mark SET last = ?", (last,))
        self._indexed = self._shown = last
        if whole:
            with _derived_lock:
                _derived[self._shared_key] = _Derived(
                    last, db.execute(views.STREAM_ROWS).fetchall(), self._event_key(last),
                    self._topics_indexed, db.execute(views.TOPIC_ROWS).fetchall())

    def _keyless_row(self) -> Exception:
        """The damage of a row of the log without its originator id or version, which the
        library always writes (its key) but SQLite's tables accept."""
        row = self._db.execute(
            f'SELECT rowid FROM {views.LIBRARY}."{self.layout.events_table}" '
            "WHERE originator_id IS NULL OR originator_version IS NULL "
            "ORDER BY rowid LIMIT 1").fetchone()
        where = f"at notification id {row[0]} " if row else ""
        return damaged(self.location, f"the row {where}of the log {self.layout.events_table} "
                                      "has no originator id or version")

    def _start_from_shared(self, last: int) -> bool:
        """Take the stream index (and topics) another store of this process derived from the
        file, if it is this file's and not ahead of `last`; whether it was taken."""
        with _derived_lock:
            derived = _derived.get(self._shared_key)
        if derived is None or derived.upto > last or \
                self._event_key(derived.upto) != derived.last_event:
            return False
        db = self._db
        with self._own_transaction():
            db.executemany(views.INSERT_STREAM_ROWS, derived.streams)
            if derived.topics_upto > self._topics_indexed:
                db.executemany(views.INSERT_TOPIC_ROWS, derived.topics)
        self._indexed = derived.upto
        self._topics_indexed = max(self._topics_indexed, derived.topics_upto)
        return True

    @contextmanager
    def _own_transaction(self) -> Iterator[bool]:
        """A transaction of its own around what runs inside, unless one is open already (a
        reader's snapshot): whether it is its own. Undone if what runs inside raises."""
        db = self._db
        own = not db.in_transaction
        if own:
            db.execute("BEGIN")
        try:
            yield own
        except BaseException:
            if own:
                db.execute("ROLLBACK")
            raise
        if own:
            db.execute("COMMIT")

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

    def open_records(self) -> LibraryRecords | None:
        """The library's raw records behind this store, for the application's own code to
        rebuild its aggregates from (explorer.system's application adapter), on a connection of
        their own; the caller closes them. None where they cannot be shared."""
        return LibraryRecords(Path(self.location), self.layout)

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

    def read_all(self, from_position: int = 1, to_position: int | None = None, *,
                 page_size: int = READ_PAGE_SIZE) -> Iterator[RecordedEvent]:
        """As the store's own; a read of more than a few pages builds the stream index first
        (the log joined to it reads about twice as fast as the log alone, each row's stream
        computed), a page of the event list does not."""
        end = self._shown if to_position is None else to_position
        if end - from_position >= LONG_READ:
            self.index_streams()
        return super().read_all(from_position, to_position, page_size=page_size)

    def positions(self, query: EventQuery, *, after_position: int = 0) -> array[int]:
        """As the store's own; a query of stream types builds the stream index first, one of a
        stream reads that stream through the log's key (not the whole log, each row's stream
        computed)."""
        if query.stream_types:
            self.index_streams()
        if query.stream_id is None or self._index_built:
            return super().positions(query, after_position=after_position)
        with self._stream_listed(query.stream_id):
            return super().positions(query, after_position=after_position)

    @contextmanager
    def _stream_listed(self, stream_id: str) -> Iterator[None]:
        """Before the stream index is built: while a stream is read, its row (derived through
        the log's key: one stream's entries) is the index, and `events` is joined to it, so
        the store's statements of one stream read it as they do once the index is built.
        Reads within a stream's read may list more streams; the log alone is shown again
        after the outermost."""
        db = self._db
        outermost = not self._listed
        if outermost:
            self._catch_up()
            db.execute("DELETE FROM temp.streams")
        if stream_id not in self._listed:
            db.execute(self._index_one, {**views.stored_ids(stream_id), "upto": self._shown})
            self._listed.add(stream_id)
        if outermost:
            for statement in views.indexed_events_view(self.layout):
                db.execute(statement)
        try:
            yield
        finally:
            if outermost:
                self._listed.clear()
                if not self._index_built:
                    db.execute("DROP VIEW temp.events")
                    db.execute(views.unindexed_events_view(self.layout))

    def event_count(self) -> int:
        """From the stream index (each stream's count of events) once it is built; before, the
        log's rows as SQLite counts them (the entries of its key's index, read without
        decoding any: ~30 ms a million), in one transaction with the log's end shown."""
        if self._index_built:
            self._catch_up()
            total = self._db.execute("SELECT total(events) FROM temp.streams").fetchone()[0]
            return int(total)
        with self._own_transaction():
            self._catch_up()
            count: int = self._db.execute(self._count_log).fetchone()[0]
        return count

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


LONG_READ = 10_000
"""Events read at once beyond which the stream index is built first (see `read_all`)."""

NEEDS_STREAM_INDEX = (
    "iter_query", "list_streams", "count_streams", "stream_types", "activity_by_type",
    "active_streams", "count_active_streams", "branch")
"""The store's methods that read the whole stream index (the listings, and every match of a
query, a branch: long reads of the log, faster joined to it): each builds it first
(`index_streams`). The others
read the log by notification id and so need no index; a filter on streams is answered before
it is built too (by reading the whole log)."""


ONE_STREAM = (
    "stream_info", "stream_head", "read_stream", "replay_rows", "replay_rows_positioned",
    "replay_after_snapshot", "latest_snapshot", "step_in_stream", "stream_version_at",
    "stream_marks")
"""The store's methods that read one stream (the first argument): before the index is built,
each reads it through the log's key (`_stream_listed`)."""


def _one_stream_first(name: str) -> Callable[..., Any]:
    method: Callable[..., Any] = getattr(EventStore, name)

    @functools.wraps(method)
    def one_stream_first(store: LibraryStore, stream_id: str, *args: Any, **kwargs: Any
                         ) -> Any:
        try:
            if store.streams_indexed():
                return method(store, stream_id, *args, **kwargs)
            with store._stream_listed(stream_id):
                return method(store, stream_id, *args, **kwargs)
        except StreamNotFoundError as error:
            shown = stream_id_of(stream_id)  # (a UUID as the file holds it: 32 hex digits)
            if shown == stream_id or str(error).startswith("Stream "):  # (or "not yet")
                raise
            error.args = (f"No stream named '{stream_id}' is in this store: its id is shown as "
                          f"{shown} here (a UUID, which the file holds as 32 hex digits); give "
                          "that.",)
            raise
    return one_stream_first


def _indexed_first(name: str) -> Callable[..., Any]:
    method: Callable[..., Any] = getattr(EventStore, name)

    @functools.wraps(method)
    def indexed_first(store: LibraryStore, *args: Any, **kwargs: Any) -> Any:
        store.index_streams()
        return method(store, *args, **kwargs)
    return indexed_first


for _name in NEEDS_STREAM_INDEX:
    setattr(LibraryStore, _name, _indexed_first(_name))
for _name in ONE_STREAM:
    setattr(LibraryStore, _name, _one_stream_first(_name))


def _index_lock(key: tuple[Any, ...]) -> threading.Lock:
    """The lock a store holds while it builds or takes the index of the log `key` names."""
    with _derived_lock:
        return _index_locks.setdefault(key, threading.Lock())


def register_functions(connection: sqlite3.Connection, reader: StateReader) -> None:
    """The `es_*` SQL functions the views compute their columns with (see views)."""
    unreadable = orjson.dumps({"_stored_": UNREADABLE}).decode()
    functions: list[tuple[str, int, Any]] = [
        ("es_stream_id", 1, _interruptible(stream_id_of)),
        ("es_stream_type", 1, _interruptible(stream_type_of)),
        ("es_event_type", 1, _interruptible(event_type_of)),
        ("es_timestamp", 1, _never_failing(reader.timestamp_us, 0)),
        ("es_data", 1, _never_failing(reader.data_json, unreadable)),
        ("es_snapshot", 1, _never_failing(reader.snapshot_json, unreadable)),
        ("es_metadata", 2, _never_failing(
            reader.metadata_json, orjson.dumps({"stored_as": UNREADABLE}).decode())),
    ]
    for name, arguments, function in functions:
        connection.create_function(name, arguments, function, deterministic=True)



def _never_failing(read: Callable[..., Any], fallback: Any) -> Callable[..., Any]:
    """A reader of states that gives `fallback` for a state it fails on (one nested deeper than
    JSON's tools go, say): an unreadable event, not a failed read (the failure of a function
    registered on the connection is taken for a text that is not UTF-8: damage.FUNCTION_FAILED)."""
    def never_failing(*args: Any) -> Any:
        try:
            return read(*args)
        except KeyboardInterrupt:  # (Ctrl-C: not the state's failure)
            note_interrupted()
            raise
        except Exception:  # noqa: BLE001 - any state: the event says it cannot be read
            return fallback
    return never_failing


def _interruptible(read: Callable[..., Any]) -> Callable[..., Any]:
    """A reader of ids or topics that notes Ctrl-C in it (`note_interrupted`), which sqlite3
    says as it says their failure on a text that is not UTF-8 (damage.FUNCTION_FAILED)."""
    def interruptible(*args: Any) -> Any:
        try:
            return read(*args)
        except KeyboardInterrupt:
            note_interrupted()
            raise
    return interruptible
