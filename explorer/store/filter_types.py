"""Warnings for content filters that compare unlike types, such as `data.total > "abc"`.

SQLite compares a number with text without complaint: they are never equal, and every number
sorts before any text, so such a comparison silently matches nothing (or everything). (A filter's
number compared with text is not such a case: numeric text is compared as the number it
writes, other text matches nothing; see numeric_text.) The
filter text does not say what type a field holds; the store does, from a sample of its events
(`EventStore.field_types`). These functions turn what the sample found into one sentence per
comparison that cannot mean what it says: what the field holds, what the comparison matches,
and what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from explorer.store.content_filter import COLUMNS, Comparison, ContentFilter, comparisons

FieldTypes = Callable[[str], Mapping[str, tuple[str, ...]]]
"""A field's JSON types as the store found them: {json type: event types having it}."""

KIND_OF_JSON_TYPE = {"integer": "number", "real": "number", "text": "text", "true": "boolean",
                     "false": "boolean", "array": "list", "object": "object"}
KIND_OF_COLUMN = {name: "number" if name in ("position", "version", "schema_version") else "text"
                  for name in COLUMNS | {"correlation_id"}}
_HOLDS = {"number": "numbers", "text": "text", "boolean": "true or false", "list": "lists",
          "object": "objects"}
_SQL_CLASS = {"number": "number", "boolean": "boolean", "text": "text", "list": "text",
              "object": "text"}  # how the filter compares the value: a list as its text


def literal_kind(value: Any) -> str:
    """What a filter's value is: "boolean", "number" or "text"."""
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "text"


def type_warnings(content: ContentFilter, field_types: FieldTypes,
                  sampled: str = "the sampled events") -> list[str]:
    """One warning for each comparison whose value is of a type the field never holds in the
    sample, and for each JSON field no sampled event has. `sampled` names the sample in the
    message (e.g. "the newest 50 events of each type")."""
    warnings: list[str] = []
    asked: dict[str, Mapping[str, tuple[str, ...]]] = {}
    for comparison in comparisons(content.tree):
        if comparison.op == "exists" or comparison.value is None:
            continue
        column = _column(comparison.field)
        if column is not None:
            # A column converts a value to its own type where it can (SQLite's affinity):
            # version > "3" works, event_type = 5 is event_type = "5". Only text that is no
            # number, compared with a number column, is left unlike.
            if KIND_OF_COLUMN[column] == "text" or not isinstance(comparison.value, str) \
                    or _is_number(comparison.value):
                continue
            kinds = {"number"}
        else:
            if comparison.field not in asked:
                asked[comparison.field] = field_types(comparison.field)
            found = asked[comparison.field]
            if not found:
                absent = (f"None of {sampled} has {comparison.field}: check the field's "
                          "name; the filter may match nothing.")
                if absent not in warnings:
                    warnings.append(absent)
                continue
            kinds = {KIND_OF_JSON_TYPE[t] for t in found if t in KIND_OF_JSON_TYPE}
            if not kinds:
                continue  # only nulls: nothing to compare against
        warning = mismatch(comparison, kinds)
        if warning is not None and warning not in warnings:
            warnings.append(warning)
    return warnings


def mismatch(comparison: Comparison, kinds: set[str]) -> str | None:
    """Why `comparison` cannot mean what it says on a field holding values of `kinds`, or None
    if it can."""
    field, op, value = comparison.field, comparison.op, comparison.value
    holds = " and ".join(_HOLDS[kind] for kind in sorted(kinds))
    if op == "contains":
        if kinds == {"boolean"}:
            return (f"{field} holds true or false, and contains looks for text in it, so it "
                    f"matches nothing; write {field} = true (or false).")
        return None  # numbers, lists and objects are searched in their text: that works
    kind = literal_kind(value)
    classes = {_SQL_CLASS[k] for k in kinds}
    if kind in kinds or len(classes) > 1:
        return None  # some events hold the value's type: the comparison can match them
    written = _written(value)
    advice = _advice(field, op, value, kinds)
    if kind == "boolean" or classes == {"boolean"}:
        return (f"{field} holds {holds}, not {_HOLDS[kind]}: {field} {op} {written} matches "
                f"nothing (true and false are compared only with true and false). {advice}")
    if classes == {_SQL_CLASS[kind]}:  # text against lists/objects
        return (f"{field} holds {holds}: {op} {written} compares with their JSON text and "
                f"is unlikely to match. {advice}")
    if kind == "number" and kinds == {"text"}:
        return (f"{field} holds text, but {written} is a number: {field} {op} {written} matches "
                f'only text writing a number (such as "10.00"), compared as that number. '
                f"{advice.replace('Quote the value:', 'Quote the value to compare text:')}")
    if kind == "number":  # lists and objects: no number (numeric_text)
        matches, why = "nothing", " (only a number, or text writing one, is compared with one)"
    else:
        matches = _matches(classes.pop(), op)
        why = " (every number sorts before any text)" if op not in ("=", "!=") else ""
    return (f"{field} holds {holds}, but {written} is {_a(kind)}: {field} {op} {written} "
            f"matches {matches}{why}. {advice}")


def _column(field: str) -> str | None:
    if field in COLUMNS:
        return field
    return "correlation_id" if field == "metadata.correlation_id" else None


def _matches(field_class: str, op: str) -> str:
    """What `field op value` matches when the field is of `field_class` and the value not."""
    if op == "=":
        return "nothing"
    if op == "!=":
        return "every event that has it"
    number_field_below = field_class == "number"  # a number is below any text
    below = op in ("<", "<=")
    return "every event that has it" if below == number_field_below else "nothing"


def _advice(field: str, op: str, value: Any, kinds: set[str]) -> str:
    if kinds == {"boolean"}:
        return f"Compare it with true or false, e.g. {field} = true."
    if kinds <= {"number", "boolean"}:
        if isinstance(value, str) and _is_number(value):
            return f"Write the number without quotes: {field} {op} {value.strip()}."
        return f"Compare it with a number, e.g. {field} {op} 100."
    if "list" in kinds and kinds <= {"list", "object"}:
        return (f"Compare its elements with [*], e.g. {field}[*] {op} {_written(value)}, "
                f"or a field of each, e.g. {field}[*].name {op} {_written(value)}.")
    if kinds == {"object"}:
        return f"Name a field inside it, e.g. {field}.name {op} {_written(value)}."
    text = "true" if value is True else "false" if value is False else f"{value}"
    return f'Quote the value: {field} {op} "{text}".'


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _written(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{value}"


def _a(kind: str) -> str:
    return {"text": "text", "number": "a number", "boolean": "true or false"}[kind]
