"""A seed stopped by a full disk says what it left, as an interrupted one does (found by helper H
on a 3 MB tmpfs: `seed` said only that nothing more could be written and everything stored
before was kept, and left the new store holding no event, with its 2 MB log, behind). The disk
filling up is SQLite's `max_page_count` reached: the same error."""

from __future__ import annotations

from explorer.store import sqlite as sqlite_backend
from tests.cli.running import run


def test_a_seed_that_fills_the_disk_says_what_it_left(tmp_path, capsys, monkeypatch):
    configure = sqlite_backend._configure

    def filling(connection, read_only):
        configure(connection, read_only)
        if not read_only:
            connection.execute("PRAGMA max_page_count = 60")

    monkeypatch.setattr(sqlite_backend, "_configure", filling)
    path = tmp_path / "shop.evstore"
    code, out, err = run(capsys, "seed", path, "--orders", "50")
    assert code == 1
    assert err == (
        f"error: The disk holding {tmp_path} filled up as the seed wrote (SQLite: database or "
        f"disk is full): {path} was removed: no event was stored yet, nothing was left. Free "
        "some space there, or seed into a folder on another disk.\n")
    assert list(tmp_path.iterdir()) == []
