"""The window's runner process ending by itself (killed, out of memory, a crash) is started
again, and goes on from the read models' checkpoints: the projections panel had gone on showing
its last status ("caught up" at an old checkpoint) while other processes' events went unhandled.
One that ends again and again is left stopped, and the panel says so instead of "caught up"."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from explorer.domain import CommandService
from explorer.projections import read_model_path
from explorer.ui.runner_process import RESTARTS_AT_MOST, RunnerProcess
from explorer.ui.widgets.projections_panel import NOT_RUNNING, ProjectionsPanel
from tests.ui.conftest import SHOP, WAIT_MS, last_position, open_shop


def append_elsewhere(path, count: int) -> None:
    with open_shop(path) as store:
        service = CommandService(store, SHOP.domain)
        for n in range(count):
            service.execute("Inventory", "prod_104", "receive_stock", {"quantity": n + 1})


def shown_states(panel) -> list[tuple[str, str]]:
    model = panel.status_model
    return [(model.index(row, 1).data(), model.index(row, 2).data())
            for row in range(model.rowCount())]


def caught_up_to(panel, position: int) -> bool:
    states = shown_states(panel)
    return bool(states) and all(shown == ("caught up", f"{position:,}") for shown in states)


def kill(runner: RunnerProcess) -> None:
    os.kill(runner.process.processId(), signal.SIGKILL)


def test_a_killed_runner_is_started_again_and_handles_what_came_meanwhile(qtbot, seeded):
    panel = ProjectionsPanel(worker=None)
    qtbot.add_widget(panel)
    panel.set_system(SHOP)
    runner = RunnerProcess(str(seeded), "shop", read_only=False, run_sagas=False)
    panel.set_runner(runner)
    said: list[str] = []
    runner.failed.connect(said.append)
    runner.start()
    try:
        last = last_position(seeded)
        qtbot.waitUntil(lambda: caught_up_to(panel, last), timeout=WAIT_MS * 3)

        with qtbot.wait_signal(runner.process.finished, timeout=WAIT_MS):
            kill(runner)
        append_elsewhere(seeded, 3)  # while no runner runs
        qtbot.waitUntil(lambda: caught_up_to(panel, last + 3), timeout=WAIT_MS * 3)
        started_again = ("The projections' runner ended (it was killed or crashed): it was "
                         "started again; the read models ")
        assert said in ([f"{started_again}go on from event {last + 1:,} of {last + 3:,}."],
                        [f"{started_again}are up to date (event {last:,} of {last:,})."])
    finally:
        runner.stop()


def test_a_runner_started_again_after_its_read_models_were_deleted_says_it_builds_them_anew(
        qtbot, seeded):
    """It stops once its read models' file is gone, and is started again: it said it "goes on
    from where the read models are", while it built them anew from the first event."""
    runner = RunnerProcess(str(seeded), "shop", read_only=False, run_sagas=False)
    said: list[str] = []
    runner.failed.connect(said.append)
    statuses: list[object] = []
    runner.status.connect(statuses.append)
    runner.start()
    try:
        qtbot.waitUntil(lambda: bool(statuses), timeout=WAIT_MS * 3)
        readmodels = read_model_path(str(seeded), False)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{readmodels}{suffix}").unlink(missing_ok=True)
        qtbot.waitUntil(lambda: bool(said), timeout=WAIT_MS * 3)
        assert said == [
            f"The projections' runner ended (error: The read models {readmodels} were deleted, "
            "moved or replaced while `run --serve` ran, so it stopped: what it wrote would go to "
            "a file no longer there. Run it again: it builds them anew.): it was started again; "
            f"the read models are built anew, from event 1 of {last_position(seeded):,}."]
    finally:
        runner.stop()


def test_a_runner_that_keeps_ending_is_shown_not_running(qtbot, seeded):
    panel = ProjectionsPanel(worker=None)
    qtbot.add_widget(panel)
    panel.set_system(SHOP)
    runner = RunnerProcess(str(seeded), "shop", read_only=False, run_sagas=False)
    panel.set_runner(runner)
    stopped: list[str] = []
    runner.stopped.connect(stopped.append)
    runner.start()
    try:
        last = last_position(seeded)
        for _ in range(RESTARTS_AT_MOST + 1):
            qtbot.waitUntil(lambda: runner._reported and caught_up_to(panel, last),
                            timeout=WAIT_MS * 3)
            with qtbot.wait_signal(runner.process.finished, timeout=WAIT_MS):
                kill(runner)
        append_elsewhere(seeded, 1)
        assert stopped == ["The projections' runner ended again and again (it was killed or "
                           "crashed): the read models and sagas are no longer kept up to date. "
                           "Open the store again to restart it."]
        assert runner.process.state() == runner.process.ProcessState.NotRunning
        assert shown_states(panel) == [(NOT_RUNNING, f"{last:,}")] * len(shown_states(panel))
        assert panel.cut_note.text() == stopped[0] and not panel.rebuild_button.isEnabled()
    finally:
        runner.stop()


def test_the_window_no_longer_says_sagas_run_once_its_runner_stopped(qtbot, window):
    """The Sagas tab's "Run sagas in this window" stayed ticked after the runner had stopped for
    good, though nothing carried out the sagas' steps any more."""
    window.sagas_panel.run_sagas.setChecked(True)  # (remembered for the store: kept as chosen)
    runner = window.runner_host.runner
    qtbot.waitUntil(lambda: runner.run_sagas and runner._reported, timeout=WAIT_MS * 3)
    for _ in range(RESTARTS_AT_MOST + 1):
        qtbot.waitUntil(lambda: runner._reported, timeout=WAIT_MS * 3)
        with qtbot.wait_signal(runner.process.finished, timeout=WAIT_MS):
            kill(runner)
    box = window.sagas_panel.run_sagas
    assert not box.isChecked() and not box.isEnabled()
    assert box.toolTip().startswith("The projections' runner ended again and again")


def test_a_runner_that_cannot_be_started_is_shown_not_running(qtbot, seeded, monkeypatch,
                                                               tmp_path):
    """A runner whose program cannot be started (gone, not executable) is said to be stopped,
    as one that keeps ending is: before, only a status-bar line said so, and the panels went on
    as if the projections ran (Rebuild enabled, 'Run sagas in this window' ticked)."""
    from explorer.ui import runner_process

    missing = str(tmp_path / "no-such-program")
    monkeypatch.setattr(runner_process, "command_line", lambda arguments: (missing, arguments))
    panel = ProjectionsPanel(worker=None)
    qtbot.add_widget(panel)
    panel.set_system(SHOP)
    runner = RunnerProcess(str(seeded), "shop", read_only=False, run_sagas=False)
    panel.set_runner(runner)
    stopped: list[str] = []
    runner.stopped.connect(stopped.append)
    with qtbot.wait_signal(runner.stopped, timeout=WAIT_MS):
        runner.start()
    assert stopped[0].startswith("The projections' runner could not be started (")
    assert stopped[0].endswith("Open the store again to try again.")
    assert panel.cut_note.text() == stopped[0] and not panel.rebuild_button.isEnabled()
    assert panel.runner is None
    runner.stop()
