"""Turning stored rows into events: JSON decoding, upcasting, and raw events for bad rows.

The common row (a known type at its current schema version with valid JSON) takes a short path;
everything else goes through `decode_row_carefully`, which never raises: a row it cannot
decode becomes a raw event (`problem` set) so that one bad row never stops a reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from explorer.store.records import RecordedEvent, StoredForm
from explorer.store.upcasting import EventRegistry, UpcastError

Row = Sequence[Any]


class RowDecoder:
    """Decodes rows selected in `statements.EVENT_COLUMNS` order, using an optional registry."""

    def __init__(self, registry: EventRegistry | None) -> None:
        self.registry = registry
        self.current_versions = registry.current_versions if registry is not None else None

    def decode_rows(self, rows: Sequence[Row]) -> list[RecordedEvent]:
        return list(self.decode_each(rows))

    def decode_each(self, rows: Iterable[Row]) -> Iterator[RecordedEvent]:
        """The rows' events one at a time: a reader that lets each go before the next is made
        keeps few objects alive, which young garbage collections then walk cheaply."""
        current = self.current_versions
        loads = orjson.loads
        new = tuple.__new__
        event = RecordedEvent
        careful = self.decode_row_carefully
        for row in rows:
            position, stream_id, stream_type, version, event_id, event_type, schema_version, \
                timestamp, correlation_id, data, metadata = row
            if current is None or current.get(event_type) == schema_version:
                try:
                    decoded = loads(data)
                except (orjson.JSONDecodeError, TypeError):
                    yield careful(row)
                    continue
                if type(decoded) is dict:
                    yield new(event, (position, stream_id, stream_type, version, event_id,
                                      event_type, schema_version, timestamp, correlation_id,
                                      decoded, metadata, None, None, None))
                    continue
            yield careful(row)

    def decode_row_carefully(self, row: Row) -> RecordedEvent:
        """Decode one row, upcasting it, or return a raw event that says what is wrong with it."""
        position, stream_id, stream_type, version, event_id, event_type, schema_version, \
            timestamp, correlation_id, data, metadata = row

        def raw(reason: str) -> RecordedEvent:
            return RecordedEvent(position, stream_id, stream_type, version, event_id, event_type,
                                 schema_version, timestamp, correlation_id, {},
                                 metadata, None, reason, data)

        decoded, problem = decode_json_object(data)
        if problem:
            return raw(problem)
        if self.registry is None:
            return RecordedEvent(position, stream_id, stream_type, version, event_id, event_type,
                                 schema_version, timestamp, correlation_id, decoded,
                                 metadata)
        try:
            # The upcasters get their own copy, so the stored form stays exactly as stored.
            current_version, upcast = self.registry.upcast(event_type, schema_version,
                                                           orjson.loads(data))
        except UpcastError as error:
            return raw(str(error))
        stored = StoredForm(schema_version, decoded) if current_version != schema_version else None
        return RecordedEvent(position, stream_id, stream_type, version, event_id, event_type,
                             current_version, timestamp, correlation_id, upcast,
                             metadata, stored)

    def decode_data(self, event_type: str, schema_version: int,
                    data: Any) -> tuple[dict[str, Any] | None, str]:
        """Data of one event at its current version, or (None, reason). Used by aggregate replay."""
        current = self.current_versions
        if current is None or current.get(event_type) == schema_version:
            decoded, problem = decode_json_object(data)
            if not problem:
                return decoded, ""
            return None, problem
        decoded, problem = decode_json_object(data)
        if problem:
            return None, problem
        if self.registry is None:
            return decoded, ""
        try:
            return self.registry.upcast(event_type, schema_version, decoded)[1], ""
        except UpcastError as error:
            return None, str(error)


class DecodedRows:
    """Stored rows whose events are decoded one at a time as they are iterated, anew each
    time: a reader of many (a projection's chunk of the log) keeps the rows, not the events."""

    __slots__ = ("rows", "_decoder")

    def __init__(self, rows: Sequence[Row], decoder: RowDecoder) -> None:
        self.rows = rows
        self._decoder = decoder

    def __iter__(self) -> Iterator[RecordedEvent]:
        return self._decoder.decode_each(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def decode_json_object(data: Any) -> tuple[dict[str, Any], str]:
    """The JSON object stored in `data`, or ({}, the reason it is not one)."""
    if data is None:
        return {}, "the event has no data (NULL)"
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        return {}, f"the data is not valid JSON ({error})"
    except TypeError:
        return {}, f"the data is stored as {type(data).__name__}, not JSON text"
    if not isinstance(decoded, dict):
        return {}, f"the data is a JSON {type(decoded).__name__}, not an object"
    return decoded, ""
