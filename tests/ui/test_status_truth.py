"""The window's status tells the truth about the timeline's cursor, and the position box's
messages show without moving anything."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint

from explorer.common.formatting import short_time
from tests.ui.conftest import WAIT_MS, last_position, open_shop, wait_for_moment


def type_place(bar, text: str) -> None:
    bar.go_to.setFocus()
    bar.go_to.selectAll()
    bar.go_to.insert(text)  # as typing does: the box is modified
    bar.go_to.returnPressed.emit()


def test_the_status_bar_says_what_the_banner_says(travelling, qtbot, seeded):
    window = travelling
    last = last_position(seeded)
    assert "Live" in window.live_label.text() and window.timeline.banner.isHidden()
    window.travel.go_to(100)
    wait_for_moment(qtbot, window, 100)
    assert not window.timeline.banner.isHidden()
    assert "Viewing the past" in window.timeline.banner_label.text()
    assert window.live_label.text() == f"◷ Viewing the past · position 100 of {last:,}"
    assert "Live" not in window.live_label.text()
    window.toggle_live(False)  # the list's own pause is said too
    assert window.live_label.text().endswith("· list paused")
    window.toggle_live(True)
    window.travel.back_to_live()
    wait_for_moment(qtbot, window, last)
    assert window.live_label.text() == "● Live" and window.timeline.banner.isHidden()


def test_the_position_box_shows_the_cursor_after_every_move(travelling, qtbot, seeded):
    window = travelling
    bar = window.timeline
    last = last_position(seeded)
    assert bar.go_to.text() == f"{last:,}"
    type_place(bar, "25")
    wait_for_moment(qtbot, window, 25)
    assert bar.go_to.text() == "25"
    window.step_forward_action.trigger()
    wait_for_moment(qtbot, window, 26)
    assert bar.go_to.text() == "26"
    window.step_back_action.trigger()
    window.step_back_action.trigger()
    wait_for_moment(qtbot, window, 24)
    assert bar.go_to.text() == "24"
    bar.slider.setValue(1000)
    wait_for_moment(qtbot, window, 1000)
    assert bar.go_to.text() == "1,000"
    bar.live_button.click()
    wait_for_moment(qtbot, window, last)
    assert bar.go_to.text() == f"{last:,}"


def test_a_time_before_the_first_event_says_so_and_shows_the_first(travelling, qtbot, seeded):
    window = travelling
    bar = window.timeline
    with open_shop(seeded, read_only=True) as store:
        first = store.event_at(1).timestamp_us
    type_place(bar, "2001-01-01")
    wait_for_moment(qtbot, window, 1)
    qtbot.waitUntil(lambda: bar.problem.isVisible(), timeout=WAIT_MS)
    assert bar.problem.kind == "note"
    assert bar.problem.text() == (f"2001-01-01 00:00:00.000 UTC is before the first event "
                                  f"({short_time(first)} UTC): showing the first event.")
    assert bar.go_to.text() == "1"
    window.step_forward_action.trigger()  # the next move: the note has said its piece
    wait_for_moment(qtbot, window, 2)
    assert not bar.problem.isVisible()


def test_a_time_after_the_last_event_says_so_and_shows_the_last(travelling, qtbot, seeded):
    window = travelling
    bar = window.timeline
    last = last_position(seeded)
    window.travel.go_to(50)
    wait_for_moment(qtbot, window, 50)
    with open_shop(seeded, read_only=True) as store:
        last_us = store.event_at(last).timestamp_us
    type_place(bar, "2099-12-31T23:00:00Z")
    wait_for_moment(qtbot, window, last)
    qtbot.waitUntil(lambda: bar.problem.isVisible(), timeout=WAIT_MS)
    assert bar.problem.text() == (f"2099-12-31 23:00:00.000 UTC is after the last event "
                                  f"({short_time(last_us)} UTC): showing the last event.")
    assert bar.go_to.text() == f"{last:,}"


def layout_of(window) -> dict:
    """Where the widgets around the position box are, in window coordinates."""
    bar = window.timeline
    widgets = {"where": bar.where, "box": bar.go_to, "branch": bar.branch_button,
               "streams": window.stream_browser, "list": window.table,
               "filter": window.filter_bar.content}
    return {name: (widget.mapTo(window, QPoint(0, 0)), widget.size())
            for name, widget in widgets.items()}


@pytest.mark.parametrize(("typed", "says"), [
    ("2026-13-45", "'2026-13-45' is neither a position nor a valid date (month must be in "
                   "1..12); type e.g. 12345 or 2026-03-19 10:15:30 (UTC)."),
    ("-5", "'-5' is not a position: positions start at 1."),
    ("99999999", "Position 99,999,999 is not in the log"),
])
def test_a_bad_entry_shows_a_bubble_that_moves_nothing_until_the_next_success(
        travelling, qtbot, typed, says):
    window = travelling
    bar = window.timeline
    window.travel.go_to(30)
    wait_for_moment(qtbot, window, 30)
    before = layout_of(window)
    where = bar.where.text()
    type_place(bar, typed)
    assert layout_of(window) == before  # nothing moved, nothing narrowed
    assert bar.where.text() == where  # the Position label stays
    assert bar.problem.isVisible() and bar.problem.text().startswith(says)
    assert bar.problem.kind == "error"
    bubble, box = bar.problem.geometry(), bar.go_to
    below_box = box.mapTo(window, QPoint(0, box.height()))
    assert bubble.top() >= below_box.y() and bubble.right() <= window.width()
    assert window.travel.position == 30 and bar.go_to.text() == typed  # to correct it
    window.travel.back_to_live()  # Back to Live takes it away
    qtbot.waitUntil(lambda: window.travel.live and not bar.problem.isVisible(), timeout=WAIT_MS)
    type_place(bar, typed)
    assert bar.problem.isVisible()
    type_place(bar, "12")  # and so does the next entry that works
    assert not bar.problem.isVisible()
    wait_for_moment(qtbot, window, 12)


def test_editing_the_box_takes_the_error_away(travelling, qtbot):
    bar = travelling.timeline
    type_place(bar, "nonsense")
    assert bar.problem.isVisible()
    qtbot.keyClick(bar.go_to, "x")
    assert not bar.problem.isVisible()


def test_an_error_steps_aside_while_another_field_has_focus(travelling, qtbot):
    window = travelling
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    bar = window.timeline
    type_place(bar, "2026-13-45")
    qtbot.waitUntil(bar.go_to.hasFocus, timeout=WAIT_MS)
    assert bar.problem.isVisible()
    window.filter_bar.content.setFocus()  # the bubble would lie over the filter field
    qtbot.waitUntil(lambda: not bar.problem.isVisible(), timeout=WAIT_MS)
    bar.go_to.setFocus()  # back to the box still holding the bad entry: the error is back
    qtbot.waitUntil(bar.problem.isVisible, timeout=WAIT_MS)
    assert bar.problem.text().startswith("'2026-13-45' is neither a position")
