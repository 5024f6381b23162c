"""The console's messages: a conflict names what came in between (links), an error belongs to
its command and target, and a field's message never moves the fields below it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint

from explorer.domain import CommandService
from explorer.ui.widgets.command_form import CommandForm
from tests.conftest import LINE
from tests.ui.conftest import SHOP, WAIT_MS, open_shop


@pytest.fixture
def console(window):
    window.show_console()
    return window.console


def sent(qtbot, console) -> None:
    """Send what the console shows and wait for its outcome."""
    before = console.history_model.rowCount()
    console.send()
    qtbot.waitUntil(lambda: console.history_model.rowCount() == before + 1, timeout=WAIT_MS)


def settle_layout() -> None:
    """Let every pending layout request run (what the event loop does before painting)."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def test_a_conflict_lists_the_events_in_between_as_links_to_them(window, console, qtbot, seeded):
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain, issued_by="other").execute(
            "Order", "order_conflict", "place", {"customer_id": "cust_0001", "items": [LINE],
                                                 "total": 59.98})
    console.choose_command("Order", "cancel")
    console.set_target("order_conflict")
    qtbot.waitUntil(lambda: console.target is not None and console.target.version == 1,
                    timeout=WAIT_MS)
    with open_shop(seeded) as store:  # another writer, after the console read version 1
        service = CommandService(store, SHOP.domain, issued_by="other")
        for _ in range(2):
            service.execute("Order", "order_conflict", "add_item", LINE)
        between = [e.position for e in store.read_stream("order_conflict", from_version=2)]
    console.form.set_values({"reason": "changed my mind"})
    sent(qtbot, console)
    text = console.send_panel.result.text()
    assert "You saw version 1" in text and "version 3" in text
    for position in between:
        assert f"<a href='{position}'>OrderItemAdded #{position:,}</a>" in text
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        console.send_panel.result.linkActivated.emit(str(between[0]))
    assert window.detail.shown_event.position == between[0]
    assert window.browser.selected_position() == between[0]


def test_an_error_goes_when_another_command_or_target_is_chosen(console, qtbot):
    console.choose_command("Order", "ship")
    console.set_target("order_001")
    console.send()  # carrier and tracking missing
    assert "need attention" in console.send_panel.result.text()
    console.choose_command("Order", "cancel")
    assert console.send_panel.result.text() == ""
    console.send()  # no reason
    assert "needs attention" in console.send_panel.result.text()
    console.target_picker.stream_id.setText("order_002")
    assert console.send_panel.result.text() == ""


def test_a_refusal_stays_under_its_own_command_and_target(console, qtbot):
    console.choose_command("Order", "ship")
    console.set_target("order_001")
    qtbot.waitUntil(lambda: console.target is not None and console.target.version > 0,
                    timeout=WAIT_MS)
    console.form.set_values({"carrier": "UPS", "tracking": "1Z999AA1"})
    sent(qtbot, console)
    refusal = console.send_panel.result.text()
    assert "✗" in refusal and "order_001" in refusal
    console.form.set_values({"carrier": "DHL"})  # the same command and target: it stays
    assert console.send_panel.result.text() == refusal
    console.target_picker.stream_id.setText("order_0")
    console.target_picker.stream_id.setText("order_001")  # back to the same: it has gone for good
    assert console.send_panel.result.text() == ""


def test_a_conflicts_retry_goes_with_it_when_the_command_changes(console, qtbot, seeded):
    with open_shop(seeded) as store:
        service = CommandService(store, SHOP.domain, issued_by="other")
        service.execute("Order", "order_retry", "place", {"customer_id": "cust_0001",
                                                          "items": [LINE], "total": 59.98})
    console.choose_command("Order", "cancel")
    console.set_target("order_retry")
    qtbot.waitUntil(lambda: console.target is not None and console.target.version == 1,
                    timeout=WAIT_MS)
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain, issued_by="other").execute(
            "Order", "order_retry", "add_item", LINE)
    console.form.set_values({"reason": "changed my mind"})
    sent(qtbot, console)
    assert console.send_panel.retry_button.isVisible()
    console.choose_command("Order", "ship")
    assert not console.send_panel.retry_button.isVisible()
    assert console.send_panel.result.text() == ""


def test_a_fields_message_does_not_move_the_fields_below(qtbot):
    form = CommandForm(label_width=110)
    qtbot.add_widget(form)
    form.set_command(SHOP.domain.command_class("Order", "ship"))
    form.resize(420, 300)
    form.show()
    qtbot.waitExposed(form)
    settle_layout()
    tracking = form.editors["tracking"].edit
    carrier = form.editors["carrier"].combo
    where = (tracking.mapTo(form, QPoint(0, 0)), carrier.mapTo(form, QPoint(0, 0)))
    assert form.reveal_problems() is None
    problem = form.editors["carrier"].problem
    assert problem.isVisible() and problem.text() == "required"
    settle_layout()
    assert (tracking.mapTo(form, QPoint(0, 0)), carrier.mapTo(form, QPoint(0, 0))) == where
    form.set_values({"carrier": "UPS", "tracking": "1Z999AA1"})  # and nothing moves back
    settle_layout()
    assert not problem.isVisible()
    assert (tracking.mapTo(form, QPoint(0, 0)), carrier.mapTo(form, QPoint(0, 0))) == where


def test_a_long_message_keeps_to_its_line_and_is_whole_in_the_tooltip(qtbot):
    form = CommandForm()
    qtbot.add_widget(form)
    form.set_command(SHOP.domain.command_class("Order", "ship"))
    form.resize(300, 300)
    form.show()
    qtbot.waitExposed(form)
    label = form.editors["tracking"].problem
    height = label.height()
    message = "tracking: " + "far too long to fit on one line of this narrow form " * 3
    label.setText(message)
    label.show()
    settle_layout()
    assert label.height() == height == label.fontMetrics().height()
    assert label.toolTip() == message and label.text() == message


def test_the_send_button_stays_where_it_is_when_a_command_s_error_takes_two_lines(window,
                                                                              console, qtbot):
    """(A rejection's two lines pushed the send row up by a line, under the pointer of a user
    about to click Send again; away from "every" of the script panel beside it.)"""
    window.resize(1400, 900)
    console.choose_command("Order", "cancel")
    console.set_target("order_001")
    qtbot.waitUntil(lambda: console.target is not None, timeout=WAIT_MS)
    console.form.set_values({"reason": "changed my mind"})
    settle_layout()
    button = console.send_panel.send_button
    before = button.mapTo(window, QPoint(0, 0))
    sent(qtbot, console)
    result = console.send_panel.result
    assert "Cannot cancel order order_001" in result.text()
    assert result.heightForWidth(result.width()) > result.fontMetrics().lineSpacing() * 1.5
    settle_layout()
    assert button.mapTo(window, QPoint(0, 0)) == before
