"""Command-line options made from a command's form: `--carrier FedEx --tracking 123`.

The options come from the same description of the command's fields as the window's form
(`explorer.domain.forms.form_of`), so both offer the same fields, limits and choices. Scalars
are typed (numbers, choices); lists and objects take JSON. `--data JSON` can give any of the
fields too; options given explicitly win. A field named like one of the subcommand's own
options (`data`, `help`, `json`, ...) gets `--field-NAME` instead, so that both keep working.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import orjson

from explorer.cli.arguments import OneLineParser
from explorer.domain.commands import Command, written_number
from explorer.domain.forms import FieldSpec, example_value, form_of
from explorer.store import MAX_INTEGER

# a form's kind of field -> how its option is typed (its metavar too); others take JSON
OPTION_KINDS = {"text": "text", "date": "text", "datetime": "text", "choice": "choice",
                "integer": "integer", "number": "number", "boolean": "boolean"}
WRITTEN = {"date": ("DATE", "a date, e.g. 2026-03-19"),
           "datetime": ("DATETIME", "a date and time, e.g. 2026-03-19T09:30:00Z")}
"""How a date's and a date and time's options are shown, and written (taken as text)."""

OWN_OPTIONS = frozenset({"help", "h", "data", "expected-version", "correlation-id", "json",
                         "system", "cipher-key"})
"""The `command` subcommand's own options (without the dashes): a field is never given one."""


def field_options(names: list[str]) -> dict[str, str]:
    """Each field's option: `--carrier` for carrier, `--field-data` for a field named like one
    of the subcommand's own options (or like another field's option)."""
    options: dict[str, str] = {}
    taken = set(OWN_OPTIONS) | {name.replace("_", "-") for name in names}
    for name in names:
        option = name.replace("_", "-")
        if option in OWN_OPTIONS:
            option = f"field-{option}"
            while option in taken:
                option = f"field-{option}"
            taken.add(option)
        options[name] = f"--{option}"
    return options


def field_parser(command: type[Command], prog: str) -> argparse.ArgumentParser:
    """An argument parser with one option per field of the command."""
    specs = form_of(command)
    options = field_options([spec.name for spec in specs])
    renamed = [option for name, option in options.items()
               if option != f"--{name.replace('_', '-')}"]
    notes = [f"Lists and objects take JSON, e.g. {_json_example(specs, options)}."
             if _json_example(specs, options) else "",
             f"{', '.join(renamed)}: fields named like this subcommand's own options (--data, "
             "--help, --json, ...) take these instead; --data JSON gives them by their names "
             "too." if renamed else ""]
    parser = OneLineParser(prog=prog, description=command.summary(), add_help=True,
                           epilog=" ".join(note for note in notes if note) or None)
    for spec in specs:
        kind = OPTION_KINDS.get(spec.kind, "json")
        parser.add_argument(options[spec.name], dest=spec.name,
                            metavar=WRITTEN.get(spec.kind, (kind.upper(),))[0],
                            type=_converter(kind, options[spec.name]),
                            default=argparse.SUPPRESS, help=_help(spec))
    return parser


def _json_example(specs: tuple[FieldSpec, ...], options: dict[str, str]) -> str:
    """The command's first list or object field given a value that passes its limits, as an
    option (--tags '["tag"]'), or "" if it has none."""
    for spec in specs:
        if OPTION_KINDS.get(spec.kind, "json") == "json":
            value = example_value(spec)
            if value == [] and spec.item is not None:  # its default: show a row
                value = [example_value(spec.item)]
            return f"{options[spec.name]} '{orjson.dumps(value).decode()}'"
    return ""


def _help(spec: FieldSpec) -> str:
    """The field's description, then its limits: "(one of FedEx, UPS; required)"."""
    extras = [WRITTEN[spec.kind][1]] if spec.kind in WRITTEN else []
    if spec.choices:
        extras.append("one of " + ", ".join(map(str, spec.choices)))
    for value, exclusive, inclusive_word, exclusive_word in (
            (spec.minimum, spec.exclusive_minimum, ">=", ">"),
            (spec.maximum, spec.exclusive_maximum, "<=", "<")):
        if value is not None:
            extras.append(f"{exclusive_word if exclusive else inclusive_word} {value}")
    if spec.has_default:
        extras.append(f"default {spec.default!r}")
    if spec.required:
        extras.append("required")
    if not extras:
        return spec.description
    return f"{spec.description} ({'; '.join(extras)})" if spec.description else "; ".join(extras)


def _converter(kind: str, option: str) -> Callable[[str], Any]:
    """Text to the field's kind: an integer field takes a whole number and a number field any
    finite number, written as `--data` takes them (2.0 a whole number, .5 or +5 a number),
    so that the command sees the kind it declares."""
    what = {"integer": "a whole number", "number": "a number",
            "boolean": "true or false"}.get(kind, "JSON")

    def convert(text: str) -> Any:
        if kind in ("text", "choice"):
            return text
        if kind in ("integer", "number"):
            number = written_number(text, whole=kind == "integer")
            if number is not None:
                return number
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise argparse.ArgumentTypeError(f"{option} needs {what}, not {_shown(text)}") \
                from None
        if kind == "integer" and isinstance(value, float) and text.strip().lstrip("-").isdigit():
            raise argparse.ArgumentTypeError(  # orjson reads a whole number this large as a float
                f"{option} is out of range: whole numbers go up to {MAX_INTEGER:,}")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise argparse.ArgumentTypeError(
                f"{option} is out of range: whole numbers go up to {MAX_INTEGER:,}")
        expected = {"integer": int, "number": int | float, "boolean": bool}.get(kind)
        if expected is not None and (not isinstance(value, expected)
                                     or (kind != "boolean" and isinstance(value, bool))):
            raise argparse.ArgumentTypeError(f"{option} needs {what}, not {_shown(text)}")
        return value
    convert.__name__ = kind  # argparse names the type in its messages
    return convert


def _shown(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:30] + "…")
