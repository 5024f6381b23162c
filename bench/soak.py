"""`python bench/run.py soak [STORE]`: the store, the runner and its sagas under a long, busy run,
and processes killed with SIGKILL at random moments.

Rounds (--rounds; all by default), a function each:

  contention   N writer processes (--writers, default 2) place orders, receive stock and
               cancel orders on a few shared products for --seconds (default 600), beside
               `run` and the window's runner (`run --serve`) at once (--runners); then the
               sagas are left to finish, what was written is audited and the store checked.
  seed, append, rebuild, sagas
               the kill rounds (bench/kill_rounds.py): --kills (default 20) SIGKILLs each,
               during `seed`, writers appending, `project --rebuild` and `run` beside writers;
               after each, `check`, the read models against a clean rebuild, the audit below.
               Their random moments come from --kill-seed (printed), to replay them.

It prints what it counted and, last, one JSON line with at least:
  commands        commands the writers reported as written
  lost            of those, commands whose events are not in the store
  duplicates      stream versions stored twice, payments charged twice, stock reserved twice
                  for one order, sagas started twice
  kills           processes killed with SIGKILL on purpose (by the kill rounds)
  check_failures  `check` runs on the store that found problems
  runner_exits    times a runner exited by itself (it is restarted, and counted)
and more: unfinished_sagas, stray_charges (charges no saga step asked for), writer_exits,
writer_retries (conflicts and locks the writers met and retried), gaps (positions missing),
read_model_differences (kills after which the read models differed from a clean rebuild),
missed_kills, kill_seed, and each round's own counts under "rounds".

STORE (default: a new file in a temporary folder) is the contention round's; it is seeded with a
few orders if it does not exist. Each writer is this module run with --writer (see
`writer_main`). The logs and temporary stores are kept when something went wrong.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOT_PRODUCTS = ("prod_101", "prod_102", "prod_103", "prod_104")
FINISHED = frozenset({"completed", "compensated", "failed"})
SAGAS_FINISH_S = 300.0  # after the writers stop, how long the sagas may take to finish (or
# three times as long as the writers wrote)


# -- the writers ---------------------------------------------------------------------------


def writer_main(argv: list[str]) -> int:
    """A writer process: commands on shared streams until --commands are written or --seconds
    pass (or SIGTERM). Each written command is a JSON line in LOG as soon as it is stored:
    {"command_id", "stream_id", "command", "events": [event ids]}; the last line is a summary
    {"summary": {"written", "refused", "conflicts"}}. Conflicts and locks are retried (and
    counted, with those the command service retried itself)."""
    from explorer.demo import DEMO_DOMAIN
    from explorer.demo.catalogue import PRODUCTS
    from explorer.demo.system import SHOP
    from explorer.domain import CommandService, DomainError
    from explorer.sagas.backoff import TRANSIENT_ERRORS, Backoff, Stopped
    from explorer.store.ids import uuid7
    from explorer.system.workspace import open_store

    parser = argparse.ArgumentParser(prog="bench/soak.py --writer")
    parser.add_argument("store")
    parser.add_argument("name")
    parser.add_argument("log", type=Path)
    parser.add_argument("--commands", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="commands a second at most (0: as fast as it can)")
    parser.add_argument("--products", default=",".join(HOT_PRODUCTS),
                        help="the products its orders and deliveries are for")
    parser.add_argument("--mix", default="45,40,15,0",
                        help="percentages of orders placed, deliveries, cancellations and items "
                             "added to the shared orders")
    parser.add_argument("--shared-orders", type=int, default=0,
                        help="orders every writer adds items to (order_shared_1, ...), placed by "
                             "whichever writer comes first")
    args = parser.parse_args(argv)
    products = args.products.split(",")
    shares = [float(share) / 100 for share in args.mix.split(",")]
    place_share, delivery_share, cancel_share = shares[:3]
    shared = [f"order_shared_{n}" for n in range(1, args.shared_orders + 1)]
    shared_placed: set[str] = set()  # by this writer or, as a refusal told it, another
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    rng = random.Random(f"{args.name}/{args.seed}")
    began = time.monotonic()
    deadline = began + args.seconds if args.seconds else None
    written = refused = conflicts = 0
    placed: list[str] = []
    with open_store(args.store, system=SHOP) as store, args.log.open("w") as log:
        service = CommandService(store, DEMO_DOMAIN, issued_by=f"soak:{args.name}")
        number = 0
        while not stopping.is_set():
            if args.commands is not None and written + refused >= args.commands:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if args.rate and stopping.wait(max(0.0, began + number / args.rate
                                               - time.monotonic())):
                break
            number += 1
            roll = rng.random()
            if shared and roll >= place_share + delivery_share + cancel_share:
                stream_type, stream_id = "Order", rng.choice(shared)
                if stream_id in shared_placed:
                    product = rng.choice(products)
                    command, data = "add_item", {"product_id": product, "quantity": 1,
                                                 "price": PRODUCTS[product].price}
                else:
                    command, data = "place", order_data(rng, products, args.name, most=1)
            elif roll < place_share or not placed:
                stream_type, command = "Order", "place"
                stream_id = f"order_{args.name}_{args.seed}_{number}"
                data = order_data(rng, products, args.name)
            elif roll < place_share + delivery_share:
                stream_type, command = "Inventory", "receive_stock"
                stream_id = rng.choice(products)
                data = {"quantity": rng.randint(1, 3)}
            else:
                stream_type, command = "Order", "cancel"
                stream_id = rng.choice(placed[-20:])
                data = {"reason": "changed my mind"}
            command_id = uuid7()  # kept for retries: a retry that finds it stored is a no-op
            backoff = Backoff(stopping.is_set, most_s=0.2)
            while True:
                try:
                    result = service.execute(stream_type, stream_id, command, data,
                                             command_id=command_id)
                except DomainError:
                    refused += 1
                    if stream_id in shared:  # placed by another writer first
                        shared_placed.add(stream_id)
                    break
                except TRANSIENT_ERRORS:
                    conflicts += 1
                    try:
                        backoff.wait()
                    except Stopped:  # SIGTERM while waiting: this command was not written
                        break
                    continue
                written += 1
                conflicts += result.attempts - 1  # retried by the command service itself
                if stream_id in shared:
                    shared_placed.add(stream_id)
                elif command == "place":
                    placed.append(stream_id)
                log.write(json.dumps({"command_id": command_id, "stream_id": stream_id,
                                      "command": command,
                                      "events": [e.event_id for e in result.events]}) + "\n")
                log.flush()
                break
        log.write(json.dumps({"summary": {"written": written, "refused": refused,
                                          "conflicts": conflicts}}) + "\n")
    return 0


def order_data(rng: random.Random, products: list[str], customer: str, most: int = 2) -> dict:
    """A `place` command's data: one or two lines (at most `most`) of the given products."""
    from explorer.demo.catalogue import PRODUCTS

    chosen = rng.sample(products, rng.randint(1, min(most, len(products))))
    lines = [{"product_id": p, "quantity": rng.randint(1, 2), "price": PRODUCTS[p].price}
             for p in chosen]
    return {"customer_id": f"cust_{customer}", "items": lines,
            "total": round(sum(x["price"] * x["quantity"] for x in lines), 2)}


@dataclass
class Written:
    """What the writers reported: every command written, and their own counts."""

    commands: list[dict] = field(default_factory=list)
    refused: int = 0
    conflicts: int = 0
    unfinished_logs: int = 0  # writers that ended without their summary line

    @property
    def order_ids(self) -> list[str]:
        return [c["stream_id"] for c in self.commands if c["command"] == "place"]


def start_writer(store: Path, name: str, log: Path, *, commands: int | None = None,
                 seconds: float | None = None, seed: int = 0, rate: float = 0.0,
                 products: tuple[str, ...] = HOT_PRODUCTS,
                 mix: tuple[int, ...] = (45, 40, 15), shared_orders: int = 0,
                 ) -> subprocess.Popen:
    """A writer process (see `writer_main`); `mix`: percentages of orders placed, deliveries,
    cancellations and (with `shared_orders`) items added to the orders all writers share.
    Without `commands` or `seconds` it writes until SIGTERM."""
    args = [sys.executable, "-m", "bench.soak", "--writer", str(store), name, str(log),
            "--seed", str(seed), "--rate", str(rate), "--products", ",".join(products),
            "--mix", ",".join(map(str, mix)), "--shared-orders", str(shared_orders)]
    args += ["--commands", str(commands)] if commands is not None else []
    args += ["--seconds", str(seconds)] if seconds is not None else []
    with log.with_suffix(".err").open("w") as err:
        return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


def read_written(logs: list[Path]) -> Written:
    written = Written()
    for log in logs:
        summary = None
        for line in log.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line cut short by a kill: that command was not reported
                continue
            if "summary" in record:
                summary = record["summary"]
            else:
                written.commands.append(record)
        if summary is None:
            written.unfinished_logs += 1
        else:
            written.refused += summary["refused"]
            written.conflicts += summary["conflicts"]
    return written


# -- the runner ----------------------------------------------------------------------------


class RunnerWatch:
    """A runner in a process of its own, restarted (and counted) whenever it exits by itself:
    `run STORE`, or with `serve` the window's runner (`run STORE --serve`, fed by a pipe as the
    window does). `kill()` crashes it on purpose and starts it again; `stop()` ends it as its
    user would: Ctrl+C, or the end of its input."""

    def __init__(self, store: Path, folder: Path, *, serve: bool = False) -> None:
        self.store = store
        self.folder = folder
        self.serve = serve
        self.name = "serve" if serve else "run"
        self.exits: list[int] = []
        self.kills = 0
        self.logs: list[Path] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # the watch thread and kill() both replace the process
        self.process = self._start()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _start(self) -> subprocess.Popen:
        log = self.folder / f"{self.name}{len(self.logs)}"
        self.logs.append(log.with_suffix(".out"))
        with log.with_suffix(".out").open("w") as out, log.with_suffix(".err").open("w") as err:
            return subprocess.Popen(
                [sys.executable, "-m", "explorer", "run", str(self.store), "--failure-rate", "0",
                 "--status-every", "5", *(["--serve"] if self.serve else [])], cwd=ROOT,
                stdin=subprocess.PIPE if self.serve else subprocess.DEVNULL, stdout=out,
                stderr=err)

    def _watch(self) -> None:
        while not self._stopping.wait(0.2):
            with self._lock:
                code = self.process.poll()
                if code is not None and not self._stopping.is_set():
                    self.exits.append(code)
                    print(f"`{self.name}` exited by itself (status {code}); see "
                          f"{self.logs[-1].with_suffix('.err')}", file=sys.stderr)
                    self.process = self._start()

    def kill(self) -> bool:
        """SIGKILL the runner, as a crash would, and start it again; whether the kill found it
        running (one that had just exited by itself is counted as an exit instead)."""
        with self._lock:
            code = self.process.poll()
            if code is None:
                self.process.kill()
                code = self.process.wait()
            if code == -signal.SIGKILL:
                self.kills += 1
            else:
                self.exits.append(code)
            self.process = self._start()
            return code == -signal.SIGKILL

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Wait until the runner has opened the store and begun (it says so). One that exits
        meanwhile is restarted, and counted, like any other exit."""
        sign = '"ready"' if self.serve else "Running the projections"
        deadline = time.monotonic() + timeout_s
        while True:
            out = self.logs[-1]
            if sign in (out if self.serve else out.with_suffix(".err")).read_text():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"`{self.name}` did not start: "
                                   f"{out.with_suffix('.err').read_text()[-2000:]}")
            time.sleep(0.05)

    def saga_retries(self) -> int | None:
        """Conflicts the window's runner's sagas retried, as its last status said."""
        last = None
        for line in self.logs[-1].read_text().splitlines() if self.serve else ():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "status" in message:
                last = message["status"]
        return sum(s.get("retries", 0) for s in last["sagas"]) if last else None

    def alive(self) -> bool:
        """Running, and never exited by itself."""
        return not self.exits and self.process.poll() is None

    def failed_messages(self) -> list[str]:
        """What the window's runner reported as failed (transient trouble it retried)."""
        messages = []
        for log in self.logs if self.serve else ():
            for line in log.read_text().splitlines():
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if "failed" in message:
                    messages.append(message["failed"])
        return messages

    def stop(self) -> int:
        self._stopping.set()
        self._thread.join()
        if self.serve:
            self.process.stdin.close()
        else:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


# -- checking ------------------------------------------------------------------------------


def unfinished_sagas(store_path: Path, order_ids: list[str], timeout_s: float) -> list[str]:
    """Wait until the saga of every order has finished (completed, compensated or failed, and
    no step still pending); the saga ids still unfinished when `timeout_s` ran out."""
    from explorer.demo import DEMO_DOMAIN
    from explorer.demo.fulfilment import SAGA_PREFIX
    from explorer.demo.system import SHOP
    from explorer.domain import Repository
    from explorer.sagas.steps import step_views
    from explorer.system.workspace import open_store

    waiting = {SAGA_PREFIX + order_id for order_id in order_ids}
    deadline = time.monotonic() + timeout_s
    with open_store(store_path, system=SHOP, read_only=True) as store:
        repository = Repository(store, DEMO_DOMAIN)
        while True:
            for saga_id in sorted(waiting):
                saga = repository.load("OrderFulfilment", saga_id).aggregate
                if saga.exists and saga.status in FINISHED and all(
                        view.status != "pending" for view in step_views(store, saga)):
                    waiting.discard(saga_id)
            if not waiting or time.monotonic() >= deadline:
                return sorted(waiting)
            time.sleep(0.2)


def audit(store_path: Path, written: Written, after_position: int = 0) -> dict[str, int]:
    """What went wrong, counted: commands lost, things done twice, positions missing, charges
    no saga asked for (among events after `after_position`)."""
    from explorer.demo import DEMO_DOMAIN
    from explorer.demo.fulfilment import SAGA_PREFIX
    from explorer.demo.system import SHOP
    from explorer.domain import Repository
    from explorer.store.errors import EventNotFoundError
    from explorer.system.workspace import open_store

    with open_store(store_path, system=SHOP, read_only=True) as store:
        lost = 0
        for command in written.commands:
            try:
                for event_id in command["events"]:
                    store.event_by_id(event_id)
            except EventNotFoundError:
                lost += 1
        versions: Counter = Counter()
        charged: Counter = Counter()
        reserved: Counter = Counter()
        started: Counter = Counter()
        charges = []
        gaps = 0
        previous = 0
        for event in store.read_all():
            gaps += event.position - previous - 1
            previous = event.position
            versions[(event.stream_id, event.version)] += 1
            if event.event_type == "PaymentCharged":
                charged[event.stream_id] += 1
                if event.position > after_position:
                    charges.append(event)
            elif event.event_type == "InventoryReserved":
                reserved[(event.stream_id, event.data.get("order_id"))] += 1
            elif event.event_type == "FulfilmentStarted":
                started[event.stream_id] += 1
        repository = Repository(store, DEMO_DOMAIN)
        stray = 0
        for charge in charges:  # each charge is its order's saga's charge step, run once
            saga = repository.load("OrderFulfilment",
                                   SAGA_PREFIX + charge.data["order_id"]).aggregate
            step = saga.steps.get("charge payment")
            if step is None or step["command_id"] != charge.metadata.get("command_id"):
                stray += 1
    extra = sum(n - 1 for counts in (versions, charged, reserved, started)
                for n in counts.values() if n > 1)
    return {"lost": lost, "duplicates": extra, "gaps": gaps,
            "double_charges": sum(n - 1 for n in charged.values() if n > 1),
            "stray_charges": stray, "charges": len(charges)}


def check_failures(store_path: Path) -> int:
    """1 if `check` finds a problem in the store (or cannot run), else 0."""
    result = subprocess.run([sys.executable, "-m", "explorer", "check", str(store_path)],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"check failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}", file=sys.stderr)
    return int(result.returncode != 0)


# -- rounds --------------------------------------------------------------------------------


def contention_round(store: Path, folder: Path, *, writers: int, seconds: float,
                     rate: float, runners: tuple[str, ...] = ("run", "serve"),
                     products: tuple[str, ...] = HOT_PRODUCTS) -> dict:
    """Writers beside the runners (`run`, the window's `serve`, or both, which then also race
    each other) for `seconds`; then the sagas finish and the store is checked."""
    from explorer.demo.system import SHOP
    from explorer.system.workspace import open_store

    with open_store(store, system=SHOP, read_only=True) as opened:
        start_position = opened.last_position()
    watches = [RunnerWatch(store, folder, serve=name == "serve") for name in runners]
    for watch in watches:
        watch.wait_ready()
    logs = [folder / f"writer{n}.jsonl" for n in range(writers)]
    processes = [start_writer(store, f"w{n}", log, seconds=seconds, seed=n, rate=rate,
                              products=products)
                 for n, log in enumerate(logs)]
    writer_codes = [p.wait() for p in processes]
    written = read_written(logs)
    print(f"writers: {len(written.commands):,} commands written, {written.refused:,} refused "
          f"by the domain, {written.conflicts:,} conflicts or locks retried; exit status "
          f"{writer_codes}")
    orders = written.order_ids
    print(f"waiting for the sagas of {len(orders):,} orders to finish...", file=sys.stderr)
    started = time.monotonic()
    unfinished = unfinished_sagas(store, orders, max(SAGAS_FINISH_S, 3 * seconds))
    print(f"sagas: {len(orders) - len(unfinished):,} of {len(orders):,} finished "
          f"{time.monotonic() - started:.1f} s after the writers stopped"
          + (f"; unfinished: {', '.join(unfinished[:5])}" if unfinished else ""))
    for watch in watches:
        alive = watch.alive()
        code = watch.stop()
        retried = watch.failed_messages()
        saga_retries = watch.saga_retries()
        print(f"runner `{watch.name}`: {'alive' if alive else 'HAD EXITED'} at the end, exits "
              f"by itself {len(watch.exits)}, stopped with status {code}"
              + (f"; its sagas retried {saga_retries:,} conflicts"
                 if saga_retries is not None else "")
              + (f"; reported {len(retried)} failures, e.g. {retried[0]!r}" if retried else ""))
    found = audit(store, written, start_position)
    failures = check_failures(store)
    print(f"audit: {found['lost']} lost, {found['duplicates']} duplicates "
          f"({found['double_charges']} double charges), {found['stray_charges']} charges no saga "
          f"step asked for, of {found['charges']:,} charges; check: "
          f"{'PROBLEMS' if failures else 'ok'}")
    return {"commands": len(written.commands), "lost": found["lost"],
            "duplicates": found["duplicates"], "kills": 0, "check_failures": failures,
            "runner_exits": sum(len(watch.exits) for watch in watches),
            "unfinished_sagas": len(unfinished), "stray_charges": found["stray_charges"],
            "writer_exits": sum(1 for code in writer_codes if code != 0)
            + written.unfinished_logs, "writer_retries": written.conflicts}


PROBLEMS = ("lost", "duplicates", "check_failures", "runner_exits", "unfinished_sagas",
            "stray_charges", "writer_exits", "gaps", "read_model_differences")
ROUNDS = ("contention", "seed", "append", "rebuild", "sagas")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--writer"]:
        return writer_main(argv[1:])
    parser = argparse.ArgumentParser(prog="bench/run.py soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path, nargs="?", help="the contention round's store")
    parser.add_argument("--rounds", default=",".join(ROUNDS),
                        help="which rounds to run (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=600.0, help="how long writers write")
    parser.add_argument("--writers", type=int, default=2, help="writer processes (default 2)")
    parser.add_argument("--rate", type=float, default=40.0,
                        help="commands a second each writer sends at most (default 40, a "
                             "little under what two runners keep up with on two cores; 0: as "
                             "fast as they can, and the sagas finish long after)")
    parser.add_argument("--products", default=",".join(HOT_PRODUCTS),
                        help="the products every order and delivery is for (fewer: more "
                             "conflicts; default %(default)s)")
    parser.add_argument("--runners", default="run,serve",
                        help="which runners run beside them: run, serve or run,serve (default)")
    parser.add_argument("--orders", type=int, default=200,
                        help="orders to seed when STORE does not exist")
    parser.add_argument("--kills", type=int, default=20,
                        help="SIGKILLs in each kill round (default %(default)s)")
    parser.add_argument("--kill-seed", type=int, default=None,
                        help="the kill rounds' random seed, to replay their moments (default: a "
                             "new one, printed)")
    parser.add_argument("--kill-orders", type=int, default=6000,
                        help="orders in the stores `seed` and `project --rebuild` are killed "
                             "on (default %(default)s)")
    args = parser.parse_args(argv)
    rounds = [name.strip() for name in args.rounds.split(",") if name.strip()]
    if not rounds or set(rounds) - set(ROUNDS):
        parser.error(f"--rounds takes some of {', '.join(ROUNDS)}")
    runners = tuple(name.strip() for name in args.runners.split(",") if name.strip())
    if not runners or set(runners) - {"run", "serve"}:
        parser.error("--runners takes run, serve or run,serve")
    kill_seed = args.kill_seed if args.kill_seed is not None else random.randrange(10**6)
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    results: dict[str, dict] = {}
    if "contention" in rounds:
        store = args.store or folder / "soak.evstore"
        if not store.exists():
            subprocess.run([sys.executable, "-m", "explorer", "seed", str(store), "--orders",
                            str(args.orders)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(f"soak: {args.writers} writers ({args.rate or 'unlimited'} commands/s each) beside "
              f"{' and '.join(runners)} on {store} for {args.seconds:.0f} s", file=sys.stderr)
        results["contention"] = contention_round(
            store, folder, writers=args.writers, seconds=args.seconds, rate=args.rate,
            runners=runners, products=tuple(args.products.split(",")))
    for name in (name for name in rounds if name != "contention"):
        results[name] = _kill_round(name, folder / name, kills=args.kills, seed=kill_seed,
                                    orders=args.kill_orders)
    totals = _totals(results)
    if any(totals.get(key) for key in PROBLEMS) or totals["problems"]:
        print(f"logs and stores kept in {folder}", file=sys.stderr)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    totals.pop("problems")
    print(json.dumps({**totals, "kill_seed": kill_seed,
                      "rounds": {name: {k: v for k, v in result.items() if k != "problems"}
                                 for name, result in results.items()}}))
    return 0


def _kill_round(name: str, folder: Path, *, kills: int, seed: int, orders: int) -> dict:
    from bench import kill_rounds

    folder.mkdir()
    print(f"kill round `{name}`: {kills} kills, seed {seed}...", file=sys.stderr)
    began = time.monotonic()
    sized = {"orders": orders} if name in ("seed", "rebuild") else {}
    result = kill_rounds.KILL_ROUND_FUNCTIONS[name](folder, kills=kills, seed=seed, **sized)
    print(f"kill round `{name}` ({time.monotonic() - began:.0f} s): {result['kills']} kills "
          f"({result['missed_kills']} came too late), {result['check_failures']} check failures"
          + "".join(f", {result[key]} {key.replace('_', ' ')}" for key in PROBLEMS
                    if key != "check_failures" and result.get(key))
          + (f", {result['commands']:,} commands" if result["commands"] else ""))
    for problem in result["problems"]:
        print(f"  {problem}", file=sys.stderr)
    return result


def _totals(results: dict[str, dict]) -> dict:
    """The rounds' counts added up (their problems listed together)."""
    totals: dict = {"commands": 0, "lost": 0, "duplicates": 0, "kills": 0, "check_failures": 0,
                    "runner_exits": 0, "problems": []}
    for result in results.values():
        for key, value in result.items():
            if key == "problems":
                totals["problems"] += value
            elif isinstance(value, int | float):
                totals[key] = totals.get(key, 0) + value
    return totals


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
