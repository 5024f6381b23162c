"""`diff STORE --from P1 --to P2`: what changed between two moments (explorer.timetravel.compare).

The read models are brought up to date first (as `projection` does), in the folder they live in
for the store. Bad positions are usage errors: one line, status 2.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from explorer.cli import damage_note
from explorer.cli.arguments import AddSubcommand, natural, read_models_note
from explorer.cli.handlers import UsageError
from explorer.cli.live import say_what_rows_miss
from explorer.cli.output import print_json, print_table
from explorer.cli.systems import system_of
from explorer.common.names import visible
from explorer.runtime.runner import Runner
from explorer.timetravel.compare import FIRST_ROWS, Comparer, Comparison


def add_parser(add: AddSubcommand) -> None:
    """Declare `diff` on the CLI's parser (see explorer.cli.main)."""
    p = add("diff", "Compare two moments: the streams that got events, each read model's rows "
                    "added, changed and removed, and the sagas whose status changed.", diff)
    p.epilog = read_models_note()
    p.add_argument("--from", dest="before", type=natural, required=True, metavar="P1",
                   help="the earlier position (0: before the first event)")
    p.add_argument("--to", dest="after", type=natural, metavar="P2",
                   help="the later position (default: the last, i.e. live)")
    p.add_argument("--rows", type=natural, default=FIRST_ROWS, metavar="N",
                   help=f"rows of each read model to list (default {FIRST_ROWS})")
    p.add_argument("--json", action="store_true", help="the whole comparison as JSON")


def diff(args: argparse.Namespace) -> int:
    system = system_of(args)
    with Runner(args.store, system, run_sagas=False) as runner:
        damage_note.warn_if_damaged(runner.store)  # (read-only where it cannot be written)
        runner.engine.catch_up_all()
        comparer = Comparer(runner.store, runner.db, system)
        try:
            before, after = comparer.positions(args.before, args.after)
        except ValueError as error:
            raise UsageError(str(error)) from None
        comparison = comparer.summary(before, after, rows=args.rows)
        for status in runner.engine.statuses():  # (a fault or a skip the rows at B are without)
            say_what_rows_miss(status, after)
    if args.json:
        print_json(comparison.to_dict())
    else:
        _print(comparison)
    return 0


def _print(comparison: Comparison) -> None:
    print(f"From position {comparison.before:,} to {comparison.after:,}"
          + (" (live)" if comparison.after == comparison.last_position else "")
          + f": {comparison.events:,} events in {comparison.streams:,} streams.")
    if comparison.stream_types:
        print()
        print_table(["STREAM TYPE", "STREAMS", "EVENTS", "EVENT TYPES"],
                    ([t.stream_type, f"{t.streams:,}", f"{t.events:,}",
                      ", ".join(f"{name} {count:,}" for name, count in t.event_types)]
                     for t in comparison.stream_types), right=[1, 2])
    for model in comparison.read_models:
        counts = model.counts
        print()
        print(f"{model.title} ({model.name}): {counts.added:,} added, {counts.changed:,} "
              f"changed, {counts.removed:,} removed"
              + (f" (built to position {model.built_to:,} only)"
                 if model.built_to < comparison.after else ""))
        for row in model.rows:
            key = ", ".join(str(v) for v in row.key.values())
            text = _row_text(row.kind, row.before, row.after, row.fields)
            print(visible(f"  {row.kind:8s} {key}: {text}"))
        if counts.total > len(model.rows):
            print(f"  ... and {counts.total - len(model.rows):,} more (--rows N lists more)")
    built_to = comparison.sagas_built_to
    if comparison.saga_changes or comparison.sagas or ("sagas", built_to) in comparison.short:
        print()
        print(f"Sagas whose status changed: {comparison.saga_changes:,}"
              + (f" (built to position {built_to:,} only)"
                 if built_to is not None and built_to < comparison.after else ""))
        for saga in comparison.sagas:
            print(visible(f"  {saga.saga_id}: {saga.before or '(none)'} -> "
                          f"{saga.after or '(none)'}" + (
                              f" ({saga.reason})" if saga.reason and saga.after in (
                                  "failed", "compensated", "compensating") else "")))


def _row_text(kind: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
              fields: tuple[str, ...]) -> str:
    if kind == "changed" and before is not None and after is not None:
        return "; ".join(f"{name} {_json(before[name])} -> {_json(after[name])}"
                         for name in fields)
    values = after if kind == "added" else before
    return ", ".join(f"{name} {_json(value)}" for name, value in (values or {}).items())


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
