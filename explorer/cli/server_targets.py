"""`bundle` and `import` with a store on a PostgreSQL server at one end.

A bug report is a store file: `bundle URL OUT` copies the server store's log as far as it
reaches when asked (a consistent copy: positions 1..P, whatever commits meanwhile) into a
temporary store file, then bundles that file as it bundles any other, naming the server store
(without its password) as where the report was taken from. `import FILE URL` loads the file into
a temporary store file as it loads any new store (every check of the file's lines the same),
then copies that into the server's schema, which must hold no store yet or an empty one: an
import never adds to a history.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from explorer.exchange.bundle import BundleView, save_bundle
from explorer.exchange.importing import ImportReport, import_file, import_stream
from explorer.store import EventStore, StoreMissingError, StoreOpenError
from explorer.store.postgres_copy import copy_store
from explorer.store.postgres_url import is_server_url, shown


def refuse_server_out(out: str, what: str) -> None:
    """A file-only output given a server URL: refused saying what to give instead."""
    if is_server_url(out):
        raise StoreOpenError(f"{what} is a file: give a path for it, not {shown(out)}.")


def bundle_server_store(url: str, out: str | Path, view: BundleView) -> Path:
    """The bug report of the server store at `url`, written to the new file `out`."""
    with EventStore.open(url, read_only=True, verify=False) as source, \
            tempfile.TemporaryDirectory(prefix="event-explorer-bundle-") as folder:
        staged = Path(folder) / f"{source.name.replace('/', '_')}.evstore"
        copy_store(source, staged)
        return save_bundle(staged, out, view, taken_from=source.location)


def import_into_server(source: Path | None, url: str, *,
                       progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import the events file `source` (None: standard input) into a new store on the server
    at `url`; a schema holding a store with events is refused before anything is read."""
    _refuse_a_history(url)
    with tempfile.TemporaryDirectory(prefix="event-explorer-import-") as folder:
        staged = Path(folder) / "import.evstore"
        if source is None:
            report = import_stream(sys.stdin.buffer, staged, name="standard input")
        else:
            report = import_file(source, staged, progress=progress)
        with EventStore.open(staged, read_only=True, verify=False) as loaded:
            copy_store(loaded, url)
    with EventStore.open(url, read_only=True, verify=False) as made:
        location = made.location
    return ImportReport(location, report.events, report.streams, report.raised_times)


def _refuse_a_history(url: str) -> None:
    try:
        with EventStore.open(url, read_only=True, verify=False) as there:
            held = there.last_position()
            location = there.location
    except StoreMissingError:  # no store in that schema (yet): the import makes it
        return
    if held:
        raise StoreOpenError(
            f"Cannot import into {location}: it holds {held:,} events already, and an import "
            "makes a new store. Name a schema with no store (?schema=NEW_NAME), or drop that "
            "one's schema first.")
