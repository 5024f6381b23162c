"""Filtered reads of events in global order, built with SQLAlchemy Core and bound parameters.

Used by the CLI's `events` and by the explorer window's event list; every value a user types
becomes a bound parameter, never SQL text. An EventQuery is a plain value anyone may build; its
SQL (the private methods) is the store's own: code above the store passes the query to
EventStore (query, iter_query, count, positions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from explorer.store.content_filter import ContentFilter
from explorer.store.portable_sql import Unindexed
from explorer.store.schema import events
from explorer.store.statements import EVENT_COLUMNS

PAGE_OF_POSITIONS = 500
"""Up to this many positions given (a page of a list) are read by the log's key, whatever else
the query asks; more (a search's matches, filtered a thousand or more at a time) leave the
choice to the database: a short stream's index is then the cheaper way."""


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which events to read: all conditions must hold. Empty tuples mean no condition."""

    stream_id: str | None = None
    event_types: tuple[str, ...] = ()
    stream_types: tuple[str, ...] = ()
    from_position: int = 1
    to_position: int | None = None
    from_time_us: int | None = None
    to_time_us: int | None = None
    correlation_id: str | None = None
    content: ContentFilter | None = None
    at_positions: tuple[int, ...] | None = None
    """Only events at these positions (a page of a list, a full-text search's matches)."""

    @property
    def is_everything(self) -> bool:
        """True when the query has no condition at all (all events, from the first)."""
        return self == EventQuery()

    def _where(self) -> list[sa.ColumnElement[bool]]:
        c = events.c
        # At a page's known positions, those are what the rows are read by: the stream's or a
        # type's index would be searched whole (a stream of 153,000 events for each page of
        # 100), each entry checked against the positions.
        by: Callable[[sa.ColumnElement[Any]], sa.ColumnElement[Any]] = (
            Unindexed if self.at_positions is not None
            and len(self.at_positions) <= PAGE_OF_POSITIONS else _as_is)
        conditions: list[sa.ColumnElement[bool]] = []
        if self.stream_id is not None:
            conditions.append(by(c.stream_id) == self.stream_id)
        if self.event_types:
            conditions.append(by(c.event_type).in_(self.event_types))
        if self.stream_types:
            conditions.append(by(c.stream_type).in_(self.stream_types))
        if self.from_position > 1:
            conditions.append(c.position >= self.from_position)
        if self.to_position is not None:
            conditions.append(c.position <= self.to_position)
        if self.from_time_us is not None:
            conditions.append(c.timestamp >= self.from_time_us)
        if self.to_time_us is not None:
            conditions.append(c.timestamp <= self.to_time_us)
        if self.correlation_id is not None:
            conditions.append(by(c.correlation_id) == self.correlation_id)
        if self.content is not None:
            conditions.append(self.content.condition())
        if self.at_positions is not None:
            conditions.append(c.position.in_(self.at_positions))
        return conditions

    def _select(self, *, after_position: int = 0, limit: int | None = None,
               descending: bool = False) -> sa.Select[*tuple[Any, ...]]:
        """The page of matching events after (or, descending, before) a position."""
        c = events.c
        query = sa.select(*EVENT_COLUMNS).where(*self._where())
        if after_position:
            query = query.where(c.position < after_position if descending
                                else c.position > after_position)
        query = query.order_by(c.position.desc() if descending else c.position)
        return query.limit(limit) if limit is not None else query

    def _count(self) -> sa.Select[int]:
        return sa.select(sa.func.count()).select_from(events).where(*self._where())

    def _positions(self, after_position: int = 0) -> sa.Select[int]:
        """The positions of matching events after a position, in order (for row maps)."""
        c = events.c
        query = sa.select(c.position).where(*self._where())
        if after_position:
            query = query.where(c.position > after_position)
        return query.order_by(c.position)


def _as_is(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return column
