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

from typing import TYPE_CHECKING

from explorer.domain.model import DefinitionError
from explorer.projections.reserved import reserved_table_name

if TYPE_CHECKING:
    from explorer.projections.engine import Projection
    from explorer.system import System


def check_system(system: System) -> None:
    """Raise DefinitionError if `system`'s parts clash; its projections factory is called once
    (fresh instances, as for any engine) to see their names and tables."""
    _check_sagas(system)
    _check_projections(system.label, list(system.projections()))


def _check_sagas(system: System) -> None:
    domain = system.domain
    for saga in system.sagas:
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
