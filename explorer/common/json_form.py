"""Dataclasses as JSON-ready dicts and back, through pydantic: `JsonForm` gives a dataclass
`to_dict` and `from_dict` from its fields' types, so that what a saved file, a `--json` output
or a message between processes holds is declared once, on the dataclass itself (with pydantic's
field annotations and serializers where the saved form differs from the fields)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import TypeAdapter

_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    """The adapter for a dataclass, made the first time it is asked for."""
    if kind not in _ADAPTERS:
        _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


class JsonForm:
    """A mix-in for dataclasses: `to_dict()` gives JSON-ready values (lists, dicts, strings,
    numbers), `from_dict(value)` reads them back, checked (pydantic's ValidationError, a
    ValueError, names what is wrong)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        return found

    @classmethod
    def from_dict(cls, value: Any) -> Self:
        found: Self = _adapter(cls).validate_python(value)
        return found
