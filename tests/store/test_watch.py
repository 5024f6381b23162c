"""Watching a store file for commits by other connections (PRAGMA data_version, polled)."""

from __future__ import annotations

from explorer.store import EventStore, NewEvent
from explorer.store.watch import AppendWatcher, CommitWatcher


def test_a_commit_by_another_connection_is_noticed_once(tmp_path):
    path = tmp_path / "watched.evstore"
    with EventStore.open(path, create=True) as writer, EventStore.open(path) as reader:
        commits = CommitWatcher(reader.data_version)
        assert not commits.changed()
        writer.append("order_1", "Order", [NewEvent("Placed", {})], 0)
        assert commits.changed()
        assert not commits.changed()  # once: until the next commit
        reader.append("order_2", "Order", [NewEvent("Placed", {})], 0)
        assert not commits.changed()  # its own connection's commits do not count


def test_appends_move_the_last_position_and_other_commits_do_not(tmp_path):
    path = tmp_path / "watched.evstore"
    with EventStore.open(path, create=True) as writer, EventStore.open(path) as reader:
        appends = AppendWatcher(reader)
        assert appends.poll() is None and appends.last_position == 0
        writer.append("order_1", "Order", [NewEvent("Placed", {}), NewEvent("Paid", {})], 0)
        assert appends.poll() == 2
        assert appends.poll() is None
        writer.set_meta("note", "a commit that adds no events")
        assert appends.poll() is None and appends.last_position == 2


def test_a_follower_that_read_the_log_earlier_hears_of_what_came_in_between(tmp_path):
    """A window lists the log, then starts watching: appends in between are reported at the first
    poll, though no commit follows them."""
    path = tmp_path / "watched.evstore"
    with EventStore.open(path, create=True) as writer, EventStore.open(path) as reader:
        writer.append("order_1", "Order", [NewEvent("Placed", {})], 0)
        listed_up_to = reader.last_position()
        writer.append("order_1", "Order", [NewEvent("Paid", {})], 1)
        appends = AppendWatcher(reader, since=listed_up_to)
        assert appends.poll() == 2
        assert appends.poll() is None
        caught_up = AppendWatcher(reader, since=2)
        assert caught_up.poll() is None and caught_up.last_position == 2
