"""Printing for the command line: aligned tables for people, JSON for programs.

Lists print as one JSON array written item by item, so millions of events stream in flat memory.
A table shows stored text through `visible`: a control character in it (an escape sequence, a
line break) is printed as an escape, never sent to the terminal, and each row stays one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import orjson

from explorer.common.formatting import short_time, summarize
from explorer.common.names import visible
from explorer.store.records import RecordedEvent


def print_json(value: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(_dumps(value, indent=True) + "\n")


def _dumps(value: Any, *, indent: bool = False) -> str:
    """`value` as JSON text. A path whose name is not UTF-8 (Python keeps its bytes as lone
    surrogates, which orjson refuses: a traceback) is written with them escaped (\\udce9), as
    Python's json module writes them and reads them back."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else None).decode()
    except TypeError as error:
        if "surrogates" not in str(error):
            raise
        return json.dumps(value, indent=2 if indent else None, default=str)


def print_json_array(items: Iterable[Any], out: TextIO | None = None) -> int:
    """Write a JSON array one element at a time; the number written."""
    out = out or sys.stdout
    count = 0
    out.write("[")
    for item in items:
        out.write(",\n" if count else "\n")
        out.write(_dumps(item))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None,
                right: Sequence[int] = ()) -> int:
    """Print rows under headers with columns aligned (the last column is left free); each cell
    as `visible` shows it."""
    out = out or sys.stdout
    headers = [visible(header) for header in headers]
    rows = [[visible(str(cell)) for cell in row] for row in rows]
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


class EventTable:
    """Events as aligned lines of fixed column widths, printed as they come (a table read
    in full first would hold millions): `fit` widens the stream and type columns to rows
    read ahead, up to `widest`."""

    def __init__(self, position_width: int, stream_width: int = 18, type_width: int = 28) -> None:
        self.widths = [max(8, position_width), 23, stream_width, 7, type_width]

    def fit(self, rows: Sequence[Sequence[str]], widest: int) -> None:
        for column in (2, 4):
            longest = max((len(visible(row[column])) for row in rows), default=0)
            self.widths[column] = max(self.widths[column], min(longest, widest))

    def line(self, cells: Sequence[str]) -> str:
        """The cells as one line of the table (ending in a line feed), each as `visible`
        shows it (checked once on the whole line: nearly every line has nothing to escape)."""
        widths = self.widths
        head = [cells[0].rjust(widths[0]), cells[1].ljust(widths[1]), cells[2].ljust(widths[2]),
                cells[3].rjust(widths[3]), cells[4].ljust(widths[4])]
        text = "  ".join([*head, cells[5]]).rstrip()
        if not text.isprintable() and visible(text) != text:  # (a no-break space, say, is not
            # printable to Python, and shown as it is)
            return self.line([visible(cell) for cell in cells])
        return text + "\n"

    def header(self) -> str:
        return self.line(EVENT_HEADERS)

    def event(self, event: RecordedEvent) -> str:
        return self.line([str(cell) for cell in event_row(event)])
