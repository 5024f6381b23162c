"""A store read from the `eventsourcing` library's PostgreSQL tables: the same EventStore,
read-only, as LibraryStore reads its SQLite files.

`EventStore.open("postgresql://...?schema=NAME")` on a schema holding no store of ours but the
library's tables (found by their columns, as `layout` finds them in a file: the application log
is the table of originator_id, originator_version, topic, state and notification_id, named
`stored_events` or after the application, `bank_events` say; its snapshots table beside it)
opens one of these.

How it reads: the server is only ever read, on a connection whose every transaction is
read-only (a role that may only SELECT opens it). The rows are copied, as stored, into a
private SQLite file in the user's cache folder (its mirror, one a server, database, schema and
log table), attached as the `library` schema LibraryStore's views read (the same table shape as
the library's SQLite log: the rowid is the notification id), so every reader, filter, the
timeline and time travel run unchanged, the states decoded by `transcoding` as a file's are.
Each look at the log's end copies the rows after the last one copied; an open copies only the
rows after those the mirror holds from before (100,000 events, a process an open, on a loaded
2-core machine: 3.9-4.3 s when each open copied the whole log, 0.84-0.93 s once the mirror
holds them, most of it the stream index made). A mirror whose last row is not the
server's row of that notification id (the tables made again, another server behind the URL) is
emptied and copied again whole.

How it follows: the library's recorder NOTIFYs the channel named after its log table
(`bank_events`) in each insert's transaction, so the store LISTENs there and asks the server
for the log's end only when something was heard (where it cannot listen it asks each look).

Why no event is missed: the library's recorder inserts under `LOCK TABLE ... IN EXCLUSIVE
MODE`, taking its notification ids from the table's sequence inside that lock, so its commits
make ids visible in order; an id left behind by a rolled-back insert is a gap that never fills.
So the rows after the last id copied are all that can appear.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import platformdirs
import psycopg
import sqlalchemy as sa

from explorer.common.private_files import open_private
from explorer.store import sqlite as sqlite_backend
from explorer.store.damage import damaged
from explorer.store.errors import LIBRARY_SCHEMA, StoreOpenError
from explorer.store.foreign import views
from explorer.store.foreign.layout import LibraryLayout, describe
from explorer.store.foreign.library_store import (
    FORMAT,
    LibraryStore,
    cipher_key_for,
    note_decrypting,
    register_functions,
)
from explorer.store.foreign.records import LibraryRecords
from explorer.store.foreign.transcoding import StateReader, load_cipher
from explorer.store.postgres_location import RECONNECT_FIRST_S, RECONNECT_MOST_S, ServerLocation
from explorer.store.upcasting import EventRegistry

READ_ONLY_REASON = ("an eventsourcing library store on a PostgreSQL server, which Event Explorer "
                    "only reads")
KEY_INDEX = "library_key"
COPY_BATCH = 10_000

_TABLES = """SELECT table_name, array_agg(column_name::text ORDER BY column_name)
    FROM information_schema.columns WHERE table_schema = %s GROUP BY table_name"""
_LOG_COLUMNS = sorted(("originator_id", "originator_version", "topic", "state", "notification_id"))
_RECORD_COLUMNS = sorted(("originator_id", "originator_version", "topic", "state"))
_TRACKING_COLUMNS = sorted(("application_name", "notification_id"))
_FOLLOWED = """SELECT application_name, max(notification_id) FROM "{schema}"."{table}"
    WHERE application_name NOT LIKE '\\_\\_%%' ESCAPE '\\'
    GROUP BY application_name ORDER BY application_name"""
"""Each application the log's own application follows, and how far: its tracking rows (the
library's `__migration__` marker rows left out; several rows a leader in its older layout)."""


def find_layout(connection: psycopg.Connection[Any], schema: str) -> LibraryLayout | None:
    """The library's application log (and its snapshots) in `schema`, or None when it holds
    none."""
    logs, records = [], []
    for table, columns in connection.execute(_TABLES, (schema,)).fetchall():
        if sorted(columns) == _LOG_COLUMNS:
            logs.append(table)
        elif sorted(columns) == _RECORD_COLUMNS:
            records.append(table)
    if not logs:
        return None
    events = "stored_events" if "stored_events" in logs else sorted(logs)[0]
    head, _, tail = events.rpartition("events")
    snapshots = next((name for name in (f"{head}snapshots{tail}", "stored_snapshots")
                      if name in records), None)
    return LibraryLayout(events, snapshots, None, tuple(t for t in logs if t != events),
                         KEY_INDEX)


def find_tracking(connection: psycopg.Connection[Any], schema: str, events_table: str
                  ) -> str | None:
    """The tracking table of the application whose log is `events_table` in `schema` (the
    library names it after the application as it names the log: bank_events, bank_tracking;
    notification_tracking beside stored_events), or None when it follows no application."""
    head = events_table.removesuffix("events")
    wanted = "notification_tracking" if events_table == "stored_events" else f"{head}tracking"
    for table, columns in connection.execute(_TABLES, (schema,)).fetchall():
        if table == wanted and sorted(columns) == _TRACKING_COLUMNS:
            return str(table)
    return None


def leader_log(layout: LibraryLayout, name: str) -> str | None:
    """The log of the application called `name` among the schema's other logs (the library's
    PostgreSQL recorder names it after the application, in lower case: Bank's is bank_events),
    or None when it is elsewhere."""
    table = f"{name.lower()}_events"
    return table if table in layout.other_logs else None


def mirror_path(server: ServerLocation, layout: LibraryLayout) -> Path:
    """The private file in the user's cache folder that mirrors the log `layout` names on
    `server` (named by a digest of its URL without a password, and the table)."""
    folder = platformdirs.user_cache_path("event-explorer", appauthor=False) / "library"
    digest = hashlib.sha256(f"{server.display}#{layout.events_table}".encode()).hexdigest()
    return folder / f"server-{digest[:16]}.sqlite"


def _private_file(path: Path) -> str:
    """`path`, made (empty, 0600, in a 0700 folder) if it is not there: SQLite keeps the mode
    of a file it opens. Where the cache folder cannot be written, '' (a private temporary
    file, copied whole each open)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            open_private(path).close()
    except OSError:
        return ""
    return str(path)


def _mirror_statements(layout: LibraryLayout) -> list[str]:
    """The copy's tables, shaped as the library's SQLite recorders make theirs."""
    made = [f'CREATE TABLE IF NOT EXISTS {views.LIBRARY}."{layout.events_table}" '
            "(originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, topic TEXT, "
            "state BLOB)",
            f'CREATE UNIQUE INDEX IF NOT EXISTS {views.LIBRARY}."{KEY_INDEX}" ON '
            f'"{layout.events_table}" (originator_id, originator_version)']
    if layout.snapshots_table:
        made.append(f'CREATE TABLE IF NOT EXISTS {views.LIBRARY}."{layout.snapshots_table}" ('
                    "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
                    "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version)) "
                    "WITHOUT ROWID")
    return made


def _originator(value: Any) -> str:
    """An originator id as the library's SQLite recorder stores it: a UUID as 32 hex digits."""
    hex_form = getattr(value, "hex", None)
    return hex_form if isinstance(hex_form, str) else str(value)


class PostgresLibraryStore(LibraryStore):
    """An `eventsourcing` application's tables on a PostgreSQL server, read-only."""

    pages_checked = False

    def __init__(self, engine: sa.Engine, *, server: ServerLocation,
                 connection: psycopg.Connection[Any], registry: EventRegistry | None,
                 layout: LibraryLayout) -> None:
        self.server = server
        self._source = connection
        self._copied = 0
        self._snapshots_seen = -1
        super().__init__(engine, location=server.display, registry=registry, layout=layout)
        self.read_only_reason = READ_ONLY_REASON
        table = f'"{server.schema}"."{layout.events_table}"'
        self._new_rows = ("SELECT notification_id, originator_id, originator_version, topic, "
                          f"state FROM {table} WHERE notification_id > %s "
                          "ORDER BY notification_id")
        self._log_end = f"SELECT max(notification_id) FROM {table}"
        self._row_key = (f"SELECT originator_id, originator_version FROM {table} "
                         "WHERE notification_id = %s")
        self._heard = 0  # notifications heard on the log's channel
        self._heard_at_end = -1  # as many as had been heard when the log's end was read
        self._end = 0
        self._listening = self._listen(connection)
        self._tracking = find_tracking(connection, server.schema, layout.events_table)
        self._retry_at: float | None = None  # while the connection is lost: when to try again
        self._retry_wait = RECONNECT_FIRST_S
        self._mirror = ""
        """The mirror's file ('' for a private temporary one, which only this store sees)."""

    def _listen(self, connection: psycopg.Connection[Any]) -> bool:
        """Listen on the library's channel (its log table's name: it NOTIFYs as it inserts);
        whether it could (a standby in recovery cannot: each look asks)."""
        try:
            connection.execute(f'LISTEN "{self.layout.events_table}"')
            return True
        except psycopg.Error:
            return False

    @property
    def reconnecting(self) -> bool:
        """Whether the connection to the server was lost and is being made again (as our own
        server store's: followers polling `data_version` make it again, waiting longer
        between tries, up to RECONNECT_MOST_S; meanwhile the rows copied so far are read)."""
        return self._retry_at is not None

    def _lost(self) -> None:
        if self._retry_at is None:
            self._retry_at, self._retry_wait = time.monotonic(), RECONNECT_FIRST_S
        self._reconnect()

    def _reconnect(self) -> bool:
        """Connect again if it is time to try; whether connected."""
        if self._retry_at is None:
            return True
        if time.monotonic() < self._retry_at:
            return False
        try:
            connection = self.server.connect(read_only=True)
        except (psycopg.Error, StoreOpenError):
            self._retry_at = time.monotonic() + self._retry_wait
            self._retry_wait = min(self._retry_wait * 2, RECONNECT_MOST_S)
            return False
        with suppress(psycopg.Error):
            self._source.close()
        self._source = connection
        self._listening = self._listen(connection)
        self._retry_at = None
        self._heard_at_end = -1  # (what came in while it was lost: the log's end read again)
        return True

    def _share_key(self, location: str, layout: LibraryLayout) -> tuple[Any, ...]:
        return (location, layout.events_table)

    @classmethod
    def open_server(cls, server: ServerLocation, connection: psycopg.Connection[Any],
                    layout: LibraryLayout, *, registry: EventRegistry | None = None,
                    cipher_key: str | None = None) -> PostgresLibraryStore:
        """Read the library's tables `layout` names in the schema of `server`, through
        `connection` (read-only; the store closes it). Encrypted states are decrypted with
        `cipher_key` (else the key an earlier store of this process was given for the
        schema, else the library's CIPHER_KEY variable)."""
        cipher_key = cipher_key_for(server.display, cipher_key)
        reader = StateReader(load_cipher(cipher_key))
        if reader.cipher is not None:
            note_decrypting(server.display)
        mirror = _private_file(mirror_path(server, layout))

        def configure(db: sqlite3.Connection) -> None:
            db.execute(f"ATTACH DATABASE ? AS {views.LIBRARY}", (mirror,))
            db.execute(f"PRAGMA {views.LIBRARY}.journal_mode = WAL")  # (several processes)
            db.execute(f"PRAGMA {views.LIBRARY}.synchronous = NORMAL")  # (a cache)
            db.execute("PRAGMA temp_store = MEMORY")
            db.execute("PRAGMA cache_size = -32000")
            for statement in _mirror_statements(layout):
                db.execute(statement)
            register_functions(db, reader)
            for statement in views.create_statements(layout):
                db.execute(statement)
            db.executemany("INSERT INTO temp.store_meta VALUES (?, ?)", [
                ("schema", LIBRARY_SCHEMA),
                ("format", "a PostgreSQL store of the Python eventsourcing library "
                           "(read-only)"),
                ("tables", describe(layout)),
            ])

        engine = sqlite_backend.guarded_engine(
            "file::memory:", on_damage=lambda detail: damaged(server.display, detail),
            configure=configure)
        try:
            store = cls(engine, server=server, connection=connection, registry=registry,
                        layout=layout)
        except BaseException:
            connection.close()
            raise
        store.cipher_key = cipher_key
        store._mirror = mirror
        try:
            store._resume_mirror()
            store._catch_up()
            store.index_streams()  # the whole log is copied on open anyway: index it then
        except BaseException:
            store.close()
            raise
        return store

    # -- following the server as the application writes ----------------------------------------

    def _resume_mirror(self) -> None:
        """Go on from the rows the mirror holds from earlier opens, if its last one is the
        server's row of that notification id; else empty it, to be copied again whole."""
        log = f'{views.LIBRARY}."{self.layout.events_table}"'
        last = self._db.execute(f"SELECT max(rowid) FROM {log}").fetchone()[0]
        if last is None:
            return
        held = self._db.execute(f"SELECT originator_id, originator_version FROM {log} "
                                "WHERE rowid = ?", (last,)).fetchone()
        found = self._source.execute(self._row_key, (last,)).fetchone()
        if found is not None and (_originator(found[0]), found[1]) == tuple(held):
            self._copied = int(last)
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute(f"DELETE FROM {log}")
        if self.layout.snapshots_table:
            self._db.execute(f'DELETE FROM {views.LIBRARY}."{self.layout.snapshots_table}"')
        self._db.execute("COMMIT")

    def _copy_new_rows(self) -> None:
        """Copy the log's rows after the last one copied (and, when there were any, the
        snapshots not copied yet) into the private database."""
        insert = (f'INSERT OR IGNORE INTO {views.LIBRARY}."{self.layout.events_table}" '
                  "(rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)")
        # (OR IGNORE: another process following the same mirror may have copied them first)
        db, copied = self._db, self._copied
        if self.data_version() <= copied:  # one round trip when nothing is new (most looks)
            return
        with self._source.transaction(), self._source.cursor(name="library_rows") as rows:
            rows.execute(self._new_rows, (copied,))
            db.execute("BEGIN IMMEDIATE")  # one commit to the mirror file, not one a row
            try:
                while batch := rows.fetchmany(COPY_BATCH):
                    db.executemany(insert, [(n, _originator(o), v, t, bytes(s) if s is not None
                                             else None) for n, o, v, t, s in batch])
                    copied = batch[-1][0]
                if self.layout.snapshots_table and copied != self._snapshots_seen:
                    self._copy_snapshots()
                    self._snapshots_seen = copied
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        self._copied = copied

    def _copy_snapshots(self) -> None:
        table = self.layout.snapshots_table
        found = self._source.execute(
            f'SELECT originator_id, originator_version, topic, state FROM '
            f'"{self.server.schema}"."{table}"').fetchall()
        self._db.executemany(
            f'INSERT OR IGNORE INTO {views.LIBRARY}."{table}" VALUES (?, ?, ?, ?)',
            [(_originator(o), v, t, bytes(s) if s is not None else None)
             for o, v, t, s in found])

    def _catch_up(self) -> int:
        if not self._db.in_transaction and self._reconnect():  # (inside a reader's snapshot,
            # or while the server is away: what was copied)
            try:
                self._copy_new_rows()
            except psycopg.OperationalError:
                self._lost()
        return super()._catch_up()

    def data_version(self) -> int:
        """Changes whenever the application commits events: the log's last notification id
        on the server, read again only when its channel was heard from since the last read
        (no round trip otherwise), or each time where the store cannot listen."""
        if not self._reconnect():
            return self._end  # (the last end known, until the server is back)
        try:
            if self._listening:
                # (those read off the socket now, and those psycopg kept during queries)
                for _notice in self._source.notifies(timeout=0):
                    self._heard += 1
                if self._heard == self._heard_at_end:
                    return self._end
            heard = self._heard  # (one heard from now on is read again at the next look)
            found = self._source.execute(self._log_end).fetchone()
        except psycopg.OperationalError:
            self._lost()
            return self._end
        self._end, self._heard_at_end = (int(found[0] or 0) if found else 0), heard
        return self._end

    def close(self) -> None:
        super().close()
        self._source.close()

    def open_records(self) -> LibraryRecords | None:
        """The rows copied from the server so far (all this store has shown), read from its
        mirror; None when the mirror is a private temporary file (the cache folder cannot be
        written)."""
        if not self._mirror:
            return None
        return LibraryRecords(Path(self._mirror), self.layout, own_copy=True)

    def sqlite_problems(self, limit: int = 20) -> list[str]:
        """None: the server keeps its own pages."""
        return []

    def followers(self, leader_last: int | None = None) -> list[dict[str, Any]]:
        """The applications this log's application follows (its tracking table's rows, read
        from the server each time): each one's name and the notification id of its log
        processed up to; the lag behind `leader_last`, else behind the end of the leader's log
        when it is in the same schema (named in "log"), else None."""
        if self._tracking is None:
            return []
        found = []
        for name, position in self._source.execute(_FOLLOWED.format(
                schema=self.server.schema, table=self._tracking)).fetchall():
            log, last = None, leader_last
            if last is None:
                log = leader_log(self.layout, name)
                if log is not None:
                    end = self._source.execute(
                        f'SELECT max(notification_id) FROM "{self.server.schema}"."{log}"'
                    ).fetchone()
                    last = int(end[0] or 0) if end else 0
            found.append({"name": name, "position": int(position), "log": log,
                          "lag": None if last is None else max(0, last - int(position))})
        return found

    def describe(self) -> dict[str, Any]:
        return {"format": FORMAT, "tables": describe(self.layout),
                "schema": self.server.schema, "other_logs": list(self.layout.other_logs),
                "read_only": READ_ONLY_REASON}
