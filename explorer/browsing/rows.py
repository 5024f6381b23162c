"""Browsing events at any scale: which position each row of a list shows, and pages of rows.

A list of events (all of them, one stream's, or a filter's) is a `RowMap` from row numbers to
global positions. All events of a store without gaps need no storage at all (row i is position
first + i); a filter by event type, whose matches may be millions, is counted from totals kept
beside the store when the caller has them (`KeptCount`), else by its index, and read a page at a
time by position (KeysetRows: only the pages shown); any other list keeps its
positions in a compact array, 8 bytes an event, built by one indexed query or, for content
filters, by scanning the log in chunks that report progress. Pages of events for visible rows are
then read by position range. Nothing here imports Qt.
"""

from __future__ import annotations

import abc
import bisect
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from explorer.store.errors import StoreError
from explorer.store.event_store import EventStore
from explorer.store.query import EventQuery
from explorer.store.records import RecordedEvent

SCAN_CHUNK = 100_000
"""Positions scanned per step when a filter cannot use an index (content filters)."""
KEYSET_PAGE = 100
"""Rows a KeysetRows reads at a time (the event list's page)."""

KeptCount = Callable[[EventStore, EventQuery], int | None]
"""How many events a filter by type matches up to its `to_position`, from counts kept beside
the store (the timeline's, explorer.projections.timeline_counts.kept_match_count), or None when
they cannot say: a layer above hands it in."""


class RowMap(abc.ABC):
    """Maps row numbers of an event list to global positions, and back."""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def position(self, row: int) -> int: ...

    @abc.abstractmethod
    def row_of(self, position: int) -> int | None:
        """The row showing `position`, or None if the list does not include it."""

    @abc.abstractmethod
    def extend(self, positions: array[int]) -> None:
        """Add positions after the current last one (new events, or a scan's next chunk)."""

    @abc.abstractmethod
    def row_at_or_before(self, position: int) -> int | None:
        """The last row showing `position` or an earlier one (None if all are later)."""

    @property
    def last_position(self) -> int:
        return self.position(len(self) - 1) if len(self) else 0


class ContiguousRows(RowMap):
    """Every position from `first` on: row i shows position first + i."""

    def __init__(self, first: int, count: int) -> None:
        self.first = first
        self.count = count

    def __len__(self) -> int:
        return self.count

    def position(self, row: int) -> int:
        return self.first + row

    def row_of(self, position: int) -> int | None:
        row = position - self.first
        return row if 0 <= row < self.count else None

    def row_at_or_before(self, position: int) -> int | None:
        row = min(position - self.first, self.count - 1)
        return row if row >= 0 else None

    def extend(self, positions: array[int]) -> None:
        if len(positions) and positions[0] != self.first + self.count:
            raise ValueError("positions must continue the contiguous range")
        self.count += len(positions)


class PositionRows(RowMap):
    """An explicit, increasing list of positions."""

    def __init__(self, positions: array[int] | None = None) -> None:
        self.positions = positions if positions is not None else array("q")

    def __len__(self) -> int:
        return len(self.positions)

    def position(self, row: int) -> int:
        return self.positions[row]

    def row_of(self, position: int) -> int | None:
        row = bisect.bisect_left(self.positions, position)
        return row if row < len(self.positions) and self.positions[row] == position else None

    def row_at_or_before(self, position: int) -> int | None:
        row = bisect.bisect_right(self.positions, position) - 1
        return row if row >= 0 else None

    def extend(self, positions: array[int]) -> None:
        self.positions.extend(positions)


class KeysetRows(RowMap):
    """The rows of a filter an index answers (event types), read a page at a time: its length
    counted by the index (no position kept for it), a page's positions read after the last
    position of the page before it, or before the first of the page after it (keyset), else by
    skipping from the nearer end of the list. Only the pages read are kept (8 bytes a row).

    `position(row)` of a row whose page is not read yet is 0, and `row_of` (`row_at_or_before`)
    of a position among them None: `load` reads pages (on the worker; read_rows does). The list
    is bounded at `upto`, the log's end when it was counted, moved on by `extend` (live
    events), so that events appended meanwhile do not shift the pages counted from its end.

    The rows up to a position are counted by `kept_count` when it can say (counts kept beside
    the store: the cost of the events since they were made, not of every match), else by the
    type's index.
    """

    def __init__(self, query: EventQuery, count: int, upto: int,
                 page_size: int = KEYSET_PAGE, kept_count: KeptCount | None = None) -> None:
        self.query = query
        self.count = count
        self.upto = upto
        self.page_size = page_size
        self.kept_count = kept_count
        self.pages: dict[int, array[int]] = {}

    @classmethod
    def build(cls, store: EventStore, query: EventQuery, *, around: int | None = None,
              page_size: int = KEYSET_PAGE, kept_count: KeptCount | None = None) -> KeysetRows:
        """The list as of now, its first and last pages read (and the page of the matching
        position `around`, if given, for a list opened at a chosen event)."""
        last = store.last_position()
        rows = cls(query, 0, last, page_size, kept_count)
        rows.count = rows._counted(store, rows._bounded())
        if rows.count:
            rows.load(store, 0, 0)
            rows.load(store, rows.count - 1, rows.count - 1)
        if around is not None and rows.count:
            before = rows._counted(store, replace(rows._bounded(),
                                                  to_position=min(around - 1, last)))
            rows.load(store, min(before, rows.count - 1), min(before, rows.count - 1))
        return rows

    def _counted(self, store: EventStore, query: EventQuery) -> int:
        """The events `query` (bounded by position) matches: kept_count's, else the index's."""
        kept = self.kept_count(store, query) if self.kept_count is not None else None
        return store.count(query) if kept is None else kept

    def _bounded(self) -> EventQuery:
        to = self.upto if self.query.to_position is None else min(self.upto,
                                                                 self.query.to_position)
        return replace(self.query, to_position=to)

    def __len__(self) -> int:
        return self.count

    def position(self, row: int) -> int:
        page = self.pages.get(row // self.page_size)
        offset = row % self.page_size
        return page[offset] if page is not None and offset < len(page) else 0

    def load(self, store: EventStore, first_row: int, last_row: int) -> None:
        """Read the pages of rows first_row .. last_row that are not read yet."""
        for page in range(first_row // self.page_size, last_row // self.page_size + 1):
            if page not in self.pages and page * self.page_size < self.count:
                self.pages[page] = self._read_page(store, page)

    def _read_page(self, store: EventStore, page: int) -> array[int]:
        start = page * self.page_size
        size = min(self.page_size, self.count - start)
        query, before, after = self._bounded(), self.pages.get(page - 1), self.pages.get(page + 1)
        if before is not None and len(before) == self.page_size:
            found = store.positions_page(query, size, after_position=before[-1])
        elif after is not None and len(after):
            found = _reversed(store.positions_page(query, size, after_position=after[0],
                                                   descending=True))
        elif start <= self.count - start - size:
            found = store.positions_page(query, size, offset=start)
        else:
            found = _reversed(store.positions_page(query, size, descending=True,
                                                   offset=self.count - start - size))
        if len(found) != size:
            raise StoreError(f"The list of {self.count:,} events changed while it was read "
                             f"(rows {start:,} on: {len(found)} of {size} found); read it "
                             "again (F5).")
        return found

    def find(self, store: EventStore, position: int) -> int | None:
        """The row showing `position`, its page read first (the rows before it counted by the
        index); None if the list does not include it."""
        if position > self.upto or self.row_of(position) is not None:
            return self.row_of(position)
        row = self._counted(store, replace(self._bounded(), to_position=position - 1))
        if row < self.count:
            self.load(store, row, row)
        return self.row_of(position)

    def locate(self, store: EventStore, position: int) -> int | None:
        """The last row showing `position` or an earlier one, its page read first (the rows
        up to it counted by the index); None if every row is later."""
        found = self.row_at_or_before(position)
        if found is not None:
            return found
        row = self._counted(store, replace(self._bounded(),
                                           to_position=min(position, self.upto))) - 1
        if row < 0:
            return None
        self.load(store, row, row)
        return row

    def row_of(self, position: int) -> int | None:
        for page, positions in self.pages.items():
            if len(positions) and positions[0] <= position <= positions[-1]:
                offset = bisect.bisect_left(positions, position)
                if positions[offset] == position:
                    return page * self.page_size + offset
                return None
        return None

    def row_at_or_before(self, position: int) -> int | None:
        for page, positions in self.pages.items():
            if not len(positions) or position < positions[0]:
                continue
            following = self.pages.get(page + 1)
            row = page * self.page_size
            if position <= positions[-1]:
                return row + bisect.bisect_right(positions, position) - 1
            if row + len(positions) == self.count or (
                    following is not None and len(following) and position < following[0]):
                return row + len(positions) - 1
        return None  # before the first row, or among rows not read yet

    def extend(self, positions: array[int]) -> None:
        for position in positions:
            self.pages.setdefault(self.count // self.page_size, array("q")).append(position)
            self.count += 1
            self.upto = max(self.upto, position)


def _reversed(positions: array[int]) -> array[int]:
    return array("q", reversed(positions))


@dataclass(frozen=True, slots=True)
class ListView:
    """What an event list shows: a query, and whether it is scanned in chunks (slow filters)."""

    query: EventQuery

    @property
    def pages_by_position(self) -> bool:
        """A filter by event type (the type's index answers it): counted, and read a page at a
        time (KeysetRows), instead of every matching position listed."""
        query = self.query
        return bool(query.event_types) and query.content is None and query.stream_id is None \
            and query.at_positions is None

    @property
    def needs_scan(self) -> bool:
        """Content filters evaluate JSON row by row; everything else has an index."""
        return self.query.content is not None and self.query.stream_id is None


def build_row_map(store: EventStore, query: EventQuery,
                  progress: Callable[[PositionRows, int, int], None] | None = None, *,
                  event_count: Callable[[EventStore], int] | None = None,
                  around: int | None = None, kept_count: KeptCount | None = None) -> RowMap:
    """The row map of `query`'s events as of now.

    For a content filter the log is scanned in chunks of positions; after each chunk
    `progress(partial_map, scanned_up_to, last_position)` is called (and may raise Cancelled),
    so a window can show the first matches while the rest are found. `event_count(store)`
    says how many events the store holds (a log without gaps is listed without mapping each
    position); by default the store counts them (0.8-8 s at 10M events). A filter by event
    type is a KeysetRows, its pages about `around` (a position to select) read too, counted by
    `kept_count` where it can say.
    """
    last = store.last_position()
    if query.is_everything:
        first = store.first_position() or 1
        count = event_count(store) if event_count is not None else store.event_count()
        if count == last - first + 1 or count == 0:
            return ContiguousRows(first if count else 1, count)
    if ListView(query).pages_by_position:
        return KeysetRows.build(store, query, around=around, kept_count=kept_count)
    if not ListView(query).needs_scan:
        return PositionRows(store.positions(query))
    rows = PositionRows()
    start = 0
    while start < last:
        end = min(start + SCAN_CHUNK, last)
        chunk = EventQuery(**{**_fields(query),
                              "from_position": max(query.from_position, start + 1),
                              "to_position": end if query.to_position is None
                              else min(end, query.to_position)})
        rows.extend(store.positions(chunk))
        start = end
        if progress is not None:
            progress(rows, end, last)
    return rows


def new_positions(store: EventStore, query: EventQuery, after_position: int) -> array[int]:
    """Positions of matching events appended after `after_position` (for live updates)."""
    return store.positions(query, after_position=after_position)


def read_rows(store: EventStore, rows: RowMap, first_row: int, count: int,
              query: EventQuery) -> list[RecordedEvent]:
    """The events shown by rows first_row .. first_row + count - 1."""
    last_row = min(first_row + count, len(rows)) - 1
    if last_row < first_row:
        return []
    if isinstance(rows, KeysetRows):
        rows.load(store, first_row, last_row)
    low, high = rows.position(first_row), rows.position(last_row)
    if isinstance(rows, ContiguousRows):
        return list(store.read_all(low, high, page_size=count))
    wanted = EventQuery(**{**_fields(query), "from_position": low, "to_position": high})
    if isinstance(rows, PositionRows):  # exactly the rows' events (a search lists some of them)
        wanted = replace(wanted, at_positions=tuple(rows.positions[first_row:last_row + 1]))
    elif isinstance(rows, KeysetRows):
        wanted = replace(wanted, at_positions=tuple(
            rows.position(row) for row in range(first_row, last_row + 1)))
    found = store.query(wanted, limit=last_row - first_row + 1)
    # A page normally matches exactly; if the store changed underneath, keep only mapped rows.
    if len(found) != last_row - first_row + 1:
        keep = {rows.position(r) for r in range(first_row, last_row + 1)}
        found = [e for e in found if e.position in keep]
    return found


def iter_rows(store: EventStore, rows: RowMap, query: EventQuery,
              page: int = 500) -> Iterator[RecordedEvent]:
    for first in range(0, len(rows), page):
        yield from read_rows(store, rows, first, page, query)


def _fields(query: EventQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in EventQuery.__dataclass_fields__}
