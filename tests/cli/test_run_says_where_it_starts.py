"""`run` says where its read models start: built anew from the first event (their file deleted,
say), going on from the first event one of them has yet to handle, or up to date. Before, it
said nothing of it, and the window's runner, started again after its read models' file was
deleted, said it "goes on from where the read models are" while it built them anew from event 1
(the window's side: tests/ui/test_runner_restarts.py)."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.projections import read_model_path
from explorer.projections.database import ReadModelDatabase
from tests.cli.running import run, seeded_shop


@pytest.fixture
def shop(tmp_path):
    return seeded_shop(tmp_path, orders=5, seed=3)


def first_line_of_run(capsys, monkeypatch, shop: Path) -> str:
    """What `run` says as it starts (it is stopped after its first pass, as once its read
    models' file is gone)."""
    monkeypatch.setattr(ReadModelDatabase, "file_changed", lambda database: True)
    guard = threading.Timer(30, lambda: os.kill(os.getpid(), signal.SIGINT))
    guard.start()
    try:
        code, _, err = run(capsys, "run", shop, "--no-sagas")
    finally:
        guard.cancel()
        monkeypatch.undo()
    assert code == 1, err
    return err.splitlines()[0]


def last_position(capsys, shop: Path) -> int:
    code, out, _ = run(capsys, "summary", shop, "--json")
    assert code == 0
    return json.loads(out)["last_position"]


def test_run_says_whether_it_builds_the_read_models_anew_or_goes_on(shop, capsys, monkeypatch):
    last = last_position(capsys, shop)
    start = f"Running the projections of {shop}: "
    assert first_line_of_run(capsys, monkeypatch, shop) == (
        f"{start}the read models are built anew, from event 1 of {last:,}. Ctrl+C stops.")
    assert main(["project", str(shop), "--no-sagas"]) == 0
    assert first_line_of_run(capsys, monkeypatch, shop) == (
        f"{start}the read models are up to date (event {last:,} of {last:,}). Ctrl+C stops.")
    assert main(["command", str(shop), "Inventory", "prod_101", "receive_stock",
                 "--quantity", "5"]) == 0
    assert first_line_of_run(capsys, monkeypatch, shop) == (
        f"{start}the read models go on from event {last + 1:,} of {last + 1:,}. Ctrl+C stops.")
    readmodels = read_model_path(str(shop), False)
    for suffix in ("", "-wal", "-shm"):  # (deleted: they are made anew)
        Path(f"{readmodels}{suffix}").unlink(missing_ok=True)
    assert first_line_of_run(capsys, monkeypatch, shop) == (
        f"{start}the read models are built anew, from event 1 of {last + 1:,}. Ctrl+C stops.")


def test_run_on_a_store_that_cannot_be_written_says_the_sagas_do_not_run(
        shop, capsys, monkeypatch, tmp_path):
    """It said 'Running the projections and sagas' while, the store opened read-only (a folder
    that cannot be written, a read-only mount), no saga ran."""
    from explorer.store import sqlite as sqlite_backend

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real_access = os.access

    def access(path, mode):  # as for a user without write permission on the folder
        if str(path) == str(shop.parent) and mode & os.W_OK:
            return False
        return real_access(path, mode)

    monkeypatch.setattr(sqlite_backend.os, "access", access)
    monkeypatch.setattr(ReadModelDatabase, "file_changed", lambda database: True)
    guard = threading.Timer(30, lambda: os.kill(os.getpid(), signal.SIGINT))
    guard.start()
    try:
        code, _, err = run(capsys, "run", shop)
    finally:
        guard.cancel()
    first, note = err.splitlines()[:2]
    assert code == 1 and first.startswith(f"Running the projections of {shop}: ")
    assert note.startswith("note: the sagas do not run, since they write to the store: ")
    assert not (shop.parent / (shop.name + ".readmodels")).exists()
