"""`python bench/run.py postgres [URL]`: the store on PostgreSQL against the eventsourcing library's
PostgreSQL recorder, on the same server in one run.

  command       load an order, decide (add an item), append one event, commit
  batch_append  orders decided in memory, appended 100 orders (1,000 events) a transaction
  read_all      every event in global order, decoded
  rebuild       a projection of the orders rebuilt from the log (ours: the runner's
                order_summary; the library's: a ProjectionRunner-style view, a transaction an
                event with its tracking row, as its Projection does)
  writers       8 writer processes commanding shared orders at once, starting together once all
                are up: events per second, the conflicts they retried, and events lost
                (appended but not in the log: must be 0)
  live p95      ours only: from a commit in another process to a follower seeing it (the
                store's data_version, LISTEN/NOTIFY, as the window's watcher polls it)
  (command, batch append, read all, rebuild and writers: each side's best of --rounds rounds,
  taken in turn; each round's figures go to stderr; events lost: all rounds')
  takeover_s    ours only: seconds from the leading runner's end to another runner holding
                all its work: killed (-9), and gone silent (SIGSTOP: its socket stays open;
                null when not within SILENT_WAIT_S)
  by CPU        command and batch append again, per CPU-second of this process and the
                server's processes together (without URL only: the server is then this
                machine's, and does nothing else); a busy machine disturbs these ratios far
                less than the wall clock's
Without URL a throwaway cluster is started (bench/postgres_server.py) and removed after; with
one, each side gets a schema of its own, dropped at the end. The last line is JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
LINE = {"product_id": "prod_101", "quantity": 2, "price": 29.99}
FIGURES = ("command", "batch_append", "read_all", "rebuild", "writers")
CPU_FIGURES = ("command", "batch_append")
"""Also measured per CPU-second of client and server, when the bench starts its own server."""
SILENT_WAIT_S = 20
"""How long takeover_s waits for another runner to take over from a stopped one (null: not)."""


# -- ours ----------------------------------------------------------------------------------------

def ours(url: str, n_agg: int, ev_per: int,
         cpu: Callable[[], float] | None = None) -> dict[str, float]:
    """Events per second of each figure; with `cpu`, also command_cpu and batch_append_cpu
    (as postgres_library.measure)."""
    from bench.store_bench import PRODUCTS
    from explorer.demo import DEMO_DOMAIN, Order
    from explorer.demo.system import SHOP
    from explorer.domain import CommandService
    from explorer.runtime.runner import Runner
    from explorer.store import AppendRequest
    from explorer.system.workspace import open_store

    out: dict[str, float] = {}
    with open_store(url, system=SHOP, create=True) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by="bench")
        clock = cpu or time.process_time
        t, n, c = time.perf_counter(), 0, clock()
        for i in range(n_agg // 4):
            order_id = f"c-{i}"
            service.execute("Order", order_id, "place",
                            {"customer_id": f"c{i}", "items": [LINE], "total": 59.98})
            n += 1
            for j in range(ev_per - 1):
                service.execute("Order", order_id, "add_item",
                                {"product_id": PRODUCTS[j % 10], "quantity": 2, "price": 29.99})
                n += 1
        out["command"] = n / (time.perf_counter() - t)
        if cpu is not None:
            out["command_cpu"] = n / (clock() - c)
        t, n, batch, c = time.perf_counter(), 0, [], clock()
        for i in range(n_agg):
            order = Order(f"b-{i}")
            order.place(f"c{i}", [LINE], 59.98)
            for j in range(ev_per - 1):
                order.add_item(PRODUCTS[j % 10], 2, 29.99)
            batch.append(AppendRequest(order.id, "Order", order.collect_pending(), 0))
            n += ev_per
            if len(batch) == 100:
                store.append_batch(batch)
                batch = []
        if batch:
            store.append_batch(batch)
        out["batch_append"] = n / (time.perf_counter() - t)
        if cpu is not None:
            out["batch_append_cpu"] = n / (clock() - c)
        t, n = time.perf_counter(), 0
        for _event in store.read_all():
            n += 1
        out["read_all"] = n / (time.perf_counter() - t)
    with Runner(url, SHOP, run_sagas=False) as runner:
        runner.run_pending()
        last = runner.store.last_position()
        t = time.perf_counter()
        runner.rebuild("order_summary")
        out["rebuild"] = last / (time.perf_counter() - t)
    return out


def ours_writer(url: str, orders: int, commands: int, seed: int) -> tuple[int, ...]:
    """One writer process: `commands` add_items on random shared orders; (events appended,
    conflicts retried, commands given up, and when its commands started and ended)."""
    import random

    from bench.postgres_library import start_together
    from explorer.demo import DEMO_DOMAIN
    from explorer.demo.system import SHOP
    from explorer.domain import CommandService
    from explorer.store import ConcurrencyError
    from explorer.system.workspace import open_store

    pick = random.Random(seed)
    appended = conflicts = given_up = 0
    with open_store(url, system=SHOP) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by=f"writer-{seed}")
        start_together()
        started = time.monotonic()
        for _ in range(commands):
            try:
                result = service.execute("Order", f"w-{pick.randrange(orders)}", "add_item", LINE)
            except ConcurrencyError:
                given_up += 1
                conflicts += service.max_attempts
                continue
            appended += len(result.events)
            conflicts += result.attempts - 1
    return appended, conflicts, given_up, started, time.monotonic()


def ours_writers_setup(url: str, orders: int) -> int:
    from explorer.demo import DEMO_DOMAIN
    from explorer.demo.system import SHOP
    from explorer.domain import CommandService
    from explorer.system.workspace import open_store

    with open_store(url, system=SHOP) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by="bench")
        for i in range(orders):
            service.execute("Order", f"w-{i}", "place",
                            {"customer_id": "c", "items": [LINE], "total": 59.98})
        return store.event_count()


def ours_count(url: str) -> int:
    from explorer.store import EventStore

    with EventStore.open(url, read_only=True) as store:
        return store.event_count()


def live_writer(url: str, appends: int, times: Any) -> None:
    """Append one event every ~20 ms; put (position, monotonic time after the commit)."""
    from explorer.store import ANY_VERSION, EventStore, NewEvent

    with EventStore.open(url) as store:
        for number in range(appends):
            result = store.append(f"live-{number % 5}", "Live",
                                  [NewEvent("Ticked", {"n": number})], ANY_VERSION)
            times.put((result.events[-1].position, time.monotonic()))
            time.sleep(0.02)
    times.put(None)


def live_latency(url: str, appends: int) -> dict[str, float]:
    """A follower here polls data_version (as the window's watcher does, every 2 ms) while
    another process appends; each event's time from its commit to the follower seeing it."""
    from explorer.store import EventStore
    from explorer.store.watch import AppendWatcher

    context = multiprocessing.get_context("spawn")
    times = context.Queue()
    seen: dict[int, float] = {}
    EventStore.open(url, create=True).close()
    with EventStore.open(url, read_only=True) as follower:
        watcher = AppendWatcher(follower)
        start = watcher.last_position
        writer = context.Process(target=live_writer, args=(url, appends, times))
        writer.start()
        committed: dict[int, float] = {}
        deadline = time.monotonic() + 120
        while len(seen) < appends and time.monotonic() < deadline:
            last = watcher.poll()
            if last is not None:
                now = time.monotonic()
                for position in range(max(start, max(seen, default=start)) + 1, last + 1):
                    seen[position] = now
            while not times.empty():
                item = times.get()
                if item is not None:
                    committed[item[0]] = item[1]
            time.sleep(0.002)
        writer.join(60)
        while len(committed) < appends:
            item = times.get(timeout=30)
            if item is None:
                break
            committed[item[0]] = item[1]
    latencies = sorted(max(0.0, seen[p] - t) * 1000 for p, t in committed.items() if p in seen)
    if len(latencies) < appends:
        raise SystemExit(f"the follower saw {len(latencies)} of {appends} appends")
    return {"live_p50_ms": statistics.median(latencies),
            "live_p95_ms": latencies[int(len(latencies) * 0.95) - 1],
            "live_max_ms": latencies[-1]}


def takeover_seconds(url: str) -> dict[str, float | None]:
    """Two runners (`python -m explorer run`) on one store: the leader killed (-9), then the
    next leader stopped (SIGSTOP) with a third runner waiting; seconds until the work is all
    held by others, each time."""
    import signal
    import subprocess

    from explorer.demo.system import SHOP
    from explorer.projections.postgres_readmodels import LOCK_CLASS, SCHEMA_SUFFIX

    ours_writers_setup(url, 5)  # (a store with the shop's orders: its runner has work)
    schema = sa.make_url(url).query["schema"]
    names = [*(p.name for p in SHOP.projections()), "saga:order_fulfilment"]
    plain = sa.make_url(url).set(query={}).render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as admin:
        keys = [admin.execute("SELECT hashtext(%s)::bigint & 4294967295",
                              (f"{schema}{SCHEMA_SUFFIX}/{name}",)).fetchone()[0]
                for name in names]

        def holders() -> list[set[int]]:
            held = admin.execute(
                "SELECT objid::bigint, pid FROM pg_locks WHERE locktype = 'advisory' AND "
                "granted AND objsubid = 2 AND classid = %s::bigint::oid", (LOCK_CLASS,))
            found: dict[int, set[int]] = {}
            for key, pid in held:
                found.setdefault(key, set()).add(pid)
            return [found.get(key, set()) for key in keys]

        def sessions() -> int:
            return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                 "application_name = 'event-explorer'").fetchone()[0]

        def wait(condition: Any, what: str, within_s: float = 120) -> float:
            deadline = time.monotonic() + within_s
            while not condition():
                if time.monotonic() > deadline:
                    raise SystemExit(f"takeover: {what} within {within_s:g} s")
                time.sleep(0.02)
            return time.monotonic()

        runners: list[subprocess.Popen[bytes]] = []
        each = 0  # the connections a runner opens

        def start() -> None:
            nonlocal each
            before = sessions()
            runners.append(subprocess.Popen(
                [sys.executable, "-m", "explorer", "run", url, "--status-every", "600"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if not each:
                wait(lambda: all(holders()), "the first runner held its work")
                time.sleep(1)  # (and every connection it opens, counted here, is open)
                each = sessions() - before
            else:
                wait(lambda: sessions() >= before + each, "a runner connected")

        try:
            start()
            start()
            leading = set().union(*holders())
            runners[0].send_signal(signal.SIGKILL)
            gone = time.monotonic()
            killed = wait(lambda: all(h and not h & leading for h in holders()),
                          "another runner took over from a killed one") - gone
            start()
            leading = set().union(*holders())
            runners[1].send_signal(signal.SIGSTOP)
            gone = time.monotonic()
            silent: float | None = None
            with contextlib.suppress(SystemExit):  # (it keeps its locks: see postgres_readmodels)
                silent = wait(lambda: all(h and not h & leading for h in holders()),
                              "another runner took over from a stopped one", SILENT_WAIT_S) - gone
        finally:
            for runner in runners:
                if runner.poll() is None:
                    runner.send_signal(signal.SIGCONT)
                    runner.terminate()
                runner.wait(60)
    return {"killed": round(killed, 2), "silent": None if silent is None else round(silent, 2)}


# -- running it all ------------------------------------------------------------------------------

def writers(side: str, url_or_env: Any, processes: int, orders: int,
            commands: int) -> dict[str, float]:
    """`processes` writers on `orders` shared orders; events/s (from the first writer's first
    command to the last one's last: they start together, once all have started up),
    conflicts and lost events."""
    from bench import postgres_library

    if side == "ours":
        before = ours_writers_setup(url_or_env, orders)
        target, count = ours_writer, ours_count
    else:
        before = postgres_library.writers_setup(url_or_env, orders)
        target, count = postgres_library.writer, postgres_library.count
    context = multiprocessing.get_context("spawn")
    # (each process waits for all before its first command: one a process, none starting up)
    with context.Pool(processes, postgres_library.ready_to_start,
                      (context.Barrier(processes),)) as pool:
        results = pool.starmap(target, [(url_or_env, orders, commands, seed)
                                        for seed in range(processes)])
    seconds = max(r[4] for r in results) - min(r[3] for r in results)
    appended = sum(r[0] for r in results)
    after = count(url_or_env)
    return {"events_per_s": appended / seconds, "conflicts": sum(r[1] for r in results),
            "given_up": sum(r[2] for r in results), "lost": before + appended - after}


class CpuClock:
    """This process's CPU time and a local server's together (`bench.postgres_server`), less
    what reading the server's times cost this process (a scan of /proc: ~4 ms, which would
    otherwise fall inside each measured span)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.reading = 0.0

    def __call__(self) -> float:
        started = time.process_time()
        server = self.server.cpu_seconds()
        ended = time.process_time()
        self.reading += ended - started
        return ended - self.reading + server


def schema_url(base: str, schema: str) -> str:
    return sa.make_url(base).update_query_dict({"schema": schema}).render_as_string(
        hide_password=False)


def best_of_rounds(admin: psycopg.Connection[Any], base: str, plain: sa.URL, stamp: str,
                   args: argparse.Namespace, cpu: Callable[[], float] | None,
                   ) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    """Command, batch append, read all, rebuild and the writers, ours then the library's,
    `args.rounds` times in turn (each round on new schemas): each side's best round a figure.
    (Batch append and read all take a tenth and a hundredth of a second here, the writers a few
    seconds on two cores: one round's figure is at the mercy of a moment's load on a shared
    machine; each round's line goes to stderr.) Also the writers' conflicts and commands given
    up in each side's best round, and the events they lost in all rounds."""
    from bench import postgres_library

    best: tuple[dict[str, float], dict[str, float]] = ({}, {})
    stats: dict[str, int] = {"ours_lost": 0, "eventsourcing_lost": 0}

    def keep(figures: tuple[dict[str, float], dict[str, float]]) -> None:
        for side, found in zip(best, figures, strict=True):
            for figure, value in found.items():
                side[figure] = max(side.get(figure, 0.0), value)
    for number in range(1, args.rounds + 1):
        ours_schema, their_schema = f"bench_ours_{number}_{stamp}", f"bench_es_{number}_{stamp}"
        print(f"round {number}: ours, then the library's (command, batch append, read all, "
              "rebuild)...", file=sys.stderr)
        mine = ours(schema_url(base, ours_schema), args.aggregates, args.events_per, cpu)
        admin.execute(f'CREATE SCHEMA "{their_schema}"')
        theirs = postgres_library.measure(postgres_library.environment(plain, their_schema),
                                          args.aggregates, args.events_per, cpu)
        print("  " + ", ".join(f"{figure} {mine[figure]:,.0f} vs {theirs[figure]:,.0f} "
                               f"({mine[figure] / theirs[figure]:.2f}x)"
                               for figure in FIGURES[:4]), file=sys.stderr)
        keep((mine, theirs))
    # (after the others: the server's clean-up of a writers' round would fall in the next
    # round's first figures, ours)
    for number in range(1, args.rounds + 1):
        print(f"writers, round {number}: ours, then the library's...", file=sys.stderr)
        ours_schema, their_schema = (f"bench_ours_w{number}_{stamp}",
                                     f"bench_es_w{number}_{stamp}")
        admin.execute(f'CREATE SCHEMA "{their_schema}"')
        written = {"ours": writers("ours", schema_url(base, ours_schema), args.writers,
                                   args.orders, args.commands),
                   "eventsourcing": writers(
                       "eventsourcing", postgres_library.environment(plain, their_schema),
                       args.writers, args.orders, args.commands)}
        rates = [written[name]["events_per_s"] for name in written]
        print(f"  writers {rates[0]:,.0f} vs {rates[1]:,.0f} ({rates[0] / rates[1]:.2f}x)",
              file=sys.stderr)
        for name, side in zip(written, best, strict=True):
            stats[f"{name}_lost"] += written[name]["lost"]
            if written[name]["events_per_s"] > side.get("writers", 0.0):
                stats[f"{name}_conflicts"] = written[name]["conflicts"]
                stats[f"{name}_given_up"] = written[name]["given_up"]
        keep(({"writers": rates[0]}, {"writers": rates[1]}))
    return best[0], best[1], stats


def run(base: str, args: argparse.Namespace,
        cpu: Callable[[], float] | None = None) -> dict[str, Any]:
    """Every figure; with `cpu` (this process's and a local server's CPU time), also command
    and batch append per CPU-second of both, client and server together (`cpu` in the JSON):
    ratios a busy machine disturbs far less than the wall clock's."""
    stamp = f"{os.getpid()}_{int(time.time())}"
    live_schema, takeover_schema = (f"bench_{name}_{stamp}" for name in ("live", "take"))
    plain = sa.make_url(base)
    plain = plain.set(query={k: v for k, v in plain.query.items() if k != "schema"})
    admin_url = plain.render_as_string(hide_password=False)
    results: dict[str, Any] = {}
    with psycopg.connect(admin_url, autocommit=True) as admin:
        try:
            mine, theirs, writer_stats = best_of_rounds(admin, base, plain, stamp, args, cpu)
            print("live latency...", file=sys.stderr)
            live = live_latency(schema_url(base, live_schema), args.live)
            print("runner takeover...", file=sys.stderr)
            results["takeover_s"] = takeover_seconds(schema_url(base, takeover_schema))
        finally:  # (and those made beside ours: its read models' schema)
            made = [name for (name,) in admin.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"bench\\_%{stamp}%",))]
            for schema in made:
                admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    for figure in FIGURES:
        results[figure] = {"ours": round(mine[figure]), "eventsourcing": round(theirs[figure]),
                           "ratio": round(mine[figure] / theirs[figure], 2)}
    if cpu is not None:
        results["cpu"] = {figure: {
            "ours": round(mine[f"{figure}_cpu"]), "eventsourcing": round(theirs[f"{figure}_cpu"]),
            "ratio": round(mine[f"{figure}_cpu"] / theirs[f"{figure}_cpu"], 2)}
            for figure in CPU_FIGURES}
    results["rounds"] = args.rounds
    results["writers"].update(processes=args.writers, **writer_stats)
    results.update({key: round(value, 1) for key, value in live.items()})
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py postgres", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", help="postgresql://USER@HOST:PORT/DATABASE (a role "
                        "that may create schemas); without it a throwaway server is started")
    parser.add_argument("--aggregates", type=int, default=400)
    parser.add_argument("--events-per", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of command, batch "
                        "append, read all, rebuild and writers (each side's best is kept)")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--orders", type=int, default=20, help="shared orders the writers command")
    parser.add_argument("--commands", type=int, default=150, help="commands each writer gives")
    parser.add_argument("--live", type=int, default=200, help="appends timed to the follower")
    args = parser.parse_args(argv)
    server = None
    base = args.url
    if base is None:
        from bench.postgres_server import PostgresServer

        server = PostgresServer().start()
        base = server.url()
    try:
        results = run(base, args, None if server is None else CpuClock(server))
    finally:
        if server is not None:
            server.stop()
    print(f"{'':14s}{'ours':>12s}{'library':>12s}{'ratio':>8s}   events/s (target: 2x)")
    for figure in FIGURES:
        row = results[figure]
        print(f"{figure:14s}{row['ours']:12,}{row['eventsourcing']:12,}{row['ratio']:7.2f}x")
    for figure, row in results.get("cpu", {}).items():
        print(f"{figure + ' by CPU':14s}{row['ours']:12,}{row['eventsourcing']:12,}"
              f"{row['ratio']:7.2f}x   events per CPU-second, client and server together")
    w = results["writers"]
    print(f"writers: {w['processes']} processes; conflicts retried ours {w['ours_conflicts']}, "
          f"library {w['eventsourcing_conflicts']}; lost ours {w['ours_lost']}, library "
          f"{w['eventsourcing_lost']} (target 0)")
    print(f"live: commit to follower p50 {results['live_p50_ms']} ms, p95 "
          f"{results['live_p95_ms']} ms, max {results['live_max_ms']} ms (target p95 < 100)")
    takeover = results["takeover_s"]
    silent = (f"{takeover['silent']} s" if takeover["silent"] is not None
              else f"not within {SILENT_WAIT_S} s (it keeps its locks until it wakes)")
    print(f"takeover: another runner holds the work {takeover['killed']} s after the leader is "
          f"killed; after it is stopped (SIGSTOP): {silent}")
    print(json.dumps(results))
    return 0
