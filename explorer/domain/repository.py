"""Loading aggregates: the newest usable snapshot, then the events after it.

Snapshots are a cache. One that cannot be decoded or restored is ignored (and said so in the
result's notes); the aggregate is then rebuilt from its events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypedDict, TypeVar, overload

import orjson

from explorer.common.faults import raised_in
from explorer.common.timestamps import iso
from explorer.domain.aggregate import Aggregate
from explorer.domain.model import DomainModel
from explorer.store.decoding import decode_json_object
from explorer.store.errors import StoreError, StreamNotFoundError, StreamTypeMismatchError
from explorer.store.event_store import EventStore
from explorer.store.records import RecordedEvent, SnapshotRecord

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)


class ReplayError(Exception):
    """An aggregate's own code raised while its events were applied: the stream cannot be
    rebuilt until that code is fixed (its events are as they were stored)."""

    def __init__(self, aggregate: Aggregate, version: int, event_type: str,
                 error: Exception, skipped: Sequence[str] = ()) -> None:
        # (an event skipped before, one that could not be upcast say, may be the cause)
        before = "".join(f" Before it, {note[0].lower()}{note[1:].rstrip('.')}: what event "
                         f"{version} needed may come from there." for note in skipped[-1:])
        super().__init__(
            f"{aggregate.stream_type} {aggregate.id} cannot be rebuilt: applying its event "
            f"{version} ({event_type}) raised {type(error).__name__}: {error} (in "
            f"{raised_in(error, type(aggregate))}). Fix the aggregate's code; its events are as "
            f"they were stored.{before}")
        self.stream_id = aggregate.id
        self.version = version
        self.event_type = event_type


class _Bounds(TypedDict):
    """How far to load a stream (None: no bound)."""

    to_version: int | None
    to_position: int | None
    to_time_us: int | None


@dataclass(slots=True)
class LoadedAggregate(Generic[A]):
    """An aggregate as loaded, with what was used to load it and any problems met."""

    aggregate: A
    snapshot_version: int | None = None
    events_replayed: int = 0
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # the notes of the events skipped

    @property
    def version(self) -> int:
        return self.aggregate.version


class Repository:
    """Loads aggregates of a domain from an event store, and snapshots them."""

    def __init__(self, store: EventStore, domain: DomainModel, *,
                 use_snapshots: bool = True) -> None:
        self.store = store
        self.domain = domain
        self.use_snapshots = use_snapshots

    @overload
    def load(self, kind: str, stream_id: str, *, at_version: int | None = None,
             at_position: int | None = None, at_time_us: int | None = None,
             ) -> LoadedAggregate[Aggregate]: ...

    @overload
    def load(self, kind: type[A], stream_id: str, *, at_version: int | None = None,
             at_position: int | None = None, at_time_us: int | None = None,
             ) -> LoadedAggregate[A]: ...

    def load(self, kind: str | type[A], stream_id: str, *, at_version: int | None = None,
             at_position: int | None = None, at_time_us: int | None = None,
             ) -> LoadedAggregate[A] | LoadedAggregate[Aggregate]:
        """The aggregate as of the bounds given (default: now). A missing stream loads empty.

        `kind` is a stream type (read with the domain's class for it, or the generic fold), or
        an aggregate class (the domain must read its stream type with it, or a subclass), whose
        instance the result then holds.
        One query in the common case: the events after the newest snapshot within the bounds.
        """
        bounds: _Bounds = {"to_version": at_version, "to_position": at_position,
                           "to_time_us": at_time_us}
        if isinstance(kind, str):
            return self._load(self.domain.reading_class(kind), stream_id, bounds)
        return self._load(self.domain.class_of(kind), stream_id, bounds)

    def _load(self, cls: type[A], stream_id: str, bounds: _Bounds) -> LoadedAggregate[A]:
        stream_type = cls.stream_type
        aggregate = cls(stream_id)
        loaded = LoadedAggregate(aggregate)
        store = self.store
        if not (self.use_snapshots and cls.snapshot_every):
            self.replay(loaded, store.replay_rows(stream_id, **bounds), stream_type)
            return loaded
        snapshot, rows = store.replay_after_snapshot(stream_id, **bounds)
        if snapshot is not None:
            if snapshot.stream_type != stream_type:
                raise StreamTypeMismatchError(stream_id, stream_type, snapshot.stream_type)
            if not self._restore(aggregate, snapshot, loaded):
                loaded.aggregate = cls(stream_id)  # back to the initial state, replay it all
                rows = store.replay_rows(stream_id, **bounds)
        self.replay(loaded, rows, stream_type)
        return loaded

    def replay(self, loaded: LoadedAggregate[A], rows: list[tuple[Any, ...]],
                stream_type: str) -> None:
        """Apply undecoded rows to the aggregate (see replay_each), all at once: an aggregate
        whose `apply` is the base's gets each event straight from its handler."""
        aggregate = loaded.aggregate
        cls = type(aggregate)
        current = self.store.decoder.current_versions
        if cls.apply is not Aggregate.apply or current is None:  # (the generic fold, say)
            for _ in self.replay_each(loaded, rows, stream_type):
                pass
            return
        if rows and rows[0][4] != stream_type:
            raise StreamTypeMismatchError(aggregate.id, stream_type, rows[0][4])
        handlers = cls._handlers
        loads, wanted = orjson.loads, current.get
        unknown_as_stored = getattr(aggregate, "generic", False) and (
            self.store.decoder.registry is not None)
        for row in rows:
            event_type = row[1]
            decoded: Any = None
            if wanted(event_type) == row[2]:
                try:
                    decoded = loads(row[3])
                except (orjson.JSONDecodeError, TypeError):
                    decoded = None
            if type(decoded) is not dict:
                decoded = self._decoded_otherwise(loaded, row, unknown_as_stored)
            if decoded is not None:
                handler = handlers.get(event_type)
                if handler is not None:
                    try:
                        handler(aggregate, decoded)
                    except Exception as error:  # the aggregate's own code
                        raise ReplayError(aggregate, row[0], event_type, error,
                                          loaded.skipped) from error
            aggregate.version = row[0]
        loaded.events_replayed += len(rows)

    def replay_each(self, loaded: LoadedAggregate[A], rows: Sequence[Sequence[Any]],
                    stream_type: str) -> Iterator[Sequence[Any]]:
        """Apply undecoded rows (`EventStore.replay_rows`' or `replay_rows_positioned`') to the
        loaded aggregate one at a time, yielding each row once it is applied (the aggregate's
        version is then the row's): for watching the state change event by event. Rows that
        cannot be decoded become notes.

        The generic fold (a stream type the system does not know) takes events of types the
        system does not know either as stored: there is nothing to upcast them with."""
        aggregate = loaded.aggregate
        if rows and rows[0][4] != stream_type:
            raise StreamTypeMismatchError(aggregate.id, stream_type, rows[0][4])
        decoder = self.store.decoder
        current = decoder.current_versions
        unknown_as_stored = getattr(aggregate, "generic", False) and decoder.registry is not None
        loads = orjson.loads
        apply = aggregate.apply
        for row in rows:
            version, event_type, schema_version, data = row[0], row[1], row[2], row[3]
            decoded: Any = None
            if current is None or current.get(event_type) == schema_version:
                try:
                    decoded = loads(data)
                except (orjson.JSONDecodeError, TypeError):
                    decoded = None
            if type(decoded) is not dict:
                decoded = self._decoded_otherwise(loaded, row, unknown_as_stored)
            if decoded is not None:
                try:
                    apply(event_type, decoded)
                except Exception as error:  # the aggregate's own code
                    raise ReplayError(aggregate, version, event_type, error,
                                      loaded.skipped) from error
            aggregate.version = version
            loaded.events_replayed += 1
            yield row

    def _decoded_otherwise(self, loaded: LoadedAggregate[A], row: Sequence[Any],
                           unknown_as_stored: bool) -> dict[str, Any] | None:
        """A replayed row's data when it is not simply JSON of its type's current version:
        upcast (or, `unknown_as_stored`, as stored); None, and a note, when it cannot be."""
        version, event_type, schema_version, data = row[0], row[1], row[2], row[3]
        decoder = self.store.decoder
        decoded: dict[str, Any] | None
        if unknown_as_stored and (decoder.registry is None or event_type not in decoder.registry):
            decoded, problem = decode_json_object(data)
            decoded = None if problem else decoded
        else:
            decoded, problem = decoder.decode_data(event_type, schema_version, data)
        if decoded is None:
            loaded.notes.append(f"Version {version} ({event_type}) was skipped: {problem}.")
            loaded.skipped.append(loaded.notes[-1])
        return decoded

    def load_existing(self, stream_id: str, *, at_version: int | None = None,
                      at_position: int | None = None, at_time_us: int | None = None,
                      ) -> LoadedAggregate[Aggregate]:
        """Load a stream whose type is looked up in the stream index; raises if it does not
        exist."""
        info = self.store.stream_info(stream_id)
        if at_version is not None and at_version > info.version:
            raise ValueError(f"Stream {stream_id} has only {info.version} events; choose a version "
                             f"from 1 to {info.version}.")
        loaded = self.load(info.stream_type, stream_id, at_version=at_version,
                           at_position=at_position, at_time_us=at_time_us)
        if loaded.version == 0:
            bounded = not (at_version is None and at_position is None and at_time_us is None)
            first = self.store.read_stream(stream_id, to_version=1) if bounded else []
            timed = at_time_us is not None and at_version is None and at_position is None
            raise StreamNotFoundError(stream_id, not_yet=bounded,
                                      first_position=first[0].position if first else None,
                                      first_time=iso(first[0].timestamp_us) if first and timed
                                      else None)
        return loaded

    def _restore(self, aggregate: A, snapshot: SnapshotRecord,
                 loaded: LoadedAggregate[A]) -> bool:
        """Take the snapshot's state; False (and a note) if it cannot be used."""
        cls = type(aggregate)
        try:
            if snapshot.state_version != cls.state_version:
                raise ValueError(f"its state version {snapshot.state_version} is not "
                                 f"{cls.state_version}")
            state = orjson.loads(snapshot.state_json)
            if not isinstance(state, dict):
                raise ValueError("its state is not a JSON object")
            aggregate.restore(state)
        except Exception as error:  # a snapshot is only a cache: never let it break a load
            loaded.notes.append(
                f"The snapshot at version {snapshot.version} was ignored ({error}).")
            log.warning("snapshot of %s at version %s ignored: %s", aggregate.id, snapshot.version,
                        error)
            return False
        aggregate.version = snapshot.version
        loaded.snapshot_version = snapshot.version
        return True

    def maybe_snapshot(self, aggregate: Aggregate, previous_version: int,
                       last_event: RecordedEvent) -> bool:
        """Snapshot the aggregate if its new events crossed a multiple of its snapshot interval."""
        every = type(aggregate).snapshot_every
        if not (self.use_snapshots and every and not self.store.read_only):
            return False
        if aggregate.version // every == previous_version // every:
            return False
        record = SnapshotRecord(aggregate.id, aggregate.stream_type, aggregate.version,
                                last_event.position, last_event.timestamp_us,
                                type(aggregate).state_version,
                                orjson.dumps(aggregate.state()).decode())
        try:
            self.store.save_snapshot(record)
        except StoreError as error:  # the events are stored; a missing snapshot only costs time
            log.warning("snapshot of %s not saved: %s", aggregate.id, error)
            return False
        return True
