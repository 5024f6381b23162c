"""`python bench/run.py window STORE`: how the explorer window copes with a million events.

Starts the window in a child process on STORE (seeded with about a million events first if it
does not exist) and measures: process start to the first page of events painted, jumping to the
last event, filtering by one event type, the longest stall of the GUI thread meanwhile, and peak
resident memory. Runs offscreen unless a display is set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"first_page_s": 1.5, "jump_to_end_ms": 100, "filter_type_ms": 500,
           "max_stall_ms": 100, "peak_rss_mb": 400}


def ensure_store(path: Path, orders: int) -> None:
    if path.exists():
        return
    print(f"seeding {path} with {orders:,} orders (about {orders * 8.4:,.0f} events)...",
          file=sys.stderr)
    subprocess.run([sys.executable, "-m", "explorer", "seed", str(path), "--orders", str(orders)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def run_once(path: Path) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.time()
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "window_driver.py"), str(path)],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the window driver failed:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(lines[-1])
    if "error" in figures:
        raise SystemExit(f"the window driver failed: {figures['error']}")
    figures["first_page_s"] = figures.pop("first_page_wall") - started
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py window", description=__doc__)
    parser.add_argument("store", type=Path)
    parser.add_argument("--orders", type=int, default=120_000,
                        help="orders to seed when STORE does not exist (120,000: ~1M events)")
    parser.add_argument("--rounds", type=int, default=3, help="runs; the best of each is kept")
    args = parser.parse_args(argv)
    ensure_store(args.store, args.orders)
    best: dict[str, float] = {}
    for round_number in range(1, args.rounds + 1):
        figures = run_once(args.store)
        print(f"round {round_number}: " + ", ".join(
            f"{k} {v:,.1f}" for k, v in figures.items() if k in TARGETS), file=sys.stderr)
        for key, value in figures.items():
            best[key] = min(best.get(key, value), value) if key in TARGETS else value
    print(f"store: {args.store} ({best['rows']:,} events; {best['filtered_rows']:,} OrderShipped)")
    for key, target in TARGETS.items():
        unit = key.rsplit("_", 1)[-1]
        verdict = "ok" if best[key] <= target else "MISSED"
        print(f"{key:16s} {best[key]:10.2f} {unit:3s} target {target:>6} {unit}  {verdict}")
    print(json.dumps({key: round(best[key], 3) for key in TARGETS}))
    return 0
