"""Time travel over an `eventsourcing` library log whose notification ids have a gap (an id a
rolled-back insert left behind on its PostgreSQL server never fills; here a row taken out of a
file): the system as of the gap is as of the event before it, not an error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine
from tests.foreign.bank import write_bank


def test_the_moment_at_a_gap_is_the_system_as_of_the_event_before(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=3, credits=4)
    with sqlite3.connect(path) as db:  # position 8: the second account's third event
        db.execute("DELETE FROM stored_events WHERE rowid = 8")
    db.close()
    system = load_system("none")
    with open_store(path, system=system, read_only=True) as store:
        machine = TimeMachine(store, None, system)
        before = machine.moment(7)
        second = store.event_at(5).stream_id
        at_gap = machine.moment(8, stream_id=second)
        assert at_gap.position == 8 and at_gap.event is None
        assert at_gap.aggregate is not None and at_gap.aggregate.version == 2
        assert at_gap.aggregate.state == machine.moment(7, stream_id=second).aggregate.state
        assert machine.moment(8).aggregate is None  # (no event there: no stream of its own)
        assert before.event is not None and before.event.position == 7
