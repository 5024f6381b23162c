"""The window says when its server store's connection is lost: the change watcher tells
(reconnecting True, then False once it is back, the list going on from where it was) and the
status bar shows "Reconnecting…" over what it follows until then."""

from __future__ import annotations

import shlex

from PySide6.QtWidgets import QStatusBar

from explorer.store import EventStore, NewEvent
from explorer.ui.cursor_moves import CursorStatus
from explorer.ui.window.status_bar import WindowStatus
from explorer.ui.worker import ChangeWatcher
from tests.postgres.test_reconnect import own_server, pg_ctl  # noqa: F401  (a fixture)

WAIT_MS = 30_000


def test_the_change_watcher_says_when_the_connection_is_lost_and_back(qtbot, own_server):  # noqa: F811
    url = own_server.url(schema="watched")
    options = shlex.split((own_server.data / "postmaster.opts").read_text())[3:]  # (no -D)
    with EventStore.open(url) as writer:
        writer.append("o", "Order", [NewEvent("Placed", {})])
    watcher = ChangeWatcher(url, since=0, interval_s=0.01)
    told: list[bool] = []
    watcher.reconnecting.connect(told.append)
    try:
        with qtbot.waitSignal(watcher.changed, timeout=WAIT_MS):  # (watching: it saw 1)
            watcher.start()
        with qtbot.waitSignal(watcher.reconnecting, timeout=WAIT_MS,
                              check_params_cb=lambda lost: lost):
            pg_ctl(own_server, "-m", "fast", "stop")
        with qtbot.waitSignal(watcher.reconnecting, timeout=WAIT_MS,
                              check_params_cb=lambda lost: not lost):
            pg_ctl(own_server, "-o", shlex.join(options), "start")
        with qtbot.waitSignal(watcher.changed, timeout=WAIT_MS) as appended, \
                EventStore.open(url) as writer:
            writer.append("o", "Order", [NewEvent("Paid", {})], 1)
        assert appended.args == [2]  # on from where it was
    finally:
        watcher.stop()
    assert told == [True, False]


def test_the_status_bar_shows_reconnecting_over_what_it_follows(qtbot):
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = WindowStatus(bar)
    live = CursorStatus(True, 5, 5, None)
    status.reconnecting = True
    status.show_following(live, True, 0, live_keys="F5", to_live_keys="End")
    assert status.live_label.text() == "⟳ Reconnecting…"
    assert "connection to the server was lost" in status.live_label.toolTip()
    status.reconnecting = False
    status.show_following(live, True, 0, live_keys="F5", to_live_keys="End")
    assert status.live_label.text() == "● Live"
