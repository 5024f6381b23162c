"""Read models as they were: the rows of a versioned table valid at any position.

Time travel shows each read model as of the cursor's position, most recently changed rows first,
a page at a time. Tables with many keys are read newest version first (the rows valid at P are
mostly the recent versions). Tables with few keys but many versions (stock: twenty products,
hundreds of thousands of versions) would then scan every old version: for them each key's
version at P is found by a seek on the primary key instead, all in one statement compiled once
for the table's keys.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.projections.engine import projection_state_of
from explorer.projections.versioned import key_order, rows_changed_first
from explorer.store.compiled import CompiledStatement

SMALL_TABLE = 300
"""A table with at most this many keys is read key by key (see the module's docstring)."""
LATEST = 2 ** 63 - 1
"""A position past every version's valid_from."""
KEYS_TTL_S = 5.0
"""How long a small table's keys are taken as known while its newest version stays the same
(a rebuild may key it otherwise)."""


class ReadModelHistory:
    """Rows of the read models in one read-model database as of any position (read-only)."""

    def __init__(self, readmodels: ReadModelDatabase) -> None:
        self.readmodels = readmodels
        self._keys: dict[str, tuple[float, int | None, list[tuple[Any, ...]] | None]] = {}
        self._tables: set[str] = set()
        self._statements: dict[str, tuple[list[tuple[Any, ...]], CompiledStatement, list[str]]] = {}
        self._seeks: dict[str, tuple[CompiledStatement, CompiledStatement,
                                     CompiledStatement]] = {}

    def rows(self, table: sa.Table, name: str, position: int, limit: int,
             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Rows of projection `name`'s `table` as of `position`, most recently changed first:
        `limit` of them after `offset`; and how far the projection has read the log (rows of
        later positions are not in it yet). ([], 0) while the table does not exist yet."""
        if not self.exists(table):
            return [], 0
        readmodels = self.readmodels
        built = projection_state_of(readmodels, name)
        keys = self._small_table_keys(table)
        if keys is None:
            found = readmodels.execute(
                rows_changed_first(table, position).limit(limit).offset(offset))
            return [{str(k): v for k, v in row.items() if k != "valid_to"}
                    for row in found.mappings()], built
        if not keys:
            return [], built
        statement, names = self._small_table_statement(table, keys)
        cursor = readmodels.db.execute(statement.sql, statement.args(position, offset + limit))
        rows = [dict(zip(names, row, strict=True)) for row in cursor]  # a few keys at most
        return rows[offset:], built

    def is_small(self, table: sa.Table) -> bool:
        """Whether the table has at most SMALL_TABLE keys (read key by key; see above)."""
        return self._small_table_keys(table) is not None

    def all_rows(self, table: sa.Table, position: int) -> list[dict[str, Any]]:
        """Every row of a small table (see is_small) as of `position`."""
        keys = self._small_table_keys(table)
        if keys is None:
            raise ValueError(f"{table.name} has more than {SMALL_TABLE} keys: read it a page at "
                             "a time.")
        if not keys:
            return []
        statement, names = self._small_table_statement(table, keys)
        cursor = self.readmodels.db.execute(statement.sql, statement.args(position, len(keys)))
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def exists(self, table: sa.Table) -> bool:
        """Whether the read-model file has the table yet (a new runner creates it shortly)."""
        if table.name not in self._tables:
            self._tables.update(sa.inspect(self.readmodels.connection).get_table_names())
        return table.name in self._tables

    def _small_table_statement(self, table: sa.Table, keys: list[tuple[Any, ...]]
                               ) -> tuple[CompiledStatement, list[str]]:
        """The statement reading a small table as of a position, compiled once for its keys."""
        cached = self._statements.get(table.name)
        if cached is not None and cached[0] == keys:
            return cached[1], cached[2]
        names = table.info["keys"]
        known = sa.values(*[sa.column(n, table.c[n].type) for n in names],
                          name="known_keys").data(keys).cte("known_keys")
        older = table.alias("older")
        position = sa.bindparam("position", type_=sa.Integer)
        latest = sa.select(sa.func.max(older.c.valid_from)).where(
            *[older.c[n] == known.c[n] for n in names],
            older.c.valid_from <= position).scalar_subquery()
        shown = [c for c in rows_changed_first(table, 0).selected_columns if c.name != "valid_to"]
        query = (sa.select(*shown)
                 .join(known, sa.and_(*[table.c[n] == known.c[n] for n in names]))
                 .where(table.c.valid_from == latest,
                        sa.or_(table.c.valid_to.is_(None), table.c.valid_to > position))
                 .order_by(table.c.valid_from.desc(), *key_order(table))
                 .limit(sa.bindparam("limit")))
        statement = CompiledStatement(query, self.readmodels.engine.dialect, ("position", "limit"))
        columns = [c.name for c in shown]
        self._statements[table.name] = (keys, statement, columns)
        return statement, columns

    def _small_table_keys(self, table: sa.Table) -> list[tuple[Any, ...]] | None:
        """Every key a table ever had, if it had at most SMALL_TABLE of them, else None. Cached
        for KEYS_TTL_S while the table's newest version is the same (a runner adding a key
        writes a newer one: its row is shown at once; a rebuild empties the table); a table
        found to have many keys, for KEYS_TTL_S.

        Found by skipping along the primary key from one key to the next (one seek each), so a
        table of twenty keys and a million versions costs twenty seeks, not a scan; the seeks
        run compiled (SQLAlchemy's execute cost three times SQLite's seek, ~1,200 of them to
        tell five big tables of the demo's read models).
        """
        cached = self._keys.get(table.name)
        fresh = cached is not None and time.monotonic() - cached[0] < KEYS_TTL_S
        if fresh and cached is not None and cached[2] is None:
            return None  # many keys: more of them change nothing until a rebuild
        first, after, newest = self._seeks.get(table.name) or self._compile_seeks(table)
        db = self.readmodels.db
        try:
            latest = db.execute(newest.sql, newest.args()).fetchone()[0]  # one seek on an index
        except sqlite3.OperationalError:  # (no such index: a rebuild dropped it meanwhile)
            latest = None  # not told without reading every version: the keys last 5 s again
        if fresh and cached is not None and cached[1] == latest:
            return cached[2]
        keys: list[tuple[Any, ...]] = []
        row = db.execute(first.sql, first.args()).fetchone()
        while row is not None and len(keys) <= SMALL_TABLE:
            keys.append(tuple(row))
            row = db.execute(after.sql, after.args(*row)).fetchone()
        result = keys if len(keys) <= SMALL_TABLE else None
        self._keys[table.name] = (time.monotonic(), latest, result)
        return result

    def _compile_seeks(self, table: sa.Table,
                       ) -> tuple[CompiledStatement, CompiledStatement, CompiledStatement]:
        """The statements reading a table's first key, the key after a given one, and the
        newest version's valid_from (ix_NAME_valid_from: one seek; on a file, by that index
        alone: while a rebuild has dropped it, max() would read every version at each look,
        so the statement fails instead). The key
        after is sought past the given key's newest version, on the whole primary key (keys,
        valid_from): sought on the keys alone, SQLite stepped through every version of a key
        of two columns (522 us for a day of revenue_per_day with 7,884 versions; 7 us so)."""
        columns = [table.c[c] for c in table.info["keys"]]
        names = tuple(f"after_{c.name}" for c in columns)
        dialect = self.readmodels.engine.dialect
        whole = [*columns, table.c.valid_from]
        past = sa.tuple_(*[sa.bindparam(n) for n in names], sa.literal(LATEST, sa.Integer))
        seeks = (CompiledStatement(sa.select(*columns).order_by(*whole).limit(1), dialect),
                 CompiledStatement(sa.select(*columns).where(sa.tuple_(*whole) > past)
                                   .order_by(*whole).limit(1), dialect, names),
                 CompiledStatement(sa.text(
                     f'SELECT max(valid_from) FROM "{table.name}" INDEXED BY '  # our own names
                     f'"ix_{table.name}_valid_from"') if dialect.name == "sqlite"
                     else sa.select(sa.func.max(table.c.valid_from)), dialect))
        self._seeks[table.name] = seeks
        return seeks
