"""A system whose parts clash is refused when it is made or loaded, naming both parts: two
projections keeping one table (their rows would be mixed, a rebuild of one deleting the other's),
two projections of one name, two aggregate classes for one stream type, two commands of one
name for one stream type; and a saga whose stream type the domain has no class for."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from pydantic import ConfigDict

from explorer.domain import Aggregate, Command, DefinitionError, DomainModel, applies
from explorer.projections import Projection, Writes, versioned_table
from explorer.sagas import ProcessManager
from explorer.store import RecordedEvent
from explorer.system import System
from explorer.system.discovery import SystemLoadError, load_system


class Task(Aggregate):
    stream_type = "Task"


class OtherTask(Aggregate):
    stream_type = "Task"


class CreateTask(Command):
    """Create a task."""
    stream_type: ClassVar[str] = "Task"
    command_name: ClassVar[str] = "create"


class CreateTaskAgain(Command):
    """Create a task (a second definition)."""
    stream_type: ClassVar[str] = "Task"
    command_name: ClassVar[str] = "create"


def _table(name: str, *values: str) -> sa.Table:
    return versioned_table(name, sa.MetaData(), [sa.Column("task_id", sa.Text)],
                           [sa.Column(value, sa.Text) for value in values])


class TasksProjection(Projection):
    name = "tasks"
    tables = (_table("tasks", "title"),)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        """(Never run here.)"""


class CountsProjection(TasksProjection):
    name = "counts"
    tables = (_table("tasks", "n"),)


class MoreTasksProjection(TasksProjection):
    tables = (_table("more_tasks", "title"),)


class Archiving(ProcessManager):
    stream_type = "Archiving"
    name = "archiver"

    @classmethod
    def saga_id_for(cls, event: Any) -> str | None:
        return None

    def observe(self, event: Any) -> None:
        """(Never run here.)"""

    def rejected(self, step: str, reason: str, at: int) -> None:
        """(Never run here.)"""


DOMAIN = DomainModel("todo", aggregates=[Task], commands=[CreateTask])


def _system(*projections: type[Projection]) -> System:
    return System(name="todo", title="To-dos", domain=DOMAIN,
                  projections=lambda: [cls() for cls in projections])


def test_two_projections_keeping_one_table_are_refused_naming_both():
    with pytest.raises(DefinitionError) as caught:
        _system(TasksProjection, CountsProjection)
    assert str(caught.value) == (
        "The projections tasks and counts of To-dos both keep a table named 'tasks': their "
        "rows would be mixed, and rebuilding one would delete the other's; give each its own "
        "table name.")


def test_two_projections_of_one_name_are_refused_naming_both():
    with pytest.raises(DefinitionError, match=r"To-dos has two projections named 'tasks' "
                                              r"\(TasksProjection and MoreTasksProjection\): "
                                              "one would be dropped"):
        _system(TasksProjection, MoreTasksProjection)
    with pytest.raises(DefinitionError, match=r"named 'tasks' \(both TasksProjection\)"):
        _system(TasksProjection, TasksProjection)


def test_two_commands_of_one_name_for_a_stream_type_are_refused_naming_both():
    with pytest.raises(DefinitionError) as caught:
        DomainModel("todo", aggregates=[Task], commands=[CreateTask, CreateTaskAgain])
    assert str(caught.value) == (
        "The domain todo has two Task commands named 'create', CreateTask and CreateTaskAgain: "
        "the second would hide the first; list one of them, or give the other its own "
        "command_name.")


def test_two_aggregate_classes_for_a_stream_type_are_refused_naming_both():
    with pytest.raises(DefinitionError, match="The domain todo has two classes for Task "
                                              "streams, Task and OtherTask"):
        DomainModel("todo", aggregates=[Task, OtherTask], commands=[])


def test_a_command_for_a_type_no_aggregate_writes_says_what_to_add():
    with pytest.raises(DefinitionError, match=r"command CreateTask \('create'\) is for Task "
                                              r"streams, which no aggregate of it writes "
                                              r"\(its stream types: none\): add"):
        DomainModel("todo", aggregates=[], commands=[CreateTask])


def test_a_part_listed_twice_is_one_part():
    domain = DomainModel("todo", aggregates=[Task, Task], commands=[CreateTask, CreateTask])
    assert domain.aggregates == {"Task": Task}
    assert domain.commands == {"Task": {"create": CreateTask}}


CLASHING = '''
    from tests.system.test_definitions import CountsProjection, DOMAIN, TasksProjection
    from explorer.system import System

    SYSTEM = System(name="todo", title="To-dos", domain=DOMAIN,
                    projections=lambda: [TasksProjection(), CountsProjection()])
'''


def test_loading_a_clashing_system_says_what_clashes_in_one_line(module: Any):
    name = module("clashing_plugin", CLASHING)
    with pytest.raises(SystemLoadError) as caught:
        load_system(f"{name}:SYSTEM")
    said = str(caught.value)
    assert said.startswith("The system 'clashing_plugin:SYSTEM' cannot be loaded: The "
                           "projections tasks and counts of To-dos both keep a table named "
                           "'tasks'") and "\n" not in said


def test_a_saga_the_domain_has_no_class_for_is_refused_saying_what_to_add():
    with pytest.raises(DefinitionError) as caught:
        System(name="todo", title="To-dos", domain=DOMAIN, sagas=(Archiving,))
    assert str(caught.value) == (
        "The saga Archiving ('archiver') of To-dos writes Archiving streams, for which the "
        "domain todo has no class: add Archiving to the domain's aggregates (DomainModel(..., "
        "aggregates=[..., Archiving])).")
    with_it = DomainModel("todo", aggregates=[Task, Archiving], commands=[CreateTask])
    assert System(name="todo", domain=with_it, sagas=(Archiving,)).saga_owning("Archiving") \
        is Archiving


class Unfinished(ProcessManager):
    """A saga without `rejected` (a plug-in's, whose steps are never refused, it thought)."""

    stream_type = "Unfinished"
    name = "unfinished"

    @classmethod
    def saga_id_for(cls, event: Any) -> str | None:
        return None

    def observe(self, event: Any) -> None:
        """(Never run here.)"""


def test_a_saga_lacking_a_method_every_saga_has_is_refused_naming_it():
    """(Helper G: a plug-in's saga without `rejected` loaded, and 'project' ran, until its
    first event: 'TypeError: Can't instantiate abstract class Booking with abstract method
    rejected (in _load, explorer/domain/repository.py line 105)'.)"""
    domain = DomainModel("todo", aggregates=[Task, Unfinished], commands=[CreateTask])
    with pytest.raises(DefinitionError) as caught:
        System(name="todo", title="To-dos", domain=domain, sagas=(Unfinished,))
    assert str(caught.value) == (
        "The saga Unfinished ('unfinished') of To-dos does not define rejected, which every "
        "saga does (explorer.sagas.ProcessManager: rejected: what it does when a step's "
        "command is refused): define it in Unfinished.")


class UnnamedProjection(TasksProjection):
    name = ""


class TablelessProjection(TasksProjection):
    name = "tableless"
    tables = ()


class PlainTableProjection(TasksProjection):
    name = "plain"
    tables = (sa.Table("plain_tasks", sa.MetaData(), sa.Column("task_id", sa.Text,
                                                                primary_key=True)),)


@pytest.mark.parametrize(("projection", "said"), [
    (UnnamedProjection, "The projection UnnamedProjection of To-dos has no name: set its class "
                        "attribute name"),
    (TablelessProjection, "The projection tableless (TablelessProjection) of To-dos keeps no "
                          "table: set its class attribute tables"),
    (PlainTableProjection, "The projection plain (PlainTableProjection) of To-dos keeps the "
                           "table plain_tasks, which explorer.projections.versioned_table did "
                           "not make: declare it with versioned_table('plain_tasks', ")])
def test_a_projection_without_a_name_or_versioned_tables_is_refused_saying_what_to_set(
        projection, said):
    # (each ended in a traceback the first time its read model was followed: IndexError,
    # KeyError: 'keys')
    with pytest.raises(DefinitionError) as caught:
        _system(projection)
    assert str(caught.value).startswith(said)


class Gadget:
    """A class of the system's own, which no JSON spells."""


class TagTask(Command):
    """Tag a task with a gadget."""
    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid", frozen=True)
    stream_type: ClassVar[str] = "Task"
    command_name: ClassVar[str] = "tag"
    gadget: Gadget
    note: str = ""


def test_a_command_field_no_json_spells_is_refused_naming_it():
    # (`commands`, `command --help` and the form ended in a traceback:
    # PydanticInvalidForJsonSchema)
    with pytest.raises(DefinitionError) as caught:
        DomainModel("todo", aggregates=[Task], commands=[CreateTask, TagTask])
    said = str(caught.value)
    assert said.startswith("The domain todo's command TagTask ('tag') has the field gadget: "
                           "Gadget of a kind that cannot be given as JSON")
    assert "\n" not in said


class Seeding:
    """A seeder class (its instance is what a system takes)."""

    size_name = "tasks"
    size_help = "how many tasks"
    default_size = 1
    max_size = 10

    def seed(self, store: Any, **options: Any) -> dict[str, Any]:
        return {"events": 0}


WITH_ARCHIVING = DomainModel("todo", aggregates=[Task, Archiving], commands=[CreateTask])


@pytest.mark.parametrize(("parts", "said"), [
    ({"projections": [TasksProjection()]},
     "To-dos's projections are a list, not a function that makes them: give "
     "projections=lambda: [MyProjection(), ...]"),
    ({"projections": lambda: [TasksProjection]},
     "To-dos's projections function gave the class TasksProjection, not an instance of an "
     "explorer.projections.Projection subclass: write TasksProjection() in the list."),
    ({"domain": WITH_ARCHIVING, "sagas": Archiving},
     "To-dos's sagas are the class Archiving: give a tuple of ProcessManager subclasses"),
    ({"domain": WITH_ARCHIVING, "sagas": (Archiving, Task)},
     "To-dos's sagas are a tuple holding the class Task: give a tuple of ProcessManager"),
    ({"domain": [Task]}, "To-dos's domain is a list, not an explorer.domain.DomainModel"),
    ({"seeder": Seeding}, "To-dos's seeder is the class Seeding: give an instance, "
                          "seeder=Seeding()."),
    ({"seeder": object()}, "To-dos's seeder is a object, which lacks seed, size_name,"),
])
def test_a_part_of_the_wrong_kind_is_refused_saying_what_to_give(parts, said):
    # (each failed later: in a traceback, as project's or seed's, or in a bare TypeError)
    with pytest.raises(DefinitionError) as caught:
        System(**{"name": "todo", "title": "To-dos", "domain": DOMAIN, **parts})
    assert str(caught.value).startswith(said), str(caught.value)
    System(name="todo", title="To-dos", domain=DOMAIN, seeder=Seeding())  # (an instance)


class Untyped(Aggregate):
    """An aggregate that does not say its stream type."""


class Unnamed(Command):
    """A command that does not say its name."""
    stream_type: ClassVar[str] = "Task"


@pytest.mark.parametrize(("aggregates", "commands", "said"), [
    ([Untyped], [], "The domain todo's aggregate Untyped has no stream_type: set "
                    'stream_type = "Untyped"'),
    ([Task], [Unnamed], "The domain todo's command Unnamed has no command_name: set "
                        "command_name: ClassVar[str]"),
    ([Task("task_1")], [], "The domain todo's aggregates hold a Task, not a subclass of "
                           "explorer.domain.Aggregate"),
    ([Task], ["create"], "The domain todo's commands hold a str, not a subclass of "
                         "explorer.domain.Command"),
])
def test_an_aggregate_or_command_of_the_wrong_kind_or_without_its_names_is_refused(
        aggregates, commands, said):
    # (accepted before: their streams and commands showed as blanks, or failed later)
    with pytest.raises(DefinitionError) as caught:
        DomainModel("todo", aggregates=aggregates, commands=commands)
    assert str(caught.value).startswith(said), str(caught.value)


class ReadsMisspelt(TasksProjection):
    name = "misspelt"
    tables = (_table("misspelt_tasks", "title"),)
    event_types = frozenset({"TaskCreated", "TaskCreatd"})


class Noting(Aggregate):
    stream_type = "Note"

    @applies("TaskCreated")
    def _created(self, data: dict[str, Any]) -> None:
        """A task was created."""


class ObservesMisspelt(Archiving):
    observes = frozenset({"TaskCreatd"})


NOTING = DomainModel("todo", aggregates=[Task, Noting, ObservesMisspelt], commands=[CreateTask])


def test_an_event_type_read_that_no_aggregate_declares_is_refused_naming_it():
    # (a misspelt type was never read: its read model or saga stayed silently empty)
    with pytest.raises(DefinitionError) as caught:
        System(name="todo", title="To-dos", domain=NOTING,
               projections=lambda: [ReadsMisspelt()])
    assert str(caught.value).startswith(
        "The projection misspelt of To-dos reads the event type TaskCreatd, which no aggregate "
        "of the domain todo declares (with @applies): it would never be read. Correct the name "
        "(the types declared: StepSettled, TaskCreated), or declare")
    with pytest.raises(DefinitionError, match="The saga archiver of To-dos reads the event "
                                              "type TaskCreatd, which no aggregate"):
        System(name="todo", title="To-dos", domain=NOTING, sagas=(ObservesMisspelt,))


def test_a_system_made_calls_its_projections_function_once():
    """As check_system says: the checks of the projections' kinds, tables and event types
    share one list (the function was called three times, each making every projection)."""
    made: list[Projection] = []

    def projections() -> list[Projection]:
        made.append(TasksProjection())
        return made[-1:]
    System(name="todo", title="To-dos", domain=DOMAIN, projections=projections)
    assert len(made) == 1
