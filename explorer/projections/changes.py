"""Rows of a read model that differ between two positions: added, changed and removed.

A row's version valid at A and its version valid at B (see explorer.projections.versioned)
decide: a row valid at B alone was added, at A alone removed, at both with other values changed.
Only rows written between the two positions can differ, so they are found from the versions
written there, not by reading every row at both:

    added or changed   the versions valid at B that began after A (from the position index,
                       which holds valid_to too), each with the version of its key valid at A
                       (one seek on the primary key), kept where there was none or its values
                       differ
    removed            the versions valid at A that ended by B, whose key has no version valid
                       at B

Counted in SQL; listed a page at a time in key order. A table of few keys (the stock of twenty
products, with a version for every reservation) is read whole at both positions instead, each
key by a seek (ReadModelHistory), and compared here.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from explorer.projections.history import ReadModelHistory
from explorer.store.portable_sql import in_byte_order

KINDS = ("added", "changed", "removed")


@dataclass(frozen=True)
class RowChange:
    """One row that differs between two positions: its key, how, its values before and after
    (None where it did not exist) and the value columns that differ."""

    key: dict[str, Any]
    kind: str  # "added", "changed" or "removed"
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "before": self.before,
                "after": self.after, "fields": list(self.fields)}


@dataclass(frozen=True)
class ChangeCounts:
    added: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.added + self.changed + self.removed


class ReadModelChanges:
    """The rows of the read models in one read-model database that differ between two
    positions (read-only; see the module's docstring)."""

    def __init__(self, history: ReadModelHistory) -> None:
        self.history = history
        self.readmodels = history.readmodels
        self._statements: dict[tuple[str, tuple[str, ...], bool], sa.Select[Any]] = {}

    def counts(self, table: sa.Table, before: int, after: int,
               watched: Sequence[str] = ()) -> ChangeCounts:
        """How many rows of `table` were added, changed and removed from position `before` to
        `after`; with `watched` columns, changed counts only rows where one of them differs."""
        _check_order(before, after)
        if not self.history.exists(table):
            return ChangeCounts()
        if self.history.is_small(table):
            found: dict[str, int] = dict.fromkeys(KINDS, 0)
            for change in self._small_table_changes(table, before, after, watched):
                found[change.kind] += 1
            return ChangeCounts(**found)
        changes = self._changes(table, tuple(watched), kinds_only=True).subquery()
        counted = sa.select(changes.c.kind, sa.func.count()).group_by(changes.c.kind)
        found = dict.fromkeys(KINDS, 0)
        for kind, count in self.readmodels.execute(counted, {"a": before, "b": after}):
            found[kind] = count
        return ChangeCounts(**found)

    def rows(self, table: sa.Table, before: int, after: int, *, offset: int = 0,
             limit: int | None = 100, kinds: Sequence[str] = KINDS,
             watched: Sequence[str] = ()) -> list[RowChange]:
        """The rows that differ (of the `kinds` asked for), in key order: `limit` of them after
        the first `offset`."""
        _check_order(before, after)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"No kind of change {unknown[0]!r}; the kinds are "
                             f"{', '.join(KINDS)}.")
        if not self.history.exists(table):
            return []
        if self.history.is_small(table):
            found = [c for c in self._small_table_changes(table, before, after, watched)
                     if c.kind in kinds]
            return found[offset:None if limit is None else offset + limit]
        # the page's keys first, from the kinds and keys alone (a sort of narrow rows), then
        # their values (a saga's steps, before and after) for those rows only
        lean = self._changes(table, tuple(watched), kinds_only=True).subquery()
        page = sa.select(*[lean.c[k] for k in table.info["keys"]]).where(
            lean.c.kind.in_(list(kinds))).order_by(
            *[in_byte_order(lean.c[k]) for k in table.info["keys"]]).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        wanted = [tuple(row) for row in self.readmodels.execute(page, {"a": before, "b": after})]
        return self._rows_of(table, before, after, wanted, kinds, watched)

    def summary(self, table: sa.Table, before: int, after: int, first: int,
                watched: Sequence[str] = ()) -> tuple[ChangeCounts, list[RowChange]]:
        """counts() and the first `first` of rows(), from one statement: every changed row's
        kind and key (narrow rows, counted and sorted here, the statement's own order), then
        the values of the first rows only."""
        _check_order(before, after)
        if not self.history.exists(table) or self.history.is_small(table):
            return (self.counts(table, before, after, watched),
                    self.rows(table, before, after, limit=first, watched=watched))
        found = dict.fromkeys(KINDS, 0)
        keys = []
        lean = self._changes(table, tuple(watched), kinds_only=True)
        for kind, *key in self.readmodels.execute(lean, {"a": before, "b": after}):
            found[kind] += 1
            keys.append(tuple(key))
        wanted = heapq.nsmallest(first, keys, key=_sqlite_order) if first > 0 else []
        return (ChangeCounts(**found),
                self._rows_of(table, before, after, wanted, KINDS, watched) if wanted else [])

    def _rows_of(self, table: sa.Table, before: int, after: int,
                 wanted: list[tuple[Any, ...]], kinds: Sequence[str],
                 watched: Sequence[str]) -> list[RowChange]:
        """The rows of the keys `wanted` that differ (of the `kinds`), in key order, with their
        values before and after (seeks on those keys only)."""
        if not wanted:
            return []
        changes = self._changes(table, tuple(watched)).subquery()
        key_columns = [changes.c[k] for k in table.info["keys"]]
        in_page = (key_columns[0].in_([key[0] for key in wanted]) if len(key_columns) == 1
                   else sa.tuple_(*key_columns).in_(wanted))
        query = sa.select(changes).where(changes.c.kind.in_(list(kinds)), in_page).order_by(
            *[in_byte_order(column) for column in key_columns])
        keys, values = _names(table)
        result = []
        for row in self.readmodels.execute(query, {"a": before, "b": after}).mappings():
            kind = row["kind"]
            old = None if kind == "added" else {v: row[f"before_{v}"] for v in values}
            new = None if kind == "removed" else {v: row[f"after_{v}"] for v in values}
            result.append(_change({k: row[k] for k in keys}, kind, old, new))
        return result

    def _changes(self, table: sa.Table, watched: tuple[str, ...],
                 kinds_only: bool = False) -> sa.Select[Any]:
        """Every row that differs between positions :a and :b: its kind, key, values at :b
        (after_*) and at :a (before_*); with `kinds_only`, its kind and key alone (for counting
        and finding a page's keys: the values, a saga's steps among them, are never read out).
        Made once for each table, watched columns and shape."""
        cache_key = (table.name, watched, kinds_only)
        cached = self._statements.get(cache_key)
        if cached is not None:
            return cached
        keys, values = table.info["keys"], table.info["values"]
        missing = [c for c in watched if c not in values]
        if missing:
            raise ValueError(f"{table.name} has no column {missing[0]!r}; its columns are "
                             f"{', '.join(values)}.")
        a = sa.bindparam("a", type_=sa.Integer)
        b = sa.bindparam("b", type_=sa.Integer)
        new, old = table.alias("after_row"), table.alias("before_row")
        same_key = [old.c[k] == new.c[k] for k in keys]
        # the versions begun after A and valid at B, from the position index alone; only they
        # are then read (a seek each): the versions begun and ended between A and B, most of
        # them on a busy table, never are
        begun = table.alias("begun")
        begun_by_b = (sa.select(*[begun.c[k] for k in keys], begun.c.valid_from)
                      .where(begun.c.valid_from > a, begun.c.valid_from <= b,
                             _valid_after(begun, b)).subquery("begun_by_b"))
        started_by_a = _latest_version(table, new, a)
        differs = sa.or_(*[old.c[v].is_distinct_from(new.c[v]) for v in (watched or values)])
        kind = sa.case((old.c.valid_from.is_(None), "added"), else_="changed").label("kind")
        shown = [new.c[k] for k in keys] + ([] if kinds_only else [
            *[new.c[v].label(f"after_{v}") for v in values],
            *[old.c[v].label(f"before_{v}") for v in values]])
        added_or_changed = (
            sa.select(kind, *shown)
            .select_from(begun_by_b.join(new, sa.and_(
                *[new.c[k] == begun_by_b.c[k] for k in keys],
                new.c.valid_from == begun_by_b.c.valid_from)).outerjoin(old, sa.and_(
                    *same_key, old.c.valid_from == started_by_a, _valid_after(old, a))))
            .where(sa.or_(old.c.valid_from.is_(None), differs)))
        gone, still = table.alias("gone_row"), table.alias("still_row")
        shown = [gone.c[k] for k in keys] + ([] if kinds_only else [
            *[sa.null().label(f"after_{v}") for v in values],
            *[gone.c[v].label(f"before_{v}") for v in values]])
        removed = (
            sa.select(sa.literal("removed").label("kind"), *shown)
            .select_from(gone.outerjoin(still, sa.and_(
                *[still.c[k] == gone.c[k] for k in keys],
                still.c.valid_from == _latest_version(table, gone, b), _valid_after(still, b))))
            .where(gone.c.valid_from <= a, gone.c.valid_to > a, gone.c.valid_to <= b,
                   still.c.valid_from.is_(None)))
        statement = sa.union_all(added_or_changed, removed).subquery("changes")
        query = sa.select(statement)
        self._statements[cache_key] = query
        return query

    def _small_table_changes(self, table: sa.Table, before: int, after: int,
                             watched: Sequence[str]) -> list[RowChange]:
        """The rows that differ in a table of few keys, read whole at both positions."""
        keys, values = _names(table)
        missing = [c for c in watched if c not in values]
        if missing:
            raise ValueError(f"{table.name} has no column {missing[0]!r}; its columns are "
                             f"{', '.join(values)}.")
        then = {tuple(r[k] for k in keys): r for r in self.history.all_rows(table, before)}
        now = {tuple(r[k] for k in keys): r for r in self.history.all_rows(table, after)}
        found = []
        for key in sorted(then.keys() | now.keys(), key=_sortable):
            old, new = then.get(key), now.get(key)
            key_values = dict(zip(keys, key, strict=True))
            old_values = None if old is None else {v: old[v] for v in values}
            new_values = None if new is None else {v: new[v] for v in values}
            if old_values is None:
                found.append(_change(key_values, "added", None, new_values))
            elif new_values is None:
                found.append(_change(key_values, "removed", old_values, None))
            elif any(old_values[v] != new_values[v] for v in (watched or values)):
                found.append(_change(key_values, "changed", old_values, new_values))
        return found


def _names(table: sa.Table) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A table's key and value column names, as plain strings (SQLAlchemy's are a subclass,
    which JSON encoders refuse as keys)."""
    return (tuple(str(k) for k in table.info["keys"]),
            tuple(str(v) for v in table.info["values"]))


def _change(key: dict[str, Any], kind: str, before: dict[str, Any] | None,
            after: dict[str, Any] | None) -> RowChange:
    fields: tuple[str, ...] = ()
    if before is not None and after is not None:
        fields = tuple(name for name in after if before.get(name) != after[name])
    return RowChange(key, kind, before, after, fields)


def _latest_version(table: sa.Table, row: sa.FromClause,
                    position: sa.BindParameter[int]) -> sa.ScalarSelect[Any]:
    """valid_from of the latest version of `row`'s key begun at or before `position` (one
    seek on the primary key)."""
    other = table.alias()
    return (sa.select(sa.func.max(other.c.valid_from))
            .where(*[other.c[k] == row.c[k] for k in table.info["keys"]],
                   other.c.valid_from <= position).scalar_subquery())


def _valid_after(row: sa.FromClause, position: sa.BindParameter[int]) -> sa.ColumnElement[bool]:
    """The version had not ended at `position`."""
    return sa.or_(row.c.valid_to.is_(None), row.c.valid_to > position)


def _sqlite_order(key: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    """A key as SQLite orders it (NULL, then numbers, then text, then blobs; text by code
    point, as its UTF-8 bytes compare)."""
    return tuple((0, 0) if value is None else (1, value) if isinstance(value, int | float)
                 else (2, value) if isinstance(value, str) else (3, bytes(value))
                 for value in key)


def _sortable(key: tuple[Any, ...]) -> tuple[tuple[bool, str, Any], ...]:
    """A key as something to sort by whatever its values' types (None first)."""
    return tuple((value is not None, type(value).__name__, value if value is not None else 0)
                 for value in key)


def _check_order(before: int, after: int) -> None:
    if before > after:
        raise ValueError(f"Position {before:,} is after position {after:,}: compare an earlier "
                         "position with a later one.")
