"""Importing an events file (JSON Lines or CloudEvents) into a new store.

The events keep their ids, stream types, versions, times, schema versions, data and metadata,
and their order: positions are numbered afresh from 1, gap-free, in the file's order (a file
holding part of a log gets positions of its own). They are written straight into the new
store by its loader (explorer.store.loading: a batch a transaction, on a thread of its own while
the next batch is read; the hash chain linked a batch at a time, the secondary indexes and the
stream index built once at the end), each line checked first: a line as `export` writes it by a
quick reading, any other by `parse_line`'s field-by-field one, which says what is wrong;
versions must follow on in each stream, and an event id used again is found by the store's
unique index and said as the first line that uses it again. A time earlier than the line
before's is raised to it, as appends do (the report counts them).

The new store is written under a temporary name beside its path (without an on-disk journal or
syncs while it fills: explorer.store.loading; synced at the end) and renamed there only when the
whole file went in: a malformed line, a duplicate event id, a version out of order, a
cancellation or any other failure stops the import, says which line, and leaves nothing behind.
An existing file at the path is never touched. Memory grows with the number of streams (each
one's type and last version), not of events: three batches of rows at most are held.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from explorer.common.bulk import bulk_work
from explorer.exchange.formats import CONTENT_TYPE, ExchangeError, LineError, parse_line
from explorer.store import EventStore
from explorer.store.copying import remove_store_files
from explorer.store.loading import (
    NewStoreLoader,
    RowsRefused,
    loading_new_store,
    new_store_file,
    sync_file,
)

BATCH_EVENTS = 20_000
MAX_LINE_BYTES = 64 * 1024 * 1024
READ_BYTES = 4 * 1024 * 1024
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
    temporary = target.with_name(f".{target.name}.importing-{os.getpid()}")
    remove_store_files(temporary)
    try:
        new_store_file(temporary)
        with EventStore.open(temporary, create=True) as store:
            store.limit_cache(IMPORT_CACHE_MB)
            with loading_new_store(store) as loader, bulk_work():  # no collector passes (CLI)
                events, streams, raised = _append_all(
                    loader, _Lines(lines), batch_events,
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
    finally:
        remove_store_files(temporary)
    return ImportReport(str(target), events, streams, raised)


def _refuse_target(target: Path) -> None:
    if target.exists():
        raise ExchangeError(f"{target} exists already; it was not changed. Import into a new "
                            "store: give a path where there is no file.")
    if not target.parent.is_dir():
        raise ExchangeError(f"Cannot make {target}: the folder {target.parent} does not exist.")


class _Lines:
    """The lines of a binary file, numbered from 1 (blank ones too), read a block at a time;
    `done` is how many bytes were read so far. LineError for a line longer than MAX_LINE_BYTES,
    found without holding more of it than that."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.done = 0

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        number = 0
        tail = b""
        while block := self._file.read(READ_BYTES):
            self.done += len(block)
            lines = (tail + block).split(b"\n") if tail else block.split(b"\n")
            tail = lines.pop()
            for text in lines:
                number += 1
                if len(text) > MAX_LINE_BYTES:
                    raise _too_long(number)
                yield number, text
            if len(tail) > MAX_LINE_BYTES:
                raise _too_long(number + 1)
        if tail:
            yield number + 1, tail


def _too_long(line: int) -> LineError:
    return LineError(line, f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MB; an event this "
                           "big cannot be imported. Is this an events file?")


_Fields = tuple[str, str, str, int, str, int, int, dict[str, Any], dict[str, Any]]
"""A line's stream id, stream type, event type, version, event id, time (µs), schema version,
data and metadata."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _quick_fields(value: dict[str, Any]) -> _Fields | None:
    """The fields of a line as `export` writes it (JSON Lines or CloudEvents), read with the
    fewest checks that still refuse every wrong one; None for any other line (parse_line reads
    those, and says what is wrong)."""
    try:
        if "specversion" in value:
            if value["specversion"] != "1.0" \
                    or value.get("datacontenttype", CONTENT_TYPE) != CONTENT_TYPE:
                return None
            stream_id, stream_type = value["subject"], value["streamtype"]
            version, event_id = value["streamversion"], value["id"]
            schema_version, metadata = value["schemaversion"], value["metadata"]
            if type(metadata) is str:
                metadata = orjson.loads(metadata)
        else:
            stream_id, stream_type = value["stream_id"], value["stream_type"]
            version, event_id = value["version"], value["event_id"]
            schema_version, metadata = value["schema_version"], value["metadata"]
        event_type, time_text, data = value["type"], value["time"], value["data"]
    except (KeyError, orjson.JSONDecodeError):
        return None
    if type(stream_id) is not str or type(stream_type) is not str \
            or type(event_type) is not str or type(version) is not int \
            or type(event_id) is not str or type(time_text) is not str \
            or type(schema_version) is not int or type(data) is not dict \
            or type(metadata) is not dict or "unreadable" in value \
            or version < 1 or schema_version < 1 or not stream_id.strip() \
            or not stream_type.strip() or not event_type.strip() or not event_id.strip() \
            or len(time_text) != 27 or time_text[26] != "Z" or time_text[10] != "T" \
            or time_text[19] != ".":
        return None
    try:  # the exported form, 2026-03-19T10:15:30.123456Z
        timestamp_us = (datetime.fromisoformat(time_text) - _EPOCH) // _MICROSECOND
    except ValueError:
        return None
    return (stream_id, stream_type, event_type, version, event_id, timestamp_us, schema_version,
            data, metadata)


def _read_fields(text: bytes, line: int) -> _Fields:
    """The fields of any other line, each checked (parse_line): LineError saying what is
    wrong."""
    event = parse_line(text, line)
    return (event.stream_id, event.stream_type, event.event_type, event.version,
            event.event_id, event.timestamp_us, event.schema_version, event.data, event.metadata)


def _stream_fault(line: int, stream_id: str, stream_type: str, version: int,
                  head: tuple[str, int] | None) -> LineError:
    """What is wrong with an event that does not follow on in its stream (`head`: the type and
    last version of the stream so far)."""
    if head is not None and head[0] != stream_type:
        return LineError(line, f"stream {stream_id} is of type {head[0]} on earlier lines, "
                               f"{stream_type} here.")
    return LineError(line, f"version {version} of stream {stream_id} comes after version "
                           f"{head[1] if head else 0}; each stream's events must follow on from "
                           "1 without gaps, in the file's order.")


def _append_all(loader: NewStoreLoader, lines: _Lines, batch_events: int,
                progress: Callable[[int], None]) -> tuple[int, int, int]:
    """Write every line's event, a batch a transaction; (events, streams, times raised).
    Memory holds each stream's type and last version, and one batch of rows."""
    heads: dict[str, tuple[str, int]] = {}
    rows: list[tuple[Any, ...]] = []
    numbers: list[int] = []  # the line of each row
    position = last_time = raised = 0
    loads, dumps = orjson.loads, orjson.dumps
    try:
        for number, text in lines:
            try:
                value = loads(text)
            except orjson.JSONDecodeError:
                if not text.strip():
                    continue
                value = None
            fields = _quick_fields(value) if type(value) is dict else None
            if fields is None:
                fields = _read_fields(text, number)
            stream_id, stream_type, event_type, version, event_id, timestamp, schema_version, \
                data, metadata = fields
            head = heads.get(stream_id)
            if version != 1 if head is None else (version != head[1] + 1
                                                  or stream_type != head[0]):
                raise _stream_fault(number, stream_id, stream_type, version, head)
            heads[stream_id] = (stream_type, version)
            correlation_id = metadata.pop("correlation_id", None)
            if correlation_id is not None and type(correlation_id) is not str:
                raise LineError(number, f"the correlation_id in the metadata is "
                                        f"{dumps(correlation_id).decode()[:40]}, not a text.")
            if timestamp < last_time:  # times never go back along positions (as appends keep)
                timestamp = last_time
                raised += 1
            last_time = timestamp
            position += 1
            rows.append((position, stream_id, stream_type, version, event_id, event_type,
                         schema_version, timestamp, correlation_id, dumps(data).decode(),
                         dumps(metadata).decode()))
            numbers.append(number)
            if len(rows) >= batch_events:
                full, full_numbers, rows, numbers = rows, numbers, [], []
                _write(loader, full, full_numbers)
                progress(lines.done)
    except LineError:
        try:
            _written(loader, rows, numbers)
        except LineError as earlier:  # a duplicate id on an earlier line is the first fault
            raise earlier from None
        raise
    _written(loader, rows, numbers)
    progress(lines.done)
    return position, len(heads), raised


def _write(loader: NewStoreLoader, rows: list[tuple[Any, ...]], numbers: list[int]) -> None:
    """Give one batch to the loader (written in one transaction while the next is read); an
    event id used again, in it or in a batch before, said as the first line that uses it
    again."""
    try:
        loader.append(rows, numbers)
    except RowsRefused as refused:
        raise _used_again(loader, refused) from None


def _written(loader: NewStoreLoader, rows: list[tuple[Any, ...]], numbers: list[int]) -> None:
    """Write the last batch and wait until every batch is written (see `_write`)."""
    _write(loader, rows, numbers)
    try:
        loader.flush()
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
