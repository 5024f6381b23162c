"""The window's layout: the stream browser beside the timeline, filters and event list, with
the tabs below (Event, As of Cursor, Watch, Commands, Projections, Sagas, Monitor), and the
sizes the user gave its splitters and columns, kept between runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from explorer.ui import settings
from explorer.ui.icons import icon
from explorer.ui.layouts import TallScroller
from explorer.ui.window.systems import SystemGate

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow


class WindowPanes:
    """The attributes `build_layout` gives the window (MainWindow declares them by inheriting
    this): its splitters, the tabs below the list, and the indexes of the tabs it shows."""

    main_split: QSplitter
    right_split: QSplitter
    detail_split: QSplitter
    bottom_tabs: QTabWidget
    travel_tab: int
    watch_tab: int
    console_tab: int
    monitor_tab: int
    compare_tab: int
    followers_tab: int
    gates: tuple[SystemGate, SystemGate, SystemGate]
    """The tabs that need a system: Projections, Sagas, Commands."""


def build_layout(w: MainWindow) -> None:
    """The window's panes and tabs (as its attributes), around the parts it has made."""
    list_pane = QWidget()
    list_layout = QVBoxLayout(list_pane)
    list_layout.setContentsMargins(6, 6, 6, 0)
    list_layout.addWidget(w.timeline)
    list_layout.addWidget(w.find_when)
    list_layout.addWidget(w.filter_bar)
    list_layout.addWidget(w.table, 1)
    w.detail_split = QSplitter(Qt.Orientation.Horizontal)
    w.detail_split.addWidget(w.detail)
    w.detail_split.addWidget(w.causality)
    w.detail_split.setSizes([560, 500])
    w.bottom_tabs = QTabWidget()
    w.bottom_tabs.setDocumentMode(True)
    # the tabs whose panes need most height scroll on a low screen (the others fit)
    w.bottom_tabs.addTab(TallScroller(w.detail_split), icon("event"), "Event")
    w.travel_tab = w.bottom_tabs.addTab(TallScroller(w.moment_panel), icon("time-travel"),
                                              "As of Cursor")
    w.watch_tab = w.bottom_tabs.addTab(w.watch_panel, icon("goto"), "Watch")
    projections, sagas, console = w.gates = (
        SystemGate(w.projections_panel, "Projections (the read models they build)"),
        SystemGate(w.sagas_panel, "Sagas (the process managers that coordinate "
                                     "aggregates)"),
        SystemGate(w.console, "Commands (their handlers and schemas)"))
    w.console_tab = w.bottom_tabs.addTab(TallScroller(console), icon("command"), "Commands")
    w.bottom_tabs.addTab(TallScroller(projections), icon("stream-type"), "Projections")
    w.bottom_tabs.addTab(TallScroller(sagas), icon("correlation"), "Sagas")
    w.followers_tab = w.bottom_tabs.addTab(w.followers_panel, icon("live"), "Followers")
    w.bottom_tabs.setTabVisible(w.followers_tab, False)  # for a store that has followers
    w.followers_panel.presence_changed.connect(
        lambda shown: w.bottom_tabs.setTabVisible(w.followers_tab, shown))
    w.monitor_tab = w.bottom_tabs.addTab(w.runner_host.monitor_holder, icon("live"),
                                               "Monitor")
    w.compare_tab = w.bottom_tabs.addTab(TallScroller(w.compare_view), icon("branch"),
                                         "Compare")
    w.right_split = QSplitter(Qt.Orientation.Vertical)
    w.right_split.addWidget(list_pane)
    w.right_split.addWidget(w.bottom_tabs)
    w.right_split.setSizes(list(RIGHT_SPLIT))
    browser_pane = QWidget()
    browser_layout = QVBoxLayout(browser_pane)
    browser_layout.setContentsMargins(6, 6, 0, 0)
    browser_layout.addWidget(w.stream_browser)
    browser_pane.setMinimumWidth(190)  # the stream types' names beside their counts
    w.main_split = QSplitter(Qt.Orientation.Horizontal)
    w.main_split.addWidget(browser_pane)
    w.main_split.addWidget(w.right_split)
    w.main_split.setStretchFactor(1, 1)
    w.main_split.setSizes([290, 1110])
    w.setCentralWidget(w.main_split)
    first_size(w, w.screen().availableGeometry().size())


def first_size(w: MainWindow, screen: QSize) -> None:
    """The window's size on its first run (`default_size`); on a low screen, the event list's
    rows are given most of its height, the tabs below scrolling."""
    w.resize(default_size(screen))
    if w.height() < LOW_SCREEN:
        w.right_split.setSizes([w.height(), w.height() // 4])


LOW_SCREEN = 800
"""A window lower than this gives the event list most of its height on its first run (at
800x600 the timeline and the filters take most of the list pane's: 2 rows were left)."""
RIGHT_SPLIT = (560, 380)
"""The event list's pane and the tabs' below, on a first run in a window not lower."""


def height_changed(w: MainWindow, old: int, new: int) -> None:
    """The window was made lower than LOW_SCREEN from taller (off a big screen, say): the
    split of a first run at that height (the tabs' pane kept its share, and left the event
    list two rows and a half at 1024x700); made taller again, the split of a first run too."""
    if old >= LOW_SCREEN > new:
        w.right_split.setSizes([new, new // 4])
    elif new >= LOW_SCREEN > old > 0:
        w.right_split.setSizes(list(RIGHT_SPLIT))


def default_size(screen: QSize) -> QSize:
    """The window's size on its first run: 1400x900, or the screen's room where it has less
    (an 800x600 or 1024x600 screen: the window is then made to fit, its rows wrapping)."""
    return QSize(min(1400, screen.width()), min(900, screen.height()))


def restore_layout(w: MainWindow) -> None:
    geometry = settings.window_state("geometry")
    if geometry is not None:
        w.restoreGeometry(geometry)
    state = settings.window_state("state")
    if state is not None:
        w.restoreState(state)
    for name, widget in _remembered(w).items():
        value = settings.window_state(name)
        if value is not None:
            widget.restoreState(value)
    saved_height = settings.window_height()
    if saved_height is not None and w.height() < min(saved_height, LOW_SCREEN):
        # laid out in a taller window, now on a lower screen: the split of a first run here
        # (the tabs' pane kept its height, and left the event list a row or two at 1024x640)
        w.right_split.setSizes([w.height(), w.height() // 4])
    # (widths saved before positions were grouped by thousands cut 10,099,038 short)
    position_width = w.event_model.position_width()
    if w.table.columnWidth(0) < position_width:
        w.table.setColumnWidth(0, position_width)


def _remembered(w: MainWindow) -> dict:
    return {"main-split": w.main_split, "right-split": w.right_split,
            "detail-split": w.detail_split, "event-columns": w.table.horizontalHeader(),
            "projections-split": w.projections_panel.split,
            "moment-split": w.moment_panel.split,
            "watch-split": w.watch_panel.split,
            "console-split": w.console.split,
            "sagas-split": w.sagas_panel.split}


def save_layout(w: MainWindow) -> None:
    settings.save_window_height(w.height())
    settings.save_window_state("geometry", w.saveGeometry())
    settings.save_window_state("state", w.saveState())
    for name, widget in _remembered(w).items():
        settings.save_window_state(name, QByteArray(widget.saveState()))
