"""What the command line says of an eventsourcing library file: salvage points to `copy`, and
`state` says how the state was made (the application's snapshot, the events replayed)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.running import run
from tests.foreign.bank import write_bank
from tests.foreign.test_application_system import BANK, digest, side_files


def test_salvage_of_a_library_file_says_what_it_is_and_points_to_copy(tmp_path: Path,
                                                                      capsys) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=1, credits=1)
    before = digest(path)
    code, out, err = run(capsys, "salvage", path, tmp_path / "new.evstore")
    assert code == 1 and out == ""
    assert "store of the Python eventsourcing library" in err
    assert f"`copy {path} NEW.evstore`" in err and "no such table" not in err
    assert not (tmp_path / "new.evstore").exists()
    assert digest(path) == before and side_files(path) == []


def test_state_says_how_the_application_rebuilt_it(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bank.db"
    ids = write_bank(path, accounts=1, credits=4)  # the Bank snapshots at versions 3 (and 6)
    code, out, err = run(capsys, "state", path, str(ids[0]), "--at-version", "5",
                         "--system", BANK)
    assert code == 0, err
    assert out.splitlines()[0].endswith(
        "at version 5 (rebuilt by Bank's repository from its snapshot at version 3, then 2 "
        "events)")
    code, out, err = run(capsys, "state", path, str(ids[0]), "--at-version", "2",
                         "--system", BANK)
    assert code == 0, err
    assert "(rebuilt by Bank's repository from 2 events)" in out.splitlines()[0]


def test_the_generic_fold_of_one_event_says_one_event(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bank.db"
    ids = write_bank(path, accounts=1, credits=0)
    code, out, err = run(capsys, "state", path, str(ids[0]))
    assert code == 0, err
    assert "at version 1 (1 event replayed)" in out.splitlines()[0]


def test_a_stream_named_by_its_stored_hex_id_is_pointed_to_its_id_as_shown(tmp_path, capsys):
    """The library's SQLite file holds a UUID as 32 hex digits, which a user copies from it;
    the explorer names the stream with dashes."""
    path = tmp_path / "bank.db"
    (account,) = write_bank(path, accounts=1, credits=1)
    for argv in (("events", path, "--stream", account.hex), ("state", path, account.hex)):
        code, _, err = run(capsys, *argv)
        assert code == 1 and f"shown as {account} here" in err, err
