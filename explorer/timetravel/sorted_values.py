"""A column's values as explorer.timetravel.row_arrays keeps them: its distinct values in
SQLite's order (the numbers, then the texts; NULL apart), each version's value as its rank.

Read a batch at a time (MetValues: one dict.setdefault call a batch numbers its values, each by
the place of the first version that had it), then sorted once: in numpy where it can (texts as
fixed-width unicode, which sorts as SQLite's BINARY collation, code points as UTF-8's bytes;
integers or floats alone), which lets go of the interpreter's lock while it sorts; PIECE at a
time in Python otherwise, merged. No call holds the lock for long: the window's GUI thread waits
for it. Values met later (a live read model's) are merged in by bisection (`merged_in`).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

import numpy as np

PIECE = 5_000
"""Values sorted, copied or typed by one call that holds the interpreter's lock: a longer one
stalls the window's GUI thread."""
_PLAIN_TYPES = {int, float, str, type(None)}
_NUL = "\0"


@dataclass(frozen=True)
class Column:
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


class MetValues:
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
        codes: np.ndarray = rank_of[concatenated(self.parts)]
        return codes


def column_of(met: MetValues, size: int) -> Column | None:
    """A column from its values as met in `size` versions; None if it holds other values than
    numbers and text."""
    values = list(met.index)
    types: set[type] = set()
    for start in range(0, len(values), PIECE):
        types.update(map(type, values[start:start + PIECE]))
    if not types <= _PLAIN_TYPES:
        return None
    order, numbers = sql_order(values, types)
    return Column(picked(values, order), numbers, met.codes(size, order))


def tuple_column_of(met: MetValues, size: int) -> Column:
    """The keys of a table of several key columns: tuples, in Python's order."""
    values = list(met.index)
    order = np.fromiter(_python_order(values), np.int64, len(values))
    return Column(picked(values, order), 0, met.codes(size, order))


def sql_order(values: list[Any], types: set[type]) -> tuple[np.ndarray, int]:
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
        numbers = numbers[np.argsort(_array(picked(values, numbers), dtype), kind="stable")]
    else:
        numbers = numbers[np.fromiter(_python_order(picked(values, numbers)), np.int64,
                                      len(numbers))]
    return np.concatenate((numbers, texts[_text_order(picked(values, texts))])), len(numbers)


TEXT_ARRAY_BYTES = 128 << 20
"""The most memory texts are copied into to be sorted in numpy (a byte a character of the
longest for each when all are ASCII, else 4); more are sorted in Python."""


def _text_order(texts: list[str]) -> np.ndarray:
    """The order of `texts` (places): in numpy as fixed-width bytes (ASCII) or unicode, which
    sort as SQLite's BINARY collation does (code points, as UTF-8's bytes), unless a text holds
    a NUL (numpy drops those at the end) or the copy would be too big."""
    longest, ascii_only = 1, True
    for start in range(0, len(texts), PIECE):
        piece = texts[start:start + PIECE]
        longest = max(longest, max(map(len, piece)))
        joined = "".join(piece)
        ascii_only = ascii_only and joined.isascii()
        if _NUL in joined:
            return np.fromiter(_python_order(texts), np.int64, len(texts))
    if longest * (1 if ascii_only else 4) * len(texts) > TEXT_ARRAY_BYTES:
        return np.fromiter(_python_order(texts), np.int64, len(texts))
    dtype = np.dtype(f"S{longest}" if ascii_only else f"U{longest}")
    order: np.ndarray = np.argsort(_array(texts, dtype), kind="stable")
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


def picked(values: list[Any], places: np.ndarray) -> list[Any]:
    """values[place] for each place, PIECE to a call."""
    picked: list[Any] = []
    for start in range(0, len(places), PIECE):
        picked += map(values.__getitem__, places[start:start + PIECE].tolist())
    return picked


def merged_in(column: Column, wanted: list[Any], *, tuples: bool
            ) -> tuple[Column, np.ndarray, list[int]] | None:
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
        return (Column(values, column.numbers, np.zeros(0, dtype=np.int64)),
                np.arange(len(values) + 1),
                [null if value is None else found[value] for value in wanted])
    if tuples:
        fresh.sort()
    else:
        fresh = picked(fresh, sql_order(fresh, set(map(type, fresh)))[0])
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
    return (Column(joined, numbers, np.zeros(0, dtype=np.int64)), ranks,
            [null if value is None else rank[value] for value in wanted])


def concatenated(parts: list[np.ndarray]) -> np.ndarray:
    """The parts as one array (an empty one of int64 if none)."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
