"""Sending commands by hand: requests, their outcomes, and the command "like the one that
caused" an event (the history of what was sent is `history`). The window's command console and
the command line's `script` both go through `send`, which never lets an error escape: every
request ends as events, or as a validation, business, conflict or storage message, and nothing
half-written.

Secrets (fields declared with `secret_field`) are never kept whole: the history keeps their
masked form ("•••• 0002"), and a form is never filled with them from the history or an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, NamedTuple

from pydantic import Field, PlainSerializer, SerializerFunctionWrapHandler, model_serializer

from explorer.common.json_form import JsonForm
from explorer.domain import CommandCodeError, CommandService, DomainError, DomainModel
from explorer.domain.commands import Command, CommandError, CommandValidationError, FieldProblem
from explorer.domain.forms import (
    FieldSpec,
    form_of,
    mask_secrets,
    withheld_secrets,
    without_secrets,
)
from explorer.store.errors import ConcurrencyError, StoreError
from explorer.store.records import RecordedEvent
from explorer.system import System

BETWEEN_LIMIT = 20  # a conflict names at most this many of the events that came in between


class OutcomeKind(StrEnum):
    """What became of a request; the values are what saved files and `--json` say."""

    EVENTS = "events"  # it was done: events written (or none, if it had been done already)
    INVALID = "invalid"  # its fields, type or command did not make a valid command
    REJECTED = "rejected"  # a business rule refused it
    CONFLICT = "conflict"  # the stream changed since the version the sender saw
    FAILED = "failed"  # the store could not do it, or the system's code failed


@dataclass(frozen=True)
class CommandRequest(JsonForm):
    """One command to send: to which aggregate, which command, its fields and, optionally, the
    version the sender saw (a stale one is refused rather than overwritten)."""

    stream_type: str
    stream_id: str
    command: str
    data: dict[str, Any] = field(default_factory=dict)
    expected_version: Annotated[int | None, Field(exclude_if=lambda version: version is None)] \
        = None

    def label(self) -> str:
        return f"{self.stream_type} {self.stream_id}: {self.command.replace('_', ' ')}"


def _form(request: CommandRequest, domain: DomainModel) -> tuple[FieldSpec, ...]:
    command = domain.commands.get(request.stream_type, {}).get(request.command)
    return _fields_of(command) if command is not None else ()


@cache
def _fields_of(command: type[Command]) -> tuple[FieldSpec, ...]:
    """A command's fields, read once (a history of hundreds is masked as it loads)."""
    return form_of(command)


def masked(request: CommandRequest, domain: DomainModel) -> CommandRequest:
    """The request with its secrets masked ("•••• 0002"): what the history and recordings keep.
    (A request for an unknown command is kept as it is: it was refused, and names no fields.)"""
    data = mask_secrets(_form(request, domain), request.data)
    return request if data == request.data else replace(request, data=data)


def without_secret_values(request: CommandRequest, domain: DomainModel) -> CommandRequest:
    """The request without its secrets' values, to fill a form with: a secret is typed again
    (or left at its default), never carried over from the history."""
    return replace(request, data=without_secrets(_form(request, domain), request.data))


def secrets_to_retype(request: CommandRequest, domain: DomainModel) -> list[str]:
    """The secret fields of a request from the history that were masked whole ("••••"), so
    that sending it again would send the mask: they must be typed again."""
    return withheld_secrets(_form(request, domain), request.data)


class EventMark(NamedTuple):
    """An event named by where it is and what it is (saved as {"position", "event_type"})."""

    position: int
    event_type: str


def _saved_mark(mark: tuple[int, str]) -> dict[str, Any]:
    return EventMark(*mark)._asdict()


_MarkSaved = Annotated[EventMark, PlainSerializer(_saved_mark)]


@dataclass(frozen=True)
class Outcome(JsonForm):
    """What became of a request."""

    kind: OutcomeKind
    message: str
    positions: tuple[int, ...] = ()
    event_types: tuple[str, ...] = ()
    version: int | None = None
    problems: tuple[FieldProblem, ...] = ()
    expected: int | None = None  # for a conflict: the version the sender saw, and the real one
    actual: int | None = None
    between: tuple[_MarkSaved, ...] = ()  # for a conflict: the events that came in between,
    # oldest first, the first BETWEEN_LIMIT of them

    @property
    def ok(self) -> bool:
        return self.kind == OutcomeKind.EVENTS

    @model_serializer(mode="wrap")
    def _saved(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The fields saved files and `--json` have always held: the events' only when there
        are events, the problems only if any, a conflict's only for a conflict."""
        left_out = set()
        if not self.positions:
            left_out |= {"positions", "event_types", "version"}
        if not self.problems:
            left_out.add("problems")
        if self.kind != OutcomeKind.CONFLICT:
            left_out |= {"expected", "actual", "between"}
        elif not self.between:
            left_out.add("between")
        return {name: value for name, value in handler(self).items() if name not in left_out}


def writable_types(system: System) -> list[str]:
    """The aggregate types of a system a person may send commands to: not the sagas' own.
    (New ids for them: `system.new_id(stream_type)`.)"""
    owned = system.saga_stream_types
    return [t for t, commands in system.domain.commands.items() if commands and t not in owned]


def owner_of(system: System, stream_type: str | None,
             stream_id: str | None = None) -> str | None:
    """Why a stream must not be written by hand (it belongs to a saga), or None if it may be."""
    saga = system.saga_owning(stream_type)
    if saga is None:
        return None
    others = _listed(writable_types(system))
    instead = f"; send commands to {others} instead" if others else ""
    return (f"{stream_id or stream_type} belongs to the {saga.title or saga.name} saga, which "
            f"alone writes its stream{instead}.")


def _listed(names: list[str]) -> str:
    """"an Order, Inventory or Payment": the types a person may write, in a sentence."""
    if not names:
        return ""
    article = "an" if names[0][:1].lower() in "aeiou" else "a"
    return f"{article} {names[0]}" if len(names) == 1 else \
        f"{article} {', '.join(names[:-1])} or {names[-1]}"


def send(service: CommandService, request: CommandRequest, system: System, *,
         issued_by: str | None = None) -> Outcome:
    """Run a request through the command service (of the system's domain); every failure
    becomes an Outcome."""
    refusal = owner_of(system, request.stream_type, request.stream_id)
    if refusal:
        return Outcome(OutcomeKind.REJECTED, refusal)
    try:
        result = service.execute(request.stream_type, request.stream_id, request.command,
                                 request.data, expected_version=request.expected_version,
                                 issued_by=issued_by)
    except CommandValidationError as error:
        return Outcome(OutcomeKind.INVALID, str(error), problems=tuple(error.problems))
    except CommandError as error:  # an unknown type or command
        return Outcome(OutcomeKind.INVALID, str(error))
    except DomainError as error:
        return Outcome(OutcomeKind.REJECTED, str(error))
    except ConcurrencyError as error:
        return Outcome(OutcomeKind.CONFLICT, str(error), expected=error.expected,
                       actual=error.actual, between=_events_between(service, error))
    except (StoreError, ValueError, CommandCodeError) as error:
        return Outcome(OutcomeKind.FAILED, str(error))
    events = result.events
    if not events:
        return Outcome(OutcomeKind.EVENTS, f"{request.command.replace('_', ' ')} changed "
                       "nothing: it had been done already.", version=result.version)
    names = ", ".join(e.event_type for e in events)
    return Outcome(OutcomeKind.EVENTS,
                   f"{names} ({request.stream_id} now at version {result.version})",
                   tuple(e.position for e in events), tuple(e.event_type for e in events),
                   result.version)


def _events_between(service: CommandService,
                    conflict: ConcurrencyError) -> tuple[EventMark, ...]:
    """The events another writer appended between the version the sender saw and the one it
    found (the first BETWEEN_LIMIT); none if they cannot be read now."""
    if conflict.actual <= conflict.expected:
        return ()
    try:
        events = service.store.read_stream(
            conflict.stream_id, from_version=conflict.expected + 1,
            to_version=min(conflict.actual, conflict.expected + BETWEEN_LIMIT))
    except StoreError:
        return ()
    return tuple(EventMark(event.position, event.event_type) for event in events)


def like_event(event: RecordedEvent, system: System) -> CommandRequest | None:
    """A request like the command that caused `event` (from its metadata), its fields filled
    from the event's data where their names match; None if no command of the system caused it."""
    name = (event.metadata or {}).get("command")
    commands = system.domain.commands.get(event.stream_type, {})
    if not name or name not in commands or owner_of(system, event.stream_type, event.stream_id):
        return None
    data = event.data if isinstance(event.data, dict) else {}
    values = {}
    for spec in form_of(commands[name]):
        if spec.name not in data or spec.secret:
            continue
        value = data[spec.name]
        if spec.kind == "list" and not isinstance(value, list):
            continue  # not what the command takes: leave the field to the user
        if spec.kind == "list" and spec.item is not None and spec.item.kind == "object":
            names = {f.name for f in spec.item.fields}
            value = [{k: v for k, v in row.items() if k in names}
                     for row in value if isinstance(row, dict)]
        elif spec.kind == "object" and isinstance(value, dict):
            names = {f.name for f in spec.fields}
            value = {k: v for k, v in value.items() if k in names}
        values[spec.name] = value
    return CommandRequest(event.stream_type, event.stream_id, name, values)
