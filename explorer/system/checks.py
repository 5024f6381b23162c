"""What a System must hold together, checked once when it is made (System.__post_init__).

Two projections keeping a table of one name would share it (their rows mixed; rebuilding one
deletes the other's), two projections of one name would be one (the other dropped), a table
named as one of the read models' own would drop that one when made again
(explorer.projections.reserved), and a saga whose stream type the domain has no class for would
fail the first time it ran (loading its streams). Each is refused with a DefinitionError naming
the parts and what to do. (The domain checks its own stream types and commands:
explorer.domain.model.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer.domain.model import DefinitionError, DomainModel
from explorer.projections.reserved import reserved_table_name

if TYPE_CHECKING:
    from explorer.projections.engine import Projection
    from explorer.system import System


def check_system(system: System) -> None:
    """Raise DefinitionError if `system`'s parts clash; its projections factory is called once
    (fresh instances, as for any engine) to see their names and tables."""
    projections = _check_parts(system)
    _check_sagas(system)
    _check_projections(system.label, projections)
    _check_types_read(system, projections)


def _check_types_read(system: System, projections: list[Projection]) -> None:
    """Each event type a projection reads or a saga observes is one an aggregate of the domain
    declares (`@applies`): a misspelt one was never read, and its read model or saga stayed
    silently empty."""
    declared = system.domain.registry
    readers: list[tuple[str, frozenset[str]]] = [
        (f"The projection {projection.name}", frozenset(projection.event_types))
        for projection in projections]
    readers += [(f"The saga {saga.name or saga.__qualname__}", frozenset(saga.observes))
                for saga in system.sagas]
    for reader, types in readers:
        unknown = sorted(name for name in types if name not in declared)
        if unknown:
            known = sorted(declared.current_versions)
            shown = ", ".join(known[:40]) + (f" and {len(known) - 40} more"
                                             if len(known) > 40 else "")
            raise DefinitionError(
                f"{reader} of {system.label} reads the event type"
                f"{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}, which no aggregate of "
                f"the domain {system.domain.name} declares (with @applies): "
                f"{'they' if len(unknown) > 1 else 'it'} would never be read. Correct the "
                f"name (the types declared: {shown or 'none'}), or declare the type in the "
                "aggregate that writes it (an @applies handler that does nothing, for events "
                "no aggregate applies any more).")


def _check_parts(system: System) -> list[Projection]:
    """Each part is of the kind System takes: a DomainModel, a function making the projections,
    a tuple of saga classes, a seeder object (mistakes that failed later, in a traceback).
    The projections its function made, to check them further."""
    from explorer.projections.engine import Projection  # (not at import: a cycle)
    from explorer.sagas.process import ProcessManager

    label = system.label
    if not isinstance(system.domain, DomainModel):
        raise DefinitionError(
            f"{label}'s domain is {_a(system.domain)}, not an explorer.domain.DomainModel: "
            "give DomainModel(name, aggregates=[...], commands=[...]).")
    if not callable(system.projections):
        raise DefinitionError(
            f"{label}'s projections are {_a(system.projections)}, not a function that makes "
            "them: give projections=lambda: [MyProjection(), ...] (each engine gets fresh "
            "instances).")
    projections = list(system.projections())
    for projection in projections:
        if not isinstance(projection, Projection):
            raise DefinitionError(
                f"{label}'s projections function gave {_a(projection)}, not an instance of an "
                "explorer.projections.Projection subclass" + (
                    f": write {projection.__qualname__}() in the list."
                    if isinstance(projection, type) else "."))
    sagas: Any = system.sagas
    whole = not isinstance(sagas, tuple | list)
    wrong = [sagas] if whole else [saga for saga in sagas if not (
        isinstance(saga, type) and issubclass(saga, ProcessManager))]
    if wrong:
        said = _a(sagas) if whole else f"{_a(sagas)} holding {_a(wrong[0])}"
        raise DefinitionError(
            f"{label}'s sagas are {said}: give a tuple of ProcessManager subclasses (the "
            "classes, not instances), e.g. sagas=(MySaga,).")
    seeder = system.seeder
    if seeder is not None:
        lacking = [name for name in ("seed", "size_name", "size_help", "default_size",
                                     "max_size") if not hasattr(seeder, name)]
        if isinstance(seeder, type) or lacking:
            raise DefinitionError(
                f"{label}'s seeder is {_a(seeder)}" + (
                    f": give an instance, seeder={seeder.__qualname__}()."
                    if isinstance(seeder, type) and not lacking else
                    f", which lacks {', '.join(lacking)}: a seeder has seed(store, *, size, "
                    "seed, days, recent, progress, should_stop), size_name, size_help, "
                    "default_size and max_size (explorer.system.Seeder)."))
    return projections


def _a(value: object) -> str:
    """How a wrong part is named: "the class StockLevels", "a list"."""
    if isinstance(value, type):
        return f"the class {value.__qualname__}"
    return f"a {type(value).__qualname__}"


SAGA_METHODS = {"saga_id_for": "which of its instances an event concerns",
                "observe": "what it does with an event it observes",
                "rejected": "what it does when a step's command is refused"}
"""What each method every saga defines is for (ProcessManager's abstract methods)."""


def _check_sagas(system: System) -> None:
    domain = system.domain
    for saga in system.sagas:
        missing = sorted(getattr(saga, "__abstractmethods__", ()))
        if missing:  # (it could not be made: said at its first event, in a TypeError)
            what = "; ".join(f"{name}: {SAGA_METHODS.get(name, 'see its docstring')}"
                             for name in missing)
            raise DefinitionError(
                f"The saga {saga.__qualname__} ({saga.name!r}) of {system.label} does not define "
                f"{' and '.join(missing)}, which every saga does (explorer.sagas.ProcessManager: "
                f"{what}): define {'them' if len(missing) > 1 else 'it'} in {saga.__qualname__}.")
        cls = domain.aggregates.get(saga.stream_type)
        if cls is not None and issubclass(cls, saga):
            continue
        has = "no class" if cls is None else f"the class {cls.__qualname__}"
        raise DefinitionError(
            f"The saga {saga.__qualname__} ({saga.name!r}) of {system.label} writes "
            f"{saga.stream_type} streams, for which the domain {domain.name} has {has}: add "
            f"{saga.__qualname__} to the domain's aggregates (DomainModel(..., aggregates=[..., "
            f"{saga.__qualname__}])).")


def _check_projections(label: str, projections: list[Projection]) -> None:
    by_name: dict[str, Projection] = {}
    by_table: dict[str, Projection] = {}
    for projection in projections:
        _check_projection(label, projection)
        name = projection.name
        other = by_name.setdefault(name, projection)
        if other is not projection:
            kinds = (f"both {_kind(other)}" if type(other) is type(projection)
                     else f"{_kind(other)} and {_kind(projection)}")
            raise DefinitionError(
                f"{label} has two projections named {name!r} ({kinds}): one would be "
                "dropped; list it once, or give each its own name.")
        for table in projection.tables:
            reserved = reserved_table_name(table.name)
            if reserved is not None:
                raise DefinitionError(
                    f"The projection {name} of {label} keeps a table named {table.name!r}, which "
                    f"no projection may use ({reserved}): remaking it would drop that one; give "
                    "it another name.")
            other = by_table.setdefault(table.name, projection)
            if other is not projection:
                raise DefinitionError(
                    f"The projections {other.name} and {name} of {label} both keep a table named "
                    f"{table.name!r}: their rows would be mixed, and rebuilding one would "
                    "delete the other's; give each its own table name.")


def _check_projection(label: str, projection: Projection) -> None:
    """A projection has a name and at least one table, each declared by versioned_table (whose
    keys and values the engine writes by)."""
    kind = _kind(projection)
    if not isinstance(projection.name, str) or not projection.name:
        raise DefinitionError(
            f"The projection {kind} of {label} has no name: set its class attribute name "
            "(e.g. name = \"stock_levels\"), which the read model is known by.")
    tables = projection.tables
    if not isinstance(tables, tuple | list) or not tables:
        raise DefinitionError(
            f"The projection {projection.name} ({kind}) of {label} keeps no table: set its "
            "class attribute tables to a tuple of the tables it writes, each made by "
            "explorer.projections.versioned_table (the first is the one shown).")
    for table in tables:
        info = getattr(table, "info", None)
        if not isinstance(info, dict) or "keys" not in info or "values" not in info:
            shown = getattr(table, "name", None) or repr(table)
            raise DefinitionError(
                f"The projection {projection.name} ({kind}) of {label} keeps the table "
                f"{shown}, which explorer.projections.versioned_table did not make: declare it "
                f"with versioned_table({shown!r}, metadata, [key columns], [value columns]), "
                "which adds the columns that keep each row's versions.")


def _kind(projection: Projection) -> str:
    return type(projection).__qualname__


def no_saga_listing(system: System) -> str:
    """What to say when `system` has no read model listing saga instances: that it has no
    sagas, or which sagas it has and how to list their instances."""
    if not system.sagas:
        return f"{system.label} has no sagas."
    names = ", ".join(saga.name for saga in system.sagas)
    first = system.sagas[0].__name__
    several = len(system.sagas) > 1
    return (f"{system.label} has the saga{'s' if several else ''} {names} but no saga read "
            f"model listing {'their' if several else 'its'} instances: add to its projections "
            "a SagaInstancesProjection (explorer.sagas.instances) for each saga, a subclass "
            f"setting saga = {first}, tables = saga_tables({first}, metadata) and event_types "
            f"= followed_event_types({first}, [the other aggregates]).")
