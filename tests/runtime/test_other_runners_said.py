"""Two runners on one store (two `run` processes, or `run` and the window's runner) share the
work by design, but neither said the other was there: now each tells its user once, naming the
other's process, machine and start, and says when it stopped (a killed one too); the status
line says it while it lasts, and nothing is left of it once it stopped. Real processes."""

from __future__ import annotations

import json
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from explorer.projections.database import open_read_models, runner_presence
from tests.cli.running import seed_shop

pytestmark = pytest.mark.backends
ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 60.0


class Lines:
    """A process's lines of one stream, read as they come."""

    def __init__(self, stream) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def until(self, wanted) -> str:
        """The first line from now on for which `wanted` is true."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"not said within {DEADLINE_S} s; said: {self.seen[-20:]}"
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            assert line is not None, f"the process ended; it said: {self.seen[-20:]}"
            self.seen.append(line)
            if wanted(line):
                return line

    def rest(self) -> list[str]:
        """Every line said until the stream ends (the process ended)."""
        while (line := self.queue.get(timeout=DEADLINE_S)) is not None:
            self.seen.append(line)
        return self.seen


@pytest.fixture
def shop(store_location):
    seed_shop(store_location, orders=20, seed=3)
    return store_location


def presence_pids(store) -> list[int]:
    """The processes of the runners whose rows the store's read models hold."""
    with open_read_models(str(store), False) as db:
        return [pid for (pid,) in db.execute(sa.select(runner_presence.c.pid))]


def started_run(store: Path, *options: str) -> tuple[subprocess.Popen, Lines, Lines]:
    process = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(store),
                                "--no-sagas", *options], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, Lines(process.stdout), Lines(process.stderr)


def ended(process: subprocess.Popen, how: int = signal.SIGINT) -> None:
    if process.poll() is None:
        process.send_signal(how)
        process.wait(DEADLINE_S)


def test_two_run_processes_tell_of_each_other_and_of_the_other_stopping(shop):
    first, first_out, first_err = started_run(shop, "--status-every", "0.2")
    second = None
    try:
        first_out.until(lambda line: line.startswith("position "))
        second, _, second_err = started_run(shop, "--status-every", "0.2")
        told = first_err.until(lambda line: line.startswith("Another runner"))
        assert told.startswith(f"Another runner (`run`, pid {second.pid} on host ")
        assert told.endswith(") also keeps the read models of this store up to date: they "
                             "share the work, no event is handled twice.")
        assert second_err.until(lambda line: line.startswith("Another runner")).startswith(
            f"Another runner (`run`, pid {first.pid} on host ")
        first_out.until(lambda line: line.endswith("shared with 1 other runner"))
        ended(second, signal.SIGKILL)  # (killed: its row stays, its process is gone)
        gone = first_err.until(lambda line: line.startswith("The other runner"))
        assert gone.startswith(f"The other runner (`run`, pid {second.pid} on host ")
        assert gone.endswith(") stopped: this one goes on with its work.")
        first_out.until(lambda line: line.startswith("position ") and "shared" not in line)
        told_lines = [line for line in first_err.seen if line.startswith("Another runner")]
        assert len(told_lines) == 1  # (once)
    finally:
        ended(first)
        if second is not None:
            ended(second)
    assert presence_pids(shop) == []  # (nothing left of either)


def test_run_and_the_windows_runner_tell_of_each_other(shop):
    first, first_out, first_err = started_run(shop, "--status-every", "0.2")
    window = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(shop), "--serve",
                               "--no-sagas"], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        said = Lines(window.stdout)
        note = said.until(lambda line: "Another runner" in line)
        assert json.loads(note)["note"].startswith(f"Another runner (`run`, pid {first.pid} "
                                                   "on host ")
        assert first_err.until(lambda line: line.startswith("Another runner")).startswith(
            f"Another runner (an Event Explorer window's, pid {window.pid} on host ")
        status = said.until(lambda line: '"status"' in line and "pid" in line)
        assert json.loads(status)["status"]["others"][0].startswith(f"`run`, pid {first.pid}")
        ended(first)  # (Ctrl+C: it takes its row out)
        gone = json.loads(said.until(lambda line: "The other runner" in line))["note"]
        assert gone.startswith(f"The other runner (`run`, pid {first.pid} on host ")
        said.until(lambda line: '"status"' in line and json.loads(line)["status"]["others"]
                   == [])
    finally:
        ended(first)
        if window.poll() is None:
            assert window.stdin is not None
            window.stdin.close()
            window.wait(DEADLINE_S)


def test_a_killed_runners_row_is_not_taken_for_a_runner(shop):
    first, first_out, _ = started_run(shop, "--status-every", "0.2")
    first_out.until(lambda line: line.startswith("position "))
    ended(first, signal.SIGKILL)
    assert presence_pids(shop) == [first.pid]
    second, second_out, second_err = started_run(shop, "--status-every", "0.2")
    try:
        second_out.until(lambda line: line.startswith("position "))
        second_out.until(lambda line: line.startswith("position "))  # (a look or more later)
    finally:
        ended(second)
    said = second_err.rest()
    assert said[0].startswith("Running the projections") and said[1:] == ["Stopped."]
    assert presence_pids(shop) == []


@pytest.mark.sqlite_only("a file's write lock")
def test_a_runner_saying_it_runs_never_waits_for_the_read_models_lock(shop, monkeypatch):
    """Saying it runs is a write; a runner at rest waited for the read models' write lock to
    say it (up to the busy timeout) while another runner's chunk or rebuild held it, and so
    answered nothing meanwhile. It now says it at a later look instead."""
    from explorer.demo.system import SHOP
    from explorer.projections import read_model_path
    from explorer.runtime.runner import Runner
    from explorer.store import sqlite as sqlite_backend

    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_S", 600.0)  # (waiting would be seen)
    with Runner(str(shop), SHOP, run_sagas=False) as runner:
        assert runner.presence_news() == [] and runner._announced
        holder = sqlite3.connect(read_model_path(str(shop), False), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # (another runner's chunk)
        try:
            runner._next_look = runner._next_refresh = 0.0  # (its next look, and refresh)
            done: list[list[str]] = []
            looking = threading.Thread(target=lambda: done.append(runner.presence_news()))
            looking.start()
            looking.join(DEADLINE_S)
            assert done == [[]]  # (before: still waiting for the lock)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            looking.join(DEADLINE_S * 20)
        runner._next_look = runner._next_refresh = 0.0
        assert runner.presence_news() == []  # (said now)


@pytest.mark.sqlite_only("a file's write lock")
def test_a_runner_stopping_never_waits_for_the_read_models_lock(shop, monkeypatch):
    """Taking its row out as it stops waited for the lock another runner's chunk held; the row
    left, its process gone, is taken out by the next runner to look."""
    from explorer.demo.system import SHOP
    from explorer.projections import database, read_model_path
    from explorer.runtime.runner import Runner
    from explorer.store import sqlite as sqlite_backend

    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_S", 600.0)  # (waiting would be seen)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 600.0)
    runner = Runner(str(shop), SHOP, run_sagas=False)
    assert runner.presence_news() == [] and runner._announced
    holder = sqlite3.connect(read_model_path(str(shop), False), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # (another runner's chunk)
    try:
        closing = threading.Thread(target=runner.close)
        closing.start()
        closing.join(DEADLINE_S)
        assert not closing.is_alive()  # (before: still waiting for the lock)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        closing.join(DEADLINE_S * 20)
