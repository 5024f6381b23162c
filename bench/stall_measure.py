"""The window measurement of `python bench/run.py debug STORE` (bench/debug_bench.py):

  gui_max_stall_ms   the longest GUI stall in the real window (offscreen) while the user finds
                     when (the longest Inventory stream, order_summary, the sagas), compares two
                     moments SPAN positions apart and pins and plots two watches
                     (bench/debug_window_driver.py; target under 100 ms)

Also printed: each step's wall time (until its answer is shown) and its longest stall. The
store is opened read-only; its read models are brought up to date in the cache folder first
(built from nothing the first time: a minute or two on a million events), as the window would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0


def prepare(store_path: Path) -> float:
    """Catch up (or build) the read models the window reads with the store read-only."""
    from explorer.demo.system import SHOP
    from explorer.runtime.runner import Runner

    started = time.perf_counter()
    with Runner(str(store_path), SHOP, read_only=True, run_sagas=False) as runner:
        runner.run_pending()
    return time.perf_counter() - started


def measure_stalls(store_path: Path) -> dict[str, Any]:
    """The driver's figures: {"steps": {name: {"wall_ms", "max_stall_ms"}}, "gui_max_stall_ms"}."""
    prepare_s = prepare(store_path)
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "debug_window_driver.py"),
                             str(store_path)], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=1200)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines or "error" in json.loads(lines[-1]):
        raise SystemExit(f"the window driver failed:\n{result.stdout}\n{result.stderr}")
    found = json.loads(lines[-1])
    found["prepare_s"] = prepare_s
    return found


def print_stalls(found: dict[str, Any]) -> None:
    print(f"in the window (read models caught up in {found['prepare_s']:.1f} s; "
          f"{found['stream']} is the longest Inventory stream):")
    for name, figures in found["steps"].items():
        switches = found["switches"].get(name)
        note = f", {switches:,} switches" if switches is not None else ""
        print(f"  {name}: {figures['wall_ms']:,.0f} ms to the answer{note}; longest GUI "
              f"stall {figures['max_stall_ms']:.0f} ms")


if __name__ == "__main__":  # pragma: no cover
    sys.path.insert(0, str(ROOT))
    figures = measure_stalls(Path(sys.argv[1]))
    print_stalls(figures)
    print(json.dumps({"gui_max_stall_ms": figures["gui_max_stall_ms"]}))
