"""While the time cursor is in the past, the Sagas and Projections tabs say that their lists are
as of now: they show the read models with every event, the banner above says "later events not
applied", and the As of Cursor tab shows the sagas as they were (order_087 "running" there,
"completed" in the Sagas tab, with nothing saying which is which)."""

from __future__ import annotations

from tests.ui.conftest import WAIT_MS, last_position, wait_for_moment
from tests.ui.test_panels import caught_up

NOW = " — now, not as of the cursor"


def test_the_sagas_and_projections_counts_say_now_while_the_cursor_is_in_the_past(window,
                                                                                 qtbot, seeded):
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    sagas, projections = window.sagas_panel, window.projections_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(projections))
    qtbot.waitUntil(lambda: projections.rows_label.text().endswith(" rows"), timeout=WAIT_MS)
    window.bottom_tabs.setCurrentIndex(window.tab_of(sagas))
    qtbot.waitUntil(lambda: sagas.count_label.text() == "300 sagas", timeout=WAIT_MS)
    past = last_position(seeded) // 2
    window.travel_to(past)
    wait_for_moment(qtbot, window, past)
    qtbot.waitUntil(lambda: sagas.count_label.text() == "300 sagas" + NOW, timeout=WAIT_MS)
    assert f"position {past:,}" in sagas.count_label.toolTip()
    assert "As of Cursor" in sagas.count_label.toolTip()
    assert projections.rows_label.text().endswith(" rows" + NOW)
    window.travel.back_to_live()
    qtbot.waitUntil(lambda: sagas.count_label.text() == "300 sagas", timeout=WAIT_MS)
    assert projections.rows_label.text().endswith(" rows")
    assert not sagas.count_label.toolTip()
