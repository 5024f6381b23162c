"""Find when: the positions at which a condition on state switched, from history alone.

A developer debugging a system asks "when did this go wrong?": when did `state.on_hand < 0`
first hold on an Inventory stream, when did an `order_summary` row get `total > 500 and
status = "paid"`, when did a saga enter `compensating`. The answer is every switch of the
condition (false to true, true to false) with its position and the event that made it; the
first, the next after a position and the previous before it are views of that list.

It comes from history, never from replaying the world at each position:
- a stream (TARGET a stream id): its own events, folded once (from a snapshot when starting
  after a position) with the condition evaluated after each (explorer.timetravel.conditions);
  the condition does not hold before the stream's first event;
- a read model (TARGET its name) or the sagas (TARGET `sagas`: the system's first saga's
  instances, whose rows hold each saga's status and steps): the row versions, in SQL
  (explorer.projections.switches), or from them in memory once a read model at rest is
  searched again (explorer.timetravel.row_arrays); a switch is one row's, named by its key.

Bounded for the window's worker thread: conditions are the content filter's (its limits
apply); a stream is read MAX_CHUNK events at a time; at most MAX_SWITCHES switches are kept
(`truncated` says so); `progress(done, total)` is called between chunks (of a stream's events,
or of a read model's versions read into memory) and may raise
explorer.common.cancel.Cancelled. Results are plain values.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, overload

from explorer.domain.generic import GENERIC_LABEL
from explorer.domain.repository import LoadedAggregate
from explorer.projections.engine import projection_state_of
from explorer.projections.switches import OrderedSwitch, has_table, ordered_row_switches
from explorer.store.content_filter import ContentFilter, FilterError, parse_filter
from explorer.store.decoding import decode_json_object
from explorer.store.errors import EventNotFoundError, StreamNotFoundError
from explorer.store.records import RecordedEvent
from explorer.timetravel.conditions import (
    STATE_ROOT,
    column_affinities,
    condition_warnings,
    parse_state_condition,
    predicate,
    row_fields,
    state_roots,
)
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.row_arrays import Progress, row_arrays

MAX_CHUNK = 2_000
MAX_SWITCHES = 100_000
SAGAS = "sagas"
TYPE_SAMPLE_ROWS = 50
"""A read model's newest rows, for the types its columns hold (FindWhen.type_warnings)."""


class TargetError(ValueError):
    """What to search names nothing searchable; the message says what can be searched."""


class UnknownFieldError(ValueError):
    """The condition names a state field the aggregate never has; the message lists those it
    has."""


@dataclass(frozen=True)
class Switch:
    """Where the condition switched: it `became` true (or false) at `position`, for `subject`
    (the stream, or the read model row's key, or the saga), by the event at that position."""

    position: int
    became: bool
    subject: str
    event_type: str | None = None
    stream_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "became": self.became, "subject": self.subject,
                "event_type": self.event_type, "stream_id": self.stream_id}


class RowSwitchList(Sequence[Switch]):
    """A read model's switches as found (position, key values, became), in position order: a
    Switch is made for the one asked for (a hundred thousand of them, made at once, would
    take longer than finding them). Kept as columns, not a tuple a switch: a hundred thousand
    tuples made on a worker are walked by the window's next young collection, on the GUI
    thread (~45 ms; explorer.ui.gui_collector). Equal to any sequence of the same Switches."""

    def __init__(self, found: Sequence[OrderedSwitch]) -> None:
        self._keep([position for position, _, _ in found], [key for _, key, _ in found],
                   [became for _, _, became in found])

    @classmethod
    def of_columns(cls, positions: list[int], keys: Sequence[tuple[Any, ...]],
                   became: Sequence[bool]) -> RowSwitchList:
        """The switches from their columns: positions, key values (a sequence that may make
        each when asked) and ways, in position order."""
        switches = cls.__new__(cls)
        switches._keep(positions, keys, became)
        return switches

    def _keep(self, positions: list[int], keys: Sequence[tuple[Any, ...]],
              became: Sequence[bool]) -> None:
        self.positions = positions
        self.keys = keys
        self.became = became
        """Each switch's way, in order."""

    def __len__(self) -> int:
        return len(self.positions)

    def kept(self, count: int) -> RowSwitchList:
        """The first `count` switches."""
        return RowSwitchList.of_columns(self.positions[:count], self.keys[:count],
                                        self.became[:count])

    @overload
    def __getitem__(self, index: int) -> Switch: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Switch, ...]: ...

    def __getitem__(self, index: int | slice) -> Switch | tuple[Switch, ...]:
        if isinstance(index, slice):
            return tuple(map(self._switch, range(len(self))[index]))
        return self._switch(range(len(self))[index])

    def _switch(self, index: int) -> Switch:
        key = self.keys[index]
        return Switch(self.positions[index], self.became[index], "/".join(map(str, key)))

    def __iter__(self) -> Iterator[Switch]:
        return map(self._switch, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                          strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"RowSwitchList({len(self):,} switches)"


@dataclass(frozen=True)
class Switches:
    """Every switch of a condition on a target after position `after`, in position order."""

    target: str
    kind: str  # "stream", "read model" or "sagas"
    condition: str
    after: int
    switches: Sequence[Switch]
    """A tuple of Switches for a stream, a RowSwitchList for rows (made when asked)."""
    truncated: bool = False
    """More than MAX_SWITCHES: the list stops at the last one kept."""
    built_to: int | None = None
    """A read model's checkpoint: its rows say nothing of positions after it yet."""
    notes: tuple[str, ...] = field(default=())

    @cached_property
    def positions(self) -> list[int]:
        if isinstance(self.switches, RowSwitchList):
            return self.switches.positions
        return [switch.position for switch in self.switches]

    @cached_property
    def became(self) -> Sequence[bool]:
        """Each switch's way, in order (without making a read model's Switches)."""
        if isinstance(self.switches, RowSwitchList):
            return self.switches.became
        return [switch.became for switch in self.switches]

    def first(self, became: bool | None = True) -> Switch | None:
        """The first switch (to true, by default)."""
        return self.next_after(self.after, became)

    def next_after(self, position: int, became: bool | None = None) -> Switch | None:
        """The first switch after `position` (to true or false only, if `became` says so)."""
        switches = self.switches
        for index in range(bisect_right(self.positions, position), len(switches)):
            switch = switches[index]
            if became in (None, switch.became):
                return switch
        return None

    def previous_before(self, position: int, became: bool | None = None) -> Switch | None:
        """The last switch before `position`."""
        switches = self.switches
        for index in range(bisect_left(self.positions, position) - 1, -1, -1):
            switch = switches[index]
            if became in (None, switch.became):
                return switch
        return None


class FindWhen:
    """Find-when over one store, its read models and its system (through a TimeMachine)."""

    def __init__(self, machine: TimeMachine) -> None:
        self.machine = machine
        self.store = machine.store

    def kind_of(self, target: str) -> str:
        """What `target` names: "sagas", "read model" or "stream"; TargetError if nothing."""
        machine = self.machine
        if target == SAGAS:
            if not machine.saga_read_models:
                raise TargetError(f"{machine.system.label} has no sagas to search; name a "
                                  "stream id or a read model instead.")
            return SAGAS
        if target in machine.projections:
            return "read model"
        try:
            self.store.stream_info(target)
        except StreamNotFoundError:
            models = ", ".join(machine.projections) or "none without a system"
            raise TargetError(
                f"{target!r} is not a stream of this store, nor one of its read models "
                f"({models}), nor `sagas`; name one of those (`streams` lists the streams)."
            ) from None
        return "stream"

    def parse(self, target: str, condition: str) -> ContentFilter:
        """The condition as it reads for `target`: state.… for a stream, the columns of a read
        model's rows. FilterError says what is wrong and where."""
        kind = self.kind_of(target)
        if kind == "stream":
            return parse_state_condition(condition)
        return parse_filter(condition, row_fields(self._table(target)))

    def switches(self, target: str, condition: str, *, after: int = 0,
                 first_only: bool = False, progress: Progress | None = None) -> Switches:
        """Every switch of `condition` on `target` after position `after`; with `first_only`,
        only the first switch to true (the search stops there)."""
        kind = self.kind_of(target)
        parsed = self.parse(target, condition)
        if kind == "stream":
            return self._stream_switches(target, parsed, after, first_only, progress)
        return self._row_switches(target, kind, parsed, after, first_only, progress)

    def type_warnings(self, target: str, condition: str) -> tuple[str, ...]:
        """Comparisons of the condition with a value of another type than its field holds
        (`state.total > "50"` on a number never holds), in the target's state at the end of
        the log (a stream's) or its newest rows (a read model's): said beside the answer."""
        machine = self.machine
        parsed = self.parse(target, condition)
        last = machine.store.last_position()
        if self.kind_of(target) == "stream":
            return tuple(condition_warnings(parsed, [machine.aggregate_at(target, last).state]))
        name = self.read_model_name(target)
        rows = machine.read_model_at(name, last, limit=TYPE_SAMPLE_ROWS).rows
        return tuple(condition_warnings(parsed, rows, root=None,
                                        affinities=column_affinities(self._table(target))))

    def with_events(self, switches: Sequence[Switch]) -> list[Switch]:
        """The switches with the events that made them (a read model's switches name only
        their position): one read each, so for the switches to be shown."""
        described = []
        for switch in switches:
            if switch.event_type is None:
                try:
                    event = self.store.event_at(switch.position)
                except EventNotFoundError:
                    described.append(switch)
                    continue
                switch = Switch(switch.position, switch.became, switch.subject,
                                event.event_type, event.stream_id)
            described.append(switch)
        return described

    # -- read models and sagas ---------------------------------------------------------------

    def read_model_name(self, target: str) -> str:
        """The read model a read-model target (or `sagas`) searches."""
        return self.machine.saga_read_models[0] if target == SAGAS else target

    def _table(self, target: str) -> Any:
        return self.machine.projections[self.read_model_name(target)].main_table

    def _row_switches(self, target: str, kind: str, condition: ContentFilter, after: int,
                      first_only: bool, progress: Progress | None) -> Switches:
        readmodels = self.machine.readmodels
        name = self.read_model_name(target)
        if readmodels is None:
            return Switches(target, kind, condition.text, after, (), built_to=0,
                            notes=(f"The read models are not built: {name} has no rows yet.",))
        table = self._table(target)
        if not has_table(readmodels, table):
            return Switches(target, kind, condition.text, after, (), built_to=0,
                            notes=(f"{name} has not been built yet.",))
        limit = 1 if first_only else MAX_SWITCHES + 1
        checkpoint = projection_state_of(readmodels, name)
        arrays = row_arrays(readmodels, table, checkpoint, condition.tree, progress)
        if arrays is not None:
            found = RowSwitchList.of_columns(*arrays.switch_columns(
                condition.tree, after, first_only=first_only, limit=limit))
        else:
            found = RowSwitchList(ordered_row_switches(readmodels, table, condition.tree, after,
                                                       first_only=first_only, limit=limit))
            checkpoint = projection_state_of(readmodels, name)
        truncated = len(found) > MAX_SWITCHES
        return Switches(target, kind, condition.text, after,
                        found.kept(MAX_SWITCHES) if truncated else found, truncated, checkpoint)

    # -- streams ---------------------------------------------------------------------------------

    def _stream_switches(self, stream_id: str, condition: ContentFilter, after: int,
                         first_only: bool, progress: Progress | None) -> Switches:
        store = self.store
        info = store.stream_info(stream_id)
        machine = self.machine
        cls = machine.domain.reading_class(info.stream_type)
        known = set(cls(stream_id).state())
        holds = predicate(condition, STATE_ROOT)
        notes: list[str] = []
        repository = machine.repository
        if after > 0:
            loaded = repository.load(info.stream_type, stream_id, at_position=after)
            notes.extend(loaded.notes)
            loaded.notes = notes  # events skipped from here on are said there too
        else:
            loaded = LoadedAggregate(cls(stream_id), notes=notes)
        aggregate = loaded.aggregate
        version = aggregate.version
        if getattr(aggregate, "generic", False):
            notes.append(f"{info.stream_type}: {GENERIC_LABEL}.")
        now = version > 0 and holds(aggregate.state())
        found: list[Switch] = []
        truncated = done = False
        total = info.version
        while version < total and not done:
            if progress is not None:
                progress(version, total)
            chunk = store.replay_rows_positioned(stream_id, after_version=version,
                                                 to_version=version + MAX_CHUNK)
            if not chunk:
                break
            for row in repository.replay_each(loaded, chunk, info.stream_type):
                then, now = now, holds(aggregate.state())
                if now == then or (first_only and not now):
                    continue
                if len(found) == MAX_SWITCHES:
                    truncated = done = True
                    break
                found.append(Switch(row[5], now, stream_id, row[1], stream_id))
                if first_only and now:
                    done = True
                    break
            version = chunk[-1][0]
        if not found and not done:
            self._check_fields(condition, known | set(aggregate.state()), info.stream_type)
        return Switches(stream_id, "stream", condition.text, after, tuple(found), truncated,
                        notes=tuple(notes))

    def _data_of(self, event: RecordedEvent, generic: bool, notes: list[str],
                 ) -> dict[str, Any] | None:
        """An event's data as the aggregate is folded with it (as Repository loading does):
        an event that cannot be read is skipped, and said so; the generic fold takes an event
        of a type the system does not know as stored. (explorer.timetravel.watch folds its
        events with it.)"""
        if not event.is_raw:
            return event.data
        registry = self.store.decoder.registry
        if generic and registry is not None and event.event_type not in registry:
            decoded, problem = decode_json_object(event.raw_data)
            if not problem:
                return decoded
        notes.append(f"Version {event.version} ({event.event_type}) was skipped: "
                     f"{event.problem}.")
        return None

    @staticmethod
    def _check_fields(condition: ContentFilter, known: set[str], stream_type: str) -> None:
        """Refuse a condition naming a state field the aggregate never had: it could never
        hold, and is most likely mistyped."""
        unknown = [root for root in state_roots(condition) if root not in known]
        if unknown:
            fields = ", ".join(f"state.{name}" for name in sorted(known)) or "none"
            raise UnknownFieldError(
                f"{stream_type} has no field state.{unknown[0]}: its state's fields are "
                f"{fields}. Name one of them.")


__all__ = ["FilterError", "FindWhen", "RowSwitchList", "Switch", "Switches", "TargetError",
           "UnknownFieldError"]
