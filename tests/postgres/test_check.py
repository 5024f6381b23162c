"""`check` on a store on a server: the log's own checks, the hash chain and the server's
triggers, with changes made around the store found."""

from __future__ import annotations

import pytest

from explorer.store import EventStore, NewEvent
from explorer.store.check import check_store


def test_a_store_written_by_the_store_checks_clean(store_url):
    with EventStore.open(store_url) as store:
        for n in range(5):
            store.append(f"s{n % 2}", "T", [NewEvent("E", {"n": n})])
    with EventStore.open(store_url, read_only=True) as store:
        report = check_store(store)
    assert report.ok and report.events == 5 and report.streams == 2, report.to_dict()


@pytest.mark.parametrize("change", [  # (what the writer hashes, and what the server does)
    "data = '{\"n\": 9}'", "timestamp = timestamp + 1", "version = 30", "event_type = 'F'"])
def test_changes_made_around_the_store_are_found(store_url, schema_name, admin, change):
    with EventStore.open(store_url) as store:
        for n in range(5):
            store.append("s", "T", [NewEvent("E", {"n": n})])
    admin.execute(f"ALTER TABLE {schema_name}.events DISABLE TRIGGER events_no_change")
    admin.execute(f"UPDATE {schema_name}.events SET {change} WHERE position = 3")
    admin.execute(f"DROP TRIGGER event_hashes_no_truncate ON {schema_name}.event_hashes")
    with EventStore.open(store_url, read_only=True) as store:
        report = check_store(store)
    problems = [problem.message for problem in report.problems]
    assert any("the hash chain breaks at position 3" in text for text in problems), problems
    assert any("events_no_change was changed" in text and "(disabled)" in text
               for text in problems), problems
    assert any("event_hashes_no_truncate, which keeps event_hashes immutable, is missing" in text
               for text in problems), problems


def test_an_unreadable_start_of_the_servers_links_is_reported(store_url, schema_name, admin):
    with EventStore.open(store_url) as store:
        store.append("s", "T", [NewEvent("E", {})])
    admin.execute(f"UPDATE {schema_name}.store_meta SET value = 'x' "
                  "WHERE key = 'server_links_from'")
    with EventStore.open(store_url, read_only=True) as store:
        report = check_store(store)
    assert [problem.message for problem in report.problems] == [
        "store_meta's server_links_from is 'x', not a position: the chain was checked in "
        "either form"]


def test_a_removed_event_is_the_gap_not_a_change_to_the_event_after_it(store_url, schema_name,
                                                                      admin):
    with EventStore.open(store_url) as store:
        for n in range(5):
            store.append("s", "T", [NewEvent("E", {"n": n})])
    admin.execute(f"ALTER TABLE {schema_name}.events DISABLE TRIGGER events_no_change")
    admin.execute(f"DELETE FROM {schema_name}.events WHERE position = 3")
    admin.execute(f"ALTER TABLE {schema_name}.events ENABLE TRIGGER events_no_change")
    with EventStore.open(store_url, read_only=True) as store:
        report = check_store(store)
    problems = [problem.message for problem in report.problems]
    assert "no event at position 3" in problems and not any(
        "hash chain" in text for text in problems), problems
