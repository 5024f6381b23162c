"""The event detail shows the event selected in the list, or says that none is: a filter, a
search or a stream chosen that leaves the selected event out of the list clears the detail (and
its cause and effect), saying the event is not in this list, instead of showing it as if it
matched. An event the new list holds stays selected and shown."""

from __future__ import annotations

from tests.ui.conftest import WAIT_MS, select_row
from tests.ui.test_fulltext_window import type_search, wait_until_indexed


def listed(qtbot, window, act) -> None:
    """Do `act` and wait until the event list it asks for is shown."""
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        act()


def left_out(window, event) -> bool:
    """The detail shows no event, and says the one selected is not in the list."""
    detail = window.detail
    return (detail.shown_event is None and not detail.copy_button.isEnabled()
            and "No event selected" in detail.header.text()
            and f"position {event.position:,}" in detail.notice.text()
            and "not in this list" in detail.notice.text()
            and window.causality.tree.model().rowCount() == 0)


def test_an_event_type_filter_leaving_the_event_out_clears_the_detail(window, qtbot):
    stock = select_row(qtbot, window, 0)
    assert stock.event_type == "InventoryStockReceived"
    listed(qtbot, window, lambda: window.filter_bar.set_event_type_filter(("OrderPaid",)))
    assert window.event_model.rowCount() > 0
    assert window.browser.selected_position() is None
    assert left_out(window, stock)

    paid = select_row(qtbot, window, 3)  # one the list holds: selected and shown
    assert window.detail.shown_event == paid and not window.detail.notice.isVisible()
    assert window.detail.header.text() != window.detail.notice.text()


def test_a_filter_keeping_the_event_keeps_it_shown(window, qtbot):
    event = select_row(qtbot, window, 40)
    listed(qtbot, window, lambda: window.filter_bar.set_event_type_filter((event.event_type,)))
    assert window.browser.selected_position() == event.position
    assert window.detail.shown_event == event


def test_a_content_filter_emptying_the_list_clears_the_detail(window, qtbot):
    event = select_row(qtbot, window, 5)
    listed(qtbot, window, lambda: window.filter_bar.set_content_text('data.order_id = "none"'))
    assert window.event_model.rowCount() == 0
    assert left_out(window, event)


def test_a_search_finding_nothing_clears_the_detail(window, qtbot):
    event = select_row(qtbot, window, 5)
    type_search(qtbot, window, "nowhere_to_be_found")
    wait_until_indexed(qtbot, window)
    qtbot.waitUntil(lambda: left_out(window, event), timeout=WAIT_MS)
    assert window.event_model.rowCount() == 0


def test_a_stream_chosen_keeps_its_event_and_leaves_out_another(window, qtbot):
    event = select_row(qtbot, window, 5)
    listed(qtbot, window, lambda: window.stream_browser.selected.emit(event.stream_id))
    assert window.browser.selected_position() == event.position
    assert window.detail.shown_event == event
    other = "cust_001" if event.stream_id != "cust_001" else "cust_002"
    listed(qtbot, window, lambda: window.stream_browser.selected.emit(other))
    assert window.event_model.rowCount() > 0
    assert left_out(window, event)


def test_a_list_asked_for_while_a_scan_shows_its_first_matches_keeps_the_event(window, qtbot):
    """A content filter's scan shows its first matches at once, which resets the list's
    selection while the detail still shows the event: a stream chosen (or another filter)
    meanwhile took the selection as none, and the new list, which holds the event, said it
    was 'not in this list'."""
    event = select_row(qtbot, window, 5)
    field, value = next((k, v) for k, v in event.data.items() if isinstance(v, str))
    chosen: list[bool] = []

    def choose_its_stream(_scanned: int, _last: int) -> None:
        if not chosen:  # the scan's first matches are listed: nothing is selected now
            chosen.append(window.table.currentIndex().isValid())
            window.stream_browser.selected.emit(event.stream_id)

    window.browser.scan_progress.connect(choose_its_stream)
    listed(qtbot, window, lambda: window.filter_bar.set_content_text(
        f'data.{field} = "{value}"'))
    assert chosen == [False] and window.browser.view.stream_id == event.stream_id
    assert window.browser.selected_position() == event.position
    assert window.detail.shown_event == event and not window.detail.notice.isVisible()
