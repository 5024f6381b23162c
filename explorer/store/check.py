"""Integrity check of a store: what `check STORE` reports.

Positions without gaps, versions 1..n per stream, one type per stream, the stream index agreeing
with the events, timestamps never going back, snapshots within their streams, and every row
decodable. It only reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from explorer.store.event_store import EventStore
from explorer.store.schema import events, snapshots, streams

LISTED_PER_KIND = 20


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str
    message: str


@dataclass
class CheckReport:
    events: int = 0
    streams: int = 0
    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0
    _per_kind: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_problems(self) -> int:
        return len(self.problems) + self.omitted

    def add(self, kind: str, message: str) -> None:
        seen = self._per_kind.get(kind, 0)
        self._per_kind[kind] = seen + 1
        if seen < LISTED_PER_KIND:
            self.problems.append(Problem(kind, message))
        else:
            self.omitted += 1

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "streams": self.streams,
                "problem_count": self.total_problems,
                "problems": [{"kind": p.kind, "message": p.message} for p in self.problems]}


def check_store(store: EventStore, progress: Callable[[int], None] | None = None) -> CheckReport:
    """Check everything listed in the module docstring; `progress(position)` while decoding."""
    report = CheckReport()
    _check_positions(store, report)
    _check_streams(store, report)
    _check_snapshots(store, report)
    _check_rows(store, report, progress)
    return report


def _check_positions(store: EventStore, report: CheckReport) -> None:
    e = events.c
    count, first, last = store.execute(
        sa.select(sa.func.count(), sa.func.min(e.position), sa.func.max(e.position))).one()
    report.events = count
    if count and (first != 1 or last - first + 1 != count):
        if first != 1:
            report.add("gap", f"positions start at {first}, not 1")
        later = events.alias("later")
        following = sa.select(sa.literal(1)).where(later.c.position == e.position + 1).exists()
        gaps = store.execute(sa.select(e.position).where(e.position < last, ~following)
                             .order_by(e.position).limit(LISTED_PER_KIND)).scalars()
        for position in gaps:
            report.add("gap", f"no event at position {position + 1}")


def _check_streams(store: EventStore, report: CheckReport) -> None:
    e, s = events.c, streams.c
    per_stream = (sa.select(e.stream_id, sa.func.count().label("n"),
                            sa.func.min(e.version).label("low"), sa.func.max(e.version).label("high"),
                            sa.func.max(e.position).label("last"),
                            sa.func.min(e.stream_type).label("type_a"),
                            sa.func.max(e.stream_type).label("type_b"))
                  .group_by(e.stream_id).subquery())
    query = (sa.select(per_stream, s.stream_type, s.version, s.last_position)
             .select_from(per_stream.outerjoin(streams, s.stream_id == per_stream.c.stream_id)))
    stream_count = 0
    for row in store.execute(query):
        stream_count += 1
        sid = row.stream_id
        if row.low != 1 or row.high != row.n:
            report.add("versions", f"stream {sid} has {row.n} events with versions "
                                   f"{row.low}..{row.high}, not 1..{row.n}")
        if row.type_a != row.type_b:
            report.add("stream type", f"stream {sid} mixes the types {row.type_a} and {row.type_b}")
        if row.stream_type is None:
            report.add("stream index", f"stream {sid} has events but is missing from the index")
        elif (row.stream_type, row.version, row.last_position) != (row.type_a, row.high, row.last):
            report.add("stream index",
                       f"stream {sid} is indexed as {row.stream_type} v{row.version} ending at "
                       f"position {row.last_position}, but its events say {row.type_a} "
                       f"v{row.high} ending at {row.last}")
    report.streams = stream_count
    orphans = store.execute(
        sa.select(s.stream_id).where(~sa.select(sa.literal(1)).where(
            e.stream_id == s.stream_id).exists()).limit(LISTED_PER_KIND)).scalars()
    for sid in orphans:
        report.add("stream index", f"stream {sid} is in the index but has no events")


def _check_snapshots(store: EventStore, report: CheckReport) -> None:
    sn, s = snapshots.c, streams.c
    query = (sa.select(sn.stream_id, sn.version, s.version)
             .select_from(snapshots.outerjoin(streams, s.stream_id == sn.stream_id))
             .where(sa.or_(s.version.is_(None), sn.version > s.version)))
    for stream_id, version, stream_version in store.execute(query):
        where = "a missing stream" if stream_version is None else f"version {stream_version}"
        report.add("snapshot", f"snapshot of {stream_id} at version {version} is beyond {where}")


def _check_rows(store: EventStore, report: CheckReport,
                progress: Callable[[int], None] | None) -> None:
    previous_time = None
    for event in store.read_all():
        if event.is_raw:
            report.add("undecodable", f"position {event.position} ({event.event_type} in "
                                      f"{event.stream_id}): {event.problem}")
        if previous_time is not None and event.timestamp_us < previous_time:
            report.add("time order", f"position {event.position} is timestamped before the "
                                     "event preceding it")
        previous_time = event.timestamp_us
        if progress is not None and event.position % 10_000 == 0:
            progress(event.position)
    if progress is not None:
        progress(report.events)
