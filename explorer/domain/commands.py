"""Commands: requests to an aggregate, declared as pydantic models.

The model is the machine-readable schema (names, types, required or optional, ranges, choices,
descriptions, nested lists) from which the GUI builds its form and the CLI its options, and it
validates input strictly, as JSON, with one message per field: `true` is not a quantity, "lots"
is not a number and 5 is not text. A number may be given as people write one: a whole number is
a number, text writing a number ("5.00", "-1.5e3") is that number, and a whole number written
with a zero fraction (2.0, "2.00") is a whole number; a date may be ISO 8601 text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import orjson
import pydantic
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import DEFAULT_REF_TEMPLATE

from explorer.store import MAX_INTEGER


class CommandError(Exception):
    """A command could not be understood (unknown name or invalid fields); nothing was written."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid field: where it is (e.g. items[0].quantity) and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class CommandValidationError(CommandError):
    """The command's fields are invalid; `problems` has one entry per field."""

    def __init__(self, command: str, problems: list[FieldProblem]) -> None:
        super().__init__(f"{command}: " + "; ".join(str(p) for p in problems))
        self.command = command
        self.problems = problems


class UnknownCommandError(CommandError):
    pass


MASK = "••••"
"""What a secret shows instead of its value (e.g. "••••", or "•••• 0002" for a card)."""


def secret_field(default: Any = ..., *, keep_last: int = 0, **field: Any) -> Any:
    """A command field holding a secret (a card number, a password): a pydantic `Field` whose
    schema says so (`secret`, `writeOnly`, `format: password`), so that the form masks it and
    the console's history and recordings keep only `mask_secret(value, keep_last)`.

    `keep_last` digits may be kept (a card's last four, all a receipt shows). A field that keeps
    some should accept its masked form as input, naming the one on file ending so: a command
    sent again from the history, or played from a recording, sends it back.
    """
    extra: dict[str, Any] = {"secret": True, "writeOnly": True, "format": "password"}
    if keep_last:
        extra["keepLastDigits"] = keep_last
    return Field(default, json_schema_extra=extra, **field)


def mask_secret(value: Any, keep_last: int = 0) -> Any:
    """A secret's masked form: "••••", or "•••• 0002" with its last digits kept. Nothing (None,
    "") stays nothing, and a masked value stays as it is."""
    if value is None or value == "":
        return value
    digits = "".join(c for c in str(value) if c.isdigit()) if keep_last else ""
    return f"{MASK} {digits[-keep_last:]}" if keep_last and len(digits) >= keep_last else MASK


class Command(BaseModel):
    """Base class of commands. Subclasses declare fields with types, ranges and descriptions.

    `creates_stream` is True for a command that starts a stream (place, register), False for one
    that needs it to exist, None for one that does either.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    stream_type: ClassVar[str] = ""
    command_name: ClassVar[str] = ""
    creates_stream: ClassVar[bool | None] = False

    def run(self, aggregate: Any, context: Any) -> None:
        """Ask the aggregate to decide. By default calls its method named like the command."""
        getattr(aggregate, self.command_name)(**self.model_dump(mode="json"))

    @classmethod
    def parse(cls, data: Any) -> Command:
        """Validate raw input (a dict from JSON, a form or CLI options) into a command.

        Validation is strict and as JSON, whoever sends the data: nothing is coerced to another
        kind (no bool to int, no number to text, no "lots" to a number), only what JSON cannot
        spell is read from text (a date from "2026-03-19") and a number is taken as people
        write one ("5.00" for a price, 2.0 for a quantity: see _typed_numbers)."""
        if not isinstance(data, dict):
            raise CommandValidationError(cls.command_name, [FieldProblem(
                "", f"the data must be a JSON object of fields, not {type(data).__name__}")])
        try:
            text = orjson.dumps(data)
        except orjson.JSONEncodeError as error:
            raise CommandValidationError(cls.command_name, _not_json(data) or [
                FieldProblem("", f"the data cannot be sent as JSON: {error}")]) from None
        if b"null" in text and (problems := _not_json(data)):  # nan and inf became null
            raise CommandValidationError(cls.command_name, problems)
        try:
            return cls.model_validate_json(text, strict=True)
        except pydantic.ValidationError as error:
            typed = _typed_numbers(text, error)
            if typed is None:
                raise CommandValidationError(cls.command_name, _problems(cls, error)) from None
        try:
            return cls.model_validate_json(typed, strict=True)
        except pydantic.ValidationError as error:
            raise CommandValidationError(cls.command_name, _problems(cls, error)) from None

    @classmethod
    def schema(cls, by_alias: bool = True,
               ref_template: str = DEFAULT_REF_TEMPLATE) -> dict[str, Any]:
        """The JSON schema of the command's fields ($defs for nested objects)."""
        return cls.model_json_schema(by_alias=by_alias, ref_template=ref_template)

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or cls.command_name).strip().splitlines()[0]


_MAX_NESTING = 200  # orjson refuses deeper data; this walk stops there too
_EXPECTED = {"int_type": "a whole number", "int_from_float": "a whole number",
             "float_type": "a number", "string_type": "text", "bool_type": "true or false",
             "list_type": "a list", "dict_type": "an object of fields",
             "model_type": "an object of fields", "model_attributes_type": "an object of fields"}


def _not_json(data: Any) -> list[FieldProblem]:
    """The values of `data` that JSON cannot carry, each with where it is: numbers that are not
    finite or too large, keys that are not text, objects of other kinds."""
    problems = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        where = _field_path(loc)
        if len(loc) > _MAX_NESTING:
            problems.append(FieldProblem(where, f"nested more than {_MAX_NESTING} levels deep"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    stack.append((item, (*loc, key)))
                else:
                    problems.append(FieldProblem(where, f"field names must be text, not {key!r}"))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*loc, number)) for number, item in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(FieldProblem(where, f"expected a finite number, not {value}"))
        elif isinstance(value, int) and not isinstance(value, bool) \
                and abs(value) > MAX_INTEGER:
            problems.append(FieldProblem(where, f"{_shown(value)} is out of range: whole "
                                                f"numbers go up to {MAX_INTEGER:,}"))
        elif not isinstance(value, str | int | float | None):
            try:
                orjson.dumps(value)  # a date, an enum, ... can be sent
            except orjson.JSONEncodeError:
                problems.append(FieldProblem(where, f"a {type(value).__name__} cannot be sent "
                                                    "as a field's value"))
    return sorted(problems, key=lambda problem: problem.field)


_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""Text that writes a number as people type one: 5, 5.00, -1.5e3, .5 (not nan, inf, 1_000)."""
_NUMBER_ERRORS = {"float_type": False, "int_type": True, "int_from_float": True}
"""pydantic's errors of a number given in another form: whether the field wants a whole one."""


def _typed_numbers(text: bytes, error: pydantic.ValidationError) -> bytes | None:
    """The data (`text`, as JSON) with each number that `error` refused for its form read as
    the number it writes: text writing one ("5.00") for a number or whole-number field, and a
    whole number written with a zero fraction (2.0, "2.00") for a whole-number field. None if
    none was (a "lots", a 2.5 or a true stays refused, as `error` says)."""
    data = orjson.loads(text)
    typed = False
    for item in error.errors(include_url=False):
        whole = _NUMBER_ERRORS.get(item["type"])
        place = _place(data, item["loc"])
        if whole is None or place is None:
            continue
        holder, key = place
        number = written_number(holder[key], whole)
        if number is not None:
            holder[key] = number
            typed = True
    return orjson.dumps(data) if typed else None


def _place(data: Any, loc: tuple[int | str, ...]) -> tuple[Any, Any] | None:
    """The container and key of the value an error's `loc` names in `data` (None: none). The
    parts that are no place in the data are passed over: the names of a union's members (for
    `float | int`, an error each at ('price', 'float') and ('price', 'int'))."""
    place: tuple[Any, Any] | None = None
    node: Any = data
    for part in loc:
        if _holds(node, part):
            place, node = (node, part), node[part]
    return place


def _holds(node: Any, part: int | str) -> bool:
    """Whether node[part] is there: a JSON object's member or an array's item."""
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def written_number(value: Any, whole: bool) -> int | float | None:
    """The number `value` writes (text such as "5.00"; for a whole number a float such as 2.0),
    or None if it writes none that the field could take: Command.parse's reading, which the
    command line's typed options share."""
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        exact = Decimal(value.strip())
    elif isinstance(value, float) and whole:
        exact = Decimal(value)
    else:
        return None
    if not whole:
        number = float(exact)
        return number if math.isfinite(number) else None
    if exact != exact.to_integral_value() or exact.adjusted() > len(str(MAX_INTEGER)):
        return None  # (a fraction; or far too large, not made into an int of its digits)
    whole_number = int(exact)
    return whole_number if abs(whole_number) <= MAX_INTEGER else None


def _shown(value: Any) -> str:
    """A value as JSON spells it, shortened: true, "5", 12.5."""
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _problems(cls: type[Command], error: pydantic.ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        field = _field_path(item["loc"])
        kind = item["type"]
        if kind == "missing":
            message = "required"
        elif kind == "extra_forbidden":
            known = ", ".join(cls.model_fields)
            message = f"unknown field (this command takes: {known})"
        elif kind in ("int_type", "int_from_float") and _too_large(item["input"]):
            message = (f"about {item['input']:.3g} is too large: a whole number here is at "
                       f"most {2**63 - 1:,}")
        elif kind in _EXPECTED:
            message = f"expected {_EXPECTED[kind]}, not {_shown(item['input'])}"
        else:
            message = item["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, "):]
            message = message[:1].lower() + message[1:]
        problems.append(FieldProblem(field, message))
    return problems


def _too_large(value: Any) -> bool:
    """A whole number beyond 64 bits (which JSON readers hand on as a float: 1.18e+21)."""
    return (isinstance(value, float) and value.is_integer() or type(value) is int) \
        and abs(value) >= 2**63


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
