"""A store whose write-ahead log was deleted while another program held it open: every read says
so in one line (close that program, else salvage) and leaves the folder as it was; SQLite's
"disk I/O error" reading it is said the same way, never as a traceback."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli.main import main
from explorer.store import damage
from explorer.store.errors import StoreOpenError
from explorer.store.event_store import EventStore
from explorer.store.records import NewEvent
from tests.reliability.corpus import fingerprint, seeded_store

HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
db.execute("SELECT count(*) FROM events").fetchone()
print("holding", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
db.close()
"""
"""Another program: holds a read transaction (so the log is not checkpointed) until told."""


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    monkeypatch.setattr(damage, "_damaged", {})
    monkeypatch.setattr(damage, "_verified", set())


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    return seeded_store(tmp_path_factory.mktemp("good") / "shop.evstore", orders=5)


@pytest.fixture
def held_store(good_store, tmp_path):
    """A store another process holds open, written to since (the log holds the appends), then
    its `-wal` deleted; the holder, to be told to close."""
    path = tmp_path / "shop.evstore"
    shutil.copyfile(good_store, path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "holding\n"
        with EventStore.open(path) as store:
            store.append("order_late", "Order", [NewEvent("OrderCancelled", {"reason": "x"})])
            held = store.last_position()
        assert Path(f"{path}-wal").stat().st_size > 0
        Path(f"{path}-wal").unlink()
        yield path, holder, held
    finally:
        if holder.poll() is None:
            holder.communicate("close\n", timeout=30)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(arg) for arg in argv])
    return code, out.getvalue(), err.getvalue()


def assert_one_line(code: int, err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert code not in (0, None) and len(lines) == 1 and lines[0].startswith("error: "), err
    assert all(needle in lines[0] for needle in needles), err


@pytest.mark.parametrize("command", [["check"], ["events"], ["summary"], ["streams"],
                                     ["command", "Order", "order_x", "cancel", "--reason", "r"]])
def test_every_read_says_the_log_is_lost_and_creates_nothing(held_store, command):
    path, _, _ = held_store
    before = fingerprint(path.parent)
    code, _, err = run_cli(command[0], path, *command[1:])
    assert_one_line(code, err, "shop.evstore-wal", "Close the program", "salvage")
    assert fingerprint(path.parent) == before  # no new, empty -wal beside it
    with pytest.raises(StoreOpenError, match="deleted or moved while a program had"):
        EventStore.open(path, read_only=True)
    assert fingerprint(path.parent) == before


def test_sqlites_disk_io_error_is_said_in_one_line(held_store):
    """The log put back empty (as SQLite makes one when a writer opens the store): SQLite's
    index says the log holds appends it no longer has, and reading fails with an I/O error."""
    path, _, _ = held_store
    Path(f"{path}-wal").write_bytes(b"")
    before = fingerprint(path.parent)
    for command in ("check", "events", "summary"):
        code, _, err = run_cli(command, path)
        assert "Traceback" not in err
        assert_one_line(code, err, "disk I/O error", "close that program", "salvage")
        assert fingerprint(path.parent) == before


def test_closing_the_holder_puts_the_log_back_into_the_store(held_store):
    path, holder, held = held_store
    holder.communicate("close\n", timeout=30)
    assert not Path(f"{path}-shm").exists()
    with EventStore.open(path, read_only=True) as store:
        assert store.last_position() == held
