"""The window's runner process runs the projections of a store whatever its name: one opened by
a relative path starting with '-' ('-shop.evstore', as `./-shop.evstore` opens it) was given to
`run` as an option, so the runner ended at once ('the following arguments are required:
STORE') and the projections never ran."""

from __future__ import annotations

import os
import shutil

from explorer.ui.runner_process import RunnerProcess
from tests.ui.conftest import WAIT_MS, last_position


def test_a_store_named_like_an_option_is_run(qtbot, seeded, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(seeded, tmp_path / "-shop#1ü.evstore")
    runner = RunnerProcess("-shop#1ü.evstore", "shop", read_only=False, run_sagas=False)
    statuses: list[object] = []
    stopped: list[str] = []
    runner.status.connect(statuses.append)
    runner.stopped.connect(stopped.append)
    runner.start()
    try:
        qtbot.waitUntil(lambda: bool(statuses or stopped), timeout=WAIT_MS * 3)
        assert stopped == []
        assert statuses[0].last_position == last_position(seeded)  # type: ignore[attr-defined]
    finally:
        runner.stop()


def test_a_store_whose_name_is_not_utf8_is_run(qtbot, seeded, tmp_path):
    """A file named in another encoding (Latin-1's 'ÿ', byte 0xff) opens in the window, which
    keeps its name as its bytes; the runner was given it as a Qt string, which cannot hold them
    (U+FFFD instead), and said 'No store at .../a�.evstore'."""
    name = os.fsdecode(b"caf\xe9 \xff.evstore")
    shutil.copy(seeded, tmp_path / name)
    runner = RunnerProcess(str(tmp_path / name), "shop", read_only=False, run_sagas=False)
    statuses: list[object] = []
    stopped: list[str] = []
    runner.status.connect(statuses.append)
    runner.stopped.connect(stopped.append)
    runner.start()
    try:
        qtbot.waitUntil(lambda: bool(statuses or stopped), timeout=WAIT_MS * 3)
        assert stopped == []
        assert statuses[0].last_position == last_position(seeded)  # type: ignore[attr-defined]
    finally:
        runner.stop()
    assert sorted(os.listdir(tmp_path)) == sorted(
        [name, f"{name}.readmodels", "shop.evstore"]
        + [f"{name}.readmodels{suffix}" for suffix in ("-wal", "-shm")
           if os.path.exists(tmp_path / f"{name}.readmodels{suffix}")])
