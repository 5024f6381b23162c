"""The play button says where playing starts: from the cursor, or (at the last event, where
play starts over) from the first event."""

from __future__ import annotations

from tests.ui.conftest import WAIT_MS


def test_the_play_button_says_where_it_plays_from(window, qtbot):
    bar, travel = window.timeline, window.timeline.travel
    qtbot.waitUntil(lambda: travel.last_position > 1
                    and travel.position == travel.last_position, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "first event" in bar.play_button.toolTip(), timeout=WAIT_MS)
    travel.go_to(2)
    qtbot.waitUntil(lambda: travel.position == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.play_button.toolTip() == "Play from here (Ctrl+Space)",
                    timeout=WAIT_MS)
    travel.play()
    assert bar.play_button.toolTip() == "Pause (Ctrl+Space)"
    travel.pause()
    assert "Play from" in bar.play_button.toolTip()
