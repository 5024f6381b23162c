"""`python bench/run.py store`: the store against the eventsourcing library and raw sqlite3.

The same work through each, in one run, as `../shared/tools/anchor-bench` does it:
  command       load an order, decide (add an item), append one event, commit
  batch_append  orders decided in memory, appended 100 orders (1,000 events) per transaction
  read_all      every event in global order, decoded
  rebuild       load orders by replaying their events, snapshots off
Raw sqlite3 makes each event's id and encodes its data as JSON within the time measured, as
every store must (until 2026-12 its batch's rows, ids and JSON, were made before the clock started,
and the JSON encoded once for all events: that measured its inserts alone against our whole
append). Its read_all reads five of the columns; ours returns all eleven of each event (its id,
timestamp, metadata and more), which costs sqlite3 about a quarter more CPU by itself: left so.
`ours_unchained` is ours with the hash chain's links neither computed nor written: the chain's
cost, by difference. Then, unless --no-large: seeding a store of about a million events with
`seed`, and the peak resident memory of reading all of them. Figures are events per second;
compare within one run. Each is given twice: by the wall clock (what the targets are set in) and
by this process's CPU time, whose ratios a busy machine disturbs far less (the `cpu {...}` line;
the last line stays the wall clock's).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = ["prod_101", "prod_102", "prod_103", "prod_104", "prod_105", "prod_106", "prod_107",
            "prod_108", "prod_109", "prod_110"]


class Rates:
    """Events per second of each figure by the wall clock and by this process's CPU time.

    On a shared machine the wall clock counts the time other programs had the CPU; the CPU
    time does not, so ratios of CPU rates vary far less from run to run (those of the wall
    clock are the figures the targets are set in)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._started = (0.0, 0.0)

    def start(self) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def stop(self, figure: str, events: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[figure] = events / (wall - self._started[0])
        self.cpu[figure] = events / max(cpu - self._started[1], 1e-9)


def ours(n_agg: int, ev_per: int, folder: str) -> Rates:
    from explorer.demo import DEMO_DOMAIN, Order
    from explorer.demo.system import SHOP
    from explorer.domain import CommandService, Repository
    from explorer.store import AppendRequest
    from explorer.system.workspace import open_store

    store = open_store(os.path.join(folder, "ours.evstore"), system=SHOP, create=True)
    service = CommandService(store, DEMO_DOMAIN, issued_by="bench")
    out = Rates()
    line = {"product_id": "prod_101", "quantity": 2, "price": 29.99}
    out.start()
    n = 0
    for i in range(n_agg // 4):
        order_id = f"c-{i}"
        service.execute("Order", order_id, "place",
                        {"customer_id": f"c{i}", "items": [line], "total": 59.98})
        n += 1
        for j in range(ev_per - 1):
            service.execute("Order", order_id, "add_item",
                            {"product_id": PRODUCTS[j % 10], "quantity": 2, "price": 29.99})
            n += 1
    out.stop("command", n)

    n, batch, ids = 0, [], []
    out.start()
    for i in range(n_agg):
        order = Order(f"b-{i}")
        order.place(f"c{i}", [line], 59.98)
        for j in range(ev_per - 1):
            order.add_item(PRODUCTS[j % 10], 2, 29.99)
        batch.append(AppendRequest(order.id, "Order", order.collect_pending(), 0))
        n += ev_per
        ids.append(order.id)
        if len(batch) == 100:
            store.append_batch(batch)
            batch = []
    if batch:
        store.append_batch(batch)
    out.stop("batch_append", n)

    n = 0
    out.start()
    for _event in store.read_all():
        n += 1
    out.stop("read_all", n)

    repository = Repository(store, DEMO_DOMAIN, use_snapshots=False)
    out.start()
    for order_id in ids:
        repository.load("Order", order_id)
    out.stop("rebuild", len(ids) * ev_per)
    store.close()
    return out


def ours_without_chain(n_agg: int, ev_per: int, folder: str) -> Rates:
    """`ours` with no links computed or written: what the hash chain costs, by difference."""
    from unittest import mock

    with mock.patch("explorer.store.chain.links", lambda previous, rows: ()):
        return ours(n_agg, ev_per, folder)


@functools.cache
def library_order_class() -> type:
    """The anchor's Order aggregate; defined once, as the library registers classes by name."""
    from eventsourcing.domain import Aggregate, event

    class Order(Aggregate):
        @event("Placed")
        def __init__(self, customer_id: str, total: float):
            self.customer_id, self.total, self.lines = customer_id, total, []

        @event("LineAdded")
        def add_line(self, product_id: str, quantity: int, price: float):
            self.lines.append((product_id, quantity, price))

    return Order


def eventsourcing_library(n_agg: int, ev_per: int, folder: str) -> Rates:
    from eventsourcing.application import Application

    Order = library_order_class()  # noqa: N806 - a class
    os.environ.update(PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_LOCK_TIMEOUT="10",
                      SQLITE_DBNAME=os.path.join(folder, "es.db"))
    app, ids, out = Application(), [], Rates()
    n = 0
    out.start()
    for i in range(n_agg // 4):
        order = Order(customer_id=f"c{i}", total=59.98)
        app.save(order)
        n += 1
        for j in range(ev_per - 1):
            order = app.repository.get(order.id)
            order.add_line(product_id=f"p{j}", quantity=2, price=29.99)
            app.save(order)
            n += 1
        ids.append(order.id)
    out.stop("command", n)
    n, batch = 0, []
    out.start()
    for i in range(n_agg):
        order = Order(customer_id=f"c{i}", total=59.98)
        for j in range(ev_per - 1):
            order.add_line(product_id=f"p{j}", quantity=2, price=29.99)
        batch.append(order)
        n += ev_per
        ids.append(order.id)
        if len(batch) == 100:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)
    out.stop("batch_append", n)
    n, start = 0, 1
    out.start()
    while notifications := app.recorder.select_notifications(start=start, limit=1000):
        for notification in notifications:
            app.mapper.to_domain_event(notification)
            n += 1
        start = notifications[-1].id + 1
    out.stop("read_all", n)
    out.start()
    for order_id in ids:
        app.repository.get(order_id)
    out.stop("rebuild", len(ids) * ev_per)
    return out


def raw_sqlite(n_agg: int, ev_per: int, folder: str) -> Rates:
    db = sqlite3.connect(os.path.join(folder, "raw.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE events(position INTEGER PRIMARY KEY, stream_id TEXT, version INTEGER,"
               " type TEXT, event_id TEXT UNIQUE, ts TEXT, data TEXT, UNIQUE(stream_id, version))")
    sql = "INSERT INTO events(stream_id,version,type,event_id,ts,data) VALUES (?,?,?,?,?,?)"
    data = {"product_id": "p1", "quantity": 2, "price": 29.99}
    out, n = Rates(), n_agg // 4 * ev_per
    out.start()
    for i in range(n):
        sid = f"o-{i // ev_per}"
        db.execute("BEGIN IMMEDIATE")
        stream = db.execute("SELECT data FROM events WHERE stream_id=? ORDER BY version", (sid,))
        for (row,) in stream:
            orjson.loads(row)
        db.execute(sql, (sid, i % ev_per, "LineAdded", uuid.uuid4().hex, "2018-03-19T10:15:30Z",
                         orjson.dumps(data).decode()))
        db.execute("COMMIT")
    out.stop("command", n)
    n = n_agg * ev_per
    out.start()
    for k in range(0, n, 1000):
        rows = [(f"b-{i // ev_per}", i % ev_per, "LineAdded", uuid.uuid4().hex,
                 "2018-03-19T10:15:30Z", orjson.dumps(data).decode())
                for i in range(k, min(k + 1000, n))]
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, rows)
        db.execute("COMMIT")
    out.stop("batch_append", n)
    m = 0
    out.start()
    for row in db.execute("SELECT position, stream_id, version, type, data FROM events "
                          "ORDER BY position"):
        orjson.loads(row[4])
        m += 1
    out.stop("read_all", m)
    m = 0
    out.start()
    for a in range(n_agg):
        for (row,) in db.execute("SELECT data FROM events WHERE stream_id=? ORDER BY version",
                                 (f"b-{a}",)):
            orjson.loads(row)
            m += 1
    out.stop("rebuild", m)
    return out


def large_store(orders: int, folder: str) -> dict[str, float]:
    """Seed a store with the CLI, then read all of it in a fresh process, measuring memory."""
    path = os.path.join(folder, "large.evstore")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "explorer", "seed", path, "--orders", str(orders)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    seed_s = time.perf_counter() - t
    reader = (
        "import sys, time\n"
        "from bench.memory import peak_rss_mb\n"
        "from explorer.demo.system import SHOP\n"
        "from explorer.system.workspace import open_store\n"
        "store = open_store(sys.argv[1], system=SHOP, read_only=True)\n"
        "t = time.perf_counter(); n = 0\n"
        "for e in store.read_all(): n += 1\n"
        "dt = time.perf_counter() - t\n"
        "print(n, n / dt, peak_rss_mb())\n")
    output = subprocess.run([sys.executable, "-c", reader, path], check=True, cwd=ROOT,
                            capture_output=True, text=True).stdout.split()
    return {"orders": orders, "events": int(output[0]), "seed_s": round(seed_s, 1),
            "read_all_events_per_s": round(float(output[1])),
            "read_all_peak_rss_mb": round(float(output[2]), 1)}


FIGURES = ("command", "batch_append", "read_all", "rebuild")


def print_table(results: dict[str, dict[str, float]], title: str) -> None:
    """Each runner's figures, then ours against the library's and raw sqlite3's."""
    print(title)
    print(f"{'':14s}" + "".join(f"{k:>14s}" for k in FIGURES))
    for name in ("ours", "eventsourcing", "raw_sqlite"):
        print(f"{name:14s}" + "".join(f"{results[name][k]:14,.0f}" for k in FIGURES))
    for other, factor in (("eventsourcing", 4), ("raw_sqlite", 0.5)):
        print(f"ours / {other:13s}" + "".join(
            f"{results['ours'][k] / results[other][k]:13.2f}x" for k in FIGURES)
              + f"   (target {factor}x)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py store", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aggregates", type=int, default=2000)
    parser.add_argument("--events-per", type=int, default=10)
    parser.add_argument("--large-orders", type=int, default=120_000,
                        help="orders for the large store (120,000 make about a million events)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of all three, interleaved; the best figure of each is kept, "
                             "since other load on a shared machine only ever slows a round down")
    parser.add_argument("--no-large", action="store_true", help="skip the large store")
    args = parser.parse_args(argv)
    runners = {"raw_sqlite": raw_sqlite, "eventsourcing": eventsourcing_library, "ours": ours,
               "ours_unchained": ours_without_chain}
    results: dict[str, dict[str, float]] = {name: {} for name in runners}
    cpu: dict[str, dict[str, float]] = {name: {} for name in runners}
    for round_number in range(1, args.rounds + 1):
        for name, runner in runners.items():
            with tempfile.TemporaryDirectory() as folder:
                rates = runner(args.aggregates, args.events_per, folder)
            for best, measured in ((results[name], rates.wall), (cpu[name], rates.cpu)):
                for key, value in measured.items():
                    best[key] = max(best.get(key, 0.0), value)
        print(f"round {round_number}: " + ", ".join(
            f"{name} {results[name]['command']:,.0f}/{results[name]['read_all']:,.0f}"
            for name in runners) + " (command/read_all so far)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        large = None if args.no_large else large_store(args.large_orders, folder)
    print_table(results, "events per second (wall clock)")
    print_table(cpu, "events per CPU-second (this process's CPU time: steadier on a shared "
                     "machine)")
    for clock, rates in (("wall clock", results), ("CPU time", cpu)):
        print(f"the hash chain costs ({clock}) " + ", ".join(
            f"{k} {1 - rates['ours'][k] / rates['ours_unchained'][k]:.0%}"
            for k in ("command", "batch_append"))
              + " (ours against ours without its links, same run)")
    if large:
        print(f"large store: {large['orders']:,} orders seeded into {large['events']:,} events in "
              f"{large['seed_s']} s; read all at {large['read_all_events_per_s']:,} events/s with "
              f"peak RSS {large['read_all_peak_rss_mb']} MB")
        print("large " + json.dumps(large))
    print("cpu " + json.dumps({name: {k: round(v) for k, v in cpu[name].items()}
                               for name in ("ours", "ours_unchained", "eventsourcing",
                                            "raw_sqlite")}))
    print(json.dumps({name: {k: round(v) for k, v in results[name].items()}
                      for name in ("ours", "ours_unchained", "eventsourcing", "raw_sqlite")}))
    return 0
