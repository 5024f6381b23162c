"""A store read from the `eventsourcing` library's PostgreSQL tables: the same EventStore,
read-only, as LibraryStore reads its SQLite files.

`EventStore.open("postgresql://...?schema=NAME")` on a schema holding no store of ours but the
library's tables (found by their columns, as `layout` finds them in a file: the application log
is the table of originator_id, originator_version, topic, state and notification_id, named
`stored_events` or after the application, `bank_events` say; its snapshots table beside it)
opens one of these.

How it reads: the server is only ever read, on a connection whose every transaction is
read-only (a role that may only SELECT opens it). The rows are copied, as stored, into a
private temporary SQLite database attached as the `library` schema LibraryStore's views read
(the same table shape as the library's SQLite log: the rowid is the notification id), so every
reader, filter, the timeline and time travel run unchanged, the states decoded by `transcoding`
as a file's are. Each look at the log's end copies the rows after the last one copied.

Why no event is missed: the library's recorder inserts under `LOCK TABLE ... IN EXCLUSIVE
MODE`, taking its notification ids from the table's sequence inside that lock, so its commits
make ids visible in order; an id left behind by a rolled-back insert is a gap that never fills.
So the rows after the last id copied are all that can appear.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import sqlalchemy as sa

from explorer.store import sqlite as sqlite_backend
from explorer.store.damage import damaged
from explorer.store.foreign import views
from explorer.store.foreign.layout import LibraryLayout, describe
from explorer.store.foreign.library_store import FORMAT, LibraryStore, register_functions
from explorer.store.foreign.transcoding import StateReader, load_cipher
from explorer.store.postgres_location import ServerLocation
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


def _mirror_statements(layout: LibraryLayout) -> list[str]:
    """The copy's tables, shaped as the library's SQLite recorders make theirs."""
    made = [f'CREATE TABLE {views.LIBRARY}."{layout.events_table}" (originator_id TEXT NOT NULL, '
            "originator_version INTEGER NOT NULL, topic TEXT, state BLOB)",
            f'CREATE UNIQUE INDEX {views.LIBRARY}."{KEY_INDEX}" ON "{layout.events_table}" '
            "(originator_id, originator_version)"]
    if layout.snapshots_table:
        made.append(f'CREATE TABLE {views.LIBRARY}."{layout.snapshots_table}" ('
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
        self._tracking = find_tracking(connection, server.schema, layout.events_table)

    def _share_key(self, location: str, layout: LibraryLayout) -> tuple[Any, ...]:
        return (location, layout.events_table)

    @classmethod
    def open_server(cls, server: ServerLocation, connection: psycopg.Connection[Any],
                    layout: LibraryLayout, *, registry: EventRegistry | None = None,
                    cipher_key: str | None = None) -> PostgresLibraryStore:
        """Read the library's tables `layout` names in the schema of `server`, through
        `connection` (read-only; the store closes it). Encrypted states are decrypted with
        `cipher_key`, else the library's CIPHER_KEY variable."""
        reader = StateReader(load_cipher(cipher_key))

        def configure(db: sqlite3.Connection) -> None:
            db.execute(f"ATTACH DATABASE '' AS {views.LIBRARY}")  # a private temporary file
            db.execute("PRAGMA temp_store = MEMORY")
            db.execute("PRAGMA cache_size = -32000")
            for statement in _mirror_statements(layout):
                db.execute(statement)
            register_functions(db, reader)
            for statement in views.create_statements(layout):
                db.execute(statement)
            db.executemany("INSERT INTO temp.store_meta VALUES (?, ?)", [
                ("schema", "eventsourcing-library"),
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
        try:
            store._catch_up()
            store.index_streams()  # the whole log is copied on open anyway: index it then
        except BaseException:
            store.close()
            raise
        return store

    # -- following the server as the application writes ----------------------------------------

    def _copy_new_rows(self) -> None:
        """Copy the log's rows after the last one copied (and, when there were any, the
        snapshots not copied yet) into the private database."""
        insert = (f'INSERT INTO {views.LIBRARY}."{self.layout.events_table}" '
                  "(rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)")
        db, copied = self._db, self._copied
        if self.data_version() <= copied:  # one round trip when nothing is new (most looks)
            return
        with self._source.transaction(), self._source.cursor(name="library_rows") as rows:
            rows.execute(self._new_rows, (copied,))
            while batch := rows.fetchmany(COPY_BATCH):
                db.executemany(insert, [(n, _originator(o), v, t, bytes(s) if s is not None
                                         else None) for n, o, v, t, s in batch])
                copied = batch[-1][0]
            if self.layout.snapshots_table and copied != self._snapshots_seen:
                self._copy_snapshots()
                self._snapshots_seen = copied
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
        if not self._db.in_transaction:  # (inside a reader's snapshot: what was copied)
            self._copy_new_rows()
        return super()._catch_up()

    def data_version(self) -> int:
        """Changes whenever the application commits events: the log's last notification id
        on the server."""
        found = self._source.execute(self._log_end).fetchone()
        return int(found[0] or 0) if found else 0

    def close(self) -> None:
        super().close()
        self._source.close()

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
