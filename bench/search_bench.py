"""`python bench/search_bench.py [--sagas N]`: searching read-model rows as the user types.

Fills a read-model database with N saga rows shaped like the shop's (100,000 by default, as in
the 1.35M-event store), each written in several versions as a saga moves along, through the
projection engine's own writer. Then, for what a user might type, the time to count the matches
and to read the first page and a deep page (what the Sagas tab asks for), against the same reads
without a search. Also what the index costs: the one-pass build after a rebuild, keeping it up
to date row by row as the log grows, and its size.

  search_p95_ms   the slowest of count + first page, over the searches below (95th percentile)
  build_s         building the index of N rows in one pass (after a rebuild)
  live_row_us     keeping the index up to date, per row changed by a live transaction
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.demo.projections import saga_instances  # noqa: E402
from explorer.projections import ReadModelDatabase, count_rows, read_rows  # noqa: E402
from explorer.projections.search import SearchIndex, index_names  # noqa: E402
from explorer.projections.versioned import VersionedWriter  # noqa: E402

PAGE = 100
STEPS = ["reserve prod_{p}", "charge payment", "dispatch prod_{p}, dispatch prod_{q}"]
STATUSES = ["completed"] * 14 + ["compensated"] * 3 + ["failed", "running", "compensating"]
SEARCHES = ["f", "fulfil", "fulfilment-order_050000", "order_0500", "compens", "prod_105",
            "charge payment", "2026-11-29", "card declined", "zzz", "completed prod_1"]


def fill(db: ReadModelDatabase, sagas: int, versions: int, seed: int = 7) -> float:
    """Write `sagas` rows, `versions` each, in chunks as the engine does; the seconds taken."""
    random.seed(seed)
    db.create_tables([saga_instances])
    writer = VersionedWriter(saga_instances, db.db, db.engine.dialect)
    writer.start_empty()
    blank = dict.fromkeys(saga_instances.info["values"])  # columns the bench leaves empty
    started = time.perf_counter()
    position = 0
    chunk = 5_000
    for first in range(0, sagas, chunk):
        with db.transaction():
            for version in range(versions):
                for number in range(first, min(first + chunk, sagas)):
                    position += 1
                    p, q = random.randint(100, 160), random.randint(100, 160)
                    done = version == versions - 1
                    status = random.choice(STATUSES) if done else "running"
                    when = f"2026-11-{1 + number % 29:02d}T{number % 24:02d}:41:03.123456Z"
                    writer.put((f"fulfilment-order_{number:06d}",), blank | {
                        "order_id": f"order_{number:06d}", "status": status,
                        "current_step": STEPS[number % 3].format(p=p, q=q)
                        if status in ("running", "compensating") else None,
                        "steps_done": version, "steps_total": versions, "reason":
                        "card declined" if status in ("compensated", "failed") else None,
                        "started_at": when, "updated_at": when}, position)
            writer.flush()
    return time.perf_counter() - started


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


def searches(db: ReadModelDatabase, rounds: int) -> tuple[list[dict], list[float]]:
    table = saga_instances
    results, slowest = [], []
    for text in [None, *SEARCHES]:
        for where in (None, {"status": "compensated"}):
            counts, firsts, deeps = [], [], []
            for _ in range(rounds):
                count_ms, total = timed(partial(count_rows, db, table, where=where, search=text))
                first_ms, _rows = timed(partial(read_rows, db, table, where=where, search=text,
                                                limit=PAGE))
                deep = max(0, total // 2 // PAGE * PAGE)
                deep_ms, _rows = timed(partial(read_rows, db, table, where=where, search=text,
                                               offset=deep, limit=PAGE))
                counts.append(count_ms)
                firsts.append(first_ms)
                deeps.append(deep_ms)
            result = {"search": text, "where": where, "matches": total,
                      "count_ms": statistics.median(counts),
                      "first_page_ms": statistics.median(firsts),
                      "middle_page_ms": statistics.median(deeps)}
            results.append(result)
            if text is not None:
                slowest.append(result["count_ms"] + result["first_page_ms"])
    return results, slowest


def live_updates(db: ReadModelDatabase, sagas: int, transactions: int) -> float:
    """Microseconds per row that keeping the index costs a live transaction (a few rows each)."""
    index = SearchIndex(saga_instances, db.db)
    plain = VersionedWriter(saga_instances, db.db, db.engine.dialect)
    indexed = VersionedWriter(saga_instances, db.db, db.engine.dialect, index)
    position = 10 ** 9
    costs = {"plain": [], "indexed": []}
    for round_number in range(transactions):
        for name, writer in (("plain", plain), ("indexed", indexed)):
            keys = [(f"fulfilment-order_{random.randrange(sagas):06d}",) for _ in range(5)]
            started = time.perf_counter()
            with db.transaction():
                for key in keys:
                    position += 1
                    row = writer.get(key) or {}
                    row.update(status="running", current_step=f"step {round_number}")
                    writer.put(key, row, position)
                writer.flush()
            costs[name].append((time.perf_counter() - started) * 1e6 / len(keys))
    return statistics.median(costs["indexed"]) - statistics.median(costs["plain"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/search_bench.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sagas", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=5, help="versions written per saga")
    parser.add_argument("--rounds", type=int, default=5, help="repeats of each search")
    args = parser.parse_args(argv)
    with (tempfile.TemporaryDirectory() as folder,
          ReadModelDatabase(Path(folder) / "bench.readmodels") as db):
        fill_s = fill(db, args.sagas, args.versions)
        index = SearchIndex(saga_instances, db.db)
        build_started = time.perf_counter()
        with db.transaction():
            index.build()
        build_s = time.perf_counter() - build_started
        fts, ids = index_names(saga_instances)
        pages = sum(db.db.execute(
            "SELECT count(*) FROM dbstat WHERE name LIKE ?", (f"{name}%",)).fetchone()[0]
            for name in (fts, ids)) if _has_dbstat(db) else 0
        page_size = db.db.execute("PRAGMA page_size").fetchone()[0]
        table_pages = db.db.execute("SELECT count(*) FROM dbstat WHERE name = ?", (
            saga_instances.name,)).fetchone()[0] if _has_dbstat(db) else 0
        results, slowest = searches(db, args.rounds)
        live_us = live_updates(db, args.sagas, 200)
    print(f"{args.sagas:,} sagas x {args.versions} versions written in {fill_s:.1f} s")
    print(f"index built in one pass: {build_s:.2f} s ({build_s / args.sagas * 1e6:.1f} us/row)")
    if pages:
        print(f"index size: {pages * page_size / 1e6:.1f} MB (the table itself: "
              f"{table_pages * page_size / 1e6:.1f} MB)")
    print(f"kept up to date live: +{live_us:.1f} us per row changed")
    print(f"{'search':28} {'status filter':14} {'matches':>8} {'count':>8} {'page 1':>8} "
          f"{'middle':>8}  (ms, median of {args.rounds})")
    for r in results:
        label = "(no search)" if r["search"] is None else repr(r["search"])
        where = r["where"]["status"] if r["where"] else ""
        print(f"{label:28} {where:14} {r['matches']:8,} {r['count_ms']:8.1f} "
              f"{r['first_page_ms']:8.1f} {r['middle_page_ms']:8.1f}")
    slowest.sort()
    figures = {"search_p95_ms": round(slowest[max(0, int(len(slowest) * 0.95) - 1)], 1),
               "search_max_ms": round(slowest[-1], 1), "build_s": round(build_s, 2),
               "live_row_us": round(live_us, 1), "sagas": args.sagas}
    print(json.dumps(figures))
    return 0


def _has_dbstat(db: ReadModelDatabase) -> bool:
    try:
        db.db.execute("SELECT 1 FROM dbstat LIMIT 1").fetchall()
        return True
    except Exception:  # SQLite built without the dbstat table
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
