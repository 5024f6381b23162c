"""Warnings for content filters on data that upcasting changes, such as `data.currency = "USD"`
over orders placed before orders had a currency.

A content filter runs as SQL over the events as stored, while every list shows them upcast to
their type's current schema version: for the events stored at an older version, a field that
upcasting adds, renames or changes is not what the filter compares, and nothing says so. These
functions look at the oldest events of each type that has older versions (a bounded sample read
through the event-type index, where a log's older versions are) and name each filtered field
that upcasting changes there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from explorer.common.field_paths import child_path, part_key, path_parts
from explorer.store.content_filter import ContentFilter, comparisons
from explorer.store.query import EventQuery

if TYPE_CHECKING:
    from collections.abc import Sequence

    from explorer.store.event_store import EventStore

UPCAST_SAMPLE = 20
"""The oldest events of each event type with older schema versions that are looked at."""
_ABSENT = object()


def upcast_warnings(store: EventStore, content: ContentFilter,
                    event_types: Sequence[str] = ()) -> list[str]:
    """One warning for each data field of `content` that upcasting changes in a sampled event
    stored at an older schema version of its type (of `event_types`, or of any type)."""
    registry = store.registry
    fields = list(dict.fromkeys(c.field for c in comparisons(content.tree)
                                if c.field.startswith(("data.", 'data["', "data['"))))
    if registry is None or not fields:
        return []
    warnings: list[str] = []
    for spec in registry:
        if spec.version < 2 or (event_types and spec.name not in event_types):
            continue
        told: set[str] = set()
        for event in store.query(EventQuery(event_types=(spec.name,)), limit=UPCAST_SAMPLE):
            if event.stored is None:
                continue
            for field in (f for f in fields if f not in told):
                key = _top_key(field)
                before = event.stored.data.get(key, _ABSENT)
                after = event.data.get(key, _ABSENT)
                if not _same(before, after):
                    told.add(field)
                    version = event.stored.schema_version
                    warnings.append(
                        f"{field}: {spec.name} events stored at schema version {version} "
                        f"(position {event.position:,}, say) are filtered as stored, before "
                        f"upcasting, which changes {child_path('data', key)} in them (stored: "
                        f"{_shown(before)}; shown: {_shown(after)}): the filter may miss them, "
                        f"or match them wrongly. schema_version = {version} selects them as "
                        "stored.")
    return warnings


def _same(before: Any, after: Any) -> bool:
    """Whether two values are the same to a filter: true is not 1 (nor false 0), though
    Python has them equal; 1 is 1.0."""
    if isinstance(before, bool) or isinstance(after, bool):
        return before is after
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(_same(v, after[k])
                                                      for k, v in before.items())
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(map(_same, before, after))
    return bool(before == after)


def _top_key(field: str) -> str:
    """The key of the event's data that a field is in: "items" for data.items[*].price."""
    return str(part_key(path_parts(field.removeprefix("data"))[0]))


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 40 else f"{text[:39]}…"
