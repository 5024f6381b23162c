"""Which system the command line explores a store with, and the subcommands about systems.

Every subcommand on a store takes `--system NAME|package.module:ATTRIBUTE|none`; without it, the
system the store names (`workspace.system_for`), asking on a terminal before loading one the
store names by module path (loading runs its code), refusing otherwise. `systems` lists what
can be loaded and from where, `commands` a system's commands and `seed` fills a new store with a
system's seeder. Nothing here names a concrete system but the default one, by name.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from explorer.cli.arguments import SYSTEM, bounded_size, given
from explorer.cli.output import print_json, print_table
from explorer.common.names import visible, visible_lines
from explorer.domain.forms import form_of
from explorer.system import NO_SYSTEM, System
from explorer.system.discovery import (
    ENTRY_POINT_GROUP,
    SystemLoadError,
    installed_systems,
    load_system,
)
from explorer.system.workspace import system_for

DEFAULT_SYSTEM = "shop"
"""The system `seed` and `commands` use unless told otherwise: the demo shop that comes with
the explorer (found, like any system, by its entry point)."""

SYSTEM_HELP = ("the system to read the store with: an installed one's name (see `systems`), "
               "package.module:ATTRIBUTE, or none (events as stored, state by the generic "
               "fold); default: the system the store names")
HOW_TO_ADD = (
    "To add a system, install a package that declares it as an entry point in the group "
    f"{ENTRY_POINT_GROUP} (in pyproject.toml: [project.entry-points.\"{ENTRY_POINT_GROUP}\"] "
    "myshop = \"mypackage.system:SYSTEM\"), or name it on any subcommand with "
    "--system mypackage.system:SYSTEM.")


def add_system_option(parser: argparse.ArgumentParser, help_text: str = SYSTEM_HELP) -> None:
    parser.add_argument("--system", metavar="SYSTEM", type=SYSTEM, help=help_text)


def add_cipher_key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cipher-key", metavar="KEY", type=given("a key"), help=(
        "the key that decrypts an eventsourcing library store's encrypted events (its "
        "application's CIPHER_KEY; CIPHER_TOPIC names the cipher); default: the CIPHER_KEY "
        "variable. It is never written anywhere"))


def system_of(args: argparse.Namespace) -> System:
    """The system a subcommand on `args.store` works with: `--system`, or the one the store
    names (found once per run)."""
    found = getattr(args, "loaded_system", None)
    if found is None:
        found = system_for(args.store, args.system, confirm=confirm_module_path)
        args.loaded_system = found
    return found


def chosen_or_none(args: argparse.Namespace) -> System:
    """`--system` if given, else no system: for listings that read no event's data (streams,
    types, summary), which need not load (or ask about) the system a store names."""
    return load_system(args.system) if args.system else NO_SYSTEM


def on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def confirm_module_path(module: str) -> bool:
    """Ask before loading a system that a store names by module path: loading runs its code.
    Without a terminal to ask on, refuse and say how to load it."""
    if not on_terminal():
        raise SystemLoadError(
            f"The store was written by the system {module}, which is not installed; loading it "
            f"runs its code, so it is loaded only when asked: pass --system {module} (or "
            "--system none to explore the store without it).")
    print(f"The store was written by the system {visible(module)}, which is not installed. "
          "Loading it runs its code. Load it? [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def require_commands(system: System, store: str | None = None) -> None:
    """Refuse to send commands without a system (say how to load one), or with a system that
    says why it sends none (an eventsourcing application's: `commands_refusal`)."""
    if system.generic:
        where = f" for {store}" if store else ""
        raise SystemLoadError(
            f"No system is loaded{where}, so there are no commands to send: pass --system NAME "
            "(see `systems`) or --system package.module:ATTRIBUTE.")
    refusal = getattr(system, "commands_refusal", None)
    if refusal:
        raise SystemLoadError(refusal)


# -- systems -----------------------------------------------------------------------------------


def systems(args: argparse.Namespace) -> int:
    """List the installed systems, where each comes from, and how to add one."""
    found = [_described(entry.name, entry.to_dict()) for entry in installed_systems()]
    if args.json:
        print_json(found)
        return 0
    if found:
        print_table(["NAME", "TITLE", "SEEDER", "FROM", "PACKAGE"],
                    ([s["name"], s.get("title") or "?", _seeder_text(s), s["module"],
                      s["distribution"]] for s in found))
        for broken in (s for s in found if s.get("error")):
            print(visible_lines(f"{broken['name']} cannot be loaded: {broken['error']}"))
    else:
        print("No system is installed.")
    print()
    print(textwrap.fill(HOW_TO_ADD, 92))
    return 0


def _described(name: str, entry: dict[str, str]) -> dict[str, Any]:
    try:
        system = load_system(name)
    except SystemLoadError as error:
        return {**entry, "error": str(error)}
    seeder = system.seeder
    return {**entry, "title": system.label, "description": system.description,
            "seeder": None if seeder is None else {"size_name": seeder.size_name,
                                                   "default_size": seeder.default_size},
            "aggregates": list(system.domain.aggregates), "sagas": [s.name for s in system.sagas]}


def _seeder_text(described: dict[str, Any]) -> str:
    seeder = described.get("seeder")
    return f"--{seeder['size_name']} {seeder['default_size']:,}" if seeder else "none"


# -- commands ----------------------------------------------------------------------------------


def commands(args: argparse.Namespace) -> int:
    """List every command and its fields: optional ones with "?", secrets (which the schema marks
    `secret`, and which the console never keeps whole) with "[secret]"."""
    system = system_of(args) if args.store else load_system(args.system or DEFAULT_SYSTEM)
    require_commands(system, args.store)
    domain = system.domain
    described = domain.describe_commands()
    if args.json:
        print_json(described)
        return 0
    for item in described:
        form = form_of(domain.command_class(item["stream_type"], item["name"]))
        fields = ", ".join(spec.name + ("" if spec.required else "?")
                           + (" [secret]" if spec.secret else "") for spec in form)
        print(f"{item['stream_type']:10} {item['name']:15} {item['summary']}")
        print(f"{'':26} fields: {fields or '(none)'}")
    return 0


# -- seed --------------------------------------------------------------------------------------


def seed_system(argv: Sequence[str]) -> System | None:
    """The system `seed` will use, read from its arguments before they are parsed, so that its
    size option is the seeder's own (`--orders` for the shop); None unless seeding."""
    if not argv or argv[0] != "seed":
        return None
    spec = DEFAULT_SYSTEM
    for index, word in enumerate(argv):
        if word == "--system" and index + 1 < len(argv):
            spec = argv[index + 1]
        elif word.startswith("--system="):
            spec = word.partition("=")[2]
    if not spec.strip():
        return None  # (the parser says what is wrong with an empty --system)
    return load_system(spec)


def add_seed_options(parser: argparse.ArgumentParser, system: System | None) -> None:
    """`seed`'s options: the seeder's size option (`--SIZE-NAME`, also `--size`), bounded by
    its max_size, and the period and randomness of the history."""
    seeder = system.seeder if system is not None else None
    names = ["--size"] if seeder is None else ["--size", f"--{seeder.size_name.replace('_', '-')}"]
    most = seeder.max_size if seeder is not None else None
    default = f" (default {seeder.default_size:,})" if seeder is not None else ""
    unit = f" {seeder.size_name.replace('_', ' ')}" if seeder is not None else ""
    parser.add_argument(*dict.fromkeys(names), dest="size", type=bounded_size(most, unit),
                        metavar="N", help=(seeder.size_help if seeder is not None
                                           else "the size of the history") + default)
    parser.add_argument("--system", metavar="SYSTEM", default=DEFAULT_SYSTEM, type=SYSTEM,
                        help=f"the system whose seeder makes the history (default "
                             f"{DEFAULT_SYSTEM}; see `systems`)")
