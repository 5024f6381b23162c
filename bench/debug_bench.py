"""`python bench/run.py debug STORE`: the debugging tools on a million events.

  when_stream_p95_ms      find-when on the Inventory stream with the most events (over 10,000
                          in a million-event shop store): every switch of a random condition on
                          its state, folded from its events (50 random conditions)
  when_read_model_p95_ms  the same on order_summary's rows (from their versions)
  when_sagas_p95_ms       the same on the sagas' rows (`status = "compensating"` and the like)
  compare_s               two moments compared (bench/compare_measure.py)
  watch_plot_s            a watch plot across the whole log (bench/watch_measure.py)
  gui_max_stall_ms        the longest GUI stall in the window while finding, comparing and
                          plotting (bench/stall_measure.py)

Every switch is what the window marks on its timeline; also printed, the first switch to true
only (what `when` prints without --all), and how many switches the conditions had. Conditions
are random comparisons (=, !=, <, <=, >, >=, contains, exists) of values the store really holds,
joined by and, or and not, kept only if they hold for at most MOST_SHARE of the sampled states
or rows: what a user debugging asks is when something unusual held (`status = "compensating"`),
not when `created_at exists` (true of every row, a switch for each of 75,000 orders). `--broad`
keeps every condition drawn (the figures before that rule). Targets: under 200 ms p95 each.

The store is opened read-only: the read models beside it are used if they are there, else they
are built in the user's cache folder first. STORE is seeded with about a million events
(75,000 orders) if it does not exist.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"when_stream_p95_ms": 200, "when_read_model_p95_ms": 200, "when_sagas_p95_ms": 200}
MOST_SHARE = 0.2
"""A condition holding for more of the sample than this is drawn again (unless --broad)."""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def written(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


class Conditions:
    """Random conditions over (field, values seen) pairs."""

    def __init__(self, seed: int, fields: dict[str, list[Any]],
                 share: Callable[[str], float] | None = None) -> None:
        self.random = random.Random(seed)
        self.fields = {name: values for name, values in fields.items() if values}
        self.share = share
        """How much of the sample a condition holds for (None: keep every condition)."""

    def realistic(self) -> str:
        """A condition holding for at most MOST_SHARE of the sample (see the docstring)."""
        text = self.condition()
        for _ in range(200):
            if self.share is None or self.share(text) <= MOST_SHARE:
                return text
            text = self.condition()
        return text

    def comparison(self) -> str:
        r = self.random
        field = r.choice(sorted(self.fields))
        value = r.choice(self.fields[field])
        roll = r.random()
        if roll < 0.1:
            return f"{field} exists"
        if roll < 0.25 and isinstance(value, str) and len(value) > 2:
            start = r.randrange(len(value) - 2)
            return f"{field} contains {written(value[start:start + 3])}"
        if isinstance(value, str):
            return f"{field} {r.choice(['=', '=', '!='])} {written(value)}"
        return f"{field} {r.choice(['=', '!=', '<', '<=', '>', '>='])} {written(value)}"

    def condition(self) -> str:
        r = self.random
        roll = r.random()
        if roll < 0.4:
            return self.comparison()
        if roll < 0.5:
            return f"not ({self.comparison()})"
        joiner = r.choice([" and ", " or "])
        return joiner.join(self.comparison() for _ in range(r.randint(2, 3)))


def row_values(rows: list[dict[str, Any]], skip: tuple[str, ...] = ("steps",)
               ) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for row in rows:
        for column, value in row.items():
            if column not in skip and value is not None and value not in found.setdefault(
                    column, []):
                found[column].append(value)
    return found


def timed(search: Callable[[str], Any], texts: list[str]) -> tuple[list[float], list[int]]:
    """Milliseconds of the search for each condition, and how many switches each found."""
    times, switches = [], []
    for text in texts:
        started = time.perf_counter()
        found = search(text)
        times.append((time.perf_counter() - started) * 1000)
        switches.append(len(found.switches))
    return times, switches


def readmodels_for(store: Path):
    """The read models beside the store if there, else built (read-only) in the cache."""
    from explorer.demo.system import SHOP
    from explorer.projections import ReadModelDatabase, read_model_path
    from explorer.runtime.runner import Runner

    beside = read_model_path(str(store), False)
    if beside.exists():
        return ReadModelDatabase(beside, read_only=True)
    print("building the read models in the cache folder...", file=sys.stderr)
    with Runner(str(store), SHOP, read_only=True, run_sagas=False) as runner:
        runner.run_pending()
    return ReadModelDatabase(read_model_path(str(store), True), read_only=True)


def sample_share(find: Any, target: str, sample: list[dict[str, Any]], root: str | None,
                 affinities: dict[str, str] | None) -> Callable[[str], float]:
    """How much of `sample` (states or rows) a condition on `target` holds for."""
    from explorer.timetravel.conditions import predicate

    def share(text: str) -> float:
        holds = predicate(find.parse(target, text), root, affinities)
        return sum(1 for value in sample if holds(value)) / len(sample)
    return share


def measure(store_path: Path, count: int, seed: int, broad: bool = False) -> dict[str, Any]:
    from explorer.demo.system import SHOP
    from explorer.projections.versioned import current_rows
    from explorer.system.workspace import open_store
    from explorer.timetravel.conditions import STATE_ROOT, column_affinities
    from explorer.timetravel.machine import TimeMachine
    from explorer.timetravel.when import SAGAS, FindWhen

    r = random.Random(seed)
    with open_store(store_path, system=SHOP, read_only=True) as store, \
            readmodels_for(store_path) as readmodels:
        machine = TimeMachine(store, readmodels, SHOP)
        find = FindWhen(machine)
        last = store.last_position()
        stream = max(store.list_streams("Inventory"), key=lambda s: s.version)
        states = [machine.aggregate_at(stream.stream_id, r.randint(1, last)).state
                  for _ in range(20)]
        fields: dict[str, list[Any]] = {}
        for state in states:
            for key in ("on_hand", "reserved", "name"):
                fields.setdefault(f"state.{key}", []).append(state[key])
            for order in list(state["reservations"])[:3]:
                fields.setdefault(f"state.reservations.{order}", []).append(
                    state["reservations"][order])
        results: dict[str, Any] = {"events": last, "stream_id": stream.stream_id,
                                   "stream_events": stream.version}
        stream_conditions = Conditions(seed, fields, None if broad else sample_share(
            find, stream.stream_id, states, STATE_ROOT, None))
        targets: dict[str, tuple[str, Conditions]] = {"stream": (stream.stream_id,
                                                                 stream_conditions)}
        for kind, target in (("read_model", "order_summary"), ("sagas", SAGAS)):
            table = machine.projections[find.read_model_name(target)].main_table
            sample = [dict(row) for row in readmodels.execute(
                current_rows(table).limit(3000)).mappings()]
            rows = r.sample(sample, 200)
            share = None if broad else sample_share(find, target, rows, None,
                                                    column_affinities(table))
            targets[kind] = (target, Conditions(seed, row_values(rows), share))
        for kind, (target, conditions) in targets.items():
            texts = [conditions.realistic() for _ in range(count)]
            every, switches = timed(partial(find.switches, target), texts)
            first, _ = timed(partial(find.switches, target, first_only=True), texts)
            results[kind] = {"target": target, "every_ms": every, "first_ms": first,
                             "switches": switches, "example": texts[0]}
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py debug", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--orders", type=int, default=75_000,
                        help="orders to seed when STORE does not exist (75,000: ~1M events)")
    parser.add_argument("--conditions", type=int, default=50, help="random conditions a target")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--broad", action="store_true",
                        help="keep conditions that hold for most rows (see above)")
    args = parser.parse_args(argv)
    if not args.store.exists():
        print(f"seeding {args.store} with {args.orders:,} orders...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "explorer", "seed", str(args.store), "--orders",
                        str(args.orders)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    found = measure(args.store, args.conditions, args.seed, args.broad)
    print(f"store: {args.store} ({found['events']:,} events)")
    result: dict[str, float] = {}
    names = {"stream": f"stream {found['stream_id']} ({found['stream_events']:,} events)",
             "read_model": "read model order_summary", "sagas": "sagas"}
    for kind, name in names.items():
        figures = found[kind]
        every, first = figures["every_ms"], figures["first_ms"]
        result[f"when_{kind}_p95_ms"] = round(percentile(every, 0.95), 1)
        print(f"find-when on {name}, {len(every)} random conditions "
              f"(e.g. {figures['example']}):")
        print(f"  every switch: p50 {statistics.median(every):.1f} ms, p95 "
              f"{percentile(every, 0.95):.1f} ms, max {max(every):.1f} ms; switches found: "
              f"median {statistics.median(figures['switches']):,.0f}, max "
              f"{max(figures['switches']):,}")
        print(f"  first switch to true: p50 {statistics.median(first):.1f} ms, p95 "
              f"{percentile(first, 0.95):.1f} ms")
    from bench.compare_measure import TARGET_S, measure_compare, print_compare

    with readmodels_for(args.store) as readmodels:  # compare: bench/compare_measure.py
        compared = measure_compare(args.store, readmodels)
    print_compare(compared)
    result["compare_s"] = round(compared["compare_s"], 2)
    from bench.watch_measure import TARGET_S as WATCH_TARGET_S
    from bench.watch_measure import measure_watch, print_watch

    with readmodels_for(args.store) as readmodels:  # watch plots: bench/watch_measure.py
        watched = measure_watch(args.store, readmodels)
    print_watch(watched)
    result["watch_plot_s"] = round(watched["watch_plot_s"], 3)
    from bench.stall_measure import TARGET_MS as STALL_TARGET_MS
    from bench.stall_measure import measure_stalls, print_stalls

    stalls = measure_stalls(args.store)  # the window: bench/stall_measure.py
    print_stalls(stalls)
    result["gui_max_stall_ms"] = round(stalls["gui_max_stall_ms"], 1)
    for key, target in {**TARGETS, "compare_s": TARGET_S, "watch_plot_s": WATCH_TARGET_S,
                        "gui_max_stall_ms": STALL_TARGET_MS}.items():
        verdict = "ok" if result[key] <= target else "OVER"
        print(f"{key}: {result[key]:.1f} (target under {target}) {verdict}")
    print(json.dumps(result))
    return 0
