"""`events STORE --search TEXT`: the events that mention some text, newest first.

The search uses the store's full-text index (explorer.projections.fulltext). The first search
builds it, with a progress bar on a terminal (Ctrl+C stops it; what was indexed is kept and the
next search goes on from there); later ones index only the events appended since. The index
lives beside the store when the store's folder may be written, in the cache folder otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from explorer.projections.fulltext import (
    FullTextIndex,
    fulltext_path,
    newest_matching,
    search_query,
)
from explorer.store.event_store import EventStore
from explorer.store.postgres_url import is_server_url
from explorer.store.query import EventQuery
from explorer.store.records import RecordedEvent


def index_beside_store_allowed(location: str) -> bool:
    """Whether a store's derived files may go beside it (its file and folder are writable)."""
    if is_server_url(location):
        return False
    path = Path(location)
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


class Progress(Protocol):
    def update_to(self, done: int, total: int | None = None) -> None: ...
    def close(self) -> None: ...


def open_index(store: EventStore, bar: Progress) -> FullTextIndex:
    """The store's full-text index, brought up to date (`bar` shows it while it builds)."""
    read_only = store.read_only_reason is not None or not index_beside_store_allowed(
        store.location)  # (a store never written, as the `eventsourcing` library's: nor beside it)
    index = FullTextIndex(fulltext_path(store.location, read_only))
    try:
        index.catch_up(store, progress=bar.update_to)
    except BaseException:
        index.close()
        raise
    finally:
        bar.close()
    return index


def searched_events(store: EventStore, text: str, query: EventQuery,
                    bar: Progress) -> Iterator[RecordedEvent]:
    """The events matching `text` and `query`, newest first, read a page at a time; what was
    typed is checked at once (SearchTextError), before anything is printed."""
    search_query(text)
    return _newest_events(store, text, query, bar)


def _newest_events(store: EventStore, text: str, query: EventQuery,
                   bar: Progress) -> Iterator[RecordedEvent]:
    with open_index(store, bar) as index:
        for positions in newest_matching(index, store, text, query, chunk=500):
            if positions:
                found = {e.position: e for e in store.query(
                    EventQuery(at_positions=tuple(positions)), limit=None)}
                yield from (found[p] for p in positions if p in found)
