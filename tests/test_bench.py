"""The benchmark script keeps working: a tiny run prints its table and the final JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_store_bench_runs_and_ends_with_json():
    result = subprocess.run(
        [sys.executable, "bench/run.py", "store", "--aggregates", "40", "--events-per", "4",
         "--no-large", "--rounds", "1"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    keys = {"command", "batch_append", "read_all", "rebuild"}
    assert set(last) == {"ours", "eventsourcing", "raw_sqlite"}
    assert all(set(figures) == keys and min(figures.values()) > 0 for figures in last.values())
    assert "ours / eventsourcing" in result.stdout
