"""What each step of a saga instance did: for the step view of the window and the CLI.

A step's outcome is what the saga recorded, or else what its command's first event (found by its
derived id) says of it (see explorer.sagas.progress, which the sagas read model follows too).
Bounded by a position, only events up to it count: the steps as they stood then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explorer.sagas.process import SCHEDULED, ProcessManager
from explorer.sagas.progress import DISPLAY, UNCONFIRMED, command_stored, first_event_id
from explorer.store.errors import EventNotFoundError
from explorer.store.event_store import EventStore
from explorer.store.records import RecordedEvent


@dataclass(frozen=True)
class StepView:
    step: str
    kind: str  # forward or compensation
    status: str  # pending, unconfirmed, done, failed, compensated
    target: str  # e.g. "Inventory prod_101: reserve"
    scheduled_at_us: int | None
    finished_at_us: int | None
    event_position: int | None
    event_type: str | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "kind": self.kind, "status": self.status,
                "target": self.target, "scheduled_at_us": self.scheduled_at_us,
                "finished_at_us": self.finished_at_us, "event_position": self.event_position,
                "event_type": self.event_type, "reason": self.reason}


def step_table(store: EventStore, saga: ProcessManager,
               up_to: int | None = None) -> dict[str, dict[str, Any]]:
    """The saga's steps (copies) with what their commands' first events, up to position
    `up_to` (default: all), tell of those the saga has no outcome for. Load the saga as of
    `up_to` too, for the steps as they stood then."""
    steps = {name: dict(step) for name, step in saga.steps.items()}
    for name, step in steps.items():
        if step["status"] != SCHEDULED:
            continue
        event = _event(store, first_event_id(step["command_id"]))
        if event is not None and (up_to is None or event.position <= up_to):
            command_stored(steps, name, type(saga), event.event_type, event.event_id,
                           event.timestamp_us)
    return steps


def step_views(store: EventStore, saga: ProcessManager,
               up_to: int | None = None) -> list[StepView]:
    """The steps of a saga in the order it scheduled them, with what became of each (as of
    position `up_to`, with the saga loaded as of it, if given)."""
    views = []
    for step in step_table(store, saga, up_to).values():
        event = _event(store, step["outcome_event_id"]) if step.get("outcome_event_id") else None
        reason = step.get("reason")
        if step["status"] == UNCONFIRMED:
            reason = "the saga has not recorded the outcome"
        views.append(StepView(
            step["step"], step["kind"], DISPLAY.get(step["status"], step["status"]),
            f"{step['stream_type']} {step['stream_id']}: {step['command']}",
            step.get("scheduled_at"),
            step.get("outcome_at") or (event.timestamp_us if event is not None else None),
            event.position if event else None, event.event_type if event else None, reason))
    return views


def _event(store: EventStore, event_id: str) -> RecordedEvent | None:
    try:
        return store.event_by_id(event_id)
    except EventNotFoundError:
        return None
