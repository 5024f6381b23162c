"""A SQLAlchemy Core statement compiled once for a dialect, run on the DBAPI cursor.

Hot reads and writes (the store's, and the versioned read models') run millions of times: they
execute compiled SQL with positional parameters, since a SQLAlchemy `Connection.execute` per call
would cost more than the database's own work.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

Columns = TypeVarTuple("Columns")
"""The column types of a select and of its rows, for functions that keep them."""


class CompiledStatement:
    """SQL text for one dialect plus the order of its parameters."""

    def __init__(self, statement: sa.ClauseElement, dialect: sa.Dialect,
                 params: tuple[str, ...] = ()) -> None:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a query or a write, so it has no parameters: {statement}")
        self.sql = str(compiled)
        order = tuple(compiled.positiontup or ())
        defaults = compiled.params
        unknown = [name for name in order if name not in params and defaults.get(name) is None]
        if unknown:
            raise ValueError(f"statement parameters {unknown} have no value: {self.sql}")
        # Each slot is either an index into the caller's values or a fixed default (e.g. OFFSET 0),
        # the defaults kept after the values: one C call picks every slot (a parameter named
        # several times, as a stream id in a load's subqueries, is picked again each time).
        fixed = [n for n in dict.fromkeys(order) if n not in params]
        self._defaults = tuple(defaults[n] for n in fixed)
        slots = [params.index(n) if n in params else len(params) + fixed.index(n) for n in order]
        self._direct = order == params
        self._pick = itemgetter(*slots) if len(slots) > 1 else (
            (lambda values: (values[slots[0]],)) if slots else (lambda values: ()))

    @property
    def direct(self) -> bool:
        """True when values in the declared order are the statement's parameters as they are."""
        return self._direct

    def args(self, *values: Any) -> tuple[Any, ...]:
        """The positional parameters for `values`, given in the declared `params` order."""
        if self._direct:
            return values
        return self._pick(values + self._defaults)
