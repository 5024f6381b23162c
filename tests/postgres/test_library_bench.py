"""`bench/run.py postgres URL` keeps working: a tiny run against the tests' server prints its
table and ends with its JSON, and leaves no schema behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def schemas(admin) -> set[str]:
    """The database's schemas, but a session's temporary ones (the server keeps them)."""
    return {name for (name,) in admin.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%temp\\_%'")}


def test_the_postgres_bench_runs_and_ends_with_json(postgres_server, admin):
    before = schemas(admin)
    result = subprocess.run(
        [sys.executable, "bench/run.py", "postgres", postgres_server.url(), "--aggregates", "8",
         "--events-per", "3", "--writers", "2", "--orders", "2", "--commands", "5", "--live",
         "10"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    for figure in ("command", "batch_append", "read_all", "rebuild", "writers"):
        assert last[figure]["ours"] > 0 and last[figure]["eventsourcing"] > 0
    assert last["writers"]["ours_lost"] == 0 and last["writers"]["eventsourcing_lost"] == 0
    assert last["live_p95_ms"] >= 0
    assert "ratio" in result.stdout.splitlines()[0]
    assert schemas(admin) == before


def test_the_clusters_cpu_time_counts_its_sessions_work(postgres_server, admin):
    """The bench's CPU figures count the server's processes: a session's work shows, also
    once the session has ended (its time then the postmaster's reaped children's)."""
    import time

    import psycopg

    before = postgres_server.cpu_seconds()
    with psycopg.connect(postgres_server.url()) as session:
        pid = session.info.backend_pid
        session.execute("SELECT count(*) FROM generate_series(1, 4000000)").fetchone()
        during = postgres_server.cpu_seconds()
    deadline = time.monotonic() + 30  # (until the server has reaped the session's process)
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    after = postgres_server.cpu_seconds()
    assert during - before >= 0.1 and after >= during, (before, during, after)
