"""`sagas STORE` for a system that has sagas but no read model listing their instances says so
and how to add one, not that the system has no sagas."""

from __future__ import annotations

import pytest

from explorer.domain import DomainModel
from explorer.store import EventStore
from explorer.system import System
from tests.cli.running import run
from tests.system.test_definitions import Archiving, CreateTask, Task

SYSTEM = System(name="todo", title="To-dos", sagas=(Archiving,),
                domain=DomainModel("todo", aggregates=[Task, Archiving], commands=[CreateTask]))
WITHOUT_SAGAS = System(name="plain", title="Plain",
                       domain=DomainModel("plain", aggregates=[Task], commands=[CreateTask]))
HERE = "tests.cli.test_sagas_without_listing"


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "todo.evstore"
    with EventStore.open(path, create=True):
        pass
    return path


def test_sagas_without_their_read_model_are_said_with_how_to_add_one(capsys, store):
    code, out, err = run(capsys, "sagas", store, "--system", f"{HERE}:SYSTEM")
    assert code == 1 and out == ""
    assert err == (
        "error: To-dos has the saga archiver but no saga read model listing its instances: add "
        "to its projections a SagaInstancesProjection (explorer.sagas.instances) for each saga, "
        "a subclass setting saga = Archiving, tables = saga_tables(Archiving, metadata) and "
        "event_types = followed_event_types(Archiving, [the other aggregates]).\n")


def test_a_system_without_sagas_says_it_has_none(capsys, store):
    code, _, err = run(capsys, "sagas", store, "--system", f"{HERE}:WITHOUT_SAGAS")
    assert code == 1 and err == "error: Plain has no sagas.\n"
