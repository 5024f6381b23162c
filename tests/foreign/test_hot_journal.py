"""A library file in rollback-journal mode whose writer was killed mid-write: its `-journal` is
hot, and SQLite reads the file only after rolling it back, a write a read never makes. Every read
says so and what to do, and leaves both files as they were."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.cli.running import run
from tests.foreign.bank import write_bank

KILLED_MID_WRITE = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA cache_size = 1")  # (the change spills into the file before the commit)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE stored_events SET topic = topic || 'X'")
os._exit(9)
"""


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_a_hot_journal_is_said_with_what_to_do(tmp_path, capsys) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=2, credits=40)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = DELETE")
    db.close()
    subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(path)], check=False)
    assert (tmp_path / "bank.db-journal").exists()
    before = digests(tmp_path)
    for argv in (("summary",), ("events",), ("check",)):
        code, out, err = run(capsys, *argv, path)
        assert code != 0 and "Traceback" not in err, err
        assert "bank.db-journal" in err and "roll" in err, err
    assert digests(tmp_path) == before
