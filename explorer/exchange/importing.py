"""Importing an events file (JSON Lines or CloudEvents) into a new store.

The events keep their ids, stream types, versions, times, schema versions, data and metadata,
and their order: positions are numbered afresh from 1, gap-free, in the file's order (a file
holding part of a log gets positions of its own). They are written straight into the new
store by its loader (explorer.store.loading: one transaction, a batch at a time; the hash
chain linked a batch at a time, the secondary indexes and the stream index built once at the
end), each line checked first: a line as `export`
writes it in JSON Lines by a quick reading (explorer.exchange.parsing, a block of lines at a
time), any other by `parse_line`'s field-by-field one, which says what is wrong; versions must
follow on in each stream, and an event id used again is found by the store's unique index and
said as the first line that uses it again. A time earlier than the line before's is raised to
it, as appends do (the report counts them).

The new store is written under a temporary name beside its path (without an on-disk journal or
syncs while it fills: explorer.store.loading; synced at the end) and renamed there only when the
whole file went in: a malformed line, a duplicate event id, a version out of order, a
cancellation or any other failure stops the import, says which line, and leaves nothing behind.
An existing file at the path is never touched. Memory grows with the number of streams (each
one's type and last version), not of events: a block's lines and a batch of rows are held.
"""

from __future__ import annotations

import glob
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from explorer.common.bulk import bulk_work
from explorer.common.processes import process_runs
from explorer.exchange.formats import (
    ExchangeError,
    LineError,
    may_hold_a_long_integer,
    parse_line,
    parse_value,
    printable,
    refuse_long_integers,
)
from explorer.exchange.parsing import UNREAD, Item, LineTooLong, Row, RowReader, blocks
from explorer.store import EventStore
from explorer.store.copying import remove_store_files
from explorer.store.errors import DiskFullError
from explorer.store.loading import (
    NewStoreLoader,
    RowsRefused,
    loading_new_store,
    new_store_file,
    sync_file,
)

BATCH_EVENTS = 20_000
MAX_LINE_BYTES = 64 * 1024 * 1024
IMPORT_CACHE_MB = 256  # the unique indexes (ids, stream versions) of a million events, in cache
Progress = Callable[[int, int], None]
"""Called as `progress(bytes_read, file_size)`; may raise Cancelled to stop (nothing is left)."""


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote: how many events in how many streams, to which store."""

    location: str
    events: int
    streams: int
    raised_times: int = 0
    """Events whose time was before the previous line's, given that time (positions and times
    go up together in a store, as appends keep them)."""

    def to_dict(self) -> dict[str, object]:
        return {"store": self.location, "events": self.events, "streams": self.streams,
                "raised_times": self.raised_times}


def import_file(source: Path, target: Path, *, progress: Progress | None = None,
                batch_events: int = BATCH_EVENTS) -> ImportReport:
    """Import the events file at `source` into a new store at `target` (see the module)."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise ExchangeError(f"No events file at {source}. Give the path of a JSON Lines or "
                            "CloudEvents file written by `export`.")
    with open(source, "rb") as lines:
        return import_stream(lines, target, size=source.stat().st_size, progress=progress,
                             batch_events=batch_events, name=str(source))


def import_stream(lines: BinaryIO, target: Path, *, size: int = 0,
                  progress: Progress | None = None, batch_events: int = BATCH_EVENTS,
                  name: str = "the file") -> ImportReport:
    """Import the events read from `lines` (an open binary file, or stdin) into a new store at
    `target`; `size`, when known, is what `progress` counts up to."""
    target = Path(target).expanduser()
    _refuse_target(target)
    temporary = target.with_name(f".{target.name}.importing-{_HOST}-{os.getpid()}")
    _remove_abandoned(target)
    remove_store_files(temporary)
    try:
        new_store_file(temporary)
        with EventStore.open(temporary, create=True) as store:
            store.limit_cache(IMPORT_CACHE_MB)
            with loading_new_store(store) as loader, bulk_work():  # bulk: no collector
                events, streams, raised = _append_all(
                    loader, lines, batch_events,
                    lambda done: progress(done, size) if progress else None)
        sync_file(temporary)
        if events == 0:
            raise ExchangeError(f"{name} holds no events: nothing was imported and no store was "
                                "made. Choose a file written by `export`.")
        _refuse_target(target)
        try:
            os.link(temporary, target)  # fails rather than replace a file made meanwhile
        except FileExistsError:
            _refuse_target(target)
            raise
        except OSError:  # a file system without hard links
            os.rename(temporary, target)
    except DiskFullError as error:  # (said of the temporary file, as if it were kept)
        raise DiskFullError.of_new_file(target, error.detail) from None
    finally:
        remove_store_files(temporary)
    return ImportReport(str(target), events, streams, raised)


_HOST = socket.gethostname().replace("/", "_")
"""This machine's name, in an import's temporary file's (a folder may be shared over a network:
only this machine's processes are known here)."""


def _remove_abandoned(target: Path) -> None:
    """Remove what imports into `target` by processes of this machine that no longer run left
    behind (one killed outright never removes its file)."""
    mine = f".{target.name}.importing-{_HOST}-"
    for found in target.parent.glob(f"{glob.escape(mine)}*"):
        pid = found.name[len(mine):]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        if not process_runs(int(pid)):  # (another user's that runs: its import may)
            remove_store_files(found)


def _refuse_target(target: Path) -> None:
    if target.exists():
        raise ExchangeError(f"{target} exists already; it was not changed. Import into a new "
                            "store: give a path where there is no file.")
    if not target.parent.is_dir():
        raise ExchangeError(f"Cannot make {target}: the folder {target.parent} does not exist.")


def _too_long(line: int) -> LineError:
    return LineError(line, f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MB; an event this "
                           "big cannot be imported. Is this an events file?")


def _read_item(text: bytes, line: int, value: Any = UNREAD) -> Item:
    """The item of a line the quick path did not read (another form, or a fault), each field
    checked (parse_line, or parse_value when its JSON was read as `value`): LineError saying
    what is wrong."""
    if value is not UNREAD and may_hold_a_long_integer(text):
        refuse_long_integers(text, line)
    event = parse_line(text, line) if value is UNREAD else parse_value(value, line)
    metadata = dict(event.metadata)
    correlation_id = metadata.pop("correlation_id", None)
    if correlation_id is not None and type(correlation_id) is not str:
        raise LineError(line, f"the correlation_id in the metadata is "
                              f"{orjson.dumps(correlation_id).decode()[:40]}, not a text.")
    if correlation_id is not None:
        printable(correlation_id, "correlation_id", line)
    return (event.stream_id, event.stream_type, event.event_type, event.version,
            event.event_id, event.timestamp_us, event.schema_version, correlation_id,
            orjson.dumps(event.data).decode(), orjson.dumps(metadata).decode())


def _append_all(loader: NewStoreLoader, lines: BinaryIO, batch_events: int,
                progress: Callable[[int], None]) -> tuple[int, int, int]:
    """Write every line's event, a batch at a time (parsing.RowReader); (events, streams,
    times raised). Memory holds each stream's type and last version, a block's lines and a
    batch of rows."""
    reader = RowReader(lambda rows, numbers: _write(loader, rows, numbers), _read_item,
                       batch_events=batch_events)
    try:
        for first, block, done in blocks(lines, MAX_LINE_BYTES):
            reader.read(block, first)
            progress(done)
    except LineTooLong as too_long:
        _fault_after_earlier_ones(loader, reader, _too_long(too_long.line))
    except LineError as fault:
        _fault_after_earlier_ones(loader, reader, fault)
    _write(loader, reader.rows, reader.numbers)
    return reader.position, len(reader.heads), reader.raised


def _fault_after_earlier_ones(loader: NewStoreLoader, reader: RowReader,
                              fault: LineError) -> None:
    """Raise `fault`, unless the rows read before it hold an event id used again: that one's
    line comes first."""
    try:
        _write(loader, reader.rows, reader.numbers)
    except LineError as earlier:
        raise earlier from None
    raise fault


def _write(loader: NewStoreLoader, rows: list[Row], numbers: list[int]) -> None:
    """Write one batch; an event id used again, in it or in a batch before, said as the first
    line that uses it again."""
    try:
        loader.append(rows, numbers)
    except RowsRefused as refused:
        raise _used_again(loader, refused) from None


def _used_again(loader: NewStoreLoader, refused: RowsRefused) -> LineError:
    """The first line of a refused batch whose event id was used already: on an earlier line
    of the batch, or by a stored event."""
    numbers = cast(list[int], refused.tag)
    seen: dict[str, int] = {}
    for row, line in zip(refused.rows, numbers, strict=True):
        event_id = row[4]
        if event_id in seen:
            return LineError(line, f"event id {event_id} is used already, on line "
                                   f"{seen[event_id]}. Event ids must be unique.")
        seen[event_id] = line
        earlier = loader.position_of(event_id)
        if earlier is not None and earlier < row[0]:  # not this row's own (a part is written)
            return LineError(line, f"event id {event_id} is used already, by the event at "
                                   f"position {earlier:,}. Event ids must be unique.")
    raise AssertionError("the store refused a batch without an event id used again")
