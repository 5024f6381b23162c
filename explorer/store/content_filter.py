"""Content filters over events, such as `data.customer_id = "cust_456" and data.total > 100`.

A small language parsed here and compiled to SQLAlchemy expressions with SQLite's JSON functions;
every path and value becomes a bound parameter, never SQL text.

    filter      := or ("or" and)*   with "and", "not" and parentheses
    comparison  := field op value | field "exists" | field "contains" text
    field       := data.a.b[0].c | data.items[*].product_id | metadata.command
                   | data.holds["hold.1@berlin"].seats   (a key not a plain name, quoted:
                                                          explorer.common.field_paths)
                   | position | stream_id | stream_type | event_type | version | schema_version
    op          := = == != < <= > >=
    value       := "text" | 'text' | number | true | false | null

`[*]` matches any element of a list: `data.items[*].product_id = "prod_101"`. `= null` matches
a JSON null (not a missing key); `exists` matches a key that is there, whatever its value.
Against a number (`data.amount > 50`), a text writing one ("10.00", "-1.5e3") is that number,
exactly, and any other text, true or false, a list or an object makes the comparison unknown:
it matches nothing, nor does its `not` (explorer.store.numeric_text). Against quoted text, text
compares as text, and a number sorts before any text. true and false are compared with = and !=
only, and only with true and false: `data.gift = true` matches JSON's true, not the number 1
(which SQLite's json_extract makes of it), `data.gift != true` matches false; true or false
compared with anything else, or a number or text with them, is unknown, and `contains` finds
no text in them.

The same language reads other things than events: `FilterFields` says which fields a filter
may name (`parse_filter(text, fields)`): an aggregate's state (`state.status = "cancelled"`), or
a read model's columns (`total > 500 and status = "paid"`). `compile_condition` compiles a tree
over any source's fields.

A filter is bounded so that no text typed or pasted can exhaust Python's stack or SQLite's
expression limits: MAX_LENGTH characters, MAX_NESTING levels of parentheses and `not`,
MAX_CONDITIONS comparisons, and numbers SQLite can hold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import eq, ge, gt, le, lt, ne
from typing import Any

import sqlalchemy as sa

from explorer.common.field_paths import QUOTED_KEY, path_parts
from explorer.store.numeric_text import NumberComparison, number_key, numeric_affinity
from explorer.store.portable_sql import (
    JsonElements,
    JsonField,
    JsonFieldText,
    JsonFieldType,
    JsonOperand,
    JsonTextComparison,
    JsonValid,
    LikeIgnoringCase,
)
from explorer.store.schema import MAX_INTEGER, events

COLUMNS = {"position", "stream_id", "stream_type", "event_type", "version", "schema_version",
           "event_id", "correlation_id"}
OPERATORS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
             ">=": ">="}
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<op>==|!=|<>|<=|>=|=|<|>)
  | (?P<paren>[()])
  | (?P<field>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:\d+|\*)\]|QUOTED)*)
""".replace("QUOTED", QUOTED_KEY), re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "exists", "contains", "true", "false", "null"}

MAX_LENGTH = 4_000
_NUMBER_TYPES = (sa.Integer, sa.Float, sa.Numeric)
MAX_NESTING = 20
MAX_CONDITIONS = 100
MIN_INTEGER = -MAX_INTEGER - 1
MAX_DECIMAL = 1e18
_DECIMAL_TEXT = format(MAX_DECIMAL, ".0e").replace("e+", "e")  # 1e18


class FilterError(ValueError):
    """The filter text is not valid; `column` (1-based) points at the problem."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (at column {column})")
        self.column = column


@dataclass(frozen=True, slots=True)
class FilterFields:
    """Which fields a filter may name: paths inside `roots` (root.a.b[0].c) and plain `columns`;
    `example` is a filter shown in messages."""

    roots: tuple[str, ...]
    columns: frozenset[str]
    example: str

    def check(self, field: str, column: int) -> None:
        """Raise FilterError if `field` is not one of these fields."""
        root = re.split(r"[.\[]", field, maxsplit=1)[0]
        if root in self.roots:
            if not field.startswith((root + ".", root + '["', root + "['")):
                raise FilterError(f"Name a field inside {root}, e.g. {root}.total", column)
            if path_parts(field).count("[*]") > 1:
                raise FilterError("Only one [*] is allowed in a field", column)
            return
        if field not in self.columns:
            paths = " or ".join(f"{r}.…" for r in self.roots)
            known = ", ".join(sorted(self.columns))
            use = ", or ".join(part for part in (paths, f"one of {known}" if known else "") if part)
            raise FilterError(f"Unknown field {field!r}: use {use}", column)


EVENT_FIELDS = FilterFields(("data", "metadata"), frozenset(COLUMNS), "data.total > 100")
"""The fields of events (what the event list and `events --where` filter)."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    column: int


@dataclass(frozen=True, slots=True)
class Comparison:
    field: str  # as written
    op: str  # one of OPERATORS' values, "exists" or "contains"
    value: Any = None
    number: str | None = None  # a number value as written (its exact decimal: numeric_text)


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # "and", "or", "not"
    parts: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ContentFilter:
    """A parsed filter: hashable, comparable, and compilable to a SQL condition."""

    text: str
    tree: Comparison | Logical

    def condition(self) -> sa.ColumnElement[bool]:
        return _compile(self.tree)


def parse_filter(text: str, fields: FilterFields = EVENT_FIELDS) -> ContentFilter:
    """Parse filter text naming `fields` (by default events'); FilterError says what is wrong
    and where."""
    if len(text) > MAX_LENGTH:
        raise FilterError(f"The filter is {len(text):,} characters long, more than the "
                          f"{MAX_LENGTH:,} allowed; shorten it", MAX_LENGTH + 1)
    if "\x00" in text:  # (SQL's LIKE would end its pattern there; a server refuses it)
        raise FilterError("The filter holds a NUL character (\\0, pasted with the text?), "
                          "which a filter cannot hold; remove it", text.index("\x00") + 1)
    tokens = _tokenize(text)
    if not tokens:
        raise FilterError(f"The filter is empty; write e.g. {fields.example}", 1)
    parser = _Parser(tokens, text, fields)
    tree = parser.parse_or()
    if parser.position < len(tokens):
        token = tokens[parser.position]
        raise FilterError(f"Unexpected {token.text!r}; join conditions with 'and' or 'or'",
                          token.column)
    return ContentFilter(text.strip(), tree)


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    index = 0
    while index < len(text):
        match = _TOKEN.match(text, index)
        if match is None:
            if text[index] in "\"'":
                raise FilterError(f"The text starting here is not closed with {text[index]}",
                                  index + 1)
            raise FilterError(f"Unexpected character {text[index]!r}", index + 1)
        kind = match.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        if kind != "space":
            word = match.group()
            if kind == "field" and word.lower() in _KEYWORDS:
                kind = word.lower()
            elif kind == "field" and not _ends_field(text[match.end():match.end() + 1]):
                raise FilterError(_unnameable(text, index, word), match.end() + 1)
            tokens.append(_Token(kind, word, index + 1))
        index = match.end()
    return tokens


def _ends_field(char: str) -> bool:
    """Whether `char` (or the end, "") may follow a field's path: else the path runs into a
    character no path holds."""
    return not char or char.isspace() or char in "=!<>()"


def _unnameable(text: str, start: int, word: str) -> str:
    """Why a field's path running into a character no path holds (`state.items.ordér_9`,
    `data.lines.order-7`, `.7abc`) cannot be read: said as such, not as a stray character."""
    end = start + len(word)
    if text.startswith(('["', "['"), end):  # a quoted key not closed where it should be
        quote = text[end + 1]
        return (f"The key quoted after {word} is not closed with {quote}]: write it "
                f"{word}[{quote}a.b{quote}], a quote or a backslash inside it after a "
                f'backslash: {word}["say \\"hi\\""], {word}["C:\\\\dir"]')
    while end < len(text) and not _ends_field(text[end]):
        end += 1
    root = re.split(r"[.\[]", word, maxsplit=1)[0]
    above = word if text[start + len(word)] in ".[" else word.rsplit(".", 1)[0]
    parent = above if len(above) > len(root) else root
    key = re.split(r"[.\[]", text[start + len(parent):end].lstrip("."), maxsplit=1)[0]
    if not key or any(char in key for char in "\"'\\[]"):
        key = "order-7"
    return (f"{text[start:end]!r} cannot be named in a filter: a field's path is ASCII letters, "
            f"digits and _ after each dot, not starting with a digit "
            f"({root}.items[0].name), [0] or [*] for a list's items. Write a key holding "
            f'other characters (é, -, @, a dot, a space, brackets, a leading digit) quoted: '
            f'{parent}["{key}"], a quote or a backslash in it after a backslash: '
            f'{parent}["say \\"hi\\""], {parent}["C:\\\\dir"]')


class _Parser:
    def __init__(self, tokens: list[_Token], text: str, fields: FilterFields) -> None:
        self.tokens = tokens
        self.fields = fields
        self.position = 0
        self.end_column = len(text) + 1
        self.nesting = 0
        self.conditions = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterError("The filter ends too early", self.end_column)
        self.position += 1
        return token

    def parse_or(self) -> Comparison | Logical:
        return self.parse_joined("or", self.parse_and)

    def parse_and(self) -> Comparison | Logical:
        return self.parse_joined("and", self.parse_not)

    def parse_joined(self, word: str,
                     parse_part: Callable[[], Comparison | Logical]) -> Comparison | Logical:
        """Parts joined by `word` ("or", "and"): one part alone, or their Logical."""
        parts = [parse_part()]
        while (token := self.peek()) is not None and token.kind == word:
            self.take()
            parts.append(parse_part())
        return parts[0] if len(parts) == 1 else Logical(word, tuple(parts))

    def parse_not(self) -> Comparison | Logical:
        token = self.peek()
        if token is not None and token.kind == "not":
            self.take()
            self.enter(token)
            inner: Comparison | Logical = Logical("not", (self.parse_not(),))
        elif token is not None and token.kind == "paren" and token.text == "(":
            self.take()
            self.enter(token)
            inner = self.parse_or()
            closing = self.take()
            if closing.text != ")":
                raise FilterError(f"Expected ')' but found {closing.text!r}", closing.column)
        else:
            return self.parse_comparison()
        self.nesting -= 1
        return inner

    def enter(self, token: _Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise FilterError(f"Parentheses and 'not' nest more than {MAX_NESTING} deep here; "
                              "simplify the filter", token.column)

    def parse_comparison(self) -> Comparison:
        token = self.take()
        if token.kind != "field":
            example = self.fields.example.split()[0]
            raise FilterError(f"Expected a field such as {example}, not {token.text!r}",
                              token.column)
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise FilterError(f"The filter has more than {MAX_CONDITIONS} conditions; use "
                              "fewer", token.column)
        self.fields.check(token.text, token.column)
        operator = self.take()
        if operator.kind == "exists":
            return Comparison(token.text, "exists")
        if operator.kind == "contains":
            value = self.take()
            if value.kind != "string":
                raise FilterError("'contains' needs quoted text, e.g. contains \"Widget\"",
                                  value.column)
            return Comparison(token.text, "contains", _unquote(value.text))
        if operator.kind != "op":
            raise FilterError(f"Expected an operator (=, !=, <, <=, >, >=, contains, exists) "
                              f"after {token.text}, not {operator.text!r}", operator.column)
        value = self.take()
        number = None
        if value.kind == "string":
            literal: Any = _unquote(value.text)
        elif value.kind == "number":
            literal, number = _number(value), value.text
        elif value.kind in ("true", "false"):
            literal = value.kind == "true"
        elif value.kind == "null":
            literal = None
        else:
            hint = f' (quote text: "{value.text}")' if value.kind == "field" else ""
            raise FilterError(f"Expected a value after {operator.text}, not {value.text!r}{hint}",
                              value.column)
        op = OPERATORS[operator.text]
        if literal is None and op not in ("=", "!="):
            raise FilterError("null can only be compared with = or !=", value.column)
        if isinstance(literal, bool) and op not in ("=", "!="):
            raise FilterError(f"true and false can only be compared with = or != (they are "
                              f"not ordered, nor numbers): write {token.text} = {value.text}",
                              value.column)
        return Comparison(token.text, op, literal, number)


def _number(token: _Token) -> int | float:
    """The number written, if SQLite can compare with it (an out-of-range one cannot be bound)."""
    if not any(c in token.text for c in ".eE"):
        number = int(token.text)  # at most MAX_LENGTH digits, within Python's own limit
        if not MIN_INTEGER <= number <= MAX_INTEGER:
            raise FilterError(f"{token.text[:30]}{'…' if len(token.text) > 30 else ''} is out "
                              f"of range: whole numbers must be between {MIN_INTEGER:,} and "
                              f"{MAX_INTEGER:,}", token.column)
        return number
    decimal = float(token.text)
    if not (math.isfinite(decimal) and abs(decimal) <= MAX_DECIMAL):
        raise FilterError(f"{token.text[:30]}{'…' if len(token.text) > 30 else ''} is out of "
                          f"range: numbers with a point or exponent must be between "
                          f"-{_DECIMAL_TEXT} and {_DECIMAL_TEXT}", token.column)
    return decimal


def is_number(value: Any) -> bool:
    """Whether a filter's value is a number (true and false are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _field_expression(field: str, source: sa.FromClause = events,
                      ) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any] | None,
                                 sa.TableValuedAlias | None]:
    """The field's SQL value, its JSON type (None for plain columns), and for [*] fields the
    json_each table whose rows are tested instead; over the events table or a `source` with
    its data and metadata columns."""
    if field in COLUMNS:
        return events.c[field], None, None
    root = re.split(r"[.\[]", field, maxsplit=1)[0]
    rest = field[len(root):].removeprefix(".")
    column = source.c.data if root == "data" else source.c.metadata
    if root == "metadata" and rest == "correlation_id":
        return events.c.correlation_id, None, None
    parts = path_parts(rest)
    if "[*]" in parts:  # (a quoted key writing [*] is a key)
        at = parts.index("[*]")
        each = JsonElements(column, parts[:at]).table_valued("value", "type")
        value = JsonField(each.c.value, parts[at + 1:], element=each.c.type)
        return value, JsonFieldType(value), each
    value = JsonField(column, parts)
    return value, JsonFieldType(value), None


def comparisons(node: Comparison | Logical) -> list[Comparison]:
    """Every comparison in a filter's tree, in the order written."""
    if isinstance(node, Comparison):
        return [node]
    return [found for part in node.parts for found in comparisons(part)]


def json_types_sample(field: str, event_type: str, limit: int) -> sa.Select[Any] | None:
    """SQL for the distinct JSON types (json_type's names: integer, real, text, true, ...) that
    a data or metadata field holds in the newest `limit` events of one event type, read through
    the event-type index. None for a column (position, stream_id, ...): its type is fixed."""
    column = events.c.data if field.startswith("data.") else events.c.metadata
    newest = (sa.select(events.c.position).where(events.c.event_type == event_type)
              .order_by(events.c.position.desc()).limit(limit).scalar_subquery())
    rows = (sa.select(events.c.data, events.c.metadata)
            .where(events.c.position.in_(newest), JsonValid(column)).subquery())
    _, json_type, each = _field_expression(field, rows)
    if json_type is None:
        return None
    query = sa.select(json_type).distinct().where(json_type.is_not(None)).select_from(rows)
    return query if each is None else query.join(each, sa.true())


FieldExpression = Callable[[str], tuple[sa.ColumnElement[Any], sa.ColumnElement[Any] | None,
                                         sa.TableValuedAlias | None]]
"""A field's SQL value, its JSON type (None for a plain column) and, for a [*] field, the
json_each table whose rows are tested (see _field_expression)."""


def _compile(node: Comparison | Logical) -> sa.ColumnElement[bool]:
    return compile_condition(node, _field_expression)


def compile_condition(node: Comparison | Logical, field_expression: FieldExpression,
                      negated: bool = False) -> sa.ColumnElement[bool]:
    """A filter's tree as a SQL condition, its fields given by `field_expression` (events' for
    a ContentFilter; a read model's columns for a condition on its rows); `negated`, its `not`.

    A `not` is taken down to the comparisons (`not (a or b)` is `not a and not b`, as SQL's
    three-valued logic has it), and a comparison on a JSON field is negated as its opposite
    (`not x > 5` is `x <= 5`): such a comparison, true only where it holds, may be false
    rather than unknown where it is unknown (`x = true` of a number: the index on the path
    serves `json_extract(...) = 1`, false for the number 5), which its `not` would turn true."""
    if isinstance(node, Logical):
        if node.op == "not":
            return compile_condition(node.parts[0], field_expression, not negated)
        parts = [compile_condition(part, field_expression, negated) for part in node.parts]
        return sa.and_(*parts) if (node.op == "and") != negated else sa.or_(*parts)
    expression, json_type, each = field_expression(node.field)
    if negated and each is None and isinstance(expression, JsonField) \
            and node.op in _OPPOSITE and node.value is not None:
        return _comparison(Comparison(node.field, _OPPOSITE[node.op], node.value, node.number),
                           expression, json_type)
    condition = _comparison(node, expression, json_type)
    if each is not None:
        condition = sa.exists(sa.select(sa.literal(1)).select_from(each).where(condition))
    return sa.not_(condition) if negated else condition


_OPPOSITE = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_BOOLEANS = ("true", "false")


def _holds_for_0_or_1(op: str, value: int | float) -> bool:
    """Whether `0 op value` or `1 op value` holds: SQLite's json_extract reads false and true
    as 0 and 1, so such a comparison must leave them out itself."""
    compare = {"=": eq, "!=": ne, "<": lt, "<=": le, ">": gt, ">=": ge}[op]
    return bool(compare(0, value) or compare(1, value))


def _comparison(node: Comparison, expression: sa.ColumnElement[Any],
                json_type: sa.ColumnElement[Any] | None) -> sa.ColumnElement[bool]:
    """One comparison, true where it holds (false or unknown elsewhere). On a JSON field, true
    and false are compared only with true and false, and with = or != only (parse_filter):
    any other value compared with them, and they with a number or a text, is unknown. A read
    model's column of booleans holds 0 and 1, as SQLite keeps them (true is 1 there)."""
    condition: sa.ColumnElement[bool]
    if isinstance(expression.type, sa.Boolean) and json_type is None:
        # (a server refuses boolean = 1, and a cast of a boolean to BIGINT)
        expression = sa.type_coerce(sa.case((expression, 1), (sa.not_(expression), 0)),
                                    sa.Integer)
    if node.op == "exists":  # the key is there, even holding null
        condition = (json_type if json_type is not None else expression).is_not(None)
    elif node.op == "contains":
        escaped = node.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        text: sa.ColumnElement[Any] = (
            JsonFieldText(expression) if isinstance(expression, JsonField)
            else sa.cast(expression, sa.Text))
        if json_type is not None:  # true and false hold no text
            text = sa.case((json_type.in_(_BOOLEANS), sa.null()), else_=text)
        condition = LikeIgnoringCase(text, sa.bindparam(None, f"%{escaped}%"))
    elif node.value is None and json_type is not None:  # JSON null, not a missing key
        is_null = json_type == sa.bindparam(None, "null")
        condition = is_null if node.op == "=" else sa.and_(json_type.is_not(None), ~is_null)
    elif node.value is None:
        condition = expression.is_(None) if node.op == "=" else expression.is_not(None)
    elif isinstance(node.value, bool) and isinstance(expression, JsonField):
        assert json_type is not None  # a JSON field's
        wanted = node.value if node.op == "=" else not node.value  # != true is = false
        condition = sa.and_(expression.op("=", is_comparison=True)(JsonOperand(wanted)),
                            json_type == sa.bindparam(None, "true" if wanted else "false"))
    elif is_number(node.value) and (isinstance(expression, JsonField) or (
            isinstance(expression.type, sa.String)
            and getattr(expression, "table", None) is not events)):
        # a JSON field or a read model's column of text (events' own columns convert the
        # number to text, as SQLite's affinity does)
        key = number_key(node.number if node.number is not None else node.value)
        condition = NumberComparison(expression, node.op, node.value, key)
        if json_type is not None and _holds_for_0_or_1(node.op, node.value):
            condition = sa.and_(condition, _no_boolean(json_type))
    elif (isinstance(node.value, str) and isinstance(expression.type, _NUMBER_TYPES)
          and getattr(expression, "table", None) is not events):
        # a read model's column of numbers and a text: a numeric text is its number, as
        # SQLite's affinity makes it; any other sorts above every number (a server refuses to
        # compare them), so the comparison holds for every value or for none (NULL unknown)
        number = numeric_affinity(node.value)
        if number is not None:
            condition = expression.op(node.op, is_comparison=True)(sa.bindparam(None, number))
        else:
            condition = (expression == expression if node.op in ("<", "<=", "!=")
                         else expression != expression)
    elif isinstance(expression, JsonField):  # a text: numbers sort before it
        assert json_type is not None  # a JSON field's
        condition = JsonTextComparison(expression, node.op, node.value)
        if node.op in ("<", "<=", "!="):  # which false and true (0 and 1 on SQLite) are
            condition = sa.and_(condition, _no_boolean(json_type))
    else:
        value = int(node.value) if isinstance(node.value, bool) else node.value
        condition = expression.op(node.op, is_comparison=True)(sa.bindparam(None, value))
    return condition


def _no_boolean(json_type: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return json_type.not_in(_BOOLEANS)
