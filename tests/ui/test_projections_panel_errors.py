"""The projections panel's page errors belong to the list that asked: a page of a read model the
user has left since, failing late, must not put its error over the list shown now."""

from __future__ import annotations

import threading

from explorer.ui.widgets import projections_panel
from tests.ui.conftest import WAIT_MS
from tests.ui.test_panels import caught_up
from tests.ui.test_projection_count import flush_worker


def test_a_stale_page_error_does_not_replace_the_rows_shown_now(window, qtbot, monkeypatch):
    panel = window.projections_panel
    release, reading = threading.Event(), threading.Event()
    read = projections_panel.read_rows

    def failing_late(db, table, *args, **kwargs):
        if table.name == "order_summary":  # the list the user leaves: its page fails, late
            reading.set()
            assert release.wait(WAIT_MS / 1000), "the test never let the page finish"
            raise OSError("order_summary's page could not be read")
        return read(db, table, *args, **kwargs)

    monkeypatch.setattr(projections_panel, "read_rows", failing_late)
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)
    assert panel.selected == "order_summary"
    qtbot.waitUntil(reading.is_set, timeout=WAIT_MS)
    try:  # the user moves on to the stock read model, whose rows come
        panel.select("stock")
        qtbot.waitUntil(lambda: "product_id" in panel.rows_model.columns, timeout=WAIT_MS)
        shown = panel.rows_label.text()
        assert shown.endswith(" rows") and shown not in ("0 rows", "300 rows")
    finally:
        release.set()
    flush_worker(qtbot, window)  # (the order_summary page's error came back, after)
    assert panel.rows_label.text() == shown
    qtbot.waitUntil(lambda: panel.rows_model.row(0) is not None, timeout=WAIT_MS)
    assert "product_id" in panel.rows_model.columns
