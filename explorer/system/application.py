"""An `eventsourcing` library Application as the system: each stream's state rebuilt by its code.

`--system package.module:MyApplication` names an `eventsourcing` Application subclass. The
explorer then shows a stream's state as of a version as that application's own repository
rebuilds it (`app.repository.get(id, version=v)`: its aggregate classes, its transcodings, its
snapshots, Decimals and all), as JSON: each value encoded by the application's own transcoder
and shown as the store shows event data (explorer.store.foreign.transcoding).

How: the application is built once, on the library's in-memory persistence (so building it opens
and creates nothing), with the environment it runs with (its transcodings, compressor and cipher;
the key given to the store, if any). Its event and snapshot stores are then given a recorder that
selects the raw records of the store it was opened on (`store_opened`; `open_records`): a file,
read-only through LibraryRecords (no table made, the file byte-identical; the library's own SQLite
recorder would switch the file to WAL and, read-only, leave side files behind), or a server's
log, from the store's copy of it in the cache folder (the server only ever read by the store).

The explorer's Repository still drives loading (bounds by version, position or time); the
aggregate classes here ignore the events' data and ask the application for their version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import AggregateRecorder, StoredEvent

from explorer.common.formatting import count_of
from explorer.domain.aggregate import Aggregate
from explorer.domain.commands import UnknownCommandError
from explorer.domain.model import DomainModel
from explorer.store.event_store import EventStore
from explorer.store.foreign.layout import LibraryLayout
from explorer.store.foreign.library_store import LibraryStore
from explorer.store.foreign.records import LibraryRecords
from explorer.store.foreign.transcoding import CIPHER_KEY, StateReader, load_cipher, readable
from explorer.system import System

IN_MEMORY = "eventsourcing.popo"
COMPRESSOR_TOPIC = "COMPRESSOR_TOPIC"
ZLIB_COMPRESSOR = "eventsourcing.compressor:ZlibCompressor"
"""The library's setting naming its compressor, and its zlib one (whose output the store
reads)."""
CACHED_STATES = 512
NOT_REBUILT = "not rebuilt"
STATE_ERROR = "_application_error_"
"""The key of the state shown when the application cannot rebuild an aggregate (why, in its
words): a wrong or missing key, a compressor not configured, a class that no longer exists."""


class _FileRecorder(AggregateRecorder):
    """The library's recorder interface over one table of the file: selects only."""

    def __init__(self, records: LibraryRecords, *, snapshots: bool,
                 selected: Callable[[bool, Sequence[StoredEvent]], None]) -> None:
        self.records = records
        self.snapshots = snapshots
        self.selected = selected
        """Told what each select found (whether of snapshots): how the repository rebuilt."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        raise PermissionError("the explorer only reads the application's file")

    def select_events(self, originator_id: UUID | str, *, gt: int | None = None,
                      lte: int | None = None, desc: bool = False, limit: int | None = None,
                      ) -> Sequence[StoredEvent]:
        key = originator_id.hex if isinstance(originator_id, UUID) else originator_id
        found = [StoredEvent(originator_id=originator_id, originator_version=version,
                             topic=topic, state=bytes(state))
                 for _, version, topic, state in self.records.select(
                     key, snapshots=self.snapshots, gt=gt, lte=lte, desc=desc, limit=limit)]
        self.selected(self.snapshots, found)
        return found


class ApplicationReader:
    """The user's application, reading the file of the store last opened with it."""

    def __init__(self, app_class: type[Application[Any]]) -> None:
        self.app_class = app_class
        self._lock = threading.RLock()
        self._records: LibraryRecords | None = None
        self._source: tuple[str, LibraryLayout] | None = None
        """The store's location and tables the records are read from."""
        self._cipher_key: str | None = None
        self._app: Application[Any] | None = None
        self._states: OrderedDict[tuple[str, int], tuple[dict[str, Any], str]] = OrderedDict()
        """Each state rebuilt, and how (see `rebuilt`), the most recently asked for last."""
        self._from_snapshot: int | None = None
        self._replayed = 0

    def bind(self, store: EventStore) -> None:
        """Read the file `store` is open on (the explorer's workers each open their own store
        on the same file: binding again to it keeps what was built)."""
        if not isinstance(store, LibraryStore):
            return
        source = (store.location, store.layout)
        with self._lock:
            if self._source == source and store.cipher_key in (None, self._cipher_key):
                return
            self.close()
            self._records = store.open_records()
            self._source = source
            self._cipher_key = store.cipher_key

    def state(self, stream_id: str, version: int) -> dict[str, Any]:
        """The aggregate `stream_id` at `version` as the application's repository rebuilds it,
        as JSON values (its public attributes, as its transcoder encodes them)."""
        return dict(self._rebuilt(stream_id, version)[0])

    def rebuilt(self, stream_id: str, version: int) -> str:
        """How the application's repository rebuilt `stream_id` at `version`: "from its
        snapshot at version 6, then 3 events", "from 9 events" (or why it could not)."""
        return self._rebuilt(stream_id, version)[1]

    def _rebuilt(self, stream_id: str, version: int) -> tuple[dict[str, Any], str]:
        with self._lock:
            key = (stream_id, version)
            found = self._states.get(key)
            if found is None:
                self._from_snapshot, self._replayed = None, 0
                state = self._rebuild(stream_id, version)
                how = (NOT_REBUILT if STATE_ERROR in state else
                       f"from {count_of(self._replayed, 'event')}" if self._from_snapshot is None
                       else f"from its snapshot at version {self._from_snapshot}" + (
                           f", then {count_of(self._replayed, 'event')}" if self._replayed
                           else ""))
                found = self._states[key] = (state, how)
                if len(self._states) > CACHED_STATES:
                    self._states.popitem(last=False)
            else:
                self._states.move_to_end(key)
            return found

    def _selected(self, snapshots: bool, found: Sequence[StoredEvent]) -> None:
        if snapshots:
            self._from_snapshot = found[0].originator_version if found else None
        else:
            self._replayed += len(found)

    def _rebuild(self, stream_id: str, version: int) -> dict[str, Any]:
        name = self.app_class.__qualname__
        if self._records is None:
            return {STATE_ERROR: f"{name} cannot read this store's records: the rows copied "
                                 "from the server are in a private temporary file (the cache "
                                 "folder cannot be written)." if self._source is not None else
                    f"{name} reads only the eventsourcing library's stores: open one of its "
                    "SQLite files or PostgreSQL schemas to see its states."}
        try:
            app = self._application(stream_id)
            aggregate: Any = app.repository.get(_originator_id(stream_id), version=version)
            public = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
            state = readable(orjson.loads(app.mapper.transcoder.encode(public)))
        except Exception as error:  # their code, their data: say what it said, never crash
            return {STATE_ERROR: f"{name} could not rebuild {stream_id} at version {version}: "
                                 f"{type(error).__name__}: {error}"}
        return state if isinstance(state, dict) else {STATE_ERROR: f"not an object: {state!r}"}

    def _application(self, stream_id: str) -> Application[Any]:
        """The application, made once. Its compressor is its environment's (the class's
        `env`, this process's variables), but its deployment's may be elsewhere: where it
        names none and the records (the first of `stream_id`) are zlib's, it gets the
        library's zlib compressor, as the store reads them."""
        if self._app is None:
            app = self._made({})
            if app.mapper.compressor is None and self._compressed(stream_id):
                app.close()
                app = self._made({COMPRESSOR_TOPIC: ZLIB_COMPRESSOR})
            self._app = app
        return self._app

    def _compressed(self, stream_id: str) -> bool:
        assert self._records is not None
        key = _originator_id(stream_id)
        found = self._records.select(key.hex if isinstance(key, UUID) else key, limit=1)
        if not found:
            return False
        try:
            cipher = load_cipher(self._cipher_key)
        except ValueError:  # (said where the store reads the records)
            cipher = None
        return StateReader(cipher).read(found[0][3])[1].endswith("zlib")

    def _made(self, settings: dict[str, str]) -> Application[Any]:
        assert self._records is not None
        name = self.app_class.name.upper()
        env = {f"{name}_PERSISTENCE_MODULE": IN_MEMORY, "PERSISTENCE_MODULE": IN_MEMORY}
        if self._cipher_key:
            env.update({f"{name}_{CIPHER_KEY}": self._cipher_key,
                        CIPHER_KEY: self._cipher_key})
        for setting, value in settings.items():
            env.update({f"{name}_{setting}": value, setting: value})
        app = self.app_class(env=env)
        app.events.recorder = _FileRecorder(self._records, snapshots=False,
                                            selected=self._selected)
        if app.snapshots is not None:
            app.snapshots.recorder = _FileRecorder(self._records, snapshots=True,
                                                   selected=self._selected)
        return app

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.close()
            if self._records is not None:
                self._records.close()
            self._app, self._records, self._source = None, None, None
            self._states.clear()


def _originator_id(stream_id: str) -> UUID | str:
    try:
        return UUID(stream_id)
    except ValueError:
        return stream_id


class ApplicationAggregate(Aggregate):
    """A stream read by the application: the events' data is not folded here; the state is
    the application's aggregate at this version. Read-only, never snapshotted by us."""

    reader: ClassVar[ApplicationReader]
    snapshot_every = 0

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        """The application's own classes apply the event (see state)."""

    def state(self) -> dict[str, Any]:
        return self.reader.state(self.id, self.version) if self.version else {}

    def rebuilt(self) -> str:
        """How the application rebuilt this state (see ApplicationReader.rebuilt)."""
        name = self.reader.app_class.__qualname__
        how = self.reader.rebuilt(self.id, self.version) if self.version else "from no event"
        if how == NOT_REBUILT:  # (why: the state's STATE_ERROR)
            return f"{name}'s repository could not rebuild it"
        return f"rebuilt by {name}'s repository {how}"

    def restore(self, state: dict[str, Any]) -> None:
        raise ValueError("the application's aggregates are rebuilt by the application")


NO_COMMANDS = ("A store written by an eventsourcing application is read-only here: Event "
               "Explorer only reads it and sends it no commands (send them through the "
               "application itself).")


class ApplicationDomain(DomainModel):
    """Every stream type read by the application (its aggregate classes are its own)."""

    def __init__(self, name: str, reader: ApplicationReader) -> None:
        super().__init__(name, aggregates=[], commands=[])
        self.reader = reader

    def aggregate_class(self, stream_type: str) -> type[Aggregate]:
        """None takes a command here: say why, whatever the type."""
        raise UnknownCommandError(f"The eventsourcing application {self.name} has no "
                                  f"commands to send here. {NO_COMMANDS}")

    def reading_class(self, stream_type: str) -> type[Aggregate]:
        return _aggregate_class(self.reader, stream_type)


@cache
def _aggregate_class(reader: ApplicationReader, stream_type: str) -> type[ApplicationAggregate]:
    return type(stream_type, (ApplicationAggregate,), {"stream_type": stream_type,
                                                        "reader": reader})


class ApplicationSystem(System):
    """A System whose streams' states come from an `eventsourcing` application. Events are read
    as stored (the application's classes are not the explorer's event types)."""

    @property
    def registry(self) -> None:
        return None

    @property
    def commands_refusal(self) -> str:
        """Why it has no commands to send (asked for by `command` and `commands`)."""
        return f"The system {self.name} has no commands it can send here. {NO_COMMANDS}"


def application_system(app_class: type[Application[Any]], spec: str) -> System:
    """The system for the application class `app_class` (named by `spec`)."""
    reader = ApplicationReader(app_class)
    return ApplicationSystem(
        name=app_class.name, domain=ApplicationDomain(app_class.name, reader),
        title=f"{app_class.name} (eventsourcing application)",
        description=f"The eventsourcing application {spec}: each stream's state as its own "
                    "repository rebuilds it, read-only.",
        store_opened=reader.bind)
