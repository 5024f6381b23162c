"""SQL that differs between the backends, written once and compiled for each: the content
filter's JSON functions, LIKE ignoring case, and texts ordered by their bytes (in_byte_order).

On SQLite they are its JSON1 functions, as the filter always wrote them (`json_extract`,
`json_type`, `json_each`). On PostgreSQL the stored text is read as `jsonb`: a field is
`#>` (its text `#>>`), its type is `jsonb_typeof` named as SQLite names it (integer, real,
text, true, false, null, array, object), [*] is `jsonb_array_elements`, and a value compared
with a field is bound as jsonb, so that numbers compare as numbers and texts as texts.
Where jsonb orders unlike types its own way (null < text < number < boolean), the filter
compares as SQLite does (a number below every text, null unknown: JsonTextComparison,
numeric_text.NumberComparison), and true and false apart from both (content_filter). Differences
that remain: a list or an object compared with a text is its JSON text, which jsonb writes with
spaces and its keys in its own order. [*] goes through a list's elements, an object's values
or a single value itself on both (jsonb_array_elements of what SQLite's json_each goes
through).

SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE does so (of every letter).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from explorer.common.field_paths import quoted_key

_PLAIN_PATH = re.compile(r"\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+")
"""A JSON path of plain keys and indexes: written into the SQL as it is (nothing in it can
close a quoted string), where SQLite can match it to an expression index (see
explorer.store.path_indexes); any other path stays a bound parameter."""


def _sqlite_path(parts: list[str]) -> str:
    """SQLite's JSON path of plain keys and indexes (quoted keys: _sqlite_document)."""
    return "$" + "".join(part if part.startswith("[") else f".{part}" for part in parts)


def _postgres_path(parts: list[str]) -> str:
    keys = (_postgres_step(part) for part in parts)
    quoted = ('"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys)
    return "{" + ",".join(quoted) + "}"


def _postgres_step(part: str) -> str:
    key = quoted_key(part)  # (may be "")
    if key is not None:
        return key
    return part[1:-1] if part.startswith("[") else part


class JsonField(ColumnElement[Any]):
    """The value at `parts` in the JSON text `source` (or, with `element`, in an element of
    JsonElements: on SQLite already a value, on PostgreSQL jsonb)."""

    inherit_cache = False

    def __init__(self, source: ColumnElement[Any], parts: list[str], *,
                 element: ColumnElement[Any] | None = None) -> None:
        self.source = source
        self.parts = parts
        self.element_type = element  # SQLite's json_each `type` column, for an element itself
        self.type = sa.types.NullType()


class JsonFieldType(JsonField):
    """The JSON type of a JsonField's value, named as SQLite's json_type names it."""

    inherit_cache = False

    def __init__(self, field: JsonField) -> None:
        super().__init__(field.source, field.parts, element=field.element_type)
        self.type = sa.Text()


class JsonFieldText(JsonField):
    """A JsonField's value as text (a string without its quotes), for `contains`."""

    inherit_cache = False

    def __init__(self, field: JsonField) -> None:
        super().__init__(field.source, field.parts, element=field.element_type)
        self.type = sa.Text()


class JsonOperand(ColumnElement[Any]):
    """A value a JsonField is compared with (true as 1 on SQLite, as JSON true on PostgreSQL)."""

    inherit_cache = False

    def __init__(self, value: Any) -> None:
        self.value = value
        self.type = sa.types.NullType()


class JsonTextComparison(ColumnElement[bool]):
    """`field op text` for a JsonField and a filter's text, as SQLite compares them: a text
    by its characters, a number below every text, a list or an object as its JSON text, null
    unknown (true and false, which SQLite reads as 1 and 0, are left out by the filter)."""

    inherit_cache = False
    _is_implicitly_boolean = True

    def __init__(self, field: JsonField, op: str, text: str) -> None:
        self.field = field
        self.operator = op
        self.text = text
        self.type = sa.Boolean()


class JsonElements(FunctionElement[Any]):
    """The elements of the list at `parts` in the JSON text `source`, a row each (`value`)."""

    inherit_cache = False
    name = "json_elements"

    def __init__(self, source: ColumnElement[Any], parts: list[str]) -> None:
        self.source = source
        self.parts = parts
        super().__init__()


def _bind(compiler: Any, value: Any, **kw: Any) -> str:
    return str(compiler.process(sa.bindparam(None, value, type_=sa.Text), **kw))


def _is_element(field: JsonField) -> bool:
    return field.element_type is not None


# -- SQLite (and the default) ----------------------------------------------------------------

def _sqlite_source(field: JsonField, compiler: Any, **kw: Any) -> str:
    """The JSON text a field's path is read in: an element of a list only if it is a list or
    an object (json_each gives a text element as it is, which json_extract would read as JSON:
    "abc" malformed, '{"x": 1}' an object)."""
    source = compiler.process(field.source, **kw)
    if field.element_type is None or not field.parts:
        return str(source)
    return (f"(CASE WHEN {compiler.process(field.element_type, **kw)} IN ('object', 'array') "
            f"THEN {source} END)")


def _sqlite_document(source: str, parts: list[str], compiler: Any, *, whole: bool = False,
                     **kw: Any) -> tuple[str, list[str]]:
    """The JSON text holding the value at `parts` in `source`, and the plain steps left to it.

    A quoted key is looked up among its object's keys (json_each's `key`, read as JSON means
    it), not written into a path: SQLite's paths cannot name a key holding a double quote, and
    before 3.45 compare a key as stored, so `$."é"` misses a key stored as "\\u00e9" and
    `$."a\\b"` one stored as "a\\\\b". The last key is looked up too if `whole` (its value
    as JSON text: for json_each), else left to the caller (_sqlite_read)."""
    document, plain = source, []
    for at, part in enumerate(parts):
        key = quoted_key(part)
        if key is None:
            plain.append(part)
            continue
        if at == len(parts) - 1 and not whole:
            return document, [*plain, part]
        found = _sqlite_key(document, plain, key, compiler, **kw)
        as_json = ("CASE type WHEN 'text' THEN json_quote(value) WHEN 'true' THEN 'true' "
                   "WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' ELSE value END"
                   if at == len(parts) - 1 else
                   "CASE WHEN type IN ('object', 'array') THEN value END")  # (else no steps)
        document, plain = f"(SELECT {as_json} {found})", []
    return document, plain


def _sqlite_key(document: str, plain: list[str], key: str, compiler: Any, **kw: Any) -> str:
    """FROM and WHERE of the row of json_each naming `key` in the object at `plain`."""
    path = _bind(compiler, _sqlite_path(plain), **kw)
    return f"FROM json_each({document}, {path}) WHERE key = {_bind(compiler, key, **kw)}"


def _sqlite_read(field: JsonField, compiler: Any, function: str, column: str, **kw: Any) -> str:
    """The field's value (json_extract, json_each's value) or type (json_type, type)."""
    document, plain = _sqlite_document(_sqlite_source(field, compiler, **kw), field.parts,
                                       compiler, **kw)
    if plain and quoted_key(plain[-1]) is not None:
        found = _sqlite_key(document, plain[:-1], str(quoted_key(plain[-1])), compiler, **kw)
        return f"(SELECT {column} {found})"
    path = _sqlite_path(plain)
    if function == "json_extract" and _PLAIN_PATH.fullmatch(path):
        return f"json_extract({document}, '{path}')"  # as text: an index on it can serve it
    return f"{function}({document}, {_bind(compiler, path, **kw)})"


@compiles(JsonField)
def _sqlite_field(field: JsonField, compiler: Any, **kw: Any) -> str:
    if _is_element(field) and not field.parts:
        return str(compiler.process(field.source, **kw))
    return _sqlite_read(field, compiler, "json_extract", "value", **kw)


@compiles(JsonFieldType)
def _sqlite_type(field: JsonFieldType, compiler: Any, **kw: Any) -> str:
    if field.element_type is not None and not field.parts:
        return str(compiler.process(field.element_type, **kw))
    return _sqlite_read(field, compiler, "json_type", "type", **kw)


@compiles(JsonFieldText)
def _sqlite_text(field: JsonFieldText, compiler: Any, **kw: Any) -> str:
    return f"CAST({_sqlite_field(field, compiler, **kw)} AS TEXT)"


@compiles(JsonOperand)
def _sqlite_operand(operand: JsonOperand, compiler: Any, **kw: Any) -> str:
    value = int(operand.value) if isinstance(operand.value, bool) else operand.value
    return str(compiler.process(sa.bindparam(None, value), **kw))


@compiles(JsonTextComparison)
def _sqlite_text_comparison(comparison: JsonTextComparison, compiler: Any, **kw: Any) -> str:
    field = compiler.process(comparison.field, **kw)
    return f"({field} {comparison.operator} {_bind(compiler, comparison.text, **kw)})"


@compiles(JsonElements)
def _sqlite_elements(elements: JsonElements, compiler: Any, **kw: Any) -> str:
    document, plain = _sqlite_document(compiler.process(elements.source, **kw), elements.parts,
                                       compiler, whole=True, **kw)
    return f"json_each({document}, {_bind(compiler, _sqlite_path(plain), **kw)})"


# -- PostgreSQL ------------------------------------------------------------------------------

def _jsonb(field: JsonField | JsonElements, compiler: Any, **kw: Any) -> str:
    source = compiler.process(field.source, **kw)
    document = source if isinstance(field, JsonField) and _is_element(field) \
        else f"CAST({source} AS JSONB)"
    if not field.parts:
        return str(document)
    path = _bind(compiler, _postgres_path(field.parts), **kw)
    return f"({document} #> CAST({path} AS TEXT[]))"


@compiles(JsonField, "postgresql")
def _postgres_field(field: JsonField, compiler: Any, **kw: Any) -> str:
    return _jsonb(field, compiler, **kw)


@compiles(JsonFieldType, "postgresql")
def _postgres_type(field: JsonFieldType, compiler: Any, **kw: Any) -> str:
    value = _jsonb(field, compiler, **kw)
    return (f"(CASE jsonb_typeof({value}) WHEN 'string' THEN 'text' "
            f"WHEN 'boolean' THEN CAST({value} AS TEXT) "
            f"WHEN 'number' THEN (CASE WHEN CAST({value} AS TEXT) ~ '^-?[0-9]+$' "
            "THEN 'integer' ELSE 'real' END) "
            f"ELSE jsonb_typeof({value}) END)")


@compiles(JsonFieldText, "postgresql")
def _postgres_text(field: JsonFieldText, compiler: Any, **kw: Any) -> str:
    return f"({_jsonb(field, compiler, **kw)} #>> '{{}}')"


@compiles(JsonOperand, "postgresql")
def _postgres_operand(operand: JsonOperand, compiler: Any, **kw: Any) -> str:
    return f"CAST({_bind(compiler, orjson.dumps(operand.value).decode(), **kw)} AS JSONB)"


@compiles(JsonTextComparison, "postgresql")
def _postgres_text_comparison(comparison: JsonTextComparison, compiler: Any, **kw: Any) -> str:
    # jsonb's own order puts null below a text and a number above it, and orders texts by the
    # database's collation: SQLite's instead (texts by their bytes, as the store's columns)
    value = _jsonb(comparison.field, compiler, **kw)
    op = comparison.operator
    number_below = "TRUE" if op in ("<", "<=", "!=") else "FALSE"

    def compared(text: str) -> str:
        return f"{text} COLLATE \"C\" {op} {_bind(compiler, comparison.text, **kw)}"
    string, json = f"({value} #>> '{{}}')", f"CAST({value} AS TEXT)"
    return (f"(CASE jsonb_typeof({value}) WHEN 'string' THEN {compared(string)} "
            f"WHEN 'number' THEN {number_below} WHEN 'array' THEN {compared(json)} "
            f"WHEN 'object' THEN {compared(json)} END)")


@compiles(JsonElements, "postgresql")
def _postgres_elements(elements: JsonElements, compiler: Any, **kw: Any) -> str:
    # as SQLite's json_each: a list's elements, an object's values, any other value itself
    value = _jsonb(elements, compiler, **kw)
    return (f"jsonb_array_elements(CASE WHEN {value} IS NULL THEN CAST('[]' AS JSONB) "
            f"WHEN jsonb_typeof({value}) = 'array' THEN {value} "
            f"WHEN jsonb_typeof({value}) = 'object' THEN coalesce((SELECT jsonb_agg(e.value) "
            f"FROM jsonb_each({value}) AS e), CAST('[]' AS JSONB)) "
            f"ELSE jsonb_build_array({value}) END)")


class JsonValid(ColumnElement[bool]):
    """Whether the text `source` holds a JSON document (on PostgreSQL 15, which has no such
    test, whether it starts as an object or a list does: stored data is always an object)."""

    inherit_cache = False
    _is_implicitly_boolean = True

    def __init__(self, source: ColumnElement[Any]) -> None:
        self.source = source
        self.type = sa.Boolean()


@compiles(JsonValid)
def _sqlite_valid(valid: JsonValid, compiler: Any, **kw: Any) -> str:
    return f"json_valid({compiler.process(valid.source, **kw)}) = 1"


@compiles(JsonValid, "postgresql")
def _postgres_valid(valid: JsonValid, compiler: Any, **kw: Any) -> str:
    return f"(left(ltrim({compiler.process(valid.source, **kw)}), 1) IN ('{{', '['))"


class LikeIgnoringCase(ColumnElement[bool]):
    """`text` LIKE `pattern` (escaped with backslashes), whatever the letters' case."""

    inherit_cache = False
    _is_implicitly_boolean = True  # a comparison: not `(...) = 1` where there are no booleans

    def __init__(self, text: ColumnElement[Any], pattern: ColumnElement[Any]) -> None:
        self.text = text
        self.pattern = pattern
        self.type = sa.Boolean()


@compiles(LikeIgnoringCase)
def _sqlite_like(like: LikeIgnoringCase, compiler: Any, **kw: Any) -> str:
    return (f"({compiler.process(like.text, **kw)} LIKE {compiler.process(like.pattern, **kw)}"
            " ESCAPE '\\')")


@compiles(LikeIgnoringCase, "postgresql")
def _postgres_like(like: LikeIgnoringCase, compiler: Any, **kw: Any) -> str:
    return (f"({compiler.process(like.text, **kw)} ILIKE {compiler.process(like.pattern, **kw)}"
            " ESCAPE '\\')")


class Unindexed(ColumnElement[Any]):
    """A column whose conditions must not choose the index a query is read by: on SQLite
    `+column` (its way to keep a term from using an index), on PostgreSQL the column as it is.
    A page of a list whose positions are known is read by them (the primary key), not by the
    stream's or type's index with each of its entries checked against them."""

    inherit_cache = False

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(Unindexed)
def _sqlite_unindexed(unindexed: Unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(unindexed.column, **kw)}"


@compiles(Unindexed, "postgresql")
def _postgres_unindexed(unindexed: Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(unindexed.column, **kw))


class InByteOrder(ColumnElement[Any]):
    """A text column ordered by its bytes, as SQLite orders texts: on PostgreSQL `column COLLATE
    "C"` (else the database's collation orders it: en-US puts 'a_b' before 'A' before 'ab'), on
    SQLite the column as it is. See `in_byte_order`. Its cache key is its column's, so that the
    statements ordered by it are compiled once, as those ordered by the column itself were."""

    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


def in_byte_order(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` to order rows by, so that a list is in the same order on every backend: a text
    column by its bytes (InByteOrder), any other as it is. A server's read models made since
    have their text columns in that collation (postgres_schema), so their indexes serve it."""
    kind = column.type
    if isinstance(kind, sa.String) and not isinstance(kind, sa.Enum):
        return InByteOrder(column)
    return column


@compiles(InByteOrder)
def _sqlite_byte_order(ordered: InByteOrder, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(ordered.column, **kw))


@compiles(InByteOrder, "postgresql")
def _postgres_byte_order(ordered: InByteOrder, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(ordered.column, **kw)} COLLATE \"C\""
