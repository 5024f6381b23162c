"""A command sent from the window while another program holds the store's write lock waits for
it without holding up the window: it was sent on the worker every read of the window goes
through, so for as long as it waited (up to the busy timeout, 10 s) the list's pages, an
event's cause and effect, a stream's events and the rest were not read, and the window showed
none of them."""

from __future__ import annotations

import sqlite3

from explorer.commanding.sending import CommandRequest
from explorer.store import sqlite as sqlite_backend
from tests.ui.conftest import WAIT_MS, open_shop


def test_the_window_reads_while_a_command_waits_for_the_lock(window, qtbot, seeded,
                                                             monkeypatch):
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_S", 60.0)  # (the command waits on)
    window.show_console()
    console = window.console
    holder = sqlite3.connect(seeded, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program's long write transaction
    try:
        assert console.send_request(CommandRequest("Order", "order_new", "place", {
            "customer_id": "cust_001", "total": 5.0,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 5.0}]}))
        read: list[int] = []
        window.worker.submit(lambda context: context.store.last_position(), read.append)
        qtbot.waitUntil(lambda: bool(read), timeout=WAIT_MS)
        assert console.state.sending  # the command still waits for the lock
    finally:
        holder.execute("COMMIT")
        holder.close()
    qtbot.waitUntil(lambda: not console.state.sending, timeout=WAIT_MS)
    entry = console.history_model.entry(0)
    assert entry.outcome.ok, entry.outcome.message
    with open_shop(seeded, read_only=True) as store:
        assert [e.event_type for e in store.read_stream("order_new")] == ["OrderPlaced"]
