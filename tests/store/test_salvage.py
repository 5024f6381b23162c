"""`salvage` says truly what it saved, lost, renumbered and could not vouch for, and the new store
keeps what it could not vouch for where `check` finds it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from explorer.demo.system import SHOP
from explorer.store.check import check_store
from explorer.store.records import NewEvent
from explorer.store.salvage import salvage_store
from explorer.system.workspace import open_store


def seeded(path: Path, events: int = 6, padding: int = 0) -> Path:
    with open_store(path, system=SHOP, create=True) as store:
        for number in range(1, events + 1):
            stream = f"order_{number % 2}"  # two streams, their events interleaved
            store.append(stream, "Order", [NewEvent("OrderCancelled",
                                                    {"reason": f"r{number}" + "x" * padding})])
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode = DELETE")  # everything in the main file
    return path


def tampered(path: Path, *statements: str) -> None:
    """Statements run on the file as another program might, the triggers dropped first."""
    with closing(sqlite3.connect(path)) as db, db:
        for trigger in ("events_no_update", "event_hashes_no_update"):
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            db.execute(statement)


def checked(path: Path):
    with open_store(path, system=SHOP, read_only=True) as store:
        return check_store(store)


def test_an_unreadable_row_is_lost_and_the_report_says_how_positions_and_versions_moved(
        tmp_path):
    source = seeded(tmp_path / "damaged.evstore")
    tampered(source, "UPDATE events SET metadata = CAST(x'7b22ff22' AS TEXT) WHERE position = 3")
    report = salvage_store(source, tmp_path / "saved.evstore")
    assert report.saved == 5 and report.lost == [[3, 3]] and report.renumbered == ["order_1"]
    text = "\n".join(report.lines())
    assert "Lost 1 position of the damaged store: 3." in text
    assert "from position 4 on, each is 1 less" in text
    assert "order_1" in text and "new version numbers" in text
    assert "Event ids are kept, so references by event id still hold" in text
    assert report.to_dict()["new_positions"] == [{"from": 4, "less_by": 1}]
    with open_store(tmp_path / "saved.evstore", system=SHOP, read_only=True) as saved:
        moved = list(saved.read_all())[3]  # order_1's event after the one lost
    with closing(sqlite3.connect(source)) as db:
        event_id, version = db.execute(
            "SELECT event_id, version FROM events WHERE position = 5").fetchone()
    assert (moved.position, moved.event_id) == (4, event_id) and moved.version == version - 1


def test_events_whose_chain_did_not_hold_are_named_and_the_new_store_keeps_it(tmp_path):
    source = seeded(tmp_path / "damaged.evstore")
    tampered(source, "UPDATE events SET data = '{\"reason\": \"forged\"}' WHERE position = 2")
    report = salvage_store(source, tmp_path / "saved.evstore")
    assert report.lost == [] and report.not_as_written == [[2, 2]]
    assert any("hash chain did not hold at position 2:" in line and "may not be as they were "
               "written" in line for line in report.lines())
    found = checked(tmp_path / "saved.evstore")
    assert found.ok  # whole as a store, but it says where its events came from
    assert any("salvaged from" in note.lower() and "position 2 were not as written there" in note
               for note in found.notes), found.notes


def test_a_changed_link_is_named_once_not_the_event_after_it(tmp_path):
    source = seeded(tmp_path / "damaged.evstore")
    with closing(sqlite3.connect(source)) as db:
        first, links = db.execute("SELECT position, links FROM event_hashes "
                                  "WHERE position <= 3 ORDER BY position DESC").fetchone()
    changed = bytearray(links)
    changed[(3 - first) * 16] ^= 1  # the link of position 3
    tampered(source, f"UPDATE event_hashes SET links = x'{changed.hex()}' WHERE position = {first}")
    report = salvage_store(source, tmp_path / "saved.evstore")
    assert report.not_as_written == [[3, 3]] and report.unchecked == []
    assert checked(tmp_path / "saved.evstore").notes


def test_positions_renumbered_after_several_losses_step_down_each_time(tmp_path):
    source = seeded(tmp_path / "damaged.evstore", events=8)
    tampered(source, "UPDATE events SET metadata = CAST(x'ff' AS TEXT) WHERE position IN (2, 5, 6)")
    report = salvage_store(source, tmp_path / "saved.evstore")
    assert report.lost == [[2, 2], [5, 6]]
    assert report.shifts() == [(3, 1), (7, 3)]
    assert "from position 3 on, each is 1 less, from 7 on 3 less" in " ".join(report.lines())


def _rightmost_leaf(db: sqlite3.Connection, name: str) -> int:
    return db.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                      "ORDER BY path DESC LIMIT 1", (name,)).fetchone()[0]


def test_when_the_end_of_the_log_cannot_be_read_the_report_says_so_and_loses_no_more(tmp_path):
    """The log's last page, the stream index and the chain unreadable (as after a -wal was
    removed under a writer): what came after the last readable event is not known."""
    source = seeded(tmp_path / "damaged.evstore", events=60, padding=400)
    with closing(sqlite3.connect(source)) as db:
        pages = [_rightmost_leaf(db, "events")] + [number for (number,) in db.execute(
            "SELECT pageno FROM dbstat WHERE name IN ('streams', 'event_hashes')")]
    data = bytearray(source.read_bytes())
    for number in pages:
        start = (number - 1) * 4096 + (100 if number == 1 else 0)
        data[start:start + 12] = b"\xee" * 12  # the page header made nonsense
    source.write_bytes(bytes(data))
    report = salvage_store(source, tmp_path / "saved.evstore")
    assert 0 < report.saved < 60 and not report.end_known
    assert report.unread_after == report.saved and report.lost == []
    assert (f"Events after position {report.saved:,} could not be read; how many there were "
            "is not known.") in report.lines()
    assert not any(line.startswith("Lost") for line in report.lines())


def test_a_stream_index_that_outlives_the_log_bounds_what_was_lost(tmp_path):
    """The log's last page unreadable but the stream index whole: the lost positions end where
    the index says the log did, not where the file's pages could reach."""
    source = seeded(tmp_path / "damaged.evstore", events=60, padding=400)
    with closing(sqlite3.connect(source)) as db:
        leaf = _rightmost_leaf(db, "events")
    data = bytearray(source.read_bytes())
    data[(leaf - 1) * 4096:(leaf - 1) * 4096 + 12] = b"\xee" * 12
    source.write_bytes(bytes(data))
    report = salvage_store(source, tmp_path / "saved.evstore")
    assert report.end_known and report.last_position == 60
    assert report.lost == [[report.saved + 1, 60]] and report.unread_after is None
