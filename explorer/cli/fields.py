"""Command-line options generated from a command's schema: `--carrier FedEx --tracking 123`.

Scalars are typed (numbers, choices); lists and objects take JSON. `--data JSON` can give any of
the fields too; options given explicitly win.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from explorer.cli.arguments import OneLineParser
from explorer.domain.commands import Command
from explorer.store import MAX_INTEGER


def field_parser(command: type[Command], prog: str) -> argparse.ArgumentParser:
    """An argument parser with one option per field of the command."""
    schema = command.schema()
    parser = OneLineParser(
        prog=prog, description=command.summary(), add_help=True,
        epilog="Lists and objects take JSON, e.g. --items '[{\"product_id\": \"prod_101\", "
               "\"quantity\": 2, \"price\": 29.99}]'.")
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(prop, schema)
        kind = _kind(prop)
        help_text = prop.get("description", "")
        extras = []
        if "enum" in prop:
            extras.append("one of " + ", ".join(map(str, prop["enum"])))
        for key, word in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
                          ("exclusiveMaximum", "<")):
            if key in prop:
                extras.append(f"{word} {prop[key]}")
        if "default" in prop:
            extras.append(f"default {prop['default']!r}")
        if name in required:
            extras.append("required")
        if extras:
            help_text = f"{help_text} ({'; '.join(extras)})" if help_text else "; ".join(extras)
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar=kind.upper(),
                            type=_converter(kind, name), default=argparse.SUPPRESS,
                            help=help_text)
    return parser


def _resolve(prop: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in prop:  # Optional[X]: take X, keep the description and default
        inner = next((p for p in prop["anyOf"] if p.get("type") != "null"), {})
        return {**_resolve(inner, schema), **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop


def _kind(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "choice"
    kind = prop.get("type", "json")
    return {"array": "json", "object": "json", "string": "text"}.get(kind, kind)


def _converter(kind: str, name: str):  # noqa: ANN202 - argparse takes any callable
    """Text to the field's kind, as JSON spells it: an integer field takes a whole number and a
    number field any finite number, so that the command sees the kind it declares."""
    option = f"--{name.replace('_', '-')}"
    what = {"integer": "a whole number", "number": "a number",
            "boolean": "true or false"}.get(kind, "JSON")

    def convert(text: str) -> Any:
        if kind in ("text", "choice"):
            return text
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
