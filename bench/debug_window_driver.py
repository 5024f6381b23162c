"""Drives the window for `bench/run.py debug`'s GUI stalls (bench/stall_measure.py). Prints JSON.

Opens STORE read-only in the real MainWindow (its read models built in the cache already: the
parent does that first), waits for time travel to show the end of the log and for the
timeline's plot (pyqtgraph's import, 150-300 ms on the GUI thread once after the first rows, is
a stall of the start, which bench/window_bench.py measures; until 2026-12 it fell in the first
step's), then does what a user does, one step after another, the heartbeat (a 5 ms timer on
the GUI thread) noting the longest gap in each step, from the first key or action until
SETTLE_MS after the answer is shown (the marks painted, the cursor's moment read, the first
pages of the lists):

- find when, through the find bar: the target and the condition typed, Enter, until the status
  line is written: on the longest Inventory stream, on order_summary and on the sagas (a
  condition with few switches and one with a switch for most sagas);
- compare: the cursor sent to A, Time > Set Mark A at Cursor, to B (SPAN positions later),
  Set Mark B at Cursor, until the Compare tab's summary is shown;
- watch: Time > Watch a Value…, the expression typed and Enter, until its row shows a value;
  Plot, until it is drawn: the stream's on_hand and count(sagas where status = "failed").

Each step's wall time (until the answer, without the settling) and longest stall are printed.
Steps named after STORE (`find_when_stream compare`, ...) are the only ones run (all without);
`--stalls` also prints to stderr each gap over 50 ms as it happens and each garbage collection
over 20 ms (its generation), to match with a profile. The window freezes what it holds once the
store is shown, as the app does (explorer.ui.app.settle_garbage_on_open; without it a full
collection on the GUI thread walked ~140,000 objects on the million-event copy, 150-250 ms idle,
300-800 ms at load 6 on 2 cores); `--no-freeze` leaves that out, to compare.
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from bench.window_driver import Heartbeat  # noqa: E402
from explorer.ui import settings  # noqa: E402
from explorer.ui.app import create_application, settle_garbage_on_open  # noqa: E402
from explorer.ui.main_window import MainWindow  # noqa: E402

SETTLE_MS = 500
POLL_MS = 10
SPAN = 500_000
FIND_WHEN = (  # (name, target: None for the longest Inventory stream, condition)
    ("find_when_stream", None, "state.on_hand < 20"),
    ("find_when_order_summary", "order_summary", 'status = "paid"'),
    ("find_when_sagas", "sagas", 'status = "compensating"'),
    ("find_when_sagas_most", "sagas", 'status = "running"'),
)


def longest_inventory_stream(store: str) -> str:
    from explorer.demo.system import SHOP
    from explorer.system.workspace import open_store

    with open_store(store, system=SHOP, read_only=True) as opened:
        streams = opened.list_streams("Inventory")
    return max(streams, key=lambda s: s.version).stream_id


def main(store: str, only: set[str] | None = None, log_stalls: bool = False,
         freeze: bool = True) -> None:
    # the window's settings (recent stores, watches, layout) go to a folder of this run's own:
    # the user's are neither read nor written
    scratch = tempfile.TemporaryDirectory(prefix="debug-bench-settings-")
    settings.use_settings_folder(Path(scratch.name))
    app = create_application()
    window = MainWindow()
    if freeze:
        settle_garbage_on_open(app, window)
    window.resize(1400, 900)
    window.show()
    heartbeat = Heartbeat()
    gap_from = [time.perf_counter()]

    def log_gap() -> None:
        now = time.perf_counter()
        if now - gap_from[0] > 0.05:
            print(f"stall {(now - gap_from[0]) * 1000:.0f} ms, ended at {time.time():.3f}, in "
                  f"{current.get('name')}", file=sys.stderr, flush=True)
        gap_from[0] = now

    collecting = [0.0]

    def log_collection(phase: str, info: dict) -> None:
        if phase == "start":
            collecting[0] = time.perf_counter()
        elif (took := time.perf_counter() - collecting[0]) > 0.02:
            print(f"collection of generation {info['generation']} took {took * 1000:.0f} ms "
                  f"({info['collected']:,} collected), "
                  f"ended at {time.time():.3f}", file=sys.stderr, flush=True)

    if log_stalls:
        heartbeat.timer.timeout.connect(log_gap)
        gc.callbacks.append(log_collection)
    travel = window.travel
    stream = longest_inventory_stream(store)
    results: dict = {"steps": {}, "switches": {}, "stream": stream}
    steps: list[Callable[[], None]] = []
    current: dict = {}

    def when(ready: Callable[[], bool], then: Callable[[], None]) -> None:
        """Call `then` once `ready()` holds (looked at every POLL_MS: a cheap check)."""
        if ready():
            then()
        else:
            QTimer.singleShot(POLL_MS, lambda: when(ready, then))

    def begin(name: str) -> None:
        print(f"{name}...", file=sys.stderr, flush=True)
        current.update(name=name, started=time.perf_counter())
        heartbeat.reset()

    def answered() -> None:
        """The step's answer is shown: its wall time; the stall counts on while it settles."""
        current["wall_ms"] = (time.perf_counter() - current["started"]) * 1000
        QTimer.singleShot(SETTLE_MS, settled)

    def settled() -> None:
        results["steps"][current["name"]] = {"wall_ms": round(current["wall_ms"], 1),
                                             "max_stall_ms": round(heartbeat.max_gap * 1000, 1)}
        QTimer.singleShot(0, next_step)

    def next_step() -> None:
        if steps:
            steps.pop(0)()
        else:
            finish()

    def moment_shown(position: int) -> Callable[[], bool]:
        return lambda: travel.moment is not None and travel.moment.position == position \
            and not travel._in_flight

    # -- find when -----------------------------------------------------------------------------

    def find_when(name: str, target: str, condition: str) -> None:
        bar = window.find_when
        window.find_when_action.trigger()
        bar.target.setEditText(target)
        bar.condition.setText(condition)

        def searched(found) -> None:
            bar.searched.disconnect(searched)
            bar.failed.disconnect(failed)
            results["switches"][name] = len(found.switches)
            went_to = bar._went_to  # the switch the cursor is sent to (None: not moved)
            when(moment_shown(travel.position if went_to is None else went_to), answered)

        def failed(message: str) -> None:
            results["error"] = f"{name}: {message}"
            finish()

        bar.searched.connect(searched)
        bar.failed.connect(failed)
        begin(name)
        QTest.keyClick(bar.condition, Qt.Key.Key_Return)

    for name, target, condition in FIND_WHEN:
        if only and name not in only:
            continue
        steps.append(lambda n=name, t=target, c=condition: find_when(n, t or stream, c))

    def close_find_when() -> None:
        window.find_when.close_bar()
        QTimer.singleShot(0, next_step)

    if steps:
        steps.append(close_find_when)

    # -- compare -------------------------------------------------------------------------------

    def compare() -> None:
        last = travel.last_position
        before = max(1, (last - SPAN) // 2)
        after = min(last, before + SPAN)
        view = window.compare_view
        begin("compare")

        def compared(_comparison) -> None:
            view.compared.disconnect(compared)
            answered()

        view.compared.connect(compared)
        travel.go_to(before)
        when(moment_shown(before), lambda: (
            window.mark_a_action.trigger(), travel.go_to(after),
            when(moment_shown(after), window.mark_b_action.trigger)))

    if not only or "compare" in only:
        steps.append(compare)

    # -- watch ---------------------------------------------------------------------------------

    def watch(name: str, text: str) -> None:
        panel = window.watch_panel
        begin(name)
        window.watch_action.trigger()
        panel.entry.setText(text)
        QTest.keyClick(panel.entry, Qt.Key.Key_Return)

        def pinned() -> bool:
            return any(row.text == text and row.position is not None for row in panel.model.rows)

        def plot() -> None:
            row = panel.model.texts.index(text)
            panel.view.selectRow(row)
            panel.plot_button.click()
            when(lambda: text in panel.plots and panel.plots[text].series is not None,
                 answered)

        when(pinned, plot)

    if not only or "watch_on_hand" in only:
        steps.append(lambda: watch("watch_on_hand", f"{stream}.on_hand"))
    if not only or "watch_failed_sagas" in only:
        steps.append(lambda: watch("watch_failed_sagas", 'count(sagas where status = "failed")'))

    def started() -> None:
        if travel.moment is None or travel.moment.position != travel.last_position \
                or window.timeline.plot is None:
            QTimer.singleShot(50, started)
            return
        results["events"] = travel.last_position
        for text in list(window.watch_panel.model.texts):  # watches saved by an earlier run
            window.watch_panel.model.remove(window.watch_panel.model.texts.index(text))
        next_step()

    def finish() -> None:
        if "done" in current:
            return
        current["done"] = True
        results["gui_max_stall_ms"] = max(
            (step["max_stall_ms"] for step in results["steps"].values()), default=0.0)
        print(json.dumps(results), flush=True)
        window.close()
        app.quit()

    window.store_opened.connect(lambda _: QTimer.singleShot(0, started))
    window.open_store(store, read_only=True)
    QTimer.singleShot(600_000, lambda: (print(json.dumps({"error": "timed out", **results})),
                                        app.exit(1)))
    app.exec()


STEPS = (*(name for name, _, _ in FIND_WHEN), "compare", "watch_on_hand", "watch_failed_sagas")

if __name__ == "__main__":
    names = [a for a in sys.argv[2:] if not a.startswith("--")]
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        raise SystemExit(f"No step {unknown[0]!r}: name some of {', '.join(STEPS)} (or none "
                         "for all).")
    main(sys.argv[1], set(names) or None, "--stalls" in sys.argv, "--no-freeze" not in sys.argv)
