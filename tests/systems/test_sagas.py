"""Sagas of every system, run by the engine's runner: a refused step is compensated, and every
event is observed once and every step run once, however often events are delivered."""

from __future__ import annotations

from explorer.commanding.sending import send
from explorer.domain import CommandService
from explorer.runtime.runner import Runner
from explorer.sagas import SagaManager
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine
from tests.systems.cases import seeded


def test_a_refused_step_is_compensated(system, case, tmp_path):
    path = tmp_path / "story.evstore"
    open_store(path, system=system, create=True).close()
    with Runner(str(path), system, context_options={"failure_rate": 0.0}) as runner:
        service = CommandService(runner.store, system.domain, issued_by="test",
                                 context=system.make_context(failure_rate=0.0))
        for request in case.compensation:
            assert send(service, request, system).ok, request
            runner.run_pending()  # the sagas react before the next command, as in a demo
        machine = TimeMachine(runner.store, runner.db, system)
        saga = machine.saga_at(case.compensated_saga, runner.store.last_position())
        assert saga.status == "compensated"
        assert {step.step: step.status for step in saga.steps} == case.compensated_steps
        rows = {row["saga_id"]: row for row in runner.engine.rows("sagas", limit=None)}
        row = rows[case.compensated_saga]
        assert (row["status"], row["steps_failed"], row["current_step"]) == (
            "compensated", 1, None)


def test_each_event_is_observed_once_and_each_step_runs_once(system, case, tmp_path_factory):
    path = seeded(tmp_path_factory.mktemp("sagas"), system, case.seed_size)
    with Runner(str(path), system, context_options={"failure_rate": 0.0}) as runner:
        runner.run_pending()  # what the seeded history left due
    with open_store(path, system=system) as store:
        before = store.last_position()
        service = CommandService(store, system.domain, issued_by="test",
                                 context=system.make_context(failure_rate=0.0))
        for saga in system.sagas:
            managers = [SagaManager(saga, service), SagaManager(saga, service)]
            for event in list(store.read_all()):  # every event again, to two fresh managers
                for manager in managers:
                    manager.handle(event)
            store.save_checkpoint(saga.name, 0)
            managers[0].catch_up()  # and a runner that lost its checkpoint
        assert store.last_position() == before
