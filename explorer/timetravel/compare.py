"""Comparing two moments: what changed between positions A and B, for the window and the CLI.

The streams that got events (by stream type and event type, with counts, from the store's
indexes), for each read model the rows added, changed (before, after, which fields) and removed
(from its row versions), and the sagas whose status changed. The summary holds the counts and
the first rows; the rest comes a page at a time (`streams`, `rows`, `sagas`), and one stream's
aggregate diff from A to B on demand (`stream`). Plain values, read-only: a worker thread with
its own store and read-model connections can call it.

A is before B: a later A is refused, never swapped (a reversed comparison would read as the
opposite change). B defaults to the last position ("from the cursor to live").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from explorer.domain import Repository
from explorer.projections import ReadModelDatabase
from explorer.projections.changes import KINDS, ChangeCounts, ReadModelChanges, RowChange
from explorer.projections.engine import Projection, projection_state_of
from explorer.projections.history import ReadModelHistory
from explorer.sagas.instances import SagaInstancesProjection
from explorer.store.activity import StreamActivity, StreamTypeActivity
from explorer.store.event_store import EventStore
from explorer.system import System
from explorer.timetravel.machine import FieldChange, diff

FIRST_ROWS = 10
"""Rows of each read model (and sagas) the summary lists; the rest are asked for by page."""


@dataclass(frozen=True)
class ReadModelComparison:
    """One read model between two positions: counts, the first rows that differ, and how far
    it was built (rows of positions after `built_to` are not in it yet)."""

    name: str
    title: str
    counts: ChangeCounts
    rows: list[RowChange]
    built_to: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "added": self.counts.added,
                "changed": self.counts.changed, "removed": self.counts.removed,
                "built_to": self.built_to, "rows": [r.to_dict() for r in self.rows]}


@dataclass(frozen=True)
class SagaChange:
    """A saga whose status differs between two positions (None where it did not exist)."""

    saga_id: str
    saga: str  # the read model listing it
    before: str | None
    after: str | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"saga_id": self.saga_id, "saga": self.saga, "before": self.before,
                "after": self.after, "reason": self.reason}


@dataclass(frozen=True)
class StreamComparison:
    """One aggregate at A and at B, and the fields that differ."""

    stream_id: str
    stream_type: str
    version_before: int
    version_after: int
    before: dict[str, Any]
    after: dict[str, Any]
    changes: list[FieldChange]
    generic: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"stream_id": self.stream_id, "stream_type": self.stream_type,
                "version_before": self.version_before, "version_after": self.version_after,
                "generic": self.generic, "before": self.before, "after": self.after,
                "changes": [{"path": c.path, "kind": c.kind, "before": c.before,
                             "after": c.after} for c in self.changes]}


@dataclass(frozen=True)
class Comparison:
    """What changed from position `before` to `after` (the summary: counts, first rows)."""

    before: int
    after: int
    last_position: int
    events: int
    streams: int
    stream_types: list[StreamTypeActivity]
    read_models: list[ReadModelComparison] = field(default_factory=list)
    saga_changes: int = 0
    sagas: list[SagaChange] = field(default_factory=list)
    sagas_built_to: int | None = None
    """How far the sagas' read models are built (the least of them; None: no sagas): status
    changes after it are not in them yet."""

    @property
    def short(self) -> list[tuple[str, int]]:
        """The read models (and "sagas") built short of `after`, with how far: a comparison
        that misses what happened after that."""
        found = [(m.name, m.built_to) for m in self.read_models if m.built_to < self.after]
        if self.sagas_built_to is not None and self.sagas_built_to < self.after:
            found.append(("sagas", self.sagas_built_to))
        return found

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready values (what `diff --json` prints and the window
        exports)."""
        return {"from": self.before, "to": self.after, "last_position": self.last_position,
                "events": self.events, "streams": self.streams,
                "stream_types": [t.to_dict() for t in self.stream_types],
                "read_models": [m.to_dict() for m in self.read_models],
                "saga_changes": self.saga_changes, "sagas": [s.to_dict() for s in self.sagas],
                "sagas_built_to": self.sagas_built_to}


class Comparer:
    """Compares two moments of a store and its read models, with the system's aggregates,
    projections and sagas (without a system: the streams, their generic fold, no read
    models)."""

    def __init__(self, store: EventStore, readmodels: ReadModelDatabase | None,
                 system: System) -> None:
        self.store = store
        self.readmodels = readmodels
        self.system = system
        self.repository = Repository(store, system.domain)
        projections = system.projections()
        self.saga_models = [p for p in projections if isinstance(p, SagaInstancesProjection)]
        self.models = [p for p in projections if not isinstance(p, SagaInstancesProjection)]
        self.changes = (ReadModelChanges(ReadModelHistory(readmodels))
                        if readmodels is not None else None)

    def positions(self, before: int, after: int | None = None) -> tuple[int, int]:
        """The two positions checked: 0 <= before <= after <= the last position; `after`
        None is the last position (live)."""
        last = self.store.last_position()
        after = last if after is None else after
        for name, position in (("from", before), ("to", after)):
            if not 0 <= position <= last:
                raise ValueError(f"Position {position:,} (--{name}) is outside the log, which "
                                 f"runs from 0 to {last:,}: give a position in it.")
        if before > after:
            raise ValueError(f"The first position {before:,} is after the second {after:,}: "
                             "compare an earlier moment with a later one (--from before --to).")
        return before, after

    def summary(self, before: int, after: int | None = None,
                rows: int = FIRST_ROWS) -> Comparison:
        """Counts of everything that changed, and the first `rows` of each list."""
        before, after = self.positions(before, after)
        types = self.store.activity_by_type(before, after)
        models = [self._read_model(p, before, after, rows) for p in self.models]
        saga_changes = 0
        sagas: list[SagaChange] = []
        sagas_built_to = None
        if self.changes is not None and self.readmodels is not None:  # each saga read model's
            for projection in self.saga_models:  # count and first rows at once
                built_to = projection_state_of(self.readmodels, projection.name)
                sagas_built_to = built_to if sagas_built_to is None else min(sagas_built_to,
                                                                             built_to)
                counts, changed = self.changes.summary(projection.main_table, before, after,
                                                       rows, watched=("status",))
                saga_changes += counts.total
                sagas.extend(_saga_change(projection.name, change) for change in changed)
        return Comparison(before, after, self.store.last_position(),
                          sum(t.events for t in types), sum(t.streams for t in types), types,
                          models, saga_changes, sagas[:rows], sagas_built_to)

    def streams(self, before: int, after: int, *, stream_type: str | None = None,
                after_stream: str | None = None, limit: int | None = 100
                ) -> list[StreamActivity]:
        """The streams that got events, in id order, a page at a time (after `after_stream`)."""
        before, after = self.positions(before, after)
        return self.store.active_streams(before, after, stream_type=stream_type,
                                         after_stream=after_stream, limit=limit)

    def stream(self, stream_id: str, before: int, after: int) -> StreamComparison:
        """A stream's aggregate at both positions and the fields that differ (an aggregate
        that did not exist yet is {} at version 0)."""
        before, after = self.positions(before, after)
        info = self.store.stream_info(stream_id)
        states = []
        generic = False
        for position in (before, after):
            loaded = self.repository.load(info.stream_type, stream_id, at_position=position)
            states.append((loaded.version, loaded.aggregate.state() if loaded.version else {}))
            generic = generic or bool(getattr(loaded.aggregate, "generic", False))
        (old_version, old), (new_version, new) = states
        return StreamComparison(stream_id, info.stream_type, old_version, new_version, old, new,
                                diff(old, new), generic)

    def rows(self, name: str, before: int, after: int, *, offset: int = 0,
             limit: int | None = 100, kinds: Sequence[str] = KINDS) -> list[RowChange]:
        """A read model's rows that differ, in key order, a page at a time."""
        before, after = self.positions(before, after)
        projection = self._projection(name)
        if self.changes is None:
            return []
        return self.changes.rows(projection.main_table, before, after, offset=offset,
                                 limit=limit, kinds=kinds)

    def sagas(self, before: int, after: int, *, offset: int = 0,
              limit: int | None = 100) -> list[SagaChange]:
        """The sagas whose status differs, saga by saga read model, in id order."""
        before, after = self.positions(before, after)
        if self.changes is None:
            return []
        found: list[SagaChange] = []
        for projection in self.saga_models:
            wanted = None if limit is None else offset + limit - len(found)
            found.extend(_saga_change(projection.name, change) for change in self.changes.rows(
                projection.main_table, before, after, limit=wanted, watched=("status",)))
        return found[offset:None if limit is None else offset + limit]

    def _read_model(self, projection: Projection, before: int, after: int,
                    rows: int) -> ReadModelComparison:
        if self.changes is None or self.readmodels is None:
            return ReadModelComparison(projection.name, projection.title, ChangeCounts(), [], 0)
        counts, changed = self.changes.summary(projection.main_table, before, after, rows)
        return ReadModelComparison(projection.name, projection.title, counts, changed,
                                   projection_state_of(self.readmodels, projection.name))

    def _projection(self, name: str) -> Projection:
        for projection in self.models + list(self.saga_models):
            if projection.name == name:
                return projection
        known = ", ".join(p.name for p in self.models) or "none without a system"
        raise ValueError(f"{self.system.label} has no read model {name!r}; its read models are: "
                         f"{known}.")


def _saga_change(saga: str, change: RowChange) -> SagaChange:
    """A saga instances row that differs, as the saga whose status changed."""
    old, new = change.before or {}, change.after or {}
    return SagaChange(str(change.key["saga_id"]), saga, old.get("status"), new.get("status"),
                      new.get("reason") if change.after else old.get("reason"))
