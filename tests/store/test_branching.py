"""Branches of SQLite stores (EventStore.branch): the hash chain is cut where the branch is, and a
store from before the chain gets one in its branch, so `check` finds every branch whole."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from explorer.store import EventStore, NewEvent
from explorer.store.check import check_store


def batch(store: EventStore, stream_id: str, count: int) -> None:
    """`count` events appended at once: one run of links in the hash chain."""
    store.append(stream_id, "T", [NewEvent("A", {"n": n}) for n in range(count)])


def checked(path) -> list[str]:
    with EventStore.open(path, read_only=True) as store:
        report = check_store(store)
    return [problem.message for problem in report.problems] + report.notes


def test_a_branch_inside_a_run_of_links_checks_clean_and_goes_on(tmp_path):
    source, target = tmp_path / "source.evstore", tmp_path / "branch.evstore"
    with EventStore.open(source, create=True) as store:
        batch(store, "a", 5)
        batch(store, "b", 5)  # positions 6..10, one run: the branch at 8 cuts it
        store.branch(target, 8)
    assert checked(target) == []
    with EventStore.open(target) as branch:
        assert branch.chain_end() == 8
        batch(branch, "c", 2)
    assert checked(target) == []


def test_a_branch_at_the_start_is_an_empty_store(tmp_path):
    source, target = tmp_path / "source.evstore", tmp_path / "branch.evstore"
    with EventStore.open(source, create=True) as store:
        batch(store, "a", 3)
        store.branch(target, 0)
    with EventStore.open(target) as branch:
        assert branch.last_position() == 0 and branch.list_streams() == []
        batch(branch, "c", 2)
    assert checked(target) == []


def test_a_branch_of_a_store_from_before_the_chain_is_linked_when_first_written(tmp_path):
    source, target = tmp_path / "source.evstore", tmp_path / "branch.evstore"
    with EventStore.open(source, create=True) as store:
        batch(store, "a", 6)
    with closing(sqlite3.connect(source)) as db, db:  # as version 1 wrote it
        db.execute("DROP TABLE event_hashes")
        db.execute("PRAGMA user_version = 1")
        db.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    with EventStore.open(source, read_only=True) as store:
        store.branch(target, 4)
    with EventStore.open(target) as branch:  # links events 1..4 on opening
        assert branch.chain_end() == 4
        batch(branch, "c", 1)
    assert checked(target) == []


def test_a_branch_of_a_store_in_use_is_of_its_committed_events(tmp_path):
    source, target = tmp_path / "source.evstore", tmp_path / "branch.evstore"
    with EventStore.open(source, create=True) as writer:
        batch(writer, "a", 4)
        with EventStore.open(source, read_only=True) as reader:
            reader.branch(target, 4)
        batch(writer, "a", 1)
    with EventStore.open(target, read_only=True) as branch:
        assert [e.data["n"] for e in branch.read_all()] == [0, 1, 2, 3]
