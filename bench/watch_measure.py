"""The watch measurement of `python bench/run.py debug STORE` (bench/debug_bench.py):

  watch_plot_s   a watch plot across the whole log: the series (steps, thinned to the points a
                 plot draws) of the longest Inventory stream's on_hand, folded from its events,
                 and of count(sagas where status = "failed"), from the sagas' row versions; the
                 slower of the two (median of a few runs each; target under 0.5 s)

Also printed: each one's time, its steps and the value as of the log's middle (one as-of read).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

TARGET_S = 0.5
POINTS = 2_000
"""About as many steps as the window's plot asks for (its width in pixels, and then some)."""


def measure_watch(store_path: Path, readmodels: Any, repeats: int = 3) -> dict[str, Any]:
    """Seconds for each watch's series across the whole log."""
    from explorer.demo.system import SHOP
    from explorer.system.workspace import open_store
    from explorer.timetravel.machine import TimeMachine
    from explorer.timetravel.watch import Watcher

    found: dict[str, Any] = {"watches": {}}
    with open_store(store_path, system=SHOP, read_only=True) as store:
        watcher = Watcher(TimeMachine(store, readmodels, SHOP))
        stream = max(store.list_streams("Inventory"), key=lambda s: s.version)
        middle = store.last_position() // 2
        for text in (f"{stream.stream_id}.on_hand", 'count(sagas where status = "failed")'):
            watch = watcher.parse(text)
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                series = watcher.series(watch, points=POINTS)
                times.append(time.perf_counter() - started)
            started = time.perf_counter()
            value = watcher.value_at(watch, middle)
            found["watches"][text] = {"s": statistics.median(times), "times_s": times,
                                      "steps": len(series.positions),
                                      "thinned": series.thinned, "middle": middle,
                                      "value": value, "value_s": time.perf_counter() - started}
    found["watch_plot_s"] = max(w["s"] for w in found["watches"].values())
    return found


def print_watch(found: dict[str, Any]) -> None:
    for text, figures in found["watches"].items():
        print(f"watch plot of {text}: median {figures['s']:.3f} s of "
              + ", ".join(f"{t:.3f}" for t in figures["times_s"])
              + f"; {figures['steps']:,} steps{' (thinned)' if figures['thinned'] else ''}; "
              f"as of {figures['middle']:,}: {figures['value']!r} "
              f"({figures['value_s'] * 1000:.0f} ms)")
