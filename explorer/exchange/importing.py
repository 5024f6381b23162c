"""Importing an events file (JSON Lines or CloudEvents) into a new store.

The events keep their ids, stream types, versions, times, schema versions, data and metadata,
and their order: positions are numbered afresh from 1, gap-free, in the file's order (a file
holding part of a log gets positions of its own). They are written straight into the new
store by its loader (explorer.store.loading: one transaction, a batch at a time on a thread of
its own while the next is made; the hash chain linked a batch at a time, the secondary indexes
and the stream index built once at the end), each line checked first: a line as `export`
writes it by a quick reading (explorer.exchange.parsing, a block of lines at a time; for a big
file in a process of its own, reading the file beside this one, which writes: the two cores
of a small machine both at work), any other by `parse_line`'s field-by-field one, which says
what is wrong; versions must follow on in each stream, and an event id used again is found by
the store's unique index and said as the first line that uses it again. A time earlier than
the line before's is raised to it, as appends do (the report counts them).

The new store is written under a temporary name beside its path (without an on-disk journal or
syncs while it fills: explorer.store.loading; synced at the end) and renamed there only when the
whole file went in: a malformed line, a duplicate event id, a version out of order, a
cancellation or any other failure stops the import, says which line, and leaves nothing behind.
An existing file at the path is never touched. Memory grows with the number of streams (each
one's type and last version), not of events: a few blocks' lines and three batches of rows at
most are held.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import orjson

from explorer.common.bulk import bulk_work
from explorer.exchange import parsing
from explorer.exchange.formats import ExchangeError, LineError, parse_line
from explorer.exchange.parsing import Item, LineTooLong, blocks, parse_block, read_frame
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
                batch_events: int = BATCH_EVENTS,
                parse_apart: bool | None = None) -> ImportReport:
    """Import the events file at `source` into a new store at `target` (see the module);
    parsed by a process of its own when `parse_apart` (by default: for a file of at least
    PARALLEL_FROM_BYTES, when a core is spare: `spare_core`)."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise ExchangeError(f"No events file at {source}. Give the path of a JSON Lines or "
                            "CloudEvents file written by `export`.")
    size = source.stat().st_size
    if parse_apart is None:
        parse_apart = size >= PARALLEL_FROM_BYTES and spare_core()
    with open(source, "rb") as lines:
        return import_stream(lines, target, size=size, progress=progress,
                             batch_events=batch_events, name=str(source),
                             parse_apart=parse_apart)


def import_stream(lines: BinaryIO, target: Path, *, size: int = 0,
                  progress: Progress | None = None, batch_events: int = BATCH_EVENTS,
                  name: str = "the file", parse_apart: bool = False) -> ImportReport:
    """Import the events read from `lines` (an open binary file, or stdin) into a new store at
    `target`; `size`, when known, is what `progress` counts up to. With `parse_apart`, a
    process of its own parses the lines, reading them from `lines`'s file descriptor (nothing
    of it read yet), while this one writes them."""
    target = Path(target).expanduser()
    _refuse_target(target)
    temporary = target.with_name(f".{target.name}.importing-{os.getpid()}")
    remove_store_files(temporary)
    try:
        new_store_file(temporary)
        with EventStore.open(temporary, create=True) as store:
            store.limit_cache(IMPORT_CACHE_MB)
            with loading_new_store(store) as loader, bulk_work(), \
                    (_blocks_parsed_apart(lines) if parse_apart
                     else nullcontext(_blocks_here(lines))) as parsed:  # bulk: no collector
                events, streams, raised = _append_all(
                    loader, parsed, batch_events,
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


PARALLEL_FROM_BYTES = 32 * 1024 * 1024
"""A file at least this big is parsed in a process of its own (explorer.exchange.parsing)."""


def spare_core(cores: int | None = None, load: float | None = None) -> bool:
    """Whether a core is free for the parsing process: more than one, and the system's load
    (runnable processes, the last minute's average; taken as none where it is not known) below
    all but one of them. Parsed apart, an import takes a fifth more CPU (its rows pickled and
    read back) to take less time while a core is idle; on a machine busy with other work there
    is no idle core to take, and its CPU time is what counts (1M events by the CLI, load ~11 on
    2 cores: 44 s wall and 13.9 s CPU parsed apart, 36-43 s and 11.3 s before it could be)."""
    if cores is None:
        cores = os.cpu_count() or 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows; no figure to be had
            load = 0.0
    return cores > 1 and load < cores - 1


def _blocks_here(lines: BinaryIO) -> Iterator[tuple[int, list[Item] | None]]:
    """(bytes read, items) a block at a time, parsed in this process."""
    limit = MAX_LINE_BYTES
    try:
        for first, block, done in blocks(lines, limit):
            yield done, parse_block(block, first, limit)
    except LineTooLong as too_long:
        raise _too_long(too_long.line) from None


FRAMES_AHEAD = 4
"""How many blocks the parsing process may be ahead of the writing (read off its pipe)."""


@contextmanager
def _blocks_parsed_apart(lines: BinaryIO) -> Iterator[Iterator[tuple[int, list[Item] | None]]]:
    """(bytes read, items) a block at a time, parsed by a process of its own reading the same
    file (from where it is), while this one writes the rows; its frames read off its pipe by
    a thread, up to FRAMES_AHEAD of them, so that it goes on while the rows are written.
    Stopped when left."""
    package_root = str(Path(parsing.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    worker = subprocess.Popen(
        [sys.executable, "-m", "explorer.exchange.parsing", str(MAX_LINE_BYTES)],
        stdin=lines.fileno(), stdout=subprocess.PIPE, env=env)
    output = cast(BinaryIO, worker.stdout)
    _widen_pipe(output)
    ahead: queue.Queue[bytes | None] = queue.Queue(maxsize=FRAMES_AHEAD)
    stop = threading.Event()

    def read_ahead() -> None:
        frame: bytes | None = b""
        while frame is not None and not stop.is_set():
            frame = read_frame(output)
            while not stop.is_set():
                try:
                    ahead.put(frame, timeout=0.1)
                    break
                except queue.Full:
                    continue

    def frames() -> Iterator[tuple[int, list[Item] | None]]:
        while (frame := ahead.get()) is not None:
            value = pickle.loads(frame)
            if value[0] is None:
                raise _too_long(value[1])
            if value[1] is None:
                return
            yield value
        raise ExchangeError(f"The process reading the lines ended early (exit code "
                            f"{worker.wait()}); nothing was imported.")

    reader = threading.Thread(target=read_ahead, name="import-frames", daemon=True)
    reader.start()
    try:
        yield frames()
    finally:
        stop.set()
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        reader.join()
        output.close()


PIPE_BYTES = 1024 * 1024


def _widen_pipe(pipe: BinaryIO) -> None:
    """Let the pipe hold PIPE_BYTES (Linux; as much as it allows): each of the reader's
    system calls then takes up to that much, and each one gives the interpreter's lock back to
    the writing threads and takes it again (with a pipe of 64 KB, a block's 3 MB frame was
    some fifty reads, each waiting for the lock behind them)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl else None
    for size in (PIPE_BYTES, PIPE_BYTES // 4):
        if set_size is None:
            return
        try:
            fcntl.fcntl(pipe.fileno(), set_size, size)
            return
        except OSError:  # more than /proc/sys/fs/pipe-max-size allows
            continue


def _too_long(line: int) -> LineError:
    return LineError(line, f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MB; an event this "
                           "big cannot be imported. Is this an events file?")


def _read_item(text: bytes, line: int) -> Item:
    """The item of a line the quick path did not read, each field checked (parse_line):
    LineError saying what is wrong."""
    event = parse_line(text, line)
    metadata = dict(event.metadata)
    correlation_id = metadata.pop("correlation_id", None)
    if correlation_id is not None and type(correlation_id) is not str:
        raise LineError(line, f"the correlation_id in the metadata is "
                              f"{orjson.dumps(correlation_id).decode()[:40]}, not a text.")
    return (line, event.stream_id, event.stream_type, event.event_type, event.version,
            event.event_id, event.timestamp_us, event.schema_version, correlation_id,
            orjson.dumps(event.data).decode(), orjson.dumps(metadata).decode())


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


def _append_all(loader: NewStoreLoader, parsed: Iterator[tuple[int, list[Item] | None]],
                batch_events: int, progress: Callable[[int], None]) -> tuple[int, int, int]:
    """Write every line's event, a batch at a time; (events, streams, times raised). Memory
    holds each stream's type and last version, and a block's items and a batch of rows."""
    heads: dict[str, tuple[str, int]] = {}
    rows: list[tuple[Any, ...]] = []
    numbers: list[int] = []  # the line of each row
    position = last_time = raised = 0
    try:
        for done, items in parsed:
            for item in cast(list[Item], items):
                number, stream_id, stream_type, event_type, version, event_id, timestamp, \
                    schema_version, correlation_id, data, metadata = \
                    item if len(item) > 2 else _read_item(item[1], item[0])
                head = heads.get(stream_id)
                if version != 1 if head is None else (version != head[1] + 1
                                                      or stream_type != head[0]):
                    raise _stream_fault(number, stream_id, stream_type, version, head)
                heads[stream_id] = (stream_type, version)
                if timestamp < last_time:  # times never go back along positions (as appends)
                    timestamp = last_time
                    raised += 1
                last_time = timestamp
                position += 1
                rows.append((position, stream_id, stream_type, version, event_id, event_type,
                             schema_version, timestamp, correlation_id, data, metadata))
                numbers.append(number)
                if len(rows) >= batch_events:
                    full, full_numbers, rows, numbers = rows, numbers, [], []
                    _write(loader, full, full_numbers)
            progress(done)
    except LineError:
        try:
            _written(loader, rows, numbers)
        except LineError as earlier:  # a duplicate id on an earlier line is the first fault
            raise earlier from None
        raise
    _written(loader, rows, numbers)
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
