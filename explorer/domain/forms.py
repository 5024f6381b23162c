"""Form descriptions generated from a command's schema, for the window's command form.

`form_of(Command)` turns the pydantic model's JSON schema into a tree of FieldSpec: what kind of
editor each field needs (text, integer, number, choice, yes/no, date, date-time, a nested object
or a list of rows), its limits, default and description. The window builds its widgets from
these; nothing here imports Qt. Validation stays with the command itself (`Command.parse`), so
the form, the command line and scripts give the same messages. A field declared secret (see
`secret_field`) is marked so, and `mask_secrets` / `without_secrets` give a command's data as the
history and recordings keep it, and as a form may be filled from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from explorer.domain.commands import MASK, Command, mask_secret

NO_DEFAULT = object()
_DROP = object()  # a secret's value left out
_EXAMPLE = re.compile(r"e\.g\. ([^\s,;)]+)")

KINDS = ("text", "integer", "number", "choice", "boolean", "date", "datetime", "object", "list")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form. `path` is how validation messages name it (items[0].quantity)."""

    name: str
    title: str
    kind: str
    required: bool = False
    nullable: bool = False
    default: Any = NO_DEFAULT
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[Any, ...] = ()
    fields: tuple[FieldSpec, ...] = ()  # an object's fields
    item: FieldSpec | None = None  # a list's item
    min_items: int | None = None
    max_items: int | None = None
    secret: bool = False  # shown masked; never kept whole in history or recordings
    keep_last: int = 0  # digits of a secret its masked form keeps (a card's last four)

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def range_text(self) -> str:
        """The limits in words, e.g. "1 to 1,000" or "up to 40 characters"."""
        if self.kind in ("integer", "number"):
            low = self.lowest()
            high = self.maximum
            number = "{:,}" if self.kind == "integer" else "{:,.2f}"
            if low is not None and high is not None:
                return f"{number.format(low)} to {number.format(high)}"
            if low is not None:
                return f"at least {number.format(low)}"
            if high is not None:
                return f"at most {number.format(high)}"
            return ""
        if self.kind == "text":
            if self.min_length and self.max_length:
                return (f"{self.min_length} to {self.max_length} characters"
                        if self.min_length > 1 else f"up to {self.max_length} characters")
            if self.max_length:
                return f"up to {self.max_length} characters"
        if self.kind == "list" and self.min_items and self.max_items:
            return f"{self.min_items} to {self.max_items} rows"
        return ""

    def lowest(self) -> float | None:
        """The smallest allowed value: an exclusive minimum of an integer is one more."""
        if self.minimum is None:
            return None
        if self.exclusive_minimum:
            return self.minimum + 1 if self.kind == "integer" else self.minimum + 0.01
        return self.minimum

    def highest(self) -> float | None:
        if self.maximum is None:
            return None
        if self.exclusive_maximum:
            return self.maximum - 1 if self.kind == "integer" else self.maximum - 0.01
        return self.maximum

    def example(self) -> str | None:
        """The example the description gives ("e.g. prod_101"), if any."""
        found = _EXAMPLE.search(self.description)
        return found.group(1) if found else None

    def empty_value(self) -> Any:
        """What a new editor starts with: the default, or nothing."""
        if self.has_default:
            return self.default
        if self.kind == "object":
            return {f.name: f.empty_value() for f in self.fields}
        if self.kind == "list":
            return [self.item.empty_value()] * (self.min_items or 0) if self.item else []
        return None


def form_of(command: type[Command]) -> tuple[FieldSpec, ...]:
    """The fields of a command's form, in declaration order."""
    schema = command.schema()
    return _fields(schema, schema.get("$defs", {}))


def _fields(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[FieldSpec, ...]:
    required = set(schema.get("required", ()))
    return tuple(_spec(name, prop, defs, name in required)
                 for name, prop in schema.get("properties", {}).items())


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    reference = prop.get("$ref")
    if reference:
        resolved = dict(defs[reference.rsplit("/", 1)[-1]])
        resolved.update({k: v for k, v in prop.items() if k != "$ref"})
        return resolved
    return prop


def _spec(name: str, prop: dict[str, Any], defs: dict[str, Any], required: bool) -> FieldSpec:
    prop = _resolve(prop, defs)
    nullable = False
    options = prop.get("anyOf") or prop.get("oneOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        nullable = len(kept) < len(options)
        merged = {k: v for k, v in prop.items() if k not in ("anyOf", "oneOf")}
        if kept:
            merged.update(_resolve(_widest(kept), defs))
        prop = merged
    kind = _kind(prop)
    common = dict(name=name, title=prop.get("title") or name.replace("_", " ").capitalize(),
                  kind=kind, required=required, nullable=nullable,
                  default=prop.get("default", NO_DEFAULT),
                  description=prop.get("description", ""),
                  secret=bool(prop.get("secret")), keep_last=int(prop.get("keepLastDigits", 0)))
    if kind in ("integer", "number"):
        minimum, exclusive_min = prop.get("minimum"), False
        if "exclusiveMinimum" in prop:
            minimum, exclusive_min = prop["exclusiveMinimum"], True
        maximum, exclusive_max = prop.get("maximum"), False
        if "exclusiveMaximum" in prop:
            maximum, exclusive_max = prop["exclusiveMaximum"], True
        return FieldSpec(**common, minimum=minimum, maximum=maximum,
                         exclusive_minimum=exclusive_min, exclusive_maximum=exclusive_max)
    if kind == "text":
        return FieldSpec(**common, min_length=prop.get("minLength"),
                         max_length=prop.get("maxLength"), pattern=prop.get("pattern"))
    if kind == "choice":
        choices = prop["enum"] if "enum" in prop else [prop["const"]]  # Literal["one"]: const
        return FieldSpec(**common, choices=tuple(choices))
    if kind == "object":
        return FieldSpec(**common, fields=_fields(prop, defs))
    if kind == "list":
        item = _spec("item", prop.get("items", {}), defs, True)
        return FieldSpec(**common, item=item, min_items=prop.get("minItems"),
                         max_items=prop.get("maxItems"))
    return FieldSpec(**common)


def mask_secrets(fields: tuple[FieldSpec, ...], data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the value of every secret field masked ("•••• 0002"), nested ones too: what
    the console's history and recordings keep of a command."""
    return _with_secrets(fields, data, lambda spec, value: mask_secret(value, spec.keep_last))


def without_secrets(fields: tuple[FieldSpec, ...], data: dict[str, Any]) -> dict[str, Any]:
    """`data` without the secret fields' values: what a form is filled with from the history or
    an event, so that a secret is typed again (or left at its default), never carried over."""
    return _with_secrets(fields, data, lambda spec, value: _DROP)


def withheld_secrets(fields: tuple[FieldSpec, ...], data: dict[str, Any]) -> list[str]:
    """The secret fields of `data` masked so wholly ("••••") that sending it again would send
    the mask itself: they must be typed again."""
    found: list[str] = []

    def note(spec: FieldSpec, value: Any) -> Any:
        if value == MASK:
            found.append(spec.name)
        return value

    _with_secrets(fields, data, note)
    return found


SecretChange = Callable[[FieldSpec, Any], Any]


def _with_secrets(fields: tuple[FieldSpec, ...], data: dict[str, Any],
                  change: SecretChange) -> dict[str, Any]:
    specs = {spec.name: spec for spec in fields}
    result = {}
    for name, value in data.items():
        spec = specs.get(name)
        new = value if spec is None else _secret_value(spec, value, change)
        if new is not _DROP:
            result[name] = new
    return result


def _secret_value(spec: FieldSpec, value: Any, change: SecretChange) -> Any:
    if spec.secret:
        return change(spec, value)
    if spec.kind == "object" and isinstance(value, dict):
        return _with_secrets(spec.fields, value, change)
    if spec.kind == "list" and spec.item is not None and isinstance(value, list):
        kept = [_secret_value(spec.item, item, change) for item in value]
        return [item for item in kept if item is not _DROP]
    return value


def _widest(options: list[dict[str, Any]]) -> dict[str, Any]:
    """The option a field of one of several types is offered as: its first, but a number for
    `int | float` (a field taking both takes 2.5, which a whole number's editor refuses)."""
    numbers = [option for option in options if option.get("type") == "number"]
    if numbers and all(option.get("type") in ("integer", "number") for option in options):
        return numbers[0]
    return options[0]


def _kind(prop: dict[str, Any]) -> str:
    if "enum" in prop or "const" in prop:
        return "choice"
    kind = prop.get("type")
    if kind == "string":
        return {"date": "date", "date-time": "datetime"}.get(prop.get("format", ""), "text")
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        return "list"
    if kind == "object" or "properties" in prop:
        return "object"
    return "text"


def example_value(spec: FieldSpec) -> Any:
    """A value that passes the field's own limits (not its business rules)."""
    if spec.has_default and spec.default is not None:
        return spec.default
    if spec.kind == "integer":
        low = spec.lowest()
        return int(low) if low is not None else 1
    if spec.kind == "number":
        low = spec.lowest()
        return round(max(low or 0, 1.0), 2)
    if spec.kind == "choice":
        return spec.choices[0]
    if spec.kind == "boolean":
        return False
    if spec.kind == "date":
        return "2026-01-01"
    if spec.kind == "datetime":
        return "2026-01-01T00:00:00Z"
    if spec.kind == "object":
        return {f.name: example_value(f) for f in spec.fields}
    if spec.kind == "list":
        return [example_value(spec.item)] * max(spec.min_items or 1, 1) if spec.item else []
    text = spec.example() or {"email": "someone@example.com", "postal_code": "12345",
                              "tracking": "TRACK-1"}.get(spec.name, spec.name.replace("_", "-"))
    return text[:spec.max_length] if spec.max_length else text
