"""`python bench/run.py foreign [STORE]`: the explorer on a million events of the `eventsourcing`
library's own SQLite store.

The store is written with the library's own application code (10,000 accounts, each opened then
credited 99 times, saved a thousand accounts a transaction), once, in the user's cache folder
(reused when present; STORE names another path). Measured: process start to the first page of
events painted in the window (read-only, through the library reader; also the CPU time the
process took until then, steadier than wall time on a shared machine), jumping to the last event,
the stream and event types listed (derived from the whole log after the first page, on a worker:
the longest stall of the GUI thread from the first page to then is said), and reading the whole
log through the store interface (events per second); then exporting the whole log and importing
it into a new store of ours (bench/inout_bench.py, in a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inout_bench import IMPORT_TARGET, exchange_figures  # noqa: E402

ACCOUNTS = 10_000
EVENTS_PER_ACCOUNT = 100
BATCH = 1_000
TARGETS = {"first_page_s": 1.5, "jump_to_end_ms": 100}


def default_store() -> Path:
    return Path(platformdirs.user_cache_dir("event-explorer")) / "bench" / "eventsourcing-1m.db"


def write_store(path: Path) -> None:
    """A million events written by an `eventsourcing` application (the library's own code)."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Account(Aggregate):
        @event("Opened")
        def __init__(self, owner: str) -> None:
            self.owner = owner
            self.balance = Decimal("0.00")

        @event("Credited")
        def credit(self, amount: Decimal) -> None:
            self.balance += amount

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    os.environ.update(PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=str(partial))
    app = Application()
    started = time.perf_counter()
    for first in range(0, ACCOUNTS, BATCH):
        accounts = [Account(f"owner{n}") for n in range(first, first + BATCH)]
        for account in accounts:
            for credit in range(EVENTS_PER_ACCOUNT - 1):
                account.credit(Decimal(credit) / 100)
        app.save(*accounts)
        print(f"  {first + BATCH:,} accounts written", file=sys.stderr, end="\r")
    app.close()
    partial.rename(path)
    print(f"wrote {ACCOUNTS * EVENTS_PER_ACCOUNT:,} events in "
          f"{time.perf_counter() - started:.1f} s to {path}", file=sys.stderr)


def drive_window(store: str) -> None:
    """In the child process: open STORE in the window as the app's `main` does (the demo
    system at hand, what the process holds frozen once the store is shown); print first page
    and jump as JSON."""
    from PySide6.QtCore import QTimer

    from bench.window_driver import Heartbeat, PaintWatch
    from explorer.ui.app import create_application, demo_system, settle_garbage_on_open
    from explorer.ui.main_window import MainWindow

    app = create_application()
    window = MainWindow(demo_system())
    settle_garbage_on_open(app, window)
    window.resize(1400, 900)
    heartbeat = Heartbeat()
    paints = PaintWatch(window)
    results: dict[str, float] = {}
    marks: dict[str, Any] = {}
    model = window.event_model

    def loaded(row: int, mark: str):
        """Whether `row` is read, asked as the list paints: when it first is, that paint's
        time is noted as `mark` (what runs on the event loop after the paint is not counted)."""
        def painted() -> bool:
            if not (0 <= row < model.rowCount() and model.event_at(row) is not None):
                return False
            marks.setdefault(mark, (time.time(), time.perf_counter(), time.process_time()))
            return True
        return painted

    def first_page_shown() -> None:
        results["first_page_wall"], _, results["first_page_cpu_s"] = marks["first"]
        heartbeat.reset()
        marks["jump"] = time.perf_counter()
        window.browser.select_last()
        paints.expect(loaded(model.rowCount() - 1, "end"), jumped)

    def jumped() -> None:
        results["jump_to_end_ms"] = (marks["end"][1] - marks["jump"]) * 1000
        results["rows"] = model.rowCount()
        results["jump_max_stall_ms"] = heartbeat.max_gap * 1000
        streams_listed()

    def streams_listed() -> None:  # the stream index, built after the first page
        summary = window.summary
        if summary is None or summary.streams_pending or summary.types_pending:
            QTimer.singleShot(10, streams_listed)
            return
        results["streams_listed_wall"] = time.time()
        results["max_stall_ms"] = heartbeat.max_gap * 1000
        print(json.dumps(results), flush=True)
        window.close()
        app.quit()

    window.store_opened.connect(lambda _: paints.expect(loaded(0, "first"), first_page_shown))
    window.show()
    window.open_store(store, read_only=True)
    QTimer.singleShot(120_000, lambda: (print(json.dumps({"error": "timed out"})), app.exit(1)))
    app.exec()


def window_figures(path: Path) -> dict[str, float]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.time()
    result = subprocess.run([sys.executable, __file__, "--drive", str(path)], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines or "error" in json.loads(lines[-1]):
        raise SystemExit(f"the window driver failed:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(lines[-1])
    figures["first_page_s"] = figures.pop("first_page_wall") - started
    figures["streams_listed_s"] = figures.pop("streams_listed_wall") - started
    return figures


def read_all_rate(path: Path) -> float:
    from explorer.store.event_store import EventStore

    with EventStore.open(path, read_only=True) as store:
        started = time.perf_counter()
        count = sum(1 for _ in store.read_all())
        return count / (time.perf_counter() - started)


EXCHANGE_KEYS = ("export_events_per_s", "import_events_per_s", "import_events_per_cpu_s")
"""The export and import figures (bench/inout_bench.py) this bench reports on the same store."""


def exchange_only(path: Path) -> int:
    """Export the store at `path` and import it back (bench/inout_bench.py); print the
    figures, the last line as JSON."""
    with tempfile.TemporaryDirectory(prefix="foreign-bench-") as folder:
        exchanged = exchange_figures(path, Path(folder))
    for key in EXCHANGE_KEYS:
        print(f"{key:24s} {exchanged[key]:10,.0f}")
    verdict = "ok" if exchanged["import_events_per_s"] >= IMPORT_TARGET else "MISSED"
    print(f"import target {IMPORT_TARGET:,} events/s: {verdict} (load {os.getloadavg()[0]:.1f})")
    print(json.dumps({key: round(exchanged[key], 3) for key in EXCHANGE_KEYS}))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py foreign", description=__doc__)
    parser.add_argument("store", type=Path, nargs="?", default=None)
    parser.add_argument("--rounds", type=int, default=3, help="window runs; the best is kept")
    parser.add_argument("--exchange-only", action="store_true",
                        help="only export the store and import it back (no window, no read)")
    args = parser.parse_args(argv)
    path = args.store or default_store()
    if not path.exists():
        write_store(path)
    if args.exchange_only:
        return exchange_only(path)
    best: dict[str, float] = {}
    for round_number in range(1, args.rounds + 1):
        figures = window_figures(path)
        print(f"round {round_number}: first page {figures['first_page_s']:.2f} s "
              f"({figures['first_page_cpu_s']:.2f} CPU-s), jump "
              f"{figures['jump_to_end_ms']:.1f} ms, streams and types listed "
              f"{figures['streams_listed_s']:.2f} s, longest stall since the first page "
              f"{figures['max_stall_ms']:.0f} ms", file=sys.stderr)
        for key in (*TARGETS, "first_page_cpu_s"):
            best[key] = min(best.get(key, figures[key]), figures[key])
        best["rows"] = figures["rows"]
    best["read_all_events_per_s"] = read_all_rate(path)
    with tempfile.TemporaryDirectory(prefix="foreign-bench-") as folder:
        exchanged = exchange_figures(path, Path(folder))
    best.update({key: exchanged[key] for key in EXCHANGE_KEYS})
    print(f"store: {path} ({best['rows']:,.0f} events, the eventsourcing library's format)")
    for key, target in TARGETS.items():
        unit = key.rsplit("_", 1)[-1]
        verdict = "ok" if best[key] <= target else "MISSED"
        print(f"{key:16s} {best[key]:10.2f} {unit:3s} target {target:>6} {unit}  {verdict}")
    print(f"read_all         {best['read_all_events_per_s']:10,.0f} events/s")
    for key in EXCHANGE_KEYS:
        print(f"{key.removesuffix('_per_s').removesuffix('_per_cpu_s'):16s} "
              f"{best[key]:10,.0f} events/{'CPU-s' if 'cpu' in key else 's'}")
    keys = [*TARGETS, "first_page_cpu_s", "read_all_events_per_s", *EXCHANGE_KEYS]
    print(json.dumps({key: round(best[key], 3) for key in keys}))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--drive"]:
        drive_window(sys.argv[2])
    else:
        sys.exit(main(sys.argv[1:]))
