"""Drives the explorer window for `bench/run.py window` and prints what it measured as JSON.

Run as a child process so that start-up counts: the parent notes the time before starting it.
The filter by type is measured twice: asked right after the jump, as the window's start-up
work (the timeline's plot, the time travel's first reads) still runs, and again alone once
that work is done. Each figure's CPU time (all the process's threads) is printed beside its
wall time: on a machine loaded by others the wall time grows with the load, the CPU time
much less.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402

from bench.memory import peak_rss_mb  # noqa: E402
from explorer.ui.app import create_application, settle_garbage_on_open  # noqa: E402
from explorer.ui.main_window import MainWindow  # noqa: E402

HEARTBEAT_MS = 5


class Heartbeat(QObject):
    """A timer on the GUI thread; the longest gap between its ticks is the longest stall."""

    def __init__(self) -> None:
        super().__init__()
        self.last = time.perf_counter()
        self.max_gap = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        now = time.perf_counter()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.max_gap = 0.0


class PaintWatch(QObject):
    """Calls `done` at the first paint of the event list after `until()` holds."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window = window
        self.until = None
        self.done = None
        window.table.viewport().installEventFilter(self)

    def expect(self, until, done) -> None:
        self.until, self.done = until, done
        self.window.table.viewport().update()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and self.until is not None and self.until():
            done, self.until = self.done, None
            QTimer.singleShot(0, done)
        return False


def main(store: str) -> None:
    app = create_application()
    window = MainWindow()
    settle_garbage_on_open(app, window)  # as the app does
    window.resize(1400, 900)
    heartbeat = Heartbeat()
    paints = PaintWatch(window)
    results: dict[str, float] = {}
    marks: dict[str, float] = {}
    model = window.event_model

    def loaded(row: int):
        return lambda: 0 <= row < model.rowCount() and model.event_at(row) is not None

    def first_page_shown() -> None:
        results["first_page_wall"] = time.time()
        results["first_page_cpu_s"] = time.process_time()  # since the process started
        results["first_page_max_stall_ms"] = heartbeat.max_gap * 1000
        heartbeat.reset()
        marks["jump"], marks["jump_cpu"] = time.perf_counter(), time.process_time()
        window.browser.select_last()
        last_row = model.rowCount() - 1
        paints.expect(loaded(last_row), jumped)

    def jumped() -> None:
        results["jump_to_end_ms"] = (time.perf_counter() - marks["jump"]) * 1000
        results["jump_to_end_cpu_ms"] = (time.process_time() - marks["jump_cpu"]) * 1000
        results["rows"] = model.rowCount()
        marks["filter"], marks["filter_cpu"] = time.perf_counter(), time.process_time()
        window.browser.rows_ready.connect(filtered_rows)
        window.filter_bar.set_event_type_filter(("OrderShipped",))

    def filtered_rows(count: int) -> None:
        window.browser.rows_ready.disconnect(filtered_rows)
        results["filtered_rows"] = count
        paints.expect(loaded(0), filtered)

    def filtered() -> None:
        results["filter_type_ms"] = (time.perf_counter() - marks["filter"]) * 1000
        results["filter_type_cpu_ms"] = (time.process_time() - marks["filter_cpu"]) * 1000
        results["max_stall_ms"] = max(results["first_page_max_stall_ms"],
                                      heartbeat.max_gap * 1000)
        window.browser.rows_ready.connect(unfiltered)
        window.filter_bar.set_event_type_filter(())

    def unfiltered(_count: int) -> None:
        window.browser.rows_ready.disconnect(unfiltered)
        marks["settling"] = time.perf_counter()
        wait_until_settled()

    def wait_until_settled() -> None:
        """The window's start-up work done (the plot in, the runner's first report shown, or 10
        s past the first page; no job queued): the filter measured again alone. (The
        projections panel counts its rows only when its tab is shown.)"""
        waited = time.perf_counter() - marks["jump"]
        settled = (window.timeline.plot is not None and not window.worker.busy and waited > 1.0
                   and (window.projections_panel.status_model.rowCount() > 0 or waited > 10))
        if not settled:
            QTimer.singleShot(50, wait_until_settled)
            return
        marks["filter"], marks["filter_cpu"] = time.perf_counter(), time.process_time()
        window.browser.rows_ready.connect(settled_rows)
        window.filter_bar.set_event_type_filter(("OrderShipped",))

    def settled_rows(_count: int) -> None:
        window.browser.rows_ready.disconnect(settled_rows)
        paints.expect(loaded(0), filtered_settled)

    def filtered_settled() -> None:
        results["filter_type_settled_ms"] = (time.perf_counter() - marks["filter"]) * 1000
        results["filter_type_settled_cpu_ms"] = (time.process_time() - marks["filter_cpu"]
                                                 ) * 1000
        results["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(results), flush=True)
        window.close()
        app.quit()

    window.store_opened.connect(lambda _: paints.expect(loaded(0), first_page_shown))
    window.show()
    heartbeat.reset()
    window.open_store(store, read_only=True)
    QTimer.singleShot(120_000, lambda: (print(json.dumps({"error": "timed out"})), app.exit(1)))
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1])
