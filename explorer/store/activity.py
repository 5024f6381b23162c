"""What happened between two positions: the streams that got events, counted from the indexes.

A part of EventStore (the `Activity` mixin, on the store's connection), for comparing two
moments. Nothing here reads the events themselves (half a million of them, between two moments
of a big store, would take most of a second):

- streams and events per stream type: the streams whose first and last positions (the stream
  index) allow an event in the range; one wholly inside got all its events (its version) there,
  one straddling an end is counted by its (stream id, version) index, which holds the positions
  too;
- events per event type: a range of the event-type index for each type (it holds the positions);
- the stream type of each event type: that of its first event in the range, checked against the
  counts per stream type; if they disagree (one event type in streams of several types), these
  counts come from the events after all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from explorer.store import schema

if TYPE_CHECKING:
    from explorer.store.records import StreamInfo


@dataclass(frozen=True)
class StreamTypeActivity:
    """A stream type's events in a range of positions: how many of its streams got events, how
    many events, and how many of each event type (most first)."""

    stream_type: str
    streams: int
    events: int
    event_types: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"stream_type": self.stream_type, "streams": self.streams, "events": self.events,
                "event_types": dict(self.event_types)}


@dataclass(frozen=True)
class StreamActivity:
    """One stream's events in a range of positions: how many, and its version before and after."""

    stream_id: str
    stream_type: str
    events: int
    version_after: int

    @property
    def version_before(self) -> int:
        return self.version_after - self.events

    def to_dict(self) -> dict[str, Any]:
        return {"stream_id": self.stream_id, "stream_type": self.stream_type,
                "events": self.events, "version_before": self.version_before,
                "version_after": self.version_after}


def _range(after_position: int, to_position: int) -> tuple[int, int]:
    if after_position > to_position:
        raise ValueError(f"Position {after_position:,} is after position {to_position:,}: "
                         "give the earlier position first.")
    return after_position, to_position


class Activity:
    """EventStore's counts of what happened between two positions (see the module docstring)."""

    _sa: sa.Connection

    if TYPE_CHECKING:  # EventStore's own, of which this is a part
        def event_types(self) -> list[str]: ...
        def stream_info(self, stream_id: str) -> StreamInfo: ...

    def activity_by_type(self, after_position: int, to_position: int
                         ) -> list[StreamTypeActivity]:
        """The stream types that got events after `after_position` up to `to_position`, with
        their numbers of streams, events and events of each type; by stream type."""
        a, b = _range(after_position, to_position)
        s, e = schema.streams.c, schema.events.c
        # a stream wholly in the range got all its events there; only those it straddles
        # (its first or last position outside) are counted from the index
        in_range = sa.case((sa.and_(s.first_position > a, s.last_position <= b), s.version),
                           else_=sa.select(sa.func.count()).where(
                               e.stream_id == s.stream_id, e.position > a, e.position <= b
                           ).scalar_subquery())
        # materialized: each stream counted once (a subquery would be counted for each use)
        counted = (self._candidates(a, b).add_columns(in_range.label("events"))
                   .cte("counted").prefix_with("MATERIALIZED"))
        per_type = (sa.select(counted.c.stream_type, sa.func.count(sa.func.nullif(
                                  counted.c.events, 0)), sa.func.sum(counted.c.events))
                    .group_by(counted.c.stream_type).having(sa.func.sum(counted.c.events) > 0)
                    .order_by(counted.c.stream_type))
        totals = {stream_type: (streams, int(events)) for stream_type, streams, events
                  in self._sa.execute(per_type)}
        by_event_type = self._event_types_by_stream_type(a, b, totals)
        return [StreamTypeActivity(stream_type, streams, events, tuple(sorted(
                    by_event_type.get(stream_type, Counter()).items(),
                    key=lambda item: (-item[1], item[0]))))
                for stream_type, (streams, events) in totals.items()]

    def active_streams(self, after_position: int, to_position: int, *,
                       stream_type: str | None = None, after_stream: str | None = None,
                       limit: int | None = 100) -> list[StreamActivity]:
        """The streams that got events after `after_position` up to `to_position`, in id order,
        with how many: `limit` of them after the stream `after_stream` (a page at a time)."""
        a, b = _range(after_position, to_position)
        s, e = schema.streams.c, schema.events.c
        query = self._active(a, b, stream_type)
        if after_stream is not None:
            query = query.where(s.stream_id > after_stream)
        query = query.order_by(s.stream_id)
        if limit is not None:
            query = query.limit(limit)
        counted = sa.select(sa.func.count(), sa.func.max(e.version)).where(
            e.stream_id == sa.bindparam("stream_id"), e.position > a, e.position <= b)
        found = []
        for stream_id, kind in self._sa.execute(query).all():
            events, version_after = self._sa.execute(counted, {"stream_id": stream_id}).one()
            found.append(StreamActivity(stream_id, kind, events, version_after))
        return found

    def count_active_streams(self, after_position: int, to_position: int,
                             stream_type: str | None = None) -> int:
        """How many streams active_streams lists, all pages together."""
        a, b = _range(after_position, to_position)
        active = self._active(a, b, stream_type).subquery()
        return self._sa.execute(sa.select(sa.func.count()).select_from(active)).scalar_one()

    @staticmethod
    def _candidates(a: int, b: int) -> sa.Select[Any]:
        """The streams whose first and last positions allow an event in (a, b]."""
        s = schema.streams.c
        return sa.select(s.stream_id, s.stream_type).where(s.last_position > a,
                                                            s.first_position <= b)

    def _active(self, a: int, b: int, stream_type: str | None) -> sa.Select[Any]:
        """(stream id, stream type) of the streams with an event in (a, b] (of a type)."""
        s, e = schema.streams.c, schema.events.c
        query = self._candidates(a, b).where(sa.exists().where(
            e.stream_id == s.stream_id, e.position > a, e.position <= b))
        if stream_type is not None:
            query = query.where(s.stream_type == stream_type)
        return query

    def _event_types_by_stream_type(self, a: int, b: int, totals: dict[str, tuple[int, int]]
                                    ) -> dict[str, Counter[str]]:
        """Events of each event type in (a, b], under their stream type (see the module
        docstring)."""
        e = schema.events.c
        count = sa.select(sa.func.count()).where(
            e.event_type == sa.bindparam("event_type"), e.position > a, e.position <= b)
        first = sa.select(e.stream_type).where(
            e.event_type == sa.bindparam("event_type"), e.position > a, e.position <= b
        ).order_by(e.position).limit(1)
        found: dict[str, Counter[str]] = {}
        for name in self.event_types():
            events = self._sa.execute(count, {"event_type": name}).scalar_one()
            if events:
                stream_type = self._sa.execute(first, {"event_type": name}).scalar_one()
                found.setdefault(stream_type, Counter())[name] = events
        if all(sum(found.get(t, Counter()).values()) == events
               for t, (_, events) in totals.items()):
            return found
        exact = (sa.select(e.stream_type, e.event_type, sa.func.count())
                 .where(e.position > a, e.position <= b).group_by(e.stream_type, e.event_type))
        found = {}
        for stream_type, name, events in self._sa.execute(exact):
            found.setdefault(stream_type, Counter())[name] = events
        return found
