"""`index STORE --path data.total | --list | --drop data.total`: indexes on paths of the events'
JSON, so that content filters on those paths read an index instead of every event
(explorer.store.path_indexes). Making or removing one writes to the store's file."""

from __future__ import annotations

import argparse

from explorer.cli.arguments import AddSubcommand, given
from explorer.cli.handlers import UsageError
from explorer.cli.output import print_json
from explorer.common.names import visible
from explorer.store.event_store import EventStore
from explorer.store.path_indexes import create_path_index, drop_path_index, path_indexes

FIELD = given("a field such as data.total")


def add_parser(add: AddSubcommand) -> None:
    """Declare `index` on the CLI's parser (see explorer.cli.main)."""
    p = add("index", "Index a path of the events' data or metadata (data.total), so that "
                     "content filters on it read an index instead of every event; list or "
                     "remove such indexes.", index, system=False)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--path", metavar="FIELD", type=FIELD,
                      help="the field to index: data.total, data.owner.country, "
                           "metadata.command (the store must be writable)")
    what.add_argument("--list", action="store_true", help="list the indexes made on paths")
    what.add_argument("--drop", metavar="FIELD", type=FIELD,
                      help="remove the index made on this field")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def index(args: argparse.Namespace) -> int:
    if args.list:
        with EventStore.open(args.store, read_only=True) as store:
            found = path_indexes(store)
        if args.json:
            print_json([{"field": made.field, "name": made.name} for made in found])
        elif not found:
            print("No paths are indexed: add one with `index STORE --path data.FIELD`.")
        for made in [] if args.json else found:
            print(f"{visible(made.field)}\t{visible(made.name)}")
        return 0
    with EventStore.open(args.store) as store:
        if args.path is not None:
            made = create_path_index(store, args.path)
            report = {"field": made.field, "name": made.name, "indexed": True}
            text = (f"Indexed {made.field} ({made.name}): content filters on it read the "
                    "index now.")
        else:
            if not drop_path_index(store, args.drop):
                raise UsageError(f"No index on {args.drop}: see `index STORE --list`.")
            report = {"field": args.drop, "indexed": False}
            text = f"Removed the index on {args.drop}."
    if args.json:
        print_json(report)
    else:
        print(text)
    return 0
