"""Running sagas: follow the log, let each saga instance observe its events, dispatch its steps.

The manager never runs inside command handling: it reads the log after the fact, like a
projection, from a checkpoint kept in the store (it belongs to the write side). Exactly-once
comes from the saga itself, not from the checkpoint: every saga event records the event it
observed (a redelivered event is ignored) and gets an id derived from it (two runners cannot
both record it), and every step's command has a derived id (dispatching it again finds its
events and does nothing). A crash anywhere therefore only means some work is looked at twice,
never done twice.

For the same reason a conflict with another writer (on the saga's stream or a step's target) is
simply retried on fresh state, after a short random wait, for as long as it takes: only the
caller's stop request ends the retrying (Stopped), and the checkpoint then stays before the event
whose work was left, so that it is observed again. A store locked for too long is not the saga's
business either: it reaches the caller (the runner retries), and is never taken as a refusal.

A saga's own bug (its `saga_id_for`, `observe`, `rejected`, its event handlers, or a step's
command failing other than by a refusal) faults that saga alone, as a failing handler faults a
projection: the checkpoint stays before the event, `fault` says where and why, and the manager
does no more until `retry()` (a new manager, as in the next run, tries that event again).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from explorer.common.bulk import bulk_work
from explorer.common.faults import raised_in
from explorer.domain.aggregate import AlreadyDone, DomainError
from explorer.domain.commands import (
    CommandError,
    CommandValidationError,
    FieldProblem,
    UnknownCommandError,
)
from explorer.domain.service import CommandCodeError, CommandService
from explorer.sagas.backoff import Backoff, Stopped
from explorer.sagas.process import Observed, ProcessManager, StepCause, refused_cause
from explorer.store.errors import (
    ConcurrencyError,
    DuplicateEventError,
    StoreError,
    StreamTypeMismatchError,
    is_driver_error,
)
from explorer.store.ids import derived_id, id_millis
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent, RecordedEvent

log = logging.getLogger(__name__)
CHUNK_POSITIONS = 2000
REMEMBERED_DISPATCHES = 100_000
WARN_EVERY_RETRIES = 50
REFUSALS = (DomainError, CommandError, StreamTypeMismatchError, DuplicateEventError)
"""What a step's command raises when what it was sent to refuses it (a rule, invalid data, a
stream of another kind): the saga reacts (compensates, or fails). Anything else (a conflict, a
lock, a store that cannot be written or is damaged) is about the moment or the store, never
the saga's outcome: conflicts are retried here, the rest is raised to the caller."""


NOT_THE_SAGAS = (StoreError, Stopped)
"""Errors while handling an event that are about the store or the caller, never a fault of the
saga: they reach the caller as before (with a database driver's own: is_driver_error)."""


@dataclass(frozen=True)
class SagaFault:
    """The event a saga failed on (its checkpoint stays before it) and the error, with where in
    the code it was raised."""

    position: int
    event_id: str
    event_type: str
    stream: str  # its type and id
    error: str

    def text(self, saga: str) -> str:
        """One line for people: the saga, the event, the error."""
        return (f"Saga {saga} stopped at position {self.position:,} ({self.event_type} of "
                f"{self.stream}): {self.error}")


def untold(faults: Iterable[tuple[str, SagaFault | None]],
           told: set[tuple[str, int]]) -> list[str]:
    """The text of each saga's fault (by saga name) not said yet, by saga and position, now
    marked said in `told` (cleared, each is said again: after a retry, say)."""
    texts = []
    for name, fault in faults:
        if fault is not None and (name, fault.position) not in told:
            told.add((name, fault.position))
            texts.append(fault.text(name))
    return texts


@dataclass(frozen=True)
class SagaManagerStatus:
    name: str
    checkpoint: int
    last_position: int
    processed: int
    retries: int = 0  # conflicts with other writers, retried (here or by the command service)
    fault: SagaFault | None = None

    @property
    def lag_events(self) -> int:
        return max(0, self.last_position - self.checkpoint)


class SagaManager:
    """Runs one kind of saga (a ProcessManager subclass) against a store."""

    def __init__(self, saga: type[ProcessManager], service: CommandService) -> None:
        self.saga = saga
        self.service = service
        self.store = service.store
        self.repository = service.repository
        self.issued_by = saga.issuer()
        self.processed = 0
        self.retries = 0
        self._dispatched: OrderedDict[str, None] = OrderedDict()
        self.fault: SagaFault | None = None

    @property
    def checkpoint(self) -> int:
        return self.store.checkpoint(self.saga.name)

    def status(self) -> SagaManagerStatus:
        return SagaManagerStatus(self.saga.name, self.checkpoint, self.store.last_position(),
                                 self.processed, self.retries, self.fault)

    def retry(self) -> None:
        """Clear the fault: the next catch-up handles the event it stopped at again."""
        self.fault = None

    def catch_up(self, *, should_stop: Callable[[], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> int:
        """Observe every event after the checkpoint (and what those steps cause); the number
        of events observed. When `should_stop()` turns true it returns early, the checkpoint
        before the first event it did not finish. An event the saga fails on (see `fault`)
        ends it too, the checkpoint before that event; while faulted it does nothing."""
        observed = 0
        while self.fault is None:
            checkpoint = self.checkpoint
            last = self.store.last_position()
            if checkpoint >= last or (should_stop is not None and should_stop()):
                return observed
            end = min(checkpoint + CHUNK_POSITIONS, last)
            done_to = end
            handled = 0
            with bulk_work():
                events = self.store.query(EventQuery(
                    event_types=tuple(sorted(self.saga.observes)), from_position=checkpoint + 1,
                    to_position=end), limit=None)
                for event in events:
                    try:
                        if should_stop is not None and should_stop():
                            raise Stopped()
                        if not event.is_raw:
                            self.handle(event, should_stop=should_stop)
                    except Stopped:
                        done_to = event.position - 1
                        break
                    except NOT_THE_SAGAS:
                        raise
                    except Exception as error:  # the saga's bug stops this saga alone
                        if is_driver_error(error):  # (untranslated by the store): the store's
                            raise
                        done_to = event.position - 1
                        self.fault = SagaFault(event.position, event.event_id,
                                               event.event_type,
                                               f"{event.stream_type} {event.stream_id}",
                                               problem(error, self.saga))
                        log.info("%s", self.fault.text(self.saga.name))
                        break
                    handled += 1
            if done_to > checkpoint:
                self.store.save_checkpoint(self.saga.name, done_to)
            self.processed += handled
            observed += handled
            if done_to < end:
                return observed
            if progress is not None:
                progress(end, last)
        return observed

    def handle(self, event: RecordedEvent, *,
               should_stop: Callable[[], bool] | None = None) -> None:
        """Let the event's saga instance observe it, then dispatch that saga's pending steps.

        Conflicts are retried until they pass; Stopped if `should_stop()` turns true meanwhile
        (what was stored is kept, and handling the event again finishes the rest)."""
        saga_id = self.saga.saga_id_for(event)
        if saga_id is None:
            return
        saga = self._record(saga_id, lambda s: s.observe(event), event, should_stop)
        if saga is not None and saga.exists:
            self.dispatch(saga, should_stop=should_stop)

    def _record(self, saga_id: str, decide: Callable[[ProcessManager], None],
                cause: Observed, should_stop: Callable[[], bool] | None = None,
                ) -> ProcessManager | None:
        """Load the saga, let it decide, append what it recorded; retried on conflicts."""
        backoff = Backoff(should_stop)
        while True:
            loaded = self.repository.load(self.saga, saga_id)
            saga = loaded.aggregate
            version = saga.version
            decide(saga)
            pending = saga.collect_pending()
            if not pending:
                return saga
            self._check_steps(saga, pending)
            correlation = saga.correlation_id or getattr(cause, "correlation_id", None)
            metadata = {"correlation_id": correlation, "causation_id": cause.event_id,
                        "command": f"observe {cause.event_type}", "issued_by": self.issued_by}
            now = self.service.clock()
            millis = cause_millis(cause)
            for number, new in enumerate(pending):
                new.event_id = derived_id(saga_id, f"{cause.event_id}/{number}", millis)
                new.metadata = metadata
                new.timestamp_us = now
            try:
                self.store.append(saga_id, self.saga.stream_type, pending, version)
            except ConcurrencyError as conflict:
                # Another runner recorded something meanwhile: look again.
                self._conflicted(backoff, conflict, f"recording {saga_id}")
                continue
            return saga

    def _check_steps(self, saga: ProcessManager, pending: list[NewEvent]) -> None:
        """UnknownCommandError, before anything is stored, if the saga scheduled a step whose
        command its domain has not (a misspelt name or stream type: the saga's bug, which
        would otherwise be taken for a refusal and compensated)."""
        for new in pending:
            for step in new.data.get("schedule", ()) if isinstance(new.data, dict) else ():
                said = f"{type(saga).__qualname__} scheduled the step {step.get('step')!r} of " \
                       f"{saga.id} as the command {step.get('command')!r} of " \
                       f"{step.get('stream_type')} streams"
                try:
                    command = self.service.domain.command_class(step.get("stream_type"),
                                                                step.get("command"))
                except UnknownCommandError as error:
                    raise UnknownCommandError(
                        f"{said}, which the domain has not: {error} Fix the saga's code; "
                        "nothing of this was stored.") from None
                try:
                    command.parse(step.get("data"))
                except CommandValidationError as error:
                    wrong = [str(problem) for problem in error.problems
                             if problem.message == "required"
                             or problem.message.startswith("unknown field")]
                    if wrong:  # the saga's data does not fit the command (its values may
                        raise CommandValidationError(error.command, [FieldProblem(  # be refused)
                            "", f"{said}, with data that does not fit it: {'; '.join(wrong)}. "
                                "Fix the saga's code; nothing of this was stored.")]) from None

    def dispatch(self, saga: ProcessManager, *,
                 should_stop: Callable[[], bool] | None = None) -> None:
        """Send every pending step's command, once; a refused one is reported to the saga.

        A conflict on the step's target is retried until it passes (the command's derived id
        makes a retry that finds it done a no-op); Stopped if `should_stop()` turns true."""
        for _ in range(20):  # refusals can schedule compensation, which is dispatched in turn
            refused = None
            settled = None
            for step in saga.pending_steps():
                command_id = step["command_id"]
                if command_id in self._dispatched:
                    continue
                try:
                    self._execute(saga, step, should_stop)
                except AlreadyDone as done:
                    settled = (step["step"], str(done))
                    break
                except REFUSALS as error:
                    refused = (step["step"], str(error))
                    break
                self._remember(command_id)
            answer = refused or settled
            if answer is None:
                return
            step_name, reason = answer
            react = self._reaction(step_name, reason, refused=refused is not None)
            cause = StepCause(refused_cause(saga.id, step_name), "StepRefused",
                              saga.steps[step_name]["scheduled_at"])
            updated = self._record(saga.id, react, cause, should_stop)
            if updated is None:
                return
            saga = updated

    def _reaction(self, step_name: str, reason: str, *,
                  refused: bool) -> Callable[[ProcessManager], None]:
        """What a saga records when its step `step_name` was refused, or found already done."""
        def react(instance: ProcessManager) -> None:
            reaction = instance.rejected if refused else instance.already_done
            reaction(step_name, reason, self.service.clock())
        return react

    def _execute(self, saga: ProcessManager, step: dict[str, Any],
                 should_stop: Callable[[], bool] | None) -> None:
        """Run a step's command, retrying conflicts with other writers until it goes through."""
        backoff = Backoff(should_stop)
        while True:
            try:
                result = self.service.execute(
                    step["stream_type"], step["stream_id"], step["command"], step["data"],
                    command_id=step["command_id"], correlation_id=saga.correlation_id,
                    causation_id=step["source_event_id"], issued_by=self.issued_by)
                self.retries += result.attempts - 1  # conflicts the service retried itself
                return
            except ConcurrencyError as conflict:  # the service gave up after its own retries
                self.retries += self.service.max_attempts - 1
                self._conflicted(backoff, conflict, f"{step['step']} of {saga.id}")

    def _conflicted(self, backoff: Backoff, conflict: ConcurrencyError, what: str) -> None:
        """Count a conflict and wait before the retry (Stopped if asked to stop meanwhile)."""
        self.retries += 1
        if backoff.attempts and backoff.attempts % WARN_EVERY_RETRIES == 0:
            log.warning("Still retrying %s after %d conflicts: %s", what, backoff.attempts,
                        conflict)
        backoff.wait()

    def _remember(self, command_id: str) -> None:
        self._dispatched[command_id] = None
        while len(self._dispatched) > REMEMBERED_DISPATCHES:
            self._dispatched.popitem(last=False)


def cause_millis(cause: Observed) -> int | None:
    """The time a saga's reaction to `cause` is stamped with in its ids (stable across runs)."""
    timestamp = cause.timestamp_us
    return timestamp // 1000 if timestamp else id_millis(cause.event_id or "")


def problem(error: Exception, saga: type[ProcessManager]) -> str:
    """An error as a fault's text: what it was and where it was raised (the deepest frame in
    the saga's own module, else the deepest of all: a step's command, say). A step's command
    failing in its code says where in it already (raised here, it would name the explorer's
    `decide`)."""
    if isinstance(error, CommandCodeError):
        return f"{type(error).__name__}: {str(error).rstrip('.')}"
    return f"{type(error).__name__}: {error} (in {raised_in(error, saga)})"
