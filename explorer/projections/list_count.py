"""How many rows a read model's list shows (the current rows of a versioned table, with column
values and matching what the user typed), counted again at each checkpoint of the projection
from what changed since the last count.

Counted in full, a list reads an entry of an index for each of its rows (order_summary at 10M
events: 93 ms of CPU for 750,000 orders), or every version of every row (stock: 21 rows, 106
ms). After a first count at checkpoint A, the count at checkpoint B is the count at A, plus one
for each row changed since A that the list holds now, minus one for each that it held at A.
When the projection never deletes a row of the table (`keeps_rows`), the rows changed since A
are those with a version begun after A: a range of the position index (valid_from), however
long the log. Their versions now and at A are then each found by a seek on their key. A
deletion begins no version (it ends one: valid_to, which no index orders), so a table whose
rows may be deleted is counted in full at each new checkpoint.

What the user typed is matched as the list's search matches it: on the server, by the same
condition on the rows' values; in a file, the search index holds the current rows only, so the
changed rows at A and now are matched by a search index of their own, made for them in the
connection's temporary database (ReadModelDatabase.count_matching).

A count is redone in full when the read model went back or was made again (a rebuild, however
quickly it caught up again: projection_resets counts them), when its code's version changed,
when more than half of the log came since the last count (reading the changes would cost more
than the count), or, matching what the user typed, when more than SEARCHED_CHANGES
versions began since. A list by the value of one column counted in full is counted for every
value at once, for the cost of one, so that choosing another value, or none, is then counted
from the changes too (ListCounts).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase, projection_resets, projection_state
from explorer.projections.engine import count_rows
from explorer.projections.search import search_terms


@dataclass(frozen=True)
class ListCount:
    """How many rows a list holds as of its read model's `checkpoint` (the read model's
    `generation`: the projection's code version and how many times it was made again), and how
    it was counted (`full`, else from the changes)."""

    total: int
    checkpoint: int
    generation: tuple[int, int]
    full: bool = True


SEARCHED_CHANGES = 5_000
"""The most versions begun since the last count that a list matching what the user typed is
counted from (each matched in an index of their own, ~7 us of CPU each); beyond it, the search
index counts the list (~35 ms at 10M events for all sagas)."""
LISTS_KEPT = 16
"""The lists (a table, its column values, what was typed) whose last count ListCounts keeps."""


def keeps_rows(projection: object) -> bool:
    """Whether a projection never deletes a row of its tables, so that its lists can be counted
    from the versions begun since the last count: it says so (Projection.keeps_rows, which the
    engine holds it to). Unsaid, a projection may delete, and its lists are counted in full at
    each new checkpoint."""
    return getattr(projection, "keeps_rows", False) is True


@dataclass(frozen=True)
class ValueCounts:
    """How many current rows of a table have each value of a column (`totals`), as of its read
    model's `checkpoint` (in its `generation`, as ListCount's)."""

    totals: dict[Any, int]
    checkpoint: int
    generation: tuple[int, int]

    def of(self, value: Any) -> ListCount:
        """The count of the rows with this value."""
        return ListCount(self.totals.get(value, 0), self.checkpoint, self.generation)

    def of_all(self) -> ListCount:
        """The count of every row."""
        return ListCount(sum(self.totals.values()), self.checkpoint, self.generation)


class ListCounts:
    """The last count of each list of one store's read models, to count each again from what
    changed since (count_list): the first list by the value of one column counted is counted
    for every value of it, and for all rows, at once, and a value without a count of its own is
    counted from there. The least recently counted lists beyond `kept` are let go."""

    def __init__(self, kept: int = LISTS_KEPT) -> None:
        self.kept = kept
        self._counts: OrderedDict[tuple[Any, ...], ListCount] = OrderedDict()
        self._by_value: dict[tuple[Any, ...], ValueCounts] = {}  # (projection, table, column)

    def count(self, db: ReadModelDatabase, table: sa.Table, projection: str,
              where: dict[str, Any] | None = None, search: str | None = None, *,
              keeps_rows: bool = False) -> ListCount:
        """The list's count now (see count_list), kept for the next time."""
        key = _list_key(projection, table, where, search)
        since = self._counts.get(key)
        if since is None and where and len(where) == 1 and search_terms(search) is None:
            ((column, value),) = where.items()
            each = self._by_value.get((projection, table.name, column))
            if each is None:
                each = count_each_value(db, table, projection, column)
                self._by_value[(projection, table.name, column)] = each
                if _list_key(projection, table, None, search) not in self._counts:
                    self._keep(_list_key(projection, table, None, search), each.of_all())
            since = each.of(value)
        counted = count_list(db, table, projection, where, search, since, keeps_rows=keeps_rows)
        self._keep(key, counted)
        return counted

    def _keep(self, key: tuple[Any, ...], counted: ListCount) -> None:
        self._counts[key] = counted
        self._counts.move_to_end(key)
        while len(self._counts) > self.kept:
            self._counts.popitem(last=False)


def _list_key(projection: str, table: sa.Table, where: dict[str, Any] | None,
              search: str | None) -> tuple[Any, ...]:
    return projection, table.name, tuple(sorted((where or {}).items())), search_terms(search)


def count_each_value(db: ReadModelDatabase, table: sa.Table, projection: str,
                     column: str) -> ValueCounts:
    """How many current rows of `table` (the `projection`'s) have each value of `column`:
    one pass over the current rows, as long as a count of those with one value."""
    with db.read_snapshot():
        checkpoint, generation = _state(db, projection)
        totals: dict[Any, int] = {value: total for value, total in db.execute(
            sa.select(table.c[column], sa.func.count()).where(table.c.valid_to.is_(None))
            .group_by(table.c[column]))}
    return ValueCounts(totals, checkpoint, generation)


def _state(db: ReadModelDatabase, projection: str) -> tuple[int, tuple[int, int]]:
    """The projection's checkpoint and generation: its code version and how many times its read
    model was emptied to be made again ((0, 0) before it ever ran; a file made before resets
    were counted, read-only, as none)."""
    state = db.execute(sa.select(projection_state.c.checkpoint, projection_state.c.version)
                       .where(projection_state.c.name == projection)).first()
    if state is None:
        return 0, (0, 0)
    try:
        resets = db.execute(sa.select(projection_resets.c.resets).where(
            projection_resets.c.name == projection)).scalar()
    except sa.exc.OperationalError:  # (SQLite: no such table; a file written to has it)
        resets = 0
    return state[0], (state[1], resets or 0)


def count_list(db: ReadModelDatabase, table: sa.Table, projection: str,
               where: dict[str, Any] | None = None, search: str | None = None,
               since: ListCount | None = None, *, keeps_rows: bool = False) -> ListCount:
    """The number of current rows of `table` (the `projection`'s) with the `where` values and
    matching `search`: from `since` (an earlier count with the same arguments) and what
    changed after it when the projection never deletes a row (`keeps_rows`), else in full.
    Read in one snapshot of `db`."""
    with db.read_snapshot():
        checkpoint, generation = _state(db, projection)
        if since is not None and since.generation == generation and (
                since.checkpoint == checkpoint):
            return since
        if (not keeps_rows or since is None or since.generation != generation
                or checkpoint < since.checkpoint
                or 2 * (checkpoint - since.checkpoint) > checkpoint
                or search_terms(search) is not None
                and _changed_more(db, table, since.checkpoint, SEARCHED_CHANGES)):
            total = count_rows(db, table, where=where, search=search)
            return ListCount(total, checkpoint, generation)
        change = _change(db, table, since.checkpoint, where, search)
        return ListCount(since.total + change, checkpoint, generation, full=False)


def _change(db: ReadModelDatabase, table: sa.Table, position: int,
            where: dict[str, Any] | None, search: str | None) -> int:
    """How many more rows the list holds now than at `position` (negative if fewer), when no
    row was deleted since."""
    keys = [table.c[name] for name in table.info["keys"]]
    begun = sa.select(*keys).where(table.c.valid_from > position)  # a range of the position
    # index; each key once after (DISTINCT here: SQLite would read every key in order instead)
    now, then = _versions_at(table, None, begun), _versions_at(table, position, begun)
    for column, value in (where or {}).items():
        now, then = now.where(table.c[column] == value), then.where(table.c[column] == value)
    if search_terms(search) is None:
        return _count(db, now) - _count(db, then)
    if db.indexed_search:  # the index holds the current rows only: match both alike
        return (db.count_matching(table, db.execute(now).all(), search or "")
                - db.count_matching(table, db.execute(then).all(), search or ""))
    # the server matches a row's values: the versions at `position` alike
    return (_count(db, db.search_rows(now, table, search or "", where))
            - _count(db, db.search_rows(then, table, search or "", where)))


def _versions_at(table: sa.Table, position: int | None,
                 begun: sa.Select[Any]) -> sa.Select[Any]:
    """The rows as of `position` (None: now) of the keys with a version `begun` since: each
    key's version found by a seek on its key, the latest begun by then (a key of many versions,
    stock's product with one for every reservation, is not read whole: 10M events, 10,000
    positions since, 490 -> 4 ms)."""
    names = table.info["keys"]
    changed = begun.cte("changed").prefix_with("MATERIALIZED")  # the range, once
    key = sa.select(*[changed.c[k] for k in names]).distinct().subquery("changed_key")
    earlier = table.alias("earlier")
    latest = sa.select(sa.func.max(earlier.c.valid_from)).where(
        *[earlier.c[k] == key.c[k] for k in names],
        *([] if position is None else [earlier.c.valid_from <= position])).scalar_subquery()
    version = key.join(table, sa.and_(*[table.c[k] == key.c[k] for k in names],
                                      table.c.valid_from == latest))
    return (sa.select(*[table.c[c] for c in (*names, *table.info["values"])])
            .select_from(version)
            .where(table.c.valid_to.is_(None) if position is None else
                   sa.or_(table.c.valid_to.is_(None), table.c.valid_to > position)))


def _changed_more(db: ReadModelDatabase, table: sa.Table, position: int, limit: int) -> bool:
    """Whether more than `limit` versions of `table` began after `position` (reading at most
    `limit` + 1 entries of the position index)."""
    begun = sa.select(table.c.valid_from).where(table.c.valid_from > position).limit(limit + 1)
    return _count(db, begun) > limit


def _count(db: ReadModelDatabase, query: sa.Select[Any]) -> int:
    counted: int = db.execute(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    return counted
