"""The compare marks A and B on the timeline can both be read when they are close: their labels
stand at different heights, so that B's never covers A's."""

from __future__ import annotations

from tests.ui.conftest import WAIT_MS


def test_close_marks_show_both_labels(travelling, qtbot):
    window = travelling
    timeline = window.timeline
    qtbot.waitUntil(lambda: timeline.plot is not None, timeout=WAIT_MS)
    last = window.travel.last_position
    a, b = last * 2_985 // 6_600, last * 3_002 // 6_600  # as close as the tester's
    timeline.show_moment_mark("A", a)
    timeline.show_moment_mark("B", b)
    plot = timeline.plot
    labels = {name: plot.moment_marks[name].label for name in "AB"}

    def apart() -> None:
        rects = {name: label.sceneBoundingRect() for name, label in labels.items()}
        assert all(label.isVisible() for label in labels.values())
        assert all(rect.width() > 0 for rect in rects.values())
        assert abs(rects["A"].center().x() - rects["B"].center().x()) < rects["A"].width()
        assert not rects["A"].intersects(rects["B"]), rects
    qtbot.waitUntil(apart, timeout=WAIT_MS)
