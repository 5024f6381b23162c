"""Benchmarks: `python bench/run.py NAME [ARGS]`. Each prints its figures and, last, one JSON line.

  store   our store against the eventsourcing library and raw sqlite3, on the same work
  window       the explorer window on a million events: first page, jump, filter, stalls, memory
  projections  rebuild speed, live latency from another process, GUI stalls during a rebuild
  timetravel   scrubbing the timeline: latency to show the system at a position, preparation
  soak         writers beside the runners for ten minutes, then kill -9s: nothing lost or done twice
  search       searching 100,000 read-model rows as the user types; what the index costs
  search-index STORE  the full-text index of every event: build rate, size, search p50/p95
  debug        find-when, compare and watch plots on a million events; GUI stalls meanwhile
  desktop      the bundle that needs no Python: its size, its start against `python main.py`
  foreign      the eventsourcing library's own store of a million events: first page, jump, read
  postgres [URL]  the store on PostgreSQL against the eventsourcing library's recorder there
  scale        100k, 1M and 10M events: open, jump, filter, search, timeline, rebuild; growth?
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHES = {
    "store": "bench.store_bench",
    "window": "bench.window_bench",
    "projections": "bench.projections_bench",
    "timetravel": "bench.timetravel_bench",
    "soak": "bench.soak",
    "search": "bench.search_bench",
    "search-index": "bench.search_index_bench",
    "debug": "bench.debug_bench",
    "desktop": "bench.desktop_bench",
    "foreign": "bench.foreign_bench",
    "scale": "bench.scale_bench",
    "postgres": "bench.postgres_bench",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    import importlib

    module = importlib.import_module(BENCHES[argv[0]])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
