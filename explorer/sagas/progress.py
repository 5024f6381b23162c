"""A saga's step table, and what it adds up to: the one source of a saga's row in the sagas
read model and of its step view, so that the two always agree, now and as of any position.

The saga's own events say which steps it scheduled and what became of the steps whose outcome
it observes (`record_in`). Of a step whose command's events it does not observe (one that
only passes something on, say) the saga never hears again: that step is done once its
command's first event is stored. A step whose command's first event the saga does observe is
`unconfirmed` from then until the saga records the outcome itself: the event may tell of a
failure, and only the saga says which (a saga that has stopped observing never does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from explorer.sagas.process import SCHEDULED, ProcessManager
from explorer.store.ids import derived_id, id_millis

UNCONFIRMED = "unconfirmed"
DONE = "done"
COMPENSATED = "compensated"
FAILED = ("failed", "rejected")
DISPLAY = {SCHEDULED: "pending", UNCONFIRMED: UNCONFIRMED, DONE: DONE, "failed": "failed",
           "rejected": "failed", COMPENSATED: COMPENSATED}
"""How each status of a step is shown."""
FINISHED = ("completed", "failed", "compensated")
"""A saga's statuses once it has finished (as the sagas read model's rows say): it has no
current step."""


def current_step(row: Mapping[str, Any]) -> str | None:
    """A sagas read-model row's current step as shown: its pending steps while it runs, none
    once it has finished (a completed order's dispatch, scheduled as it completed, is a
    follow-up, not a step the saga is at; its step table shows it pending)."""
    return None if row.get("status") in FINISHED else row.get("current_step")


def first_event_id(command_id: str) -> str:
    """The id of the first event a step's command stores (its ids derive from the command's)."""
    return derived_id(command_id, 0, id_millis(command_id))


def command_stored(steps: dict[str, dict[str, Any]], name: str, saga: type[ProcessManager],
                   event_type: str, event_id: str, at: int | None) -> bool:
    """The command of step `name` stored its first event: the step is done, or unconfirmed if
    the saga observes that type of event. False if it was not waiting for its command."""
    step = steps.get(name)
    if step is None or step["status"] != SCHEDULED:
        return False
    step.update(status=UNCONFIRMED if event_type in saga.observes else DONE,
                outcome_event_id=event_id, outcome_at=at)
    return True


class Progress(NamedTuple):
    """What a saga's steps add up to: each is pending (its command not run yet), unconfirmed,
    done, compensated (done, then undone) or failed. Its current steps are the pending ones."""

    done: int
    compensated: int
    failed: int
    unconfirmed: int
    total: int
    pending: tuple[str, ...]

    @classmethod
    def of(cls, statuses: Mapping[str, str]) -> Progress:
        """From each step's status, by step name in the order the steps were scheduled."""
        # Counted in C, a pass a status (a saga's rebuild tallies its table at each event).
        shown = list(statuses.values())
        count = shown.count
        return cls(count(DONE), count(COMPENSATED), sum(map(count, FAILED)),
                   count(UNCONFIRMED), len(shown),
                   tuple([name for name, status in statuses.items() if status == SCHEDULED]))

    @property
    def current_step(self) -> str | None:
        """The pending steps as one text (None when no step is pending)."""
        return ", ".join(self.pending) or None


def statuses(steps: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Each step's status by name, from a step table."""
    return {name: step["status"] for name, step in steps.items()}


def shown_steps(steps_json: str) -> dict[str, str]:
    """A saga row's step table (its `steps` column, JSON text) as shown: each step's status by
    name as the window's step view says it (`pending`, not the stored `scheduled`)."""
    return {name: DISPLAY.get(status, status)
            for name, status in orjson.loads(steps_json).items()}


def steps_text(row: Mapping[str, int]) -> str:
    """A saga row's progress in a few words: "5/7 done" and what became of the others (for the
    command line's listing and the window's)."""
    others = [f"{row[f'steps_{what}']} {what}" for what in (COMPENSATED, "failed", UNCONFIRMED)
              if row.get(f"steps_{what}")]
    return ", ".join([f"{row.get('steps_done', 0)}/{row.get('steps_total', 0)} done", *others])
