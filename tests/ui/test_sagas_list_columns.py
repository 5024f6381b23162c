"""The Sagas tab's list always shows each saga's id, first: the user needs it to open the saga
(in the command console, `state`, a watch), whatever columns of its own the saga declares."""

from __future__ import annotations

from explorer.ui.widgets.sagas_panel import LIST_COLUMNS
from tests.ui.conftest import WAIT_MS
from tests.ui.test_saga_count import counted_sagas_panel


def test_a_saga_with_columns_of_its_own_is_listed_with_its_id_first(window, qtbot,
                                                                    qtmodeltester):
    """(The shop's saga declares order_id: the list showed order_id, status ..., no saga id.)"""
    panel = counted_sagas_panel(window, qtbot)
    model = panel.list_model
    qtbot.waitUntil(lambda: model.row(0) is not None, timeout=WAIT_MS)
    assert model.columns == ["saga_id", "order_id", *LIST_COLUMNS]
    assert model.headers()[0] == "saga id" and not panel.list.isColumnHidden(0)
    row = model.row(0)
    assert row is not None
    assert model.index(0, 0).data() == row["saga_id"]
    assert row["saga_id"].endswith(row["order_id"])  # (the shop's ids: fulfilment-order_...)
    qtmodeltester.check(model)
