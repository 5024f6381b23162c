"""The Sagas tab's list in a narrow window keeps its sagas told apart: each saga's key (the
shop's order id) whole, and its id cut in the middle no shorter than READABLE characters; where
the room is short, the steps column's long texts ("3/6 done, 2 compensated, 1 failed") are cut at
their end first, whole on hover. At 1024x700 the demo's ids were 'ful…001' and its order ids
'ord…001', while every steps text was whole."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from explorer.ui.widgets.tables import READABLE, TIGHT
from tests.ui.conftest import WAIT_MS
from tests.ui.test_saga_count import counted_sagas_panel
from tests.ui.test_sagas_list_fits import SIZES, shown_list


def narrowed(panel, qtbot, width: int) -> None:
    """The list `width` pixels wide (as in a narrower window, or a split moved)."""
    total = sum(panel.split.sizes())
    panel.split.setSizes([width, total - width])
    qtbot.waitUntil(lambda: panel.list.viewport().width() <= width, timeout=WAIT_MS)


@pytest.mark.parametrize("size", SIZES)
def test_the_key_is_whole_and_the_id_readable_in_a_narrow_list(window, qtbot, size):
    counted_sagas_panel(window, qtbot)
    panel = shown_list(window, qtbot, size, "300 sagas")
    view, model = panel.list, panel.list_model
    metrics = view.fontMetrics()
    readable = READABLE * metrics.averageCharWidth() + TIGHT
    rows = model.loaded_rows(100)
    saga_id, key, steps = (model.columns.index(name) for name in ("saga_id", "order_id",
                                                                    "steps"))
    widest_key = max(metrics.horizontalAdvance(row["order_id"]) for row in rows)

    def readable_ids() -> None:
        assert view.columnWidth(key) >= widest_key + 8, (view.columnWidth(key), widest_key)
        assert view.columnWidth(saga_id) >= min(panel.fit.natural[saga_id], readable)
        right = view.columnViewportPosition(steps) + view.columnWidth(steps)
        assert right <= view.viewport().width()  # (the steps' texts cut, not out of view)

    qtbot.waitUntil(readable_ids, timeout=WAIT_MS)  # the window's list
    narrowed(panel, qtbot, 400)  # and one narrower still
    qtbot.waitUntil(readable_ids, timeout=WAIT_MS)
    for row in range(len(rows)):  # a steps text cut is whole on hover
        index = model.index(row, steps)
        assert index.data(Qt.ItemDataRole.ToolTipRole) == index.data()
