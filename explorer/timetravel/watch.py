"""Watch a value over time: a pinned expression's value as of any position, and its history.

A developer debugging a system pins the values that matter and moves through time:

- an aggregate's field: the stream id, then a path into its state (`prod_101.on_hand`,
  `order_0870.lines[0].quantity`);
- a read-model cell: the read model (or `sagas`), a row's key, a column
  (`order_summary[order_0870].status`; a key of several columns joined by `/`);
- a count of rows: `count(order_summary where total > 500)`, `count(sagas where status =
  "failed")`, the condition in the content filter's language over the read model's columns (as
  find-when's, explorer.timetravel.when).

`value_at(watch, position)` reads as of a position (explorer.timetravel.machine); `series(watch)`
gives the steps of the value over the log for a plot, from history, never replaying the world at
each position: a field's from its stream's events (folded once), a cell's from its row's versions,
a count's from the switches of its condition (explorer.projections.watching). Values are plain
JSON values; None where the field, row or stream does not exist (yet).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from explorer.common.field_paths import QUOTED_KEY, quoted_key
from explorer.projections.engine import projection_state_of
from explorer.projections.switches import has_table
from explorer.projections.watching import cell_at, cell_versions, count_at, count_steps
from explorer.store.content_filter import ContentFilter, FilterError, parse_filter
from explorer.store.errors import StreamNotFoundError
from explorer.timetravel.conditions import row_fields
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.when import MAX_CHUNK, SAGAS, FindWhen


def examples(read_models: Sequence[str] = ()) -> str:
    """How each kind of watch is written, with the first of the system's read models if it
    has one (never another system's names)."""
    model = read_models[0] if read_models else "READ_MODEL"
    return (f"STREAM_ID.field (a stream's state), {model}[KEY].column or "
            f"count({model} where CONDITION)")


EXAMPLES = examples()
"""The kinds of watch, for any system."""
_COUNT = re.compile(r"count\s*\((?P<body>.*)\)", re.DOTALL)
_COUNT_BODY = re.compile(r"\s*(?P<target>[\w.-]+)\s+where\s+(?P<condition>.+)",
                         re.DOTALL | re.IGNORECASE)
_CELL = re.compile(r"(?P<target>[\w.-]+)\[(?P<key>.+)\]\.(?P<column>\w+)")
_PATH_STEP = re.compile(r"\.(?P<key>[^.\[\]]+)|\[(?P<index>\d+)\]|(?P<quoted>" + QUOTED_KEY + ")")
_MISSING = object()


class WatchError(ValueError):
    """An expression that names nothing to watch; the message says what was wrong and what to
    write instead."""


@dataclass(frozen=True)
class Watch:
    """A parsed expression: what it reads (`kind` "field", "cell" or "count")."""

    text: str
    kind: str
    target: str
    """The stream id, or the read model's name (the sagas' read model for `sagas`)."""
    path: tuple[str | int, ...] = ()
    key: tuple[Any, ...] = ()
    column: str = ""
    condition: ContentFilter | None = None


@dataclass(frozen=True)
class Series:
    """A watched value over positions: `values[i]` holds from `positions[i]` until the next
    position (a step line). The first step is at `first`, the value as of it."""

    text: str
    positions: tuple[int, ...]
    values: tuple[Any, ...]
    last: int
    built_to: int | None = None
    """A read model's checkpoint: its rows say nothing of positions after it yet."""
    thinned: bool = False
    """More steps than points were asked for: only the lowest, highest and last of each
    stretch are kept (the extremes of a step line survive)."""
    notes: tuple[str, ...] = field(default=())

    def value_at(self, position: int) -> Any:
        index = bisect_right(self.positions, position) - 1
        return self.values[index] if index >= 0 else None

    @property
    def numeric(self) -> bool:
        """Whether every value is a number (or missing): a line can be drawn."""
        return all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                   for v in self.values)


class Watcher:
    """Watches over one store, its read models and its system (through a TimeMachine)."""

    def __init__(self, machine: TimeMachine) -> None:
        self.machine = machine
        self.store = machine.store
        self._finder = FindWhen(machine)

    # -- parsing ---------------------------------------------------------------------------------

    def parse(self, text: str) -> Watch:
        """The expression `text` as a Watch; WatchError (or FilterError, a ValueError) says
        what is wrong."""
        text = text.strip()
        if not text:
            raise WatchError(f"Type a value to watch, such as {self._examples()}.")
        counted = _COUNT.fullmatch(text)
        if counted:
            return self._parse_count(text, counted.group("body"))
        cell = _CELL.fullmatch(text)
        if cell and self._is_read_model(cell.group("target")):
            return self._parse_cell(text, cell.group("target"), cell.group("key").strip(),
                                    cell.group("column"))
        return self._parse_field(text)

    def _examples(self) -> str:
        return examples(list(self.machine.projections))

    def _is_read_model(self, name: str) -> bool:
        return name == SAGAS or name in self.machine.projections

    def _read_model(self, name: str) -> str:
        if name == SAGAS:
            if not self.machine.saga_read_models:
                raise WatchError(f"{self.machine.system.label} has no sagas to watch; name a "
                                 "read model or a stream instead.")
            return self.machine.saga_read_models[0]
        if name not in self.machine.projections:
            known = ", ".join(self.machine.projections) or "none without a system"
            raise WatchError(f"{name!r} is not a read model of {self.machine.system.label} "
                             f"(its read models: {known}), nor `sagas`.")
        return name

    def _table(self, name: str) -> sa.Table:
        return self.machine.projections[name].main_table

    def _parse_count(self, text: str, body: str) -> Watch:
        found = _COUNT_BODY.fullmatch(body)
        if not found:
            raise WatchError("A count is count(READ_MODEL where CONDITION); "
                             f"{body.strip()!r} has no `where`.")
        name = self._read_model(found.group("target"))
        condition = parse_filter(found.group("condition"), row_fields(self._table(name)))
        return Watch(text, "count", name, condition=condition)

    def _parse_cell(self, text: str, target: str, key_text: str, column: str) -> Watch:
        name = self._read_model(target)
        table = self._table(name)
        columns = (*table.info["keys"], *table.info["values"])
        if column not in columns:
            raise WatchError(f"{target} has no column {column!r}; its columns are "
                             f"{', '.join(columns)}.")
        if len(key_text) >= 2 and key_text[0] == key_text[-1] and key_text[0] in "\"'":
            parts = [key_text[1:-1]]
        else:
            parts = key_text.split("/") if len(table.info["keys"]) > 1 else [key_text]
        if len(parts) != len(table.info["keys"]):
            raise WatchError(f"A row of {target} is named by {len(table.info['keys'])} key "
                             f"columns ({', '.join(table.info['keys'])}), joined by /; "
                             f"{key_text!r} has {len(parts)}.")
        key = tuple(_typed(table.c[n], part, target)
                    for n, part in zip(table.info["keys"], parts, strict=True))
        self._check_row(target, name, table, key)
        return Watch(text, "cell", name, key=key, column=column)

    def _check_row(self, target: str, name: str, table: sa.Table, key: tuple[Any, ...]) -> None:
        """Refuse a row the read model, built to the log's end, never had (as a field the
        aggregate never has is): its watch would stay empty, unsaid; mistyped, most likely."""
        readmodels = self.machine.readmodels
        if (readmodels is None or not has_table(readmodels, table)
                or projection_state_of(readmodels, name) < self.store.last_position()
                or cell_versions(readmodels, table, key, table.info["keys"][0])):
            return
        shown = "/".join(map(str, key))
        raise WatchError(f"{target} has never had a row {shown!r}; name one it has (the "
                         "Projections tab lists its rows).")

    def _parse_field(self, text: str) -> Watch:
        cuts = [i for i, char in enumerate(text) if char in ".["]
        if not cuts:
            raise WatchError(f"{text!r} names no field: write the stream id, then a path into "
                             f"its state ({text}.status), or a cell or a count: "
                             f"{self._examples()}.")
        for cut in cuts:
            try:
                info = self.store.stream_info(text[:cut])
            except StreamNotFoundError:
                continue
            path = _path(text[cut:], text[:cut])
            self._check_field(info.stream_type, info.stream_id, path)
            return Watch(text, "field", info.stream_id, path=path)
        stream = text[:cuts[0]]
        models = ", ".join(self.machine.projections) or "none without a system"
        raise WatchError(f"{stream!r} is not a stream of this store, nor a read model "
                         f"({models}); watch a stream's field, a read model's cell or a count, "
                         f"such as {self._examples()}.")

    def _check_field(self, stream_type: str, stream_id: str, path: tuple[str | int, ...]) -> None:
        """Refuse a field the aggregate never has (as find-when does): mistyped, most likely."""
        root = path[0]
        if isinstance(root, int):
            raise WatchError(f"{stream_id}'s state is an object: name a field after the stream "
                             f"id ({stream_id}.status), not an index.")
        known = set(self.machine.domain.reading_class(stream_type)(stream_id).state())
        if root not in known:
            known |= set(self.machine.aggregate_at(stream_id, self.store.last_position()).state)
        if root not in known:
            fields = ", ".join(sorted(known)) or "none"
            raise WatchError(f"{stream_type} {stream_id} has no field {root!r}: its state's "
                             f"fields are {fields}.")

    # -- reading ---------------------------------------------------------------------------------

    def value_at(self, watch: Watch, position: int) -> Any:
        """The watched value just after the event at `position` (None where there is none)."""
        if watch.kind == "field":
            try:
                state = self.machine.aggregate_at(watch.target, position).state
            except StreamNotFoundError:
                return None
            return _value(_follow(state, watch.path))
        readmodels = self.machine.readmodels
        table = self._table(watch.target)
        if readmodels is None or not has_table(readmodels, table):
            return None if watch.kind == "cell" else 0
        if watch.kind == "cell":
            return cell_at(readmodels, table, watch.key, watch.column, position)[1]
        assert watch.condition is not None
        return count_at(readmodels, table, watch.condition.tree, position)

    def series(self, watch: Watch, first: int = 0, last: int | None = None,
               points: int | None = None) -> Series:
        """The value's steps from `first` to `last` (the log's end): the value as of `first`,
        then each position where it changed. At most about `points` steps if given."""
        last = self.store.last_position() if last is None else last
        built_to = None
        notes: list[str] = []
        if watch.kind == "field":
            steps = self._field_steps(watch, last, notes)
        else:
            readmodels = self.machine.readmodels
            table = self._table(watch.target)
            if readmodels is None or not has_table(readmodels, table):
                steps, built_to = [], 0
                notes.append(f"{watch.target} has not been built yet.")
            else:
                built_to = projection_state_of(readmodels, watch.target)
                steps = (_cell_steps(cell_versions(readmodels, table, watch.key, watch.column))
                         if watch.kind == "cell"
                         else count_steps(readmodels, table, _tree(watch)))
        start = None if watch.kind != "count" else 0
        positions, values = _window(steps, first, last, start)
        thinned = points is not None and len(positions) > points
        if thinned:
            assert points is not None
            positions, values = _thin(positions, values, first, last, points)
        return Series(watch.text, tuple(positions), tuple(values), last, built_to, thinned,
                      tuple(notes))

    def _field_steps(self, watch: Watch, last: int, notes: list[str]) -> list[tuple[int, Any]]:
        """The field's value after each of its stream's events that changed it (one fold)."""
        info = self.store.stream_info(watch.target)
        aggregate = self.machine.domain.reading_class(info.stream_type)(watch.target)
        generic = bool(getattr(aggregate, "generic", False))
        steps: list[tuple[int, Any]] = []
        now: Any = None
        version = 0
        while version < info.version:
            chunk = self.store.read_stream(watch.target, from_version=version + 1,
                                           to_version=version + MAX_CHUNK, to_position=last)
            if not chunk:
                break
            for event in chunk:
                data = self._finder._data_of(event, generic, notes)
                if data is not None:
                    aggregate.apply(event.event_type, data)
                aggregate.version = event.version
                value = _follow(aggregate.state(), watch.path)
                if not _same(value, now):
                    now = _value(value)
                    steps.append((event.position, now))
            version = chunk[-1].version
        return steps


def _tree(watch: Watch) -> Any:
    assert watch.condition is not None
    return watch.condition.tree


def _typed(column: sa.Column[Any], text: str, target: str) -> Any:
    """A key's text as its column's type."""
    if isinstance(column.type, sa.Integer):
        try:
            return int(text)
        except ValueError:
            raise WatchError(f"{target}'s key {column.name} is a whole number; {text!r} is "
                             "not one.") from None
    return text


def _path(text: str, stream_id: str) -> tuple[str | int, ...]:
    """`.a[0].b` as ("a", 0, "b"); WatchError naming where it stops making sense."""
    steps: list[str | int] = []
    at = 0
    while at < len(text):
        found = _PATH_STEP.match(text, at)
        if not found:
            raise WatchError(f"The path after {stream_id} cannot be read at {text[at:]!r}: "
                             "write fields as .name (a key holding a dot or brackets quoted: "
                             '["hold.1@berlin"], a quote or a backslash in it after a '
                             'backslash: ["say \\"hi\\""]) and list items as [0].')
        index, quoted = found.group("index"), found.group("quoted")
        steps.append(int(index) if index is not None else found.group("key")
                     if quoted is None else str(quoted_key(quoted)))
        at = found.end()
    return tuple(steps)


def _follow(value: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        elif isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def _value(value: Any) -> Any:
    """A value to keep: None for a missing one, a copy of a list or an object (the aggregate
    changes its own in place)."""
    if value is _MISSING:
        return None
    if isinstance(value, list | dict):
        return orjson.loads(orjson.dumps(value))
    return value


def _same(value: Any, kept: Any) -> bool:
    if value is _MISSING:
        value = None
    return type(value) is type(kept) and value == kept


def _cell_steps(versions: list[tuple[int, int | None, Any]]) -> list[tuple[int, Any]]:
    steps: list[tuple[int, Any]] = []
    for valid_from, valid_to, value in versions:
        steps.append((valid_from, value))
        if valid_to is not None:
            steps.append((valid_to, None))  # removed there, unless a version follows at once
    merged: list[tuple[int, Any]] = []
    for position, value in steps:
        if merged and merged[-1][0] == position:
            merged[-1] = (position, value)
        else:
            merged.append((position, value))
    return [step for index, step in enumerate(merged)
            if not _same(step[1], merged[index - 1][1] if index else None)]


def _window(steps: list[tuple[int, Any]], first: int, last: int, start: Any,
            ) -> tuple[list[int], list[Any]]:
    """The steps within first..last, led by the value as of `first`."""
    value = start
    positions, values = [first], [start]
    for position, now in steps:
        if position <= first:
            value = now
            values[0] = value
        elif position <= last:
            positions.append(position)
            values.append(now)
    return positions, values


def _thin(positions: list[int], values: list[Any], first: int, last: int, points: int,
          ) -> tuple[list[int], list[Any]]:
    """About `points` steps at most: in each of points // 3 stretches of the range, the
    steps with the lowest and the highest value and the last step (for text, the last only)."""
    stretches = max(1, points // 3)
    width = max(1, (last - first + 1) / stretches)
    kept: dict[int, None] = {0: None}
    bucket: list[int] = []
    current = 0

    def close() -> None:
        if not bucket:
            return
        numbers = [i for i in bucket if isinstance(values[i], int | float)]
        if numbers:
            kept[min(numbers, key=lambda i: values[i])] = None
            kept[max(numbers, key=lambda i: values[i])] = None
        kept[bucket[-1]] = None

    for index in range(1, len(positions)):
        stretch = int((positions[index] - first) / width)
        if stretch != current:
            close()
            bucket, current = [], stretch
        bucket.append(index)
    close()
    chosen = sorted(kept)
    return [positions[i] for i in chosen], [values[i] for i in chosen]


__all__ = ["FilterError", "Series", "Watch", "WatchError", "Watcher"]
