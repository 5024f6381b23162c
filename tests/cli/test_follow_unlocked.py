"""`follow` on a store read without locks (one that cannot be written here: a full disk, a file
or folder without write permission) says that what other programs append is not seen: it waited
on, showing nothing of their appends, as if none came."""

from __future__ import annotations

import shutil

from explorer.cli import live, main


def test_follow_says_it_does_not_see_appends_to_a_store_read_without_locks(
        tmp_path, capsys, monkeypatch):
    path = tmp_path / "shop.evstore"
    assert main(["seed", str(path), "--orders", "3", "--seed", "4"]) == 0
    capsys.readouterr()
    real = shutil.disk_usage

    def full(where):  # the disk full: the store is read without locks
        total = real(where).total
        return shutil._ntuple_diskusage(total, total, 0)  # type: ignore[attr-defined]

    monkeypatch.setattr(shutil, "disk_usage", full)

    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt  # (Ctrl+C, at its first wait for an append)

    monkeypatch.setattr(live.time, "sleep", interrupted)
    assert main(["follow", str(path), "--json"]) == 0
    err = capsys.readouterr().err
    assert (f"warning: {path} cannot be written here, so it is read without locks, and what "
            "other programs append to it is not seen") in err
    monkeypatch.setattr(shutil, "disk_usage", real)
    assert main(["follow", str(path), "--json"]) == 0
    assert "warning" not in capsys.readouterr().err
