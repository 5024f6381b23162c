"""At 1000x700 the window fits with the "viewing the past" banner shown: the banner's text goes
on to more lines instead of widening the window, and is shown whole."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from tests.ui.conftest import WAIT_MS, last_position, wait_for_moment


def test_the_past_banner_wraps_within_a_1000_pixel_window(travelling, qtbot, seeded):
    window = travelling
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: window.width() == 1000 and window.height() == 700, timeout=WAIT_MS)
    window.travel.go_to(3)
    wait_for_moment(qtbot, window, 3)
    banner, label = window.timeline.banner, window.timeline.banner_label
    qtbot.waitUntil(lambda: banner.isVisible() and banner.height() > 0, timeout=WAIT_MS)
    for _ in range(3):  # the layouts' requests, posted by the banner's showing, are handled
        QApplication.processEvents()
        window.layout().activate()
    assert f"position 3 of {last_position(seeded):,}" in label.text()
    assert window.minimumSizeHint().width() <= 1000, window.minimumSizeHint()
    assert window.width() == 1000

    def whole() -> None:
        right = label.mapTo(window, label.rect().topRight()).x()
        assert right < window.width(), (right, window.width())
        assert label.height() >= label.heightForWidth(label.width()), label.size()
        assert label.mapTo(banner, label.rect().bottomLeft()).y() < banner.height()
    qtbot.waitUntil(whole, timeout=WAIT_MS)
    for widget in (window.timeline, window.filter_bar, window.status.live_label):
        assert widget.mapTo(window, widget.rect().topRight()).x() <= window.width(), widget


def test_the_cursors_position_and_time_are_whole_at_1000_pixels(travelling, qtbot, seeded):
    window = travelling
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: window.width() == 1000 and window.height() == 700, timeout=WAIT_MS)
    where = window.timeline.where
    window.travel.go_to(3)
    wait_for_moment(qtbot, window, 3)
    assert where.text().startswith("Position <b>3</b> of ") and " UTC" in where.text()

    def whole() -> None:
        assert where.isVisible() and where.shown_text() is None, where.shown_text()
        timeline = window.timeline
        assert timeline.height() >= timeline.layout().totalHeightForWidth(timeline.width())
        for part in (where, timeline.go_to, timeline.branch_button):
            place = part.mapTo(timeline, part.rect().bottomRight())
            assert timeline.rect().contains(place), (part, place, timeline.rect())
    qtbot.waitUntil(whole, timeout=WAIT_MS)
    assert window.width() == 1000
    hint = where.sizeHint()
    window.travel.go_to(1_000)  # a longer text: the label keeps its room (and its line)
    wait_for_moment(qtbot, window, 1_000)
    assert where.sizeHint() == hint
