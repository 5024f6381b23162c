"""What-if tells a command's consequences from the saga work that was due at the branch's
position anyway (review: registering a customer was said to have caused 35 events, the shipping
of orders whose steps were due then)."""

from __future__ import annotations

from explorer.store.query import EventQuery
from tests.conftest import ADDRESS
from tests.ui.conftest import WAIT_MS, open_shop, wait_for_moment


def test_the_work_due_at_the_position_is_not_credited_to_the_command(travelling, qtbot, seeded):
    window = travelling
    with open_shop(seeded, read_only=True) as store:  # a payment confirmed: its order's
        confirmed = store.query(EventQuery(event_types=("PaymentConfirmed",)), limit=1)[0]
    position = confirmed.position  # 'ship order' step is due there, run later in the log
    window.travel_to(position)
    wait_for_moment(qtbot, window, position)
    window.what_if_action.trigger()
    dialog = window.what_if
    qtbot.waitUntil(lambda: dialog.sandbox is not None, timeout=WAIT_MS)
    dialog.stream_type.setCurrentText("Customer")
    dialog.stream_id.setText("cust_whatif")
    dialog.command.setCurrentIndex(dialog.command.findData("register"))
    dialog.form.set_values({"name": "Ada", "email": "ada@example.com", "address": ADDRESS})
    dialog.send()
    qtbot.waitUntil(lambda: dialog.events.rowCount() > 1, timeout=WAIT_MS)
    said = dialog.result_label.text()
    assert "register" in said and "1 event" in said and "sagas reacting" not in said
    assert "saga work already due at position" in said and "not caused by this command" in said
    mine = dialog.events.item(0, 1)
    assert mine.text() == "cust_whatif" and mine.font().bold()
    due = [dialog.events.item(row, 2) for row in range(1, dialog.events.rowCount())]
    assert any(item.text() == "OrderShipped" for item in due)
    assert not any(item.font().bold() for item in due)
    assert all("not caused by the command" in item.toolTip() for item in due)
    dialog.close()
