"""When a condition on a read model's rows switched: from the row versions, in two passes.

Find-when (explorer.timetravel.when) asks at which positions a condition on a read model's rows
(`total > 500 and status = "paid"`) became true or false for some row. A versioned table already
knows (explorer.projections.versioned): each version of a row is valid from the event that
wrote it to the one that replaced it. A version that satisfies the condition makes it become
true where it begins unless the version just before it (of the same row, ending where it
begins) satisfied it too; and false where it ends unless the version that follows (beginning
there) satisfies it too, or the row was removed. Never a replay of the log:

- one scan of the table in primary-key order, filtered by the condition in SQL and grouped by
  key: a row whose satisfying versions make one run (their lengths add up to the span from the
  first to the last) became true where the first began and false where the last ended;
- the rows with several runs: their satisfying versions (by key, or by one scan of the whole
  table when there are more than WHOLE_TABLE_KEYS such rows) with, by a window over them alone
  in primary-key order, where the satisfying version before and after each began and ended:
  a version continues a run exactly when the satisfying one before it ended where it began.

Window functions over the whole table (SQLite's, at a few microseconds a row) would cost seconds
on a million versions; a seek for every satisfying version, over a second (over two for 600,000
switches on the sagas' 910,000 versions, where the window takes under one).

The first switch to true is looked for in position order first (the position index, a few
growing ranges of positions: a condition that holds for many rows holds early), then by the
whole scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.store.compiled import CompiledStatement
from explorer.store.content_filter import Comparison, Logical, compile_condition

RowSwitch = tuple[int, bool, tuple[Any, ...]]
"""(position, whether the condition became true there, the row's key values)."""
KEYS_AT_ONCE = 500
"""Rows whose versions satisfying a condition make several runs, read at once (see
row_switches)."""
WHOLE_TABLE_KEYS = 5_000
"""More rows than this with several runs: their runs are read by one scan of the whole table."""
_OPEN = 1 << 62
"""The end of a version still current (valid_to NULL), as a number for sums."""
FIRST_SPANS = (1_000, 10_000, 100_000)
"""Ranges of positions (after the start, each after the last) searched in position order for
the first switch to true, before the whole table is scanned."""


def _matching(table: sa.FromClause, condition: Comparison | Logical) -> sa.ColumnElement[bool]:
    def column(name: str) -> tuple[sa.ColumnElement[Any], None, None]:
        return table.c[name], None, None

    return compile_condition(condition, column)


def _continued_from(table: sa.Table, version: sa.FromClause,
                    condition: Comparison | Logical) -> sa.ColumnElement[Any]:
    """1 where the version just before `version` (of its key) satisfied the condition and ended
    where `version` began; 0 or NULL otherwise (one seek on the primary key)."""
    before = table.alias("before_version")
    keys = table.info["keys"]
    return (sa.select(sa.case((sa.and_(before.c.valid_to == version.c.valid_from,
                                       _matching(before, condition)), 1), else_=0))
            .where(*[before.c[k] == version.c[k] for k in keys],
                   before.c.valid_from < version.c.valid_from)
            .order_by(before.c.valid_from.desc()).limit(1).scalar_subquery())


def _continued_by(table: sa.Table, version: sa.FromClause,
                  condition: Comparison | Logical) -> sa.ColumnElement[bool]:
    """Whether the version that follows `version` (of its key, beginning where it ended)
    satisfies the condition (one seek on the primary key)."""
    after = table.alias("after_version")
    return sa.exists().where(*[after.c[k] == version.c[k] for k in table.info["keys"]],
                             after.c.valid_from == version.c.valid_to,
                             _matching(after, condition))


def row_switches_statement(table: sa.Table, condition: Comparison | Logical, after: int,
                           first_only: bool = False, of_keys: list[tuple[Any, ...]] | None = None,
                           ) -> sa.Select[Any]:
    """The versions of `table` (of the rows `of_keys` only, if given) that satisfy `condition`
    and may make a switch after `after`: valid_from, valid_to, whether the version before
    continued it (1, else 0 or NULL), whether the version after continues it (1 or 0; 0 with
    `first_only`, which needs no ends), key columns. In no particular order (see
    row_switches)."""
    version = table.alias("version")
    keys = [version.c[k] for k in table.info["keys"]]
    continues = sa.literal(0) if first_only else _continued_by(table, version, condition)
    query = (sa.select(version.c.valid_from, version.c.valid_to,
                       _continued_from(table, version, condition), continues, *keys)
             .where(_matching(version, condition),
                    version.c.valid_from > after if first_only
                    else sa.or_(version.c.valid_to.is_(None), version.c.valid_to > after)))
    if of_keys is not None:
        query = query.where(_key_in(version, table.info["keys"], of_keys))
    return query


def first_switch_statement(table: sa.Table, condition: Comparison | Logical) -> sa.Select[Any]:
    """The first version begun in positions (:low, :high] (the position index) that makes the
    condition become true: valid_from, key columns."""
    version = table.alias("version")
    keys = [version.c[k] for k in table.info["keys"]]
    low = sa.bindparam("low", type_=sa.Integer)
    high = sa.bindparam("high", type_=sa.Integer)
    return (sa.select(version.c.valid_from, *keys)
            .where(version.c.valid_from > low, version.c.valid_from <= high,
                   _matching(version, condition),
                   sa.func.coalesce(_continued_from(table, version, condition), 0) == 0)
            .order_by(version.c.valid_from, *keys).limit(1))


def has_table(readmodels: ReadModelDatabase, table: sa.Table) -> bool:
    """Whether the read-model file has the table yet (a runner creates it when it first runs)."""
    return sa.inspect(readmodels.connection).has_table(table.name)


def row_switches(readmodels: ReadModelDatabase, table: sa.Table,
                 condition: Comparison | Logical, after: int = 0, *, first_only: bool = False,
                 limit: int | None = None) -> Iterator[RowSwitch]:
    """The switches of `condition` on `table`'s rows at positions after `after`, in position
    order (then key order, a switch to false before one to true of the same row); with
    `first_only`, only the first switch to true; at most `limit` of them."""
    if first_only:
        yield from _first_switch(readmodels, table, condition, after)[:limit]
        return
    found: list[RowSwitch] = []
    several: list[tuple[Any, ...]] = []
    for first, last, one_run, *key in _execute(readmodels, runs_statement(table, condition,
                                                                           after)):
        if not one_run:
            several.append(tuple(key))
            continue
        if first > after:
            found.append((first, True, tuple(key)))
        if last != _OPEN:
            found.append((last, False, tuple(key)))
    if len(several) > WHOLE_TABLE_KEYS:  # most rows: one windowed scan of them all
        found = []
        batches: list[list[tuple[Any, ...]] | None] = [None]
    else:
        batches = [several[start:start + KEYS_AT_ONCE]
                   for start in range(0, len(several), KEYS_AT_ONCE)]
    for keys in batches:
        statement = run_edges_statement(table, condition, after, of_keys=keys)
        for valid_from, valid_to, starts, ends, *key in _execute(readmodels, statement):
            row = tuple(key)
            if starts:
                found.append((valid_from, True, row))
            if ends:
                found.append((valid_to, False, row))
    found.sort(key=_order)
    yield from found[:limit]


def run_edges_statement(table: sa.Table, condition: Comparison | Logical, after: int,
                        of_keys: list[tuple[Any, ...]] | None = None) -> sa.Select[Any]:
    """The versions of `table` (of the rows `of_keys` only, if given) satisfying `condition`
    that begin or end a run of them after `after`: valid_from, valid_to, whether it begins one
    (there), whether it ends one (at valid_to), key columns. A row's versions follow each
    other, so the version before a satisfying one satisfied the condition too exactly when the
    satisfying version before it ended where it began (and likewise after): a window over the
    satisfying versions alone, read in primary-key order (no sort, no seek)."""
    keys = [table.c[k] for k in table.info["keys"]]
    window = {"partition_by": keys, "order_by": table.c.valid_from}
    query = sa.select(table.c.valid_from, table.c.valid_to, *keys,
                      sa.func.lag(table.c.valid_to).over(**window).label("before_to"),
                      sa.func.lead(table.c.valid_from).over(**window).label("after_from"),
                      ).where(_matching(table, condition))
    if of_keys is not None:
        query = query.where(_key_in(table, table.info["keys"], of_keys))
    runs = query.subquery("runs")
    starts = sa.and_(runs.c.before_to.is_distinct_from(runs.c.valid_from),
                     runs.c.valid_from > after)
    ends = sa.and_(runs.c.valid_to.is_not(None),
                   runs.c.after_from.is_distinct_from(runs.c.valid_to), runs.c.valid_to > after)
    return (sa.select(runs.c.valid_from, runs.c.valid_to, starts, ends,
                      *[runs.c[k] for k in table.info["keys"]])
            .where(sa.or_(starts, ends)))


def runs_statement(table: sa.Table, condition: Comparison | Logical,
                   after: int) -> sa.Select[Any]:
    """For each row whose versions satisfying `condition` may switch after `after`: the first
    position of those versions, the last (_OPEN while the last one is current), whether they
    make one run (their lengths add up to the span between: none is missing between), key
    columns. One scan in primary-key order, grouped by key (no sort)."""
    keys = [table.c[k] for k in table.info["keys"]]
    ends = sa.func.coalesce(table.c.valid_to, _OPEN)
    first, last = sa.func.min(table.c.valid_from), sa.func.max(ends)
    return (sa.select(first, last, sa.func.sum(ends - table.c.valid_from) == last - first,
                      *keys)
            .where(_matching(table, condition)).group_by(*keys).having(last > after))


def _key_in(version: sa.FromClause, names: tuple[str, ...],
            keys: list[tuple[Any, ...]]) -> sa.ColumnElement[bool]:
    """The versions of these rows (seeks on the primary key)."""
    if len(names) == 1:
        return version.c[names[0]].in_([key[0] for key in keys])
    return sa.tuple_(*[version.c[n] for n in names]).in_(keys)


def _first_switch(readmodels: ReadModelDatabase, table: sa.Table,
                  condition: Comparison | Logical, after: int) -> list[RowSwitch]:
    """The first switch to true after `after` (a list of one, or empty; see the module's
    docstring)."""
    statement = CompiledStatement(first_switch_statement(table, condition),
                                  readmodels.engine.dialect, ("low", "high"))
    low = after
    for span in FIRST_SPANS:
        row = readmodels.db.execute(statement.sql, statement.args(low, low + span)).fetchone()
        if row is not None:
            return [(row[0], True, tuple(row[1:]))]
        low += span
    found = [(valid_from, True, tuple(key)) for valid_from, _, continued_from, _, *key
             in _execute(readmodels, row_switches_statement(table, condition, low, True))
             if not continued_from]
    return [min(found, key=_order)] if found else []


def _order(switch: RowSwitch) -> tuple[Any, ...]:
    """Position, then key, then a switch to false before one to true."""
    return switch[0], switch[2], switch[1]


def _execute(readmodels: ReadModelDatabase, statement: sa.Select[Any]) -> Any:
    """Run a statement on the DBAPI connection (no per-row SQLAlchemy objects)."""
    compiled = statement.compile(dialect=readmodels.engine.dialect,
                                 compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    return readmodels.db.execute(str(compiled), [params[name] for name in
                                                 compiled.positiontup or ()])

