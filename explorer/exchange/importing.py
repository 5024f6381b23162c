"""Importing an events file (JSON Lines or CloudEvents) into a new store.

The events keep their ids, stream types, versions, times, schema versions, data and metadata,
and their order: positions are numbered afresh from 1, gap-free, in the file's order (a file
holding part of a log gets positions of its own). They are appended through the store's own
append path (versions checked against the stream index, the hash chain linked), many thousands
a transaction, through its bulk append (`import_rows`: the hash chain linked, the stream index
kept, ids unique), each line checked first (fields, versions following on, ids unique). A time
earlier than the line before's is raised to it, as appends do (the report counts them).

The new store is written under a temporary name beside its path (without an on-disk journal or
syncs while it fills: explorer.store.loading; synced at the end) and renamed there only when the
whole file went in: a malformed line, a duplicate event id, a version out of order, a
cancellation or any other failure stops the import, says which line, and leaves nothing behind.
An existing file at the path is never touched. Memory grows with the number of streams (each
one's type and last version), not of events: one batch of lines is held at a time.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from explorer.common.bulk import bulk_work
from explorer.exchange.formats import ExchangeError, ImportedEvent, LineError, parse_line
from explorer.store import EventNotFoundError, EventStore
from explorer.store.copying import remove_store_files
from explorer.store.loading import loading_new_store, sync_file

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
    temporary = target.with_name(f".{target.name}.importing-{os.getpid()}")
    remove_store_files(temporary)
    try:
        with EventStore.open(temporary, create=True) as store:
            store.limit_cache(IMPORT_CACHE_MB)
            with loading_new_store(store), bulk_work():  # no collector passes in the CLI
                events, streams, raised = _append_all(
                    store, _lines(lines), batch_events,
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


def _lines(lines: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """(line number, bytes read so far, text) of each line that is not blank; LineError for
    a line longer than MAX_LINE_BYTES."""
    done = 0
    number = 0
    while True:
        text = lines.readline(MAX_LINE_BYTES + 1)
        if not text:
            return
        number += 1
        done += len(text)
        if len(text) > MAX_LINE_BYTES:
            raise LineError(number, f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MB; an event "
                                    "this big cannot be imported. Is this an events file?")
        if text.strip():
            yield number, done, text


class _Streams:
    """Each stream's type and last version so far (one entry a stream, not an event)."""

    def __init__(self) -> None:
        self.heads: dict[str, tuple[str, int]] = {}

    def follow(self, event: ImportedEvent, line: int) -> None:
        """Take the stream's next event; LineError for one out of order or of another type."""
        stream_type, before = self.heads.get(event.stream_id, (event.stream_type, 0))
        if stream_type != event.stream_type:
            raise LineError(line, f"stream {event.stream_id} is of type {stream_type} on "
                                  f"earlier lines, {event.stream_type} here.")
        if event.version != before + 1:
            raise LineError(line, f"version {event.version} of stream {event.stream_id} comes "
                                  f"after version {before}; each stream's events must follow on "
                                  "from 1 without gaps, in the file's order.")
        self.heads[event.stream_id] = (stream_type, event.version)


class _Batch:
    """Rows checked but not yet written, with the line each came from."""

    def __init__(self, position: int, last_time: int) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.lines_of_ids: dict[str, int] = {}
        self.position = position
        self.last_time = last_time
        self.raised_times = 0

    def add(self, event: ImportedEvent, line: int) -> None:
        seen = self.lines_of_ids.get(event.event_id)
        if seen is not None:
            raise LineError(line, f"event id {event.event_id} is used already, on line {seen}. "
                                  "Event ids must be unique.")
        self.lines_of_ids[event.event_id] = line
        self.position += 1
        timestamp = event.timestamp_us
        if timestamp < self.last_time:  # times never go back along positions (as appends keep)
            timestamp = self.last_time
            self.raised_times += 1
        self.last_time = timestamp
        metadata = event.metadata
        correlation_id = metadata.pop("correlation_id", None)
        if correlation_id is not None and not isinstance(correlation_id, str):
            raise LineError(line, f"the correlation_id in the metadata is "
                                  f"{orjson.dumps(correlation_id).decode()[:40]}, not a text.")
        self.rows.append((self.position, event.stream_id, event.stream_type, event.version,
                          event.event_id, event.event_type, event.schema_version, timestamp,
                          correlation_id, orjson.dumps(event.data).decode(),
                          orjson.dumps(metadata).decode()))


def _append_all(store: EventStore, lines: Iterator[tuple[int, int, bytes]], batch_events: int,
                progress: Callable[[int], None]) -> tuple[int, int, int]:
    """Write every line's event, a batch a transaction; (events, streams, times raised)."""
    streams = _Streams()
    batch = _Batch(0, 0)
    raised = 0
    done = 0
    for number, done, text in lines:
        event = parse_line(text, number)
        streams.follow(event, number)
        batch.add(event, number)
        if len(batch.rows) >= batch_events:
            _write(store, batch)
            raised += batch.raised_times
            batch = _Batch(batch.position, batch.last_time)
            progress(done)
    _write(store, batch)
    progress(done)
    return batch.position, len(streams.heads), raised + batch.raised_times


def _write(store: EventStore, batch: _Batch) -> None:
    """Write one batch in one transaction (the store's bulk append: linked into the hash chain,
    the stream index kept); an event id stored by an earlier batch said as its line."""
    if not batch.rows:
        return
    try:
        store.import_rows(batch.rows)
    except sqlite3.IntegrityError:
        for event_id, line in sorted(batch.lines_of_ids.items(), key=lambda item: item[1]):
            try:
                earlier = store.event_by_id(event_id)
            except EventNotFoundError:
                continue
            raise LineError(line, f"event id {event_id} is used already, by the event at "
                                  f"position {earlier.position:,}. Event ids must be "
                                  "unique.") from None
        raise
