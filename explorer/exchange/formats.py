"""The two file formats events go out and come in by, one event a line.

JSON Lines (`jsonl`): an object with position, stream_id, stream_type, type, version, event_id,
time (ISO 8601 UTC with microseconds), schema_version, data and metadata.

CloudEvents 1.0 JSON in structured mode (`cloudevents`), one event a line: specversion "1.0",
id (the event id), source (the store's file URI), type, subject (the stream id), time (RFC 3339),
datacontenttype application/json and data; what CloudEvents has no attribute for is carried in
extension attributes named in lowercase letters and digits as the specification demands:
`position`, `streamtype`, `streamversion`, `schemaversion` (integers and text) and `metadata`
(the metadata object as JSON text, an extension attribute's value being a scalar).

Events are written in their stored form (the schema version and data as stored, before any
upcasting), so that importing the file gives the same rows. Reading a line checks every field
and says what is wrong with it; the caller adds the line's number.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import orjson

from explorer.common.names import unprintable
from explorer.common.timestamps import iso, parse_time
from explorer.store import RecordedEvent

Format = Literal["jsonl", "cloudevents"]
FORMATS: tuple[Format, ...] = ("jsonl", "cloudevents")
CONTENT_TYPE = "application/json"


class ExchangeError(ValueError):
    """An export or import refused: what was wrong and what to do (nothing was left half-made)."""


class LineError(ExchangeError):
    """A line of an events file that cannot be imported; `line` is its number (from 1)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


def store_source(location: str) -> str:
    """The CloudEvents `source` naming a store: its file's URI."""
    return Path(location).resolve().as_uri()


def jsonl_record(event: RecordedEvent) -> dict[str, Any]:
    """An event as a JSON Lines object (its stored form)."""
    record: dict[str, Any] = {
        "position": event.position, "stream_id": event.stream_id,
        "stream_type": event.stream_type, "type": event.event_type, "version": event.version,
        "event_id": event.event_id, "time": iso(event.timestamp_us),
        "schema_version": event.stored_schema_version, "data": event.stored_data,
        "metadata": event.metadata}
    if event.problem is not None:
        record["unreadable"] = event.problem
        record["raw_data"] = event.raw_data if isinstance(event.raw_data, str | None) \
            else repr(event.raw_data)
    return record


def cloudevent_record(event: RecordedEvent, source: str) -> dict[str, Any]:
    """An event as a structured-mode CloudEvent (its stored form)."""
    record: dict[str, Any] = {
        "specversion": "1.0", "id": event.event_id, "source": source, "type": event.event_type,
        "subject": event.stream_id, "time": iso(event.timestamp_us),
        "datacontenttype": CONTENT_TYPE, "data": event.stored_data,
        "position": event.position, "streamtype": event.stream_type,
        "streamversion": event.version, "schemaversion": event.stored_schema_version,
        "metadata": orjson.dumps(event.metadata).decode()}
    if event.problem is not None:
        record["unreadable"] = event.problem
    return record


@dataclass(slots=True)
class ImportedEvent:
    """One line of an events file, checked: what appending it needs."""

    stream_id: str
    stream_type: str
    event_type: str
    version: int
    event_id: str
    timestamp_us: int
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]


JSONL_FIELDS = {"stream_id": "stream_id", "stream_type": "stream_type", "type": "type",
                "version": "version", "event_id": "event_id", "time": "time",
                "schema_version": "schema_version", "data": "data", "metadata": "metadata"}
CLOUDEVENT_FIELDS = {"stream_id": "subject", "stream_type": "streamtype", "type": "type",
                     "version": "streamversion", "event_id": "id", "time": "time",
                     "schema_version": "schemaversion", "data": "data", "metadata": "metadata"}


_ORDER = ("stream_id", "stream_type", "type", "version", "event_id", "time", "schema_version",
          "data", "metadata")
_JSONL_KEYS = tuple(JSONL_FIELDS[name] for name in _ORDER)
_CLOUD_KEYS = tuple(CLOUDEVENT_FIELDS[name] for name in _ORDER)


def parse_line(text: bytes, line: int) -> ImportedEvent:
    """The event on one line of a JSON Lines or CloudEvents file; LineError naming the line and
    what is wrong (not JSON, not an object, a field missing or of the wrong type, an integer
    the store cannot keep)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        try:
            text.decode()
        except UnicodeDecodeError as not_utf8:
            raise LineError(line, f"not UTF-8 text (byte {text[not_utf8.start]:#04x} at column "
                                  f"{not_utf8.start + 1}): save the file as UTF-8 and import "
                                  "it again.") from None
        raise LineError(line, f"not valid JSON ({error}). Each line must be one event as a "
                              "JSON object.") from None
    if may_hold_a_long_integer(text):
        refuse_long_integers(text, line)
    return parse_value(value, line)


DIGITS_AS_NINES = bytes(ord("9") if 48 <= byte <= 57 else ord(" ") for byte in range(256))
"""bytes.translate's table turning each digit into 9 and anything else into a space."""
LONG_RUN = b"9" * 19
"""As many digits in a row as the shortest integer beyond 64 bits has (2**63 has 19), looked
for among a line's digits turned into nines: ten times faster than a regular expression."""
_INT64 = range(-2**63, 2**63)


def may_hold_a_long_integer(text: bytes) -> bool:
    """Whether a line's JSON may hold an integer beyond 64 bits, which the JSON reader turns into
    an inexact float without a word (a quick look: 19 digits in a row, in a number or not)."""
    return LONG_RUN in text.translate(DIGITS_AS_NINES)


def refuse_long_integers(text: bytes, line: int) -> None:
    """LineError naming the first integer in a line's JSON that 64 bits cannot hold: the store
    keeps JSON integers of 64 bits (as SQLite and PostgreSQL do), and would keep it rounded."""
    def first_long(value: Any, path: str) -> tuple[str, int] | None:
        if type(value) is int and value not in _INT64:
            return path, value
        items = (value.items() if type(value) is dict
                 else enumerate(value) if type(value) is list else ())
        for key, item in items:
            found = first_long(item, f"{path}[{key}]" if type(key) is int
                               else f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None

    try:
        found = first_long(json.loads(text), "")
    except (ValueError, RecursionError):  # (not JSON as the standard reader reads it either)
        return
    if found is not None:
        path, number = found
        raise LineError(line, f"the integer {number} ({path}) does not fit in 64 bits, and "
                              "the store would keep it rounded. Store such a number as a text "
                              "(in quotes) and import the file again.")


def parse_value(value: Any, line: int) -> ImportedEvent:
    """The event of a line whose JSON was read as `value` (see parse_line)."""
    if type(value) is not dict or "unreadable" in value:
        return _checked(value, line)
    cloud = "specversion" in value
    try:
        found = [value[key] for key in (_CLOUD_KEYS if cloud else _JSONL_KEYS)]
    except KeyError:
        return _checked(value, line)
    if cloud and type(found[8]) is str:
        try:
            found[8] = orjson.loads(found[8])
        except orjson.JSONDecodeError:
            return _checked(value, line)
    stream_id, stream_type, event_type, version, event_id, time_text, schema_version, data, \
        metadata = found
    if type(stream_id) is not str or type(stream_type) is not str \
            or type(event_type) is not str or type(version) is not int \
            or type(event_id) is not str or type(time_text) is not str \
            or type(schema_version) is not int or type(data) is not dict \
            or type(metadata) is not dict \
            or version < 1 or schema_version < 1 or not stream_id.strip() \
            or not stream_type.strip() or not event_type.strip() or not event_id.strip() \
            or not (stream_id.isprintable() and stream_type.isprintable()
                    and event_type.isprintable() and event_id.isprintable()) \
            or cloud and (value["specversion"] != "1.0"
                          or value.get("datacontenttype", CONTENT_TYPE) != CONTENT_TYPE):
        return _checked(value, line)
    timestamp_us = _exported_time(time_text)
    if timestamp_us is None:
        try:
            timestamp_us = parse_time(time_text)
        except ValueError:
            return _checked(value, line)
    if timestamp_us < 0:
        return _checked(value, line)
    return ImportedEvent(stream_id, stream_type, event_type, version, event_id, timestamp_us,
                         schema_version, data, metadata)


def _exported_time(text: str) -> int | None:
    """Microseconds for a time as `export` writes it (2026-03-19T10:15:30.123456Z), quickly;
    None for any other form (parse_time reads those)."""
    if len(text) != 27 or text[26] != "Z" or text[10] != "T" or text[19] != ".":
        return None
    try:
        day = _days(int(text[0:4]), int(text[5:7]), int(text[8:10]))
        seconds = int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
        fraction = int(text[20:26])
    except ValueError:
        return None
    if day is None or seconds >= 86_400:
        return None
    return (day * 86_400 + seconds) * 1_000_000 + fraction


@functools.lru_cache(maxsize=4096)
def _days(year: int, month: int, day: int) -> int | None:
    """Days from the epoch to a date; None for one that is not a date."""
    try:
        return (date(year, month, day) - _EPOCH_DAY).days
    except ValueError:
        return None


_EPOCH_DAY = date(1970, 1, 1)


def _checked(value: Any, line: int) -> ImportedEvent:
    """The event of a line the quick reading refused, each field checked in turn: the
    LineError saying what is wrong."""
    if not isinstance(value, dict):
        raise LineError(line, f"a JSON {type(value).__name__}, not an object. Each line must be "
                              "one event as a JSON object.")
    if "unreadable" in value:
        raise LineError(line, f"event {value.get('event_id') or value.get('id')} could not be "
                              f"read in the store it came from ({value['unreadable']}); it "
                              "cannot be imported. Remove the line or salvage that store first.")
    cloud = "specversion" in value
    if cloud and value["specversion"] != "1.0":
        raise LineError(line, f"CloudEvents specversion {value['specversion']!r}; only 1.0 is "
                              "read.")
    names = CLOUDEVENT_FIELDS if cloud else JSONL_FIELDS
    kind = "CloudEvent" if cloud else "event"

    def field(name: str, expected: type | tuple[type, ...], what: str) -> Any:
        key = names[name]
        if key not in value:
            raise LineError(line, f"the {kind} has no {key!r}: every line needs "
                                  f"{', '.join(repr(k) for k in names.values())}.")
        found = value[key]
        if not isinstance(found, expected) or isinstance(found, bool) and expected is int:
            raise LineError(line, f"{key!r} is {orjson.dumps(found).decode()[:80]}, "
                                  f"not {what}.")
        return found

    stream_id = field("stream_id", str, "a text (the stream id)")
    if not stream_id.strip():
        raise LineError(line, f"{names['stream_id']!r} is empty: every event needs its stream.")
    printable(stream_id, names["stream_id"], line)
    version = field("version", int, "a whole number (the event's version in its stream)")
    schema_version = field("schema_version", int, "a whole number")
    if version < 1 or schema_version < 1:
        raise LineError(line, f"{names['version']!r} and {names['schema_version']!r} count "
                              "from 1.")
    time_text = field("time", str, "an ISO 8601 time")
    try:
        timestamp_us = parse_time(time_text)
    except ValueError as error:
        raise LineError(line, f"{names['time']!r}: {error}") from None
    if timestamp_us < 0:  # (the append would raise it to the first possible: said as a time
        # that went back, it was not)
        raise LineError(line, f"{names['time']!r}: {time_text} is before "
                              "1970-01-01T00:00:00Z, the earliest time a store holds.")
    metadata = field("metadata", (dict, str) if cloud else dict, "an object")
    if isinstance(metadata, str):
        try:
            metadata = orjson.loads(metadata)
        except orjson.JSONDecodeError:
            metadata = None
        if not isinstance(metadata, dict):
            raise LineError(line, "'metadata' is not a JSON object's text.")
    if cloud and value.get("datacontenttype", CONTENT_TYPE) != CONTENT_TYPE:
        raise LineError(line, f"datacontenttype {value['datacontenttype']!r}: only "
                              f"{CONTENT_TYPE} data can be imported.")
    return ImportedEvent(
        stream_id=stream_id,
        stream_type=_text(field("stream_type", str, "a text (the stream type)"), names, line,
                          "stream_type"),
        event_type=_text(field("type", str, "a text (the event type)"), names, line, "type"),
        version=version,
        event_id=_text(field("event_id", str, "a text (the event id)"), names, line, "event_id"),
        timestamp_us=timestamp_us, schema_version=schema_version,
        data=field("data", dict, "an object (the event's data)"), metadata=metadata)


def _text(found: str, names: dict[str, str], line: int, name: str) -> str:
    if not found.strip():
        raise LineError(line, f"{names[name]!r} is empty.")
    return printable(found, names[name], line)


def printable(found: str, key: str, line: int) -> str:
    """`found`, the text of the line's field `key`; LineError if a character of it does not
    print (explorer.common.names: a control character such as NUL, a line break or ESC)."""
    character = unprintable(found)
    if character is not None:
        shown = orjson.dumps(found).decode()
        raise LineError(line, f"{key!r} is {shown[:80]}{'…' if len(shown) > 80 else ''}, "
                              f"holding {character}, a control character that does not print: "
                              "ids and types must be printable text. Correct or remove the "
                              "line.")
    return found
