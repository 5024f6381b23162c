"""Salvage: copy every event that can still be read from a damaged store into a new store.

A store file only, at both ends: a store on a PostgreSQL server is refused, saying why (the
server keeps its log whole) and what to do instead (`check`, `copy`).

The damaged file is only read, through a connection that writes nothing and leaves no file beside
it. Events are read in ranges of positions; a range SQLite cannot read is halved until the
positions that cannot be read are found, one by one. The lost positions end where the log, the
stream index or the hash chain says the log did; where none of them can say, the report says
after which position nothing more could be read, not how many were lost. What was read is
appended to the new store in its order, positions numbered again without gaps (the lost ones are
listed, by their old positions). A stream that lost an event has its later versions numbered on,
so that the new store keeps the store's rules (versions 1..n); the report names those streams.
Event ids are kept. Each row read is checked against the damaged store's hash chain: where the
chain does not hold, the event is copied as it is now and named, in the report and in the new
store's store_meta (salvage_report.py), so that `check` on the new store says so. Data is copied
as stored, even where it is no longer valid JSON (the new store shows such rows as raw events).
Snapshots and checkpoints are not copied: both are derived, and rebuilt from the events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from explorer.common.timestamps import iso, now_micros
from explorer.store import chain
from explorer.store import sqlite as sqlite_backend
from explorer.store.damage import describe_damage
from explorer.store.errors import DiskFullError, NotAStoreError, StoreOpenError
from explorer.store.event_store import EventStore, remove_store_file
from explorer.store.postgres_url import is_server_url, shown
from explorer.store.salvage_report import AT_KEY, SOURCE_KEY, SalvageReport, add_position
from explorer.store.schema import event_hashes, events, store_meta
from explorer.store.statements import EVENT_COLUMNS
from explorer.store.upcasting import EventRegistry

READ_RANGE = 5000
WRITE_BATCH = 5000
MAX_ROWS_PER_PAGE = 400
UNREAD_RUN = 2 * MAX_ROWS_PER_PAGE
"""Positions in a row that cannot be read after which, the log's end unknown, salvage looks ahead
before going on (more than a page of rows: a whole damaged page is passed)."""
"""No SQLite page of events holds more rows than this: a bound on positions when the damaged
file cannot even say which is its last."""
_SELECT = (f"SELECT {', '.join(c.name for c in EVENT_COLUMNS)} FROM {events.name} "
           "WHERE position BETWEEN ? AND ? ORDER BY position")


def salvage_store(source: str | Path, target: str | Path, *,
                  registry: EventRegistry | None = None,  # for the new store's reads
                  progress: Callable[[int, int], None] | None = None) -> SalvageReport:
    """Copy what can be read of the store at `source` into a new store at `target`."""
    _refuse_servers(source, target)
    source, target = Path(source).expanduser(), Path(target).expanduser()
    if not source.exists():  # (a folder, a device or a pipe: inspect says which)
        raise StoreOpenError(f"No file at {source} to salvage. Check the path.")
    if target.exists() and target.stat().st_size:
        raise StoreOpenError(f"{target} exists already; salvage into a new file, so that "
                             "nothing is overwritten.")
    if target.resolve() == source.resolve():
        raise StoreOpenError("Salvage into a new file, not the damaged one itself.")
    try:
        sqlite_backend.inspect(source)
    except NotAStoreError as refusal:
        if not refusal.damaged:
            raise
    reader = sqlite_backend.untouched_connection(source)
    report = SalvageReport(str(source), str(target))
    try:
        try:
            reader.execute("PRAGMA cell_size_check = ON")
            reader.execute("SELECT position FROM events LIMIT 1").fetchall()
        except sqlite3.DatabaseError as error:
            raise StoreOpenError(
                f"Nothing can be read from {source}: SQLite cannot read its events at all "
                f"({describe_damage(error)}). No new store was made.") from None
        report.last_position, report.end_known = _last_position(reader)
        made = not target.exists()
        try:
            with EventStore.open(target, registry=registry, create=True) as store:
                _copy(reader, store, report, _ChainCheck.of(reader, report.last_position,
                                                                report.end_known), progress)
                if report.saved:
                    store.set_meta(SOURCE_KEY, str(source.resolve()))
                    store.set_meta(AT_KEY, iso(now_micros()))
                    for key, value in report.meta().items():
                        store.set_meta(key, value)
        except DiskFullError as error:  # (it said the new store kept what it held: a part, unsaid)
            if not made:
                raise
            remove_store_file(target)
            raise DiskFullError.of_new_file(target, error.detail) from None
    finally:
        reader.close()
    if not report.saved:
        if made:  # the empty store this call made, and nothing else
            target.unlink(missing_ok=True)
        raise StoreOpenError(f"Nothing could be read from {source}: not one event of its "
                             f"{report.last_position:,} positions. No new store was made.")
    return report


def _refuse_servers(source: str | Path, target: str | Path) -> None:
    """Salvage reads a damaged store file's pages past what SQLite refuses; a server keeps its
    log whole (it refuses changes to it, and stores no file to damage), so there is nothing to
    salvage from one; and the new store is a file (`copy` takes it to a server after)."""
    if is_server_url(source):
        raise StoreOpenError(
            f"Nothing to salvage from {shown(str(source))}: salvage reads what is left of a "
            "damaged store file, and a store on a PostgreSQL server is no file (the server "
            "keeps its log whole and refuses changes to it). `check` checks it, and `copy` "
            "copies it into a new store.")
    if is_server_url(target):
        raise StoreOpenError(
            f"Salvage into a new store file, not {shown(str(target))}: then `copy NEW_FILE "
            "URL` puts what was saved on the server.")


def _last_position(reader: sqlite3.Connection) -> tuple[int, bool]:
    """The damaged store's last position as well as it can still be told, and whether it is
    known: the largest of what the log, the stream index and the hash chain still say (each
    within what the file can hold). When none can say, the most positions the file's pages can
    hold, and False: then how many events there were is not known."""
    try:
        pages: int = reader.execute("PRAGMA page_count").fetchone()[0]
    except sqlite3.DatabaseError:
        pages = 0
    most = pages * MAX_ROWS_PER_PAGE
    found = []
    for query in (f"SELECT max(position) FROM {events.name}",
                  "SELECT max(last_position) FROM streams",
                  f"SELECT max(position + length(links) / {chain.DIGEST_SIZE} - 1) "
                  f"FROM {event_hashes.name}"):
        try:
            value = reader.execute(query).fetchone()[0]
        except sqlite3.DatabaseError:
            continue
        if isinstance(value, int) and 0 < value <= most:
            found.append(value)
    return (max(found), True) if found else (most, False)


class _ChainCheck:
    """Whether each row read still holds in the damaged store's hash chain: its stored link is
    its link after the stored link of the position before (or after the one recomputed from the
    row before, which a damaged link of that row's does not break). The links are read as the
    rows are, past what SQLite cannot read."""

    def __init__(self, runs: list[tuple[int, bytes]], form: chain.ChainForm) -> None:
        self._runs = chain.LinkRuns(iter(runs))
        self._form = form
        self._recomputed: tuple[int, bytes] | None = None

    @classmethod
    def of(cls, reader: sqlite3.Connection, last_position: int, end_known: bool) -> _ChainCheck:
        meta: dict[str, str] = {}
        with suppress(sqlite3.DatabaseError):
            meta = dict(reader.execute(f"SELECT key, value FROM {store_meta.name}").fetchall())
        runs = [(row[0], bytes(row[1])) for _, row in _readable(
            reader, f"SELECT position, links FROM {event_hashes.name} "
                    "WHERE position BETWEEN ? AND ? ORDER BY position", last_position, end_known)
                if row is not None and isinstance(row[0], int) and isinstance(row[1], bytes)]
        return cls(runs, chain.ChainForm.of_meta(meta))

    def holds(self, row: tuple[Any, ...]) -> bool | None:
        """True where the row is as it was linked, False where the chain does not hold at it,
        None where no link can tell (none of its own, or none before it)."""
        position = row[0]
        before = [chain.GENESIS if position == 1 else self._runs.link_at(position - 1)]
        if self._recomputed is not None and self._recomputed[0] == position - 1:
            before.append(self._recomputed[1])
        candidates = [link for link in before if link is not None]
        stored = self._runs.link_at(position)
        self._recomputed = None
        try:
            if stored is not None and any(self._form.holds(link, row, stored)
                                          for link in candidates):
                self._recomputed = (position, stored)
                return True
            if candidates:  # its link had it not changed (whether or not its own is readable)
                self._recomputed = (position, self._form.link(candidates[0], row))
        except (TypeError, ValueError):  # a value no append could have stored
            return False if stored is not None and candidates else None
        return False if stored is not None and candidates else None


def _copy(reader: sqlite3.Connection, store: EventStore, report: SalvageReport,
          links: _ChainCheck, progress: Callable[[int, int], None] | None) -> None:
    versions: dict[str, tuple[str, int]] = {}  # stream -> (type, last version written)
    event_ids: set[str] = set()
    renumbered: set[str] = set()
    batch: list[tuple[Any, ...]] = []
    position = 0
    last_time = 0
    expected = 1  # the next old position
    unread: list[int] = []  # positions that could not be read since the last one that was
    for old_position, row in _readable(reader, _SELECT, report.last_position, report.end_known):
        if row is None:
            unread.append(old_position)
            continue
        for missing in unread:
            report.lose(missing)
            expected = missing + 1
        unread = []
        for missing in range(expected, old_position):  # not there at all
            report.lose(missing)
        expected = old_position + 1
        if not _well_formed(row) or row[4] in event_ids:
            report.lose(old_position)
            continue
        stream_id, stream_type, version = row[1], row[2], row[3]
        known_type, last_version = versions.get(stream_id, (stream_type, 0))
        if known_type != stream_type:
            report.lose(old_position)
            continue
        if version != last_version + 1:
            renumbered.add(stream_id)
        position += 1
        holds = links.holds(row)
        if holds is False:
            add_position(report.not_as_written, old_position)
            add_position(report.not_as_written_here, position)
        elif holds is None:
            add_position(report.unchecked, old_position)
            add_position(report.unchecked_here, position)
        report.last_saved_at = old_position
        last_time = max(last_time, row[7])
        versions[stream_id] = (stream_type, last_version + 1)
        event_ids.add(row[4])
        batch.append((position, stream_id, stream_type, last_version + 1, row[4], row[5],
                      row[6], last_time, row[8], row[9] if row[9] is not None else "null",
                      row[10] if row[10] is not None else "{}"))
        if len(batch) >= WRITE_BATCH:
            store.import_rows(batch)
            batch = []
            if progress is not None:
                progress(old_position, report.last_position)
    store.import_rows(batch)
    if report.end_known:  # what the store says it held, to its last position, and is not here
        for missing in unread:
            report.lose(missing)
        for missing in range(max([expected, *(p + 1 for p in unread[-1:])]),
                             report.last_position + 1):
            report.lose(missing)
    elif unread:  # the end of the log is not known: how many could not be read is not either
        report.unread_after = expected - 1
    report.saved = position
    report.renumbered = sorted(renumbered)
    if progress is not None:
        progress(report.last_position, report.last_position)


def _readable(reader: sqlite3.Connection, select: str, last_position: int,
              end_known: bool = True) -> Iterator[tuple[int, tuple[Any, ...] | None]]:
    """(position, row) for every row of `select` (its first column the position, BETWEEN ? AND
    ? its range) SQLite can still read, in position order, and (position, None) for each that it
    cannot: a range it cannot read is halved down to single positions.

    Where the end is not known (`last_position` only what the file's pages could hold), a run of
    UNREAD_RUN positions that cannot be read is followed by probes ever farther ahead; when none
    of them can be read either, the rest is taken to be the unreadable end of the log, rather
    than halving it down to every position the file could hold."""
    ranges = [(start, min(start + READ_RANGE - 1, last_position))
              for start in range(1, last_position + 1, READ_RANGE)]
    ranges.reverse()
    failed = 0  # positions that could not be read, one after another
    while ranges:
        first, last = ranges.pop()
        try:
            rows = reader.execute(select, (first, last)).fetchall()
        except sqlite3.DatabaseError:
            if first == last:
                yield first, None
                failed += 1
                if not end_known and failed >= UNREAD_RUN:
                    if not _readable_ahead(reader, select, first, last_position):
                        return
                    failed = 0
                continue
            middle = (first + last) // 2
            ranges.append((middle + 1, last))
            ranges.append((first, middle))
            continue
        failed = 0
        for row in rows:
            yield row[0], row


def _readable_ahead(reader: sqlite3.Connection, select: str, position: int,
                    last_position: int) -> bool:
    """Whether SQLite can read anywhere after `position`: probed 1, 2, 4, ... positions on."""
    step = 1
    while position + step <= last_position:
        try:
            reader.execute(select, (position + step, position + step)).fetchall()
            return True
        except sqlite3.DatabaseError:
            step *= 2
    return False


def _well_formed(row: tuple[Any, ...]) -> bool:
    """Whether a row read from a damaged file can be placed in a store at all (its data need
    not be valid JSON: that is shown as a raw event)."""
    position, stream_id, stream_type, version, event_id, event_type, schema_version, \
        timestamp, correlation_id, data, metadata = row
    texts = (stream_id, stream_type, event_id, event_type)
    return (all(isinstance(t, str) and t for t in texts)
            and all(isinstance(n, int) and not isinstance(n, bool)
                    for n in (position, version, schema_version, timestamp))
            and version >= 1 and position >= 1
            and (correlation_id is None or isinstance(correlation_id, str))
            and (data is None or isinstance(data, str))
            and (metadata is None or isinstance(metadata, str)))
