"""The sagas panel's errors belong to the request that failed: an error of a list the user has
left since (another status, search or saga) must not replace the list shown now."""

from __future__ import annotations

import threading

from explorer.projections import SearchNotReadyError
from explorer.sagas.list_count import SagaListCounts
from tests.ui.conftest import WAIT_MS
from tests.ui.test_saga_count import counted_sagas_panel


def test_a_stale_counts_error_does_not_replace_the_list_shown_now(window, qtbot, monkeypatch):
    panel = counted_sagas_panel(window, qtbot)
    release, counting = threading.Event(), threading.Event()
    counted = SagaListCounts.count

    def failing_late(self, readmodels, table, projection, where=None, *args, **kwargs):
        if where == {"status": "completed"}:  # the list the user leaves: fails, late
            counting.set()
            assert release.wait(WAIT_MS / 1000), "the test never let the count finish"
            raise SearchNotReadyError("the completed sagas' count failed")
        return counted(self, readmodels, table, projection, where, *args, **kwargs)

    monkeypatch.setattr(SagaListCounts, "count", failing_late)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("completed"))
    qtbot.waitUntil(counting.is_set, timeout=WAIT_MS)  # more than a page: counted apart
    try:
        # the user moves on to the compensated sagas (fewer than a page: listed at once)
        panel.status_filter.setCurrentIndex(panel.status_filter.findData("compensated"))
        qtbot.waitUntil(lambda: panel.count_label.text().endswith(" compensated"),
                        timeout=WAIT_MS)
        shown = panel.count_label.text()
        total = int(shown.split()[0])
        assert 0 < total < 100
        qtbot.waitUntil(lambda: panel.list_model.row(total - 1) is not None, timeout=WAIT_MS)
    finally:
        with qtbot.waitSignal(panel.counter.failed, timeout=WAIT_MS):
            release.set()
    # the completed list's error came after: it is let go
    assert panel.count_label.text() == shown
    assert panel.list_model.rowCount() == total
    assert panel.list_model.row(0)["status"] == "compensated"
