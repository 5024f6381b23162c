"""The Projections tab says, for as long as it lasts, which other runners keep the store's read
models (a `run` in a terminal, another window): under the list, "Also running: another runner
(`run`, pid 1234 on host X, started 12:01:05); they share the work.", gone once they stop.
Before, the window's runner said it once, in the status bar, and nothing said it after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from explorer.projections import ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.sagas.manager import SagaManagerStatus
from explorer.ui.widgets.projections_panel import ProjectionsPanel
from tests.ui.conftest import WAIT_MS

ROOT = Path(__file__).resolve().parents[2]


def test_another_runner_is_said_under_the_list_while_it_runs(window, qtbot, seeded):
    panel = window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    note = panel.others_note
    qtbot.waitUntil(lambda: panel.status_model.rowCount() > 0, timeout=30_000)
    assert not note.isVisible()
    other = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(seeded), "--no-sagas"],
                             cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        qtbot.waitUntil(lambda: note.isVisible() and f"pid {other.pid} " in note.text(),
                        timeout=60_000)
        assert note.text().startswith("Also running: another runner (`run`, pid ")
        assert note.text().endswith("; they share the work.")  # (a file: all of it)
        assert panel.list.isVisible()
    finally:
        other.terminate()
        other.wait(timeout=30)
    qtbot.waitUntil(lambda: not note.isVisible(), timeout=WAIT_MS)  # (gone: said no more)


def status(others: tuple[str, ...], left: tuple[str, ...] = ()) -> RunnerStatus:
    projections = tuple(ProjectionStatus(name, name, 10, 10, 10, "caught up")
                        for name in ("order_summary", "stock"))
    sagas = (SagaManagerStatus("fulfilment", 10, 10, 0),)
    return RunnerStatus(1.0, 10, projections, sagas, 0.0, others=others, left_to_others=left)


def test_what_another_runner_on_a_server_handles_is_said(qtbot):
    """On a server each read model is advanced by one runner at a time: the line names those
    another runner advances, and updates as runners come and go."""
    panel = ProjectionsPanel(worker=None)
    qtbot.add_widget(panel)
    panel.show()
    one = "`run`, pid 1234 on host db-1, started 12:01:05"
    two = "an Event Explorer window's, pid 77 on host laptop, started 12:03:00"
    panel.update_status(status((one,), ("order_summary",)))
    assert panel.others_note.isVisible()
    assert panel.others_note.text() == (
        f"Also running: another runner ({one}), handling order_summary; this window's runner "
        "the rest.")
    panel.update_status(status((one, two), ("order_summary", "stock", "saga:fulfilment")))
    assert panel.others_note.text() == (
        f"Also running: 2 other runners ({one}; {two}), handling order_summary, stock, "
        "fulfilment saga between them.")
    panel.update_status(status(()))
    assert not panel.others_note.isVisible()
