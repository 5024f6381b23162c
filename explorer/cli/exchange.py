"""`export`, `import` and `bundle`: events out of a store and into a new one, and bug reports.

`export STORE OUT` takes the same filters as `events` (OUT `-` is stdout) and never writes to the
store; `import FILE NEW_STORE` makes a new store only; `bundle STORE OUT` writes a consistent copy
of the store with a view on it (explorer.exchange). A store on a server at either end goes
through a temporary store file (explorer.cli.server_targets).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from explorer.cli import damage_note
from explorer.cli.arguments import (
    EVENT_TYPE,
    FILTER,
    STREAM_ID,
    STREAM_TYPE,
    AddSubcommand,
    natural,
    positive,
    store_path,
)
from explorer.cli.handlers import ProgressBar, _split
from explorer.cli.output import print_json
from explorer.cli.server_targets import bundle_server_store, import_into_server, refuse_server_out
from explorer.exchange.bundle import BundleFilters, BundleView, save_bundle
from explorer.exchange.export import ExportScope, export_file, export_to, undecrypted_warning
from explorer.exchange.formats import FORMATS
from explorer.exchange.importing import import_file, import_stream
from explorer.store.content_filter import parse_filter
from explorer.store.event_store import EventStore
from explorer.store.postgres_url import is_server_url, shown
from explorer.store.query import EventQuery


def add_parsers(add: AddSubcommand) -> None:
    """Declare `export`, `import` and `bundle` on the CLI's parser (see explorer.cli.main)."""
    p = add("export", "Write events to a file, one a line, as JSON Lines or CloudEvents 1.0 "
                      "JSON: the whole log, a stream or the events the filters keep (the store "
                      "is only read).", export)
    p.add_argument("out", metavar="OUT", help="the file to write (- for standard output)")
    p.add_argument("--format", choices=FORMATS, default="jsonl",
                   help="jsonl (default) or cloudevents")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    _add_filters(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = add("import", "Import a JSON Lines or CloudEvents file (as `export` writes) into a new "
                      "store, keeping event ids, versions, times and order; positions are "
                      "numbered from 1 in the file's order.", import_, store=False)
    p.add_argument("file", metavar="FILE", help="the events file (- for standard input)")
    p.add_argument("target", metavar="NEW_STORE", type=store_path,
                   help="the new store to make (must not exist)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = add("bundle", "Write a bug report: one file with a consistent copy of the store (taken "
                      "while others may write) and a view on it, opened read-only by "
                      "`main.py BUNDLE`.", bundle)
    p.add_argument("out", metavar="OUT", help="the bundle file to write (must not exist)")
    p.add_argument("--at-position", type=natural, help="put the view's cursor at this position")
    p.add_argument("--select", type=positive, metavar="POSITION",
                   help="select the event at this position")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_filters(p: argparse.ArgumentParser) -> None:
    """The filters of `events`, with the same meaning."""
    p.add_argument("--stream", type=STREAM_ID, help="only this stream's events")
    p.add_argument("--type", dest="event_types", action="append", default=[], type=EVENT_TYPE,
                   help="only events of this type (repeat or comma-separate for several)")
    p.add_argument("--stream-type", dest="stream_types", action="append", default=[],
                   type=STREAM_TYPE, help="only events of streams of this type")
    p.add_argument("--where", type=FILTER, help='a content filter, e.g. \'data.total > 100\'')
    p.add_argument("--from-position", type=positive, default=1, help="start at this position")
    p.add_argument("--to-position", type=positive, help="end at this position")


def _warn_of_unreadable(positions: list[int]) -> None:
    """Say which exported events could not be read (an import of the file refuses them)."""
    if not positions:
        return
    shown_positions = ", ".join(f"{p:,}" for p in positions[:10]) + (
        f" and {len(positions) - 10:,} more" if len(positions) > 10 else "")
    print(f"warning: {len(positions):,} event{'s' if len(positions) > 1 else ''} could not be "
          f"read ({shown_positions}): written as stored, marked 'unreadable', which an import "
          "refuses; `check` says what is wrong with them.", file=sys.stderr)


def export(args: argparse.Namespace) -> int:
    query = EventQuery(stream_id=args.stream, event_types=_split(args.event_types),
                       stream_types=_split(args.stream_types), from_position=args.from_position,
                       to_position=args.to_position,
                       content=parse_filter(args.where) if args.where else None)
    scope = ExportScope(query)
    unreadable: list[int] = []
    with EventStore.open(args.store, read_only=True, verify=False) as store:
        if not is_server_url(args.store):  # (a server's store is not checked on reading)
            damage_note.warn_if_damaged(store)  # (an export of a damaged store goes on)
        warning = undecrypted_warning(store)
    if warning is not None:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out == "-":
        export_to(args.store, sys.stdout.buffer, scope, args.format, unreadable=unreadable)
        sys.stdout.flush()
        _warn_of_unreadable(unreadable)
        return 0
    bar = ProgressBar(0, "positions", lazy=True)
    try:
        count = export_file(args.store, Path(args.out), scope, args.format, force=args.force,
                            progress=bar.update_to, unreadable=unreadable)
    finally:
        bar.close()
    _warn_of_unreadable(unreadable)
    report = {"store": shown(args.store), "out": args.out, "format": args.format, "events": count,
              "scope": scope.describe()}
    if args.json:
        print_json(report)
    else:
        print(f"Exported {count:,} events ({report['scope']}) of {shown(args.store)} to {args.out} "
              f"as {args.format}.", file=sys.stderr)
    return 0


def import_(args: argparse.Namespace) -> int:
    bar = ProgressBar(0, "B", lazy=True)
    try:
        if is_server_url(args.target):
            report = import_into_server(None if args.file == "-" else Path(args.file),
                                        args.target, progress=bar.update_to)
        elif args.file == "-":
            report = import_stream(sys.stdin.buffer, Path(args.target), name="standard input")
        else:
            report = import_file(Path(args.file), Path(args.target), progress=bar.update_to)
    finally:
        bar.close()
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"Imported {report.events:,} events in {report.streams:,} streams into "
              f"{report.location} (positions numbered from 1 in the file's order).")
        if report.raised_times:
            print(f"Times raised: {report.raised_times:,} (an event's time was before the one on "
                  "the line before it, and was given that time: times go up with positions).")
    return 0


def bundle(args: argparse.Namespace) -> int:
    view = BundleView(cursor_position=args.at_position, selected_position=args.select,
                      filters=BundleFilters())
    refuse_server_out(args.out, "A bug report")
    if is_server_url(args.store):
        target = bundle_server_store(args.store, args.out, view)
    else:
        target = save_bundle(args.store, args.out, view)
    if args.json:
        print_json({"bundle": str(target), "view": view.to_json()})
    else:
        print(f"Wrote the bug report {target}: a copy of {shown(args.store)}"
              + (f" with the cursor at position {args.at_position:,}"
                 if args.at_position is not None else "")
              + f". Open it with `python main.py {target}` (read-only).")
    return 0
