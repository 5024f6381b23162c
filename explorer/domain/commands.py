"""Commands: requests to an aggregate, declared as pydantic models.

The model is the machine-readable schema (names, types, required or optional, ranges, choices,
descriptions, nested lists) from which the GUI builds its form and the CLI its options, and it
validates input with one message per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pydantic
from pydantic import BaseModel, ConfigDict


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
        """Validate raw input (a dict from JSON, a form or CLI options) into a command."""
        if not isinstance(data, dict):
            raise CommandValidationError(cls.command_name, [FieldProblem(
                "", f"the data must be a JSON object of fields, not {type(data).__name__}")])
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as error:
            raise CommandValidationError(cls.command_name, _problems(cls, error)) from None

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The JSON schema of the command's fields ($defs for nested objects)."""
        return cls.model_json_schema()

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or cls.command_name).strip().splitlines()[0]


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
        else:
            message = item["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, "):]
            message = message[:1].lower() + message[1:]
        problems.append(FieldProblem(field, message))
    return problems


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
