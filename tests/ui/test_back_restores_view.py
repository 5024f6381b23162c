"""Back and Forward restore the whole view: the event list, the stream browser's choice and the
event shown in detail (the one selected in the restored list, or none)."""

from __future__ import annotations

from tests.ui.conftest import WAIT_MS, select_row


def listed(qtbot, window, act) -> None:
    """Do `act` and wait until the event list it asks for is shown."""
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        act()


def type_index(window, name: str):
    model = window.stream_model
    all_index = model.all_index()
    return next(model.index(r, 0, all_index) for r in range(model.rowCount(all_index))
                if model.index(r, 0, all_index).data() == name)


def chosen_in_tree(window) -> str | None:
    index = window.stream_browser.tree.currentIndex()
    selected = window.stream_browser.tree.selectionModel().selectedRows()
    if not index.isValid() or [i.row() for i in selected] != [index.row()]:
        return None
    return index.data()


def test_back_restores_the_stream_browsers_choice_and_the_detail(window, qtbot):
    model, tree = window.stream_model, window.stream_browser.tree
    order = type_index(window, "Order")
    tree.expand(order)
    qtbot.waitUntil(lambda: model.rowCount(order) >= 2, timeout=WAIT_MS)
    listed(qtbot, window, lambda: tree.setCurrentIndex(model.index(0, 0, order)))
    first = select_row(qtbot, window, 1)
    assert first.stream_id == "order_001"
    listed(qtbot, window, lambda: tree.setCurrentIndex(model.index(1, 0, order)))
    second = select_row(qtbot, window, 0)
    assert second.stream_id == "order_002"

    listed(qtbot, window, window.back_action.trigger)
    assert window.browser.view.stream_id == "order_001"
    qtbot.waitUntil(lambda: window.detail.shown_event == first, timeout=WAIT_MS)
    assert chosen_in_tree(window) == "order_001"

    listed(qtbot, window, window.forward_action.trigger)
    qtbot.waitUntil(lambda: window.detail.shown_event == second, timeout=WAIT_MS)
    assert chosen_in_tree(window) == "order_002"


def test_back_to_a_list_with_nothing_selected_clears_the_detail(window, qtbot):
    tree = window.stream_browser.tree
    assert chosen_in_tree(window) == "All events"
    listed(qtbot, window, lambda: tree.setCurrentIndex(type_index(window, "Customer")))
    customer = select_row(qtbot, window, 2)
    assert customer.stream_type == "Customer"

    listed(qtbot, window, window.back_action.trigger)
    assert window.browser.view.filters.stream_type is None
    assert window.browser.selected_position() is None
    assert window.detail.shown_event is None
    assert chosen_in_tree(window) == "All events"

    listed(qtbot, window, window.forward_action.trigger)
    qtbot.waitUntil(lambda: window.detail.shown_event == customer, timeout=WAIT_MS)
    assert chosen_in_tree(window) == "Customer"


def test_all_events_in_the_stream_browser_undoes_a_stream_type_chosen_there(window, qtbot):
    tree = window.stream_browser.tree
    listed(qtbot, window, lambda: tree.setCurrentIndex(type_index(window, "Customer")))
    customers = window.event_model.rowCount()
    listed(qtbot, window, lambda: tree.setCurrentIndex(window.stream_model.all_index()))
    assert window.browser.view.filters.stream_type is None
    assert window.event_model.rowCount() > customers


def test_going_to_an_event_elsewhere_moves_the_stream_browser_to_all_events(window, qtbot):
    tree = window.stream_browser.tree
    listed(qtbot, window, lambda: tree.setCurrentIndex(type_index(window, "Customer")))
    # position 1 is not a Customer event: it is shown in all events
    listed(qtbot, window, lambda: window.browser.go_to_position(1))
    assert window.browser.view.filters.stream_type is None
    assert chosen_in_tree(window) == "All events"
