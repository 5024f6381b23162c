"""Whether a process runs (explorer.common.processes): what removes the files of imports and
index builds whose process no longer runs."""

from __future__ import annotations

import os
import subprocess
import sys

from explorer.common.processes import process_runs


def test_this_process_runs_and_one_ended_does_not():
    assert process_runs(os.getpid())
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    assert not process_runs(ended.pid)


def test_another_users_process_counts_as_running():
    assert process_runs(1)  # (init: this user may not signal it, or may: either way it runs)
