"""The application service that runs commands: load, decide, append, retry on conflict.

`CommandService.execute` is what the CLI and the GUI call. `UnitOfWork` runs many commands against
aggregates kept in memory and appends them in large transactions, for bulk work such as seeding.
"""

from __future__ import annotations

import getpass
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from explorer.common.faults import raised_in
from explorer.common.names import unprintable
from explorer.common.timestamps import now_micros
from explorer.domain.aggregate import Aggregate, DomainError
from explorer.domain.commands import Command, CommandError
from explorer.domain.model import DomainModel
from explorer.domain.repository import Repository
from explorer.store.errors import (
    ConcurrencyError,
    EventNotFoundError,
    StoreError,
    StreamTypeMismatchError,
)
from explorer.store.event_store import EventStore
from explorer.store.ids import derived_id, id_millis, uuid7
from explorer.store.records import AppendRequest, NewEvent, RecordedEvent

DEFAULT_ATTEMPTS = 4
A = TypeVar("A", bound=Aggregate)


def default_issuer(source: str) -> str:
    """Who issues commands from this process, e.g. 'cli:alice'."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        user = "unknown"
    return f"{source}:{user}"


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command did: the events it appended (maybe none) and the stream's versions."""

    stream_id: str
    stream_type: str
    command: str
    command_id: str
    correlation_id: str
    version_before: int
    version: int
    events: tuple[RecordedEvent, ...]
    attempts: int = 1
    duplicate: bool = False
    """True when the command (known by its id) had run before: `events` are its stored events."""

    def to_dict(self) -> dict[str, Any]:
        return {"stream_id": self.stream_id, "stream_type": self.stream_type,
                "command": self.command, "command_id": self.command_id,
                "correlation_id": self.correlation_id, "version_before": self.version_before,
                "version": self.version, "attempts": self.attempts, "duplicate": self.duplicate,
                "events": [event.to_dict() for event in self.events]}


class CommandCodeError(Exception):
    """A command's own code (the aggregate's method, the command's `run`, an event handler it
    applied) raised something other than DomainError: a fault of the system, not a refusal.
    Nothing was stored."""


def decide(domain: DomainModel, aggregate: Aggregate, command: Command,
           context: Any) -> list[NewEvent]:
    """Run a command against an aggregate: the new events, or DomainError for a broken rule
    (CommandCodeError for anything else its code raised)."""
    if command.creates_stream is True and aggregate.exists:
        raise DomainError(
            f"{aggregate.stream_type} {aggregate.id} already exists (version {aggregate.version}); "
            f"use a new id to {command.command_name} another.")
    if command.creates_stream is False and not aggregate.exists:
        creators = " or ".join(domain.creating_commands(aggregate.stream_type))
        raise DomainError(f"{aggregate.stream_type} {aggregate.id} does not exist yet; "
                          f"create it with {creators or 'its first command'} first.")
    if type(command).run is Command.run \
            and not callable(getattr(aggregate, command.command_name, None)):
        cls = type(command).__qualname__
        raise CommandCodeError(
            f"{aggregate.stream_type} {aggregate.id}'s command {command.command_name} cannot "
            f"run: {cls} calls the aggregate's method {command.command_name}() by default, and "
            f"{type(aggregate).__qualname__} has none. Add that method, or give {cls} a "
            "run(self, aggregate, context) that calls the one it means. Nothing was stored.")
    try:
        command.run(aggregate, context)
    except (DomainError, CommandError, StoreError):
        raise
    except Exception as error:  # their code, not a refusal: say so, and where
        raise CommandCodeError(
            f"{aggregate.stream_type} {aggregate.id}'s command {command.command_name} failed in "
            f"the system's code: {type(error).__name__}: {error} (in "
            f"{raised_in(error, type(aggregate))}). Nothing was stored. Fix the code; a command "
            "a business rule refuses raises DomainError (explorer.domain).") from error
    return aggregate.collect_pending()


class CommandService:
    """Runs commands of one domain against one store.

    `clock` and `new_id` are injectable so that simulations (seeding) are repeatable.
    """

    def __init__(self, store: EventStore, domain: DomainModel, *, context: Any = None,
                 issued_by: str | None = None, clock: Callable[[], int] = now_micros,
                 new_id: Callable[[], str] = uuid7, max_attempts: int = DEFAULT_ATTEMPTS,
                 use_snapshots: bool = True) -> None:
        self.store = store
        self.domain = domain
        self.context = context if context is not None else domain.make_context()
        self.issued_by = issued_by or default_issuer("app")
        self.clock = clock
        self.new_id = new_id
        self.max_attempts = max_attempts
        self.repository = Repository(store, domain, use_snapshots=use_snapshots)

    def parse(self, stream_type: str, command: str, data: Any) -> Command:
        """Validate input for a command; CommandValidationError lists each invalid field."""
        return self.domain.command_class(stream_type, command).parse(data)

    def execute(self, stream_type: str, stream_id: str, command: str | Command,
                data: Any = None, *, expected_version: int | None = None,
                correlation_id: str | None = None, causation_id: str | None = None,
                issued_by: str | None = None, command_id: str | None = None) -> CommandResult:
        """Run one command and append its events.

        With `expected_version`, the stream must be at that version (else ConcurrencyError);
        without, a conflict with another writer is retried on fresh state a few times.
        With a `command_id`, the command runs at most once: its events get ids derived from it,
        and if they are stored already the stored result is returned without deciding again.
        """
        parsed = command if isinstance(command, Command) else self.parse(stream_type, command, data)
        if parsed.stream_type != stream_type:
            raise DomainError(f"{parsed.command_name} is a {parsed.stream_type} command, "
                              f"not {stream_type}.")
        _check_stream_id(stream_id)
        idempotent = command_id is not None
        if command_id is not None:
            earlier = self._earlier_run(command_id)
            if earlier:
                return CommandResult(stream_id, stream_type, parsed.command_name, command_id,
                                     earlier[0].correlation_id or command_id,
                                     earlier[0].version - 1, earlier[-1].version, earlier,
                                     duplicate=True)
        command_id = command_id or self.new_id()
        correlation_id = correlation_id or command_id
        metadata = {"correlation_id": correlation_id, "causation_id": causation_id or command_id,
                    "command": parsed.command_name, "command_id": command_id,
                    "issued_by": issued_by or self.issued_by}
        for attempt in range(1, self.max_attempts + 1):
            loaded = self.repository.load(stream_type, stream_id)
            aggregate = loaded.aggregate
            before = aggregate.version
            if expected_version is not None and expected_version != before:
                raise ConcurrencyError(stream_id, expected_version, before)
            try:
                pending = decide(self.domain, aggregate, parsed, self.context)
            except DomainError:
                # Refused now, but perhaps because another runner just ran this very command.
                earlier = self._earlier_run(command_id) if idempotent else ()
                if not earlier:
                    raise
                return CommandResult(stream_id, stream_type, parsed.command_name, command_id,
                                     earlier[0].correlation_id or command_id,
                                     earlier[0].version - 1, earlier[-1].version, earlier,
                                     duplicate=True)
            if not pending:
                return CommandResult(stream_id, stream_type, parsed.command_name, command_id,
                                     correlation_id, before, before, (), attempt)
            now = self.clock()
            for number, event in enumerate(pending):
                event.metadata = metadata
                event.event_id = (derived_id(command_id, number, id_millis(command_id))
                                  if idempotent else self.new_id())
                event.timestamp_us = now
            try:
                result = self.store.append(stream_id, stream_type, pending, before)
            except ConcurrencyError:
                if expected_version is not None or attempt == self.max_attempts:
                    raise
                continue
            if result.events and not result.duplicate:
                self.repository.maybe_snapshot(aggregate, before, result.events[-1])
            return CommandResult(stream_id, stream_type, parsed.command_name, command_id,
                                 correlation_id, before, result.version, result.events, attempt,
                                 duplicate=result.duplicate)
        raise AssertionError("unreachable")  # pragma: no cover

    def _earlier_run(self, command_id: str) -> tuple[RecordedEvent, ...]:
        """The events a command with this id stored before, if it ran (ids derived from it)."""
        found: list[RecordedEvent] = []
        while True:
            try:
                found.append(self.store.event_by_id(
                    derived_id(command_id, len(found), id_millis(command_id))))
            except EventNotFoundError:
                return tuple(found)


class UnitOfWork:
    """Many commands against aggregates cached in memory, appended in large transactions.

    A flush appends each command's events in the order they were decided, so positions follow
    time, and with the stream version each command saw, so a conflicting writer makes the whole
    flush fail (ConcurrencyError) rather than lose anything.
    """

    def __init__(self, service: CommandService, *, flush_every: int = 5000,
                 cache_size: int = 50_000, fresh: bool = False) -> None:
        """`fresh`: the store held no events when this unit began, and nothing else writes to
        it meanwhile (seeding a new store). A stream this unit has not written then does not
        exist, so it is not looked up. Were it written elsewhere after all, the flush would
        fail with a ConcurrencyError: nothing is lost."""
        self.service = service
        self.flush_every = flush_every
        self.cache_size = cache_size
        self._written: set[str] | None = set() if fresh else None
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._requests: list[AppendRequest] = []
        self._dirty: dict[str, _Cached] = {}
        self._pending_count = 0
        self.events_appended = 0

    @overload
    def aggregate(self, kind: str, stream_id: str) -> Aggregate: ...

    @overload
    def aggregate(self, kind: type[A], stream_id: str) -> A: ...

    def aggregate(self, kind: str | type[A], stream_id: str) -> Aggregate:
        """The aggregate as of the last command in this unit of work. `kind` is its stream
        type, or its class (as `Repository.load` takes it), whose instance is then returned."""
        if isinstance(kind, str):
            return self._cached(kind, stream_id).aggregate
        stream_type = self.service.domain.class_of(kind).stream_type
        aggregate = self._cached(stream_type, stream_id).aggregate
        if not isinstance(aggregate, kind):  # this unit met the id as another type's
            raise StreamTypeMismatchError(stream_id, stream_type, aggregate.stream_type)
        return aggregate

    def _cached(self, stream_type: str, stream_id: str) -> _Cached:
        cached = self._cache.get(stream_id)
        if cached is None:
            written = self._written
            if written is not None and stream_id not in written:  # new: nothing to load
                aggregate = self.service.domain.aggregate_class(stream_type)(stream_id)
                cached = _Cached(aggregate, 0)
            else:
                loaded = self.service.repository.load(stream_type, stream_id)
                cached = _Cached(loaded.aggregate, loaded.version)
            self._cache[stream_id] = cached
        else:
            self._cache.move_to_end(stream_id)
        return cached

    def execute(self, stream_type: str, stream_id: str, command: str, data: Any, *,
                timestamp_us: int, correlation_id: str | None = None,
                causation_id: str | None = None, issued_by: str | None = None,
                command_id: str | None = None) -> list[NewEvent]:
        """Decide one command now; its events are appended at the next flush.

        A given `command_id` gives the events ids derived from it, as CommandService does.
        """
        service = self.service
        parsed = service.parse(stream_type, command, data)
        _check_stream_id(stream_id)
        cached = self._cached(stream_type, stream_id)
        derived = command_id is not None
        command_id = command_id or service.new_id()
        version = cached.aggregate.version
        try:
            pending = decide(service.domain, cached.aggregate, parsed, service.context)
        except BaseException:
            if cached.aggregate.version != version:  # it recorded, then refused: undo that
                self._rebuild(cached, stream_type, stream_id)
            raise
        metadata = {"correlation_id": correlation_id or command_id,
                    "causation_id": causation_id or command_id, "command": parsed.command_name,
                    "command_id": command_id, "issued_by": issued_by or service.issued_by}
        for number, event in enumerate(pending):
            event.event_id = (derived_id(command_id, number, id_millis(command_id)) if derived
                              else service.new_id())
        self._queue(cached, stream_type, stream_id, pending, metadata, timestamp_us)
        return pending

    def _rebuild(self, cached: _Cached, stream_type: str, stream_id: str) -> None:
        """The aggregate as its stored events and this unit's queued ones leave it: a command
        that recorded events and then raised changed the cached one (events that are never
        appended, which the next command would have decided on, and appended)."""
        if cached.persisted_version:
            aggregate = self.service.repository.load(stream_type, stream_id,
                                                     at_version=cached.persisted_version
                                                     ).aggregate
        else:
            aggregate = type(cached.aggregate)(stream_id)
        for request in self._requests:
            if request.stream_id == stream_id:
                for event in request.events:
                    aggregate.apply(event.event_type, event.data)
                    aggregate.version += 1
        cached.aggregate = aggregate

    def record(self, aggregate: Aggregate, metadata: dict[str, Any], timestamp_us: int,
               event_ids: list[str]) -> list[NewEvent]:
        """Queue what an aggregate of this unit recorded by itself (a saga observing events)."""
        cached = self._cache[aggregate.id]
        pending = aggregate.collect_pending()
        for event, event_id in zip(pending, event_ids, strict=False):
            event.event_id = event_id
        self._queue(cached, aggregate.stream_type, aggregate.id, pending, metadata, timestamp_us)
        return pending

    def _queue(self, cached: _Cached, stream_type: str, stream_id: str, pending: list[NewEvent],
               metadata: dict[str, Any], timestamp_us: int) -> None:
        if not pending:
            return
        for event in pending:
            event.metadata = metadata
            event.timestamp_us = timestamp_us
            event.event_id = event.event_id or self.service.new_id()
        before = cached.aggregate.version - len(pending)
        self._requests.append(AppendRequest(stream_id, stream_type, pending, before))
        if self._written is not None:
            self._written.add(stream_id)
        self._dirty[stream_id] = cached
        self._pending_count += len(pending)
        if self._pending_count >= self.flush_every:
            self.flush()

    def flush(self) -> int:
        """Append everything decided since the last flush in one transaction."""
        while len(self._cache) > self.cache_size:  # forget the least recently used
            stream_id, _ = self._cache.popitem(last=False)
            if stream_id in self._dirty:  # still to be written: keep it after all
                self._cache[stream_id] = self._dirty[stream_id]
                break
        if not self._requests:
            return 0
        results = self.service.store.append_batch(self._requests)
        last_events = {result.stream_id: result.events[-1] for result in results if result.events}
        repository = self.service.repository
        for stream_id, cached in self._dirty.items():
            repository.maybe_snapshot(cached.aggregate, cached.persisted_version,
                                      last_events[stream_id])
            cached.persisted_version = cached.aggregate.version
        count = self._pending_count
        self.events_appended += count
        self._requests = []
        self._dirty.clear()
        self._pending_count = 0
        return count


class _Cached:
    __slots__ = ("aggregate", "persisted_version")

    def __init__(self, aggregate: Aggregate, persisted_version: int) -> None:
        self.aggregate = aggregate
        self.persisted_version = persisted_version


def _check_stream_id(stream_id: str) -> None:
    if not isinstance(stream_id, str) or not stream_id.strip():
        raise DomainError("A stream id is needed: the id of the stream the command is for.")
    if len(stream_id) > 200:
        raise DomainError(f"The stream id {stream_id[:20]}... is {len(stream_id)} characters long; "
                          "keep it under 200.")
    if unprintable(stream_id) is not None or " " in stream_id:
        raise DomainError(f"The stream id {stream_id!r} has spaces or control characters; "
                          "use letters, digits, '_', '-' or '.'.")
