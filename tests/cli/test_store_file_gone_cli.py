"""`run` and `follow` stop, saying so, once the store's file is deleted, moved or replaced: they
went on for ever with the file they had open, no longer at its path, saying nothing, `follow`
never showing what was appended to the file there now (found by helper H moving the store
away under them). The file is taken as changed here (EventStore.file_changed, which compares
the path's file with the one opened, is tested in tests/store/test_store_file_gone.py)."""

from __future__ import annotations

import os
import signal
import threading

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
