"""What-if: a branch of the store at a past position, to try commands on without touching it.

The branch is a temporary copy of the store holding the events up to the position (with the
stream index and snapshots as they were then) and a copy of the read models as of it. Commands
run there, the sagas and projections react there, and what changed can be looked at, exported
as JSON lines, or thrown away. The real store is only ever read (EventStore.branch copies
its events up to the position; explorer.projections.branching its read models as of it).

The branch goes on as the live system would have from the position: each projection from its
rows as of it (the event at the position included), each saga from where its runner stood then
(explorer.sagas.resume), so that the reactions due then (to events at or before the position
that the runner had not handled, and steps whose commands had not run) happen in the branch.
They happen after the branch's first command (which comes first, as at the position's moment),
with the sagas' reactions to it: `caused` tells the events a command caused, by their causes,
from that due work. Time in the branch goes on from the position's (BranchClock): its events
are stamped as if the position's moment were now, not months after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from explorer.common.private_files import open_private
from explorer.common.scratch_folders import make_scratch_folder, remove_scratch_folder
from explorer.common.timestamps import now_micros
from explorer.domain import CommandResult, CommandService, Repository, default_issuer
from explorer.projections import ProjectionEngine, ReadModelDatabase, read_model_path
from explorer.projections.branching import branch_read_models, rows_changed_after
from explorer.runtime.runner import Runner
from explorer.sagas.instances import SagaInstancesProjection, sagas_with_pending_steps
from explorer.sagas.process import refused_cause, settled_cause
from explorer.sagas.resume import resume_checkpoint
from explorer.store.records import RecordedEvent
from explorer.system import System
from explorer.system.workspace import open_store


@dataclass(frozen=True)
class RowChange:
    """A read-model row written in the branch: its table, its key, its values now and as they
    were at the branch's position (None: the branch made the row)."""

    projection: str
    key: str
    values: dict[str, Any]
    before: dict[str, Any] | None = None


def _scheduled(event: RecordedEvent) -> list[str]:
    """The steps a saga's event schedules (by name); none for another event."""
    data = event.data if isinstance(event.data, dict) else {}
    schedule = data.get("schedule")
    return [step["step"] for step in schedule if isinstance(step, dict) and "step" in step] \
        if isinstance(schedule, list) else []


class BranchClock:
    """The branch's time: the moment of its position, going on as the real clock goes from the
    branch's making (a command a minute after it is stamped a minute after that moment)."""

    def __init__(self, at_us: int) -> None:
        self.at_us = at_us
        self._made_us = now_micros()

    def __call__(self) -> int:
        return self.at_us + max(0, now_micros() - self._made_us)


class Sandbox:
    """A branch of a store at `position`, with the system's projections and sagas; use
    `execute`, `changes`, `export` and `discard`."""

    def __init__(self, folder: Path, source: str, position: int, system: System,
                 context_options: Mapping[str, Any] | None = None) -> None:
        self.folder = folder
        self.source = source
        self.position = position
        self.system = system
        self.context_options = dict(context_options or {})
        self.path = folder / "branch.evstore"
        self.results: list[CommandResult] = []
        self._projections = {p.name: p for p in system.projections()}  # what they declare
        self.clock = BranchClock(now_micros())  # (the position's moment once copied)
        self.faults: list[str] = []
        """The sagas that failed in their own code as the last command played out (each says
        where): their reactions in the branch stop there."""

    @classmethod
    def create(cls, source: str, position: int, system: System, *, folder: Path | None = None,
               context_options: Mapping[str, Any] | None = None,
               progress: Callable[[int, int], None] | None = None) -> Sandbox:
        """Branch the store at `source` as it was at `position`.

        Commands in the branch, and its sagas' steps, get the context
        `system.make_context(**context_options)` (without options, the system's defaults).
        `progress(copied, total)` is called as events are copied and may raise (Cancelled, say)
        to stop: the half-made branch is then deleted.
        """
        folder = Path(folder or make_scratch_folder("what-if"))
        sandbox = cls(folder, source, position, system, context_options)
        try:
            sandbox._copy_events(progress or (lambda copied, total: None))
            sandbox._copy_read_models()
            sandbox._resume_sagas()
        except BaseException:
            sandbox.discard()
            raise
        return sandbox

    def _copy_events(self, progress: Callable[[int, int], None]) -> None:
        """The events 1..P, with the stream index, snapshots and hash chain as they were then."""
        with open_store(self.source, system=self.system, read_only=True, verify=False) as real:
            real.branch(self.path, self.position, progress=progress)
            if self.position:
                self.clock = BranchClock(real.event_at(self.position).timestamp_us)

    def _copy_read_models(self) -> None:
        """The read models as of the position, if the store has them built that far."""
        built = read_model_path(self.source, False)
        if not built.exists():
            built = read_model_path(self.source, True)
        branch_read_models(built, read_model_path(str(self.path), False),
                           self._projections.values(), self.position)

    def _resume_sagas(self) -> None:
        """Set each saga's checkpoint in the branch where its runner stood as of the position
        (see explorer.sagas.resume), so that the branch's sagas take up the work that was due
        then. Never after the real runner's checkpoint now: it was no further along then."""
        sagas = self.system.sagas
        if not sagas:
            return
        projections = [p for p in self.system.projections()
                       if isinstance(p, SagaInstancesProjection)]
        with open_store(self.source, system=self.system, read_only=True) as real:
            live = {saga.name: real.checkpoint(saga.name) for saga in sagas}
        with open_store(self.path, system=self.system) as branch, \
                ReadModelDatabase(read_model_path(str(self.path), False)) as db:
            engine = ProjectionEngine(branch, db, projections)
            repository = Repository(branch, self.system.domain)
            for saga in sagas:
                followers = [p for p in projections if p.saga is saga]
                for projection in followers:  # built here if the store's were not that far
                    engine.catch_up(projection.name)
                pending = {saga_id for projection in followers
                           for saga_id in sagas_with_pending_steps(db, projection)}
                branch.save_checkpoint(saga.name, min(live[saga.name], resume_checkpoint(
                    branch, repository, saga, sorted(pending))))

    # -- trying things ---------------------------------------------------------------------

    def execute(self, stream_type: str, stream_id: str, command: str,
                data: dict[str, Any]) -> CommandResult:
        """Run a command in the branch, then let its sagas and projections react."""
        with open_store(self.path, system=self.system) as store:
            service = CommandService(store, self.system.domain,
                                     issued_by=default_issuer("what-if"),
                                     context=self.system.make_context(**self.context_options),
                                     clock=self.clock)
            result = service.execute(stream_type, stream_id, command, data)
        self.results.append(result)
        with Runner(str(self.path), self.system, context_options=self.context_options,
                    clock=self.clock) as runner:
            runner.run_pending()
            self.faults = [saga.fault.text(saga.name) for saga in runner.status().sagas
                           if saga.fault is not None]
        return result

    def new_events(self) -> list[RecordedEvent]:
        """Everything appended in the branch, the sagas' reactions included (see `caused`)."""
        with open_store(self.path, system=self.system, read_only=True) as store:
            return list(store.read_all(self.position + 1))

    @staticmethod
    def caused(result: CommandResult, events: Iterable[RecordedEvent]) -> list[RecordedEvent]:
        """Of the branch's `events` (in order), those `result`'s command caused: its own, and
        each whose cause is one of them, and so on (the sagas' reactions to it, their steps'
        commands'). The others are work that was due at the position anyway: steps scheduled
        before it whose commands had not run, events the sagas had not handled yet."""
        ours = {event.event_id for event in result.events}
        found = []
        for event in events:
            if event.event_id in ours or event.metadata.get("causation_id") in ours:
                ours.add(event.event_id)
                found.append(event)
                for step in _scheduled(event):  # a refusal of its command, or finding it done
                    ours.update((refused_cause(event.stream_id, step),  # already, is no event
                                 settled_cause(event.stream_id, step)))
        return found

    def changes(self) -> list[RowChange]:
        """The read-model rows written in the branch (current values, and those as of the
        branch's position), by projection."""
        found = []
        with ReadModelDatabase(read_model_path(str(self.path), False), read_only=True) as db:
            for projection in self._projections.values():
                keys = projection.main_table.info["keys"]
                for values, before in rows_changed_after(db, projection, self.position):
                    found.append(RowChange(projection.name,
                                           " / ".join(str(values[k]) for k in keys), values,
                                           before))
        return found

    def export(self, path: str | Path) -> int:
        """Write the branch's new events as JSON lines, readable by the user alone (0600); the
        number written."""
        events = self.new_events()
        with open_private(path, "wb") as out:
            for event in events:
                out.write(orjson.dumps(event.to_dict()) + b"\n")
        return len(events)

    def discard(self) -> None:
        """Delete the branch (its store and read models)."""
        remove_scratch_folder(self.folder)

