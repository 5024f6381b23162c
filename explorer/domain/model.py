"""A domain model: its aggregate types, their commands and the event registry built from them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pydantic

from explorer.domain.aggregate import Aggregate, EventDeclaration
from explorer.domain.commands import Command, UnknownCommandError
from explorer.domain.generic import generic_fold_for
from explorer.store.upcasting import EventRegistry

A = TypeVar("A", bound=Aggregate)


class DefinitionError(ValueError):
    """A domain or system declares two parts that clash (a stream type, a command, a projection
    or its table twice) or leaves one out; the message names both parts and what to do."""


def _check_kinds(domain: str, aggregates: list[Any], commands: list[Any]) -> None:
    """DefinitionError for an aggregate or command that is not a subclass of the base, or
    that does not say its stream type (or its name): found later, they showed as blanks."""
    for cls in aggregates:
        if not (isinstance(cls, type) and issubclass(cls, Aggregate)):
            raise DefinitionError(
                f"The domain {domain}'s aggregates hold {_what(cls)}, not a subclass of "
                "explorer.domain.Aggregate: list the aggregate classes themselves.")
        if not isinstance(cls.stream_type, str) or not cls.stream_type:
            raise DefinitionError(
                f"The domain {domain}'s aggregate {cls.__qualname__} has no stream_type: set "
                f'stream_type = "{cls.__name__}", the type its streams are stored with.')
    for command in commands:
        if not (isinstance(command, type) and issubclass(command, Command)):
            raise DefinitionError(
                f"The domain {domain}'s commands hold {_what(command)}, not a subclass of "
                "explorer.domain.Command: list the command classes themselves.")
        for attribute, example in (("stream_type", "the stream type of its aggregate"),
                                   ("command_name", "what it is called, e.g. \"ship\"")):
            if not isinstance(getattr(command, attribute), str) \
                    or not getattr(command, attribute):
                raise DefinitionError(
                    f"The domain {domain}'s command {command.__qualname__} has no {attribute}: "
                    f"set {attribute}: ClassVar[str] to {example}.")


def _what(value: Any) -> str:
    return (f"the class {value.__qualname__}" if isinstance(value, type)
            else f"a {type(value).__qualname__}")


def _check_schema(domain: str, command: type[Command]) -> None:
    """DefinitionError if the command's fields have no JSON schema (a field of a class of the
    system's own, allowed by arbitrary_types_allowed): its form, its command line options and
    its listing are all made from that schema."""
    try:
        command.schema()
    except pydantic.PydanticUserError as error:
        fields = []
        for field, info in command.model_fields.items():
            try:
                pydantic.TypeAdapter(info.annotation or Any).json_schema()
            except pydantic.PydanticUserError:
                fields.append(f"{field}: {_type_name(info.annotation)}")
        said = (f"the field {fields[0]}" if len(fields) == 1 else
                f"the fields {', '.join(fields)}" if fields else "a field")
        raise DefinitionError(
            f"The domain {domain}'s command {command.__qualname__} ({command.command_name!r}) "
            f"has {said} of a kind that cannot be given as JSON, from which its form and "
            "options are made: give it a type JSON can carry (text, numbers, true or false, "
            "dates, lists, or objects of such fields as pydantic models). (pydantic: "
            f"{str(error).splitlines()[0]})") from None


def _type_name(annotation: Any) -> str:
    return annotation.__qualname__ if isinstance(annotation, type) else str(annotation)


class DomainModel:
    """Everything the services need to know about one domain.

    `make_context` builds what command handlers may use beyond the aggregate (a payment gateway,
    a product catalogue); it is called once per service.
    """

    def __init__(self, name: str, aggregates: Iterable[type[Aggregate]],
                 commands: Iterable[type[Command]],
                 make_context: Callable[..., Any] = lambda **_: None) -> None:
        self.name = name
        self.aggregates: dict[str, type[Aggregate]] = {}
        aggregates, commands = list(aggregates), list(commands)
        _check_kinds(name, aggregates, commands)
        for cls in aggregates:
            known = self.aggregates.setdefault(cls.stream_type, cls)
            if known is not cls:
                raise DefinitionError(
                    f"The domain {name} has two classes for {cls.stream_type} streams, "
                    f"{known.__qualname__} and {cls.__qualname__}: list one of them, or give "
                    "the other its own stream_type.")
        self.commands: dict[str, dict[str, type[Command]]] = {t: {} for t in self.aggregates}
        for command in commands:
            if command.stream_type not in self.aggregates:
                types = ", ".join(self.aggregates) or "none"
                raise DefinitionError(
                    f"The domain {name}'s command {command.__qualname__} "
                    f"({command.command_name!r}) is for {command.stream_type} streams, which "
                    f"no aggregate of it writes (its stream types: {types}): add the "
                    "aggregate class to its aggregates, or correct the command's stream_type.")
            _check_schema(name, command)
            taken = self.commands[command.stream_type].setdefault(command.command_name, command)
            if taken is not command:
                raise DefinitionError(
                    f"The domain {name} has two {command.stream_type} commands named "
                    f"{command.command_name!r}, {taken.__qualname__} and "
                    f"{command.__qualname__}: the second would hide the first; list one of "
                    "them, or give the other its own command_name.")
        self.make_context = make_context
        self.registry = EventRegistry()
        declared: dict[str, tuple[EventDeclaration, type[Aggregate]]] = {}
        for cls in self.aggregates.values():
            for declaration in cls.declarations.values():
                first = declared.setdefault(declaration.event_type, (declaration, cls))
                if first[0] is declaration and first[1] is not cls:
                    continue  # one declaration both inherit (two sagas' StepSettled, say)
                if first[1] is not cls:
                    raise DefinitionError(
                        f"The domain {name}'s aggregates {first[1].__qualname__} and "
                        f"{cls.__qualname__} each declare an event type named "
                        f"{declaration.event_type!r}: events are read by their type's name, so "
                        "one of them would be read with the other's schema; rename one.")
                self.registry.register(declaration.event_type, stream_type=cls.stream_type,
                                       version=declaration.version,
                                       description=declaration.description)
                for from_version, upcaster in declaration.upcasters.items():
                    self.registry.add_upcaster(declaration.event_type, from_version, upcaster)

    def aggregate_class(self, stream_type: str) -> type[Aggregate]:
        try:
            return self.aggregates[stream_type]
        except KeyError:
            known = ", ".join(self.aggregates)
            raise UnknownCommandError(
                f"There is no aggregate type {stream_type!r}; the types are {known}.") from None

    def reading_class(self, stream_type: str) -> type[Aggregate]:
        """The class a stream of this type is read with: the domain's own, or for a type it
        does not know, the generic fold (labelled as such wherever it is shown)."""
        cls = self.aggregates.get(stream_type)
        return cls if cls is not None else generic_fold_for(stream_type)

    def class_of(self, kind: type[A]) -> type[A]:
        """The domain's class for `kind`'s stream type, which must be `kind` or a subclass of
        it: what loading a stream as a `kind` (a saga, an Inventory) builds."""
        cls = self.aggregates.get(kind.stream_type)
        if cls is None or not issubclass(cls, kind):
            has = "no class" if cls is None else f"the class {cls.__qualname__}"
            raise TypeError(
                f"The domain {self.name} has {has} for {kind.stream_type} streams, not "
                f"{kind.__qualname__}: add {kind.__qualname__} to the domain's aggregates.")
        return cls

    def command_class(self, stream_type: str, name: str) -> type[Command]:
        commands = self.commands.get(stream_type)
        if commands is None:
            self.aggregate_class(stream_type)  # raises with the list of types
        assert commands is not None
        try:
            return commands[name]
        except KeyError:
            known = ", ".join(commands)
            if not known:
                raise UnknownCommandError(
                    f"{stream_type} takes no commands: its streams are written by its own "
                    "process alone.") from None
            raise UnknownCommandError(
                f"{stream_type} has no command {name!r}; its commands are {known}.") from None

    def creating_commands(self, stream_type: str) -> list[str]:
        """The commands that start a stream of this type (e.g. ['place'])."""
        return [name for name, cls in self.commands.get(stream_type, {}).items()
                if cls.creates_stream is not False]

    def describe_commands(self) -> list[dict[str, Any]]:
        """Every command with its type, name, summary and JSON schema, for forms and help."""
        return [{"stream_type": t, "name": name, "summary": cls.summary(), "schema": cls.schema(),
                 "creates_stream": cls.creates_stream}
                for t, commands in self.commands.items() for name, cls in commands.items()]
