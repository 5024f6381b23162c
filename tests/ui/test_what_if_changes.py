"""What-if shows each read-model row it changed before and after, marked as the As of Cursor
tab marks changes; an error about one command goes when another is chosen."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from explorer.ui.widgets.change_tree import CHANGE_COLOURS
from explorer.ui.widgets.what_if import EXPAND_ROWS_UNDER, ROW_GAP, WhatIfDialog
from tests.ui.conftest import SHOP, WAIT_MS, open_shop


@pytest.fixture
def dialog(qtbot, seeded):
    with open_shop(seeded, read_only=True) as store:
        position = store.last_position()
    opened = WhatIfDialog(str(seeded), position, SHOP)
    qtbot.add_widget(opened)
    qtbot.waitUntil(lambda: opened.sandbox is not None, timeout=WAIT_MS)
    yield opened
    opened.close()  # and again as qtbot closes what it was given: the second is free


def rows(tree) -> dict:
    """The rows changed, by "read model · key"."""
    return {tree.topLevelItem(r).text(0).split(ROW_GAP)[0]: tree.topLevelItem(r)
            for r in range(tree.topLevelItemCount())}


def fields(row) -> dict:
    return {row.child(r).text(0): row.child(r) for r in range(row.childCount())}


def test_read_model_changes_show_before_and_after(dialog, qtbot, seeded):
    with open_shop(seeded, read_only=True) as store:  # a customer with orders already
        customer_id = next(e for e in store.read_all(1) if e.event_type == "OrderPlaced"
                           ).data["customer_id"]
    dialog.stream_type.setCurrentText("Order")
    dialog.stream_id.setText("order_whatif_1")
    dialog.command.setCurrentIndex(dialog.command.findData("place"))
    dialog.form.set_values({"customer_id": customer_id, "total": 29.99, "items": [
        {"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
    dialog.send()
    qtbot.waitUntil(lambda: dialog.changes.topLevelItemCount() > 0, timeout=WAIT_MS)
    shown = rows(dialog.changes)
    new = shown["order_summary · order_whatif_1"]
    assert new.text(0).endswith(f"{ROW_GAP}new row") and new.isFirstColumnSpanned()
    status = fields(new)["status"]
    assert status.text(1) and status.text(2) == "(new)"
    assert status.background(0).color().name() == CHANGE_COLOURS["added"]
    customer = fields(shown[f"orders_per_customer · {customer_id}"])
    orders = customer["orders"]
    assert orders.background(0).color().name() == CHANGE_COLOURS["changed"]
    assert int(orders.text(1)) == int(orders.text(2)) + 1  # after, and before
    unchanged = customer["customer_id"]
    assert unchanged.text(2) == "" and unchanged.background(0).color().name() not in \
        CHANGE_COLOURS.values()
    summary = shown[f"orders_per_customer · {customer_id}"]
    count, names = summary.text(0).split(ROW_GAP)[1].split(" changed: ")
    assert "orders" in names.split(", ") and int(count) == len(names.split(", "))
    assert summary.isExpanded() == (len(shown) <= EXPAND_ROWS_UNDER)


def test_an_error_goes_when_another_command_or_target_is_chosen(dialog):
    dialog.stream_type.setCurrentText("Order")
    dialog.command.setCurrentIndex(dialog.command.findData("cancel"))
    dialog.stream_id.setText("")
    dialog.send()
    assert "Give the aggregate's id" in dialog.result_label.text()
    dialog.stream_id.setText("order_001")
    assert dialog.result_label.text() == ""
    dialog.send()  # no reason given
    assert "need attention" in dialog.result_label.text()
    dialog.command.setCurrentIndex(dialog.command.findData("ship"))
    assert dialog.result_label.text() == ""


def test_the_dialog_keeps_qdialogs_result(dialog):
    """Its result label has its own name: QDialog.result() still says how it was closed."""
    dialog.reject()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_closing_twice_stops_the_worker_once(dialog, monkeypatch):
    stops = []
    shutdown = dialog.worker.shutdown
    monkeypatch.setattr(dialog.worker, "shutdown", lambda: (stops.append(1), shutdown()))
    dialog.close()
    dialog.close()  # a stopped worker would be waited for in vain, ten seconds
    assert len(stops) == 1 and dialog.sandbox is None
