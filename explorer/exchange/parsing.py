"""Reading an events file's lines into rows, a block at a time: the import's parse.

The lines are read a block of whole lines at a time (a line longer than the limit is refused
without holding more of it than that), numbered from 1 (blank ones too), and each line as
`export` writes it (JSON Lines or CloudEvents) is read by a quick path into the fields of its
stored row, its data and metadata as the store keeps them (orjson's compact text, the
correlation id taken out of the metadata). Any other line is handed on as it is, for the import
to read with `parse_line`, which says what is wrong: this module only ever turns a right line
into a row.

It imports nothing of the store (orjson and the standard library only), so that it can run in
a process of its own (`python -m explorer.exchange.parsing MAX_LINE_BYTES`: the file on its
standard input, a pickled frame a block on its standard output: see `serve`), started in a
moment, while the importing process writes the rows of the blocks before: two cores at work on
one import.
"""

from __future__ import annotations

import pickle
import struct
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import orjson

READ_BYTES = 4 * 1024 * 1024
CONTENT_TYPE = "application/json"  # formats.CONTENT_TYPE (that module imports the store)
FRAME_HEAD = struct.Struct("<Q")

Item = tuple[Any, ...]
"""One non-blank line: (line, stream id, stream type, event type, version, event id, time (µs),
schema version, correlation id, data text, metadata text) read by the quick path, or
(line, text) for the importer to read."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LARGEST = 2**63 - 1  # the largest integer a store's column holds


class LineTooLong(Exception):
    """A line longer than the limit: its number."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is too long")
        self.line = line


def blocks(file: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, bytes, int]]:
    """(number of the block's first line, the block: whole lines, bytes read so far) for the
    whole of `file`; LineTooLong for a line longer than `max_line_bytes`."""
    number, tail, done = 1, b"", 0
    while block := file.read(READ_BYTES):
        done += len(block)
        end = block.rfind(b"\n")
        if end < 0:
            tail += block
            if len(tail) > max_line_bytes:
                raise LineTooLong(number)
            continue
        whole = tail + block[:end + 1] if tail else block[:end + 1]
        tail = block[end + 1:]
        yield number, whole, done
        number += whole.count(b"\n")
        if len(tail) > max_line_bytes:
            raise LineTooLong(number)
    if tail:
        yield number, tail, done


def parse_block(block: bytes, first: int, max_line_bytes: int) -> list[Item]:
    """The items of a block's non-blank lines (see Item), the first numbered `first`;
    LineTooLong for a line longer than `max_line_bytes`."""
    items: list[Item] = []
    append = items.append
    loads, dumps, JSONDecodeError = orjson.loads, orjson.dumps, orjson.JSONDecodeError
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    for number, text in enumerate(lines, first):
        if len(text) > max_line_bytes:
            raise LineTooLong(number)
        try:
            value = loads(text)
        except JSONDecodeError:
            if text.strip():
                append((number, text))
            continue
        fields = quick_fields(value) if type(value) is dict else None
        if fields is None:
            append((number, text))
            continue
        metadata = fields[8]
        correlation_id = metadata.pop("correlation_id", None)
        if correlation_id is not None and type(correlation_id) is not str:
            append((number, text))
            continue
        append((number, *fields[:7], correlation_id, dumps(fields[7]).decode(),
                dumps(metadata).decode()))
    return items


Fields = tuple[str, str, str, int, str, int, int, dict[str, Any], dict[str, Any]]
"""A line's stream id, stream type, event type, version, event id, time (µs), schema version,
data and metadata."""


def quick_fields(value: dict[str, Any]) -> Fields | None:
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
            or not 1 <= version <= _LARGEST or not 1 <= schema_version <= _LARGEST \
            or not stream_id.strip() or not stream_type.strip() or not event_type.strip() \
            or not event_id.strip() or len(time_text) != 27 or time_text[26] != "Z" \
            or time_text[10] != "T" or time_text[19] != ".":
        return None
    try:  # the exported form, 2026-03-19T10:15:30.123456Z
        timestamp_us = (datetime.fromisoformat(time_text) - _EPOCH) // _MICROSECOND
    except ValueError:
        return None
    return (stream_id, stream_type, event_type, version, event_id, timestamp_us, schema_version,
            data, metadata)


def write_frame(out: BinaryIO, value: object) -> None:
    """One pickled frame, its length first."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME_HEAD.pack(len(data)))
    out.write(data)


def read_frame(source: BinaryIO) -> bytes | None:
    """The next frame written by `write_frame`, still pickled; None when the writer ended
    without one."""
    head = source.read(FRAME_HEAD.size)
    if len(head) < FRAME_HEAD.size:
        return None
    size = FRAME_HEAD.unpack(head)[0]
    data = source.read(size)
    return data if len(data) == size else None


def serve(source: BinaryIO, out: BinaryIO, max_line_bytes: int) -> None:
    """Parse `source` a block at a time, writing each block's (bytes read, items) as a frame
    to `out`, then (bytes read, None) at its end; a line too long ends it with (None, line,
    "too long") instead."""
    done = 0
    try:
        for first, block, done in blocks(source, max_line_bytes):
            write_frame(out, (done, parse_block(block, first, max_line_bytes)))
        write_frame(out, (done, None))
    except LineTooLong as too_long:
        write_frame(out, (None, too_long.line, "too long"))
    out.flush()


if __name__ == "__main__":
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer, int(sys.argv[1]))
    except BrokenPipeError:  # the importer stopped reading: cancelled, or failed
        sys.exit(1)
