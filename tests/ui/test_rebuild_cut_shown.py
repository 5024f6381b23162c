"""A rebuild the runner says was cut (its store's server lost, as `run --serve` says it): the
projections panel takes its progress bar down, shows the read model as it stands (its rebuild
stopped where the runner had got to, nothing rebuilding it) with what the runner said, and shows
the runner's status again once it reports."""

from __future__ import annotations

import orjson

from explorer.demo.system import SHOP
from explorer.projections import ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.ui.runner_process import RunnerProcess
from explorer.ui.widgets.projections_panel import ProjectionsPanel

LAST = 169
CUT = ("Rebuilding order_summary stopped at position 20 of 169: the connection to the store's "
       "server was lost. What it rebuilt is kept, and the runner rebuilds the rest once the "
       "server is back.")


def status(state: str, checkpoint: int, target: int | None = None) -> dict:
    summary = ProjectionStatus("order_summary", "Order summary", checkpoint, LAST, checkpoint,
                               state, target)
    return {"status": RunnerStatus(1.0, LAST, (summary,), (), 0.0).to_dict()}


def test_a_cut_rebuild_takes_the_bar_down_and_shows_where_it_stopped(qtbot, qtmodeltester):
    panel = ProjectionsPanel(worker=None)
    qtbot.add_widget(panel)
    panel.set_system(SHOP)
    runner = RunnerProcess("postgresql://127.0.0.1/shop", "shop", read_only=False,
                           run_sagas=False)  # (not started: fed the lines it would read)
    panel.set_runner(runner)
    failed: list[str] = []
    runner.failed.connect(failed.append)

    def said(*messages: dict) -> None:
        for message in messages:
            runner._message(orjson.dumps(message))

    said({"ready": True}, status("caught up", LAST))
    assert panel.selected == "order_summary"
    panel.rebuild_button.click()
    said(status("rebuilding", 0, LAST), {"progress": ["order_summary", 20, LAST]})
    assert panel.progress.isVisibleTo(panel) and panel.cancel_button.isVisibleTo(panel)

    said({"finished": "order_summary", "cut": CUT})  # the server stopped mid-rebuild
    assert not panel.progress.isVisibleTo(panel) and not panel.cancel_button.isVisibleTo(panel)
    assert panel.rebuild_button.isEnabled()  # (it may be started over)
    model = panel.status_model
    shown = [model.index(0, column).data() for column in range(3)]
    assert shown == ["Order summary", "rebuild stopped", "20"]  # not "rebuilding 0%"
    assert model.index(0, 1).data(0x03) == CUT  # (its tooltip)
    assert panel.cut_note.isVisibleTo(panel) and panel.cut_note.text() == CUT
    assert failed == [CUT]  # (the status bar says it too)
    qtmodeltester.check(model)

    said({"failed": "Lost the connection to the store's server (connection refused); the "
                    "projections and sagas go on once it is back."})
    assert panel.cut_note.text() == CUT and model.index(0, 1).data() == "rebuild stopped"

    said({"note": "Connected to the store's server again: the projections and sagas go on."},
         {"ready": True},
         {"note": f"The store's server is back: rebuilding order_summary goes on "
                  f"from position 20 of {LAST}."},
         status("rebuilding", 120, LAST))  # the runner reports again: as it stands now
    assert model.index(0, 1).data() == "rebuilding" and not panel.cut_note.isVisibleTo(panel)
    assert model.index(0, 2).data() == "120"
    said(status("caught up", LAST))
    assert model.index(0, 1).data() == "caught up" and model.index(0, 2).data() == "169"
    assert not panel.progress.isVisibleTo(panel)
