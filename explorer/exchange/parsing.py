"""Reading an events file's lines into the new store's rows, a block at a time: the import's
hot loop.

The lines are read a block at a time (a line longer than the limit is refused without holding
more of it than that) and numbered from 1, blank ones too. `RowReader` turns
each block's lines into stored rows (positions from 1 in the file's order; data and metadata
as the store keeps them, orjson's compact text, the correlation id taken out of the metadata)
and checks each stream's order as it goes, in one pass with no object made a line beyond its
parse and its row: a line as `export` writes it in JSON Lines is read by a quick path (its
fields taken at once and checked with the fewest tests that still refuse every wrong one);
any other line (CloudEvents, another time form, a fault) by the importer's careful reading,
which says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, BinaryIO

import orjson

from explorer.exchange.formats import DIGITS_AS_NINES, LONG_RUN, LineError

READ_BYTES = 4 * 1024 * 1024
LARGEST = 2**63 - 1  # the largest integer a store's column holds

Item = tuple[str, str, str, int, str, int, int, str | None, str, str]
"""A line's stream id, stream type, event type, version, event id, time (µs), schema version,
correlation id, data text and metadata text: what its row needs besides its position."""
Row = tuple[Any, ...]
"""A stored row, in EVENT_COLUMNS order (explorer.store.loading's loader takes them)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_JSONL_FIELDS = itemgetter("stream_id", "stream_type", "type", "version", "event_id", "time",
                           "schema_version", "data", "metadata")


class LineTooLong(Exception):
    """A line longer than the limit: its number."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is too long")
        self.line = line


def blocks(file: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, list[bytes], int]]:
    """(number of the block's first line, the block's whole lines (without their line ends),
    bytes read so far) for the whole of `file`, READ_BYTES at a time; LineTooLong for a line
    longer than `max_line_bytes`, found without holding more of it than that and a block."""
    number, tail, done = 1, b"", 0
    while block := file.read(READ_BYTES):
        if not done:
            block = _text_start(block)
        done += len(block)
        lines = block.split(b"\n")
        if len(block) + len(tail) > max_line_bytes:
            lines[0] = tail + lines[0]
            for offset, line in enumerate(lines):
                if len(line) > max_line_bytes:
                    raise LineTooLong(number + offset)
        elif tail:
            lines[0] = tail + lines[0]
        tail = lines.pop()  # the start of a line the next block goes on with, or b""
        if lines:
            yield number, lines, done
            number += len(lines)
    if tail:
        yield number, [tail], done


_UTF8_MARK = b"\xef\xbb\xbf"
_NOT_EVENTS = {b"SQLite format 3\x00": "an SQLite database (an Event Explorer store?), not an "
               "events file: give a file written by `export` (a store is copied with `copy`)",
               b"\xff\xfe": "UTF-16 text: save it as UTF-8 and import it again",
               b"\xfe\xff": "UTF-16 text: save it as UTF-8 and import it again"}


def _text_start(block: bytes) -> bytes:
    """A file's first block without a UTF-8 byte order mark; LineError for a file that is
    plainly not UTF-8 events (a database, UTF-16 text)."""
    if block.startswith(_UTF8_MARK):
        return block[len(_UTF8_MARK):]
    for start, what in _NOT_EVENTS.items():
        if block.startswith(start):
            raise LineError(1, f"the file is {what}.")
    return block


class _Careful(Exception):
    """A line the quick path does not read."""


UNREAD: Any = object()
"""Given to the careful reading for a line that is not JSON."""


class RowReader:
    """Makes the rows of an events file's lines, block after block (`read`), checking that each
    stream's versions follow on from 1 and keep its type; a time earlier than the line before's
    is raised to it, as appends do (`raised` counts them). The rows gather in `rows`, their
    line numbers in `numbers`; each time `batch_events` of them are there they are handed to
    `write(rows, numbers)` and new lists begun. A line the quick path does not read goes to
    `careful(text, number, value)` (its JSON as read, or UNREAD): its Item, or a LineError
    saying what is wrong with it. Memory holds each stream's type and last version."""

    def __init__(self, write: Callable[[list[Row], list[int]], None],
                 careful: Callable[[bytes, int, Any], Item], *, batch_events: int) -> None:
        self._write, self._careful, self._batch_events = write, careful, batch_events
        self.heads: dict[str, tuple[str, int]] = {}
        self.rows: list[Row] = []
        self.numbers: list[int] = []
        self.position = self.raised = self._last_time = 0

    def read(self, lines: list[bytes], first: int) -> None:
        """Add the rows of a block's lines, the first numbered `first`; LineError for a line
        that is wrong or out of order (the rows before it are in `rows`)."""
        heads, careful, write, batch_events = \
            self.heads, self._careful, self._write, self._batch_events
        nines, long_run = DIGITS_AS_NINES, LONG_RUN
        loads, dumps, fields_of, fromisoformat, JSONDecodeError = \
            orjson.loads, orjson.dumps, _JSONL_FIELDS, datetime.fromisoformat, \
            orjson.JSONDecodeError
        epoch, microsecond = _EPOCH, _MICROSECOND
        rows, numbers, position, last_time = self.rows, self.numbers, self.position, \
            self._last_time
        try:
            for number, text in enumerate(lines, first):
                try:
                    value = loads(text)
                    if long_run in text.translate(nines):
                        raise _Careful  # (an integer beyond 64 bits, read rounded: refused)
                    stream_id, stream_type, event_type, version, event_id, time_text, \
                        schema_version, data, metadata = fields_of(value)
                    if type(stream_id) is not str or type(stream_type) is not str \
                            or type(event_type) is not str or type(version) is not int \
                            or type(event_id) is not str or type(time_text) is not str \
                            or type(schema_version) is not int or type(data) is not dict \
                            or type(metadata) is not dict or "specversion" in value \
                            or "unreadable" in value or not 0 < version <= LARGEST \
                            or not 0 < schema_version <= LARGEST or not stream_id.strip() \
                            or not stream_type.strip() or not event_type.strip() \
                            or not event_id.strip() or not stream_id.isprintable() \
                            or not stream_type.isprintable() or not event_type.isprintable() \
                            or not event_id.isprintable() or len(time_text) != 27 \
                            or time_text[26] != "Z" or time_text[10] != "T" \
                            or time_text[19] != ".":
                        raise _Careful
                    timestamp = (fromisoformat(time_text) - epoch) // microsecond
                    if timestamp < 0:
                        raise _Careful  # (before 1970: the careful reading says so)
                    correlation_id = metadata.get("correlation_id")
                    if correlation_id is not None:
                        if type(correlation_id) is not str or not correlation_id.isprintable():
                            raise _Careful
                        del metadata["correlation_id"]  # the value is left whole until here
                    data_text, metadata_text = dumps(data).decode(), dumps(metadata).decode()
                except JSONDecodeError:
                    if not text.strip():
                        continue  # a blank line
                    stream_id, stream_type, event_type, version, event_id, timestamp, \
                        schema_version, correlation_id, data_text, metadata_text = \
                        careful(text, number, UNREAD)
                except (_Careful, ValueError, KeyError, TypeError):
                    stream_id, stream_type, event_type, version, event_id, timestamp, \
                        schema_version, correlation_id, data_text, metadata_text = \
                        careful(text, number, value)
                head = heads.get(stream_id)
                if version != 1 if head is None else (version != head[1] + 1
                                                      or stream_type != head[0]):
                    raise stream_fault(number, stream_id, stream_type, version, head)
                heads[stream_id] = (stream_type, version)
                if timestamp < last_time:  # times never go back along positions (as appends)
                    timestamp = last_time
                    self.raised += 1
                last_time = timestamp
                position += 1
                rows.append((position, stream_id, stream_type, version, event_id, event_type,
                             schema_version, timestamp, correlation_id, data_text,
                             metadata_text))
                numbers.append(number)
                if len(rows) >= batch_events:
                    full, full_numbers = rows, numbers
                    rows, numbers = [], []
                    write(full, full_numbers)
        finally:
            self.rows, self.numbers, self.position, self._last_time = \
                rows, numbers, position, last_time


def stream_fault(line: int, stream_id: str, stream_type: str, version: int,
                 head: tuple[str, int] | None) -> LineError:
    """What is wrong with an event that does not follow on in its stream (`head`: the type and
    last version of the stream so far)."""
    if head is not None and head[0] != stream_type:
        return LineError(line, f"stream {stream_id} is of type {head[0]} on earlier lines, "
                               f"{stream_type} here.")
    rule = "each stream's events must follow on from 1 without gaps, in the file's order"
    if head is None:
        return LineError(line, f"stream {stream_id} starts here at version {version}; {rule} "
                               "(is the file the end of a longer export? Export whole streams).")
    if version <= head[1]:
        return LineError(line, f"version {version} of stream {stream_id} is on an earlier line "
                               "already (an event repeated, or two exports joined?); {rule}."
                               .replace("{rule}", rule))
    missing = (f"version {head[1] + 1} is missing" if version == head[1] + 2 else
               f"versions {head[1] + 1}-{version - 1} are missing")
    return LineError(line, f"version {version} of stream {stream_id} comes after version "
                           f"{head[1]}: {missing}; {rule}.")
