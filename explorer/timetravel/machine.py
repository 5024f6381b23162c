"""Time travel: the whole system as it was at any position, for the window and the CLI.

At position P: an aggregate's state (and what its latest event at or before P changed), every
read model's rows (versioned by position, so an indexed query), the sagas and one saga's steps.
A full replay of events 1..P gives the same answers; the tests check that property.
"""

from __future__ import annotations

import contextlib
import copy
from array import array
from dataclasses import dataclass, field
from typing import Any

from explorer.common.field_paths import child_path
from explorer.common.timestamps import parse_time
from explorer.domain import Repository
from explorer.projections import ReadModelDatabase
from explorer.projections.history import ReadModelHistory
from explorer.projections.timeline_counts import TimelineCounts
from explorer.sagas.instances import SagaInstancesProjection
from explorer.sagas.process import ProcessManager
from explorer.sagas.steps import StepView, step_views
from explorer.store import MAX_INTEGER
from explorer.store.errors import EventNotFoundError, StreamNotFoundError
from explorer.store.event_store import EventStore
from explorer.store.records import RecordedEvent
from explorer.system import System

_MISSING = object()


@dataclass(frozen=True)
class FieldChange:
    """One field that the latest event changed: its path, what happened, before and after."""

    path: str
    kind: str  # "changed", "added" or "removed"
    before: Any = None
    after: Any = None


def diff(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """The fields that differ between two JSON values, recursively, by path (a.b[2].c)."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in list(before) + [k for k in after if k not in before]:
            child = child_path(path, str(key))
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if old is _MISSING:
                changes.append(FieldChange(child, "added", None, new))
            elif new is _MISSING:
                changes.append(FieldChange(child, "removed", old, None))
            else:
                changes.extend(diff(old, new, child))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            child = child_path(path, index)
            if index >= len(before):
                changes.append(FieldChange(child, "added", None, after[index]))
            elif index >= len(after):
                changes.append(FieldChange(child, "removed", before[index], None))
            else:
                changes.extend(diff(before[index], after[index], child))
        return changes
    return [] if before == after else [FieldChange(path, "changed", before, after)]


@dataclass(frozen=True)
class AggregateAt:
    """An aggregate as of a position, and what its latest event at or before it changed."""

    stream_id: str
    stream_type: str
    version: int
    state: dict[str, Any]
    previous: dict[str, Any]
    changes: list[FieldChange]
    event: RecordedEvent | None
    notes: tuple[str, ...] = ()
    generic: bool = False
    """The state is the generic fold (no loaded system knows the stream's type): what the
    events said, merged in order, not what the system itself would compute."""

    @property
    def exists(self) -> bool:
        return self.version > 0


@dataclass(frozen=True)
class ReadModelAt:
    """Rows of a read model as of a position, the most recently changed first."""

    name: str
    title: str
    rows: list[dict[str, Any]]
    changed_at: int  # rows whose valid_from equals this were written by the event at it
    built_to: int  # the read model's checkpoint: positions after it are not in it yet
    more: bool = False  # more rows were valid then, changed less recently than these


@dataclass(frozen=True)
class SagaAt:
    saga_id: str
    status: str
    reason: str | None
    steps: list[StepView]


@dataclass(frozen=True)
class Moment:
    """Everything the window shows for one position of the timeline."""

    position: int
    event: RecordedEvent | None
    aggregate: AggregateAt | None
    read_models: dict[str, ReadModelAt] = field(default_factory=dict)
    sagas: ReadModelAt | None = None
    saga: SagaAt | None = None

    @property
    def generic(self) -> bool:
        """Whether the aggregate's state is the generic fold (see AggregateAt.generic)."""
        return self.aggregate is not None and self.aggregate.generic


@dataclass(frozen=True)
class TimelineSamples:
    """Events along the log, for the timeline: every `weight`-th position, with its time and type.

    A store of up to MAX_SAMPLES events is sampled whole (weight 1, exact counts); a bigger one
    evenly, each sample standing for `weight` events. Positions and times are increasing, so
    position-to-time and time-to-position are interpolations over them. The last event is always
    included, so that the timeline ends where the log does.

    Once the runner has counted the log (explorer.projections.timeline_counts), the samples are
    its buckets instead, exact: each the first event of a stream type in a bucket of `bucket_us`
    (a minute, an hour or a day), standing for `counts` events (the last event for none).
    `counting` says the runner has not counted the whole log yet: more comes without an append.
    """

    positions: array[int]
    timestamps: array[int]
    type_codes: array[int]
    types: tuple[str, ...]
    weight: int
    counts: array[int] | None = None
    bucket_us: int = 0
    counting: bool = False

    @property
    def last_position(self) -> int:
        return self.positions[-1] if self.positions else 0

    def extended(self, more: TimelineSamples) -> TimelineSamples:
        """These samples followed by `more` (later positions, the same weight)."""
        types = list(self.types)
        recode = []
        for name in more.types:
            if name not in types:
                types.append(name)
            recode.append(types.index(name))
        keep = len(self.positions)
        if keep and (self.positions[-1] - 1) % self.weight:
            keep -= 1  # the old last event was off the grid, sampled only for being the last
        return TimelineSamples(self.positions[:keep] + more.positions,
                               self.timestamps[:keep] + more.timestamps,
                               self.type_codes[:keep] + array("b", (recode[c] for c in
                                                                   more.type_codes)),
                               tuple(types), self.weight)


MAX_SAMPLES = 50_000
MAX_MARKS = 5_000


class TimeMachine:
    """Answers "as of position P" questions from a store and its read models (read-only), with
    the system's aggregates, projections and sagas (streams of types it does not know, and
    every stream without a system, by the generic fold)."""

    def __init__(self, store: EventStore, readmodels: ReadModelDatabase | None,
                 system: System) -> None:
        self.store = store
        self.readmodels = readmodels
        self.system = system
        self.domain = system.domain
        self.repository = Repository(store, system.domain)
        self.projections = {p.name: p for p in system.projections()}  # what they declare
        self.saga_read_models = tuple(name for name, p in self.projections.items()
                                      if isinstance(p, SagaInstancesProjection))
        """The read models listing saga instances, the first of them shown as "the sagas"."""
        self.history = ReadModelHistory(readmodels) if readmodels is not None else None

    def aggregate_at(self, stream_id: str, position: int) -> AggregateAt:
        """The aggregate's state just after `position`, and before its latest event up to it.

        One replay: the aggregate as of the version before its latest event up to `position`
        (from its newest snapshot before that), its state copied, then that event applied (a
        long stream's events between two snapshots were read twice, for each state)."""
        store = self.store
        info = store.stream_info(stream_id)
        version = store.stream_version_at(stream_id, position)
        loaded = self.repository.load(info.stream_type, stream_id, at_version=max(version - 1, 0))
        event = None
        previous: dict[str, Any] = {}
        if version:
            if version > 1:  # its events change the state in place: the one before, copied
                previous = copy.deepcopy(loaded.aggregate.state())
            self.repository.replay(loaded, store.replay_rows(
                stream_id, after_version=version - 1, to_version=version), info.stream_type)
            event = store.read_stream(stream_id, from_version=version, to_version=version)[0]
        state = loaded.aggregate.state() if version else {}
        return AggregateAt(stream_id, info.stream_type, version, state, previous,
                           diff(previous, state) if version else [], event,
                           tuple(loaded.notes), bool(getattr(loaded.aggregate, "generic", False)))

    def read_model_at(self, name: str, position: int, limit: int = 40,
                      offset: int = 0) -> ReadModelAt:
        """A read model's rows as of `position`: the `limit` changed most recently, after the
        first `offset` of them (to show more, a page at a time)."""
        projection = self.projections.get(name)
        if projection is None:
            known = ", ".join(self.projections) or "none without a system"
            raise ValueError(f"{self.system.label} has no read model {name!r}; its read models "
                             f"are: {known}.")
        rows, built = (self.history.rows(projection.main_table, name, position, limit + 1, offset)
                       if self.history is not None else ([], 0))
        return ReadModelAt(name, projection.title, rows[:limit], position, built,
                           len(rows) > limit)

    def sagas_at(self, position: int, limit: int = 40) -> ReadModelAt | None:
        """The saga instances as of `position` (a read model like the others: the system's
        first saga's); None for a system without sagas."""
        if not self.saga_read_models:
            return None
        return self.read_model_at(self.saga_read_models[0], position, limit)

    def saga_at(self, saga_id: str, position: int,
                saga_type: type[ProcessManager] | None = None) -> SagaAt:
        """A saga as of a position: its status and steps from events up to it alone (as its
        row in the sagas read model as of it has them). `saga_type`: which of the system's
        sagas it is, if known (else found from the stream's type)."""
        saga_type = saga_type or self._saga_type(saga_id)
        saga = self.repository.load(saga_type, saga_id, at_position=position).aggregate
        if not saga.exists:
            raise StreamNotFoundError(saga_id, not_yet=True)
        return SagaAt(saga_id, saga.status, saga.reason,
                      step_views(self.store, saga, up_to=position))

    def _saga_type(self, saga_id: str) -> type[ProcessManager]:
        """Which of the system's sagas a saga id is one of."""
        sagas = self.system.sagas
        if len(sagas) == 1:
            return sagas[0]  # no need to look the stream up
        saga_type = self.system.saga_owning(self.store.stream_info(saga_id).stream_type)
        if saga_type is None:
            raise StreamNotFoundError(saga_id)  # not a saga of this system
        return saga_type

    def _saga_of(self, event: RecordedEvent) -> tuple[str, type[ProcessManager]] | None:
        """The saga (its id and type) an event belongs to or concerns, if any: an event of a
        saga's own stream is that saga's, whether or not its data names what the saga follows
        (most of its events name only the step)."""
        owner = self.system.saga_owning(event.stream_type)
        if owner is not None:
            return event.stream_id, owner
        for saga_type in self.system.sagas:
            saga_id = saga_type.saga_id_for(event)
            if saga_id is not None:
                return saga_id, saga_type
        return None

    def moment(self, position: int, *, stream_id: str | None = None,
               saga_id: str | None = None, rows: int = 40,
               read_models: tuple[str, ...] | None = None) -> Moment:
        """All of it at once. Without a stream, the aggregate is that of the event at P (none
        where the log has no event at P: a gap in the ids of a library's log)."""
        position = max(0, min(position, self.store.last_position()))
        event = None
        # a gap in a log not ours (eventsourcing's ids) has no event to show: the system as
        # of it is as of the event before it
        with contextlib.suppress(EventNotFoundError):
            event = self.store.event_at(position) if position else None
        target = stream_id or (event.stream_id if event is not None else None)
        aggregate = None
        if target is not None:
            try:
                aggregate = self.aggregate_at(target, position)
            except (StreamNotFoundError, ValueError):
                aggregate = None
        names = read_models if read_models is not None else tuple(
            n for n in self.projections if n not in self.saga_read_models)
        models = {name: self.read_model_at(name, position, rows) for name in names}
        saga = None
        saga_type = None
        if saga_id is None and event is not None:
            saga_id, saga_type = self._saga_of(event) or (None, None)
        if saga_id is not None and self.system.sagas:
            try:
                saga = self.saga_at(saga_id, position, saga_type)
            except StreamNotFoundError:
                saga = None
        return Moment(position, event, aggregate, models, self.sagas_at(position, rows), saga)

    def samples(self, after: TimelineSamples | None = None, *,
                weight: int | None = None) -> TimelineSamples:
        """The runner's counts of the log by bucket (`counted`) once there are any; until
        then, samples of a log of up to MAX_SAMPLES events (all of them), or none of a longer
        one (sampling it takes seconds: the counts come sooner), said `counting`.

        With a weight, samples of the whole log, or `after` extended with what was appended
        since (the weight is chosen for at most MAX_SAMPLES samples unless given).
        """
        last = self.store.last_position()
        if weight is None:
            counted = self.counted()
            if counted is not None:
                return counted
            if after is None or after.counting or after.counts is not None:
                if last > MAX_SAMPLES:
                    return TimelineSamples(array("q"), array("q"), array("b"), (), 1,
                                           counting=True)
                after = None
        if after is None:
            weight, start = weight or max(1, -(-last // MAX_SAMPLES)), 1
        else:
            if last <= after.last_position:
                return after
            weight = after.weight
            start = 1 + ((after.last_position - 1) // weight + 1) * weight  # next on the grid
        positions, timestamps, codes = array("q"), array("q"), array("b")
        types: list[str] = []
        for position, timestamp, stream_type in self.store.sample_events(start, weight, last):
            if stream_type not in types:
                types.append(stream_type)
            positions.append(position)
            timestamps.append(timestamp)
            codes.append(types.index(stream_type))
        found = TimelineSamples(positions, timestamps, codes, tuple(types), weight)
        return found if after is None else after.extended(found)

    def counted(self) -> TimelineSamples | None:
        """The runner's counts of the log by bucket as samples (see TimelineSamples), or None
        before it has counted anything."""
        local = None if self.readmodels is None else self.readmodels.local()
        if local is None:
            return None
        counts = TimelineCounts(local)
        buckets = counts.buckets()
        if not buckets.events:
            return None
        positions, timestamps = array("q", buckets.first_positions), buckets.first_timestamps
        codes, events = array("b", buckets.type_codes), array("q", buckets.events)
        for position, timestamp, stream_type in self.store.event_times(
                buckets.checkpoint - 1, 1):  # the last event counted
            if position > positions[-1]:
                positions.append(position)
                timestamps.append(timestamp)
                codes.append(buckets.types.index(stream_type)
                             if stream_type in buckets.types else 0)
                events.append(0)
        return TimelineSamples(positions, timestamps, codes, buckets.types, 1, events,
                               buckets.width_us,
                               counting=buckets.checkpoint < self.store.last_position())

    def step(self, position: int, count: int, stream_id: str | None = None) -> int:
        """The position `count` events after (or, if negative, before) `position`.

        Within a stream, its events only. Clamped to the log (or the stream): never past its
        first or last event.
        """
        if stream_id is None:
            last = self.store.last_position()
            return max(min(1, last), min(last, position + count))
        found = self.store.step_in_stream(stream_id, position, count)
        return position if found is None else found

    def play_time(self, position: int, play_us: int, stream_id: str | None = None,
                  max_gap_us: int | None = None) -> tuple[int, int]:
        """Real-time playback: the last event (of the stream) at or before the playback clock.

        Returns that position and the clock, moved forward to the next event when nothing happens
        for longer than `max_gap_us` (so a quiet night is skipped, not waited through).
        """
        target = max(position, self.store.position_at_time(play_us, stream_id))
        if max_gap_us is not None:
            after = self.store.next_event(target, stream_id)
            if after is not None and after[1] - play_us > max_gap_us:
                play_us = after[1] - max_gap_us // 4  # arrive shortly before it
        return target, play_us

    def stream_marks(self, stream_id: str, limit: int = MAX_MARKS) -> tuple[array[int], array[int]]:
        """Positions and times of a stream's events, for marks on the timeline: all of them,
        or, for a stream with more than `limit`, every n-th (its first and last included)."""
        return self.store.stream_marks(stream_id, limit)


def parse_place(text: str) -> tuple[str, int]:
    """A place on the timeline typed by a user: ("position", n) or ("time", microseconds).

    A whole number (commas and a leading # allowed) is a position; anything else must be an
    ISO 8601 date or date-time (UTC unless a zone is given). Raises ValueError saying which
    forms are understood.
    """
    cleaned = text.strip().lstrip("#").replace(",", "").replace("_", "")
    if not cleaned:
        raise ValueError("Type a position (e.g. 12345) or a date and time "
                         "(e.g. 2026-03-19 10:15:30).")
    if cleaned.isdecimal():
        if len(cleaned) > len(str(MAX_INTEGER)) or int(cleaned) > MAX_INTEGER:
            shown = cleaned if len(cleaned) <= 30 else cleaned[:30] + "…"
            raise ValueError(f"{shown} is beyond the last possible position "
                             f"({MAX_INTEGER:,}); type a position in the store.")
        return "position", int(cleaned)
    typed = text.strip()
    shown = repr(typed if len(typed) <= 40 else typed[:40] + "…")
    if cleaned.startswith("-") and cleaned[1:].isdecimal():
        raise ValueError(f"{shown} is not a position: positions start at 1.")
    try:
        return "time", parse_time(typed)
    except ValueError:
        pass
    why = ""
    if typed[:4].isdecimal() and typed[4:5] == "-":  # a date, but not a real one: say what is off
        from datetime import datetime  # only here: the module otherwise works in microseconds
        try:
            datetime.fromisoformat(typed.replace("Z", "+00:00"))
        except ValueError as error:
            why = f" ({error})"
    raise ValueError(f"{shown} is neither a position nor a valid date{why}; type e.g. 12345 "
                     "or 2026-03-19 10:15:30 (UTC).")
