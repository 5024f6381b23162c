"""What `check` and `salvage` print: one problem is one problem, a lost position moves the later
ones and says so, and an edited event copied by a salvage stays visible to `check`."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from explorer.store import schema
from tests.cli.running import run
from tests.store.test_salvage import seeded, tampered


def test_salvage_and_check_say_what_moved_and_what_was_not_as_written(tmp_path, capsys):
    source = seeded(tmp_path / "damaged.evstore", events=8)
    tampered(source, "UPDATE events SET metadata = CAST(x'ff' AS TEXT) WHERE position = 3",
             "UPDATE events SET data = '{\"reason\": \"forged\"}' WHERE position = 6")
    with closing(sqlite3.connect(source)) as db, db:
        for trigger in ("events_no_update", "event_hashes_no_update"):  # put back
            db.execute(schema.TRIGGERS[trigger])
    code, out, _ = run(capsys, "check", source)
    assert code == 1 and out.endswith("3 problems found.\n"), out  # unreadable, chain twice
    assert "unreadable: the row at position 3 cannot be read: the text in its " \
        "column 'metadata' is not valid UTF-8" in out
    code, out, _ = run(capsys, "salvage", source, tmp_path / "saved.evstore", "--system", "shop")
    assert code == 0
    assert "Lost 1 position of the damaged store: 3." in out
    assert "from position 4 on, each is 1 less" in out and "Event ids are kept" in out
    assert "hash chain did not hold at position 6 (now 5)" in out
    code, out, _ = run(capsys, "check", tmp_path / "saved.evstore")
    assert code == 0 and "No problems found." in out
    assert "position 5 here (6 there) were not as written there" in out


def test_export_says_which_events_could_not_be_read(tmp_path, capsys):
    source = seeded(tmp_path / "damaged.evstore", events=8)
    tampered(source, "UPDATE events SET data = 'not json {' WHERE position = 5")
    code, _, err = run(capsys, "export", source, tmp_path / "out.jsonl")
    assert code == 0
    assert "warning: 1 event could not be read (5): written as stored, marked 'unreadable', " \
        "which an import refuses" in err
    code, _, err = run(capsys, "export", source, "-")
    assert code == 0 and "warning: 1 event could not be read (5)" in err
