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

from explorer.common.formatting import count_of
from explorer.store.foreign.layout import describe
from explorer.store.foreign.library_store import decrypts_here
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
    encrypted, read = 0, False
    unread = UnreadEvents(report)
    for event in store.read_all(1, last, page_size=PAGE):
        stored = event.data.get("_stored_") if len(event.data) == 1 else None
        if stored == "encrypted":
            encrypted += 1
        elif stored is not None:
            unread.add(event.position, stored)
        elif not read:
            read = True
            unread.say_each()  # (one event read: the key, if any, is not at fault)
        if progress is not None and event.position % PAGE == 0:
            progress(event.position)
    if unread.count and not read and decrypts_here(store.location):
        report.add("key", f"the key given does not decrypt the events: none of the "
                          f"{count_of(unread.count, 'event')} could be read with it. Give the "
                          "application's key (its CIPHER_KEY).")
    else:
        unread.say_each()
    if encrypted:
        report.notes.append(f"{encrypted:,} events are encrypted and were not read: give the "
                            "application's key (CIPHER_KEY) to read them.")
    return report


class UnreadEvents:
    """The events whose state could not be read, each said as a problem of `report`; held back
    while no event has been read, for a wrong key fails every event and is said once instead
    (a check with it listed 1,501 problems, each 'encrypted (the key given does not decrypt
    it)')."""

    def __init__(self, report: CheckReport) -> None:
        from explorer.store.check import LISTED_PER_KIND  # (it imports this module)

        self.report = report
        self.count = 0
        self._held: list[tuple[int, str]] | None = []
        self._most = LISTED_PER_KIND

    def add(self, position: int, stored: str) -> None:
        self.count += 1
        if self._held is None:
            self._say(position, stored)
        elif len(self._held) < self._most:
            self._held.append((position, stored))

    def say_each(self) -> None:
        """Say the events held back, and each one added from now on."""
        if self._held is None:
            return
        for position, stored in self._held:
            self._say(position, stored)
        self.report.omitted += self.count - len(self._held)  # (past those listed of a kind)
        self._held = None

    def _say(self, position: int, stored: str) -> None:
        self.report.add("unreadable", f"the state of the event at position {position} cannot "
                                      f"be read: {stored}")
