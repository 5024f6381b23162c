"""Window shortcuts work whatever has focus; text fields keep only the keys they need."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QPlainTextEdit

from tests.ui.conftest import WAIT_MS, last_position, wait_for_moment, wait_for_page


class ShortcutsCaught(QObject):
    """Catches the Shortcut events sent to actions (so that Quit or Open do nothing here)."""

    def __init__(self, actions: list[QAction]) -> None:
        super().__init__()
        self.caught: list[str] = []
        for action in actions:
            action.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Shortcut:
            self.caught.append(watched.text())
            return True
        return False


def focus(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=WAIT_MS)


def press(qtbot, window, sequence: QKeySequence) -> None:
    """Press a key combination on whatever has focus, as the keyboard would."""
    combination = sequence[0]
    qtbot.keyClick(window.focusWidget(), combination.key(), combination.keyboardModifiers())


@pytest.fixture
def active(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=WAIT_MS)
    return window


def focus_targets(window):
    """One widget of each kind that takes focus in the window, by name."""
    window.filter_bar.use_from.setChecked(True)  # the date edit takes focus only when on
    return {
        "content filter": window.filter_bar.content,
        "position box": window.timeline.go_to,
        "stream filter": window.stream_browser.filter,
        "date edit": window.filter_bar.from_time,
        "event list": window.table,
        "stream tree": window.stream_browser.tree,
        "speed choice": window.timeline.speed,
        "slider": window.timeline.slider,
        "stream type choice": window.filter_bar.stream_type,
    }


def test_every_window_shortcut_reaches_its_action_whatever_has_focus(active, qtbot):
    window = active
    targets = focus_targets(window)
    actions = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(actions) >= 20
    window.browser.history_changed.disconnect()  # it would turn back and forward off again
    for action in actions:
        action.setEnabled(True)  # back and forward start off
    catcher = ShortcutsCaught(actions)
    missed = []
    for name, widget in targets.items():
        focus(qtbot, widget)
        for action in actions:
            catcher.caught.clear()
            press(qtbot, window, action.shortcut())
            if catcher.caught != [action.text()]:
                missed.append(f"{action.shortcut().toString()} ({action.text()}) in the {name}")
    assert missed == [], "\n".join(missed)


def test_ctrl_end_after_clearing_filters_with_the_clear_button(active, qtbot, seeded):
    window = active
    focus(qtbot, window.filter_bar.content)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_content_text('event_type = "OrderPlaced"')
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        qtbot.mouseClick(window.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    focus(qtbot, window.filter_bar.content)
    last = last_position(seeded)
    wait_for_page(qtbot, window, window.event_model.rowCount() - 1)
    qtbot.keyClick(window.filter_bar.content, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert window.browser.selected_position() == last


def test_ctrl_shift_end_in_the_position_box_goes_back_to_live(active, qtbot, seeded):
    window = active
    last = last_position(seeded)
    wait_for_moment(qtbot, window, last)
    window.travel.go_to(10)
    wait_for_moment(qtbot, window, 10)
    assert not window.travel.live
    focus(qtbot, window.timeline.go_to)
    qtbot.keyClick(window.timeline.go_to, Qt.Key.Key_End,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_for_moment(qtbot, window, last)
    assert window.travel.live
    qtbot.keyClick(window.timeline.go_to, Qt.Key.Key_Home,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_for_moment(qtbot, window, 1)  # First Event


def test_fields_keep_the_keys_they_need(active, qtbot):
    window = active
    box = window.filter_bar.content
    focus(qtbot, box)
    qtbot.keyClicks(box, "data.total")
    qtbot.keyClick(box, Qt.Key.Key_Home)
    assert box.cursorPosition() == 0
    qtbot.keyClick(box, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert 0 < box.cursorPosition() < len("data.total")  # word moves stay the field's
    qtbot.keyClick(box, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
    assert box.selectedText() and box.selectedText() in "data.total"
    qtbot.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert box.selectedText() == "data.total"
    # a multi-line editor moves through its document with Ctrl+End, not to the last event
    editor = QPlainTextEdit("one\ntwo\nthree")
    window.statusBar().addWidget(editor)
    editor.show()
    selected = window.browser.selected_position()
    focus(qtbot, editor)
    qtbot.keyClick(editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert editor.textCursor().position() == len("one\ntwo\nthree")
    assert window.browser.selected_position() == selected


def test_alt_and_a_number_shows_a_bottom_tab_with_the_focus_in_it(active, qtbot):
    """Every bottom tab is a key away, as Commands is (F4): found by a tester working with the
    keyboard alone, who could reach the others only by Tab through the whole window."""
    window = active
    tabs = window.bottom_tabs
    names = [action.text().split(" ", 1)[1] for action in window.tab_actions]
    assert names[:4] == ["Event", "As of Cursor", "Watch", "Commands"]
    assert names[-1] == "Followers" and len(names) == tabs.count()
    focus(qtbot, window.table)
    press(qtbot, window, QKeySequence("Alt+4"))
    assert tabs.currentIndex() == window.console_tab
    qtbot.waitUntil(lambda: tabs.widget(window.console_tab).isAncestorOf(
        window.focusWidget()), timeout=WAIT_MS)
    press(qtbot, window, QKeySequence("Alt+2"))
    assert tabs.currentIndex() == window.travel_tab
    # Followers is offered only while its tab is shown (a store with followers)
    assert not window.tab_actions[-1].isEnabled()
    press(qtbot, window, QKeySequence(f"Alt+{len(names)}"))
    assert tabs.currentIndex() == window.travel_tab
