"""A system: one event-sourced application the explorer can load, described by one object.

The engine (store, domain kernel, projections and saga runtime, time travel, what-if, console,
scripts, command line, window) is given a System by its composition roots and never names a
concrete one. A system brings its domain (aggregate types, their commands with schemas, event
upcasters), the projections that build its read models, the sagas (process managers) that
coordinate its aggregates, what its command handlers need besides the aggregate (the domain's
`make_context`), how new stream ids look, and optionally a seeder and demo scripts.

Systems are found by `explorer.systems` (entry points, module paths, what a store names);
`NO_SYSTEM` explores any store without one: events, streams and the timeline as they are, and a
stream's state by the generic fold.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, Protocol

from explorer.domain.model import DomainModel
from explorer.store.ids import uuid7
from explorer.store.upcasting import EventRegistry
from explorer.system.checks import check_system

if TYPE_CHECKING:
    from explorer.projections.engine import Projection
    from explorer.sagas.process import ProcessManager
    from explorer.store.event_store import EventStore


class Seeder(Protocol):
    """Fills an empty store with a realistic history made by the system's own commands.

    `size_name` names its size option (`seed --orders N` for the shop), `default_size` and
    `max_size` bound it. `days` is the simulated period; with `recent` the history ends a day
    before now (else it begins on a fixed date, so that the same seed gives the same store).
    `seed` returns what it made, as JSON-ready values (at least "events"); `progress(n)` counts
    the size done, and `should_stop()` ends it early keeping what was made.
    """

    size_name: str
    size_help: str
    default_size: int
    max_size: int

    def seed(self, store: EventStore, *, size: int, seed: int, days: int, recent: bool,
             progress: Callable[[int], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class System:
    """Everything the explorer needs to know about one event-sourced system."""

    name: str
    domain: DomainModel
    title: str = ""
    description: str = ""
    projections: Callable[[], Sequence[Projection]] = tuple
    """A factory of the system's projections: fresh instances for each engine."""
    sagas: tuple[type[ProcessManager], ...] = ()
    id_prefixes: Mapping[str, str] = field(default_factory=dict)
    """How new stream ids begin, by stream type (Order: "order" gives order_4f3a9c1e); a type
    not named here gets its name in lower case."""
    derived_streams: Callable[[str, str], list[str]] = lambda stream_type, stream_id: []
    """The streams named after a new stream by the system itself (the saga's payment of an
    order): a recorded script gives them fresh ids along with the stream they come from."""
    seeder: Seeder | None = None
    scripts: Traversable | None = None
    """A folder of demo scripts (JSON or YAML) that the console offers to play."""
    generic: bool = False
    """True for NO_SYSTEM: streams' state is the generic fold, and there is nothing to run."""
    context_defaults: Mapping[str, Any] = field(default_factory=dict)
    store_opened: Callable[[EventStore], None] = lambda store: None
    """Told of every store opened with the system (explorer.system.workspace.open_store): a
    system that reads streams with code of its own (an `eventsourcing` application, see
    explorer.system.application) learns there which file to read."""

    def __post_init__(self) -> None:
        check_system(self)  # a DefinitionError names the clashing parts and what to do

    def new_id(self, stream_type: str, tag: str = "") -> str:
        """A fresh id for a new stream of a type, e.g. order_4f3a9c1e (order_whatif_3c9e1a with
        a tag)."""
        prefix = self.id_prefixes.get(stream_type) or stream_type.lower() or "id"
        return f"{prefix}_{tag}_{uuid7()[-6:]}" if tag else f"{prefix}_{uuid7()[-8:]}"

    @property
    def label(self) -> str:
        return self.title or self.name

    @property
    def registry(self) -> EventRegistry | None:
        """The event types and upcasters events are read with; None reads every type as stored
        (no system: nothing to upcast, and no type is unknown)."""
        return None if self.generic else self.domain.registry

    @property
    def saga_stream_types(self) -> frozenset[str]:
        """Stream types only sagas may write."""
        return frozenset(saga.stream_type for saga in self.sagas)

    def saga_owning(self, stream_type: str | None) -> type[ProcessManager] | None:
        """The saga whose stream type this is, if any."""
        return next((saga for saga in self.sagas if saga.stream_type == stream_type), None)

    def make_context(self, **options: Any) -> Any:
        """What command handlers need besides the aggregate, given the options it accepts (an
        option it does not take, such as a simulated gateway's failure rate, is left out)."""
        make = self.domain.make_context
        accepted = inspect.signature(make).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
        chosen = {**self.context_defaults, **options}
        return make(**{k: v for k, v in chosen.items() if takes_any or k in accepted})


NO_SYSTEM = System(
    name="none", domain=DomainModel("none", aggregates=[], commands=[]), title="No system",
    description="No system is loaded: streams, events and the timeline as stored; a stream's "
                "state by the generic fold.", generic=True)
"""Exploring a store without its system's code."""
