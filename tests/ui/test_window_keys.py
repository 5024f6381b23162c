"""Keys in the window: Tab leaves its tables, and the shortcuts list names every shortcut."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QApplication, QScrollArea

from tests.ui.conftest import select_row


def test_tab_moves_the_focus_out_of_every_table_of_the_window(window, qtbot):
    views = window.findChildren(QAbstractItemView)
    assert len(views) > 10
    assert [v for v in views if v.tabKeyNavigation()] == []
    table = window.table
    shown = select_row(qtbot, window, 3)
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert table.currentIndex().row() == 3  # the same event, still shown
    assert window.detail.shown_event is shown
    assert not table.hasFocus()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)  # the arrows still move within
    assert table.currentIndex().row() == 4


def test_the_shortcuts_list_names_every_shortcut_the_window_defines(window):
    native = QKeySequence.SequenceFormat.NativeText
    listed = {keys for _group, _command, shown in window.help.show_shortcuts().rows()
              for keys in shown.split(", ")}
    actions = {key.toString(native) for action in window.findChildren(QAction)
               for key in action.shortcuts() if not key.isEmpty()}
    shortcuts = {s.key().toString(native) for s in window.findChildren(QShortcut)}
    assert actions | shortcuts <= listed
    rows = window.help.show_shortcuts().rows()
    assert ("Window", "Search every event", f"{QKeySequence('Ctrl+K').toString(native)}, /") in rows
    assert ("Commands tab", "Send the command",
            QKeySequence("Ctrl+Return").toString(native)) in rows


def test_tab_goes_round_the_window_stopping_only_where_the_focus_shows(window, qtbot):
    """In every bottom tab: no stop in a plot (the timeline's came last in the order, after
    the bottom panels) or in the frameless area a tab's panel scrolls in, where the focus
    cannot be seen and no key does anything."""
    import pyqtgraph as pg

    qtbot.waitUntil(lambda: window.timeline.plot is not None)
    start = window.table
    for tab in range(window.bottom_tabs.count()):
        window.bottom_tabs.setCurrentIndex(tab)
        start.setFocus()
        qtbot.waitUntil(start.hasFocus)
        stops = []
        for _ in range(150):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            stops.append(QApplication.focusWidget())
            if stops[-1] is start:
                break
        assert stops[-1] is start, f"Tab went round the window ({tab})"
        unseen = [stop for stop in stops
                  if isinstance(stop, pg.GraphicsView | QScrollArea)]
        assert unseen == [], (window.bottom_tabs.tabText(tab), unseen)
