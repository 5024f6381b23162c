"""`copy SOURCE TARGET`: a whole store into a new one, between a file and a PostgreSQL server
either way (explorer.store.postgres_copy), keeping ids, versions, positions and times."""

from __future__ import annotations

import argparse

from explorer.cli import damage_note
from explorer.cli.arguments import AddSubcommand, store_path
from explorer.cli.handlers import ProgressBar
from explorer.cli.output import print_json
from explorer.cli.systems import add_cipher_key_option
from explorer.store.errors import StoreOpenError
from explorer.store.event_store import EventStore
from explorer.store.foreign.library_store import LibraryStore
from explorer.store.postgres_copy import copy_store


def add_parser(add: AddSubcommand) -> None:
    """Declare `copy` on the CLI's parser (see explorer.cli.main)."""
    p = add("copy", "Copy a whole store into a new one, a file or a postgresql:// URL, either "
                    "way: the same events (ids, versions, positions, times), snapshots and "
                    "system (the source is only read).", copy, system=False)
    p.add_argument("target", metavar="TARGET", type=store_path,
                   help="the new store: a file that does not exist, or a server URL whose "
                        "schema holds no events")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_cipher_key_option(p)


def copy(args: argparse.Namespace) -> int:
    with EventStore.open(args.store, read_only=True) as source:
        damage_note.warn_if_damaged(source)  # (the copy's chain would vouch for what it holds)
        why = source.why_not_decrypted() if isinstance(source, LibraryStore) else None
        if why is not None:
            raise StoreOpenError(
                f"Cannot copy {source.location}: its events are encrypted and {why}, so a copy "
                "would hold none of their data nor their times. Give the application's key "
                "with --cipher-key KEY (or its CIPHER_KEY variable). Nothing was copied.")
        bar = ProgressBar(source.last_position(), "events", lazy=True)
        try:
            last = copy_store(source, args.target, progress=bar.update_to)
        finally:
            bar.close()
        report = {"source": source.location, "target": _shown(args.target), "events": last}
    if args.json:
        print_json(report)
    else:
        print(f"Copied {last:,} events (positions 1 to {last:,}) from {report['source']} to "
              f"{report['target']}.")
    return 0


def _shown(target: str) -> str:
    """The target as shown: a server's URL without its password."""
    with EventStore.open(target, read_only=True) as copied:
        return copied.location
