"""Noticing commits to a store file by any connection, cheaply, by polling PRAGMA data_version.

`PRAGMA data_version` changes whenever another connection commits to the database file, whatever
process it is in. A watcher owns its own connection, so every writer (another process, or this
process's worker) counts as another connection. A poll costs a few microseconds.

`CommitWatcher` is the one poller: it says whether anything was committed since it last looked
(the runner waits on it). `AppendWatcher` builds on it to say where the log now ends (the live
command line and the window's watcher thread follow appends with it).
"""

from __future__ import annotations

from collections.abc import Callable

from explorer.store.event_store import EventStore


class CommitWatcher:
    """Polls a database's `data_version` (a connection's `PRAGMA data_version`, read by the
    callable given); `changed()` says whether another connection committed since the last
    call (or since the watcher was made)."""

    def __init__(self, data_version: Callable[[], int]) -> None:
        self._data_version = data_version
        self._seen = data_version()

    def changed(self) -> bool:
        version = self._data_version()
        if version == self._seen:
            return False
        self._seen = version
        return True


class AppendWatcher:
    """Polls a store for appended events; `poll()` returns the new last position when it moved.

    `since` is where the follower's view of the log ends when it is not now (a window that
    listed the log, then started watching): the first poll then reports events appended in
    between, which no later commit would announce.
    """

    def __init__(self, store: EventStore, since: int | None = None) -> None:
        self.store = store
        self._commits = CommitWatcher(store.data_version)  # first: a commit after it is seen
        self.last_position = store.last_position() if since is None else since
        self._look_now = since is not None

    def poll(self) -> int | None:
        """The new last position if events were appended since the last poll, else None."""
        if not self._commits.changed() and not self._look_now:
            return None
        self._look_now = False
        last = self.store.last_position()
        if last == self.last_position:
            return None  # a commit that added no events (snapshots, read models)
        self.last_position = last
        return last
