"""Copying a store's events into another store through the store interface, whatever the backends.

A branch of a store on a server (what-if) is a new store file made this way: the stored rows
1..P as they are (ids, versions, positions, times, data and metadata untouched, linked into the
new store's hash chain as they come), the stream index as it was at P (`import_rows` keeps it),
and the snapshots taken up to P. SQLite-to-SQLite branches copy faster with an attach
(explorer.store.branching).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from explorer.store import schema
from explorer.store.event_store import EventStore, remove_store_file
from explorer.store.records import SnapshotRecord

COPY_CHUNK = 5_000


def branch(source: EventStore, target: str | Path, position: int,
           progress: Callable[[int, int], None] | None) -> None:
    """Make the new store file `target` holding `source`'s events 1..`position`, its stream
    index and its snapshots as they were then; nothing is left at `target` if it fails or
    `progress(copied, position)` raises."""
    path = source._branch_file(target, position)
    copy = EventStore.open(path, create=True)
    try:
        copy_events(source, copy, position, progress or (lambda copied, total: None))
    except BaseException:
        copy.close()
        remove_store_file(path)
        raise
    copy.close()


def copy_events(source: EventStore, target: EventStore, position: int,
                progress: Callable[[int, int], None]) -> None:
    """Append `source`'s stored rows 1..`position` to the empty store `target` as they are,
    a chunk a transaction, then the snapshots taken up to `position`."""
    progress(0, position)
    for page in source.linked_pages(COPY_CHUNK):
        rows = [row[:-1] for row in page if row[0] <= position]
        if rows:
            target.import_rows(rows)
            progress(rows[-1][0], position)
        if len(rows) < len(page) or rows and rows[-1][0] == position:
            break
    s = schema.snapshots.c
    for row in source._execute(
            sa.select(s.stream_id, s.stream_type, s.version, s.position, s.timestamp,
                      s.state_version, s.state)
            .where(s.position <= position).order_by(s.stream_id, s.version)):
        target.save_snapshot(SnapshotRecord(*row))
