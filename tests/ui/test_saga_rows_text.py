"""What the saga lists and the "As of cursor" notes say: a finished saga has no current step;
an empty read model or saga list says so."""

from __future__ import annotations

from explorer.timetravel.machine import Moment, ReadModelAt
from explorer.ui.widgets.moment_panel import MomentPanel

COMPLETED = {"order_id": "order_36899", "saga_id": "fulfilment-order_36899",
             "status": "completed", "current_step": "dispatch prod_123, dispatch prod_110",
             "valid_from": 7}
RUNNING = {"order_id": "order_37102", "saga_id": "fulfilment-order_37102", "status": "running",
           "current_step": "reserve prod_109", "valid_from": 9}
FAILED = {**RUNNING, "order_id": "order_1", "saga_id": "fulfilment-order_1", "status": "failed",
          "current_step": "refund payment"}
COMPENSATED = {**FAILED, "status": "compensated"}


def moment(sagas: list[dict], rows: list[dict]) -> Moment:
    return Moment(9, None, None, {"orders": ReadModelAt("orders", "Orders", rows, 9, 9)},
                  ReadModelAt("sagas", "Order fulfilment sagas", sagas, 9, 9))


def test_the_as_of_cursor_sagas_show_a_current_step_only_while_running(qtbot):
    panel = MomentPanel()
    qtbot.add_widget(panel)
    panel.show_moment(moment([RUNNING, COMPLETED, FAILED, COMPENSATED], [{"a": 1}]))
    model = panel.sagas_model
    column = model.columns.index("current_step")
    assert model.headers()[column] == "current step"
    shown = [(model.index(row, 0).data(), model.index(row, column).data())
             for row in range(model.rowCount())]
    assert shown == [("order_37102", "reserve prod_109"), ("order_36899", ""),
                     ("order_1", ""), ("order_1", "")]


def test_the_sagas_tab_shows_a_current_step_only_while_running(window):
    model = window.sagas_panel.list_model
    assert model.value(RUNNING, "current_step") == "reserve prod_109"
    for finished in (COMPLETED, FAILED, COMPENSATED):
        assert model.value(finished, "current_step") is None


def test_an_empty_read_model_and_saga_list_say_there_is_nothing(qtbot):
    panel = MomentPanel()
    qtbot.add_widget(panel)
    panel.show_moment(moment([], []))
    assert panel.read_model_note.text() == "No rows as of position 9"
    assert panel.sagas_note.text() == "No sagas"
    panel.show_moment(moment([RUNNING], [{"a": 1}, {"a": 2}]))
    assert panel.read_model_note.text() == "All 2 rows as of position 9, latest changes first"
    assert panel.sagas_note.text() == "All 1"
