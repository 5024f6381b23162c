"""Branching a store: a new store file holding a store's events 1..P as they were at P.

What-if branches are made this way. The new file gets the events up to P, the stream index and
snapshots as they were at P, and the hash chain's links up to P, copied in chunks without a
journal (a branch that fails half-way is simply deleted by whoever made it), with the secondary
indexes built once at the end: several times faster than appending the events. The store it is
made from is only read, through a read-only attach.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from explorer.store import schema
from explorer.store.sqlite import read_only_uri

COPY_CHUNK = 50_000


def copy_events(source: Path, target: Path, position: int,
                progress: Callable[[int, int], None]) -> None:
    """Fill the new, empty store at `target` with the events 1..`position` of the store at
    `source`, its stream index and snapshots as of then and its chain's links up to there.
    `progress(copied, position)` is called after each chunk and may raise to stop."""
    db = sqlite3.connect(target, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("ATTACH DATABASE ? AS source", (read_only_uri(source),))
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                             "AND tbl_name = 'events' AND sql IS NOT NULL").fetchall()
        db.execute("BEGIN IMMEDIATE")
        for name, _sql in indexes:
            db.execute(f'DROP INDEX "{name}"')
        columns = ", ".join(column.name for column in schema.events.columns)
        progress(0, position)
        for start in range(1, position + 1, COPY_CHUNK):
            end = min(start + COPY_CHUNK - 1, position)
            db.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM source.events "
                       "WHERE position BETWEEN ? AND ?", (start, end))
            progress(end, position)
        for _name, sql in indexes:
            db.execute(sql)
        db.execute("INSERT INTO streams SELECT stream_id, min(stream_type), max(version), "
                   "min(position), max(position), max(timestamp) FROM events "
                   "GROUP BY stream_id")
        snapshot_columns = ", ".join(column.name for column in schema.snapshots.columns)
        db.execute(f"INSERT INTO snapshots ({snapshot_columns}) SELECT {snapshot_columns} "
                   "FROM source.snapshots WHERE position <= ?", (position,))
        _copy_links(db, position)
        db.execute("COMMIT")
        db.execute("DETACH DATABASE source")
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()


def _copy_links(db: sqlite3.Connection, position: int) -> None:
    """The events' links in the hash chain, as far as the store has them; where it has not
    (a store from before the chain, opened read-only), the branch links the rest itself when it
    is first opened for writing."""
    linked = db.execute("SELECT 1 FROM source.sqlite_master WHERE name = ?",
                        (schema.event_hashes.name,)).fetchone()
    if linked:  # runs up to the position, the one straddling it cut there
        db.execute("INSERT INTO event_hashes SELECT position, substr(links, 1, 16 * "
                   "(min(?, position + length(links) / 16 - 1) - position + 1)) "
                   "FROM source.event_hashes WHERE position <= ?", (position, position))
    covered = db.execute("SELECT max(position + length(links) / 16 - 1) FROM event_hashes"
                         ).fetchone()[0] if linked else 0
    if (covered or 0) < position:
        db.execute("UPDATE store_meta SET value = ? WHERE key = ?",
                   (schema.CHAIN_LINKING, schema.CHAIN_KEY))
