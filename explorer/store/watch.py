"""Noticing commits to a store file by any connection, cheaply, by polling PRAGMA data_version.

`PRAGMA data_version` changes whenever another connection commits to the database file, whatever
process it is in. The watcher owns its own connection, so every writer (another process, or this
process's worker) counts as another connection. A poll costs a few microseconds.
"""

from __future__ import annotations

from explorer.store.event_store import EventStore


class ChangeWatcher:
    """Polls a store for new commits; `poll()` returns the new last position when it moved."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._data_version = store.data_version()
        self.last_position = store.last_position()

    def poll(self) -> int | None:
        """The new last position if anything was committed since the last poll, else None."""
        version = self.store.data_version()
        if version == self._data_version:
            return None
        self._data_version = version
        last = self.store.last_position()
        if last == self.last_position:
            return None  # a commit that added no events (snapshots, read models)
        self.last_position = last
        return last
