"""Versioned read-model tables: every row keeps each version with the positions it was valid for.

A row version is valid from the position of the event that wrote it (`valid_from`) until the
position of the event that replaced it (`valid_to`, NULL while current). The current view and the
view as of any past position are then both indexed queries:

    current:   valid_to IS NULL
    as of P:   valid_from <= P AND (valid_to IS NULL OR valid_to > P)

Writes are buffered per transaction: a key updated many times within one chunk of events writes
each version once, with its `valid_to` already known. A table with a search index (see
explorer.projections.search) has its changed rows indexed in the same transaction. Like the
event store's hot paths, the statements are SQLAlchemy Core compiled once and run on the DBAPI
connection.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from explorer.projections.search import SearchIndex
from explorer.store.compiled import CompiledStatement
from explorer.store.portable_sql import in_byte_order

_MISSING = object()
CACHE_KEYS = 50_000
EXACT_KEYS = 65_536
"""Keys a WrittenKeys holds exactly, before it turns into its filter."""
FILTER_BITS = 1 << 26
"""A WrittenKeys filter's bits (8 MB)."""


_STORABLE = frozenset({str, int, float, bool, bytes})
"""The kinds of value a read model's column holds."""


def versioned_table(name: str, metadata: sa.MetaData, keys: Sequence[sa.Column[Any]],
                    values: Sequence[sa.Column[Any]], *, wide: Sequence[str] = ()) -> sa.Table:
    """Declare a versioned table: key columns, value columns, and valid_from / valid_to. With
    `wide` value columns (a saga's step table as JSON), the others are also in an index of their
    own (see below)."""
    key_names = [c.name for c in keys]
    table = sa.Table(
        name, metadata, *keys, *values,
        sa.Column("valid_from", sa.Integer, nullable=False),
        sa.Column("valid_to", sa.Integer),
        sa.PrimaryKeyConstraint(*key_names, "valid_from", name=f"pk_{name}"),
        sqlite_with_rowid=False,
    )
    sa.Index(f"ix_{name}_current", *[table.c[k] for k in key_names],
             sqlite_where=table.c.valid_to.is_(None), postgresql_where=table.c.valid_to.is_(None))
    # Rows changed at or near a position; with valid_to, the versions begun in a range and
    # still valid at its end (or valid at its start and ended in it) are found from the index
    # alone, without reading each version (comparing two moments: explorer.projections.changes).
    sa.Index(f"ix_{name}_valid_from", table.c.valid_from, table.c.valid_to)
    if wide:
        # Every version without its wide columns, in primary-key order: find-when's one scan of
        # every version (explorer.projections.switches) reads this instead of the table (the
        # sagas': 131 of 302 MB), when its condition names none of them.
        sa.Index(f"ix_{name}_narrow", *[table.c[k] for k in key_names], table.c.valid_from,
                 table.c.valid_to, *[c for c in values if c.name not in wide])
    table.info["keys"] = tuple(key_names)
    table.info["values"] = tuple(c.name for c in values)
    table.info["wide"] = tuple(wide)
    return table


def current_rows(table: sa.Table) -> sa.Select[*tuple[Any, ...]]:
    """Rows as they are now."""
    return sa.select(*_visible(table)).where(table.c.valid_to.is_(None))


def rows_changed_first(table: sa.Table, position: int) -> sa.Select[*tuple[Any, ...]]:
    """Rows as of `position`, the most recently changed first (what time travel shows); rows
    changed by the same event in key order, so that pages of them (LIMIT, OFFSET) add up."""
    return rows_as_of(table, position).add_columns(table.c.valid_from, table.c.valid_to).order_by(
        table.c.valid_from.desc(), *key_order(table))


def key_order(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    """A table's key columns to order its rows by, texts by their bytes on every backend (as
    a store file orders them: a server would follow its database's collation)."""
    return [in_byte_order(table.c[name]) for name in table.info["keys"]]


def rows_as_of(table: sa.Table, position: int) -> sa.Select[*tuple[Any, ...]]:
    """Rows as they were just after the event at `position`."""
    return sa.select(*_visible(table)).where(
        table.c.valid_from <= position,
        sa.or_(table.c.valid_to.is_(None), table.c.valid_to > position))


def _visible(table: sa.Table) -> list[sa.Column[Any]]:
    return [table.c[name] for name in (*table.info["keys"], *table.info["values"])]

Key = tuple[Any, ...]
"""A row's key values, in the table's key-column order (or a stored version's values)."""


class WrittenKeys:
    """The keys a table may have a row under since it was emptied (a rebuild): a key it was
    never given has no row, and the database need not be asked (a rebuild's new keys, most of
    its puts for some tables, are then no look-up at all).

    Exact up to EXACT_KEYS keys; past them, a Bloom filter of FILTER_BITS (two bits a key), so
    that memory stays flat however many keys a rebuild writes: a set of the 5.3 million step
    commands of a saga over 10 million events would hold about a gigabyte. The filter says
    "never given" only of keys never given; of a few that were not, it says "maybe" (about 2% at
    5 million keys), and those are looked up in the database, which has the truth. A key
    discarded from the filter stays a "maybe" for the same reason. A new key costs about 1.5 us
    more there than in a set (hashing and two probes in Python): some 1% of a saga's rebuild."""

    __slots__ = ("_exact", "_bits", "_mask")

    def __init__(self) -> None:
        self._exact: set[Key] | None = set()
        self._bits = bytearray()
        self._mask = 0

    def add(self, key: Key) -> None:
        exact = self._exact
        if exact is None:  # (each probe: the bit at a slice of the key's hash)
            value, mask, bits = hash(key), self._mask, self._bits
            first, second = value & mask, value >> 32 & mask
            bits[first >> 3] |= 1 << (first & 7)
            bits[second >> 3] |= 1 << (second & 7)
            return
        exact.add(key)
        if len(exact) > EXACT_KEYS:
            if FILTER_BITS < 8 or FILTER_BITS & (FILTER_BITS - 1):
                raise ValueError("FILTER_BITS must be a power of two of at least 8")
            self._bits, self._mask = bytearray(FILTER_BITS >> 3), FILTER_BITS - 1
            self._exact = None
            for known in exact:
                self.add(known)

    def discard(self, key: Key) -> None:
        if self._exact is not None:
            self._exact.discard(key)

    def __contains__(self, key: Key) -> bool:
        exact = self._exact
        if exact is not None:
            return key in exact
        value, mask, bits = hash(key), self._mask, self._bits
        first, second = value & mask, value >> 32 & mask
        return (bits[first >> 3] & 1 << (first & 7) != 0
                and bits[second >> 3] & 1 << (second & 7) != 0)


class VersionedWriter:
    """Reads and writes one versioned table within a projection's transactions.

    `get` sees this transaction's own writes; `flush` writes them; `discard` forgets them (after
    a rollback). Current rows are cached across transactions (the projection is their only
    writer); after `start_empty` (a rebuild), keys never written are known to be missing without
    asking the database.
    """

    def __init__(self, table: sa.Table, db: sqlite3.Connection, dialect: sa.Dialect,
                 search: SearchIndex | None = None) -> None:
        self.table = table
        self.db = db
        self.search = search
        self.keys = table.info["keys"]
        self.values = table.info["values"]
        # A version is one flat tuple, the row to insert: its key and values in column order,
        # valid_from, valid_to. Of strings and numbers only, the garbage collector stops
        # tracking it at its first pass, so the thousands kept here never make its full passes
        # come sooner (each walks every object of the process: with a list holding a dict each
        # version, a sixth of a rebuild's time).
        # The cache is in the order keys were last written or read from the database (a put
        # moves its key to the end), and is trimmed to CACHE_KEYS, oldest first, once a flush
        # has written everything: so a version this transaction has yet to write is never
        # forgotten, and a put costs no bookkeeping of an LRU order.
        self._cache: dict[Key, Any] = {}  # key -> current version or _MISSING
        self._opened: dict[Key, Key] = {}  # key -> its new version still current, unwritten
        self._ended: list[Key] = []  # new versions already ended, unwritten
        self._closes: list[Key] = []  # (valid_to, *key, valid_from) of stored versions ended
        self._deleted: set[Key] = set()  # keys deleted since the last flush, not put since
        self._written: WrittenKeys | None = None  # keys that may have a row, when known
        names = self.values
        self._value_tuple: Any = (operator.itemgetter(*names) if len(names) > 1
                                  else lambda values: (values[names[0]],))
        self._first_value = len(self.keys)
        self._valid_from = operator.itemgetter(len(self.keys) + len(names))
        t = table
        p = sa.bindparam
        key_params = tuple(f"k_{k}" for k in self.keys)
        where_key = [t.c[k] == p(f"k_{k}") for k in self.keys]
        self._select = CompiledStatement(
            sa.select(*[t.c[c] for c in (*self.values, "valid_from")]).where(
                *where_key, t.c.valid_to.is_(None)), dialect, key_params)
        self._close = CompiledStatement(
            sa.update(t).where(*where_key, t.c.valid_from == p("k_from"))
            .values(valid_to=p("k_to")), dialect, ("k_to", *key_params, "k_from"))
        self._columns = (*self.keys, *self.values, "valid_from", "valid_to")
        self._insert = CompiledStatement(
            sa.insert(t).values(**{c: p(c) for c in self._columns}), dialect, self._columns)
        if not (self._close.direct and self._insert.direct):  # executemany passes tuples as is
            raise ValueError(f"unexpected parameter order in statements for {table.name}")

    def start_empty(self) -> None:
        """The table was just emptied: every key is missing until written."""
        self._cache.clear()
        self._written = WrittenKeys()

    def get(self, key: Key) -> dict[str, Any] | None:
        """The current values of the row with this key (a dict to change), or None."""
        version = self._cache.get(key)
        if version is None:
            version = self._stored(key)
            self._cache[key] = version
        if version is _MISSING:
            return None
        # zip stops at valid_from; given strict=, zip takes its slow path (+200 ns a row read)
        return dict(zip(self.values, version[self._first_value:]))  # noqa: B905 - as said

    def _stored(self, key: Key) -> Any:
        """The current version of a key not in the cache, or _MISSING (not cached)."""
        if self._written is not None and key not in self._written:
            return _MISSING
        found = self.db.execute(self._select.sql, self._select.args(*key)).fetchone()
        return _MISSING if found is None else (*key, *found, None)

    def put(self, key: Key, values: dict[str, Any], position: int) -> None:
        """Make `values` (every value column's) the row's values from `position` on."""
        # One event's hot path (a rebuild puts once an event): the current version is taken
        # out of the cache and the new one put at its end (the most recently written) in
        # one step each, and the current one ended here rather than in a call.
        version = (*key, *self._value_tuple(values), position, None)  # (first: it may raise)
        cache = self._cache
        current: Any = cache.pop(key, None)
        if current is None:
            current = self._stored(key)
        if current is _MISSING:
            if self._written is not None:
                self._written.add(key)
        else:
            unwritten = self._opened.get(key) is current
            if not unwritten:  # stored: ended by an update
                self._closes.append((position, *key, current[-2]))
            elif current[-2] != position:  # written by this transaction, by an earlier event
                self._ended.append((*current[:-1], position))
            # else written by this same event: replaced before it was ever valid
        self._opened[key] = version
        cache[key] = version
        if self._deleted:
            self._deleted.discard(key)

    def delete(self, key: Key, position: int) -> None:
        """The row no longer exists from `position` on."""
        self._end_current(key, position)
        self._opened.pop(key, None)
        cache = self._cache
        del cache[key]
        cache[key] = _MISSING
        self._deleted.add(key)
        if self._written is not None:
            self._written.discard(key)

    def _end_current(self, key: Key, position: int) -> None:
        """End the key's current version at `position` (and cache the key, if it was not)."""
        version: Any = self._cache.get(key)
        if version is None:
            version = self._cache[key] = self._stored(key)
        if version is _MISSING:
            return
        valid_from = version[-2]
        unwritten = self._opened.get(key) is version
        if not unwritten:  # stored: ended by a deletion
            self._closes.append((position, *key, valid_from))
        elif valid_from != position:  # written by this transaction, by an earlier event
            self._ended.append((*version[:-1], position))

    def flush(self) -> int:
        """Write this transaction's versions; the number of rows written."""
        if self._closes:
            self.db.executemany(self._close.sql, self._closes)
        rows = self._ended
        rows.extend(self._opened.values())
        if rows:
            rows.sort(key=self._valid_from)  # in position order, as the indexes grow
            self.db.executemany(self._insert.sql, rows)
        written = len(self._closes) + len(rows)
        if self.search is not None and (self._opened or self._deleted) and self.search.exists():
            names = (*self.keys, *self.values)  # the search index reads columns by name
            changed: dict[Key, dict[str, Any] | None] = dict.fromkeys(self._deleted)
            changed.update((key, dict(zip(names, version, strict=False)))
                           for key, version in self._opened.items())
            self.search.apply(changed)
        self._forget_written()
        cache = self._cache
        if len(cache) > CACHE_KEYS:
            for key in list(itertools.islice(cache, len(cache) - CACHE_KEYS)):
                del cache[key]
        return written

    def unstorable(self) -> tuple[int, str, Any] | None:
        """Of the versions not yet written, the earliest holding a value no column can hold:
        its position (valid_from), column and value (asked after a flush failed)."""
        names = (*self.keys, *self.values)
        found = None
        for version in (*self._ended, *self._opened.values()):
            for column, value in zip(names, version, strict=False):
                if not (value is None or type(value) in _STORABLE) or (
                        type(value) is int and not -2**63 <= value < 2**63):
                    if found is None or version[-2] < found[0]:
                        found = (version[-2], column, value)
                    break
        return found

    def _forget_written(self) -> None:
        self._closes = []
        self._ended = []
        self._opened = {}
        self._deleted = set()

    def discard(self) -> None:
        """Forget unwritten versions and the cache (the transaction was rolled back)."""
        self._forget_written()
        self._cache.clear()
        self._written = None
