"""What a projection follows the log by: a chunk of its events, with only the fields it reads.

A part of EventStore (the `ProjectionFeed` mixin, on the store's own connection). A projection
that says which fields of an event its handler reads (explorer.projections' `event_fields`)
is given events whose other fields are empty (None): those columns are read as NULL, never
copied out of the row, sorted or made into Python objects. A rebuild then reads markedly less:
the metadata, ids and correlation of every event are most of a row besides its data (the
stock's 312,000 events of a 1M store: 2.0 -> 1.1 s of CPU to read). The rows keep the shape
every event row is read in (statements.EVENT_COLUMNS), so the store's RowDecoder decodes and
upcasts them as any other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from explorer.store.compiled import CompiledStatement
from explorer.store.decoding import DecodedRows, RowDecoder
from explorer.store.query import EventQuery
from explorer.store.schema import events
from explorer.store.statements import EVENT_COLUMNS

ALWAYS_READ = frozenset({"position", "event_type", "schema_version", "data"})
"""What every event given to a projection has: where it is, what it is, and its data (decoding
and upcasting need the type and the stored schema version)."""
OPTIONAL = frozenset({"stream_id", "stream_type", "version", "event_id", "timestamp_us",
                      "correlation_id", "metadata_json"})
"""The fields a projection may leave unread."""
_COLUMN_OF = {"timestamp_us": "timestamp", "metadata_json": "metadata"}
"""The column of each field whose name differs (RecordedEvent's names against the table's)."""


def feed_columns(fields: Collection[str] | None) -> tuple[sa.ColumnElement[Any], ...]:
    """EVENT_COLUMNS with those of the fields not asked for read as NULL (all with None);
    ValueError naming a field an event does not have."""
    if fields is None:
        return EVENT_COLUMNS
    unknown = sorted(set(fields) - ALWAYS_READ - OPTIONAL)
    if unknown:
        raise ValueError(f"An event has no field {unknown[0]!r}: a projection's event_fields "
                         f"are among {', '.join(sorted(ALWAYS_READ | OPTIONAL))}.")
    wanted = {_COLUMN_OF.get(name, name) for name in (*ALWAYS_READ, *fields)}
    return tuple(column if column.name in wanted else sa.null().label(column.name)
                 for column in EVENT_COLUMNS)


_statements: dict[tuple[str, tuple[str, ...], frozenset[str] | None], CompiledStatement] = {}
"""The read of a piece of a projection's events, by dialect, types and fields: compiled once
(compiling it for each piece cost a rebuild of a million events 0.07 s of CPU)."""


def _piece_statement(dialect: sa.Dialect, types: tuple[str, ...],
                     fields: Collection[str] | None) -> CompiledStatement:
    """The events of `types` (all, if none) from one position to another, with `fields`."""
    wanted = None if fields is None else frozenset(fields)
    key = (dialect.name, types, wanted)
    found = _statements.get(key)
    if found is None:
        c = events.c
        where = [c.position >= sa.bindparam("first", 0), c.position <= sa.bindparam("last", 0)]
        if types:
            where.insert(0, c.event_type.in_(types))
        found = _statements[key] = CompiledStatement(
            sa.select(*feed_columns(wanted)).where(*where).order_by(c.position), dialect,
            ("first", "last"))
    return found


class ProjectionFeed:
    """EventStore's read of a projection's events (see the module's docstring)."""

    decoder: RowDecoder

    if TYPE_CHECKING:  # EventStore's own, of which this is a part
        _db: sqlite3.Connection
        _engine: sa.Engine

        def _run_select(self, select: sa.Select[*tuple[Any, ...]]) -> sqlite3.Cursor: ...

    def query_for_projection(self, query: EventQuery,
                             fields: Collection[str] | None = None) -> DecodedRows:
        """`query`'s events in global order, their rows read now and decoded as they are
        iterated (as `query_lazily`), with only `fields` besides ALWAYS_READ (None: all)."""
        if (query.to_position is not None and replace(
                query, from_position=1, to_position=None) == EventQuery(
                    event_types=query.event_types)):  # a piece of the log: what the engine reads
            statement = _piece_statement(self._engine.dialect, query.event_types, fields)
            return DecodedRows(self._db.execute(statement.sql, statement.args(
                query.from_position, query.to_position)).fetchall(), self.decoder)
        select = sa.select(*feed_columns(fields)).where(*query._where()).order_by(
            events.c.position)
        return DecodedRows(self._run_select(select).fetchall(), self.decoder)
