"""The command line: `python -m explorer SUBCOMMAND` (installed as `event-explorer-cli`).

Thin over the same services as the window. `--json` gives machine-readable output. An error
prints one line saying what was wrong and what to do, and exits with status 1 (2 for usage).
Every subcommand on a store takes `--system` (see explorer.cli.systems).
"""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from explorer.cli import (
    compare,
    copying,
    desktop,
    exchange,
    finding,
    handlers,
    live,
    path_indexing,
    systems,
)
from explorer.cli.arguments import (
    COMMAND_DATA,
    CORRELATION_ID,
    EVENT_TYPE,
    FILTER,
    STREAM_ID,
    STREAM_TYPE,
    OneLineParser,
    WholeWordsFormatter,
    days,
    given,
    match_text,
    natural,
    positive,
    search_index_note,
    seconds,
    store_path,
)
from explorer.common import bulk
from explorer.common.identity import add_version_option
from explorer.store.postgres_url import ask_for_passwords_with
from explorer.system.discovery import SystemLoadError


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; `argv` tells `seed`'s size option (the system's seeder names it)."""
    parser = OneLineParser(
        prog="event-explorer-cli",
        description="Look inside an event-sourced store: streams, events, state, commands.",
        formatter_class=WholeWordsFormatter)
    add_version_option(parser)
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)

    def add(name: str, help_text: str, handler: Callable[[argparse.Namespace], int],
            store: bool = True, system: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text,
                           formatter_class=WholeWordsFormatter)
        if store:
            p.add_argument("store", metavar="STORE", type=store_path, help="the store file")
        if store and system:
            systems.add_system_option(p)
            systems.add_cipher_key_option(p)
        p.set_defaults(handler=handler)
        return p

    p = add("systems", "List the systems that can be loaded, where each comes from, and how to "
                       "add one.", systems.systems, store=False)
    p.add_argument("--json", action="store_true")

    p = add("seed", "Fill a new store with a realistic history made by a system's own commands "
                    "(its seeder).", handlers.seed, system=False)
    systems.add_seed_options(p, systems.seed_system(argv))
    p.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same "
                   "store (default 42)")
    p.add_argument("--days", type=days, default=90, help="simulated period (default 90 days)")
    p.add_argument("--recent", action="store_true", help="end the history a day before now "
                   "(default: begin on the seeder's fixed date, so that the same seed gives the "
                   "same store)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = add("create", "Make a new, empty store for a system's commands to fill (for a system "
                      "with no seeder, say).", handlers.create)

    p = add("streams", "List streams with their type, version and last timestamp.",
            handlers.streams)
    p.add_argument("--type", dest="stream_type", type=STREAM_TYPE,
                   help="only streams of this type (`types` lists them)")
    p.add_argument("--match", type=match_text,
                   help="only ids containing this text, or matching a * ? wildcard")
    p.add_argument("--limit", type=positive, help="at most this many")
    p.add_argument("--json", action="store_true")

    p = add("types", "List stream types with their numbers of streams and events.", handlers.types)
    p.add_argument("--json", action="store_true")

    p = add("events", "List events in global order (or one stream's).", handlers.events)
    p.epilog = search_index_note()
    p.add_argument("--stream", type=STREAM_ID, help="only this stream's events")
    p.add_argument("--type", dest="event_types", action="append", default=[], type=EVENT_TYPE,
                   help="only events of this type (repeat or comma-separate for several)")
    p.add_argument("--stream-type", dest="stream_types", action="append", default=[],
                   type=STREAM_TYPE, help="only events of streams of this type")
    p.add_argument("--where", type=FILTER, help='a content filter, e.g. \'data.balance > 100 and '
                   'data.status = "open"\' or \'data.lines[*].sku = "sku-42"\'; '
                   'against a number, text writing one ("10.00", "-1.5e3") is that number, '
                   'exactly, and other text matches nothing (quote the value to compare text)')
    p.add_argument("--from-position", type=positive, default=1, help="start at this position")
    p.add_argument("--to-position", type=positive, help="end at this position (as export's)")
    p.add_argument("--search", metavar="TEXT", type=given("a word, an id or a phrase"),
                   help='only events mentioning TEXT (words, ids such as account-17, a prefix '
                   'account-1*, a "quoted phrase"), newest first; the first search indexes the '
                   "store")
    p.add_argument("--limit", type=positive, help="at most this many")
    p.add_argument("--json", action="store_true")

    p = add("state", "Show an aggregate's state, now or as it was.", handlers.state)
    p.add_argument("stream_id", metavar="STREAM_ID")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at-version", type=positive, help="after this many of its events")
    when.add_argument("--at-position", type=natural,
                      help="as of this global position (0: before the first event)")
    when.add_argument("--at-time", type=given("an ISO 8601 time"),
                      help="as of this ISO 8601 time (UTC unless a zone is given)")
    p.add_argument("--no-snapshots", action="store_true", help="replay every event")
    p.add_argument("--json", action="store_true")

    p = add("command", "Run a command against an aggregate and show the events it produced.",
            handlers.command)
    p.add_argument("stream_type", metavar="STREAM_TYPE",
                   help="an aggregate type of the system (`commands` lists them)")
    p.add_argument("stream_id", metavar="STREAM_ID", help="the stream's id, e.g. account-17")
    p.add_argument("command", metavar="COMMAND",
                   help="one of the type's commands (`commands` lists them)")
    p.add_argument("--data", type=COMMAND_DATA, help="the command's fields as a JSON object")
    p.add_argument("--expected-version", type=natural,
                   help="fail unless the stream is at this version (0: must be new)")
    p.add_argument("--correlation-id", type=CORRELATION_ID,
                   help="correlate with an earlier request")
    p.add_argument("--json", action="store_true")
    p.add_argument("fields", nargs=argparse.REMAINDER,
                   help="field options generated from the command's schema, e.g. --reference R-17 "
                        "(run `command STORE TYPE ID NAME --help` to list them)")

    p = add("script", "Play a demo script (JSON or YAML): send its commands one after another "
                      "and print each step's result.", handlers.script)
    p.add_argument("file", metavar="FILE", help="the script (the demo shop's are in "
                   "resources/scripts; a system's scripts are for its own stores)")
    p.add_argument("--delay", type=seconds, metavar="SECONDS",
                   help="seconds between steps (default: the script's own delay)")
    p.add_argument("--run-sagas", action="store_true",
                   help="let the sagas and projections react after each step, in this process "
                        "(without it, a running window or `run` does that)")
    p.add_argument("--json", action="store_true", help="one JSON object per step")

    p = add("commands", "List the commands of every aggregate type of a system with their fields: "
                        "the store's system, or without a store the one --system names (default: "
                        "the demo shop).", systems.commands, store=False)
    p.add_argument("store", metavar="STORE", nargs="?", type=store_path,
                   help="a store, to list its system's")
    systems.add_system_option(p, "the system whose commands to list: an installed one's name "
                                 "(see `systems`) or package.module:ATTRIBUTE")
    p.add_argument("--json", action="store_true", help="print the JSON schemas")

    p = add("check", "Check a store's integrity: SQLite's own check, the schema, positions, "
                     "versions, the stream index, decoding and the hash chain.", handlers.check)
    p.add_argument("--json", action="store_true")

    p = add("salvage", "Copy every event that can still be read from a damaged store into a new "
                       "store, and say which positions were lost.", handlers.salvage)
    p.add_argument("target", metavar="NEW", type=store_path,
                   help="the new store to make (must not exist)")
    p.add_argument("--json", action="store_true")

    p = add("summary", "Summarise a store: types, streams, events, last position.",
            handlers.summary)
    p.add_argument("--json", action="store_true")
    live.add_parsers(add)
    finding.add_parser(add)
    compare.add_parser(add)
    exchange.add_parsers(add)
    copying.add_parser(add)
    path_indexing.add_parser(add)
    desktop.add_parser(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(argv)
    except SystemLoadError as error:  # `seed --system` naming no loadable system
        print(f"error: {error}", file=sys.stderr)
        return 1
    args = parser.parse_args(argv)
    if sys.stdin.isatty():  # a server wanting a password no URL or PGPASSWORD gave: ask
        ask_for_passwords_with(lambda shown: getpass.getpass(f"Password for {shown}: "))
    with bulk.collector_pauses_allowed(), _stopped_as_by_ctrl_c():  # a headless process: no
        return handlers.run(args)  # GUI thread to stall


@contextmanager
def _stopped_as_by_ctrl_c() -> Iterator[None]:
    """Stopping the command (`kill`, `timeout`, the terminal closed) ends it as Ctrl+C does:
    whatever it had open is closed, so a read leaves no -wal or -shm file beside the store and
    a write its transaction undone. (Without, SIGTERM and SIGHUP ended the process at once.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signal: int, frame: Any) -> None:
        as_ctrl_c = signal.getsignal(signal.SIGINT)  # (`run` stops at the end of its step)
        if callable(as_ctrl_c):
            as_ctrl_c(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    numbers = (signal.SIGTERM, getattr(signal, "SIGHUP", None))
    kept = {number: signal.signal(number, interrupt) for number in numbers
            if number is not None and signal.getsignal(number) is not signal.SIG_IGN}  # (nohup)
    try:
        yield
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
