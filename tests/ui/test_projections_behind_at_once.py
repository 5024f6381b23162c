"""The Projections tab never says a read model is caught up while the log has moved past it: the
window watches the store, and as soon as it sees events appended after a read model's
checkpoint it says "behind" and by how many, without waiting for the runner's next report (it
said "caught up" until then, for up to its next report)."""

from __future__ import annotations

import os
import signal

from PySide6.QtCore import QByteArray

from explorer.domain import CommandService
from explorer.projections import ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.ui import settings
from explorer.ui.models.projection_status import ProjectionStatusModel
from tests.ui.conftest import SHOP, WAIT_MS, last_position, open_shop, opened_window
from tests.ui.test_panels import caught_up
from tests.ui.test_runner_restarts import shown_states

ORDER = {"customer_id": "cust_001", "total": 29.99,
         "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]}


def test_a_projection_is_said_behind_as_soon_as_another_process_appends(window, qtbot, seeded,
                                                                       qtmodeltester):
    panel = window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    start = last_position(seeded)
    qtbot.waitUntil(lambda: all(state == ("caught up", f"{start:,}")
                                for state in shown_states(panel)), timeout=WAIT_MS)
    runner = window.runner.process.processId()
    os.kill(runner, signal.SIGSTOP)  # its next report would say it all: it is not to come
    try:
        with open_shop(seeded) as store:
            CommandService(store, SHOP.domain).execute("Order", "order_new", "place", ORDER)
        end = last_position(seeded)
        assert end > start
        behind = f"{end - start} event" + ("s" if end - start > 1 else "")
        model = panel.status_model

        def said_behind() -> None:
            for row in range(model.rowCount()):
                assert model.index(row, 1).data() == "behind"
                assert model.index(row, 2).data() == f"{start:,}"
                assert model.index(row, 3).data() == behind
        qtbot.waitUntil(said_behind, timeout=WAIT_MS)
        assert f"{end:,}" in model.index(0, 1).data(0x03)  # its tooltip says where the log is
        qtmodeltester.check(model)
    finally:
        os.kill(runner, signal.SIGCONT)
    qtbot.waitUntil(lambda: all(state == ("caught up", f"{end:,}")
                                for state in shown_states(panel)), timeout=30_000)


def status(checkpoint: int, state: str = "caught up") -> RunnerStatus:
    projection = ProjectionStatus("order_summary", "Order summary", checkpoint, checkpoint,
                                  checkpoint, state)
    return RunnerStatus(checkpoint, checkpoint, (projection,), (), 0.0)


def test_what_the_log_has_reached_and_the_runner_s_report_agree_in_either_order(qapp):
    """A report older than what the window saw of the log says behind; one that has caught up
    with it says caught up; the log end of another store does not carry over."""
    model = ProjectionStatusModel()
    model.set_status(status(100))
    model.set_log_end(100)
    assert model.index(0, 1).data() == "caught up"
    model.set_log_end(103)
    assert (model.index(0, 1).data(), model.index(0, 3).data()) == ("behind", "3 events")
    model.set_status(status(103))
    assert (model.index(0, 1).data(), model.index(0, 3).data()) == ("caught up", "—")
    model.set_status(status(104))  # (the runner saw the append before the window did)
    assert model.index(0, 1).data() == "caught up"
    model.set_status(status(50, "rebuilding"))
    assert model.index(0, 1).data() == "rebuilding"
    model.set_log_end(10)  # another store, shorter
    model.set_status(status(10))
    assert model.index(0, 1).data() == "caught up"


def test_every_column_of_the_projections_list_is_in_view_at_1400x900(seeded, qtbot):
    """(The last one, Events/s, began at the list's right edge: "E", the rest by scrolling
    sideways.)"""
    settings.save_window_state("projections-split", QByteArray())  # (as at a first run)
    window = opened_window(qtbot, seeded)
    window.resize(1400, 900)
    panel = window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    view, model = panel.list, panel.status_model

    def in_view() -> None:
        last = model.columnCount() - 1
        right = view.columnViewportPosition(last) + view.horizontalHeader().sectionSizeHint(last)
        assert right <= view.viewport().width()
    qtbot.waitUntil(in_view, timeout=WAIT_MS)
    window.close()
