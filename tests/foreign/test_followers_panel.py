"""The window's Followers: the library's tracking rows, with positions and lag."""

from __future__ import annotations

from pathlib import Path

from explorer.store.event_store import EventStore
from explorer.ui.session import StoreSummary
from explorer.ui.widgets.followers_panel import NO_LOG, UNKNOWN_LAG, FollowersPanel
from explorer.ui.worker import JobContext, StoreWorker
from tests.foreign.bank import bank, follow_bank

WAIT_MS = 10_000


def summary_of(path: Path) -> StoreSummary:
    return StoreSummary(str(path), True, 0, [], [], 0, 0)


def opened_on(worker: StoreWorker, qtbot, path: Path) -> None:
    def open_it(context: JobContext) -> None:
        context.set_store(EventStore.open(path))

    with qtbot.wait_signal(worker.busy_changed, timeout=WAIT_MS,
                           check_params_cb=lambda busy: not busy):
        worker.submit(open_it)


def cells(panel: FollowersPanel) -> list[list[str]]:
    model = panel.model
    return [[model.index(row, column).data() for column in range(model.columnCount())]
            for row in range(model.rowCount())]


def test_followers_show_with_their_position_and_lag(tmp_path: Path, qtbot, qtmodeltester):
    auditor = follow_bank(tmp_path, accounts=3)
    with bank(tmp_path / "bank.db") as app:
        app.open_account("late")  # the Bank moved on while its follower was stopped
    worker = StoreWorker()
    panel = FollowersPanel(worker)
    qtbot.addWidget(panel)
    try:
        opened_on(worker, qtbot, auditor)
        with qtbot.wait_signal(panel.presence_changed, timeout=WAIT_MS,
                               check_params_cb=bool):
            panel.show_store(summary_of(auditor))
        assert cells(panel) == [["Bank", "3", "1", "bank.db"]]
        qtmodeltester.check(panel.model)
        (tmp_path / "bank.db").rename(tmp_path / "moved.db")
        with qtbot.wait_signal(panel.presence_changed, timeout=WAIT_MS):
            panel.reload()
        assert cells(panel) == [["Bank", "3", UNKNOWN_LAG, NO_LOG]]
        opened_on(worker, qtbot, tmp_path / "moved.db")  # the Bank's own file follows nothing
        with qtbot.wait_signal(panel.presence_changed, timeout=WAIT_MS,
                               check_params_cb=lambda shown: not shown):
            panel.show_store(summary_of(tmp_path / "moved.db"))
        with qtbot.wait_signal(panel.presence_changed, timeout=WAIT_MS) as shown:
            panel.reload()
        assert shown.args == [False] and cells(panel) == []
    finally:
        worker.shutdown()
