"""Integrity check of a store: what `check STORE` reports.

First SQLite's own integrity check (a damaged file raises StoreDamagedError: nothing else can be
trusted). Then the schema (markers, store_meta, tables, indexes, the triggers that keep the log
immutable), positions without gaps, versions 1..n per stream, one type per stream, the stream
index agreeing with the events, timestamps never going back, snapshots within their streams,
every row's text readable (valid UTF-8: other readers stop at a row that is not) and decodable,
and the hash chain recomputed over every stored row: an event edited or inserted after it was
written breaks it there; one removed leaves a gap the chain goes through. A salvaged store's
origin, and the events its source's chain could not vouch for, are noted. It only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from explorer.common.formatting import count_of
from explorer.store import chain, schema
from explorer.store.damage import describe_damage
from explorer.store.errors import StoreDamagedError
from explorer.store.event_store import EventStore
from explorer.store.foreign.checking import check_library
from explorer.store.foreign.library_store import LibraryStore
from explorer.store.salvage_report import salvage_note
from explorer.store.schema import event_hashes, events, snapshots, streams
from explorer.store.statements import EVENT_COLUMNS

LISTED_PER_KIND = 20
PAGE_ROWS = 5000


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str
    message: str


@dataclass
class CheckReport:
    events: int = 0
    streams: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    omitted: int = 0
    _per_kind: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_problems(self) -> int:
        return len(self.problems) + self.omitted

    @property
    def verdict(self) -> str:
        """The last line of the report: "No problems found.", "1 problem found.", ..."""
        if self.ok:
            return "No problems found."
        return f"{count_of(self.total_problems, 'problem')} found."

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def add(self, kind: str, message: str) -> None:
        seen = self._per_kind.get(kind, 0)
        self._per_kind[kind] = seen + 1
        if seen < LISTED_PER_KIND:
            self.problems.append(Problem(kind, message))
        else:
            self.omitted += 1

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "streams": self.streams,
                "problem_count": self.total_problems,
                "problems": [{"kind": p.kind, "message": p.message} for p in self.problems],
                "notes": list(self.notes)}


def check_store(store: EventStore, progress: Callable[[int], None] | None = None) -> CheckReport:
    """Check everything listed in the module docstring; `progress(position)` while reading rows.

    Raises StoreDamagedError when SQLite itself finds the file damaged.
    """
    with store.read_snapshot():  # one view of the log, whatever is appended meanwhile
        return _check(store, progress)


def _check(store: EventStore, progress: Callable[[int], None] | None) -> CheckReport:
    damage = store.sqlite_problems()
    if damage:
        raise StoreDamagedError(store.location,
                                f"its integrity check says: {describe_damage(damage)}",
                                library=store.library)
    report = CheckReport()
    if isinstance(store, LibraryStore):  # another program's file: no chain, no schema of ours
        return check_library(store, report, progress)
    with store.tolerating_bad_text():
        linked = _check_schema(store, report)
        _check_positions(store, report)
        _check_streams(store, report)
        _check_snapshots(store, report)
        _check_rows(store, report, progress, linked)
    return report


def _check_schema(store: EventStore, report: CheckReport) -> bool:
    """The markers, store_meta, tables, indexes and triggers; whether the store keeps a chain."""
    found = store.schema_objects()
    if found.application_id != schema.APPLICATION_ID:
        report.add("schema", f"the file's application id is {found.application_id:#x}, not "
                             f"{schema.APPLICATION_ID:#x} (Event Explorer's)")
    version = found.user_version
    expected_meta = {"schema": schema.SCHEMA_NAME, "schema_version": str(version)}
    if version >= 2:
        expected_meta[schema.CHAIN_KEY] = schema.CHAIN_COMPLETE
    for key, value in expected_meta.items():
        if key not in found.meta:
            report.add("store meta", f"store_meta has no {key!r} entry (expected {value!r})")
        elif found.meta[key] != value:
            report.add("store meta", f"store_meta says {key} is {found.meta[key]!r}, but the "
                                     f"file's marker says {value!r}")
    if "created_at" not in found.meta:
        report.add("store meta", "store_meta has no 'created_at' entry")
    salvaged = salvage_note(found.meta)
    if salvaged is not None:
        report.note(salvaged[0].upper() + salvaged[1:])
    server_from = found.meta.get(chain.SERVER_LINKS_KEY)
    if server_from is not None and not (server_from.isdigit() and int(server_from) >= 1):
        report.add("store meta", f"store_meta's {chain.SERVER_LINKS_KEY} is {server_from!r}, "
                                 "not a position: the chain was checked in either form")
    linked = version >= 2
    tables = {name for kind, name in found.objects if kind == "table"}
    expected = [t for t in schema.metadata.sorted_tables
                if linked or t is not schema.event_hashes]
    for table in expected:
        if table.name not in tables:
            report.add("schema", f"the table {table.name} is missing")
            continue
        for index in table.indexes:
            columns = [c.name for c in index.columns]
            if ("index", index.name) not in found.objects:
                report.add("schema", f"the index {index.name} on {table.name}"
                                     f"({', '.join(columns)}) is missing")
            elif store.index_columns(str(index.name)) != columns:  # the schema names each
                report.add("schema", f"the index {index.name} no longer covers "
                                     f"{table.name}({', '.join(columns)})")
    if not linked:
        report.notes.append(
            "The store has no hash chain: it was written before Event Explorer kept one. It "
            "gets one the first time it is opened for writing.")
    triggers = store.schema_triggers()
    for name, sql in triggers.items():
        guarded = name.rsplit("_no_", 1)[0]
        if guarded == schema.event_hashes.name and not linked:
            continue
        kept = found.objects.get(("trigger", name))
        if kept is None:
            does = f"keeps {guarded} immutable" if "_no_" in name else "announces appends"
            report.add("schema", f"the trigger {name}, which {does}, is missing")
        elif _normalised(kept[1]) != _normalised(sql):
            report.add("schema", f"the trigger {name} was changed: {kept[1]}")
    for (kind, name), (on_table, found_sql) in found.objects.items():
        if kind == "trigger" and name not in triggers:
            report.add("schema", f"an unexpected trigger {name} on {on_table}: {found_sql}")
    return linked and schema.event_hashes.name in tables


def _normalised(sql: str | None) -> str:
    return " ".join((sql or "").split()).lower()


def _check_positions(store: EventStore, report: CheckReport) -> None:
    e = events.c
    count, first, last = store._execute(
        sa.select(sa.func.count(), sa.func.min(e.position), sa.func.max(e.position))).one()
    report.events = count
    if count and (first != 1 or last - first + 1 != count):
        if first != 1:
            report.add("gap", f"positions start at {first}, not 1")
        later = events.alias("later")
        following = sa.select(sa.literal(1)).where(later.c.position == e.position + 1).exists()
        gaps = store._execute(sa.select(e.position).where(e.position < last, ~following)
                             .order_by(e.position).limit(LISTED_PER_KIND)).scalars()
        for position in gaps:
            report.add("gap", f"no event at position {position + 1}")


def _check_streams(store: EventStore, report: CheckReport) -> None:
    e, s = events.c, streams.c
    per_stream = (sa.select(e.stream_id, sa.func.count().label("n"),
                            sa.func.min(e.version).label("low"),
                            sa.func.max(e.version).label("high"),
                            sa.func.max(e.position).label("last"),
                            sa.func.min(e.stream_type).label("type_a"),
                            sa.func.max(e.stream_type).label("type_b"))
                  .group_by(e.stream_id).subquery())
    query = (sa.select(per_stream, s.stream_type, s.version, s.last_position)
             .select_from(per_stream.outerjoin(streams, s.stream_id == per_stream.c.stream_id)))
    stream_count = 0
    for row in store._execute(query):
        stream_count += 1
        sid = row.stream_id
        if row.low != 1 or row.high != row.n:
            report.add("versions", f"stream {sid} has {row.n} events with versions "
                                   f"{row.low}..{row.high}, not 1..{row.n}")
        if row.type_a != row.type_b:
            report.add("stream type", f"stream {sid} mixes the types {row.type_a} and {row.type_b}")
        if row.stream_type is None:
            report.add("stream index", f"stream {sid} has events but is missing from the index")
        elif (row.stream_type, row.version, row.last_position) != (row.type_a, row.high, row.last):
            report.add("stream index",
                       f"stream {sid} is indexed as {row.stream_type} v{row.version} ending at "
                       f"position {row.last_position}, but its events say {row.type_a} "
                       f"v{row.high} ending at {row.last}")
    report.streams = stream_count
    orphans = store._execute(
        sa.select(s.stream_id).where(~sa.select(sa.literal(1)).where(
            e.stream_id == s.stream_id).exists()).limit(LISTED_PER_KIND)).scalars()
    for sid in orphans:
        report.add("stream index", f"stream {sid} is in the index but has no events")


def _check_snapshots(store: EventStore, report: CheckReport) -> None:
    sn, s = snapshots.c, streams.c
    query = (sa.select(sn.stream_id, sn.version, s.version)
             .select_from(snapshots.outerjoin(streams, s.stream_id == sn.stream_id))
             .where(sa.or_(s.version.is_(None), sn.version > s.version)))
    for stream_id, version, stream_version in store._execute(query):
        where = "a missing stream" if stream_version is None else f"version {stream_version}"
        report.add("snapshot", f"snapshot of {stream_id} at version {version} is beyond {where}")


TEXT_COLUMNS = tuple((index, column.name) for index, column in enumerate(EVENT_COLUMNS)
                     if isinstance(column.type, sa.String))
"""The stored row's text columns (EVENT_COLUMNS order), each of which must be valid UTF-8."""
CHAIN_ADVICE = (
    "A break in the hash chain means that an event was changed after it was written (edited in "
    "the file, or damaged): nothing can tell what it was. `salvage STORE NEW` copies the events "
    "as they are now into a new store, which records the positions where the chain did not hold.")
UNREADABLE_ADVICE = (
    "A row that cannot be read stops every other command at it (`events` ends before it; "
    "`export` and the window refuse the store). `salvage STORE NEW` copies every other event "
    "into a new store.")


def _unreadable_rows(rows: Sequence[Sequence[Any]]) -> Iterator[tuple[int, list[str]]]:
    """(position, columns) of each row, read with stand-ins for bytes that are not UTF-8,
    whose text holds such bytes (which no other reader can decode). One look at the whole page
    first: only text with a stand-in cannot be written as JSON."""
    try:
        orjson.dumps(rows)
        return
    except TypeError:
        pass
    for row in rows:
        bad = _bad_text(row)
        if bad:
            yield row[0], bad


def _bad_text(row: Sequence[Any]) -> list[str]:
    bad = []
    for index, name in TEXT_COLUMNS:
        value = row[index]
        if type(value) is str and not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                bad.append(name)
    return bad


def _check_rows(store: EventStore, report: CheckReport,
                progress: Callable[[int], None] | None, linked: bool) -> None:
    """Decode every row, check time order and recompute the hash chain, a page at a time."""
    previous_time = None
    unlinked: list[list[int]] = []  # ranges of positions without a link
    last = 0
    unbridged: set[int] = set()  # positions after a gap whose link before it cannot be read

    def pages() -> Iterator[Sequence[Sequence[Any]]]:
        nonlocal previous_time, last
        for page in (store.linked_pages(PAGE_ROWS) if linked else _unlinked_pages(store)):
            rows = [row[:-1] for row in page]
            unreadable = set()
            for position, bad in _unreadable_rows(rows):
                unreadable.add(position)
                columns = " and ".join(f"'{name}'" for name in bad)
                plural = "s" if len(bad) > 1 else ""
                report.add("unreadable", f"the row at position {position:,} cannot be read: "
                                         f"the text in its column{plural} {columns} is not "
                                         "valid UTF-8")
                report.note(UNREADABLE_ADVICE)
            for event in store.decode_rows(rows):
                if event.is_raw and event.position not in unreadable:
                    report.add("undecodable", f"position {event.position} ({event.event_type} "
                                              f"in {event.stream_id}): {event.problem}")
                if previous_time is not None and event.timestamp_us < previous_time:
                    report.add("time order", f"position {event.position} is timestamped before "
                                             "the event preceding it")
                previous_time = event.timestamp_us
                if progress is not None and event.position % 10_000 == 0:
                    progress(event.position)
            last = rows[-1][0]
            yield page

    def link_before(position: int) -> bytes | None:
        found = _stored_link(store, position - 1)
        if found is None:
            unbridged.add(position)
        return found

    for position, changed in chain.breaks(pages(), store.stored_chain_form(),
                                          link_before if linked else None):
        if not linked:
            continue
        if changed:
            if position in unbridged:
                report.add("hash chain", f"the hash chain breaks at position {position:,}, "
                                         f"after the gap at {_gap_before(store, position)}: "
                                         "the events removed there were part of it (whether "
                                         f"the event at {position:,} was changed too, it "
                                         "cannot tell)")
            else:
                report.add("hash chain", f"the hash chain breaks at position {position:,}: the "
                                         "event there (or the link of the one before it) is "
                                         "not as it was written")
            report.note(CHAIN_ADVICE)
        elif unlinked and unlinked[-1][1] == position - 1:
            unlinked[-1][1] = position
        else:
            unlinked.append([position, position])
    for first, end in unlinked:
        report.add("hash chain", f"positions {_span(first, end)} have no link in the hash chain "
                                 "(written by a program that does not keep it)")
    if linked:
        chained = store.chain_end()
        if chained > last:
            report.add("hash chain", f"the chain goes on to position {chained:,}, but the log "
                                     f"ends at {last:,}: the events after it were removed")
    if progress is not None:
        progress(report.events)


def _stored_link(store: EventStore, position: int) -> bytes | None:
    """The link stored for `position` (the chain's start for 0), or None where none is."""
    if position < 1:
        return chain.GENESIS
    h = event_hashes.c
    found = store._execute(sa.select(h.position, h.links).where(h.position <= position)
                           .order_by(h.position.desc()).limit(1)).first()
    if found is None:
        return None
    first, run = found[0], bytes(found[1])
    if chain.run_end(first, run) < position:
        return None
    offset = (position - first) * chain.DIGEST_SIZE
    return run[offset:offset + chain.DIGEST_SIZE]


def _gap_before(store: EventStore, position: int) -> str:
    """The positions missing just before `position`, as `_span` writes them."""
    e = events.c
    previous = store._execute(sa.select(sa.func.max(e.position))
                              .where(e.position < position)).scalar() or 0
    return _span(previous + 1, position - 1)


def _unlinked_pages(store: EventStore) -> Iterator[Sequence[Sequence[Any]]]:
    """Stored rows of a store without a chain, a page at a time, each with None for its link."""
    position = 0
    while rows := list(store._execute(sa.select(*EVENT_COLUMNS, sa.null()).where(
            events.c.position > position).order_by(events.c.position).limit(PAGE_ROWS))):
        yield rows
        position = rows[-1][0]


def _span(first: int, last: int) -> str:
    return f"{first:,}" if first == last else f"{first:,}-{last:,}"

