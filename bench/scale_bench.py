"""`python bench/run.py scale [--sizes 100k,1m,10m]`: do the window's costs grow with the log?

Seeds (or reuses) demo stores of about 100,000, 1,000,000 and 10,000,000 events in
~/.cache/event-explorer/bench/ (`scale-100k.evstore`, ...), with the demo's own seeder in this
process, as the command line's `seed` runs it (the collector paused, every aggregate in play
in memory, 20,000 events a transaction): 10,099,038 events took 17 minutes on this 2-core
machine under a load of 6-11 (~10,000 events/s of wall time, ~15,000 of CPU), before the seed
bounded its memory (it now asks the store about new streams: about a fifth more CPU). It prints
progress, writes `NAME.part` and renames it once whole, so a stopped seed is never taken for a
store. For each size it measures, reusing the window's and the time travel's
drivers: open to first page, jump to end, filter by type (during the start-up work and once
it is done), content filter, timeline ready, scrub p95 (wall and CPU time), peak RSS
(bench/window_driver.py, bench/timetravel_driver.py); the store's bytes per event; the
order_summary rebuild rate; the search p50/p95 over 50 terms drawn from the data, on the
store's full-text index (shared: built only if missing, never deleted) and typed into the
window (its newest matches painted, its whole list), and that index's build rate from zero in
a private file. Beside each of the window's figures, its CPU time. A table, then one JSON
line with one value per size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import timetravel_bench, window_bench  # noqa: E402

CACHE = Path.home() / ".cache" / "event-explorer" / "bench"
SIZES = {"100k": 7_500, "1m": 75_000, "10m": 750_000}
"""Orders seeded for each size (the demo with its sagas makes about 13.4 events an order)."""


def store_path(name: str) -> Path:
    return CACHE / f"scale-{name}.evstore"


def ensure_store(name: str) -> Path:
    """The store of about SIZES[name] events, seeded first if it is not there yet."""
    path = store_path(name)
    if path.exists():
        return path
    from explorer.common.bulk import collector_pauses_allowed
    from explorer.demo.system import SHOP
    from explorer.system.workspace import seed_new_store

    orders = SIZES[name]
    part = path.with_name(path.name + ".part")
    if part.exists() and time.time() - part.stat().st_mtime < 120:
        raise SystemExit(f"{part} is being seeded by another run (written in the last two "
                         "minutes): wait for it to finish, or stop it and delete that file.")
    for leftover in part.parent.glob(part.name + "*"):  # a seed stopped halfway: start again
        leftover.unlink()
    part.parent.mkdir(parents=True, exist_ok=True)
    print(f"seeding {path} with {orders:,} orders (about {orders * 13.4:,.0f} events); "
          "10M takes about 17 minutes, and is kept for the next run", flush=True)
    started = time.monotonic()

    def progress(done: int) -> None:
        if done % 20_000 == 0:
            rate = done / max(time.monotonic() - started, 1e-9)
            print(f"  {done:,} / {orders:,} orders ({rate:,.0f} orders/s)", flush=True)

    with collector_pauses_allowed():  # a headless process, as the command line's seed is
        seeded = seed_new_store(part, SHOP, size=orders, recent=False, progress=progress)
    part.rename(path)
    print(f"  {seeded.last_position:,} events in {time.monotonic() - started:,.0f} s", flush=True)
    return path


CONTENT_FILTER = 'data.total > 900 and data.currency = "EUR"'
SCRUB_POSITIONS = 60
SEARCH_TERMS = 50
KEYS = ("first_page_s", "first_page_cpu_s", "jump_to_end_ms", "jump_to_end_cpu_ms",
        "filter_type_ms", "filter_type_cpu_ms", "filter_type_settled_ms",
        "filter_type_settled_cpu_ms", "search_p50_ms", "search_p95_ms",
        "search_cpu_p95_ms", "search_window_p50_ms", "search_window_p95_ms",
        "search_whole_list_p95_ms", "content_first_match_ms", "content_first_match_cpu_ms",
        "content_scan_events_per_s",
        "timeline_ready_s", "timeline_ready_cpu_s", "scrub_p95_ms", "scrub_cpu_p95_ms",
        "peak_rss_mb", "bytes_per_event", "index_bytes_per_event", "rebuild_events_per_s",
        "timeline_count_events_per_s", "index_events_per_s")


def read_models_ready(path: Path) -> float:
    """The window's read models (a read-only store's, in the cache folder) caught up, the
    timeline's counts among them: the seconds it took (from zero on a first run)."""
    return timetravel_bench.prepare(path, rebuild=False)


def timeline_ready(path: Path) -> tuple[float, float]:
    """Seconds from starting the window on the store to its timeline drawn from the whole
    log's counts (a child process: see `drive_timeline`), wall and the child's CPU time."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.time()
    result = subprocess.run([sys.executable, __file__, "--drive-timeline", str(path)],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines or "error" in json.loads(lines[-1]):
        raise SystemExit(f"the timeline driver failed:\n{result.stdout}\n{result.stderr}")
    ready = json.loads(lines[-1])
    return float(ready["ready_wall"]) - started, float(ready["ready_cpu"])


def drive_timeline(store: str) -> None:
    from PySide6.QtCore import QTimer

    from explorer.ui.app import create_application
    from explorer.ui.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.resize(1400, 900)

    def samples_ready(samples) -> None:
        if not samples.counting and samples.last_position >= window.travel.last_position > 0:
            print(json.dumps({"ready_wall": time.time(), "ready_cpu": time.process_time(),
                              "weight": samples.weight,
                              "buckets": len(samples.positions)}), flush=True)
            window.close()
            app.quit()

    window.travel.samples_ready.connect(samples_ready)
    window.show()
    window.open_store(store, read_only=True)
    QTimer.singleShot(300_000, lambda: (print(json.dumps({"error": "timed out"})), app.exit(1)))
    app.exec()


def scrub_figures(path: Path) -> dict[str, float]:
    """Scrub p95 over SCRUB_POSITIONS random positions, in wall time and in the window's CPU
    time (on a loaded machine the wall time grows with the load, the CPU time much less)."""
    figures = timetravel_bench.scrub(path, SCRUB_POSITIONS, 7)
    return {"scrub_p95_ms": timetravel_bench.percentile(figures["latencies_ms"], 0.95),
            "scrub_cpu_p95_ms": timetravel_bench.percentile(figures["cpu_ms"], 0.95)}


def content_first_match(store) -> dict[str, float]:
    """The first events matching CONTENT_FILTER listed as the window lists them: the log
    scanned in chunks from its start (build_row_map, which reports each chunk's matches), up to
    the first chunk with a match: milliseconds of wall and CPU time, and the scan's rate in
    events a second (where the first match is depends on the data: at 10M the demo's first
    order in EUR over 900 is at position 2,597,649; the rate is what the log's length does not
    change)."""
    from explorer.browsing.rows import build_row_map
    from explorer.common.cancel import Cancelled
    from explorer.store.content_filter import parse_filter
    from explorer.store.query import EventQuery

    reached = [0]

    def stop_at_a_match(rows, scanned: int, _last: int) -> None:
        reached[0] = scanned
        if len(rows):
            raise Cancelled()

    started, started_cpu = time.perf_counter(), time.process_time()
    with contextlib.suppress(Cancelled):
        build_row_map(store, EventQuery(content=parse_filter(CONTENT_FILTER)), stop_at_a_match)
    seconds = time.perf_counter() - started
    return {"content_first_match_ms": seconds * 1000,
            "content_first_match_cpu_ms": (time.process_time() - started_cpu) * 1000,
            "content_scan_events_per_s": reached[0] / seconds}


def search_figures(store) -> dict[str, float | None]:
    """50 terms drawn from the data, searched on the store's own index (shared: built here
    only if missing, never deleted) as the window's job starts (the first chunk of matches):
    p50 and p95, wall and CPU time; its size in bytes per event. The build rate is
    `index_figures`', the window's own time to show them `window_search_figures`'."""
    from explorer.projections import FullTextIndex
    from explorer.projections.fulltext import newest_matching

    with FullTextIndex.of_store(store, read_only=True) as index:
        started = time.perf_counter()
        indexed = index.catch_up(store)
        if indexed:
            print(f"  indexed {indexed:,} events first ({time.perf_counter() - started:.0f} s)",
                  flush=True)
        times, cpu = [], []
        for term in drawn_terms(store):
            started, started_cpu = time.perf_counter(), time.process_time()
            next(newest_matching(index, store, term), None)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        size = index.path.stat().st_size
    return {"search_p50_ms": statistics.median(times),
            "search_p95_ms": timetravel_bench.percentile(times, 0.95),
            "search_cpu_p95_ms": timetravel_bench.percentile(cpu, 0.95),
            "index_bytes_per_event": size / max(store.last_position(), 1)}


def drawn_terms(store) -> list[str]:
    """SEARCH_TERMS terms, each a word (of more than three characters) of a random event's
    text: the same ones every run."""
    randomly = random.Random(7)
    last = store.last_position()
    terms = []
    for _ in range(SEARCH_TERMS):
        position = randomly.randint(1, last)
        words = [w for w in re.findall(r"[\w\-.@]+", store.search_texts(
            position - 1, 1)[0][1]) if len(w) > 3]
        terms.append(randomly.choice(words))
    return terms


def window_search_figures(path: Path, terms: list[str]) -> dict[str, float]:
    """The terms typed into the window's search box one after the other (a child process: see
    `drive_search`): p50 and p95 of the time to its newest matches painted, p95 of the time to
    its whole list."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    result = subprocess.run([sys.executable, __file__, "--drive-search", str(path),
                             json.dumps(terms)], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=900)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines or "error" in json.loads(lines[-1]):
        raise SystemExit(f"the search driver failed:\n{result.stdout}\n{result.stderr}")
    found = json.loads(lines[-1])
    return {"search_window_p50_ms": statistics.median(found["newest_ms"]),
            "search_window_p95_ms": timetravel_bench.percentile(found["newest_ms"], 0.95),
            "search_whole_list_p95_ms": timetravel_bench.percentile(found["whole_ms"], 0.95)}


def drive_search(store: str, terms: list[str]) -> None:
    """Once the window's start-up work is done, each term typed and Return pressed: the time
    to the first paint of its newest matches (their rows' events in), and to its whole list;
    then the box cleared (the whole log listed again) before the next."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    from explorer.browsing.rows import PositionRows
    from explorer.ui.app import create_application, settle_garbage_on_open
    from explorer.ui.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    settle_garbage_on_open(app, window)
    window.resize(1400, 900)
    model, box, opened = window.event_model, window.filter_bar.search.box, time.perf_counter()
    figures: dict[str, list[float]] = {"newest_ms": [], "whole_ms": []}
    pending = list(terms)
    term: dict[str, float] = {}  # the term being searched: asked, newest, whole (times)

    class Painted(QObject):
        """Notes the first paint of the newest matches: the search's rows, the last one's
        event in."""

        def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint and "asked" in term and "newest" not in term:
                rows = model.rowCount()
                if (isinstance(model.rows, PositionRows) and rows
                        and model.event_at(rows - 1) is not None):
                    term["newest"] = time.perf_counter()
                    QTimer.singleShot(0, both_in)
            return False

    painted = Painted()
    window.table.viewport().installEventFilter(painted)

    def settled() -> None:  # as the window driver's (the runner's first report shown)
        waited = time.perf_counter() - opened
        if (window.timeline.plot is None or window.worker.busy or waited < 2
                or not (window.projections_panel.status_model.rowCount() or waited > 10)):
            QTimer.singleShot(50, settled)
            return
        next_term()

    def next_term() -> None:
        if not pending:
            print(json.dumps(figures), flush=True)
            window.close()
            app.quit()
            return
        term.clear()
        window.browser.rows_ready.connect(listed)
        term["asked"] = time.perf_counter()
        box.setText(pending.pop(0))
        box.returnPressed.emit()

    def listed(_count: int) -> None:
        window.browser.rows_ready.disconnect(listed)
        term["whole"] = time.perf_counter()
        window.table.viewport().update()
        both_in()

    def both_in() -> None:
        if "newest" not in term or "whole" not in term or "done" in term:
            return
        term["done"] = 1.0
        figures["newest_ms"].append((term["newest"] - term["asked"]) * 1000)
        figures["whole_ms"].append((term["whole"] - term["asked"]) * 1000)
        window.browser.rows_ready.connect(cleared)
        box.setText("")

    def cleared(_count: int) -> None:
        window.browser.rows_ready.disconnect(cleared)
        QTimer.singleShot(100, next_term)

    window.store_opened.connect(lambda _: settled())
    window.show()
    window.open_store(store, read_only=True)
    QTimer.singleShot(800_000, lambda: (print(json.dumps({"error": "timed out"})), app.exit(1)))
    app.exec()


def index_figures(store) -> dict[str, float]:
    """The full-text index built from zero in a private file (the store's own is shared): its
    rate in events per second."""
    import tempfile

    from explorer.projections import FullTextIndex

    with tempfile.TemporaryDirectory(prefix="scale-index-") as folder, \
            FullTextIndex(Path(folder) / "index.fulltext") as index:
        started = time.perf_counter()
        indexed = index.catch_up(store)
        return {"index_events_per_s": indexed / (time.perf_counter() - started)}


def rebuild_rates(path: Path) -> dict[str, float]:
    """order_summary rebuilt from zero by the runner (the read models the window uses), and the
    timeline's counts counted again: events per second each. As the product runs them: in a
    process with no window, the collector paused during bulk work (explorer.common.bulk)."""
    from explorer.common.bulk import collector_pauses_allowed
    from explorer.demo.system import SHOP
    from explorer.runtime.runner import Runner

    with collector_pauses_allowed(), Runner(str(path), SHOP, read_only=True,
                                            run_sagas=False) as runner:
        last = runner.store.last_position()
        started = time.perf_counter()
        runner.rebuild("order_summary")
        rebuild = last / (time.perf_counter() - started)
        started = time.perf_counter()
        runner.timeline.rebuild(runner.store)
        counting = last / (time.perf_counter() - started)
    return {"rebuild_events_per_s": rebuild, "timeline_count_events_per_s": counting}


FIGURES = ("window", "timeline", "scrub", "content", "search", "index", "rebuild")
"""The groups of figures `--figures` chooses among (default all): the window's (first page,
jump, filter by type, peak RSS), the timeline ready, scrub p95, the content filter's first
match and bytes per event, the search on the store's full-text index, that index built from
zero in a private file, the rebuild rates."""


def measure(name: str, path: Path, figures_wanted: tuple[str, ...] = FIGURES,
            ) -> dict[str, float | None]:
    from explorer.demo.system import SHOP
    from explorer.system.workspace import open_store

    print(f"{name}: catching up the read models and the timeline's counts...", flush=True)
    prepared = read_models_ready(path)
    print(f"  {prepared:.1f} s", flush=True)
    figures: dict[str, float | None] = {}
    if "window" in figures_wanted:
        window = window_bench.run_once(path)
        figures.update({key: window[key] for key in (
            "first_page_s", "first_page_cpu_s", "jump_to_end_ms", "jump_to_end_cpu_ms",
            "filter_type_ms", "filter_type_cpu_ms", "filter_type_settled_ms",
            "filter_type_settled_cpu_ms", "peak_rss_mb")})
        print(f"  window: {figures}", flush=True)
    if "timeline" in figures_wanted:
        figures["timeline_ready_s"], figures["timeline_ready_cpu_s"] = timeline_ready(path)
        print(f"  timeline ready {figures['timeline_ready_s']:.2f} s (CPU "
              f"{figures['timeline_ready_cpu_s']:.2f} s)", flush=True)
    if "scrub" in figures_wanted:
        figures.update(scrub_figures(path))
        print(f"  scrub p95 {figures['scrub_p95_ms']:.1f} ms (CPU "
              f"{figures['scrub_cpu_p95_ms']:.1f} ms)", flush=True)
    with open_store(path, system=SHOP, read_only=True) as store:
        events = store.last_position()
        figures["events"] = events
        figures["bytes_per_event"] = path.stat().st_size / events
        if "content" in figures_wanted:
            figures.update(content_first_match(store))
        if "search" in figures_wanted:
            figures.update(search_figures(store))
            terms = drawn_terms(store)
        if "index" in figures_wanted:
            figures.update(index_figures(store))
    if "search" in figures_wanted:
        figures.update(window_search_figures(path, terms))
        print(f"  search in the window: newest matches p95 "
              f"{figures['search_window_p95_ms']:.1f} ms, whole list p95 "
              f"{figures['search_whole_list_p95_ms']:.1f} ms", flush=True)
    if "rebuild" in figures_wanted:
        figures.update(rebuild_rates(path))
    return figures


def main(argv: list[str]) -> int:
    if argv[:1] == ["--drive-timeline"]:
        drive_timeline(argv[1])
        return 0
    if argv[:1] == ["--drive-search"]:
        drive_search(argv[1], json.loads(argv[2]))
        return 0
    parser = argparse.ArgumentParser(prog="bench/run.py scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,1m,10m",
                        help="which stores, of 100k, 1m and 10m (default all three)")
    parser.add_argument("--seed-only", action="store_true", help="only make the stores")
    parser.add_argument("--figures", default=",".join(FIGURES),
                        help=f"which figures, of {', '.join(FIGURES)} (default all; the "
                        "others are left out of the table, '-', and null in the JSON line)")
    args = parser.parse_args(argv)
    wanted = tuple(figure.strip() for figure in args.figures.split(",") if figure.strip())
    if not wanted or any(figure not in FIGURES for figure in wanted):
        parser.error(f"--figures {args.figures!r}: choose among {', '.join(FIGURES)}, "
                     "separated by commas")
    names = [name.strip() for name in args.sizes.split(",") if name.strip()]
    unknown = [name for name in names if name not in SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}: choose among {', '.join(SIZES)}")
    paths = {name: ensure_store(name) for name in names}
    if args.seed_only:
        return 0
    results = {name: measure(name, path, wanted) for name, path in paths.items()}
    print(f"{'':28s}" + "".join(f"{name:>14s}" for name in names))
    for key in ("events", *KEYS):
        cells = "".join(f"{results[name][key]:>14,.2f}" if results[name].get(key) is not None
                        else f"{'-':>14s}" for name in names)
        print(f"{key:28s}{cells}")
    summary: dict[str, list] = {"sizes": [int(results[name]["events"] or 0) for name in names]}
    for key in KEYS:
        summary[key] = [None if results[name].get(key) is None
                        else round(float(results[name][key] or 0), 3) for name in names]
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
