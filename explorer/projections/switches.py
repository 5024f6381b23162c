"""When a condition on a read model's rows switched: from the row versions, in one scan.

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
- the rows with several runs: the same scan gives each of them its satisfying versions'
  positions (where they begin, where they end: aggregates of the group), and a version continues a
  run exactly when the satisfying one before it ended where it began.

Window functions over the whole table (SQLite's, at a few microseconds a row) would cost seconds
on a million versions, and about a second over 600,000 satisfying ones; a seek for every
satisfying version, over two.

The first switch to true is looked for in position order first (the position index, a few
growing ranges of positions: a condition that holds for many rows holds early), then from
every switch, by the one scan (further ranges cost a seek a version: 100,000 positions of the
sagas' versions, more than the whole scan of a narrow condition).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.store.compiled import CompiledStatement
from explorer.store.content_filter import Comparison, Logical, compile_condition
from explorer.store.portable_sql import in_byte_order

RowSwitch = tuple[int, bool, tuple[Any, ...]]
"""(position, whether the condition became true there, the row's key values)."""
OrderedSwitch = tuple[int, tuple[Any, ...], bool]
"""(position, the row's key values, whether the condition became true there): in the order
switches are listed when sorted as they are (a switch to false before one to true)."""
_OPEN = 1 << 62
"""The end of a version still current (valid_to NULL), as a number for sums."""
FIRST_SPANS = (1_000, 10_000)
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
            .order_by(version.c.valid_from, *map(in_byte_order, keys)).limit(1))


def has_table(readmodels: ReadModelDatabase, table: sa.Table) -> bool:
    """Whether the read-model file has the table yet (a runner creates it when it first runs)."""
    return sa.inspect(readmodels.connection).has_table(table.name)


def row_switches(readmodels: ReadModelDatabase, table: sa.Table,
                 condition: Comparison | Logical, after: int = 0, *, first_only: bool = False,
                 limit: int | None = None) -> Iterator[RowSwitch]:
    """The switches of `condition` on `table`'s rows at positions after `after`, in position
    order (then key order, a switch to false before one to true of the same row); with
    `first_only`, only the first switch to true; at most `limit` of them."""
    for position, key, became in ordered_row_switches(readmodels, table, condition, after,
                                                      first_only=first_only, limit=limit):
        yield position, became, key


def ordered_row_switches(readmodels: ReadModelDatabase, table: sa.Table,
                         condition: Comparison | Logical, after: int = 0, *,
                         first_only: bool = False, limit: int | None = None,
                         ) -> list[OrderedSwitch]:
    """row_switches' switches as (position, key values, whether it became true), which sort as
    they are listed: one tuple a switch, made once (explorer.timetravel.when keeps them)."""
    if first_only:
        return _first_switch(readmodels, table, condition, after)[:limit]
    return _every_switch(readmodels, table, condition, after)[:limit]


def _every_switch(readmodels: ReadModelDatabase, table: sa.Table,
                  condition: Comparison | Logical, after: int) -> list[OrderedSwitch]:
    """Every switch after `after`, sorted (see the module's docstring)."""
    found: list[OrderedSwitch] = []
    add = found.append
    several: list[tuple[tuple[Any, ...], str, str]] = []
    for row in _execute(readmodels, runs_statement(table, condition, after)).fetchall():
        key = row[5:]  # first, last, one run, froms, tos, key columns
        if not row[2]:
            several.append((key, row[3], row[4]))
            continue
        if row[0] > after:
            add((row[0], key, True))
        if row[1] != _OPEN:
            add((row[1], key, False))
    if several:
        found.extend(_runs(several, max(after, 0)))
    found.sort()
    return found


def runs_statement(table: sa.Table, condition: Comparison | Logical,
                   after: int) -> sa.Select[Any]:
    """For each row whose versions satisfying `condition` may switch after `after`: the first
    position of those versions, the last (_OPEN while the last one is current), whether they
    make one run (their lengths add up to the span between: none is missing between), if not
    where they begin and where they end ("from,from,…", "to,to,…", -1 for the current one:
    see _runs), key columns. One scan in primary-key order, grouped by key (no sort). The
    constants are written out, so that SQLite computes each aggregate once."""
    keys = [table.c[k] for k in table.info["keys"]]
    ends = sa.func.coalesce(table.c.valid_to, sa.literal_column(str(_OPEN)))
    first, last = sa.func.min(table.c.valid_from), sa.func.max(ends)
    one_run = sa.func.sum(ends - table.c.valid_from) == last - first
    froms, tos = (sa.case((one_run, None), else_=sa.func.group_concat(column))
                  for column in (table.c.valid_from,
                                 sa.func.coalesce(table.c.valid_to, sa.literal_column("-1"))))
    return (sa.select(first, last, one_run, froms, tos, *keys)
            .where(_matching(table, condition)).group_by(*keys)
            .having(last > sa.literal_column(str(int(after)))))


_APART = -2
"""Between two rows' versions in _runs' lists (no position, nor the -1 of a current one)."""


def _runs(rows: list[tuple[tuple[Any, ...], str, str]], after: int) -> list[OrderedSwitch]:
    """The switches after `after` (>= 0) of rows whose satisfying versions make several runs,
    from each row's key and its versions' starts ("from,from,…") and ends ("to,to,…", -1 while
    current): a version continues the one before it exactly when that one ended where it began
    (a row's versions follow each other). All rows' versions in two flat lists, `_APART`
    between rows, so that the work is a few passes over them (not a few calls a row). The
    grouped scan gives each row's versions in primary-key order; a row that is not (another
    plan) has its versions sorted first."""
    separator = f",{_APART},"
    begins = list(map(int, separator.join(froms for _, froms, _ in rows).split(",")))
    if not all(earlier < later for earlier, later in zip(begins, begins[1:], strict=False)
               if later != _APART and earlier != _APART):
        rows = [(key, *_in_order(froms, tos)) for key, froms, tos in rows]
        begins = list(map(int, separator.join(froms for _, froms, _ in rows).split(",")))
    ends = list(map(int, separator.join(tos for _, _, tos in rows).split(",")))
    keys: list[tuple[Any, ...]] = []
    for key, froms, _ in rows:
        keys += [key] * (froms.count(",") + 2)  # its versions and the separator after them
    found = [(begin, key, True) for begin, end_before, key
             in zip(begins, [_APART, *ends], keys, strict=False)
             if begin > after and begin != end_before]
    found += [(end, key, False) for end, begin_after, key
              in zip(ends, [*begins[1:], _APART], keys, strict=False)
              if end > after and end != begin_after]
    return found


def _in_order(froms: str, tos: str) -> tuple[str, str]:
    """A row's versions' starts and ends, sorted by start."""
    pairs = sorted(zip(map(int, froms.split(",")), map(int, tos.split(",")), strict=True))
    return ",".join(str(b) for b, _ in pairs), ",".join(str(e) for _, e in pairs)


def _first_switch(readmodels: ReadModelDatabase, table: sa.Table,
                  condition: Comparison | Logical, after: int) -> list[OrderedSwitch]:
    """The first switch to true after `after` (a list of one, or empty; see the module's
    docstring): in the first ranges of positions, else from every switch after them."""
    statement = CompiledStatement(first_switch_statement(table, condition),
                                  readmodels.engine.dialect, ("low", "high"))
    low = after
    for span in FIRST_SPANS:
        row = readmodels.db.execute(statement.sql, statement.args(low, low + span)).fetchone()
        if row is not None:
            return [(row[0], tuple(row[1:]), True)]
        low += span
    return next(([switch] for switch in _every_switch(readmodels, table, condition, low)
                 if switch[2]), [])


def version_batches(readmodels: ReadModelDatabase, table: sa.Table, columns: Sequence[str],
                    open_end: int, size: int = 1_000, since: int | None = None,
                    ) -> Iterator[list[tuple[Any, ...]]]:
    """Every version of `table` as (key values…, valid_from, valid_to or `open_end` for a
    current one, `columns`…), in primary-key order (texts by their bytes, as SQLite orders
    them, on every backend: RowArrays bisects them so), `size` at a time: one statement, so one
    snapshot of the file (the narrow index when `columns` leave the wide ones out). Few rows
    alive at once: they die young, before the window's collector (on its GUI thread) moves
    them to the oldest generation, whose full collections stall it. With `since`, only what
    changed since: the versions begun after it, and those ended after it."""
    keys = [table.c[k] for k in table.info["keys"]]
    statement = sa.select(*keys, table.c.valid_from,
                          sa.func.coalesce(table.c.valid_to, sa.literal_column(str(open_end))),
                          *[table.c[name] for name in columns])
    if since is not None:
        statement = _changed_since(table, statement, since)
    cursor = _execute(readmodels, statement.order_by(*map(in_byte_order, keys),
                                                     table.c.valid_from)
                      if since is None else statement)
    while batch := cursor.fetchmany(size):
        yield batch


def _changed_since(table: sa.Table, versions: sa.Select[Any], since: int) -> sa.Select[Any]:
    """`versions` begun after `since`, and those ended after it (their key, start and end
    alone: the rest NULL), sorted as version_batches sorts them: two searches of the position
    index (the second covered by it), their few rows sorted after (in key order, SQLite would
    scan the whole table instead)."""
    width = len(table.info["keys"])
    rest = len(versions.selected_columns) - width - 2
    ended = (sa.select(*[table.c[k] for k in table.info["keys"]], table.c.valid_from,
                       table.c.valid_to, *[sa.null()] * rest)
             .where(table.c.valid_to > since, table.c.valid_from <= since))
    both = sa.union_all(versions.where(table.c.valid_from > since), ended).subquery()
    return sa.select(both).order_by(*map(in_byte_order, list(both.c)[:width + 1]))


def version_count(readmodels: ReadModelDatabase, table: sa.Table) -> int:
    """How many versions `table` has (its smallest index counted)."""
    return int(_execute(readmodels, sa.select(sa.func.count()).select_from(table)).fetchone()[0])


def _execute(readmodels: ReadModelDatabase, statement: sa.Select[Any]) -> Any:
    """Run a statement on the DBAPI connection (no per-row SQLAlchemy objects)."""
    compiled = statement.compile(dialect=readmodels.engine.dialect,
                                 compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    return readmodels.db.execute(str(compiled), [params[name] for name in
                                                 compiled.positiontup or ()])

