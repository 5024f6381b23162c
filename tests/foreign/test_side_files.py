"""What a read leaves beside an `eventsourcing` library file (which the library keeps in WAL
mode, so that SQLite reads it only through a `-wal` and `-shm`; see records.attach_read_only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.store.event_store import EventStore
from tests.cli.running import run
from tests.foreign.bank import bank, write_bank
from tests.foreign.test_application_system import digest

KILLED_READER = """
import os, signal, sys
from pathlib import Path
from explorer.store.event_store import EventStore
store = EventStore.open(Path(sys.argv[1]))
assert store.last_position() > 0
os.kill(os.getpid(), signal.SIGKILL)  # (as `kill -9` of `follow`: nothing closes the file)
"""


def listing(folder: Path) -> list[tuple[str, int]]:
    return sorted((p.name, p.stat().st_size) for p in folder.iterdir())


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "library" / "bank.db"
    path.parent.mkdir()
    write_bank(path, accounts=2, credits=2)
    assert path.read_bytes()[18:20] == b"\x02\x02"  # WAL mode, as the library leaves it
    return path


@pytest.mark.parametrize("command", ["summary", "events", "streams", "check"])
def test_a_read_of_a_closed_file_leaves_the_folder_as_it_was(bank_file: Path, command: str,
                                                            capsys) -> None:
    before, folder = digest(bank_file), listing(bank_file.parent)
    code, _, err = run(capsys, command, bank_file)
    assert code == 0, err
    assert listing(bank_file.parent) == folder and digest(bank_file) == before


def test_side_files_left_by_a_killed_reader_go_with_the_next_read(bank_file: Path,
                                                                   capsys) -> None:
    before, folder = digest(bank_file), listing(bank_file.parent)
    subprocess.run([sys.executable, "-c", KILLED_READER, str(bank_file)], check=False,
                   cwd=Path(__file__).parents[2], timeout=60)
    assert listing(bank_file.parent) == sorted(
        [*folder, ("bank.db-shm", 32768), ("bank.db-wal", 0)])  # empty of data
    code, _, err = run(capsys, "summary", bank_file)
    assert code == 0, err
    assert listing(bank_file.parent) == folder and digest(bank_file) == before


def test_a_read_while_the_application_writes_shares_its_side_files(bank_file: Path,
                                                                   capsys) -> None:
    """Its `-wal` holding its writes is shared read-only: the read makes no file, and the
    application's last close removes them (were it to close first, they would stay, holding
    its writes, until it or another writer of the file closes it last)."""
    with bank(bank_file) as app:
        app.open_account("late")
        during = [name for name, _ in listing(bank_file.parent)]
        code, out, err = run(capsys, "summary", bank_file)
        assert code == 0 and out.startswith(f"{bank_file}: 7 events"), err
        assert [name for name, _ in listing(bank_file.parent)] == during
    assert [name for name, _ in listing(bank_file.parent)] == ["bank.db"]


def _with_free(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    real = shutil.disk_usage

    def disk_usage(where):
        total = real(where).total
        return shutil._ntuple_diskusage(total, total - free, free)  # type: ignore[attr-defined]

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)


def test_a_file_on_a_disk_short_of_room_still_shows_what_its_application_appends(
        bank_file: Path, monkeypatch: pytest.MonkeyPatch):
    # With less than 1 MB free (bc59fd5), the file was read without locks (immutable): the
    # application's later events were never shown, for as long as it stayed open,
    # and a page it rewrote could be read as damage. Only where not even the side files fit
    # is it read so, and then it says so (the window: '◌ Not followed').
    _with_free(monkeypatch, 500 * 1024)
    with EventStore.open(bank_file, read_only=True) as store:
        before = store.last_position()
        assert store.sees_other_writers
        with bank(bank_file) as app:
            app.open_account("owner9")
        assert store.last_position() == before + 1
    assert listing(bank_file.parent) == [("bank.db", bank_file.stat().st_size)]
    _with_free(monkeypatch, 16 * 1024)
    with EventStore.open(bank_file, read_only=True) as store:
        assert not store.sees_other_writers
