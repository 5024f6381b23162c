"""The saga runners under normal contention: two writer processes hammer the streams the sagas'
steps write to, beside `run` and the window's runner (`run --serve`) at once. Neither runner
exits, every saga finishes, nothing written is lost and no payment is charged twice.

The writers, runners and checks are the soak's (bench/soak.py), on a bounded number of
commands instead of ten minutes.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.soak import (
    RunnerWatch,
    audit,
    check_failures,
    read_written,
    start_writer,
    unfinished_sagas,
)
from explorer.demo.system import SHOP
from explorer.projections import ReadModelDatabase
from explorer.store.damage import GuardedConnection
from explorer.system.workspace import open_store

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 2
COMMANDS = 150  # each
SHARED = ("prod_101",)  # every order and delivery is for it: writers and steps conflict
MIX = (30, 60, 10)  # percent orders placed, deliveries, cancellations


def test_runners_outlast_two_writers_and_every_payment_is_charged_once(tmp_path):
    store = tmp_path / "shop.evstore"
    subprocess.run([sys.executable, "-m", "explorer", "seed", str(store), "--orders", "20"],
                   check=True, cwd=ROOT, capture_output=True)
    with open_store(store, system=SHOP, read_only=True) as opened:
        start = opened.last_position()
    runners = [RunnerWatch(store, tmp_path), RunnerWatch(store, tmp_path, serve=True)]
    try:
        for runner in runners:
            runner.wait_ready()
        logs = [tmp_path / f"writer{n}.jsonl" for n in range(WRITERS)]
        writers = [start_writer(store, f"w{n}", log, commands=COMMANDS, seed=n,
                                products=SHARED, mix=MIX) for n, log in enumerate(logs)]
        for n, writer in enumerate(writers):
            assert writer.wait(timeout=600) == 0, logs[n].with_suffix(".err").read_text()
        written = read_written(logs)
        assert len(written.commands) + written.refused == WRITERS * COMMANDS
        assert written.order_ids
        assert unfinished_sagas(store, written.order_ids, timeout_s=600) == []
        for runner in runners:
            assert runner.alive(), runner.logs[-1].with_suffix(".err").read_text()[-3000:]
    finally:
        stopped = [runner.stop() for runner in runners]
    assert stopped == [0, 0]
    assert written.conflicts + (runners[1].saga_retries() or 0) > 0  # there was contention
    assert all("keeps retrying" in message for message in runners[1].failed_messages())
    found = audit(store, written, after_position=start)
    assert found["charges"] > 0
    assert found["lost"] == 0  # every command a writer was told was written is there
    assert found["duplicates"] == 0  # no version twice, no double charge or reservation
    assert found["stray_charges"] == 0  # each charge is its order's saga's charge step
    assert check_failures(store) == 0


def test_runners_starting_together_wait_for_each_other_to_make_the_read_models(
        tmp_path, monkeypatch):
    """Two runners opening new read models at once: SQLite refuses one at once (not after the
    busy timeout) when both switch the file to WAL; that one tries again instead of exiting."""
    real_execute = GuardedConnection.execute
    refusals = [3]

    def execute(self, *args):
        if args[0].startswith("PRAGMA journal_mode") and refusals[0]:
            refusals[0] -= 1
            raise sqlite3.OperationalError("database is locked")
        return real_execute(self, *args)

    monkeypatch.setattr(GuardedConnection, "execute", execute)
    ReadModelDatabase(tmp_path / "new.readmodels").close()
    assert refusals == [0]
