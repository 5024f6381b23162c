"""`python bench/run.py timetravel STORE`: scrubbing the timeline of a million events.

  prepare_s      building what time travel needs from nothing: every projection's versioned
                 read model, from the first event to the last (the window does this in the
                 background, with progress; the read models can be thrown away and rebuilt)
  scrub_p50_ms   setting the slider to a random position until the window shows the system
  scrub_p95_ms   there: the aggregate of the event at that position with its diff, the visible
                 rows of every read model and the sagas (200 random positions); also printed,
                 the window process's CPU time for each (a loaded machine inflates it less)
  peak_rss_mb    the window's peak resident memory while scrubbing

Also printed: the same latencies with a long Inventory stream selected (its snapshots at work),
and a drag across the whole log at 60 moves a second: moments shown, the delay from letting go
to the final position shown, and the longest GUI stall.

The store is opened read-only, so its read models are built in the user's cache folder and the
store itself is not touched. STORE is seeded with about a million events if it does not exist.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"scrub_p50_ms": 50, "scrub_p95_ms": 50, "prepare_s": None, "peak_rss_mb": 500}


def prepare(store: Path, rebuild: bool) -> float:
    """Build the read models of the store (opened read-only) from zero; the seconds it took."""
    from explorer.demo.system import SHOP
    from explorer.projections import read_model_path
    from explorer.runtime.runner import Runner

    path = read_model_path(str(store), True)
    if rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    with Runner(str(store), SHOP, read_only=True, run_sagas=False) as runner:
        runner.run_pending()
    return time.perf_counter() - started


def scrub(store: Path, count: int, seed: int) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "timetravel_driver.py"),
                             str(store), str(count), str(seed)], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=900)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines or "error" in lines[-1]:
        raise SystemExit(f"the time-travel driver failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(lines[-1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(len(ordered) * share)) - 1)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py timetravel", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--orders", type=int, default=120_000,
                        help="orders to seed when STORE does not exist (120,000: ~1M events)")
    parser.add_argument("--positions", type=int, default=200, help="random positions to visit")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-prepared", action="store_true",
                        help="use read models already built by an earlier run (prepare_s is "
                             "then only the catch-up)")
    args = parser.parse_args(argv)
    if not args.store.exists():
        print(f"seeding {args.store} with {args.orders:,} orders...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "explorer", "seed", str(args.store), "--orders",
                        str(args.orders)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    print("catching up the read models built before..." if args.keep_prepared else
          "preparing the read models from zero...", file=sys.stderr)
    prepare_s = prepare(args.store, rebuild=not args.keep_prepared)
    figures = scrub(args.store, args.positions, args.seed)
    jumps, stream = figures["latencies_ms"], figures["stream_latencies_ms"]
    result = {"scrub_p50_ms": statistics.median(jumps), "scrub_p95_ms": percentile(jumps, 0.95),
              "prepare_s": prepare_s, "peak_rss_mb": figures["peak_rss_mb"]}
    print(f"store: {args.store} ({figures['events']:,} events)")
    if args.keep_prepared:
        print(f"prepare: kept from an earlier run ({prepare_s:.1f} s to catch up)")
    else:
        print(f"prepare (read models from zero): {prepare_s:.1f} s "
              f"({figures['events'] / prepare_s:,.0f} events/s)")
    print(f"scrub to {len(jumps)} random positions: p50 {result['scrub_p50_ms']:.1f} ms, "
          f"p95 {result['scrub_p95_ms']:.1f} ms, max {max(jumps):.1f} ms")
    cpu = figures["cpu_ms"]
    print(f"  CPU time of the process per position: p50 {statistics.median(cpu):.1f} ms, "
          f"p95 {percentile(cpu, 0.95):.1f} ms")
    by_type: dict[str, list[float]] = {}
    for stream_type, latency in zip(figures["stream_types"], jumps, strict=True):
        by_type.setdefault(stream_type or "none", []).append(latency)
    print("  by the aggregate shown: " + ", ".join(
        f"{name} p50 {statistics.median(times):.1f} ms ({len(times)})"
        for name, times in sorted(by_type.items(), key=lambda item: -len(item[1]))))
    print(f"  with stream {figures['stream']} selected ({len(stream)} positions): p50 "
          f"{statistics.median(stream):.1f} ms, p95 {percentile(stream, 0.95):.1f} ms")
    print(f"  longest GUI stall meanwhile: {figures['jump_max_stall_ms']:.1f} ms")
    print(f"drag across the log for {figures['drag_s']:.1f} s at 60 moves/s: "
          f"{figures['drag_moments_shown']} moments shown, final position shown "
          f"{figures['drag_settle_ms']:.1f} ms after letting go, longest GUI stall "
          f"{figures['drag_max_stall_ms']:.1f} ms")
    print(f"peak memory: window {figures['peak_rss_mb']:.0f} MB, its projections process "
          f"{figures['children_peak_rss_mb']:.0f} MB")
    for key, target in TARGETS.items():
        if target is None:
            continue
        verdict = "ok" if result[key] <= target else "MISSED"
        print(f"{key:14s} {result[key]:10.1f}  target under {target}  {verdict}")
    print(json.dumps({key: round(value, 2) for key, value in result.items()}))
    return 0
