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
    assert set(last) == {"ours", "ours_unchained", "eventsourcing", "raw_sqlite"}
    assert all(set(figures) == keys and min(figures.values()) > 0 for figures in last.values())
    assert "ours / eventsourcing" in result.stdout and "the hash chain costs" in result.stdout


def test_the_window_bench_runs_and_ends_with_json(tmp_path):
    store = tmp_path / "small.evstore"
    result = subprocess.run(
        [sys.executable, "bench/run.py", "window", str(store), "--orders", "300", "--rounds", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(last) == {"first_page_s", "jump_to_end_ms", "filter_type_ms", "max_stall_ms",
                         "peak_rss_mb"}
    assert all(value > 0 for value in last.values())


def test_the_timetravel_bench_runs_and_ends_with_json(tmp_path):
    store = tmp_path / "small.evstore"
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run(
        [sys.executable, "bench/run.py", "timetravel", str(store), "--orders", "200",
         "--positions", "20"], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(last) == {"scrub_p50_ms", "scrub_p95_ms", "prepare_s", "peak_rss_mb"}
    assert all(value > 0 for value in last.values())
    assert "drag across the log" in result.stdout
    assert (tmp_path / "cache").exists()  # the read models went to the cache, not beside STORE
    assert not (tmp_path / "small.evstore.readmodels").exists()


def test_the_projections_bench_runs_and_ends_with_json(tmp_path):
    """Each projection's rebuild rate comes with its read floor (only reading its events), which
    no rebuild of it can beat."""
    store = tmp_path / "small.evstore"
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "bench/run.py", "projections", str(store), "--orders", "100",
         "--appends", "5", "--rounds", "1", "--every-projection"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    rates, floors = last["rebuild_cpu_events_per_s_each"], last["read_floor_per_cpu_s_each"]
    assert set(rates) == set(floors) == {"order_summary", "stock", "revenue_per_day",
                                         "orders_per_customer", "sagas"}
    assert all(0 < rates[name] < floors[name] for name in rates)
    assert last["live_latency_p95_ms"] > 0 and last["rebuild_events_per_s"] > 0
    assert "its read floor" in result.stdout
