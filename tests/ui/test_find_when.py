"""Find when in the window: the bar searches on a worker, marks every switch on the timeline,
sends the cursor to the first switch to true and from switch to switch; errors move nothing."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from explorer.projections import ReadModelDatabase, read_model_path
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.when import FindWhen
from tests.ui.conftest import (
    SHOP,
    WAIT_MS,
    last_position,
    open_shop,
    wait_for_moment,
    wait_for_read_models,
)

STREAM, CONDITION = "prod_101", "state.reserved > 0"


def expected(path, target=STREAM, condition=CONDITION, readmodels=None):
    with open_shop(path, read_only=True) as store:
        return FindWhen(TimeMachine(store, readmodels, SHOP)).switches(target, condition)


def search(qtbot, window, target, condition):
    window.find_when_action.trigger()
    bar = window.find_when
    assert bar.isVisible() and bar.condition.hasFocus()
    bar.target.setEditText(target)
    bar.condition.setText(condition)
    with qtbot.wait_signal(bar.searched, timeout=WAIT_MS) as found:
        qtbot.keyClick(bar.condition, Qt.Key.Key_Return)
    return found.args[0]


def test_switches_are_marked_counted_and_the_cursor_goes_to_the_first_to_true(
        travelling, qtbot, seeded):
    window = travelling
    answer = expected(seeded)
    assert len(answer.switches) >= 3
    window.travel.go_to(1)
    wait_for_moment(qtbot, window, 1)
    found = search(qtbot, window, STREAM, CONDITION)
    assert found.switches == answer.switches
    positions, became = window.timeline.switches
    assert positions.tolist() == answer.positions
    assert became.tolist() == [s.became for s in answer.switches]
    qtbot.waitUntil(lambda: window.timeline.plot is not None, timeout=WAIT_MS)
    plot = window.timeline.plot
    assert plot.by_time
    with open_shop(seeded, read_only=True) as store:  # marked at their events' times
        times = {s.position: store.timestamp_at(s.position) / 1e6 for s in answer.switches}
    for way, item in plot.switch_marks.items():  # one mark a pixel at most
        marked = {round(float(x), 3) for x in item.data["x"]}
        assert marked and marked <= {round(times[s.position], 3) for s in answer.switches
                                     if s.became == way}
    first = answer.first()
    wait_for_moment(qtbot, window, first.position)
    status = window.find_when.status.whole_text()
    to_true = sum(s.became for s in answer.switches)
    assert f"{len(answer.switches)} switches" in status and f"{to_true} to true" in status
    assert f"at {first.position:,} (1 of {len(answer.switches)})" in status


def test_enter_and_shift_enter_go_to_the_next_and_previous_switch(travelling, qtbot, seeded):
    window = travelling
    answer = expected(seeded)
    window.travel.go_to(1)
    wait_for_moment(qtbot, window, 1)
    search(qtbot, window, STREAM, CONDITION)
    bar = window.find_when
    wait_for_moment(qtbot, window, answer.switches[0].position)
    second = answer.switches[1]
    qtbot.keyClick(bar.condition, Qt.Key.Key_Return)
    wait_for_moment(qtbot, window, second.position)
    assert ("to false" if not second.became else "to true") in bar.status.whole_text()
    assert f"(2 of {len(answer.switches)})" in bar.status.whole_text()
    qtbot.keyClick(bar.condition, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    wait_for_moment(qtbot, window, answer.switches[0].position)
    qtbot.keyClick(bar.condition, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert "no switch before the cursor" in bar.status.whole_text()
    assert window.travel.position == answer.switches[0].position


def test_a_read_model_target_marks_its_rows_switches(travelling, qtbot, seeded):
    window = travelling
    wait_for_read_models(qtbot, seeded)
    condition = 'total > 100 and status = "paid"'
    found = search(qtbot, window, "order_summary", condition)
    with ReadModelDatabase(read_model_path(str(seeded), False), read_only=True) as readmodels:
        answer = expected(seeded, "order_summary", condition, readmodels)
    assert found.kind == "read model" and found.switches == answer.switches
    assert window.timeline.switches[0].tolist() == found.positions
    assert found.switches, "the seeded store has paid orders over 100"
    wait_for_moment(qtbot, window, found.first().position)  # none after the end: from the start


@pytest.mark.parametrize(("target", "condition", "field", "says"), [
    (STREAM, "state.reserved >", "condition", "column"),
    (STREAM, "state.no_such_field = 1", "condition", "state.no_such_field"),
    ("no_such_stream", "state.x = 1", "target", "'no_such_stream' is not a stream"),
])
def test_errors_are_said_under_their_field_and_nothing_moves(travelling, qtbot, target,
                                                             condition, field, says):
    window = travelling
    bar = window.find_when
    window.find_when_action.trigger()
    bar.target.setEditText(target)
    bar.condition.setText(condition)
    position = window.travel.position
    with qtbot.wait_signal(bar.failed, timeout=WAIT_MS) as failed:
        qtbot.keyClick(bar.condition, Qt.Key.Key_Return)
    assert says in failed.args[0]
    bubble = bar.target_problem if field == "target" else bar.condition_problem
    assert bubble.isVisible() and says in bubble.text()
    assert window.travel.position == position and window.travel.live
    assert not any(len(marks) for marks in window.timeline.switches)


def test_escape_closes_the_bar_and_clears_the_marks(travelling, qtbot, seeded):
    window = travelling
    search(qtbot, window, STREAM, CONDITION)
    assert len(window.timeline.switches[0])
    qtbot.keyClick(window.find_when.condition, Qt.Key.Key_Escape)
    assert not window.find_when.isVisible()
    assert not any(len(marks) for marks in window.timeline.switches)


def test_the_bar_is_prefilled_with_the_selected_stream(travelling, qtbot):
    window = travelling
    window.browser.show_stream(STREAM)
    qtbot.waitUntil(lambda: window.browser.view.stream_id == STREAM, timeout=WAIT_MS)
    window.find_when_action.trigger()
    assert window.find_when.target.currentText() == STREAM


def test_a_hundred_thousand_switches_are_drawn_one_mark_a_pixel_and_all_when_zoomed_in(qtbot):
    """Marks thinned to the pixel columns in view (drawing 100,000 stalled the window a third
    of a second); zoomed in, every switch in view has its mark."""
    from array import array

    from explorer.timetravel.machine import TimelineSamples
    from explorer.ui.widgets.timeline_plot import TimelinePlot

    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(800, 120)
    plot.show()
    qtbot.waitExposed(plot)
    sampled = range(1, 1_000_011, 1_000)
    plot.set_by_time(False)
    plot.set_samples(TimelineSamples(array("q", sampled), array("q", [p * 10 for p in sampled]),
                                     array("b", [0] * len(sampled)), ("Order",), 1_000))
    positions = list(range(10, 1_000_010, 10))
    became = [index % 2 == 0 for index in range(len(positions))]
    plot.set_switches(positions, became)
    columns = plot.getViewBox().width()
    for way, item in plot.switch_marks.items():
        xs = item.data["x"]
        assert 0 < len(xs) <= columns
        assert set(xs.astype(int)) <= {p for p, b in zip(positions, became, strict=True)
                                         if b == way}
    plot.setXRange(500_000, 501_000, padding=0)
    plot._rebin()
    in_view = [p for p in positions if 500_000 <= p <= 501_000]
    marked = sorted(int(x) for item in plot.switch_marks.values() for x in item.data["x"])
    assert marked == in_view


def test_by_time_a_switch_is_marked_at_its_events_time_where_the_cursor_goes(qtbot):
    """Where a bucket's events lie between the timeline's samples (here 1 to 50 in 14 s),
    interpolating positions put a switch's mark up to a bucket away from the cursor gone to it
    (seen 1.7 s to its right): by time, marks are at their events' times, as the cursor is."""
    from array import array

    from explorer.timetravel.machine import TimelineSamples
    from explorer.ui.widgets.timeline_plot import TimelinePlot

    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(800, 120)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_by_time(True)
    plot.set_samples(TimelineSamples(array("q", [1, 50]), array("q", [20_000_000, 34_000_000]),
                                     array("b", [0, 0]), ("Order",), 1))
    times = np.array([32_000_000, 33_300_000], dtype=np.int64)
    plot.set_switches(np.array([48, 49]), np.array([True, False]), times)
    assert plot.switch_marks[True].data["x"].tolist() == [32.0]
    assert plot.switch_marks[False].data["x"].tolist() == [33.3]
    plot.set_cursor(48, 32_000_000)
    assert plot.cursor.value() == 32.0
    plot.set_switches(np.array([48]), np.array([True]), np.array([-1]))  # time unknown
    assert plot.switch_marks[True].data["x"].tolist() == [plot.x_of(48)]
    plot.set_by_time(False)
    plot.set_switches(np.array([48, 49]), np.array([True, False]), times)
    assert plot.switch_marks[True].data["x"].tolist() == [48.0]


def test_a_read_models_switches_are_not_made_on_the_gui_thread(travelling, qtbot):
    """Marks and counts come from what the worker worked out (Found): making a hundred
    thousand Switches on the GUI thread, for them, stalled the window 400 ms."""
    from explorer.timetravel.when import RowSwitchList, Switches
    from explorer.ui.widgets.find_when import Found

    made = []

    class Counted(RowSwitchList):
        def __getitem__(self, index):
            made.append(index)
            return super().__getitem__(index)

        def __iter__(self):
            made.append("all")
            return super().__iter__()

    window = travelling
    last = window.travel.last_position
    rows = Counted(sorted((1 + i % last, (f"order_{i}",), i % 2 == 0) for i in range(10_000)))
    found = Found.of(Switches("order_summary", "read model", "total > 1", 0, rows))
    made.clear()
    window.find_when_action.trigger()
    window.find_when._found(("order_summary", "total > 1"), found)
    assert made.count("all") == 0 and len(made) <= 3  # the one gone to, looked at
    assert "10,000 switches" in window.find_when.status.whole_text()
    assert "5,000 to true" in window.find_when.status.whole_text()


def test_the_status_line_is_never_cut_at_its_edge(travelling, qtbot):
    """At 1400x900 the status said more than its width and was cut mid-word: the parts that do
    not fit are left out, an ellipsis says so, and the tooltip has the whole line."""
    from explorer.timetravel.when import Switch, Switches
    from explorer.ui.widgets.find_when import Found

    window = travelling
    window.resize(1400, 900)
    window.find_when_action.trigger()
    bar = window.find_when
    switches = tuple(Switch(p, p % 2 == 1, STREAM, "StockReserved", STREAM)
                     for p in range(1, 40))
    found = Switches(STREAM, "stream", CONDITION, 0, switches, truncated=True,
                     notes=("events of a type this system no longer knows were skipped",
                            "the stream's snapshots were not used"))
    bar._found((STREAM, CONDITION), Found.of(found))
    qtbot.waitUntil(lambda: bar.status.width() > 0, timeout=WAIT_MS)
    status = bar.status
    whole = status.whole_text()
    assert "snapshots were not used" in whole and status.toolTip() == whole
    assert status._width_of(status.text()) <= status.contentsRect().width()
    assert status.elided() and status.text().endswith("…")
    assert "39 switches" in status.text()  # the count comes first, always shown
    status.resize(4000, status.height())
    assert status.text() == whole and not status.elided()


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # the popup, offscreen
def test_the_target_completes_stream_ids_by_prefix_a_few_at_a_time(travelling, qtbot, seeded):
    """Read models and `sagas` were offered, but no stream: stream ids that start with what is
    typed come from the store's stream index, at most COMPLETIONS of them."""
    from explorer.ui.widgets.find_when_targets import COMPLETIONS

    window = travelling
    window.find_when_action.trigger()
    bar = window.find_when
    bar.target.setEditText("")
    bar.target_field.setFocus()
    qtbot.keyClicks(bar.target_field, "PROD_1")
    offered = bar.completer.names
    qtbot.waitUntil(lambda: any(n.startswith("prod_1") for n in offered.stringList()),
                    timeout=WAIT_MS)
    with open_shop(seeded, read_only=True) as store:
        expected_ids = [s.stream_id for s in store.list_streams()
                        if s.stream_id.lower().startswith("prod_1")][:COMPLETIONS]
    streams = [n for n in offered.stringList() if n not in bar.completer.fixed]
    assert streams == expected_ids and 0 < len(streams) <= COMPLETIONS
    assert "order_summary" in offered.stringList()  # the read models stay offered
    qtbot.keyClicks(bar.target_field, "0")
    qtbot.waitUntil(lambda: bar.completer.asked == "PROD_10", timeout=WAIT_MS)
    assert all(n.lower().startswith("prod_10")
               for n in offered.stringList() if n not in bar.completer.fixed)


def test_a_condition_comparing_an_object_with_a_number_is_warned_of_under_the_field(
        travelling, qtbot):
    """`state.reservations > 0` where reservations is an object (a list alike) gave SQLite's
    order across types silently (true wherever there is one); the search runs, and the warning
    names the type seen and what to write."""
    window = travelling
    search(qtbot, window, STREAM, "state.reservations > 0")
    bubble = window.find_when.condition_problem
    assert bubble.isVisible() and bubble.kind == "warning"
    assert "state.reservations holds objects, but 0 is a number" in bubble.text()
    assert "Name a field inside it" in bubble.text()
    search(qtbot, window, STREAM, CONDITION)
    assert not bubble.isVisible()


def test_the_search_shown_is_run_again_when_the_log_grows_and_the_cursor_stays(
        travelling, qtbot, seeded):
    from explorer.domain import CommandService

    window = travelling
    last = last_position(seeded)
    with open_shop(seeded, read_only=True) as store:
        on_hand = TimeMachine(store, None, SHOP).aggregate_at(STREAM, last).state["on_hand"]
    condition = f"state.on_hand >= {on_hand + 7}"  # true once 7 more are received
    before = search(qtbot, window, STREAM, condition)
    bar = window.find_when
    window.travel.pause()
    window.travel.go_to(5)
    wait_for_moment(qtbot, window, 5)
    with qtbot.wait_signal(bar.searched, timeout=WAIT_MS) as again, \
            open_shop(seeded) as store:
        CommandService(store, SHOP.domain, issued_by="test").execute(
            "Inventory", STREAM, "receive_stock", {"quantity": 7})
    grown = again.args[0]
    assert grown.positions == [*before.positions, last + 1]
    assert grown.switches[-1].became
    assert window.timeline.switches[0].tolist() == grown.positions
    assert f"{len(grown.switches)} switch" in bar.status.whole_text()
    assert window.travel.position == 5


def test_by_time_a_compare_mark_set_at_the_cursor_stands_where_the_cursor_does(qtbot):
    """Set at the cursor (Time > Set Mark A at Cursor), a mark stood where the samples put its
    position, up to a bucket from the cursor; it is drawn at the cursor's time, whether that
    time is known before the mark is set or after."""
    from array import array

    from explorer.timetravel.machine import TimelineSamples
    from explorer.ui.widgets.timeline_plot import TimelinePlot

    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(800, 120)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_by_time(True)
    plot.set_samples(TimelineSamples(array("q", [1, 50]), array("q", [20_000_000, 34_000_000]),
                                     array("b", [0, 0]), ("Order",), 1))
    plot.set_cursor(48, 32_000_000)
    plot.set_moment_mark("A", 48)
    assert plot.moment_marks["A"].value() == 32.0
    plot.set_cursor(49)  # moved: its time not read yet
    plot.set_moment_mark("B", 49)
    plot.set_cursor(49, 33_300_000)
    assert plot.moment_marks["B"].value() == 33.3
    plot.set_cursor(10, 21_000_000)
    plot._rebin()
    assert (plot.moment_marks["A"].value(), plot.moment_marks["B"].value()) == (32.0, 33.3)
    plot.set_moment_mark("A", 20)  # elsewhere than the cursor: where its position is
    assert plot.moment_marks["A"].value() == plot.x_of(20)
    plot.set_by_time(False)
    assert plot.moment_marks["B"].value() == 49.0


def test_a_target_holding_a_nul_completes_no_stream_id(seeded):
    """A NUL pasted into the target completes nothing: the store refuses a stream filter
    holding one (SQLite's LIKE ended the pattern there), which the completer, raising what is
    not a StoreError, would have made an unexpected error."""
    from explorer.ui.widgets.find_when_targets import stream_ids_starting

    with open_shop(seeded, read_only=True) as store:
        machine = TimeMachine(store, None, SHOP)
        assert stream_ids_starting(machine, "prod_") and stream_ids_starting(machine, "p*r")
        assert stream_ids_starting(machine, "prod_\x00") == []
        assert stream_ids_starting(machine, "\x00") == []
