"""The full-text index bench keeps working: a tiny run prints its table and the final JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.system.workspace import open_store

ROOT = Path(__file__).resolve().parents[1]


def test_the_search_index_bench_runs_and_ends_with_json(tmp_path):
    store = tmp_path / "small.evstore"
    with open_store(store, system=SHOP, create=True) as opened:
        seed_store(opened, orders=30, days=10)
    index = tmp_path / "kept.fulltext"
    result = subprocess.run([sys.executable, "bench/run.py", "search-index", str(store),
                             "--terms", "8", "--index", str(index)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(last) == {"events", "build_events_per_s", "build_cpu_events_per_s",
                         "bytes_per_event", "search_p50_ms", "search_p95_ms", "filtered_p95_ms",
                         "count_p95_ms"}
    assert all(value > 0 for value in last.values())
    assert index.exists() and "newest 100 ms" in result.stdout
    assert not list(tmp_path.glob("small.evstore.*"))  # the store is only read
