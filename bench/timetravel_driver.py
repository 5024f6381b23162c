"""Drives the window for `bench/run.py timetravel`: scrubbing the timeline. Prints JSON.

Opens STORE read-only (its read models must be built in the cache already: the bench does that
first), waits for time travel to show the end of the log, then:

- jumps: the slider is set to each of N random positions in turn; the time from setting it to
  the moment shown in the panels (aggregate, read models, sagas) is one latency, and the
  process's CPU time meanwhile (all its threads: the worker reading, the GUI showing) its CPU
  cost, which a loaded machine does not inflate as it does the wall time; and the type of the
  aggregate shown (a long stream's, with a big state, costs more than an order's);
- the same with a long stream selected (an Inventory stream with many events and snapshots);
- a drag: the slider moves every 16 ms across the log for a few seconds, as a hand does; counts
  how many positions were shown (the rest were coalesced), the delay from letting go to the
  final position shown, and the longest GUI stall throughout.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QTimer  # noqa: E402

from bench.memory import peak_rss_mb  # noqa: E402
from bench.window_driver import Heartbeat  # noqa: E402
from explorer.ui.app import create_application, settle_garbage_on_open  # noqa: E402
from explorer.ui.main_window import MainWindow  # noqa: E402

DRAG_STEP_MS = 16


def main(store: str, count: int, seed: int, read_only: bool = True) -> None:
    app = create_application()
    window = MainWindow()
    settle_garbage_on_open(app, window)  # as the app does
    window.resize(1400, 900)
    window.show()
    heartbeat = Heartbeat()
    rng = random.Random(seed)
    results: dict = {"latencies_ms": [], "stream_latencies_ms": [], "cpu_ms": [],
                     "stream_cpu_ms": [], "stream_types": []}
    state: dict = {}
    travel = window.travel

    def started() -> None:
        if travel.moment is None or travel.moment.position != travel.last_position:
            QTimer.singleShot(50, started)
            return
        state["targets"] = [rng.randint(1, travel.last_position) for _ in range(count)]
        state["series"] = "latencies_ms"
        state["stream"] = biggest_inventory_stream()
        window.bottom_tabs.setCurrentIndex(window.travel_tab)
        travel.moment_ready.connect(shown)  # after the window's own slot: panels are filled
        heartbeat.reset()
        next_jump()

    def next_jump() -> None:
        targets = state["targets"]
        if not targets:
            series_done()
            return
        state["target"] = targets.pop()
        if state["target"] == window.timeline.slider.value():
            state["target"] += 1 if state["target"] < travel.last_position else -1
        state["at"] = time.perf_counter()
        state["cpu_at"] = time.process_time()
        window.timeline.slider.setValue(state["target"])

    def shown(moment) -> None:
        if "target" in state and moment.position == state["target"]:
            results[state["series"]].append((time.perf_counter() - state["at"]) * 1000)
            cpu_series = "cpu_ms" if state["series"] == "latencies_ms" else "stream_cpu_ms"
            results[cpu_series].append((time.process_time() - state["cpu_at"]) * 1000)
            if state["series"] == "latencies_ms":  # whose aggregate was shown
                results["stream_types"].append(moment.aggregate.stream_type
                                               if moment.aggregate is not None else "")
            del state["target"]
            QTimer.singleShot(0, next_jump)
        elif state.get("dragging") is not None:
            state["dragging"] += 1
            if state.get("released") and moment.position == state["final"]:
                results["drag_settle_ms"] = (time.perf_counter() - state["released"]) * 1000
                finish()

    def series_done() -> None:
        if state["series"] == "latencies_ms":
            state["series"] = "stream_latencies_ms"
            stream = results["stream"] = state["stream"]
            window.browser.show_stream(stream)
            travel.set_focus(stream, None)
            state["targets"] = [rng.randint(1, travel.last_position) for _ in range(count // 2)]
            QTimer.singleShot(0, next_jump)
            return
        travel.set_focus(None, None)
        results["jump_max_stall_ms"] = heartbeat.max_gap * 1000
        drag()

    def biggest_inventory_stream() -> str:
        from explorer.demo.system import SHOP
        from explorer.system.workspace import open_store

        with open_store(store, system=SHOP, read_only=True) as opened:
            streams = opened.list_streams("Inventory", limit=100)
        return max(streams, key=lambda s: s.version).stream_id

    def drag() -> None:
        heartbeat.reset()
        last = travel.last_position
        steps = 250
        state["path"] = [int(1 + (last - 1) * i / steps) for i in range(steps + 1)]
        state["dragging"] = 0
        window.timeline.slider.setSliderDown(True)
        state["drag_started"] = time.perf_counter()
        move()

    def move() -> None:
        path = state["path"]
        if path:
            window.timeline.slider.setValue(path.pop(0))
            QTimer.singleShot(DRAG_STEP_MS, move)
            return
        window.timeline.slider.setSliderDown(False)
        state["final"] = window.timeline.slider.value()
        state["released"] = time.perf_counter()
        results["drag_s"] = state["released"] - state["drag_started"]
        if travel.moment is not None and travel.moment.position == state["final"] \
                and not travel._in_flight:
            results["drag_settle_ms"] = 0.0
            finish()

    def finish() -> None:
        if "done" in state:
            return
        state["done"] = True
        results["drag_moments_shown"] = state["dragging"]
        results["drag_max_stall_ms"] = heartbeat.max_gap * 1000
        results["peak_rss_mb"] = peak_rss_mb()
        runner = window.runner
        results["children_peak_rss_mb"] = peak_rss_mb(runner.process.processId()) \
            if runner is not None and runner.process.processId() else 0.0
        results["events"] = travel.last_position
        print(json.dumps(results), flush=True)
        window.close()
        app.quit()

    window.store_opened.connect(lambda _: QTimer.singleShot(0, started))
    window.open_store(store, read_only=read_only)
    QTimer.singleShot(600_000, lambda: (print(json.dumps({"error": "timed out"})), app.exit(1)))
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
