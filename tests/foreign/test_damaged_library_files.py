"""An `eventsourcing` library file with rows its library never writes (damage, another tool's
hand): every subcommand says what is wrong, or reads around it, and never fails with a traceback;
the file stays as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.cli.running import run
from tests.foreign.bank import write_bank

READS = (("summary",), ("streams",), ("types",), ("events", "--limit", "50"), ("check",))


def library_file(folder: Path, change: str) -> Path:
    """The Bank's file (2 accounts, 5 events each), its log then changed by `change` (SQL)."""
    path = folder / "bank.db"
    write_bank(path, accounts=2, credits=4)
    with sqlite3.connect(path) as db:
        db.execute(change)
    db.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_state_stored_as_text_that_is_not_utf8_is_one_unreadable_event(tmp_path, capsys):
    path = library_file(tmp_path, "UPDATE stored_events SET state = CAST(x'7b22ff' AS TEXT) "
                                  "WHERE rowid = 3")
    before = digest(path)
    for argv in READS[:-1]:
        code, out, err = run(capsys, *argv, path)
        assert code == 0, (argv, err)
    code, out, err = run(capsys, "events", path, "--json")
    assert code == 0, err
    assert out.count('"_stored_":"unreadable"') == 1 and out.count('"position"') == 10
    code, out, _ = run(capsys, "check", path)
    assert code == 1 and "event at position 3 cannot be read" in out
    assert digest(path) == before


@pytest.mark.parametrize("change", [
    "UPDATE stored_events SET topic = CAST(x'ff3a41' AS TEXT) WHERE rowid = 4",
    "UPDATE stored_events SET originator_id = CAST(x'00ff' AS TEXT) WHERE rowid = 1",
], ids=["topic", "originator_id"])
def test_an_id_or_topic_that_is_not_utf8_is_said_as_damage(tmp_path, capsys, change):
    path = library_file(tmp_path, change)
    before = digest(path)
    for argv in READS:  # a warning, then what can be read; or the refusal
        code, out, err = run(capsys, *argv, path)
        assert "not valid UTF-8" in err and "Traceback" not in err, (argv, err)
        assert all(line.startswith(("warning: ", "error: ")) for line in err.splitlines()), err
    assert digest(path) == before


@pytest.mark.parametrize("change", [
    "INSERT INTO stored_events VALUES (NULL, NULL, NULL, NULL)",
    "INSERT INTO stored_events VALUES (NULL, 1, 'bank:Account.Opened', '{}')",
    "UPDATE stored_events SET originator_version = NULL WHERE originator_id = "
    "(SELECT originator_id FROM stored_events WHERE rowid = 1)",
], ids=["empty_row", "no_id", "no_versions"])
def test_a_row_without_its_originator_id_or_version_is_said_as_damage(tmp_path, capsys, change):
    """The library never writes such a row (its key), but SQLite's rowid tables accept one."""
    path = library_file(tmp_path, change)
    before = digest(path)
    for argv in READS:
        code, out, err = run(capsys, *argv, path)
        assert code != 0 and "Traceback" not in err, (argv, err)
        assert "has no originator id or version" in err, (argv, err)
        assert all(line.startswith(("warning: ", "error: ")) for line in err.splitlines()), err
    assert digest(path) == before


def test_check_names_a_stream_with_wrong_versions_by_its_id_as_shown(tmp_path, capsys):
    path = library_file(tmp_path, "UPDATE stored_events SET originator_version = 9 "
                                  "WHERE rowid = 1")
    code, out, _ = run(capsys, "events", path, "--json", "--limit", "1")
    stream_id = out.split('"stream_id":"')[1].split('"')[0]
    code, out, _ = run(capsys, "check", path)
    assert code == 1 and f"stream {stream_id} has 5 events with versions 2..9" in out, out


@pytest.mark.parametrize("depth", [300, 1000])
def test_a_state_nested_deeper_than_json_tools_go_is_one_unreadable_event(tmp_path, capsys,
                                                                          depth):
    """Not taken for damage (nor a traceback): the readers of states never fail."""
    state = ('{"timestamp":{"_type_":"datetime_iso","_data_":"2024-01-01T00:00:00.000000+00:00"},'
             '"x":' + "[" * depth + "]" * depth + "}")
    path = library_file(tmp_path, f"UPDATE stored_events SET state = CAST('{state}' AS BLOB) "
                                  "WHERE rowid = 3")
    for argv in READS[:-1]:
        code, out, err = run(capsys, *argv, path)
        assert code == 0 and err == "", (argv, err)
    code, out, err = run(capsys, "events", path, "--json")
    assert code == 0 and out.count('"_stored_":"unreadable"') == 1, err
    code, out, _ = run(capsys, "check", path)
    assert code == 1 and "event at position 3 cannot be read" in out, out


@pytest.mark.parametrize("topic", ["CAST(topic AS BLOB)", "42"], ids=["blob", "integer"])
def test_a_topic_stored_as_a_blob_or_a_number_is_read_as_its_text(tmp_path, capsys, topic):
    """Not taken for text that is not UTF-8: the readers of topics take any SQLite value."""
    path = library_file(tmp_path, f"UPDATE stored_events SET topic = {topic} WHERE rowid = 3")
    for argv in READS[:-1]:
        code, out, err = run(capsys, *argv, path)
        assert code == 0 and err == "", (argv, err)
    code, out, err = run(capsys, "events", path, "--json")
    assert code == 0 and out.count('"position"') == 10, err


def test_damage_to_a_library_file_points_to_copy_not_salvage(tmp_path, capsys):
    """Every damage message told the user to run `salvage`, which refuses a library file (it
    reads Event Explorer's own stores): a dead end. A library file's damage now points to
    `copy` (and a backup for what SQLite cannot read); an Event Explorer store's still to
    `salvage`."""
    path = tmp_path / "bank.db"
    write_bank(path, accounts=40, credits=60)
    data = bytearray(path.read_bytes())
    middle = len(data) // 4096 // 2 * 4096  # a page of the file: its header overwritten
    data[middle:middle + 100] = b"\xff" * 100
    path.write_bytes(bytes(data))
    before = digest(path)
    code, out, err = run(capsys, "check", path)
    assert code == 1 and "is damaged" in err and "Traceback" not in err, err
    assert f"copy {path} NEW.evstore" in err and "salvage" in err  # (which it does not read)
    assert "`event-explorer-cli salvage" not in err
    code, out, err = run(capsys, "events", path, "--limit", "2")
    # The events are read when the page overwritten is not on the way to the first two (a
    # warning), else the read is refused (an error): the file's layout varies with its random
    # ids, so either can happen; both must point to copy.
    assert err.startswith(("warning: ", "error: ")) and "Traceback" not in err, err
    assert f"copy {path} NEW.evstore" in err, err
    assert "`event-explorer-cli salvage" not in err
    assert digest(path) == before


def test_damage_advice_names_salvage_for_our_stores_and_copy_for_library_files():
    from explorer.store.errors import StoreDamagedError, damage_advice

    ours = StoreDamagedError("/x/shop.evstore", "malformed")
    assert "salvage /x/shop.evstore NEW.evstore" in str(ours) and ours.advice in str(ours)
    theirs = StoreDamagedError("/x/bank.db", "malformed", library=True)
    assert "copy /x/bank.db NEW.evstore" in str(theirs)
    assert "`event-explorer-cli salvage" not in str(theirs)
    assert damage_advice("/a b/c.db", library=True).startswith("`event-explorer-cli copy "
                                                               "'/a b/c.db' NEW.evstore`")
