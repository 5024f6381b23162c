"""A saga scheduling a step as a command its domain has not (a misspelt command or stream type)
faults, saying which step and command, and stores nothing: its step was sent, refused as
unknown, and taken for a business refusal, so the saga compensated (found with a system of
one's own: every shipment was cancelled because the saga asked for 'reserv'). With the code
fixed, the next run does the step."""

from __future__ import annotations

import pytest

from explorer.domain import CommandService
from explorer.runtime.runner import Runner
from explorer.system.workspace import open_store
from tests.sagas import faulty
from tests.sagas.faulty import SYSTEM


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    """Task task_1 created and completed, while the archiver misspells its step's command."""
    path = str(tmp_path / "tasks.evstore")
    with open_store(path, system=SYSTEM, create=True) as opened:
        service = CommandService(opened, SYSTEM.domain, issued_by="test")
        service.execute("Task", "task_1", "create", {"title": "t1"})
        service.execute("Task", "task_1", "complete", {})
    monkeypatch.setitem(faulty.BROKEN, "misspelt", True)
    return path


def test_a_step_the_domain_has_no_command_for_faults_the_saga_storing_nothing(store,
                                                                             monkeypatch):
    with Runner(store, SYSTEM) as runner:
        runner.run_pending()
        archiver, = runner.status().sagas
    assert archiver.fault is not None and archiver.fault.position == 2
    assert archiver.fault.error.startswith(
        "UnknownCommandError: Archiver scheduled the step 'archive' of arch-task_1 as the "
        "command 'archiv' of Task streams, which the domain has not: Task has no command "
        "'archiv'; its commands are create, complete, archive.")
    with open_store(store, system=SYSTEM, read_only=True) as opened:
        assert opened.last_position() == 2  # no saga event, no refusal recorded
    monkeypatch.setitem(faulty.BROKEN, "misspelt", False)  # the code fixed: the next run
    with Runner(store, SYSTEM) as runner:
        runner.run_pending()
        assert runner.status().sagas[0].fault is None
    with open_store(store, system=SYSTEM, read_only=True) as opened:
        assert [e.event_type for e in opened.read_stream("task_1")] == [
            "TaskCreated", "TaskCompleted", "TaskArchived"]


def test_a_step_whose_data_does_not_fit_its_command_faults_the_saga_storing_nothing(
        store, monkeypatch):
    # (a field the command does not take was refused as invalid and taken for a business
    # refusal: the saga failed or compensated)
    monkeypatch.setitem(faulty.BROKEN, "misspelt", False)
    monkeypatch.setitem(faulty.BROKEN, "unfit", True)
    with Runner(store, SYSTEM) as runner:
        runner.run_pending()
        archiver, = runner.status().sagas
    assert archiver.fault is not None and archiver.fault.position == 2
    assert "Archiver scheduled the step 'archive' of arch-task_1 as the command 'archive' of " \
           "Task streams, with data that does not fit it: by: unknown field" in \
           archiver.fault.error
    with open_store(store, system=SYSTEM, read_only=True) as opened:
        assert opened.last_position() == 2
