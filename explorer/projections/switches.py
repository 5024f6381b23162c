"""When a condition on a read model's rows switched: from the row versions, in one statement.

Find-when (explorer.timetravel.when) asks at which positions a condition on a read model's rows
(`total > 500 and status = "paid"`) became true or false for some row. A versioned table already
knows (explorer.projections.versioned): each version of a row is valid from the event that
wrote it to the one that replaced it. Among the versions that satisfy the condition, those of
one row that follow each other without a gap make one run: the condition became true for that
row where a run begins, and false where it ends (a later version that does not satisfy it, or
the row's removal). So the answer is one scan of the table, filtered by the condition in SQL,
with the previous and next matching version of the same row beside each (window functions
over the primary key's own order), never a replay of the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.store.content_filter import Comparison, Logical, compile_condition

RowSwitch = tuple[int, bool, tuple[Any, ...]]
"""(position, whether the condition became true there, the row's key values)."""
FETCH = 2_000


def row_switches_statement(table: sa.Table, condition: Comparison | Logical, after: int,
                           first_only: bool = False, limit: int | None = None,
                           ) -> sa.Select[Any]:
    """The switches of `condition` on `table`'s rows at positions after `after`, in position
    order (then key order): position, became (1 or 0), key columns. `first_only`: only where
    it became true."""
    keys = [table.c[name] for name in table.info["keys"]]

    def column(name: str) -> tuple[sa.ColumnElement[Any], None, None]:
        return table.c[name], None, None

    order = table.c.valid_from
    matching = (sa.select(*keys, table.c.valid_from, table.c.valid_to,
                          sa.func.lag(table.c.valid_to).over(partition_by=keys, order_by=order)
                          .label("before_to"),
                          sa.func.lead(table.c.valid_from).over(partition_by=keys, order_by=order)
                          .label("after_from"))
                .where(compile_condition(condition, column))
                .cte("matching"))
    m = matching.c
    key_columns = [m[name] for name in table.info["keys"]]
    began = (sa.select(m.valid_from.label("position"), sa.literal(1).label("became"),
                       *key_columns)
             .where(sa.or_(m.before_to.is_(None), m.before_to != m.valid_from),
                    m.valid_from > after))
    parts: list[sa.Select[Any]] = [began]
    if not first_only:
        parts.append(sa.select(m.valid_to.label("position"), sa.literal(0).label("became"),
                               *key_columns)
                     .where(m.valid_to.is_not(None),
                            sa.or_(m.after_from.is_(None), m.after_from != m.valid_to),
                            m.valid_to > after))
    union = sa.union_all(*parts).subquery("switches")
    ordered = sa.select(*union.c).order_by(union.c.position, *list(union.c)[2:], union.c.became)
    return ordered if limit is None else ordered.limit(limit)


def has_table(readmodels: ReadModelDatabase, table: sa.Table) -> bool:
    """Whether the read-model file has the table yet (a runner creates it when it first runs)."""
    return sa.inspect(readmodels.connection).has_table(table.name)


def row_switches(readmodels: ReadModelDatabase, table: sa.Table,
                 condition: Comparison | Logical, after: int = 0, *, first_only: bool = False,
                 limit: int | None = None) -> Iterator[RowSwitch]:
    """The switches (see row_switches_statement), read a batch at a time."""
    statement = row_switches_statement(table, condition, after, first_only, limit)
    compiled = statement.compile(dialect=readmodels.engine.dialect,
                                 compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    cursor = readmodels.db.execute(str(compiled), [params[name] for name in
                                                   compiled.positiontup or ()])
    while rows := cursor.fetchmany(FETCH):
        for position, became, *key in rows:
            yield position, bool(became), tuple(key)
