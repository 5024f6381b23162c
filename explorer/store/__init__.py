"""The event store: append-only events in SQLite with a stream index, snapshots and upcasting.

Nothing here imports Qt; the GUI and the command line use the same `EventStore`.
"""

from explorer.store.errors import (
    ConcurrencyError,
    DuplicateEventError,
    EventNotFoundError,
    NotAStoreError,
    ReadOnlyStoreError,
    StoreDamagedError,
    StoreError,
    StoreLockedError,
    StoreMissingError,
    StoreOpenError,
    StreamNotFoundError,
    StreamTypeMismatchError,
)
from explorer.store.event_store import EventStore
from explorer.store.records import (
    ANY_VERSION,
    NO_STREAM,
    AppendRequest,
    AppendResult,
    NewEvent,
    RecordedEvent,
    SnapshotRecord,
    StoredForm,
    StreamInfo,
    StreamTypeInfo,
)
from explorer.store.schema import MAX_INTEGER
from explorer.store.upcasting import EventRegistry, UpcastError

__all__ = [
    "ANY_VERSION", "MAX_INTEGER", "NO_STREAM", "AppendRequest", "AppendResult",
    "ConcurrencyError", "DuplicateEventError", "EventNotFoundError", "EventRegistry",
    "EventStore", "NewEvent", "NotAStoreError", "ReadOnlyStoreError", "RecordedEvent",
    "SnapshotRecord", "StoreDamagedError", "StoreError", "StoreLockedError", "StoreMissingError",
    "StoreOpenError", "StoredForm", "StreamInfo", "StreamNotFoundError", "StreamTypeInfo",
    "StreamTypeMismatchError", "UpcastError",
]
