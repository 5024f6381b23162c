"""Drives the window for `bench/run.py projections`: a rebuild of order_summary with the window
open, measuring the longest stall of the GUI thread meanwhile. Prints JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QTimer  # noqa: E402

from bench.window_driver import Heartbeat  # noqa: E402
from explorer.ui.app import create_application  # noqa: E402
from explorer.ui.main_window import MainWindow  # noqa: E402


def main(store: str) -> None:
    app = create_application()
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    heartbeat = Heartbeat()
    results: dict[str, float] = {}

    def caught_up() -> bool:
        model = window.projections_panel.status_model
        return model.rowCount() > 0 and all(model.status(r).state == "caught up"
                                            for r in range(model.rowCount()))

    def wait_then_rebuild() -> None:
        if not caught_up():
            QTimer.singleShot(100, wait_then_rebuild)
            return
        window.bottom_tabs.setCurrentIndex(1)
        panel = window.projections_panel
        panel.list.selectRow(panel.status_model.row_of("order_summary"))
        window.runner.rebuild_finished.connect(finished)
        results["started"] = time.perf_counter()
        heartbeat.reset()
        panel.rebuild_button.click()

    def finished(name: str) -> None:
        results["rebuild_in_window_s"] = time.perf_counter() - results.pop("started")
        results["max_stall_ms"] = heartbeat.max_gap * 1000
        print(json.dumps(results), flush=True)
        window.close()
        app.quit()

    window.store_opened.connect(lambda _: QTimer.singleShot(100, wait_then_rebuild))
    window.open_store(store)
    QTimer.singleShot(600_000, lambda: (print(json.dumps({"error": "timed out"})), app.exit(1)))
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1])
