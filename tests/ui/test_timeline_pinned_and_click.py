"""The timeline at the last event while not following the log, and a click on its slider."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionSlider

from explorer.domain import CommandService
from tests.conftest import place_order
from tests.ui.conftest import SHOP, WAIT_MS, last_position, open_shop, wait_for_moment


def test_pinned_at_the_last_event_is_not_called_the_past(travelling, qtbot, seeded):
    window = travelling
    bar = window.timeline
    last = last_position(seeded)
    window.travel.go_to(50)
    wait_for_moment(qtbot, window, 50)
    window.travel.go_to_time(4_102_444_800_000_000)  # 2100: after the last event
    wait_for_moment(qtbot, window, last)
    qtbot.waitUntil(lambda: "Pinned" in bar.banner_label.text(), timeout=WAIT_MS)
    assert not window.travel.live and not bar.banner.isHidden()
    banner = bar.banner_label.text()
    assert banner.startswith(f"<b>Pinned at the last event</b>: position {last:,} · ")
    assert banner.endswith("UTC — new events are not followed.")
    assert "past" not in banner and "later event" not in banner
    assert window.live_label.text() == f"◷ Pinned at the last event · position {last:,}"
    assert "past" not in window.live_label.toolTip()

    with open_shop(seeded) as store:  # a new event: now the cursor is in the past
        place_order(CommandService(store, SHOP.domain, issued_by="test"), "order_after_pin")
    qtbot.waitUntil(lambda: window.travel.last_position > last, timeout=WAIT_MS)
    later = window.travel.last_position - last
    qtbot.waitUntil(lambda: "Viewing the past" in bar.banner_label.text(), timeout=WAIT_MS)
    assert f"{later:,} later event" in bar.banner_label.text()
    assert window.live_label.text().startswith(f"◷ Viewing the past · position {last:,} of ")


def groove_point(slider, value: int) -> QPoint:
    """Where on the slider's groove (off the handle) `value` lies."""
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    style = slider.style()
    groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                  QStyle.SubControl.SC_SliderGroove, slider)
    handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                  QStyle.SubControl.SC_SliderHandle, slider)
    span = groove.width() - handle.width()
    x = groove.x() + handle.width() // 2 + QStyle.sliderPositionFromValue(
        slider.minimum(), slider.maximum(), value, span)
    return QPoint(x, groove.center().y())


def test_a_click_on_the_slider_goes_where_it_clicks(travelling, qtbot, seeded):
    window = travelling
    slider = window.timeline.slider
    last = last_position(seeded)
    assert slider.value() == last and slider.pageStep() < last // 4
    target = last // 4
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=groove_point(slider, target))
    tolerance = max(2, last // slider.width() * 2)  # a pixel's worth of positions, or two
    assert abs(slider.value() - target) <= tolerance  # not one page step from the end
    landed = slider.value()
    wait_for_moment(qtbot, window, landed)
    assert not window.travel.live

    slider.setFocus()  # the keys still move a page
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    assert slider.value() == landed + slider.pageStep()
    wait_for_moment(qtbot, window, landed + slider.pageStep())

    start = slider.value()  # and dragging the handle still drags
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=groove_point(slider, start))
    assert slider.isSliderDown()
    qtbot.mouseMove(slider, groove_point(slider, last // 2))
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=groove_point(slider, last // 2))
    assert not slider.isSliderDown()
    assert abs(slider.value() - last // 2) <= tolerance
    wait_for_moment(qtbot, window, slider.value())
