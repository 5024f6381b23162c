"""Read models for a what-if branch: copied as of the branch's position, and what changed since.

A branch of a store at position P (EventStore.branch) gets a read-model file of its own holding
every projection's rows as they were at P, copied from the store's read models where they were
built that far (a row version still valid at P is copied as current), so that the branch's
runner goes on from P instead of rebuilding from the first event. What the branch then writes
is read back as rows changed after P, each with its values as of P.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.dialects import sqlite

from explorer.projections.database import ReadModelDatabase
from explorer.projections.engine import Projection, feed_of
from explorer.projections.versioned import rows_as_of
from explorer.store.sqlite import read_only_uri


def branch_read_models(source: Path, target: Path, projections: Iterable[Projection],
                       position: int) -> None:
    """Make the read-model file at `target` with every projection's tables: holding its rows as
    of `position` where the read models at `source` (if the file exists) were built that far,
    empty otherwise (the branch's runner builds those from the branch's events)."""
    projections = list(projections)
    with ReadModelDatabase(target) as empty:  # our schema and the tables, empty
        for projection in projections:
            empty.create_tables(list(projection.tables))
    if not source.exists():
        return
    db = sqlite3.connect(target, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("ATTACH DATABASE ? AS source", (read_only_uri(source),))
        db.execute("BEGIN IMMEDIATE")
        for projection in projections:
            checkpoint = db.execute("SELECT checkpoint FROM source.projection_state WHERE "
                                    "name = ?", (projection.name,)).fetchone()
            if checkpoint is None or checkpoint[0] < position or \
                    not _built_as_declared(db, projection):
                continue  # not built that far (or by other code): the branch builds it itself
            for table in projection.tables:
                names = ", ".join(c.name for c in table.columns)
                chosen = ", ".join("CASE WHEN valid_to > ? THEN NULL ELSE valid_to END"
                                   if c.name == "valid_to" else c.name for c in table.columns)
                db.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {chosen} FROM '
                           f'source."{table.name}" WHERE valid_from <= ?', (position, position))
            db.execute("INSERT INTO projection_state (name, kind, version, checkpoint, "
                       "updated_at) VALUES (?, 'projection', ?, ?, 0)",
                       (projection.name, projection.version, position))
            db.execute("INSERT INTO projection_feeds (name, event_types) VALUES (?, ?)",
                       (projection.name, orjson.dumps(feed_of(projection)).decode()))
        db.execute("COMMIT")
        db.execute("DETACH DATABASE source")
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()


def _built_as_declared(db: sqlite3.Connection, projection: Projection) -> bool:
    """Whether the projection's read model in the attached `source` was built by its code's
    version in tables as it declares them, from the event types it reads (another version's
    rows, tables of another shape or rows of other types, which the next runner on the store
    makes again, are not copied: the branch builds it)."""
    found = db.execute("SELECT version FROM source.projection_state WHERE name = ?",
                       (projection.name,)).fetchone()
    if found is None or found[0] != projection.version:
        return False
    if db.execute("SELECT 1 FROM source.sqlite_master WHERE type = 'table' AND name = "
                  "'projection_feeds'").fetchone() is not None:  # (kept since 2026-12)
        fed = db.execute("SELECT event_types FROM source.projection_feeds WHERE name = ?",
                         (projection.name,)).fetchone()
        if fed is not None and orjson.loads(fed[0]) != feed_of(projection):
            return False
    dialect = sqlite.dialect()
    for table in projection.tables:
        key = [c.name for c in table.primary_key.columns]
        declared = {(c.name, str(c.type.compile(dialect=dialect)),
                     key.index(c.name) + 1 if c.name in key else 0) for c in table.columns}
        # (cid, name, type, notnull, default, pk); our own table names, never user input
        stored = {(name, kind, pk) for _cid, name, kind, _null, _default, pk in db.execute(
            f'PRAGMA source.table_info("{table.name}")')}
        if stored != declared:
            return False
    return True


def rows_changed_after(db: ReadModelDatabase, projection: Projection, position: int
                       ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The current rows of a projection's main table written after `position`, each as (its
    values now, its values as of `position` or None where the row is new since)."""
    table = projection.main_table
    keys = table.info["keys"]
    columns = [*keys, *table.info["values"]]
    rows = db.db.execute(f'SELECT {", ".join(columns)} FROM "{table.name}" '
                         "WHERE valid_from > ? AND valid_to IS NULL", (position,)).fetchall()
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        before = db.execute(rows_as_of(table, position).where(
            *[table.c[k] == values[k] for k in keys])).mappings().first()
        yield values, None if before is None else dict(before)
