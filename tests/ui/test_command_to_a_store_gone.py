"""A command sent from the window once its store's file was deleted, moved or replaced is
refused, as every write to such a store is (tests/store/test_store_file_gone.py), and goes to
the store again once the window opens it again: since commands go out on a connection of their
own, opened at the first send, a store file replaced before that was sent to the file now at
the path, which the window did not show (it says 'Store file gone'), and one replaced after was
refused even once the window had opened the store again (the connection was kept, the store's
path being the same)."""

from __future__ import annotations

import os
import shutil

from explorer.commanding.sending import CommandRequest
from tests.ui.conftest import WAIT_MS, open_shop


def place(console, qtbot, order_id: str):
    """Send a command placing `order_id`; its outcome."""
    before = console.history_model.rowCount()
    assert console.send_request(CommandRequest("Order", order_id, "place", {
        "customer_id": "cust_001", "total": 5.0,
        "items": [{"product_id": "prod_101", "quantity": 1, "price": 5.0}]}))
    qtbot.waitUntil(lambda: console.history_model.rowCount() == before + 1, timeout=WAIT_MS)
    return console.history_model.entry(0).outcome


def replace_file(path, tmp_path, name: str) -> None:
    """Another store put at the path (a backup restored, say)."""
    replacement = tmp_path / name
    shutil.copyfile(path, replacement)
    os.replace(replacement, path)


def refused(outcome) -> bool:
    return not outcome.ok and (
        "was deleted, moved or replaced by another file since it was opened" in outcome.message
        and outcome.message.endswith("Open the store again, where it is now, to make changes."))


def stream(path, order_id: str) -> list[str]:
    with open_shop(path, read_only=True) as store:
        return [e.event_type for e in store.read_stream(order_id)]


def test_a_command_to_a_store_replaced_before_the_first_is_refused(window, qtbot, seeded,
                                                                  tmp_path):
    replace_file(seeded, tmp_path, "replacement.evstore")
    window.show_console()
    assert refused(place(window.console, qtbot, "order_new"))
    assert stream(seeded, "order_new") == []  # (before: written to the file now there)


def test_commands_go_to_the_store_opened_again_after_its_file_was_replaced(window, qtbot, seeded,
                                                                        tmp_path):
    window.show_console()
    console = window.console
    assert place(console, qtbot, "order_a").ok
    replace_file(seeded, tmp_path, "replacement.evstore")
    assert refused(place(console, qtbot, "order_b"))
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(seeded)  # (as the refusal says)
    outcome = place(console, qtbot, "order_c")
    assert outcome.ok, outcome.message  # (before: refused again and again)
    assert stream(seeded, "order_c") == ["OrderPlaced"]
