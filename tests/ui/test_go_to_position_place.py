"""Go to Position (Ctrl+L) starts from where the user is: its question is filled with the time
cursor's position once the cursor has left the live end (the time bar, the banner and the As of
panels all show that place), and while following live with the selected event's (the cursor
then only follows the log's end; the list's selection is what the user looks at), or the last
position with none. A list made again by a filter change keeps the selected event in view."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog

from tests.ui.conftest import WAIT_MS, select_row, wait_for_moment


def asked_value(window, monkeypatch) -> int:
    """The value the Go to Position question is filled with (cancelled)."""
    asked = []

    def get_int(parent, title, label, value, low, high):
        asked.append(value)
        return value, False
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(get_int))
    window.goto_action.trigger()
    return asked[0]


def test_the_question_is_filled_with_the_cursors_position_in_the_past(travelling, qtbot,
                                                                      monkeypatch):
    window = travelling
    select_row(qtbot, window, 40)
    window.travel.go_to(1_234)
    wait_for_moment(qtbot, window, 1_234)
    assert window.browser.selected_position() == 41
    assert asked_value(window, monkeypatch) == 1_234


def test_following_live_the_question_is_filled_with_the_selected_event_or_the_last(
        travelling, qtbot, monkeypatch):
    window = travelling
    last = window.travel.last_position
    assert window.travel.live and window.browser.selected_position() is None
    assert asked_value(window, monkeypatch) == last
    select_row(qtbot, window, 40)
    assert asked_value(window, monkeypatch) == 41


def test_clearing_the_search_keeps_the_selected_match_selected_in_all_events(
        window, qtbot, seeded):
    from tests.ui.test_fulltext_window import an_order_id, type_search, wait_until_indexed

    type_search(qtbot, window, an_order_id(seeded))
    wait_until_indexed(qtbot, window)
    qtbot.waitUntil(lambda: window.browser.selected_position() is not None
                    and not window.browser._building, timeout=WAIT_MS)
    match = window.browser.selected_position()
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        type_search(qtbot, window, "")
    assert len(window.event_model.rows) == window.browser.last_position  # all events
    qtbot.waitUntil(lambda: window.browser.selected_position() == match, timeout=WAIT_MS)
    row = window.event_model.rows.row_of(match)
    qtbot.waitUntil(lambda: window.table.visualRect(window.event_model.index(row, 0))
                    .intersects(window.table.viewport().rect()), timeout=WAIT_MS)


def row_in_view(window, position: int) -> bool:
    row = window.event_model.rows.row_at_or_before(position)
    return row is not None and window.table.visualRect(
        window.event_model.index(row, 0)).intersects(window.table.viewport().rect())


def test_with_nothing_selected_a_new_list_keeps_the_cursors_place_in_view(travelling, qtbot):
    window = travelling
    window.travel.go_to(1_234)
    wait_for_moment(qtbot, window, 1_234)
    qtbot.waitUntil(lambda: row_in_view(window, 1_234), timeout=WAIT_MS)
    assert window.browser.selected_position() is None
    for types in (("OrderPaid",), ()):
        with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
            window.filter_bar.set_event_type_filter(types)
        qtbot.waitUntil(lambda: row_in_view(window, 1_234), timeout=WAIT_MS)
