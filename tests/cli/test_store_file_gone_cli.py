"""`run` and `follow` stop, saying so, once the store's file (or run's read models) is deleted,
moved or replaced: they went on for ever with the file they had open, no longer at its path,
saying nothing, `follow` never showing what was appended to the file there now (found by helper
H moving the store, and deleting the read models, under them). The file is taken as changed
here (EventStore.file_changed and ReadModelDatabase.file_changed, which compare the path's file
with the one opened, are tested in tests/store/test_store_file_gone.py and
tests/projections/test_read_models_full_disk.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from explorer.store import EventStore
from tests.cli.running import run, seeded_shop


@pytest.fixture
def shop(tmp_path):
    return seeded_shop(tmp_path, orders=5, seed=3)


@pytest.mark.parametrize(("subcommand", "options"), [("run", ["--read-only"]), ("follow", [])])
def test_run_and_follow_stop_once_the_store_file_is_gone(shop, capsys, monkeypatch, tmp_path,
                                                          subcommand, options):
    """(`run` writing would be refused first: tests/store/test_store_file_gone.py.)"""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(EventStore, "file_changed", lambda store: True)
    guard = threading.Timer(30, lambda: os.kill(os.getpid(), signal.SIGINT))  # (before: for
    guard.start()  # ever, until Ctrl+C)
    try:
        code, _, err = run(capsys, subcommand, shop, *options)
    finally:
        guard.cancel()
    assert code == 1
    assert err.splitlines()[-1] == (
        f"error: The store {shop} was deleted, moved or replaced by another file while "
        f"`{subcommand}` ran, so it stopped: it would go on with a file no longer at that path. "
        "Run it again on the store where it is now.")


def test_run_stops_once_its_read_models_file_is_gone(shop, capsys, monkeypatch, tmp_path):
    """(It wrote on to read models deleted under it, where nothing read them.)"""
    from explorer.projections.database import ReadModelDatabase

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(ReadModelDatabase, "file_changed", lambda database: True)
    guard = threading.Timer(30, lambda: os.kill(os.getpid(), signal.SIGINT))  # (before: for
    guard.start()  # ever, until Ctrl+C)
    try:
        code, _, err = run(capsys, "run", shop, "--read-only")
    finally:
        guard.cancel()
    assert code == 1
    last = err.splitlines()[-1]
    assert last.startswith("error: The read models ") and last.endswith(
        " were deleted, moved or replaced while `run` ran, so it stopped: what it wrote would "
        "go to a file no longer there. Run it again: it builds them anew.")


def test_run_serve_stops_once_its_read_models_file_is_gone(shop):
    """The window's runner (`run --serve`) too: it wrote on to read models deleted under it.
    It ends saying why on stderr, the line the window shows (and it starts the runner again,
    which builds them anew)."""
    from explorer.projections import read_model_path
    from tests.cli.test_live_cli import ROOT, lines_of

    process = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(shop), "--serve",
                                "--no-sagas"], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = lines_of(process)
        assert json.loads(lines.get(timeout=60))["ready"] is True
        assert "status" in json.loads(lines.get(timeout=60))  # (read models made)
        readmodels = read_model_path(str(shop), False)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{readmodels}{suffix}").unlink(missing_ok=True)
        assert process.wait(30) == 1  # (before: it served on, for ever)
        assert process.stderr is not None
        assert process.stderr.read().splitlines()[-1] == (
            f"error: The read models {readmodels} were deleted, moved or replaced while `run "
            "--serve` ran, so it stopped: what it wrote would go to a file no longer there. Run "
            "it again: it builds them anew.")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
