"""Exporting events to a file: the whole log, a filter's result, a stream or chosen positions.

Events are read page by page and written as they come (flat memory at any length), in global
order, as JSON Lines or CloudEvents (explorer.exchange.formats), as they are stored (no system's
upcasting: the store is opened without one, read-only, on a connection of the export's own). A file
is written beside its target under a temporary name and renamed at the end, so that a failed or
cancelled export leaves nothing behind and an existing file is replaced only when asked (`force`)
and only by a whole export.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from explorer.common.bulk import bulk_work
from explorer.exchange.formats import (
    ExchangeError,
    Format,
    cloudevent_record,
    jsonl_record,
    store_source,
)
from explorer.store import EventStore, RecordedEvent
from explorer.store.copying import SIDE_FILES
from explorer.store.foreign.library_store import LibraryStore
from explorer.store.postgres_url import is_server_url
from explorer.store.query import EventQuery

Progress = Callable[[int, int], None]
"""Called as `progress(position_reached, last_position)`; may raise Cancelled to stop."""

PROGRESS_EVERY = 2000


@dataclass(frozen=True)
class ExportScope:
    """Which events to export: those at `positions` (a selection) when given, else those
    matching `query` (a filter's result or a stream), else the whole log."""

    query: EventQuery | None = None
    positions: Sequence[int] | None = None

    def describe(self) -> str:
        if self.positions is not None:
            return f"{len(self.positions):,} selected events"
        if self.query is None or self.query.is_everything:
            return "the whole log"
        if self.query == EventQuery(stream_id=self.query.stream_id):
            return f"stream {self.query.stream_id}"
        return "the filter's result"


def scoped_events(store: EventStore, scope: ExportScope) -> Iterator[RecordedEvent]:
    """The scope's events in global order, read page by page."""
    if scope.positions is not None:
        return (store.event_at(position) for position in sorted(set(scope.positions)))
    if scope.query is None or scope.query.is_everything:
        return store.read_all()
    return store.iter_query(scope.query)


def write_events(events: Iterable[RecordedEvent], out: BinaryIO, format: Format, *,
                 source: str, last_position: int, progress: Progress | None = None,
                 unreadable: list[int] | None = None) -> int:
    """Write `events` to `out`, one a line; how many were written. The positions of events
    that could not be read (written as stored, marked `unreadable`: an import refuses them)
    are added to `unreadable`, when given."""
    with bulk_work():  # millions of short-lived dicts: no collector passes (CLI only)
        written = _write_all(events, out, format, source, last_position, progress,
                             unreadable if unreadable is not None else [])
    if progress is not None:
        progress(last_position, last_position)
    return written


def _write_all(events: Iterable[RecordedEvent], out: BinaryIO, format: Format, source: str,
               last_position: int, progress: Progress | None, unreadable: list[int]) -> int:
    dumps = orjson.dumps
    written = 0
    for event in events:
        if event.problem is not None:
            unreadable.append(event.position)
        record = jsonl_record(event) if format == "jsonl" else cloudevent_record(event, source)
        out.write(dumps(record) + b"\n")
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(event.position, last_position)
    return written


def undecrypted_warning(store: EventStore) -> str | None:
    """What an export of `store` must say when its events are encrypted and not decrypted (no
    key given, or one that does not decrypt them): each is written without its data and time,
    which no key reads again. None otherwise."""
    why = store.why_not_decrypted() if isinstance(store, LibraryStore) else None
    if why is None:
        return None
    return (f"the events are encrypted and {why}: each is written without its data and time "
            "({\"_stored_\": \"encrypted\"}). Give the application's key with --cipher-key KEY "
            "to export them whole.")


def export_to(location: str | Path, out: BinaryIO, scope: ExportScope = ExportScope(),
              format: Format = "jsonl", progress: Progress | None = None,
              unreadable: list[int] | None = None) -> int:
    """Write the scope's events of the store at `location` to an open binary stream (stdout,
    say); how many (those that could not be read added to `unreadable`: see write_events).
    The store is opened read-only without a system: events as stored."""
    with EventStore.open(location, read_only=True, verify=False) as store:
        if scope.query is not None and scope.query.stream_id is not None:
            store.stream_info(scope.query.stream_id)  # a clear error for a mistyped stream id
        return write_events(scoped_events(store, scope), out, format,
                            source=store_source(store.location),
                            last_position=store.last_position(), progress=progress,
                            unreadable=unreadable)


def export_file(location: str | Path, target: Path, scope: ExportScope = ExportScope(),
                format: Format = "jsonl", *, force: bool = False,
                progress: Progress | None = None, unreadable: list[int] | None = None) -> int:
    """Write the scope's events to the file `target`; how many (see export_to). An existing
    `target` is refused unless `force`; it is replaced only once the export is whole."""
    target = Path(target).expanduser()
    refuse_existing(target, force)
    refuse_store_files(location, target)
    temporary = target.with_name(f".{target.name}.exporting-{os.getpid()}")
    try:
        out = open(temporary, "xb")  # noqa: SIM115 - closed below
    except OSError as error:  # a folder that cannot be written (what is there is not ours)
        raise ExchangeError(f"Cannot write {target} (by way of {temporary.name}): "
                            f"{error.strerror}. Nothing was changed.") from None
    try:
        with out:
            count = export_to(location, out, scope, format, progress, unreadable)
        if not force and target.exists():
            refuse_existing(target, force)
        os.replace(temporary, target)
    except OSError as error:
        if error.errno not in NO_ROOM:
            raise
        raise ExchangeError(f"Cannot write {target}: {error.strerror} (a full disk or quota, "
                            "or a limit on a file's size). Nothing was written. Free some space "
                            f"in {target.parent}, or export to another disk.") from None
    finally:
        temporary.unlink(missing_ok=True)
    return count


NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""What writing a file fails with for want of room: a full disk or quota, a file too large."""


DERIVED_SUFFIXES = (".readmodels", ".fulltext")
"""The files made from a store beside it: its read models and its search index (named by
explorer.projections, a layer above this one)."""


def refuse_store_files(location: str | Path, target: Path) -> None:
    """ExchangeError for an export into the store being exported, or a file kept beside it
    (its SQLite side files, its read models, its search index, and theirs): with --force it
    would have replaced the store by its own export."""
    store = Path(location).expanduser()
    if is_server_url(str(location)) or not store.exists():
        return
    store, written = store.resolve(), target.resolve()
    beside = [store.with_name(store.name + kind + side) for kind in ("", *DERIVED_SUFFIXES)
              for side in ("", *SIDE_FILES)]
    if written.parent == store.parent and written.name.casefold() in {
            path.name.casefold() for path in beside} or written.exists() and any(
            path.exists() and os.path.samefile(written, path) for path in beside):
        # (by name whatever its case, and by file: a case-blind folder, a link)
        raise ExchangeError(f"{target} is the store being exported, or a file kept beside it; "
                            "nothing was changed. Export into a file of another name.")


def refuse_existing(target: Path, force: bool) -> None:
    """ExchangeError for an export over an existing file (unless `force`), or into a folder
    that is not there."""
    if target.is_dir():
        raise ExchangeError(f"{target} is a folder. Give the path of a file to export into.")
    if target.exists() and not force:
        raise ExchangeError(f"{target} exists already; it was not changed. Choose a new file, "
                              "or replace it with --force.")
    if os.path.lexists(target) and not stat.S_ISREG(os.lstat(target).st_mode):
        raise ExchangeError(f"{target} is not a plain file (a link, device or pipe); it was not "
                            "changed. Give the path of a new file to export into.")
    if not target.parent.is_dir():
        raise ExchangeError(f"Cannot export into {target}: the folder {target.parent} does "
                                "not exist.")
