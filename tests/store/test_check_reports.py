"""`check` names every row no other command can read, words a break in the hash chain with what
it means and what to do, and does not blame the event after a removed one."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from explorer.demo.system import SHOP
from explorer.store import schema
from explorer.store.check import check_store
from explorer.system.workspace import open_store
from tests.store.test_check import seeded


def report_of(store_path):
    with open_store(store_path, system=SHOP, read_only=True) as store:
        return check_store(store)


def run(store_path, *statements):
    """Statements run on the file as another program might: the triggers dropped, and put back."""
    with closing(sqlite3.connect(store_path)) as db, db:
        for trigger in ("events_no_update", "events_no_delete"):
            db.execute(f"DROP TRIGGER {trigger}")
        for statement in statements:
            db.execute(statement)
        for trigger in ("events_no_update", "events_no_delete"):
            db.execute(schema.TRIGGERS[trigger])


def test_a_row_whose_text_is_not_utf8_is_named_unreadable_with_its_column(store_path):
    seeded(store_path)
    run(store_path, "UPDATE events SET metadata = CAST(x'7b22ff22' AS TEXT) WHERE position = 3")
    report = report_of(store_path)
    unreadable = [p.message for p in report.problems if p.kind == "unreadable"]
    assert unreadable == ["the row at position 3 cannot be read: the text in its column "
                          "'metadata' is not valid UTF-8"]
    assert any("`salvage STORE NEW` copies every other event" in note for note in report.notes)


def test_one_problem_is_one_problem_and_a_chain_break_says_what_to_do(store_path):
    seeded(store_path)
    run(store_path, "UPDATE events SET data = '{\"reason\": \"forged\"}' WHERE position = 2")
    report = report_of(store_path)
    assert report.total_problems == 1 and report.verdict == "1 problem found."
    assert any("changed after it was written" in note and "`salvage STORE NEW` copies the "
               "events as they are now" in note for note in report.notes)


def test_a_removed_event_is_the_gap_not_a_change_to_the_event_after_it(store_path):
    seeded(store_path)
    run(store_path, "DELETE FROM events WHERE position = 3")
    found = {(p.kind, p.message) for p in report_of(store_path).problems}
    assert ("gap", "no event at position 3") in found
    assert not any("position 4" in message for _, message in found), found


def test_without_the_link_before_a_gap_the_break_after_it_is_said_as_such(store_path):
    seeded(store_path)
    run(store_path, "DELETE FROM events WHERE position = 3")
    with closing(sqlite3.connect(store_path)) as db, db:  # the links up to 3 gone as well
        db.execute("DROP TRIGGER event_hashes_no_delete")
        db.execute("DELETE FROM event_hashes WHERE position <= 3")
    messages = [p.message for p in report_of(store_path).problems if p.kind == "hash chain"]
    assert any("breaks at position 4, after the gap at 3" in m for m in messages), messages
