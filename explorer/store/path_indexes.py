"""Indexes on paths of the events' JSON, made on request: `data.total > 900` read by an index.

A content filter compares values inside each event's JSON (see content_filter), which SQLite can
only do by reading every row, unless the store has an expression index on the path:

    CREATE INDEX ix_events_path_data_total_3f2a91c0 ON events (json_extract(data, '$.total'))

Such an index is made by the user for a path their filters use (the filter bar's "Index this
path", `index STORE --path data.total`), listed and removed the same ways. Making one is a
write to the store's file: only on a store opened for writing, and it holds the store's write
lock while SQLite reads every event once to build it (seconds on millions of events; appends wait
meanwhile). Each index's name starts with PREFIX and store_meta records its field
(`path_index:NAME` = `data.total`), so the indexes made here are known from the store's own
indexes. The filter's SQL writes plain paths as text (portable_sql), so SQLite matches it to the
index; `uses_path_index` tells whether it does for a query (by its query plan).
"""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.common.field_paths import path_parts

if TYPE_CHECKING:
    from explorer.store.event_store import EventStore
    from explorer.store.query import EventQuery

PREFIX = "ix_events_path_"
META_PREFIX = "path_index:"

class PathIndexError(ValueError):
    """A field that cannot be indexed, or a store that cannot hold such an index."""


_FIELD = re.compile(r"(data|metadata)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+)")


@dataclass(frozen=True)
class PathIndex:
    """An index made on a path: its name in the store's schema and the field it covers."""

    name: str
    field: str


def index_name(field: str) -> str:
    """The index's name for a field: readable, and different for every field."""
    digest = hashlib.sha1(field.encode()).hexdigest()[:8]
    return f"{PREFIX}{re.sub(r'[^A-Za-z0-9]+', '_', field).strip('_')[:40]}_{digest}"


def indexable(field: str) -> bool:
    """Whether `field` names one value inside the events' data or metadata (see
    create_path_index)."""
    return _FIELD.fullmatch(field.strip()) is not None


def _column_and_path(field: str) -> tuple[str, str]:
    """The JSON column and SQLite path of a field that can be indexed (PathIndexError if not)."""
    found = _FIELD.fullmatch(field.strip())
    if found is None:
        raise PathIndexError(
            f"Cannot index “{field}”: name one value inside the events' data or metadata, such "
            "as data.total, data.customer.country or metadata.command (no [*]: an index holds "
            "one value an event).")
    column, rest = found.group(1), found.group(2)
    parts = path_parts(rest.lstrip("."))
    return column, "$" + "".join(part if part.startswith("[") else f".{part}" for part in parts)


def _require_file(store: EventStore, action: str) -> None:
    if store._engine.dialect.name != "sqlite":
        raise PathIndexError(f"Cannot {action}: paths are indexed in a store file; on a "
                             "PostgreSQL server ask its administrator for an expression index.")


def create_path_index(store: EventStore, field: str) -> PathIndex:
    """Make (if not made yet) the index on `field`'s path and record it. Raises
    ReadOnlyStoreError on a store opened read-only, PathIndexError for a field that cannot
    be indexed."""
    column, path = _column_and_path(field)
    field = field.strip()
    action = f"index {field}"
    _require_file(store, action)
    store._require_writable(action)
    name = index_name(field)
    store._begin_write(action)
    db = store._db
    try:  # the name and path are made here of checked characters: no user text in the SQL
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON events (json_extract({column}, "
                   f"'{path}'))")
        db.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
                   (META_PREFIX + name, field))
        db.execute("COMMIT")
    except BaseException:
        store._roll_back()
        raise
    return PathIndex(name, field)


def path_indexes(store: EventStore) -> list[PathIndex]:
    """The indexes made on paths, by field."""
    if store._engine.dialect.name != "sqlite":
        return []
    names = [row[0] for row in store._db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ? ESCAPE '\\'",
        (PREFIX.replace("_", "\\_") + "%",))]
    meta = store.meta()
    found = [PathIndex(name, meta.get(META_PREFIX + name, name)) for name in names]
    return sorted(found, key=lambda index: index.field)


def drop_path_index(store: EventStore, field: str) -> bool:
    """Remove the index made on `field` (True if there was one)."""
    action = f"remove the index on {field}"
    _require_file(store, action)
    store._require_writable(action)
    wanted = [index for index in path_indexes(store) if index.field == field.strip()]
    if not wanted:
        return False
    store._begin_write(action)
    db = store._db
    try:
        for index in wanted:
            db.execute(f"DROP INDEX IF EXISTS {index.name}")
            db.execute("DELETE FROM store_meta WHERE key = ?", (META_PREFIX + index.name,))
        db.execute("COMMIT")
    except BaseException:
        store._roll_back()
        raise
    return True


def _positions_sql(store: EventStore, query: EventQuery) -> tuple[str, list[Any]]:
    """The SQL and arguments of the positions of `query`'s events, in no order: ordered by
    position, SQLite (which has no statistics of the store) prefers reading every event in
    order to reading the index and sorting."""
    compiled = query._positions().order_by(None).compile(
        dialect=store._engine.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    return str(compiled), [params[name] for name in compiled.positiontup or ()]


def query_plan(store: EventStore, query: EventQuery) -> list[str]:
    """SQLite's plan for the positions of `query`'s events (EXPLAIN QUERY PLAN's details)."""
    sql, arguments = _positions_sql(store, query)
    # EXPLAIN reads nothing of the file, so it plans with the schema this connection last
    # read, and a plan prepared before is reused as it is: the schema is read first (seeing an
    # index made since by another connection) and the plan's text names its version
    store._db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    version = store._db.execute("PRAGMA schema_version").fetchone()[0]
    return [row[3] for row in store._db.execute(
        f"EXPLAIN QUERY PLAN {sql} -- schema {int(version)}", arguments)]


def indexed_positions(store: EventStore, query: EventQuery) -> array[int]:
    """The positions (in order) of the events matching `query`, read through the indexes on
    paths its content filter uses (see uses_path_index): one query, not a scan."""
    sql, arguments = _positions_sql(store, query)
    return array("q", sorted(row[0] for row in store._db.execute(sql, arguments)))


def uses_path_index(store: EventStore, query: EventQuery) -> bool:
    """Whether SQLite reads `query`'s content filter through an index made on a path (then
    its list is one indexed query, not a scan of every event)."""
    if query.content is None or store._engine.dialect.name != "sqlite":
        return False
    return any(PREFIX in detail for detail in query_plan(store, query))


__all__ = ["PathIndex", "PathIndexError", "create_path_index", "drop_path_index", "index_name",
           "indexable", "indexed_positions", "path_indexes", "query_plan", "uses_path_index"]
