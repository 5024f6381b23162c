"""Warnings for a search of words that upcasting adds to older events, or takes from them.

The full-text index holds the events as stored (explorer.projections.fulltext), while every list
shows them upcast to their type's current schema version: orders placed before orders had a
currency are shown with `currency: "USD"`, yet a search of USD does not find them, and nothing
said so. As explorer.store.filter_upcasts does for content filters, these functions look at the
oldest events of each type that has older versions (a bounded sample, read through the
event-type index) and name each searched word or phrase whose presence upcasting changes there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from explorer.projections.fulltext import indexed_words, search_query, tokens
from explorer.store.event_store import EventStore
from explorer.store.filter_upcasts import UPCAST_SAMPLE
from explorer.store.query import EventQuery

_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)')
"""A term of the query search_query writes: a quoted phrase, a * after it for a prefix."""


def search_upcast_warnings(store: EventStore, text: str,
                           event_types: Sequence[str] = ()) -> list[str]:
    """One warning for each event type (of `event_types`, or any) with older schema versions
    in whose sampled events upcasting changes whether a searched term is there."""
    registry = store.registry
    if registry is None:
        return []
    terms = [(tokens(phrase.replace('""', '"')), star == "*", phrase.replace('""', '"'))
             for phrase, star in _TERM.findall(search_query(text))]
    warnings: list[str] = []
    for spec in registry:
        if spec.version < 2 or (event_types and spec.name not in event_types):
            continue
        for event in store.query(EventQuery(event_types=(spec.name,)), limit=UPCAST_SAMPLE):
            if event.stored is None:
                continue
            stored, shown = _words(event.stored.data), _words(event.data)
            changed = [written + ("*" if prefix else "") for words, prefix, written in terms
                       if _has(stored, words, prefix) != _has(shown, words, prefix)]
            if changed:
                version = event.stored.schema_version
                warnings.append(
                    f"{', '.join(changed)}: {spec.name} events stored at schema version "
                    f"{version} (position {event.position:,}, say) are searched as stored, "
                    "before upcasting, which changes whether they mention it: the search may "
                    f"miss them, or list them wrongly. The content filter schema_version = "
                    f"{version} on {spec.name} events lists them all.")
                break
    return warnings


def _words(data: Any) -> list[str]:
    """The words the index would hold of an event's data, as JSON."""
    return indexed_words(orjson.dumps(data, default=str).decode())


def _has(words: list[str], phrase: list[str], prefix: bool) -> bool:
    """Whether `phrase` is in `words`, its words in a row (its last a prefix if `prefix`)."""
    if not phrase:
        return False
    last = len(phrase) - 1
    for start in range(len(words) - last):
        if words[start:start + last] == phrase[:last] and (
                words[start + last].startswith(phrase[last]) if prefix
                else words[start + last] == phrase[last]):
            return True
    return False
