"""A tiny system whose saga can be made to fail (its `observe` raises while BROKEN is set): for
the tests of a saga's fault. Tasks are created and completed; the archiver saga archives each
completed task."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa

from explorer.domain import Aggregate, Command, DomainError, DomainModel, applies
from explorer.projections import Projection, Writes, versioned_table
from explorer.sagas import FORWARD, ProcessManager
from explorer.sagas.process import Observed
from explorer.store import RecordedEvent
from explorer.system import System

BROKEN = {"observe": False, "misspelt": False, "unfit": False}
"""observe raises; observe schedules its step as a command the domain has not ("archiv"), or
with a field the command does not take."""


class Task(Aggregate):
    stream_type = "Task"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.done = False

    def create(self, title: str) -> None:
        self._record("TaskCreated", task_id=self.id, title=title)

    def complete(self) -> None:
        self._record("TaskCompleted", task_id=self.id)

    def archive(self) -> None:
        if not self.done:
            raise DomainError(f"Task {self.id} is not done.")
        self._record("TaskArchived", task_id=self.id)

    @applies("TaskCreated")
    def _created(self, data: dict[str, Any]) -> None:
        pass

    @applies("TaskCompleted")
    def _completed(self, data: dict[str, Any]) -> None:
        self.done = True

    @applies("TaskArchived")
    def _archived(self, data: dict[str, Any]) -> None:
        pass


class CreateTask(Command):
    stream_type: ClassVar[str] = "Task"
    command_name: ClassVar[str] = "create"
    creates_stream: ClassVar[bool | None] = True
    title: str


class CompleteTask(Command):
    stream_type: ClassVar[str] = "Task"
    command_name: ClassVar[str] = "complete"


class ArchiveTask(Command):
    stream_type: ClassVar[str] = "Task"
    command_name: ClassVar[str] = "archive"


class Archiver(ProcessManager):
    stream_type = "Archiving"
    name = "archiver"
    stream_prefix = "arch-"
    observes = frozenset({"TaskCompleted"})

    @classmethod
    def saga_id_for(cls, event: Observed) -> str | None:
        return f"arch-{event.data['task_id']}"

    def observe(self, event: Observed) -> None:
        if self.has_handled(event):
            return
        if BROKEN["observe"]:
            raise KeyError("observe broke")  # the line the fault names
        self._record("Seen", source_event_id=event.event_id, at=event.timestamp_us,
                     status="running", schedule=[self.step(
                         "archive", FORWARD, "Task", event.data["task_id"],
                         "archiv" if BROKEN["misspelt"] else "archive",
                         {"by": "archiver"} if BROKEN["unfit"] else {}, event)])

    def rejected(self, step: str, reason: str, at: int) -> None:
        self._record("Failed", source_event_id=f"{self.id}/{step}", at=at, status="failed",
                     reason=reason)

    @applies("Seen")
    def _seen(self, data: dict[str, Any]) -> None:
        self.apply_saga_event(data)

    @applies("Failed")
    def _failed(self, data: dict[str, Any]) -> None:
        self.apply_saga_event(data)


metadata = sa.MetaData()
tasks = versioned_table("tasks", metadata, [sa.Column("task_id", sa.Text)],
                        [sa.Column("state", sa.Text)])


class TasksProjection(Projection):
    name = "tasks"
    event_types = frozenset({"TaskCreated", "TaskCompleted", "TaskArchived"})
    tables = (tasks,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        writes.put("tasks", (event.stream_id,), state=event.event_type)


SYSTEM = System(name="faulty-tasks", title="Tasks",
                domain=DomainModel("tasks", aggregates=[Task, Archiver],
                                   commands=[CreateTask, CompleteTask, ArchiveTask]),
                projections=lambda: [TasksProjection()], sagas=(Archiver,))
