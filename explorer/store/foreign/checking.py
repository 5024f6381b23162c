"""`check` on an `eventsourcing` library store: what it is, and what can be checked of it.

The library keeps no hash chain, no stream index and no schema marker of ours, so the store's own
check does not apply. What is checked: SQLite's integrity check of a file (done first by
`check_store`; a server keeps its own pages), versions 1..n in each stream (read from the log's
primary key), and every stored state readable (an encrypted one without its key is a note, not a
problem). It only reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from explorer.store.foreign.layout import describe
from explorer.store.foreign.transcoding import stream_id_of
from explorer.store.foreign.views import LIBRARY

if TYPE_CHECKING:
    from explorer.store.check import CheckReport
    from explorer.store.foreign.library_store import LibraryStore

PAGE = 5000


def check_library(store: LibraryStore, report: CheckReport,
                  progress: Callable[[int], None] | None) -> CheckReport:
    """Fill `report` for the library's file behind `store` (see the module docstring)."""
    pages = "SQLite's integrity, " if store.pages_checked else ""
    server = "" if store.pages_checked else " (the server keeps its own pages)"
    report.notes.append(
        f"{store.name} is a store of the Python eventsourcing library (the tables "
        f"{describe(store.layout)}), read-only. It has no hash chain, so an event changed after "
        f"it was written cannot be found; checked: {pages}versions 1..n in each stream, every "
        f"stored state readable{server}.")
    last = store.last_position()
    report.events = last
    report.streams = store.count_streams()
    log = f'{LIBRARY}."{store.layout.events_table}"'
    gaps = store._db.execute(
        f"SELECT originator_id, count(*), min(originator_version), max(originator_version) "
        f"FROM {log} GROUP BY originator_id HAVING min(originator_version) != 1 "
        "OR max(originator_version) != count(*)").fetchall()
    for originator_id, count, first, newest in gaps:
        report.add("versions", f"stream {stream_id_of(originator_id)} has {count} events "
                               f"with versions {first}..{newest}, not 1..{count}")
    encrypted = 0
    for event in store.read_all(1, last, page_size=PAGE):
        stored = event.data.get("_stored_") if len(event.data) == 1 else None
        if stored == "encrypted":
            encrypted += 1
        elif stored is not None:
            report.add("unreadable", f"the state of the event at position {event.position} "
                                     f"cannot be read: {stored}")
        if progress is not None and event.position % PAGE == 0:
            progress(event.position)
    if encrypted:
        report.notes.append(f"{encrypted:,} events are encrypted and were not read: give the "
                            "application's key (CIPHER_KEY) to read them.")
    return report
