"""Where a saga's runner stood when the log ended at some position: for what-if branches.

A branch holds the log up to a position P and must go on as the live system would have from
there. Its sagas then take up the work that was due at P: events the runner had not handled yet
(at P, or before it), and steps whose commands had not run. The runner's checkpoint as of P is
not kept (checkpoints move on), so it is derived from the log up to P. A runner handles the
events in order, each fully (the saga's reaction recorded, then its steps' commands run) before
the next, so as of P:

- everything before the cause of the latest saga event had been handled, and that cause
  perhaps not fully (its steps' commands may have run after P);
- a step whose command had not run by P belongs to the handling of the event that scheduled it
  (for a step scheduled after a refusal, of the latest event its saga observed).

The runner resumes just before the earliest of these. Observing again what it had observed is
safe: every saga event records the event it observed (observing it again records nothing), and
a step's command has a derived id (running it again finds its events and does nothing), while
observing an event of a saga runs that saga's pending steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from explorer.domain import Repository
from explorer.sagas.process import SCHEDULED, ProcessManager
from explorer.sagas.steps import step_table
from explorer.store.errors import EventNotFoundError
from explorer.store.event_store import EventStore
from explorer.store.query import EventQuery

PAGE = 50


def resume_checkpoint(store: EventStore, repository: Repository, saga: type[ProcessManager],
                      pending_sagas: Iterable[str]) -> int:
    """The checkpoint from which a runner of `saga` carries on from the end of the store's log
    (P) as the live runner would have from P: before the earliest event whose handling was not
    finished by P. `pending_sagas` are the saga instances with a step whose command had not
    run by P (the sagas read model knows them)."""
    last = store.last_position()
    first = min(_latest_cause(store, saga, last), last + 1)
    for saga_id in pending_sagas:
        first = min(first, _pending_since(store, repository, saga, saga_id))
    return max(0, first - 1)


def _latest_cause(store: EventStore, saga: type[ProcessManager], last: int) -> int:
    """The position of the event whose handling recorded the latest saga event (1 if the
    saga never recorded anything: everything is still to be observed)."""
    query = EventQuery(stream_types=(saga.stream_type,), to_position=last)
    before = 0
    while True:
        page = store.query(query, after_position=before, limit=PAGE, descending=True)
        causes = [_position(store, event.metadata.get("causation_id")) for event in page]
        found = [position for position in causes if position is not None]
        if found:
            return max(found)
        if len(page) < PAGE:
            return 1
        before = page[-1].position


def _pending_since(store: EventStore, repository: Repository, saga: type[ProcessManager],
                   saga_id: str) -> int:
    """The earliest event whose handling scheduled a step of this saga whose command has not
    run (or the latest event it observed, where a step's cause is not an event)."""
    instance = repository.load(saga, saga_id).aggregate
    steps = step_table(store, instance)
    causes = [_position(store, step.get("source_event_id")) for step in steps.values()
              if step["status"] == SCHEDULED]
    found = [position for position in causes if position is not None]
    if len(found) < len(causes):  # some step was scheduled in reaction to a refusal
        observed = (_position(store, event_id) for event_id in reversed(instance.handled))
        found.append(next((position for position in observed if position is not None),
                          store.last_position() + 1))
    return min(found, default=store.last_position() + 1)


def _position(store: EventStore, event_id: str | None) -> int | None:
    """The position of a stored event by its id; None for an id that names no event (the
    cause recorded for a saga's reaction to a refused step)."""
    if not event_id:
        return None
    try:
        return store.event_by_id(event_id).position
    except EventNotFoundError:
        return None
