"""The stream index: every stream's type, version and last position, kept with each append.

A part of EventStore (the `StreamIndex` mixin, on the store's connection): one stream's head,
listings filtered by type and id pattern a page at a time, counts, and the stream types. The
index is written in the append's own transaction, so listing streams never scans the events.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from explorer.store import schema
from explorer.store.compiled import Columns
from explorer.store.errors import StreamNotFoundError
from explorer.store.portable_sql import LikeIgnoringCase
from explorer.store.records import StreamInfo, StreamTypeInfo
from explorer.store.statements import Statements

_STREAM_COLUMNS = (schema.streams.c.stream_id, schema.streams.c.stream_type,
                   schema.streams.c.version, schema.streams.c.last_position,
                   schema.streams.c.last_timestamp)


class StreamIndex:
    """EventStore's reads of the stream index (see the module's docstring)."""

    _db: sqlite3.Connection
    _sa: sa.Connection
    _sql: Statements

    def streams_indexed(self) -> bool:
        """Whether the stream index is at hand (listing streams reads no whole log). A store
        that derives it from a log without one (the eventsourcing library's) builds it when
        first asked (`index_streams`): the window asks after the first page, off its worker."""
        return True

    def index_streams(self) -> None:
        """Make the stream index ready: a store's own is kept as events are appended."""

    def stream_head(self, stream_id: str) -> tuple[str, int] | None:
        """(stream type, version) of a stream from the index, or None if it does not exist."""
        head: tuple[str, int] | None = self._db.execute(self._sql.stream_head.sql,
                                                         (stream_id,)).fetchone()
        return head

    def stream_info(self, stream_id: str) -> StreamInfo:
        """One stream from the stream index; StreamNotFoundError if it does not exist."""
        s = schema.streams.c
        row = self._sa.execute(sa.select(*_STREAM_COLUMNS).where(s.stream_id == stream_id)).first()
        if row is None:
            raise StreamNotFoundError(stream_id)
        return StreamInfo(*row)

    def list_streams(self, stream_type: str | None = None, pattern: str | None = None, *,
                     after: str | None = None, limit: int | None = None) -> list[StreamInfo]:
        """Streams in id order from the stream index, filtered by type and an id pattern.

        `pattern` matches a substring, or with * and ? as wildcards the whole id (case-insensitive).
        `after` continues a listing after that stream id.
        """
        s = schema.streams.c
        query = self._filter_streams(sa.select(*_STREAM_COLUMNS), stream_type, pattern)
        if after is not None:
            query = query.where(s.stream_id > after)
        query = query.order_by(s.stream_id)
        if limit is not None:
            query = query.limit(limit)
        return [StreamInfo(*row) for row in self._sa.execute(query)]

    def count_streams(self, stream_type: str | None = None, pattern: str | None = None) -> int:
        query = self._filter_streams(sa.select(sa.func.count()).select_from(schema.streams),
                                     stream_type, pattern)
        return self._sa.execute(query).scalar_one()

    def _filter_streams(self, query: sa.Select[*Columns], stream_type: str | None,
                        pattern: str | None) -> sa.Select[*Columns]:
        s = schema.streams.c
        if stream_type is not None:
            query = query.where(s.stream_type == stream_type)
        if pattern:
            query = query.where(LikeIgnoringCase(
                s.stream_id, sa.bindparam(None, stream_pattern_to_like(pattern))))
        return query

    def stream_types(self) -> list[StreamTypeInfo]:
        """Each stream type with its number of streams and of events, from the stream index."""
        s = schema.streams.c
        query = (sa.select(s.stream_type, sa.func.count(), sa.func.sum(s.version))
                 .group_by(s.stream_type).order_by(s.stream_type))
        return [StreamTypeInfo(t, streams, int(events or 0)) for t, streams, events in
                self._sa.execute(query)]


def stream_pattern_to_like(pattern: str) -> str:
    """A LIKE pattern for a user's stream filter: a substring, or a whole-id wildcard (* and ?).
    ValueError for a NUL character (SQLite's LIKE would end the pattern there, matching every
    id; a server refuses it)."""
    if "\x00" in pattern:
        raise ValueError("The stream filter holds a NUL character (\\0, pasted with the "
                         "text?), which no stream id holds; remove it.")
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" in pattern or "?" in pattern:
        return escaped.replace("*", "%").replace("?", "_")
    return f"%{escaped}%"
