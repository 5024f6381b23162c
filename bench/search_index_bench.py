"""`python bench/run.py search-index STORE [--terms 50] [--index PATH] [--one-process]`:
searching every event.

Builds STORE's full-text index (explorer.projections.fulltext) in a file of its own (a temporary
one, or PATH: an index already built there is reused and only caught up), then searches it for
terms drawn from the stored events as a user would type them: whole ids and words (order_13839,
cust_0377, DH3862167061, Gizmo), prefixes (order_138*) and two-word "phrases".

  build_events_per_s      indexing rate of the build, wall clock (whole parts are built in worker
                          processes, a core each: explorer.projections.fulltext_parts; with
                          --one-process, in this process alone, to compare)
  build_cpu_events_per_s  the same by CPU time, of every process (this one's and its workers');
                          printed beside: each worker's CPU time, and the rate were each
                          process given a core of its own (an estimate: see below)
  bytes_per_event         the index file's size per event
  search_p50_ms, _p95_ms  the newest 100 matches of a term (what the window and the CLI show first)
  filtered_p95_ms         the same under an event-type filter (matches checked by the store)
  count_p95_ms            every match of a term, in order (the window's whole list of a search)

On the 1,010,263-event store (2 cores, load ~6): one FTS5 table, newest 100 p50 0.75 ms, p95 71 ms
(prod_1*: 160 ms, the merge of 760k matches), filtered p95 131 ms; in tables of 100,000 positions
(fulltext.PART) p50 0.6 ms, p95 3.5 ms, filtered p95 9 ms, 143 bytes an event, the build as fast.
A prefix index instead (prefix='2 3 4 5 6', measured on 300,000 events): prod_1* 0.4 ms but 520
bytes an event (145 without) and 41,000 events/s of CPU to build (107,000 without).

The build (issue 18: 100,000 events/s). FTS5 indexes a part at ~72,000 events a CPU second with 8
MB of words gathered before a segment is written (hashsize; 58,000 with FTS5's 1 MB: medians of 4
alternating, 100,000 events of the 1M store) and the store reads 230,000 a second, so one core
cannot reach it; two workers could, on cores of their own. On the 1,008,862-event store,
alternating --one-process and workers, 3 rounds each, with the 2 shared cores at load 9-10: one
process 12,000-25,000 events/s wall, 49,000-54,000 a CPU second; 2 workers 16,000-20,000 wall,
44,000-47,000 a CPU second of all processes (each worker's start, ~0.6 s of CPU, and the parts
moved in), each worker 10-11 s of CPU, this process 0.9 s: 84,000-90,000 events/s were each given
a core. Wall clock on a loaded machine says little: Linux shares the CPU between sessions
(autogroup), not processes, so more processes get no more of it. (Before: one process, 24,500 wall
at load 4, 50,000 a CPU second.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.projections import fulltext_parts  # noqa: E402
from explorer.projections.fulltext import FullTextIndex, newest_matching  # noqa: E402
from explorer.store import EventStore  # noqa: E402
from explorer.store.query import EventQuery  # noqa: E402

WORD = re.compile(r"[\w\-.@]+")
PAGE = 100


def drawn_terms(store: EventStore, count: int, seed: int = 11) -> list[str]:
    """Terms from random events' text: ids and words, prefixes, phrases (a quarter each)."""
    randomly = random.Random(seed)
    last = store.last_position()
    terms: list[str] = []
    while len(terms) < count:
        rows = store.search_texts(randomly.randrange(max(last - 1, 1)), 1)
        if not rows:
            continue
        values = re.sub(r'"[^"]*":', " ", rows[0][1])  # what people look for: not JSON keys
        tokens = [t for t in WORD.findall(values) if not t.isdigit() and len(t) > 2]
        if len(tokens) < 2:
            continue
        ids = [t for t in tokens if re.search(r"[_@]|\d", t) and len(t) < 24] or tokens
        start = randomly.randrange(len(tokens) - 1)
        kind = len(terms) % 4
        if kind == 0:
            terms.append(randomly.choice(ids))
        elif kind == 1:
            terms.append(tokens[start])
        elif kind == 2:
            token = randomly.choice(ids)
            terms.append(token[:max(3, len(token) - 2)] + "*")
        else:  # a value of several words ("Royal Mail"), else the stream id and the type
            spaced = re.findall(r'"([A-Za-z][\w.@-]* [\w .@-]+)"', values)
            first_two = WORD.findall(rows[0][1])[:2]
            terms.append(f'"{randomly.choice(spaced) if spaced else " ".join(first_two)}"')
    return terms


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_s() -> float:
    """CPU time of this process and of its children that ended (the index's workers)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_workers() -> list[float]:
    """The CPU seconds of each of the index's workers, listed as each ends (reaped here with
    its resource use, which subprocess's wait does not give)."""
    ended: list[float] = []
    end = fulltext_parts._Worker.end

    def measured(worker, *, kill: bool) -> None:
        if not kill and worker.process.returncode is None:
            worker.process.stdin.close()
            _, status, usage = os.wait4(worker.process.pid, 0)
            worker.process.returncode = os.waitstatus_to_exitcode(status)
            ended.append(usage.ru_utime + usage.ru_stime)
        end(worker, kill=kill)

    fulltext_parts._Worker.end = measured
    return ended


def timed_ms(work) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py search-index", description=__doc__)
    parser.add_argument("store", help="a store file (read only)")
    parser.add_argument("--terms", type=int, default=50)
    parser.add_argument("--index", help="keep the index here (reused if built already)")
    parser.add_argument("--one-process", action="store_true",
                        help="build in this process alone (no workers: to compare)")
    args = parser.parse_args(argv)
    if args.one_process:
        fulltext_parts.PARALLEL_FROM = sys.maxsize
    folder = tempfile.TemporaryDirectory()
    path = Path(args.index) if args.index else Path(folder.name) / "bench.fulltext"
    with EventStore.open(args.store, read_only=True) as store, FullTextIndex(path) as index:
        events = store.last_position()
        before = index.checkpoint()
        load = os.getloadavg()[0]
        workers = measure_workers()
        wall, cpu, own = time.perf_counter(), cpu_s(), time.process_time()
        indexed = index.catch_up(store)
        wall, cpu, own = time.perf_counter() - wall, cpu_s() - cpu, time.process_time() - own
        if workers:  # were each process given a core: the workers' longest, then the rest
            print(f"{len(workers)} workers, CPU s {' '.join(f'{w:.1f}' for w in workers)}; "
                  f"this process {own:.1f}: {indexed / (own + max(workers)):,.0f} events/s "
                  "on a core each (an estimate: this process's own time, not overlapped)")
        index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the index's size, not its log's
        size = sum(os.path.getsize(f"{path}{suffix}") for suffix in ("", "-wal")
                   if os.path.exists(f"{path}{suffix}"))
        print(f"{events:,} events; indexed {indexed:,} (from position {before:,}) in {wall:.1f} s"
              f" ({cpu:.1f} s CPU): {indexed / wall if wall else 0:,.0f} events/s "
              f"({indexed / cpu if cpu else 0:,.0f} events/s of CPU, all processes'; load "
              f"{load:.1f} before); "
              f"{size / max(events, 1):.0f} bytes an event ({size / 1e6:,.0f} MB)")
        terms = drawn_terms(store, args.terms)
        types = EventQuery(event_types=tuple(store.event_types()[:2]))
        newest, filtered, counted = [], [], []
        print(f"{'term':32s} {'newest 100 ms':>14s} {'filtered ms':>12s} {'all ms':>9s} "
              f"{'matches':>9s}")
        for term in terms:
            found: list[int] = []
            newest.append(timed_ms(lambda term=term, found=found: found.extend(
                index.newest_matches(term, limit=PAGE))))
            filtered.append(timed_ms(lambda term=term: next(iter(newest_matching(
                index, store, term, types, chunk=PAGE)), None)))
            every: list[int] = []
            counted.append(timed_ms(lambda term=term, every=every: every.extend(
                index.matches(term))))
            print(f"{term[:32]:32s} {newest[-1]:14.1f} {filtered[-1]:12.1f} {counted[-1]:9.1f} "
                  f"{len(every):9,}")
    figures = {
        "events": events,
        "build_events_per_s": round(indexed / wall) if indexed and wall else 0,
        "build_cpu_events_per_s": round(indexed / cpu) if indexed and cpu else 0,
        "bytes_per_event": round(size / max(events, 1), 1),
        "search_p50_ms": round(statistics.median(newest), 2),
        "search_p95_ms": round(percentile(newest, 0.95), 2),
        "filtered_p95_ms": round(percentile(filtered, 0.95), 2),
        "count_p95_ms": round(percentile(counted, 0.95), 2),
    }
    print(f"search p50 {figures['search_p50_ms']} ms, p95 {figures['search_p95_ms']} ms; "
          f"under a type filter p95 {figures['filtered_p95_ms']} ms; every match p95 "
          f"{figures['count_p95_ms']} ms")
    print(json.dumps(figures))
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
