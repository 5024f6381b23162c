"""The window on a small screen (800x600, 1024x600): it fits, its rows of controls going on to
another line instead of being cut off at the right; the tabs below scroll on a low screen."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from explorer.ui.layouts import STRETCH, wrapping
from explorer.ui.window.layout import LOW_SCREEN, default_size, first_size
from tests.ui.conftest import SHOP, WAIT_MS, last_position


def test_the_window_fits_an_800_by_600_screen(window, qtbot):
    least = window.minimumSizeHint()
    assert least.width() <= 800, least  # was 1,009: the filter row and the Commands tab
    assert least.height() <= 600, least  # was 647
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800 and window.height() == 600, timeout=WAIT_MS)
    # its rows on more lines at this width, and still within 600 pixels' height: the timeline
    # and the filters are given the lines they take (the tabs below scroll)
    window.right_split.setChildrenCollapsible(False)
    window.right_split.setSizes([1, 10_000])  # the list's pane as low as it may be

    def given_their_lines() -> None:
        for part in (window.timeline, window.filter_bar):
            assert part.height() >= part.layout().totalHeightForWidth(part.width()), part
    qtbot.waitUntil(given_their_lines, timeout=WAIT_MS)
    assert window.minimumSizeHint().height() <= 600, window.minimumSizeHint()
    bar = window.filter_bar
    shown = [w for w in (bar.types_button, bar.stream_type, bar.use_from, bar.from_time,
                         bar.use_to, bar.to_time, bar.clear_button) if w.isVisible()]
    assert len(shown) == 7
    inside = bar.rect()
    for widget in shown:  # each whole within the bar, none over another
        place = QRect(widget.mapTo(bar, widget.rect().topLeft()), widget.size())
        assert inside.contains(place), (widget, place, inside)
        assert widget.width() >= widget.minimumSizeHint().width()
    assert not any(a.geometry().intersects(b.geometry())
                   for a in shown for b in shown if a is not b and a.parent() is b.parent())
    assert len(lines(bar, shown)) > 1  # on more than one line
    window.resize(1400, 900)  # and back on one line where there is room
    qtbot.waitUntil(lambda: window.width() == 1400, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(lines(bar, shown)) == 1, timeout=WAIT_MS)


def lines(bar: QWidget, widgets: list[QWidget]) -> set[int]:
    """The tops of the lines the widgets stand on: those of the row's items holding them."""
    return {(w if w.parentWidget() is bar else w.parentWidget()).y() for w in widgets}


def test_a_store_at_a_long_path_still_fits(window, qtbot, seeded, tmp_path):
    # the status bar showed the store's whole path: 160 characters took it past 800 pixels
    folder = tmp_path / ("a-folder-with-a-long-name-" * 6) / "and-another-one-below-it"
    folder.mkdir(parents=True)
    path = folder / "shop.evstore"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{seeded}{suffix}").exists():
            shutil.copyfile(f"{seeded}{suffix}", f"{path}{suffix}")
    last_position(path)
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(path)
    assert window.store_label.text() == str(path)  # whole, in its text and tooltip
    assert window.store_label.toolTip() == str(path)
    assert window.minimumSizeHint().width() <= 800, window.minimumSizeHint()
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800, timeout=WAIT_MS)
    label = window.store_label
    assert label.isVisible() and label.width() < label.fontMetrics().horizontalAdvance(str(path))
    assert label.mapTo(window, label.rect().topRight()).x() < window.width()
    shown = label.shown_text()  # its middle left out, both ends kept (was cut at its end)
    assert shown is not None and "…" in shown and shown.endswith("/shop.evstore"), shown
    assert shown.startswith(str(path)[:4])


def test_the_first_size_is_the_screens_room_where_it_has_less():
    assert default_size(QSize(1920, 1080)) == QSize(1400, 900)
    assert default_size(QSize(800, 600)) == QSize(800, 600)
    assert default_size(QSize(1024, 600)) == QSize(1024, 600)


def test_a_wrapping_row_goes_on_to_another_line_where_the_room_runs_out(qtbot):
    holder = QWidget()
    qtbot.add_widget(holder)
    buttons = [QPushButton(f"Button number {n}") for n in range(4)]
    tail = QLabel("end")
    layout = wrapping(*buttons, STRETCH, tail)
    holder.setLayout(layout)
    widest = max(b.sizeHint().width() for b in buttons)
    assert holder.minimumSizeHint().width() == widest
    one_line = sum(b.sizeHint().width() for b in buttons) + tail.sizeHint().width() + 4 * 6
    holder.resize(one_line + 200, 200)
    holder.show()
    qtbot.waitExposed(holder)
    assert len({b.y() for b in buttons}) == 1
    assert tail.geometry().right() == holder.width() - 1  # the stretch pushed it to the end
    holder.resize(widest, layout.heightForWidth(widest))
    qtbot.waitUntil(lambda: len({b.y() for b in buttons}) == 4, timeout=WAIT_MS)
    assert all(b.geometry().right() < holder.width() for b in [*buttons, tail])
    assert layout.heightForWidth(widest) > layout.heightForWidth(one_line + 200)


def test_a_low_screen_gives_the_event_list_most_of_the_height(window, qtbot):
    """On its first run on a low screen the list pane gets most of the window's height, the
    tabs below scrolling (before: the timeline and the filters took most of the list pane's,
    leaving 2 rows at 800x600)."""
    first_size(window, QSize(800, 600))
    window.show()
    qtbot.waitExposed(window)
    rows, tabs = window.right_split.sizes()
    assert window.height() == 600 and rows >= 2 * tabs, (rows, tabs)
    first_size(window, QSize(1920, 1080))  # (a screen with room: as before)
    assert window.height() == 900 and window.height() >= LOW_SCREEN


def test_a_layout_saved_on_a_taller_screen_gives_the_list_its_rows_on_a_lower_one(qtbot):
    """A layout saved in a tall window, restored on a lower screen (the window made to fit),
    splits as a first run there does: the tabs' pane kept its height, and left the event list
    a row or two (1024x640, after 1920x1200)."""
    from explorer.ui.main_window import MainWindow
    from explorer.ui.window.layout import save_layout

    tall = MainWindow()
    qtbot.add_widget(tall)
    tall.resize(1400, 1150)
    tall.right_split.setSizes([650, 450])
    save_layout(tall)
    low = MainWindow()  # the offscreen screen is lower than 1150: the window is made to fit
    qtbot.add_widget(low)
    low.show()
    qtbot.waitExposed(low)
    assert low.height() < min(1150, LOW_SCREEN)
    rows, tabs = low.right_split.sizes()
    assert rows >= 2 * tabs, (rows, tabs)
    low.right_split.setSizes([300, 300])  # as the user leaves it on this screen: kept
    save_layout(low)
    again = MainWindow()
    qtbot.add_widget(again)
    again.show()
    qtbot.waitExposed(again)
    rows, tabs = again.right_split.sizes()
    assert rows < 2 * tabs, (rows, tabs)  # not made a first run's split again


def test_what_if_fits_the_screen_it_opens_on(travelling, qtbot, seeded):
    # it was made 1000x720 wherever it opened: on a 1024x640 screen its Send, Export and
    # Discard and Close buttons were below the screen's edge
    from explorer.ui.widgets.what_if import WhatIfDialog

    dialog = WhatIfDialog(str(seeded), last_position(seeded), SHOP, travelling)
    qtbot.add_widget(dialog)
    room = dialog.screen().availableGeometry().size()
    assert room.width() < 1000  # the test's screen (800 pixels wide) is smaller than asked
    assert dialog.width() <= room.width() and dialog.height() <= room.height()
    assert dialog.minimumSizeHint().height() <= 600, dialog.minimumSizeHint()
    qtbot.waitUntil(lambda: dialog.sandbox is not None, timeout=WAIT_MS)
    dialog.reject()


def test_a_window_made_lower_than_a_low_screen_gives_the_event_list_its_rows(window, qtbot):
    """Made 1024x700 from 1400x900 (off a big screen, say), the window gives the list pane most
    of its height as a first run there does, and the default split again once it is taller
    (before: the tabs' pane kept its share and the event list showed two rows and a half)."""
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.height() == 900, timeout=WAIT_MS)
    window.right_split.setSizes([560, 380])
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.height() == 700, timeout=WAIT_MS)
    rows, tabs = window.right_split.sizes()
    assert rows >= 2 * tabs, (rows, tabs)
    shown = window.table.viewport().height() // window.table.verticalHeader().defaultSectionSize()
    assert shown >= 6, shown
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.height() == 900, timeout=WAIT_MS)
    rows, tabs = window.right_split.sizes()
    assert tabs >= 300, (rows, tabs)
