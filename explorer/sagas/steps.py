"""What each step of a saga instance did: for the step view of the window and the CLI.

A step's own outcome is recorded by the saga when it observes it (reservations, the charge, the
shipment); for the others (dispatching, releasing, refunding, cancelling) the outcome is the
command's first event, found by its derived id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explorer.sagas.process import ProcessManager
from explorer.store.errors import EventNotFoundError
from explorer.store.event_store import EventStore
from explorer.store.ids import derived_id, id_millis

DISPLAY = {"scheduled": "pending", "done": "done", "failed": "failed", "rejected": "failed",
           "compensated": "compensated"}


@dataclass(frozen=True)
class StepView:
    step: str
    kind: str  # forward or compensation
    status: str  # pending, done, failed, compensated
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


def step_views(store: EventStore, saga: ProcessManager) -> list[StepView]:
    """The steps of a saga in the order it scheduled them, with what became of each."""
    views = []
    for step in saga.steps.values():
        status = DISPLAY.get(step["status"], step["status"])
        event = None
        if step.get("outcome_event_id"):
            event = _event(store, step["outcome_event_id"])
        elif step["status"] == "scheduled":
            event = _event(store, derived_id(step["command_id"], 0, id_millis(step["command_id"])))
            if event is not None:
                status = "done"
        finished = step.get("outcome_at") or (event.timestamp_us if event is not None else None)
        views.append(StepView(
            step["step"], step["kind"], status,
            f"{step['stream_type']} {step['stream_id']}: {step['command']}",
            step.get("scheduled_at"), finished, event.position if event else None,
            event.event_type if event else None, step.get("reason")))
    return views


def _event(store: EventStore, event_id: str):
    try:
        return store.event_by_id(event_id)
    except EventNotFoundError:
        return None
