"""The aggregate base: state built by applying events; commands that check rules and record events.

An aggregate method named after a command checks the business rules against the current state and
records new events with `_record`, or raises DomainError. Event handlers are marked with
`@applies("EventType")`; they change state and never fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from explorer.store.records import NewEvent
from explorer.store.upcasting import Upcaster


class DomainError(Exception):
    """A command broke a business rule. The message is for the user, in their words."""


class AlreadyDone(DomainError):
    """The command asks for what is already so (cancel a cancelled order). To a person it is
    still refused; to a saga compensating, the step's purpose holds."""


Handler = Callable[[Any, dict[str, Any]], None]


def applies(event_type: str, *, version: int = 1, upcasters: dict[int, Upcaster] | None = None,
            description: str = "") -> Callable[[Handler], Handler]:
    """Mark a method as the handler that applies `event_type` to the aggregate's state.

    `version` is the event type's current schema version; `upcasters[v]` turns version v into v+1.
    """
    def mark(handler: Handler) -> Handler:
        handler.applies = EventDeclaration(event_type, version, dict(upcasters or {}),  # type: ignore[attr-defined]
                                           description or (handler.__doc__ or "").strip())
        return handler
    return mark


class EventDeclaration:
    """What `@applies` records about an event type."""

    __slots__ = ("event_type", "version", "upcasters", "description")

    def __init__(self, event_type: str, version: int, upcasters: dict[int, Upcaster],
                 description: str) -> None:
        self.event_type = event_type
        self.version = version
        self.upcasters = upcasters
        self.description = description


class Aggregate:
    """Base class of event-sourced aggregates.

    Subclasses set `stream_type`, initialise their state in `__init__` (after calling super) and
    keep it in public attributes holding JSON values, which `state()` returns and snapshots keep.
    """

    stream_type: ClassVar[str] = ""
    snapshot_every: ClassVar[int] = 100
    """Take a snapshot every this many events; 0 turns snapshots off for the type."""
    state_version: ClassVar[int] = 1
    """Bump when the state's shape changes: snapshots of other versions are then ignored."""
    declarations: ClassVar[dict[str, EventDeclaration]] = {}
    _handlers: ClassVar[dict[str, Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[str, Handler] = {}
        declarations: dict[str, EventDeclaration] = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                declaration = getattr(value, "applies", None)
                if isinstance(declaration, EventDeclaration):
                    handlers[declaration.event_type] = value
                    declarations[declaration.event_type] = declaration
        cls._handlers = handlers
        cls.declarations = declarations

    def __init__(self, stream_id: str) -> None:
        self.id = stream_id
        self.version = 0
        self._pending: list[NewEvent] = []

    @property
    def exists(self) -> bool:
        return self.version > 0

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        """Change state by one stored event. Types this aggregate does not know are ignored."""
        handler = self._handlers.get(event_type)
        if handler is not None:
            handler(self, data)

    def _record(self, event_type: str, **data: Any) -> None:
        """Record a new event: apply it now and keep it to be appended."""
        if event_type not in self._handlers:
            raise TypeError(f"{type(self).__name__} has no handler for {event_type}")
        self.apply(event_type, data)
        self.version += 1
        self._pending.append(NewEvent(event_type, data))

    def collect_pending(self) -> list[NewEvent]:
        """The events recorded since the last call, handed over once."""
        pending, self._pending = self._pending, []
        return pending

    def state(self) -> dict[str, Any]:
        """The aggregate's state as JSON values (no id, no version)."""
        return {key: value for key, value in vars(self).items()
                if not key.startswith("_") and key not in ("id", "version")}

    def restore(self, state: dict[str, Any]) -> None:
        """Take the state of a snapshot. Unknown keys mean a changed shape: refuse them."""
        expected = set(self.state())
        if set(state) != expected:
            raise ValueError(f"snapshot fields {sorted(set(state) ^ expected)} do not match "
                             f"{type(self).__name__}")
        vars(self).update(state)

    def describe(self) -> str:
        """A name for messages, e.g. 'order order_789'."""
        return f"{self.stream_type.lower()} {self.id}"
