"""A command stopped by a signal (`kill`, `timeout`, the terminal closed) ends as Ctrl+C ends it:
what it had open is closed, so a read leaves nothing beside the store."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.running import seeded_shop

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 60


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_read_stopped_by_a_signal_leaves_no_file_beside_the_store(tmp_path, number):
    store = seeded_shop(tmp_path, orders=20, seed=3)
    before = sorted(p.name for p in tmp_path.iterdir())
    follower = subprocess.Popen([sys.executable, "-m", "explorer", "follow", str(store)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    try:
        deadline = time.monotonic() + DEADLINE_S  # it reads: SQLite's files are beside it
        while not Path(f"{store}-wal").exists() and follower.poll() is None:
            assert time.monotonic() < deadline, "follow never opened the store"
            time.sleep(0.01)  # (polling for a file another process makes: no signal to wait on)
        assert follower.poll() is None, follower.communicate()
        follower.send_signal(number)
        _, err = follower.communicate(timeout=DEADLINE_S)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no -wal, no -shm
