"""The one single-shot timer helper: a call once after a pause, restarted by each start."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject

from explorer.ui.timers import single_shot


def test_restarts_make_one_call_after_the_last(qtbot):
    owner = QObject()
    calls = []
    timer = single_shot(owner, 30, lambda: calls.append(len(calls)))
    assert timer.isSingleShot() and not timer.isActive() and timer.interval() == 30
    for _ in range(5):  # a burst of starts, as typing gives: one call after the burst
        timer.start()
    qtbot.waitUntil(lambda: calls == [0], timeout=5_000)
    assert not timer.isActive()  # once: it does not repeat


def test_stop_drops_the_pending_call_and_the_owner_ends_it(qtbot):
    owner = QObject()
    calls = []
    timer = single_shot(owner, 0, lambda: calls.append("called"))
    timer.start()
    timer.stop()
    later = single_shot(owner, 0, lambda: calls.append("later"))
    later.start()
    qtbot.waitUntil(lambda: calls == ["later"], timeout=5_000)
    assert timer.parent() is owner


def test_a_negative_interval_is_refused_with_what_to_give():
    with pytest.raises(ValueError, match="give 0 or more"):
        single_shot(QObject(), -1, lambda: None)
