"""Following a store on a server live: commits announced by LISTEN/NOTIFY, read by the same
watchers (explorer/store/watch.py) the window's list and `follow` use on SQLite files."""

from __future__ import annotations

import time

from explorer.store import EventStore, NewEvent, SnapshotRecord
from explorer.store.watch import AppendWatcher, CommitWatcher

DEADLINE_S = 30


def polled(watcher: AppendWatcher) -> int | None:
    """The watcher's poll until it sees an append, as the window's watcher thread polls."""
    deadline = time.monotonic() + DEADLINE_S
    while (found := watcher.poll()) is None:
        assert time.monotonic() < deadline, "no append seen"
        time.sleep(0.01)
    return found


def test_another_sessions_appends_are_announced_to_a_follower(store_url):
    with EventStore.open(store_url) as writer, \
            EventStore.open(store_url, read_only=True) as follower:
        watcher = AppendWatcher(follower)
        assert watcher.poll() is None
        writer.append("o", "Order", [NewEvent("Placed", {}), NewEvent("Paid", {})])
        assert polled(watcher) == 2
        writer.append("o", "Order", [NewEvent("Shipped", {})])
        assert polled(watcher) == 3
        assert [e.event_type for e in follower.read_page(2)] == ["Shipped"]


def test_only_other_sessions_commits_of_events_count(store_url):
    with EventStore.open(store_url) as writer, EventStore.open(store_url) as other:
        commits = CommitWatcher(writer.data_version)
        writer.append("o", "Order", [NewEvent("Placed", {})])  # its own: not another's commit
        other.save_snapshot(SnapshotRecord("o", "Order", 1, 1, 1, 1, "{}"))  # no events
        other.set_meta("note", "no events either")
        assert not commits.changed()
        other.append("o", "Order", [NewEvent("Paid", {})])
        deadline = time.monotonic() + DEADLINE_S
        while not commits.changed():
            assert time.monotonic() < deadline, "the commit was not announced"
            time.sleep(0.01)
