"""Plain values the event store takes and returns: new events, recorded events, streams, snapshots.

They hold no connection and no domain object, so any layer (CLI, Qt models, workers) may keep them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from explorer.common.timestamps import from_micros, iso

ANY_VERSION: int | None = None
"""Pass as `expected_version` to append whatever the stream's current version is."""

NO_STREAM = 0
"""Pass as `expected_version` to require that the stream does not exist yet."""


@dataclass(slots=True)
class NewEvent:
    """An event to append. Ids, timestamps and schema versions are filled in when not given."""

    event_type: str
    data: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    timestamp_us: int | None = None
    schema_version: int | None = None


@dataclass(slots=True, frozen=True)
class StoredForm:
    """An event as it is stored, before upcasting to the current schema version."""

    schema_version: int
    data: dict[str, Any]


class RecordedEvent(NamedTuple):
    """An event read from the store, its data upcast to the current schema version.

    Immutable, and cheap to create: reading a million events builds a million of these.
    `stored` is the form kept in the store when it differs (an older schema version), else None.
    A row that could not be decoded has `problem` set (see `is_raw`), empty `data`, and its
    stored text in `raw_data`; readers return it in place of the event and carry on.
    """

    position: int
    stream_id: str
    stream_type: str
    version: int
    event_id: str
    event_type: str
    schema_version: int
    timestamp_us: int
    correlation_id: str | None
    data: dict[str, Any]
    metadata_json: str | None
    stored: StoredForm | None = None
    problem: str | None = None
    raw_data: Any = None

    @property
    def is_raw(self) -> bool:
        """True for a row that could not be decoded; `problem` says why."""
        return self.problem is not None

    @property
    def timestamp(self) -> datetime:
        """When the event was appended, as an aware UTC datetime."""
        return from_micros(self.timestamp_us)

    @property
    def metadata(self) -> dict[str, Any]:
        """correlation_id, causation_id, the command's name, who issued it, and any extras."""
        decoded: dict[str, Any] = {}
        if self.metadata_json:
            try:
                value = orjson.loads(self.metadata_json)
            except (orjson.JSONDecodeError, TypeError):
                value = {"unreadable_metadata": str(self.metadata_json)}
            if isinstance(value, dict):
                decoded = value
        if self.correlation_id is not None:
            decoded["correlation_id"] = self.correlation_id
        return decoded

    @property
    def causation_id(self) -> str | None:
        """The id of the event (or command) that caused this one."""
        return self.metadata.get("causation_id")

    @property
    def stored_data(self) -> dict[str, Any]:
        """The data as stored: the same as `data` unless the event was upcast."""
        return self.stored.data if self.stored is not None else self.data

    @property
    def stored_schema_version(self) -> int:
        return self.stored.schema_version if self.stored is not None else self.schema_version

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values, in the shape the CLI prints and the GUI copies."""
        out: dict[str, Any] = {
            "position": self.position,
            "stream_id": self.stream_id,
            "stream_type": self.stream_type,
            "version": self.version,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "timestamp": iso(self.timestamp_us),
            "schema_version": self.schema_version,
            "data": self.data,
            "metadata": self.metadata,
        }
        if self.stored is not None:
            out["stored"] = {"schema_version": self.stored.schema_version, "data": self.stored.data}
        if self.problem is not None:
            out["problem"] = self.problem
            out["raw_data"] = self.raw_data if isinstance(self.raw_data, str) or \
                self.raw_data is None else repr(self.raw_data)
        return out

    def __repr__(self) -> str:
        return (f"RecordedEvent(position={self.position}, stream_id={self.stream_id!r}, "
                f"version={self.version}, event_type={self.event_type!r}"
                + (f", problem={self.problem!r})" if self.problem else ")"))

    def __hash__(self) -> int:  # data is a dict, so the tuple's own hash would fail
        return hash((self.event_id, self.position))


@dataclass(slots=True, frozen=True)
class StreamInfo:
    """One stream as the stream index keeps it: no scan of the events table is needed."""

    stream_id: str
    stream_type: str
    version: int
    last_position: int
    last_timestamp_us: int

    @property
    def last_timestamp(self) -> datetime:
        return from_micros(self.last_timestamp_us)

    def to_dict(self) -> dict[str, Any]:
        return {"stream_id": self.stream_id, "stream_type": self.stream_type,
                "version": self.version, "last_timestamp": iso(self.last_timestamp_us)}


@dataclass(slots=True, frozen=True)
class StreamTypeInfo:
    """A stream type with how many streams and events it has."""

    stream_type: str
    streams: int
    events: int


@dataclass(slots=True, frozen=True)
class AppendResult:
    """What an append wrote: the stream's new version and the recorded events.

    `duplicate` is True when every event was already stored (a retried request) and nothing new
    was written; `events` are then the ones stored before.
    """

    stream_id: str
    stream_type: str
    version: int
    events: tuple[RecordedEvent, ...]
    duplicate: bool = False

    @property
    def positions(self) -> range:
        if not self.events:
            return range(0)
        return range(self.events[0].position, self.events[-1].position + 1)


@dataclass(slots=True, frozen=True)
class AppendRequest:
    """One stream's part of a batch append."""

    stream_id: str
    stream_type: str
    events: list[NewEvent]
    expected_version: int | None = ANY_VERSION


@dataclass(slots=True, frozen=True)
class SnapshotRecord:
    """A stored snapshot: an aggregate's state at one version, encoded as JSON text."""

    stream_id: str
    stream_type: str
    version: int
    position: int
    timestamp_us: int
    state_version: int
    state_json: str
