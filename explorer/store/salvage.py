"""Salvage: copy every event that can still be read from a damaged store into a new store.

A store file only, at both ends: a store on a PostgreSQL server is refused, saying why (the
server keeps its log whole) and what to do instead (`check`, `copy`).

The damaged file is only read, through a connection that writes nothing and leaves no file beside
it. Events are read in ranges of positions; a range SQLite cannot read is halved until the
positions that cannot be read are found, one by one. What was read is appended to the new store
in its order, positions numbered again without gaps (the lost ones are listed, by their old
positions). A stream that lost an event has its later versions numbered on, so that the new store
keeps the store's rules (versions 1..n); the report names those streams. Data is copied as stored,
even where it is no longer valid JSON (the new store shows such rows as raw events). Snapshots and
checkpoints are not copied: both are derived, and rebuilt from the events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.common.timestamps import iso, now_micros
from explorer.store import sqlite as sqlite_backend
from explorer.store.damage import describe_damage
from explorer.store.errors import NotAStoreError, StoreOpenError
from explorer.store.event_store import EventStore
from explorer.store.postgres_url import is_server_url, shown
from explorer.store.schema import events
from explorer.store.statements import EVENT_COLUMNS
from explorer.store.upcasting import EventRegistry

READ_RANGE = 5000
WRITE_BATCH = 5000
MAX_ROWS_PER_PAGE = 400
"""No SQLite page of events holds more rows than this: a bound on positions when the damaged
file cannot even say which is its last."""
_SELECT = (f"SELECT {', '.join(c.name for c in EVENT_COLUMNS)} FROM {events.name} "
           "WHERE position BETWEEN ? AND ? ORDER BY position")


@dataclass
class SalvageReport:
    """What a salvage saved and lost. `lost` holds ranges of the damaged store's positions."""

    source: str
    target: str
    saved: int = 0
    last_position: int = 0
    lost: list[list[int]] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)

    @property
    def lost_count(self) -> int:
        return sum(last - first + 1 for first, last in self.lost)

    def lose(self, position: int) -> None:
        if self.lost and self.lost[-1][1] == position - 1:
            self.lost[-1][1] = position
        else:
            self.lost.append([position, position])

    def lost_text(self, limit: int = 10) -> str:
        shown = [f"{a:,}" if a == b else f"{a:,}-{b:,}" for a, b in self.lost[:limit]]
        more = f" and {len(self.lost) - limit} more ranges" if len(self.lost) > limit else ""
        return ", ".join(shown) + more

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "saved": self.saved,
                "lost": self.lost_count, "lost_positions": [list(r) for r in self.lost],
                "last_position": self.last_position, "renumbered_streams": self.renumbered}


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
        report.last_position = _last_position(reader)
        made = not target.exists()
        with EventStore.open(target, registry=registry, create=True) as store:
            _copy(reader, store, report, progress)
            if report.saved:
                store.set_meta("salvaged_from", str(source.resolve()))
                store.set_meta("salvaged_at", iso(now_micros()))
                if report.lost:
                    store.set_meta("salvage_lost_positions", report.lost_text(limit=1000))
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


def _last_position(reader: sqlite3.Connection) -> int:
    """The damaged store's last position, as well as it can still be told."""
    for query in ("SELECT max(position) FROM events", "SELECT max(last_position) FROM streams"):
        try:
            found = reader.execute(query).fetchone()[0]
        except sqlite3.DatabaseError:
            continue
        if isinstance(found, int) and found > 0:
            return found
    try:
        pages: int = reader.execute("PRAGMA page_count").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0
    return pages * MAX_ROWS_PER_PAGE


def _copy(reader: sqlite3.Connection, store: EventStore, report: SalvageReport,
          progress: Callable[[int, int], None] | None) -> None:
    versions: dict[str, tuple[str, int]] = {}  # stream -> (type, last version written)
    event_ids: set[str] = set()
    renumbered: set[str] = set()
    batch: list[tuple[Any, ...]] = []
    position = 0
    last_time = 0
    expected = 1  # the next old position
    for old_position, row in _readable_rows(reader, report.last_position):
        for missing in range(expected, old_position):  # not there at all
            report.lose(missing)
        expected = old_position + 1
        if row is None or not _well_formed(row) or row[4] in event_ids:
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
    report.saved = position
    report.renumbered = sorted(renumbered)
    if progress is not None:
        progress(report.last_position, report.last_position)


def _readable_rows(reader: sqlite3.Connection,
                   last_position: int) -> Iterator[tuple[int, tuple[Any, ...] | None]]:
    """(position, row) for every row SQLite can still read, in position order, and (position,
    None) for each that it cannot: a range it cannot read is halved down to single positions."""
    ranges = [(start, min(start + READ_RANGE - 1, last_position))
              for start in range(1, last_position + 1, READ_RANGE)]
    ranges.reverse()
    while ranges:
        first, last = ranges.pop()
        try:
            rows = reader.execute(_SELECT, (first, last)).fetchall()
        except sqlite3.DatabaseError:
            if first == last:
                yield first, None
                continue
            middle = (first + last) // 2
            ranges.append((middle + 1, last))
            ranges.append((first, middle))
            continue
        for row in rows:
            yield row[0], row


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
