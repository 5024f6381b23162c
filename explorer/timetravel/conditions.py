"""Conditions on state for find-when: the content filter's language over other things than events.

`state.on_hand < 0` on an aggregate's state (parsed with STATE_FIELDS), `total > 500 and
status = "paid"` on a read model's rows (parsed with `row_fields(table)`). Rows are searched in
SQL (explorer.projections.switches); a state is a Python dict, which `predicate` evaluates after
each event of a stream, with the meaning SQLite gives the same filter over JSON:

- a field that is missing or null makes a comparison unknown, and unknown is not true (nor is
  its `not`): three-valued logic, as SQL's;
- compared with a number, a text writing one ("10.00", "-1.5e3") is that number, exactly; any
  other text, a list or an object makes the comparison unknown (explorer.store.numeric_text);
- compared with text, a number is never equal to it and sorts before any; a list or an object
  compares as its JSON text;
- true and false are compared (with = and !=) only with true and false: with anything else,
  and anything else with them, the comparison is unknown; `contains` finds no text in them;
- `contains` looks for the text in the value's text, ignoring ASCII case (SQL's LIKE);
- `[*]` matches if any element (of a list, or value of an object) matches;
- a read model's column converts a value to its own type where it can (SQLite's affinity):
  `total > "500"` is `total > 500`; but a column of text compares with a number as a state's
  field does (its numeric text as that number, other text unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa

from explorer.common.field_paths import part_key, path_parts
from explorer.store.content_filter import (
    Comparison,
    ContentFilter,
    FilterFields,
    Logical,
    comparisons,
    is_number,
    parse_filter,
)
from explorer.store.filter_types import mismatch
from explorer.store.numeric_text import compare_keys, decimal_key, number_key, numeric_affinity

STATE_ROOT = "state"
STATE_FIELDS = FilterFields((STATE_ROOT,), frozenset(), 'state.status = "cancelled"')
"""The fields of a condition on an aggregate's state: paths inside `state.`."""

Truth = bool | None
"""True, False, or None for unknown (a comparison with a missing or null value)."""
Predicate = Callable[[Mapping[str, Any]], bool]
_Test = Callable[[Mapping[str, Any]], Truth]
_MISSING = object()
_WILDCARD = -1
"""A step standing for [*]: no index written is negative, and a key (even "*") is text."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NUMBER_TYPES = (sa.Integer, sa.Float, sa.Numeric)


def parse_state_condition(text: str) -> ContentFilter:
    """A condition on an aggregate's state; FilterError says what is wrong and where."""
    return parse_filter(text, STATE_FIELDS)


def row_fields(table: sa.Table) -> FilterFields:
    """The fields of a condition on a versioned table's rows: its keys and values."""
    names = (*table.info["keys"], *table.info["values"])
    example_column = next((n for n in table.info["values"]
                           if isinstance(table.c[n].type, _NUMBER_TYPES)), names[-1])
    example = (f"{example_column} > 10" if isinstance(table.c[example_column].type, _NUMBER_TYPES)
               else f'{example_column} = "x"')
    return FilterFields((), frozenset(names), example)


def column_affinities(table: sa.Table) -> dict[str, str]:
    """Each column's SQLite affinity as `predicate` applies it: "number" (booleans too, kept as
    0 and 1), "text", or "string" for a column of text (sa.String), whose numeric text a number
    compares with as a number (as in SQL: explorer.store.numeric_text)."""
    return {column.name: "number" if isinstance(column.type, (*_NUMBER_TYPES, sa.Boolean)) else
            "string" if isinstance(column.type, sa.String) else "text"
            for column in table.columns}


def state_roots(condition: ContentFilter) -> list[str]:
    """The top-level state fields a condition names (state.reservations.x -> reservations)."""
    found: dict[str, None] = {}
    for comparison in comparisons(condition.tree):
        found[str(_steps(comparison.field, STATE_ROOT)[0])] = None
    return list(found)


def predicate(condition: ContentFilter, root: str | None = STATE_ROOT,
              affinities: Mapping[str, str] | None = None) -> Predicate:
    """A function telling whether a condition holds for a value: a state (fields under `root`)
    or a row (`root` None: fields are its columns, converted by their `affinities`)."""
    test = _test(condition.tree, root, affinities or {})
    return lambda value: test(value) is True


def _test(node: Comparison | Logical, root: str | None, affinities: Mapping[str, str]) -> _Test:
    if isinstance(node, Logical):
        parts = [_test(part, root, affinities) for part in node.parts]
        if node.op == "not":
            inner = parts[0]
            return lambda value: _negated(inner(value))
        return _all_of(parts) if node.op == "and" else _any_of(parts)
    steps: list[str | int] = _steps(node.field, root) if root is not None else [node.field]
    if _WILDCARD in steps:
        at = steps.index(_WILDCARD)
        before, after = steps[:at], steps[at + 1:]
        holds = _comparison(node, json=True, affinity=None)

        def any_element(value: Mapping[str, Any]) -> Truth:
            found = _follow(value, before)
            return any(holds(_follow(element, after)) is True for element in _elements(found))
        return any_element
    affinity = affinities.get(node.field) if root is None else None
    holds = _comparison(node, json=root is not None, affinity=affinity)
    if len(steps) == 1 and isinstance(steps[0], str):
        key = steps[0]
        return lambda value: holds(value.get(key, _MISSING) if isinstance(value, Mapping)
                                   else _MISSING)
    return lambda value: holds(_follow(value, steps))


def row_value_test(comparison: Comparison, affinity: str | None) -> Callable[[Any], Truth]:
    """A test of one column's value (None for NULL) against a comparison on a row, as
    `predicate` applies it to rows (explorer.timetravel.row_arrays tests each distinct value)."""
    return _comparison(comparison, json=False, affinity=affinity)


def sql_order_key(value: Any) -> tuple[int, int | float | str]:
    """A value where SQLite sorts it: numbers before text, then by value. `predicate`'s =, !=,
    <, <=, >, >= of a non-null value against a non-null literal are these keys' comparisons."""
    value = _sql_value(value)
    return _class(value), value


def literal_order_key(comparison: Comparison, affinity: str | None
                      ) -> tuple[int, int | float | str]:
    """The order key of a comparison's literal, converted by the column's affinity."""
    return sql_order_key(_with_affinity(comparison.value, affinity))


def _negated(truth: Truth) -> Truth:
    return None if truth is None else not truth


def _joined(parts: list[_Test], decisive: bool) -> _Test:
    """SQL's three-valued "and" (`decisive` False: one false part decides) or "or" (True): else
    unknown if any part is, otherwise the other truth."""
    def holds(value: Mapping[str, Any]) -> Truth:
        unknown = False
        for part in parts:
            truth = part(value)
            if truth is decisive:
                return decisive
            unknown = unknown or truth is None
        return None if unknown else not decisive
    return holds


def _all_of(parts: list[_Test]) -> _Test:
    return _joined(parts, decisive=False)


def _any_of(parts: list[_Test]) -> _Test:
    return _joined(parts, decisive=True)


def _steps(field: str, root: str) -> list[str | int]:
    """The path after `root.`: keys, list indexes, and _WILDCARD for [*]."""
    steps: list[str | int] = []
    for part in path_parts(field[len(root):]):
        key = part_key(part)
        steps.append(_WILDCARD if key is None else key)
    return steps


def _follow(value: Any, steps: Iterable[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else _MISSING
        elif isinstance(value, Mapping):
            value = value.get(step, _MISSING)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _elements(value: Any) -> list[Any]:
    """What [*] goes through (SQLite's json_each): a list's elements, an object's values, a
    single value itself, nothing for a missing one."""
    if value is _MISSING:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return list(value.values())
    return [value]


def _comparison(node: Comparison, *, json: bool, affinity: str | None
                ) -> Callable[[Any], Truth]:
    """A test of one value (or _MISSING) against a comparison."""
    op, literal = node.op, node.value
    if op == "exists":
        if json:
            return lambda value: value is not _MISSING
        return lambda value: value is not None and value is not _MISSING
    if literal is None:  # = null, != null
        if json:  # a JSON null, not a missing key
            if op == "=":
                return lambda value: None if value is _MISSING else value is None
            return lambda value: value is not _MISSING and value is not None
        if op == "=":
            return lambda value: value is None or value is _MISSING
        return lambda value: value is not None and value is not _MISSING
    if op == "contains":
        needle = contained_text(literal)
        return lambda value: (None if value is None or value is _MISSING
                              or json and isinstance(value, bool)  # (no text in true, false)
                              else needle in contained_text(value))
    wanted = _sql_value(_with_affinity(literal, affinity))
    wanted_class = _class(wanted)
    compare = _COMPARE[op]
    if (json or affinity == "string") and is_number(literal):
        return _number_comparison(node, compare)
    if json and isinstance(literal, bool):  # = or != (parse_filter): with true or false only
        return lambda value: compare(value, literal) if isinstance(value, bool) else None

    def holds(value: Any) -> Truth:
        if value is None or value is _MISSING or json and isinstance(value, bool):
            return None  # (true and false against a text: unknown)
        value = _sql_value(value)
        value_class = _class(value)
        if value_class != wanted_class:
            return compare(value_class, wanted_class)
        return compare(value, wanted)
    return holds


def _number_comparison(node: Comparison, compare: Callable[[Any, Any], bool]
                       ) -> Callable[[Any], Truth]:
    """A JSON value against a number: a number as SQLite compares them, a numeric text by its
    decimal, exactly, any other text (or a list or an object) unknown (see numeric_text)."""
    key = number_key(node.number if node.number is not None else node.value)
    wanted = node.value

    def holds(value: Any) -> Truth:
        if value is None or value is _MISSING or isinstance(value, bool):
            return None  # (true and false are no numbers)
        if isinstance(value, str | Decimal):
            found = decimal_key(str(value))
            return None if found is None else compare(compare_keys(found, key), 0)
        if isinstance(value, int | float):
            return compare(value, wanted)
        return None
    return holds


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
ORDERED_OPERATORS = frozenset(_COMPARE)
"""The comparisons that order values (see sql_order_key)."""


def _sql_value(value: Any) -> int | float | str:
    """A value as SQLite compares it: true and false as 1 and 0, lists and objects as JSON."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | str):
        return value
    return orjson.dumps(value).decode()


def _class(value: int | float | str) -> int:
    """SQLite's order of storage classes: numbers before text."""
    return 1 if isinstance(value, str) else 0


def contained_text(value: Any) -> str:
    """A value as `contains` looks into it (and for it): its text, ASCII letters lowered (SQL's
    LIKE: other letters keep their case)."""
    text = _text(value)
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def _text(value: Any) -> str:
    """A value as SQL's CAST(... AS TEXT) gives it, for `contains`."""
    return str(_sql_value(value))


def _with_affinity(literal: Any, affinity: str | None) -> Any:
    """A filter's value converted as SQLite converts it for a column of this affinity."""
    if affinity == "number" and isinstance(literal, str):
        number = numeric_affinity(literal)
        return literal if number is None else number
    if affinity == "number" and isinstance(literal, bool):
        return int(literal)  # (a column of booleans is 0 and 1 in SQLite)
    if affinity in ("text", "string") and not isinstance(literal, str):
        return str(_sql_value(literal))
    return literal


def condition_warnings(condition: ContentFilter, samples: Iterable[Mapping[str, Any]], *,
                       root: str | None = STATE_ROOT,
                       affinities: Mapping[str, str] | None = None) -> list[str]:
    """One warning for each comparison whose value is of a type its field never holds in
    `samples` (states under `root`, or a read model's rows with `root` None and their columns'
    `affinities`). SQLite's order across types answers such a comparison without complaint (a
    list compares as its JSON text, above every number), so `state.reserved > 0` on a list is
    true wherever there is one; the warning names the type seen and what to write instead
    (explorer.store.filter_types, as the content filter's)."""
    checked = [c for c in comparisons(condition.tree) if c.op != "exists" and c.value is not None]
    seen: dict[str, set[str]] = {}
    for sample in samples:
        for comparison in checked:
            steps = _steps(comparison.field, root) if root is not None else [comparison.field]
            if _WILDCARD in steps:
                continue  # the elements' types: each element is compared
            value = _follow(sample, steps)
            if value is not _MISSING and value is not None:
                number_column = root is None and (affinities or {}).get(comparison.field) \
                    == "number"  # (a column of booleans is 0 and 1 in SQLite)
                kind = "number" if number_column and isinstance(value, bool) else _kind(value)
                seen.setdefault(comparison.field, set()).add(kind)
    warnings: list[str] = []
    for comparison in checked:
        kinds = seen.get(comparison.field)
        if not kinds:
            continue
        affinity = (affinities or {}).get(comparison.field) if root is None else None
        literal = _with_affinity(comparison.value, affinity)  # as the column converts it
        warning = mismatch(Comparison(comparison.field, comparison.op, literal), kinds)
        if warning is not None:  # said of events, where the filter bar uses it
            warning = warning.replace("every event that", "every state that" if root else
                                      "every row that")
        if warning is not None and warning not in warnings:
            warnings.append(warning)
    return warnings


def _kind(value: Any) -> str:
    """A value's kind as explorer.store.filter_types names them."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "list" if isinstance(value, list) else "object"
