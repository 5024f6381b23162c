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

Each column's distinct values are sorted once, in numpy where it can, so that no call holds
the interpreter's lock for long (the window's GUI thread waits for it), and few Python objects
outlive a batch (explorer.timetravel.sorted_values). On that store's sagas
(910,883 versions; 606,669 distinct updated_at, 75,000 saga and order ids), at load ~6.5 on 2
cores: ~8 s (18 s before: ~3.5 s of it SQLite's rows alone), the longest wait of a thread for
the lock ~80 ms (~190); ~120 MB kept, peak RSS as before (~340 MB: the texts' numpy copy is
ASCII bytes). So they are read at the second search at the same checkpoint (LOAD_AT): a read
model being built moves on between searches, and reloading at each would cost more than the
scan in SQL; at rest (a store opened to debug it) every later search is answered here. Once read, a
later checkpoint (a live store's read model moving on) extends them with what was written
since (RowArrays.extended: the versions begun after the last position they know, and the ends
of those ended after it; two searches of the position index, their distinct values merged in):
0.3, 0.6, 1.2 s on the sagas above for the last 1,000, 10,000, 100,000 positions (load ~9), not
~8 s to read them all again; an earlier checkpoint, or counts that do not add up (a rebuilt table),
starts over. A condition naming a column not kept (a wide one, or one of a type whose stored
values are not plainly numbers or text) is left to SQL.

What is kept is bounded (MAX_VERSIONS_KEPT versions, of every read model of every open file
together), so that memory does not grow with the log: ~125 bytes a version (those sagas: 113 MB
kept, +190 MB at the peak of reading them), where a store of ten million events has ~9 million
saga versions. A table that does not fit in what is left is searched in SQL, as at its first
search: slower, in bounded memory.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload
from weakref import WeakKeyDictionary

import numpy as np
import sqlalchemy as sa

from explorer.projections.database import ReadModelDatabase
from explorer.projections.switches import OrderedSwitch, version_batches, version_count
from explorer.store.content_filter import Comparison, Logical, comparisons, is_number
from explorer.timetravel.conditions import (
    ORDERED_OPERATORS,
    column_affinities,
    contained_text,
    literal_order_key,
    row_value_test,
)
from explorer.timetravel.sorted_values import (
    Column,
    MetValues,
    column_of,
    concatenated,
    merged_in,
    tuple_column_of,
)

LOAD_AT = 2
"""The search at one checkpoint of a read model that reads its versions into memory (the ones
before it search in SQL)."""
MAX_VERSIONS_KEPT = 1_200_000
"""The most versions kept in memory at once, of every table of every open file (see the module):
about 150 MB, with ~100 MB more while a table is read."""
_FALSE, _UNKNOWN, _TRUE = 0, 1, 2
_TRUTH = {False: _FALSE, None: _UNKNOWN, True: _TRUE}
_BY_PLACE = {"=": (_FALSE, _TRUE, _FALSE), "!=": (_TRUE, _FALSE, _TRUE),
             "<": (_TRUE, _FALSE, _FALSE), "<=": (_TRUE, _TRUE, _FALSE),
             ">": (_FALSE, _FALSE, _TRUE), ">=": (_FALSE, _TRUE, _TRUE)}
"""A comparison's truth for the values below the literal, equal to it and above it."""
OPEN_END = int(np.iinfo(np.int64).max)
"""valid_to of a current version, in the batches RowArrays reads."""
_SEPARATOR = "\0"
_KEPT_TYPES = (sa.Integer, sa.Float, sa.Numeric, sa.String)
"""Column types whose stored values are numbers or text alone, one number class to a column
(SQLite's affinity makes an integer column's 1.0 an integer, a real column's 1 a real)."""

Condition = Comparison | Logical
Progress = Callable[[int, int], None]


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
        keys_met = MetValues()
        met = [MetValues() for _ in columns]
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
        key_column = (column_of(keys_met, size) if len(key_names) == 1
                      else tuple_column_of(keys_met, size))
        assert key_column is not None  # keys are numbers or text (a tuple of them)
        self.columns: dict[str, Column] = {}
        for name in columns:  # one at a time, each one's distinct values let go once done
            column = column_of(met.pop(0), size)
            if column is not None:
                self.columns[name] = column
        self._set(key_column, len(keys_met.index) > len(key_column.values), concatenated(begins),
                  concatenated(ends), columns)

    def _set(self, key_column: Column, null_key: bool, begins: np.ndarray, ends: np.ndarray,
             value_names: Sequence[str]) -> None:
        """The rest, from the versions' keys (in a column of their own: single values or
        tuples), begins, ends and the value columns kept (already in self.columns)."""
        key_names = self.table.info["keys"]
        self.size = len(begins)
        self.value_names = list(value_names)
        self._key_column = key_column
        self._null_key = null_key
        self._single_key = len(key_names) == 1
        self.key_count = len(key_column.values) + null_key
        """How many keys there are: the versions' key_codes index them (`key`)."""
        self.key_codes = key_column.codes
        self.begins, self.ends = begins, ends
        self.through = max(int(begins.max(initial=-1)),
                           int(ends[ends != OPEN_END].max(initial=-1)))
        """The last position these versions know of: the changes after it are those written
        since (a read model's runner writes only after its checkpoint)."""
        for number, name in enumerate(key_names):
            if self._single_key and isinstance(self.table.c[name].type, _KEPT_TYPES):
                self.columns[name] = key_column  # its values and NULL as a column's
            elif isinstance(self.table.c[name].type, _KEPT_TYPES):
                of_key = MetValues()
                of_key.add([self.key(code)[number] for code in range(self.key_count)], 0)
                column = column_of(of_key, self.key_count)
                if column is not None:
                    self.columns[name] = Column(column.values, column.numbers,
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
        merged = merged_in(self._key_column, keys, tuples=width > 1)
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
            merged = None if column is None else merged_in(
                column, [row[width + 2 + number] for row in added], tuples=False)
            if column is not None and merged is not None:
                values, ranks, codes = merged
                arrays.columns[name] = Column(values.values, values.numbers, np.concatenate(
                    (ranks[column.codes], np.array(codes, dtype=np.int64)))[order].astype(
                        np.min_scalar_type(len(values.values))))
        key_column = Column(key_column.values, key_column.numbers, key_codes[order].astype(
            np.min_scalar_type(len(key_column.values))))
        ends = np.concatenate((ends, np.array([row[width + 1] for row in added],
                                              dtype=np.int64)))
        arrays._set(key_column, False, begins[order], ends[order], self.value_names)
        return arrays

    def key(self, code: int) -> tuple[Any, ...]:
        """The key (its values) the versions' `key_codes` give as `code`; a NULL key last.
        Made when asked: a tuple a key, kept, would be walked by the window's collector."""
        values = self._key_column.values
        if code == len(values):
            if not self._null_key:
                raise IndexError(code)
            return (None,)
        return (values[code],) if self._single_key else values[code]

    def answers(self, condition: Condition) -> bool:
        """Whether every column the condition names is kept here."""
        return all(c.field in self.columns for c in comparisons(condition))

    def switches(self, condition: Condition, after: int, *, first_only: bool,
                 limit: int | None) -> list[OrderedSwitch]:
        """What explorer.projections.switches.ordered_row_switches gives, from the arrays."""
        positions, keys, became = self.switch_columns(condition, after, first_only=first_only,
                                                      limit=limit)
        return list(zip(positions, keys, became, strict=True))

    def switch_columns(self, condition: Condition, after: int, *, first_only: bool,
                       limit: int | None
                       ) -> tuple[list[int], Sequence[tuple[Any, ...]], list[bool]]:
        """The switches as `switches` gives them, as three columns: positions, keys (made
        when asked: few Python objects for the GUI thread's collector to walk) and ways."""
        holds = self.truth(condition) == _TRUE
        continued = np.zeros(self.size, dtype=bool)
        continued[1:] = self._same_key_next[:-1] & holds[:-1]
        became_true = np.flatnonzero(holds & ~continued & (self.begins > after))
        if first_only:
            if not len(became_true) or limit == 0:
                return [], [], []
            positions = self.begins[became_true]
            first = became_true[positions == positions.min()]
            index = int(first[np.argmin(self.key_codes[first])])
            return [int(self.begins[index])], [self.key(int(self.key_codes[index]))], [True]
        goes_on = np.zeros(self.size, dtype=bool)
        goes_on[:-1] = self._same_key_next[:-1] & holds[1:]
        became_false = np.flatnonzero(holds & ~goes_on & (self.ends != OPEN_END)
                                      & (self.ends > after))
        positions = np.concatenate((self.begins[became_true], self.ends[became_false]))
        keys = np.concatenate((self.key_codes[became_true],
                               self.key_codes[became_false])).astype(np.int64)
        became = np.concatenate((np.ones(len(became_true), dtype=np.int64),
                                 np.zeros(len(became_false), dtype=np.int64)))
        positions, keys, became = _sorted_switches(positions, keys, became, self.key_count,
                                                   limit)
        return positions.tolist(), KeysByCode(self, keys), became.astype(bool).tolist()

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

    def _contained_texts(self, name: str, column: Column) -> _Texts:
        """The column's distinct values as `contains` looks into them, made at its first
        `contains` and kept (updated_at's on the sagas above: ~21 MB more)."""
        texts = self._contained.get(name)
        if texts is None:
            texts = self._contained[name] = _Texts(column.values)
        return texts

    def _decided(self, column: Column, comparison: Comparison) -> np.ndarray:
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
        if comparison.op not in ORDERED_OPERATORS or comparison.value is None or (
                affinity == "string" and is_number(comparison.value)):  # numeric text
            truths[:count] = [_TRUTH[test(value)] for value in column.values]
            return truths
        low, high = column.place(literal_order_key(comparison, affinity))
        below, equal, above = _BY_PLACE[comparison.op]
        truths[:low] = below
        truths[low:high] = equal
        truths[high:count] = above
        return truths


class KeysByCode(Sequence[tuple[Any, ...]]):
    """The keys of switches, by their codes into a RowArrays' keys: each made when asked."""

    def __init__(self, arrays: RowArrays, codes: np.ndarray) -> None:
        self._arrays, self._codes = arrays, codes

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, index: int) -> tuple[Any, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> KeysByCode: ...

    def __getitem__(self, index: int | slice) -> tuple[Any, ...] | KeysByCode:
        if isinstance(index, slice):
            return KeysByCode(self._arrays, self._codes[index])
        return self._arrays.key(int(self._codes[index]))


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


def _key_order(key_codes: np.ndarray, begins: np.ndarray) -> np.ndarray:
    """The versions' order by key, then start: one stable sort of one number a version when
    they fit in it (versions already in order, then the new ones: two runs, merged), else
    numpy's lexsort."""
    span = int(begins.max(initial=0)) + 1
    if len(key_codes) and span * (int(key_codes.max()) + 1) < 1 << 62:
        order: np.ndarray = np.argsort(key_codes.astype(np.int64) * span + begins, kind="stable")
        return order
    return np.lexsort((begins, key_codes))


@dataclass
class _Kept:
    checkpoint: int
    searches: int = 0
    arrays: RowArrays | None = None
    versions: int = 0
    """How many versions are kept (or being read): counted against MAX_VERSIONS_KEPT."""
    too_many: bool = False
    """More versions than fit at this checkpoint: searched in SQL."""


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
        if kept.too_many or (kept.arrays is None and kept.searches < LOAD_AT):
            return None
    total = None if kept.arrays is not None and not moved else version_count(readmodels, table)
    if total is not None and not _make_room(kept, total):
        with _MEMORY.lock:
            kept = tables[table.name] = _Kept(checkpoint, kept.searches, too_many=True)
        return None
    if moved:
        assert kept.arrays is not None and total is not None
        arrays = extended_row_arrays(readmodels, table, kept.arrays, total)
        with _MEMORY.lock:
            kept = tables[table.name] = _Kept(checkpoint, kept.searches if arrays else 1, arrays,
                                              total if arrays else 0)
        if arrays is None:  # rebuilt: as a checkpoint searched once
            return None
    if kept.arrays is None:
        try:
            kept.arrays = read_row_arrays(readmodels, table, progress, total)
        except BaseException:
            kept.versions = 0  # (a later search reads again)
            raise
    return kept.arrays if kept.arrays.answers(condition) else None


def _make_room(kept: _Kept, versions: int) -> bool:
    """Count `versions` for `kept` against MAX_VERSIONS_KEPT, with what every other table keeps;
    False, and nothing counted, if they do not fit."""
    with _MEMORY.lock:
        others = sum(other.versions for tables in _MEMORY.tables.values()
                     for other in tables.values() if other is not kept)
        if others + versions > MAX_VERSIONS_KEPT:
            return False
        kept.versions = versions
        return True


def read_row_arrays(readmodels: ReadModelDatabase, table: sa.Table,
                    progress: Progress | None = None, total: int | None = None) -> RowArrays:
    """Every version of `table` in memory, as it is in the file now (`total`: how many there
    are, if known)."""
    columns = kept_columns(table)
    batches = version_batches(readmodels, table, columns, OPEN_END)
    if progress is not None:
        batches = _reported(batches, version_count(readmodels, table) if total is None
                            else total, progress)
    return RowArrays(table, batches, columns)


def extended_row_arrays(readmodels: ReadModelDatabase, table: sa.Table,
                        arrays: RowArrays, total: int | None = None) -> RowArrays | None:
    """`arrays` with the versions written since (RowArrays.extended), or None if the table was
    rebuilt or written to meanwhile (`total`: how many versions it has now, if known)."""
    if total is None:
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
