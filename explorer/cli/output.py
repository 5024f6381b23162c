"""Printing for the command line: aligned tables for people, JSON for programs.

Lists print as one JSON array written item by item, so millions of events stream in flat memory.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import orjson

from explorer.common.formatting import short_time, summarize
from explorer.store.records import RecordedEvent


def print_json(value: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def print_json_array(items: Iterable[Any], out: TextIO | None = None) -> int:
    """Write a JSON array one element at a time; the number written."""
    out = out or sys.stdout
    count = 0
    out.write("[")
    for item in items:
        out.write(",\n" if count else "\n")
        out.write(orjson.dumps(item).decode())
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None,
                right: Sequence[int] = ()) -> int:
    """Print rows under headers with columns aligned (the last column is left free)."""
    out = out or sys.stdout
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            if i == len(cells) - 1:
                parts.append(cell)
            elif i in right:
                parts.append(cell.rjust(widths[i]))
            else:
                parts.append(cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out.write(line(headers) + "\n")
    for row in rows:
        out.write(line(row) + "\n")
    return len(rows)


def event_row(event: RecordedEvent) -> list[Any]:
    summary = f"! {event.problem}" if event.is_raw else summarize(event.data, 90)
    return [event.position, short_time(event.timestamp_us), event.stream_id, event.version,
            event.event_type, summary]


EVENT_HEADERS = ["POSITION", "TIME (UTC)", "STREAM", "VERSION", "TYPE", "DATA"]
