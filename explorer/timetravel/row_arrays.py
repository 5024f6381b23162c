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

Reading them numbers each column's values as they come (one dict.setdefault call a batch, a
value numbered by the first version that had it), then sorts each column's distinct values
once: in numpy where it can (texts as fixed-width unicode, numbers of one class), which lets go
of the interpreter's lock while it sorts, otherwise PIECE at a time in Python, merged. No call
holds the lock for long (the window's GUI thread waits for it: a sort of updated_at's 606,669
texts at once held it ~0.4 s), and few Python objects outlive a batch. On that store's sagas
(910,883 versions; 606,669 distinct updated_at, 75,000 saga and order ids), at load ~6.5 on 2
cores: ~8 s (18 s before: ~3.5 s of it SQLite's rows alone), the longest wait of a thread for
the lock ~80 ms (~190); ~120 MB kept, the numpy copy of updated_at's texts (~60 MB) at the
peak. So they are read at the second search at the same checkpoint (LOAD_AT): a read model
being built moves on between searches, and reloading at each would cost more than the scan in
SQL; at rest (a store opened to debug it) every later search is answered here. Once read, a
later checkpoint (a live store's read model moving on) extends them with what was written
since (RowArrays.extended: the versions begun after the last position they know, and the ends
of those ended after it; two searches of the position index, their distinct values merged in):
0.3, 0.6, 1.2 s on the sagas above for the last 1,000, 10,000, 100,000 positions (load ~9), not
~8 s to read them all again; an earlier checkpoint, or counts that do not add up (a rebuilt table),
starts over. A condition naming a column not kept (a wide one, or one of a type whose stored
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
PIECE = 5_000
"""Values sorted, copied or typed by one call that holds the interpreter's lock: a longer one
stalls the window's GUI thread."""
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
        keys_met = _Met()
        met = [_Met() for _ in columns]
        begins, ends = [], []
        size = 0
        for batch in batches:
            if not batch:
                continue
            values = list(zip(*batch, strict=True))
            keys_met.add(values[0] if len(key_names) == 1
                         else list(zip(*values[:len(key_names)], strict=True)), size)
            begins.append(np.array(values[len(key_names)], dtype=np.int64))
            ends.append(np.array(values[len(key_names) + 1], dtype=np.int64))
            for number, stored in enumerate(values[len(key_names) + 2:]):
                met[number].add(stored, size)
            size += len(batch)
        self.size = size
        key_column = (_column(keys_met, size) if len(key_names) == 1
                      else _tuple_column(keys_met, size))
        assert key_column is not None  # keys are numbers or text (a tuple of them)
        self.columns: dict[str, _Column] = {}
        for name in columns:  # one at a time, each one's distinct values let go once done
            column = _column(met.pop(0), size)
            if column is not None:
                self.columns[name] = column
        self._set(key_column, len(keys_met.index) > len(key_column.values), _joined(begins),
                  _joined(ends), columns)

    def _set(self, key_column: _Column, null_key: bool, begins: np.ndarray, ends: np.ndarray,
             value_names: Sequence[str], keys: list[tuple[Any, ...]] | None = None) -> None:
        """The rest, from the versions' keys (in a column of their own: single values or
        tuples; `keys` as tuples, if made already), begins, ends and the value columns kept
        (already in self.columns)."""
        key_names = self.table.info["keys"]
        self.size = len(begins)
        self.value_names = list(value_names)
        self._key_column = key_column
        self._null_key = null_key
        self.keys: list[tuple[Any, ...]] = (
            keys if keys is not None else key_column.values if len(key_names) > 1
            else [(key,) for key in key_column.values])
        """Every key (its values), in order: the versions' key_codes index it."""
        if null_key:  # a NULL key, last
            self.keys.append((None,))
        self.key_codes = key_column.codes
        self.begins, self.ends = begins, ends
        self.through = max(int(begins.max(initial=-1)),
                           int(ends[ends != OPEN_END].max(initial=-1)))
        """The last position these versions know of: the changes after it are those written
        since (a read model's runner writes only after its checkpoint)."""
        for number, name in enumerate(key_names):
            if len(key_names) == 1 and isinstance(self.table.c[name].type, _KEPT_TYPES):
                self.columns[name] = key_column  # its values and NULL as a column's
            elif isinstance(self.table.c[name].type, _KEPT_TYPES):
                of_key = _Met()
                of_key.add([key[number] for key in self.keys], 0)
                column = _column(of_key, len(self.keys))
                if column is not None:
                    self.columns[name] = _Column(column.values, column.numbers,
                                                 column.codes[self.key_codes])
        self._contained: dict[str, _Texts] = {}
        self._same_key_next = np.zeros(self.size, dtype=bool)
        """Whether the next version is of the same key and begins where this one ends."""
        self._same_key_next[:-1] = ((self.key_codes[1:] == self.key_codes[:-1])
                                    & (self.begins[1:] == self.ends[:-1]))

    def extended(self, changes: Sequence[tuple[Any, ...]], total: int) -> RowArrays | None:
        """These versions and the changes written since `through` (as version_batches gives
        them with `since`: the versions begun after it, and those ended after it), as a new
        RowArrays; None if they do not add up to `total` versions (the table was rebuilt, or
        written to between the count and the changes: read it all again)."""
        width = len(self.table.info["keys"])
        added = [row for row in changes if row[width] > self.through]
        if self.size + len(added) != total or self._null_key:
            return None
        keys = [row[0] if width == 1 else tuple(row[:width]) for row in changes]
        merged = _merged(self._key_column, keys, tuples=width > 1)
        if merged is None:
            return None
        key_column, key_ranks, change_keys = merged
        old_keys = key_ranks[self.key_codes]
        ends = self.ends.copy()
        for row, key in zip(changes, change_keys, strict=True):
            if row[width] <= self.through:  # ended since
                low, high = np.searchsorted(old_keys, [key, key + 1])
                at = int(low + np.searchsorted(self.begins[low:high], row[width]))
                if at == high or self.begins[at] != row[width]:
                    return None  # not one of these versions: rebuilt
                ends[at] = row[width + 1]
        key_codes = np.concatenate((old_keys, np.array(
            [key for row, key in zip(changes, change_keys, strict=True)
             if row[width] > self.through], dtype=np.int64)))
        begins = np.concatenate((self.begins, np.array([row[width] for row in added],
                                                       dtype=np.int64)))
        order = _key_order(key_codes, begins)
        arrays = RowArrays.__new__(RowArrays)
        arrays.table, arrays.affinities, arrays.columns = self.table, self.affinities, {}
        for number, name in enumerate(self.value_names):
            column = self.columns.get(name)
            merged = None if column is None else _merged(
                column, [row[width + 2 + number] for row in added], tuples=False)
            if column is not None and merged is not None:
                values, ranks, codes = merged
                arrays.columns[name] = _Column(values.values, values.numbers, np.concatenate(
                    (ranks[column.codes], np.array(codes, dtype=np.int64)))[order].astype(
                        np.min_scalar_type(len(values.values))))
        key_column = _Column(key_column.values, key_column.numbers, key_codes[order].astype(
            np.min_scalar_type(len(key_column.values))))
        ends = np.concatenate((ends, np.array([row[width + 1] for row in added],
                                              dtype=np.int64)))
        same_keys = key_column.values is self._key_column.values
        arrays._set(key_column, False, begins[order], ends[order], self.value_names,
                    self.keys if same_keys else None)
        return arrays

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


class _Met:
    """A column's values as met in the versions read: each distinct one numbered by the first
    version that had it (its place among all the versions read), so that one call a batch
    numbers its values (dict.setdefault with the versions' places), and each version's number."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.parts: list[np.ndarray] = []

    def add(self, stored: Sequence[Any], first: int) -> None:
        """The values of the versions from place `first` on."""
        dtype = np.int32 if first + len(stored) <= np.iinfo(np.int32).max else np.int64
        self.parts.append(np.fromiter(map(self.index.setdefault, stored, count(first)), dtype,
                                      len(stored)))

    def codes(self, size: int, order: np.ndarray) -> np.ndarray:
        """Each version's value as its rank in `order` (places in the distinct values, as
        met, in order; the one left out, NULL, ranked last), of `size` versions."""
        numbers = np.fromiter(self.index.values(), np.int64, len(self.index))
        rank_of = np.full(size, len(order), dtype=np.min_scalar_type(len(order)))
        rank_of[numbers[order]] = np.arange(len(order))
        codes: np.ndarray = rank_of[_joined(self.parts)]
        return codes


def _column(met: _Met, size: int) -> _Column | None:
    """A column from its values as met in `size` versions; None if it holds other values than
    numbers and text."""
    values = list(met.index)
    types: set[type] = set()
    for start in range(0, len(values), PIECE):
        types.update(map(type, values[start:start + PIECE]))
    if not types <= _PLAIN_TYPES:
        return None
    order, numbers = _sql_order(values, types)
    return _Column(_picked(values, order), numbers, met.codes(size, order))


def _tuple_column(met: _Met, size: int) -> _Column:
    """The keys of a table of several key columns: tuples, in Python's order."""
    values = list(met.index)
    order = np.fromiter(_python_order(values), np.int64, len(values))
    return _Column(_picked(values, order), 0, met.codes(size, order))


def _sql_order(values: list[Any], types: set[type]) -> tuple[np.ndarray, int]:
    """The places of `values` (numbers and text, each once) but NULL's, in SQLite's order:
    the numbers, then the texts; and how many numbers. Sorted in numpy (which lets go of the
    interpreter's lock while it sorts) where it can be, in pieces in Python otherwise."""
    kinds = types - {type(None)}
    everything = np.arange(len(values))
    if type(None) in types:
        everything = np.delete(everything, values.index(None))
    if kinds <= {str}:
        numbers, texts = everything[:0], everything
    elif kinds <= {int, float}:
        numbers, texts = everything, everything[:0]
    else:
        numbers = np.fromiter((place for place, value in enumerate(values)
                               if type(value) in (int, float)), np.int64)
        texts = np.fromiter((place for place, value in enumerate(values)
                             if type(value) is str), np.int64)
    number_kinds = kinds - {str}
    if number_kinds in ({int}, {float}):
        dtype = np.int64 if number_kinds == {int} else np.float64
        numbers = numbers[np.argsort(_array(_picked(values, numbers), dtype), kind="stable")]
    else:
        numbers = numbers[np.fromiter(_python_order(_picked(values, numbers)), np.int64,
                                      len(numbers))]
    return np.concatenate((numbers, texts[_text_order(_picked(values, texts))])), len(numbers)


TEXT_ARRAY_BYTES = 128 << 20
"""The most memory texts are copied into to be sorted in numpy (4 bytes a character of the
longest, for each); more are sorted in Python."""


def _text_order(texts: list[str]) -> np.ndarray:
    """The order of `texts` (places): in numpy as fixed-width unicode, which sorts as SQLite's
    BINARY collation does (code points, as UTF-8's bytes), unless a text holds a NUL (numpy
    drops those at the end) or the copy would be too big."""
    longest = 0
    for start in range(0, len(texts), PIECE):
        piece = texts[start:start + PIECE]
        longest = max(longest, max(map(len, piece)))
        if _SEPARATOR in "".join(piece) or longest * 4 * len(texts) > TEXT_ARRAY_BYTES:
            return np.fromiter(_python_order(texts), np.int64, len(texts))
    order: np.ndarray = np.argsort(_array(texts, np.dtype(f"U{max(longest, 1)}")),
                                   kind="stable")
    return order


def _array(values: list[Any], dtype: Any) -> np.ndarray:
    """np.array(values, dtype), PIECE values to a call."""
    array = np.empty(len(values), dtype=dtype)
    for start in range(0, len(values), PIECE):
        array[start:start + PIECE] = values[start:start + PIECE]
    return array


def _python_order(values: list[Any]) -> Iterator[int]:
    """The places of `values` in sorted order: PIECE sorted at a time, then merged."""
    at = values.__getitem__
    pieces = [sorted(range(start, min(start + PIECE, len(values))), key=at)
              for start in range(0, len(values), PIECE)]
    return heapq.merge(*pieces, key=at) if len(pieces) > 1 else iter(pieces[0] if pieces else ())


def _picked(values: list[Any], places: np.ndarray) -> list[Any]:
    """values[place] for each place, PIECE to a call."""
    picked: list[Any] = []
    for start in range(0, len(places), PIECE):
        picked += map(values.__getitem__, places[start:start + PIECE].tolist())
    return picked


def _key_order(key_codes: np.ndarray, begins: np.ndarray) -> np.ndarray:
    """The versions' order by key, then start: one stable sort of one number a version when
    they fit in it (versions already in order, then the new ones: two runs, merged), else
    numpy's lexsort."""
    span = int(begins.max(initial=0)) + 1
    if len(key_codes) and span * (int(key_codes.max()) + 1) < 1 << 62:
        order: np.ndarray = np.argsort(key_codes.astype(np.int64) * span + begins, kind="stable")
        return order
    return np.lexsort((begins, key_codes))


def _merged(column: _Column, wanted: list[Any], *, tuples: bool
            ) -> tuple[_Column, np.ndarray, list[int]] | None:
    """The column's values with those of `wanted` not among them, in order (SQLite's; Python's
    for tuples), without codes; each old value's new rank (and NULL's, last); each wanted
    value's rank. None if a wanted value is not a number, text or NULL."""
    values = column.values
    distinct = list(dict.fromkeys(value for value in wanted if value is not None))
    if not tuples and not set(map(type, distinct)) <= _PLAIN_TYPES:
        return None

    def place(value: Any) -> tuple[int, int]:
        if tuples:
            return bisect_left(values, value), bisect_right(values, value)
        return column.place((1 if type(value) is str else 0, value))

    found, fresh = {}, []
    for value in distinct:
        low, high = place(value)
        if high > low:
            found[value] = low
        else:
            fresh.append(value)
    if not fresh:  # the same values (the same list)
        null = len(values)
        return (_Column(values, column.numbers, np.zeros(0, dtype=np.int64)),
                np.arange(len(values) + 1),
                [null if value is None else found[value] for value in wanted])
    if tuples:
        fresh.sort()
    else:
        fresh = _picked(fresh, _sql_order(fresh, set(map(type, fresh)))[0])
    at = np.array([place(value)[0] for value in fresh], dtype=np.int64)
    old = np.arange(len(values) + 1)
    ranks = old + np.searchsorted(at, old, side="right")
    rank = {value: int(ranks[low]) for value, low in found.items()}
    rank.update((value, int(low) + number) for number, (value, low) in enumerate(zip(
        fresh, at.tolist(), strict=True)))
    joined: list[Any] = []
    start = 0
    for value, low in zip(fresh, at.tolist(), strict=True):
        joined += values[start:low]
        joined.append(value)
        start = low
    joined += values[start:]
    null = len(joined)
    numbers = column.numbers + sum(type(value) is not str for value in fresh)
    return (_Column(joined, numbers, np.zeros(0, dtype=np.int64)), ranks,
            [null if value is None else rank[value] for value in wanted])


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
        moved = kept is not None and kept.checkpoint != checkpoint
        if kept is None or (moved and (kept.arrays is None or kept.checkpoint > checkpoint)):
            kept = tables[table.name] = _Kept(checkpoint)
            moved = False
        kept.searches += 1
        if kept.arrays is None and kept.searches < LOAD_AT:
            return None
    if moved:
        assert kept.arrays is not None
        arrays = extended_row_arrays(readmodels, table, kept.arrays)
        with _MEMORY.lock:
            kept = tables[table.name] = _Kept(checkpoint, kept.searches if arrays else 1, arrays)
        if arrays is None:  # rebuilt: as a checkpoint searched once
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


def extended_row_arrays(readmodels: ReadModelDatabase, table: sa.Table,
                        arrays: RowArrays) -> RowArrays | None:
    """`arrays` with the versions written since (RowArrays.extended), or None if the table was
    rebuilt or written to meanwhile."""
    total = version_count(readmodels, table)
    changes = [row for batch in version_batches(readmodels, table, arrays.value_names,
                                                OPEN_END, since=arrays.through)
               for row in batch]
    return arrays.extended(changes, total)


def _reported(batches: Iterator[list[tuple[Any, ...]]], total: int, progress: Progress
              ) -> Iterator[list[tuple[Any, ...]]]:
    done = 0
    for batch in batches:
        progress(done, total)
        yield batch
        done += len(batch)
