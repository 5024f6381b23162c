"""Copying a store's events into another store through the store interface, whatever the backends.

The stored rows 1..P as they are (ids, versions, positions, times, data and metadata untouched,
linked into the new store's hash chain as they come), the stream index as it was at P
(`import_rows` keeps it) and the snapshots taken up to P. A branch of a store on a server
(what-if) is a new store file made so, and `copy SOURCE TARGET` copies a whole store between a
file and a server either way. SQLite-to-SQLite branches copy faster with an attach
(explorer.store.branching).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from explorer.store import chain, schema
from explorer.store.errors import DiskFullError, StoreOpenError
from explorer.store.event_store import EventStore, remove_store_file
from explorer.store.postgres_url import is_server_url
from explorer.store.records import SnapshotRecord

COPY_CHUNK = 5_000
OWN_META = frozenset({"schema", "schema_version", "created_at", "created_by", schema.CHAIN_KEY,
                      chain.SERVER_LINKS_KEY, schema.BUNDLE_KEY, schema.TAKEN_KEY})
"""store_meta's entries a store makes of itself; the others (its system, ...) are copied. (A
copy of a bug report is a store to work on, not a bug report: it can be written.)"""


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


def copy_store(source: EventStore, target: str | Path,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Copy every event of `source` (as far as its log reaches now), its snapshots and what its
    store_meta says of it (its system) into a new store at `target`, a file or a server URL;
    the last position copied. A target holding events is refused; a new file left half-made
    (a failure, or `progress(copied, last)` raising) is removed, a schema on a server keeps
    what was copied and says so."""
    last = source.last_position()
    if not is_server_url(target):
        path = source._branch_file(target, last, "copy")
        copy = EventStore.open(path, create=True)
        try:
            _copy_whole(source, copy, last, progress)
        except BaseException as error:
            copy.close()
            remove_store_file(path)
            if isinstance(error, DiskFullError):  # (it said the copy kept what it held)
                raise DiskFullError.of_new_file(path, error.detail) from None
            raise
        copy.close()
        return last
    with EventStore.open(target, create=True) as copy:
        held = copy.last_position()
        if held:
            raise StoreOpenError(f"Cannot copy {source.name} into {copy.location}: it holds "
                                 f"{held:,} events already. Choose another ?schema=.")
        try:
            _copy_whole(source, copy, last, progress)
        except Exception as error:
            done = copy.last_position()
            raise StoreOpenError(
                f"The copy into {copy.location} stopped at position {done:,} of {last:,} "
                f"({error}). What was copied stays there: drop its schema, or copy into "
                "another.") from error
    return last


def _copy_whole(source: EventStore, copy: EventStore, last: int,
                progress: Callable[[int, int], None] | None) -> None:
    copy_events(source, copy, last, progress or (lambda copied, total: None))
    for key, value in source.meta().items():
        if key not in OWN_META:
            copy.set_meta(key, value)
