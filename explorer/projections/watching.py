"""A watched read-model value over time, from the row versions (SQL for timetravel.watch).

A watch pins one read-model cell (`order_summary[order_0870].status`) or a count of rows
(`count(order_summary where total > 500)`). A versioned table (explorer.projections.versioned)
already holds each row's value with the range of positions it was valid for, so a cell's whole
history is its row's versions (one seek on the primary key), and a count's is the switches of its
condition (explorer.projections.switches: +1 where a row starts to match, -1 where it stops).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.projections.switches import row_switches
from explorer.projections.versioned import rows_as_of
from explorer.store.content_filter import Comparison, Logical, compile_condition

CellVersion = tuple[int, int | None, Any]
"""(valid_from, valid_to or None while current, the column's value)."""


def _where_key(table: sa.Table, key: tuple[Any, ...]) -> list[sa.ColumnElement[bool]]:
    return [table.c[name] == value for name, value in zip(table.info["keys"], key, strict=True)]


def cell_versions(readmodels: ReadModelDatabase, table: sa.Table, key: tuple[Any, ...],
                  column: str) -> list[CellVersion]:
    """Every version of one row's column, oldest first."""
    query = (sa.select(table.c.valid_from, table.c.valid_to, table.c[column])
             .where(*_where_key(table, key)).order_by(table.c.valid_from))
    return [(row[0], row[1], row[2]) for row in readmodels.execute(query)]


def cell_at(readmodels: ReadModelDatabase, table: sa.Table, key: tuple[Any, ...], column: str,
            position: int) -> tuple[bool, Any]:
    """Whether the row existed as of `position`, and its column's value then."""
    found = rows_as_of(table, position).where(*_where_key(table, key))
    row = readmodels.execute(found.with_only_columns(table.c[column])).first()
    return (False, None) if row is None else (True, row[0])


def count_at(readmodels: ReadModelDatabase, table: sa.Table, condition: Comparison | Logical,
             position: int) -> int:
    """How many rows satisfied `condition` as of `position`."""
    def column(name: str) -> tuple[sa.ColumnElement[Any], None, None]:
        return table.c[name], None, None

    inner = rows_as_of(table, position).where(compile_condition(condition, column)).subquery()
    return int(readmodels.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())


def count_steps(readmodels: ReadModelDatabase, table: sa.Table,
                condition: Comparison | Logical) -> list[tuple[int, int]]:
    """(position, count of matching rows just after it) wherever the count changed, in order."""
    steps: list[tuple[int, int]] = []
    count = 0
    for position, became, _key in row_switches(readmodels, table, condition):
        count += 1 if became else -1
        if steps and steps[-1][0] == position:
            steps[-1] = (position, count)
        else:
            steps.append((position, count))
    return [step for index, step in enumerate(steps)
            if step[1] != (steps[index - 1][1] if index else 0)]
