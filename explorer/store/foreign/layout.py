"""Recognising an SQLite file written by the `eventsourcing` library, and naming its tables.

The library's SQLite recorders keep events in a table of four columns (originator_id,
originator_version, topic, state): the application's log is a rowid table (the rowid is the
notification id), `stored_events` unless the application's recorder was given another name (a
prefix, `bank_stored_events` say); an aggregate recorder's tables (snapshots: `stored_snapshots`)
are WITHOUT ROWID. Process applications add `tracking` (application name, notification id).
Tables are recognised by their columns, so any name the application chose is found.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

RECORD_COLUMNS = ("originator_id", "originator_version", "topic", "state")
TRACKING_COLUMNS = ("application_name", "notification_id")
DEFAULT_EVENTS_TABLE = "stored_events"


@dataclass(frozen=True, slots=True)
class LibraryLayout:
    """Where an `eventsourcing` application keeps its records in one SQLite file."""

    events_table: str
    snapshots_table: str | None = None
    tracking_table: str | None = None
    other_logs: tuple[str, ...] = ()
    """Further application logs in the same file (not shown: one log a store)."""
    key_index: str | None = None
    """The index SQLite keeps for the log's primary key (originator id, version): every
    stream's events in order, each with its rowid."""


def library_layout(connection: sqlite3.Connection, tables: list[str],
                   schema: str = "main") -> LibraryLayout | None:
    """The library's tables among `tables` of the database `schema` of `connection`, or None
    when the file holds no application log of the library's."""
    logs: list[str] = []
    records: list[str] = []
    tracking: str | None = None
    for table in tables:
        columns = tuple(row[1] for row in connection.execute(
            f'PRAGMA "{schema}".table_info("{table}")'))
        if columns == RECORD_COLUMNS:
            (records if _without_rowid(connection, schema, table) else logs).append(table)
        elif columns == TRACKING_COLUMNS and table.endswith("tracking"):
            tracking = tracking or table
    if not logs:
        return None
    events = DEFAULT_EVENTS_TABLE if DEFAULT_EVENTS_TABLE in logs else sorted(logs)[0]
    snapshots = _snapshots_beside(events, records)
    key_index = next((row[1] for row in connection.execute(
        f'PRAGMA "{schema}".index_list("{events}")') if row[3] == "pk"), None)
    return LibraryLayout(events, snapshots, tracking, tuple(t for t in logs if t != events),
                         key_index)


def _snapshots_beside(events: str, records: list[str]) -> str | None:
    """The snapshots table of the log `events` (its name with "events" as "snapshots")."""
    head, found, tail = events.rpartition("events")
    wanted = f"{head}snapshots{tail}" if found else "stored_snapshots"
    if wanted in records:
        return wanted
    return "stored_snapshots" if "stored_snapshots" in records else None


def _without_rowid(connection: sqlite3.Connection, schema: str, table: str) -> bool:
    row = connection.execute(f'SELECT sql FROM "{schema}".sqlite_master WHERE name = ?',
                             (table,)).fetchone()
    return bool(row and row[0] and "WITHOUT ROWID" in row[0].upper())


def describe(layout: LibraryLayout) -> str:
    """The tables a user is told the explorer reads."""
    parts = [layout.events_table]
    if layout.snapshots_table:
        parts.append(layout.snapshots_table)
    if layout.tracking_table:
        parts.append(layout.tracking_table)
    return ", ".join(parts)
