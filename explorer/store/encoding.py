"""Appends encoded before the store takes its write lock: ids, times, versions and JSON text.

Encoding a request's events (JSON, ids, default times and schema versions) and refusing a bad
one happens outside the write transaction, so that other writers wait only for the inserts.
"""

from __future__ import annotations

from typing import Any

import orjson

from explorer.common.timestamps import now_micros
from explorer.store.ids import uuid7
from explorer.store.records import AppendRequest
from explorer.store.upcasting import EventRegistry


class Prepared:
    """A request with its events encoded, done before the write lock is taken."""

    __slots__ = ("stream_id", "stream_type", "expected_version", "rows")

    def __init__(self, stream_id: str, stream_type: str, expected_version: int | None,
                 rows: list[tuple[Any, ...]]) -> None:
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.expected_version = expected_version
        self.rows = rows


def prepare(request: AppendRequest, registry: EventRegistry | None) -> Prepared:
    """The request's events as rows to insert (without their positions and versions), or
    ValueError saying what is wrong with the request."""
    stream_id = request.stream_id
    if not isinstance(stream_id, str) or not stream_id.strip():
        raise ValueError("A stream id must be a non-empty text.")
    if not request.stream_type:
        raise ValueError(f"Stream {stream_id} needs a stream type.")
    if request.expected_version is not None and request.expected_version < 0:
        raise ValueError(f"Expected version {request.expected_version} of {stream_id} is negative.")
    versions = registry.current_versions if registry is not None else {}
    dumps = orjson.dumps
    now = now_micros()
    rows = []
    encoded_for: dict[str, Any] | None = None  # the events of one command share their metadata
    for event in request.events:
        if type(event.data) is not dict:
            raise ValueError(f"The data of {event.event_type} must be a JSON object, "
                             f"not {type(event.data).__name__}.")
        if event.metadata is not encoded_for:
            encoded_for = event.metadata
            if type(encoded_for) is dict and not encoded_for:  # (events recorded without any
                # metadata: each has its own empty dict)
                correlation_id, metadata_json = None, "{}"
            else:
                metadata = dict(encoded_for)
                correlation_id = metadata.pop("correlation_id", None)
                try:
                    metadata_json = dumps(metadata).decode()
                except TypeError as error:
                    raise ValueError(f"The metadata of {event.event_type} cannot be stored as "
                                     f"JSON: {error}.") from None
        try:
            data_json = dumps(event.data).decode()
        except TypeError as error:
            raise ValueError(f"The data of {event.event_type} cannot be stored as JSON: {error}.") \
                from None
        rows.append((event.event_id or uuid7(), event.event_type,
                     event.schema_version or versions.get(event.event_type, 1),
                     event.timestamp_us if event.timestamp_us is not None else now,
                     correlation_id, data_json, metadata_json, event.data))
    return Prepared(stream_id, request.stream_type, request.expected_version, rows)
