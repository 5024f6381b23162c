"""A read model's row versions in memory, for find-when: a condition on them evaluated at once.

Find-when on a read model's rows or the sagas (explorer.timetravel.when) is answered in SQL by
one grouped scan of every version (explorer.projections.switches): on the sagas of a
million-event store, 910,883 versions, ~300 ms for a condition that holds for many of them,
whatever the index. Here the versions' narrow columns (the keys, valid_from, valid_to and every
value column but the wide ones, such as a saga's steps as JSON) are read once per read-model
checkpoint into numpy arrays, in primary-key order:

- each column as codes into its distinct values, sorted in SQLite's order (numbers before text,
  NULL apart), so that a comparison is decided once a distinct value (`=`, `<` and the like by
  bisection; `contains` by one search in all of them joined; `exists` by the condition's own
  test; with `predicate`'s meaning, which is SQL's: explorer.timetravel.conditions) and spread
  to every version by its code;
- and, or and not in three-valued logic on whole arrays (0 false, 1 unknown, 2 true: and is the
  minimum, or the maximum, not 2 - truth);
- the switches as explorer.projections.switches finds them: a satisfying version makes the
  condition become true where it begins unless the version before it (same key, ending where it
  begins) satisfies it too, and false where it ends unless the next one does (or it is current).

Memory, on that store's sagas (910,883 versions; 606,669 distinct updated_at, 75,000 saga and
order ids): ~120 MB kept (the arrays ~43 MB, the distinct values as Python objects the rest:
updated_at's texts alone ~53 MB), ~220 MB at the peak of reading them. Reading them takes
seconds (5-13 s on a shared machine under load 4-5, ~3 s of it SQLite's rows alone, half of the
rest the garbage collector walking the rows), so they are read at the second search at the same
checkpoint (LOAD_AT): a read model being built moves on between searches, and reloading at each
would cost more than the scan in SQL; at rest (a store opened to debug it) every later search is
answered here. A condition naming a column not kept (a wide one, or one of a type whose stored
values are not plainly numbers or text) is left to SQL.
"""

from __future__ import annotations

import heapq
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.projections.switches import OrderedSwitch, version_batches, version_count
from explorer.store.content_filter import Comparison, Logical, comparisons
from explorer.timetravel.conditions import (
    ORDERED_OPERATORS,
    column_affinities,
    contained_text,
    literal_order_key,
    row_value_test,
)

LOAD_AT = 2
"""The search at one checkpoint of a read model that reads its versions into memory (the ones
before it search in SQL)."""
_FALSE, _UNKNOWN, _TRUE = 0, 1, 2
_TRUTH = {False: _FALSE, None: _UNKNOWN, True: _TRUE}
_BY_PLACE = {"=": (_FALSE, _TRUE, _FALSE), "!=": (_TRUE, _FALSE, _TRUE),
             "<": (_TRUE, _FALSE, _FALSE), "<=": (_TRUE, _TRUE, _FALSE),
             ">": (_FALSE, _FALSE, _TRUE), ">=": (_FALSE, _TRUE, _TRUE)}
"""A comparison's truth for the values below the literal, equal to it and above it."""
OPEN_END = int(np.iinfo(np.int64).max)
"""valid_to of a current version, in the batches RowArrays reads."""
_SEPARATOR = "\0"
PIECE = 20_000
"""Values sorted, or numbered, by one call that holds the interpreter's lock: a longer one
stalls the window's GUI thread (a sort of updated_at's 606,669 texts at once: ~0.4 s)."""
_PLAIN_TYPES = {int, float, str, type(None)}
_KEPT_TYPES = (sa.Integer, sa.Float, sa.Numeric, sa.String)
"""Column types whose stored values are numbers or text alone, one number class to a column
(SQLite's affinity makes an integer column's 1.0 an integer, a real column's 1 a real)."""

Condition = Comparison | Logical
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Column:
    values: list[Any]
    """The distinct values other than NULL, in SQLite's order: the numbers, then the texts."""
    numbers: int
    """How many of them are numbers."""
    codes: np.ndarray
    """Each version's value, as its index in `values` (len(values) for NULL)."""

    def place(self, wanted: tuple[int, int | float | str]) -> tuple[int, int]:
        """Where a value (its sql_order_key) falls among `values`: the first index not below
        it, the first above it."""
        number_class, value = wanted
        low, high = (0, self.numbers) if number_class == 0 else (self.numbers, len(self.values))
        return (bisect_left(self.values, value, low, high),
                bisect_right(self.values, value, low, high))


class _Texts:
    """Values as `contains` looks into them (contained_text), in one text, NUL between them:
    a needle is looked for once in it (not once a value), and where it is found says in which
    values (those whose text begins at or before it, the last of them)."""

    def __init__(self, values: list[Any]) -> None:
        texts = list(map(str, values))  # as _text gives numbers and texts
        self.text = contained_text(_SEPARATOR.join(texts))  # lowering keeps the lengths
        self.lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        self.starts = np.cumsum(self.lengths + 1) - (self.lengths + 1)

    def containing(self, needle: str) -> np.ndarray:
        """Whether each value contains `needle` (already as contained_text gives it)."""
        found = np.zeros(len(self.starts), dtype=bool)
        if not needle or _SEPARATOR in needle:  # in every value; or found across two
            ends = (self.starts + self.lengths).tolist()
            found[:] = [needle in self.text[start:end]
                        for start, end in zip(self.starts.tolist(), ends, strict=True)]
            return found
        at = np.fromiter((match.start() for match in re.finditer(re.escape(needle),
                                                                 self.text)), np.int64)
        found[np.searchsorted(self.starts, at, side="right") - 1] = True
        return found


class RowArrays:
    """Every version of a versioned table at one checkpoint, as arrays (see the module)."""

    def __init__(self, table: sa.Table, batches: Iterable[Sequence[tuple[Any, ...]]],
                 columns: Sequence[str]) -> None:
        self.table = table
        self.affinities = column_affinities(table)
        key_names = table.info["keys"]
        key_index: dict[Any, int] = {}
        distinct: list[dict[Any, int]] = [{} for _ in columns]
        key_parts, begins, ends = [], [], []
        code_parts: list[list[np.ndarray]] = [[] for _ in columns]
        for batch in batches:
            values = list(zip(*batch, strict=True))
            keys = (values[0] if len(key_names) == 1
                    else list(zip(*values[:len(key_names)], strict=True)))
            key_parts.append(_coded(key_index, keys))
            begins.append(np.array(values[len(key_names)], dtype=np.int64))
            ends.append(np.array(values[len(key_names) + 1], dtype=np.int64))
            for number, stored in enumerate(values[len(key_names) + 2:]):
                code_parts[number].append(_coded(distinct[number], stored))
        self.size = sum(map(len, begins))
        in_order = _sorted_in_pieces(list(key_index))
        ranks = _ranked(key_index, in_order)
        self.keys: list[tuple[Any, ...]] = (in_order if len(key_names) > 1
                                            else [(key,) for key in in_order])
        """Every key (its values), in order: the versions' key_codes index it."""
        self.key_codes = ranks[_joined(key_parts)].astype(np.min_scalar_type(len(in_order)))
        self.begins, self.ends = _joined(begins), _joined(ends)
        self.columns: dict[str, _Column] = {}
        for number, name in enumerate(key_names):
            if isinstance(table.c[name].type, _KEPT_TYPES):
                index: dict[Any, int] = {}
                of_key = _coded(index, [key[number] for key in self.keys])
                column = _column(index, of_key[self.key_codes])
                if column is not None:
                    self.columns[name] = column
        for name in columns:  # one at a time, each one's distinct values let go once done
            column = _column(distinct.pop(0), _joined(code_parts.pop(0)))
            if column is not None:
                self.columns[name] = column
        self._contained: dict[str, _Texts] = {}
        self._same_key_next = np.zeros(self.size, dtype=bool)
        """Whether the next version is of the same key and begins where this one ends."""
        self._same_key_next[:-1] = ((self.key_codes[1:] == self.key_codes[:-1])
                                    & (self.begins[1:] == self.ends[:-1]))

    def answers(self, condition: Condition) -> bool:
        """Whether every column the condition names is kept here."""
        return all(c.field in self.columns for c in comparisons(condition))

    def switches(self, condition: Condition, after: int, *, first_only: bool,
                 limit: int | None) -> list[OrderedSwitch]:
        """What explorer.projections.switches.ordered_row_switches gives, from the arrays."""
        holds = self.truth(condition) == _TRUE
        continued = np.zeros(self.size, dtype=bool)
        continued[1:] = self._same_key_next[:-1] & holds[:-1]
        became_true = np.flatnonzero(holds & ~continued & (self.begins > after))
        if first_only:
            if not len(became_true):
                return []
            positions = self.begins[became_true]
            first = became_true[positions == positions.min()]
            index = int(first[np.argmin(self.key_codes[first])])
            return [(int(self.begins[index]), self.keys[self.key_codes[index]], True)][:limit]
        goes_on = np.zeros(self.size, dtype=bool)
        goes_on[:-1] = self._same_key_next[:-1] & holds[1:]
        became_false = np.flatnonzero(holds & ~goes_on & (self.ends != OPEN_END)
                                      & (self.ends > after))
        positions = np.concatenate((self.begins[became_true], self.ends[became_false]))
        keys = np.concatenate((self.key_codes[became_true],
                               self.key_codes[became_false])).astype(np.int64)
        became = np.concatenate((np.ones(len(became_true), dtype=np.int64),
                                 np.zeros(len(became_false), dtype=np.int64)))
        positions, keys, became = _sorted_switches(positions, keys, became, len(self.keys),
                                                   limit)
        key_of = self.keys.__getitem__
        return list(zip(positions.tolist(), map(key_of, keys.tolist()),
                        became.astype(bool).tolist(), strict=True))

    def truth(self, condition: Condition) -> np.ndarray:
        """The condition's truth for each version: _FALSE, _UNKNOWN or _TRUE."""
        if isinstance(condition, Logical):
            parts = [self.truth(part) for part in condition.parts]
            if condition.op == "not":
                negated: np.ndarray = np.subtract(_TRUE, parts[0], dtype=np.int8)
                return negated
            combine = np.minimum if condition.op == "and" else np.maximum
            joined: np.ndarray = combine.reduce(parts)
            return joined
        column = self.columns[condition.field]
        spread: np.ndarray = self._decided(column, condition)[column.codes]
        return spread

    def _contained_texts(self, name: str, column: _Column) -> _Texts:
        """The column's distinct values as `contains` looks into them, made at its first
        `contains` and kept (updated_at's on the sagas above: ~21 MB more)."""
        texts = self._contained.get(name)
        if texts is None:
            texts = self._contained[name] = _Texts(column.values)
        return texts

    def _decided(self, column: _Column, comparison: Comparison) -> np.ndarray:
        """The comparison's truth for each distinct value, then NULL."""
        affinity = self.affinities.get(comparison.field)
        test = row_value_test(comparison, affinity)
        count = len(column.values)
        truths = np.empty(count + 1, dtype=np.int8)
        truths[count] = _TRUTH[test(None)]
        if comparison.op == "contains":
            texts = self._contained_texts(comparison.field, column)
            truths[:count] = texts.containing(contained_text(comparison.value)) * _TRUE
            return truths
        if comparison.op not in ORDERED_OPERATORS or comparison.value is None:
            truths[:count] = [_TRUTH[test(value)] for value in column.values]
            return truths
        low, high = column.place(literal_order_key(comparison, affinity))
        below, equal, above = _BY_PLACE[comparison.op]
        truths[:low] = below
        truths[low:high] = equal
        truths[high:count] = above
        return truths


def _sorted_switches(positions: np.ndarray, keys: np.ndarray, became: np.ndarray,
                     key_count: int, limit: int | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first `limit` switches (all with None) in order: by position, key, then became
    (false first). One number a switch to sort when positions and keys fit in one int64 (a
    partition first when only some are kept), else three sort keys."""
    span = 2 * max(key_count, 1)
    if not len(positions) or int(positions.max()) >= (1 << 62) // span:
        order = np.lexsort((became, keys, positions))[:limit]
        return positions[order], keys[order], became[order]
    ordered = (positions * key_count + keys) * 2 + became
    if limit is not None and limit < len(ordered):
        ordered = np.partition(ordered, limit - 1)[:limit]
    ordered.sort()
    positions, rest = np.divmod(ordered, span)
    keys, became = np.divmod(rest, 2)
    return positions, keys, became


def _coded(index: dict[Any, int], stored: Sequence[Any]) -> np.ndarray:
    """Each stored value's number in `index`, where the values not met before are added."""
    met = set(stored).difference(index)  # over the batch's values only
    index.update(zip(met, count(len(index))))
    return np.fromiter(map(index.__getitem__, stored), np.int32, len(stored))


def _column(index: dict[Any, int], codes: np.ndarray) -> _Column | None:
    """A column from its distinct values (as numbered in `index`) and its versions' numbers;
    None if it holds other values than numbers and text."""
    if not set(map(type, index)) <= _PLAIN_TYPES:
        return None
    numbers = _sorted_in_pieces([value for value in index
                                 if value is not None and type(value) is not str])
    values = numbers + _sorted_in_pieces([value for value in index if type(value) is str])
    if None in index:
        index[None] = len(values)
    ranks = _ranked(index, values)
    return _Column(values, len(numbers), ranks[codes].astype(np.min_scalar_type(len(values))))


def _sorted_in_pieces(values: list[Any]) -> list[Any]:
    """sorted(values), PIECE at a time, then merged."""
    if len(values) <= PIECE:
        return sorted(values)
    return list(heapq.merge(*(sorted(values[start:start + PIECE])
                              for start in range(0, len(values), PIECE))))


def _ranked(index: dict[Any, int], in_order: list[Any]) -> np.ndarray:
    """ranks[n]: where the value `index` numbered n is in `in_order` (its values sorted, and
    NULL numbered already); `index` numbers them so from then on (the same dict: no second)."""
    first_met = list(index)
    for start in range(0, len(in_order), PIECE):
        index.update(zip(in_order[start:start + PIECE], count(start)))
    return _joined([np.fromiter(map(index.__getitem__, first_met[start:start + PIECE]),
                                np.int64) for start in range(0, len(first_met), PIECE)])


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass
class _Kept:
    checkpoint: int
    searches: int = 0
    arrays: RowArrays | None = None


@dataclass
class _Memory:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tables: WeakKeyDictionary[ReadModelDatabase, dict[str, _Kept]] = field(
        default_factory=WeakKeyDictionary)


_MEMORY = _Memory()
"""Each open read-model file's tables in memory (forgotten with the file's connection)."""


def kept_columns(table: sa.Table) -> list[str]:
    """The value columns kept in memory: not the wide ones, and of a type kept."""
    wide = set(table.info.get("wide", ()))
    return [name for name in table.info["values"]
            if name not in wide and isinstance(table.c[name].type, _KEPT_TYPES)]


def row_arrays(readmodels: ReadModelDatabase, table: sa.Table, checkpoint: int,
               condition: Condition, progress: Progress | None = None) -> RowArrays | None:
    """The table's versions in memory at `checkpoint` if this search is to use them (see the
    module: LOAD_AT), read now if need be (`progress(versions read, versions)` between batches;
    what it raises, such as Cancelled, stops the reading, and a later search reads again);
    None to search in SQL."""
    columns = kept_columns(table)
    if not all(c.field in columns or c.field in table.info["keys"]
               for c in comparisons(condition)):
        return None
    with _MEMORY.lock:
        tables = _MEMORY.tables.setdefault(readmodels, {})
        kept = tables.get(table.name)
        if kept is None or kept.checkpoint != checkpoint:
            kept = tables[table.name] = _Kept(checkpoint)
        kept.searches += 1
        if kept.arrays is None and kept.searches < LOAD_AT:
            return None
    if kept.arrays is None:
        kept.arrays = read_row_arrays(readmodels, table, progress)
    return kept.arrays if kept.arrays.answers(condition) else None


def read_row_arrays(readmodels: ReadModelDatabase, table: sa.Table,
                    progress: Progress | None = None) -> RowArrays:
    """Every version of `table` in memory, as it is in the file now."""
    columns = kept_columns(table)
    batches = version_batches(readmodels, table, columns, OPEN_END)
    if progress is not None:
        batches = _reported(batches, version_count(readmodels, table), progress)
    return RowArrays(table, batches, columns)


def _reported(batches: Iterator[list[tuple[Any, ...]]], total: int, progress: Progress
              ) -> Iterator[list[tuple[Any, ...]]]:
    done = 0
    for batch in batches:
        progress(done, total)
        yield batch
        done += len(batch)
