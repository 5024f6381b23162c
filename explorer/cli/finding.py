"""`when STORE TARGET CONDITION`: the positions at which a condition on state switched.

TARGET is a stream id (a condition on its state: `state.on_hand < 0`), a read model's name (on
its rows' columns: `total > 500 and status = "paid"`) or `sagas` (on the sagas' rows:
`status = "compensating"`). Without --all it prints the first position after --after (default 0)
at which the condition became true; with --all every switch after it, to true and to false.
Each line names the event that made the switch. A read model is brought up to date first, as
`projection` does. A target or condition that names nothing is a usage error (exit 2) saying
what was wrong and what to do.
"""

from __future__ import annotations

import argparse
import sys

from explorer.cli import damage_note
from explorer.cli.arguments import AddSubcommand, natural, read_models_note
from explorer.cli.handlers import UsageError, read_store
from explorer.cli.live import say_what_rows_miss
from explorer.cli.output import print_json_array, print_table
from explorer.cli.systems import system_of
from explorer.common.names import visible
from explorer.projections import ProjectionStatus
from explorer.runtime.runner import Runner
from explorer.store.content_filter import FilterError
from explorer.system import System
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.when import (
    FindWhen,
    Switch,
    Switches,
    TargetError,
    UnknownFieldError,
)


def add_parser(add: AddSubcommand) -> None:
    """Declare `when` on the CLI's parser (see explorer.cli.main)."""
    p = add("when", "Find when a condition on state became true (or, with --all, every time it "
                    "switched): on a stream's state, a read model's rows or the sagas.", find_when)
    p.epilog = read_models_note()
    p.add_argument("target", metavar="TARGET",
                   help="a stream id (e.g. account-17), a read model's name (`project` lists "
                        "them) or sagas")
    p.add_argument("condition", metavar="CONDITION",
                   help="the content filter's language: 'state.balance < 0' on a stream, "
                        "'balance > 500 and status = \"open\"' on a read model's columns, "
                        "'status = \"compensating\"' on sagas")
    p.add_argument("--after", type=natural, default=0, metavar="P",
                   help="only switches after this position (default 0: from the start)")
    p.add_argument("--all", action="store_true",
                   help="every switch (to true and to false), not only the first to true")
    p.add_argument("--json", action="store_true", help="print a JSON list")


def find_when(args: argparse.Namespace) -> int:
    system = system_of(args)
    try:
        found, shown, status, warnings = _search(args, system)
    except (TargetError, FilterError, UnknownFieldError) as error:
        raise UsageError(_said(error)) from None
    for note in found.notes:
        print(f"note: {visible(note)}", file=sys.stderr)
    for warning in warnings:
        print(f"warning: {visible(warning)}", file=sys.stderr)
    short = (status is not None and found.built_to is not None
             and found.built_to < status.last_position)
    if status is not None:
        say_what_rows_miss(status, None)
    if found.truncated:
        print(f"warning: more than {len(found.switches):,} switches; only the first are "
              "listed. Narrow the condition, or start later with --after.", file=sys.stderr)
    if args.json:
        print_json_array(s.to_dict() for s in shown)
        return 0
    if not shown:
        happened = "switched" if args.all else "became true"
        print(visible(f"{found.condition!r} on {found.target} never {happened} after position "
                      f"{found.after:,}" + (f" up to position {found.built_to:,}, as far as "
                                            f"{status.name} is built" if short and status
                                            else "") + "."))
        return 0
    print_table(["POSITION", "BECAME", "SUBJECT", "EVENT"],
                ([f"{s.position:,}", "true" if s.became else "false", s.subject,
                  f"{s.event_type} on {s.stream_id}" if s.event_type else "?"] for s in shown),
                right=[0])
    return 0


def _search(args: argparse.Namespace, system: System,
            ) -> tuple[Switches, list[Switch], ProjectionStatus | None, tuple[str, ...]]:
    """The switches asked for, those to print with the events that made them (all of them
    for --json), the status of the read model searched (None for a stream), and warnings of
    comparisons with a value of another type than the field holds (as the window's)."""
    options = {"after": args.after, "first_only": not args.all}
    with read_store(args.store, system, cipher_key=args.cipher_key) as store:
        last = store.last_position()
        if args.after > last:  # nothing could switch after it: say so, not "never"
            raise UsageError(f"Position {args.after:,} (--after) is after the last event, at "
                             f"position {last:,}: choose a position up to {last:,}, or leave "
                             "the option out to search from the first event.")
        find = FindWhen(TimeMachine(store, None, system))
        if find.kind_of(args.target) == "stream":
            found = find.switches(args.target, args.condition, **options)
            return (found, list(found.switches), None,
                    find.type_warnings(args.target, args.condition))
        find.parse(args.target, args.condition)  # refused before the read models are touched
    with Runner(args.store, system, run_sagas=False) as runner:
        damage_note.warn_if_damaged(runner.store)  # (read-only where it cannot be written)
        find = FindWhen(TimeMachine(runner.store, runner.db, system))
        name = find.read_model_name(args.target)
        runner.engine.projection(name)
        runner.engine.catch_up(name)
        found = find.switches(args.target, args.condition, **options)
        status = next(p for p in runner.engine.statuses() if p.name == name)
        return (found, find.with_events(found.switches), status,
                find.type_warnings(args.target, args.condition))


def _said(error: Exception) -> str:
    if isinstance(error, FilterError):
        return f"the condition: {error}"
    return str(error)
