"""Process managers (sagas): event-sourced aggregates whose inputs are events, not commands.

A saga observes events, records what it learnt in its own stream, and schedules steps: commands
to other aggregates. Every step has a command id derived from the saga and the step's name, so
dispatching it again (after a crash, or by a second runner) finds its events already stored and
never repeats it: no double reservation, no double charge.

Every saga event carries `source_event_id` (what it observed, so a redelivered event is
ignored), `at` (when that happened), and may carry `schedule` (new steps), `outcomes` (steps now
done or failed), `status` and `reason`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from explorer.domain.aggregate import Aggregate, applies
from explorer.store.ids import derived_id

FORWARD = "forward"
COMPENSATION = "compensation"
SCHEDULED = "scheduled"  # a step's status until its outcome is known


class Observed(Protocol):
    """What a saga needs of an event: recorded events and events about to be stored both have
    it. A saga only reads it."""

    @property
    def event_id(self) -> str | None: ...

    @property
    def event_type(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def timestamp_us(self) -> int | None: ...

    @property
    def metadata(self) -> dict[str, Any]:
        """correlation_id, causation_id, command_id, issued_by (what the event has of them)."""


@dataclass(frozen=True)
class StepCause:
    """What a saga's reaction to one of its own steps (refused, or found done) is recorded as
    caused by: an Observed that no event of the log is."""

    event_id: str
    event_type: str
    timestamp_us: int | None
    data: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def refused_cause(saga_id: str, step: str) -> str:
    """What a saga's reaction to its step's refused command is caused by (the refusal is no
    event: its causation id, and what the saga records having handled)."""
    return f"{saga_id}/refused/{step}"


def settled_cause(saga_id: str, step: str) -> str:
    """What a saga's reaction to its step found already done is caused by (see refused_cause)."""
    return f"{saga_id}/settled/{step}"


class ProcessManager(Aggregate, abc.ABC):
    """Base class of sagas. Subclasses set `stream_type`, `observes` and `name`, and implement
    `saga_id_for(event)` and `observe(event)` (and `rejected` for refused steps)."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""  # how people call it, e.g. "order fulfilment"
    stream_prefix: ClassVar[str] = ""  # its instances' stream ids start so
    observes: ClassVar[frozenset[str]] = frozenset()
    snapshot_every = 0

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.status = "new"
        self.reason: str | None = None
        self.correlation_id: str | None = None
        self.steps: dict[str, dict[str, Any]] = {}
        self.handled: list[str] = []

    @classmethod
    def issuer(cls) -> str:
        """Who the saga's events and its steps' commands are issued by (their metadata)."""
        return f"saga:{cls.name}"

    @classmethod
    @abc.abstractmethod
    def saga_id_for(cls, event: Observed) -> str | None:
        """The id of the saga instance an event belongs to, or None if it concerns none."""

    @abc.abstractmethod
    def observe(self, event: Observed) -> None:
        """Learn from an event: record saga events, scheduling steps as needed."""

    @abc.abstractmethod
    def rejected(self, step: str, reason: str, at: int) -> None:
        """A step's command was refused (a business rule said no)."""

    def already_done(self, step: str, reason: str, at: int) -> None:
        """A step's command found its purpose already achieved: the step counts as done."""
        info = self.steps.get(step)
        if info is None or info["status"] != "scheduled":
            return
        self._record("StepSettled", source_event_id=settled_cause(self.id, step), at=at,
                     step=step, outcomes=[{"step": step, "status": "done", "at": at,
                                           "reason": reason}])

    @applies("StepSettled")
    def _step_settled(self, data: dict[str, Any]) -> None:
        """A step was found already done (e.g. cancelling an order someone had cancelled)."""
        self.apply_saga_event(data)

    # -- helpers for subclasses ------------------------------------------------------------

    def step(self, name: str, kind: str, stream_type: str, stream_id: str, command: str,
             data: dict[str, Any], source: Observed) -> dict[str, Any]:
        """A step description for `schedule` (the command id is derived, so stable)."""
        millis = source.timestamp_us // 1000 if source.timestamp_us else None
        return {"step": name, "kind": kind, "stream_type": stream_type, "stream_id": stream_id,
                "command": command, "data": data,
                "command_id": derived_id(self.id, name, millis),
                "source_event_id": source.event_id, "scheduled_at": source.timestamp_us}

    def has_handled(self, event: Observed) -> bool:
        return event.event_id in self.handled

    def pending_steps(self) -> list[dict[str, Any]]:
        """Scheduled steps whose outcome is not known yet, in the order they were scheduled."""
        return [step for step in self.steps.values() if step["status"] == SCHEDULED]

    def apply_saga_event(self, data: dict[str, Any]) -> None:
        """What every saga event does to the state (subclass handlers call it)."""
        source = data.get("source_event_id")
        if source:
            self.handled.append(source)
        record_in(self, data)


class StepRecord(Protocol):
    """What a saga's events are folded into: its steps by name (in the order scheduled), its
    status and the reason for it. A saga is one; so is a saga's row in a read model."""

    steps: dict[str, dict[str, Any]]
    status: str
    reason: str | None


def record_in(record: StepRecord, data: dict[str, Any]) -> None:
    """What a saga event's `schedule`, `outcomes`, `status` and `reason` do to its step table:
    the one fold that both the saga and every view of its progress apply."""
    for step in data.get("schedule", ()):
        record.steps[step["step"]] = {**step, "status": SCHEDULED, "outcome_event_id": None,
                                      "outcome_at": None, "reason": None}
    for outcome in data.get("outcomes", ()):
        step = record.steps.get(outcome["step"])
        if step is not None:
            step.update(status=outcome["status"], outcome_event_id=outcome.get("event_id"),
                        outcome_at=outcome.get("at"), reason=outcome.get("reason"))
    if "status" in data:
        record.status = data["status"]
    if data.get("reason"):
        record.reason = data["reason"]
