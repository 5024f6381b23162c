"""The compare measurement of `python bench/run.py debug STORE` (bench/debug_bench.py):

  compare_s   the summary of a comparison of two moments 500,000 positions apart (the middle
              half of a million-event log): streams by type and event type with counts, each
              read model's added / changed / removed counts and first rows, the sagas whose
              status changed (median of a few runs; target under 1 s)

Also printed: a page of a read model's changed rows and one stream's aggregate diff.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

TARGET_S = 1.0
SPAN = 500_000


def measure_compare(store_path: Path, readmodels: Any, repeats: int = 3) -> dict[str, Any]:
    """Seconds for the summary of two moments SPAN positions apart (centred in the log), for
    a page of order_summary's rows that differ and for the longest stream's diff."""
    from explorer.demo.system import SHOP
    from explorer.system.workspace import open_store
    from explorer.timetravel.compare import Comparer

    with open_store(store_path, system=SHOP, read_only=True) as store:
        last = store.last_position()
        before = max(0, (last - SPAN) // 2)
        after = min(last, before + SPAN)
        comparer = Comparer(store, readmodels, SHOP)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            summary = comparer.summary(before, after)
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        comparer.rows("order_summary", before, after, offset=1000, limit=100)
        page_s = time.perf_counter() - started
        stream = max(store.list_streams("Inventory"), key=lambda s: s.version).stream_id
        started = time.perf_counter()
        comparer.stream(stream, before, after)
        stream_s = time.perf_counter() - started
    rows = sum(m.counts.total for m in summary.read_models) + summary.saga_changes
    return {"compare_s": statistics.median(times), "times_s": times, "before": before,
            "after": after, "events": summary.events, "streams": summary.streams,
            "rows": rows, "page_s": page_s, "stream": stream, "stream_s": stream_s}


def print_compare(found: dict[str, Any]) -> None:
    print(f"compare positions {found['before']:,} and {found['after']:,}: "
          f"{found['events']:,} events in {found['streams']:,} streams, {found['rows']:,} "
          f"read-model rows and sagas changed")
    print(f"  summary: median {found['compare_s']:.2f} s of "
          + ", ".join(f"{t:.2f}" for t in found["times_s"])
          + f"; a page of 100 order_summary rows {found['page_s'] * 1000:.0f} ms; "
          f"{found['stream']}'s diff {found['stream_s'] * 1000:.0f} ms")


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from explorer.projections import ReadModelDatabase, read_model_path

    path = Path(sys.argv[1])
    with ReadModelDatabase(read_model_path(str(path), False), read_only=True) as db:
        print_compare(measure_compare(path, db))
