"""Go > Go to Position (Ctrl+L) goes to a global position as the label says: the event there is
selected in the list and the time cursor is there, the whole system shown as it was at it."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QInputDialog

from tests.ui.conftest import WAIT_MS, wait_for_moment


def test_ctrl_l_selects_the_event_and_moves_the_time_cursor_there(travelling, qtbot,
                                                                   monkeypatch):
    window = travelling
    assert window.goto_action.shortcut() == QKeySequence("Ctrl+L")
    asked = []

    def get_int(parent, title, label, value, low, high):
        asked.append((title, low, high))
        return 250, True
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(get_int))
    assert window.travel.live
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.goto_action.trigger()
    assert asked == [("Go to Position", 1, 2**31 - 1)]  # any number may be typed
    assert window.browser.selected_position() == 250
    moment = wait_for_moment(qtbot, window, 250)
    assert window.travel.position == 250 and not window.travel.live
    assert moment.event.position == 250
    assert window.timeline.banner.isVisibleTo(window)


def test_a_position_in_another_list_is_shown_in_all_events_with_the_cursor_there(
        travelling, qtbot, monkeypatch):
    window = travelling
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderPaid",))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *args: (7, True)))
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        window.goto_action.trigger()
    assert window.browser.selected_position() == 7
    wait_for_moment(qtbot, window, 7)


def test_cancelling_the_question_goes_nowhere(travelling, qtbot, monkeypatch):
    window = travelling
    last = window.travel.position
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *args: (9, False)))
    window.goto_action.trigger()
    assert window.travel.position == last and window.travel.live
    assert window.browser.selected_position() != 9


def test_a_position_past_the_last_is_said_and_nothing_moves(travelling, qtbot):
    """Typed in the question as a user types it: the spin box, bounded by the last position,
    dropped the digits past it (99999 went to 9), unsaid."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QSpinBox

    window = travelling
    last = window.travel.position
    typed = []

    def type_in_the_question():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, type_in_the_question)
            return
        box = dialog.findChild(QSpinBox)
        box.lineEdit().selectAll()
        qtbot.keyClicks(box, "99999")
        typed.append(box.lineEdit().text())
        dialog.accept()
    QTimer.singleShot(0, type_in_the_question)
    window.goto_action.trigger()
    assert typed == ["99999"]
    assert window.statusBar().currentMessage() == (
        f"Position 99,999 is not in the log: it runs from 1 to {last:,}. Nothing moved.")
    assert window.travel.position == last and window.travel.live
    assert window.browser.selected_position() != 9
