"""Numbers kept as text ("10.00", "-1.5e3"), compared with a filter's numbers exactly.

Money is often stored as a decimal's exact text (the `eventsourcing` library's Decimal, or a
system's own amounts). A filter comparing such a field with a number (`data.amount > 50`) compares
the number the text writes: a text is numeric if it is an optional sign, digits, an optional
fraction (a point and digits) and an optional exponent (e or E, an optional sign, digits), and
nothing else (no spaces). Any other text (and a list or an object) is no number: comparing it
with one is unknown, as with a missing field, so neither it nor its `not` matches.

The comparison is exact, whatever the digits: both sides become a `DecimalKey`, ±0.DIGITS times
10 to an exponent, the digits without leading or trailing zeros, which compare as a sign, then
the exponent, then the digits as text. The same is computed here (for conditions evaluated in
Python: explorer.timetravel.conditions) and in SQL on each backend (`NumberComparison`), so that
a condition gives the same answer everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from explorer.store.portable_sql import JsonField, JsonFieldText, JsonOperand

NUMERIC_TEXT = re.compile(r"([+-]?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?")
_INT64 = 2**63
_POSTGRES_PATTERN = r"^([+-]?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$"


@dataclass(frozen=True, slots=True)
class DecimalKey:
    """A decimal as ±0.`digits` × 10^`exponent` (`digits` "" for zero), exactly."""

    negative: bool
    digits: str
    exponent: int


_AFFINITY_INTEGER = re.compile(r"[+-]?[0-9]+")
_AFFINITY_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SQL_SPACES = " \t\n\v\f\r"


def numeric_affinity(text: str) -> int | float | None:
    """The number SQLite makes of a text compared with a column of numbers (its numeric
    affinity: " 500 " is 500, "1e3" 1000.0), or None for a text it leaves text (which sorts
    above every number). ASCII digits and spaces alone, as SQLite reads them."""
    stripped = text.strip(_SQL_SPACES)
    if _AFFINITY_INTEGER.fullmatch(stripped):
        whole = int(stripped)
        return whole if -_INT64 <= whole < _INT64 else float(whole)  # (a real beyond 64 bits)
    return float(stripped) if _AFFINITY_REAL.fullmatch(stripped) else None


def decimal_key(text: str) -> DecimalKey | None:
    """The decimal a numeric text writes, or None for any other text."""
    found = NUMERIC_TEXT.fullmatch(text)
    if found is None:
        return None
    sign, whole, fraction, exponent = found.groups()
    return _key(sign == "-", whole, fraction or "", exponent or "0")


def number_key(value: int | float | str) -> DecimalKey:
    """The key of a filter's number: its written text, or an int or float's own digits."""
    key = decimal_key(value if isinstance(value, str) else repr(value))
    assert key is not None, value  # a filter's number token, or a finite int or float
    return key


def _key(negative: bool, whole: str, fraction: str, exponent: str) -> DecimalKey:
    both = whole + fraction
    digits = both.lstrip("0")
    # as SQLite's CAST to INTEGER, an exponent past 64 bits is the nearest 64-bit one
    digit_count = len(exponent.lstrip("+-").lstrip("0"))
    power = int(exponent) if digit_count <= 19 else (-_INT64 if exponent[0] == "-" else _INT64)
    power = max(-_INT64, min(_INT64 - 1, power))
    return DecimalKey(negative and digits != "", digits.rstrip("0"),
                      power + len(whole) - (len(both) - len(digits)))


def compare_keys(value: DecimalKey, literal: DecimalKey) -> int:
    """-1, 0 or 1 as `value` is below, equal to or above `literal`."""
    if value.negative != literal.negative:
        return -1 if value.negative else 1
    if not value.digits or not literal.digits:  # zero against a number of the same sign
        magnitude = (value.digits != "") - (literal.digits != "")
    elif value.exponent != literal.exponent:
        magnitude = 1 if value.exponent > literal.exponent else -1
    else:
        magnitude = (value.digits > literal.digits) - (value.digits < literal.digits)
    return -magnitude if value.negative else magnitude


# -- SQL -------------------------------------------------------------------------------------

class NumberComparison(ColumnElement[bool]):
    """`field op value` for a JSON field (or a text column) and a filter's number: a number as
    before (a plain comparison, so that an index on the path still serves it), a numeric text
    by its decimal, exactly; any other text, list or object unknown (NULL)."""

    inherit_cache = False
    _is_implicitly_boolean = True

    def __init__(self, field: ColumnElement[Any], op: str, value: int | float,
                 key: DecimalKey) -> None:
        self.field = field
        self.operator = op
        self.value = value
        self.literal_key = key
        self.type = sa.Boolean()


def _order(key: DecimalKey, negative: str, digits: str, exponent: str) -> str:
    """SQL for -1, 0 or 1 as the decimal (`negative`, `digits`, `exponent`: SQL of a value's
    key, digits NULL for a text that is no number) is below, equal to or above `key`. The key's
    digits and exponent are written into the SQL: made here of digits alone."""
    if not key.digits:
        return (f"CASE WHEN {digits} IS NULL THEN NULL WHEN {digits} = '' THEN 0 "
                f"WHEN {negative} THEN -1 ELSE 1 END")
    magnitude = (f"CASE WHEN {digits} = '' THEN -1 WHEN {exponent} <> {key.exponent} THEN "
                 f"(CASE WHEN {exponent} > {key.exponent} THEN 1 ELSE -1 END) "
                 f"WHEN {digits} = '{key.digits}' THEN 0 "
                 f"WHEN {digits} > '{key.digits}' THEN 1 ELSE -1 END")
    if key.negative:
        return (f"CASE WHEN {digits} IS NULL THEN NULL WHEN {digits} = '' OR NOT {negative} "
                f"THEN 1 ELSE -({magnitude}) END")
    return (f"CASE WHEN {digits} IS NULL THEN NULL WHEN {digits} = '' OR {negative} THEN -1 "
            f"ELSE {magnitude} END")


def _sqlite_text_order(text: str, key: DecimalKey) -> str:
    """SQLite: the order of the text `text` against `key` (NULL for a text that is no number).
    SQLite has no regular expressions: a numeric text is one that starts with a digit after
    its sign, has only digits, points, e, E and signs, and is a JSON number once a 1 is put
    before it (which a leading 0 or a lone point or exponent is not)."""
    body = "(CASE WHEN v GLOB '[+-]*' THEN substr(v, 2) ELSE v END)"
    valid = ("(b GLOB '[0-9]*' AND b NOT GLOB '*[^0-9.eE+-]*' AND json_valid('1' || b))")
    mantissa = "(CASE WHEN e > 0 THEN substr(b, 1, e - 1) ELSE b END)"
    power = "(CASE WHEN e > 0 THEN CAST(substr(b, e + 1) AS INTEGER) ELSE 0 END)"
    whole = "(CASE WHEN instr(m, '.') > 0 THEN instr(m, '.') - 1 ELSE length(m) END)"
    layers = [  # each a row made of the one below, computed once (see _LAYER)
        f"SELECT {text} AS v",
        f"SELECT v GLOB '-*' AS n, {body} AS b",
        f"SELECT n, b, {valid} AS ok, max(instr(b, 'e'), instr(b, 'E')) AS e",
        f"SELECT n, ok, {mantissa} AS m, {power} AS p",
        f"SELECT n, ok, p, {whole} AS w, replace(m, '.', '') AS af",
        "SELECT n, CASE WHEN ok THEN rtrim(ltrim(af, '0'), '0') END AS d, "
        "p + w - (length(af) - length(ltrim(af, '0'))) AS x",
        f"SELECT {_order(key, 'n', 'd', 'x')}",
    ]
    exact = layers[0].replace(text, "t")
    for layer in layers[1:]:
        exact = f"{layer} FROM ({exact}{_LAYER})"
    # Most texts are decided by their double, far from the key's; only a text within a
    # billionth of it is decided by its digits (SQLite reads a text's double to ~1e-16)
    low, high = _near(key)
    return (f"(SELECT CASE WHEN NOT ((t GLOB '[0-9]*' OR t GLOB '[+-][0-9]*') "
            "AND t NOT GLOB '*[^0-9.eE+-]*' AND json_valid('1' || ltrim(t, '+-'))) THEN NULL "
            f"WHEN CAST(t AS REAL) < {low!r} THEN -1 WHEN CAST(t AS REAL) > {high!r} THEN 1 "
            f"ELSE ({exact}) END FROM (SELECT {text} AS t{_LAYER}))")


def _near(key: DecimalKey) -> tuple[float, float]:
    """Doubles below and above `key`'s decimal, a billionth of it (at least 1e-300) away."""
    value = float(f"{'-' if key.negative else ''}0.{key.digits or '0'}e{key.exponent}")
    margin = max(abs(value) * 1e-9, 1e-300)
    return value - margin, value + margin


_LAYER = " LIMIT 1 OFFSET 0"
"""Ends each layer of a SQLite text's order: an OFFSET keeps SQLite from merging the layers
(each expression written into those above, over and over: ~50 times slower)."""


def _postgres_text_order(text: str, key: DecimalKey) -> str:
    """PostgreSQL: the order of the text `text` against `key` (NULL for a text that is no
    number), its parts found by one regular expression."""
    order = _order(key, "n", "d", "x")
    return (
        f"(SELECT {order} FROM ("
        "SELECT g[1] = '-' AND ltrim(g[2] || coalesce(g[3], ''), '0') <> '' AS n, "
        "rtrim(ltrim(g[2] || coalesce(g[3], ''), '0'), '0') COLLATE \"C\" AS d, "
        "CAST(coalesce(g[4], '0') AS NUMERIC) + length(g[2]) - (length(g[2] || "
        "coalesce(g[3], '')) - length(ltrim(g[2] || coalesce(g[3], ''), '0'))) AS x FROM ("
        f"SELECT regexp_match({text}, '{_POSTGRES_PATTERN}') AS g) AS parts) AS key)")


_AND_TEXT = {">": "AND", ">=": "AND", "!=": "AND", "<": "OR", "<=": "OR", "=": "OR"}


@compiles(NumberComparison)
def _sqlite_number_comparison(comparison: NumberComparison, compiler: Any, **kw: Any) -> str:
    # A JSON number is compared as it always was, as a term of its own, so that an index on
    # the path serves the comparison. Text sorts above every number: `field > 5` holds for
    # every text, which then must be a number above 5; `field < 5` holds for none, which then
    # may be one below 5 (`field >= ''` finds texts, by the index too).
    field = compiler.process(comparison.field, **kw)
    value = compiler.process(JsonOperand(comparison.value), **kw)
    op = comparison.operator
    order = _sqlite_text_order(field, comparison.literal_key)
    if not isinstance(comparison.field, JsonField):  # a column of text, not indexed
        return (f"(CASE WHEN typeof({field}) = 'text' THEN {order} {op} 0 "
                f"ELSE {field} {op} {value} END)")
    if _AND_TEXT[op] == "AND":
        return f"({field} {op} {value} AND ({field} < '' OR {order} {op} 0))"
    return f"({field} {op} {value} OR ({field} >= '' AND {order} {op} 0))"


@compiles(NumberComparison, "postgresql")
def _postgres_number_comparison(comparison: NumberComparison, compiler: Any, **kw: Any) -> str:
    field = compiler.process(comparison.field, **kw)
    if not isinstance(comparison.field, JsonField):  # a column of text
        return f"({_postgres_text_order(field, comparison.literal_key)} {comparison.operator} 0)"
    text = compiler.process(JsonFieldText(comparison.field), **kw)
    value = compiler.process(JsonOperand(comparison.value), **kw)
    op = comparison.operator
    order = _postgres_text_order(text, comparison.literal_key)
    # true and false are no numbers: unknown (jsonb's order puts them above every number)
    return (f"(CASE jsonb_typeof({field}) WHEN 'string' THEN {order} {op} 0 "
            f"WHEN 'number' THEN {field} {op} {value} END)")
