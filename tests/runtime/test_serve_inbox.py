"""The window's commands to its runner (explorer.runtime.inbox): a cancel stops the rebuild
running and those asked for before it, never one asked for after; the end stops everything."""

from __future__ import annotations

from explorer.runtime.inbox import ServeInbox


def queued(inbox: ServeInbox) -> list[dict]:
    found = []
    while not inbox.commands.empty():
        found.append(inbox.commands.get())
    return found


def test_a_cancel_marks_the_rebuilds_asked_before_it_not_after():
    inbox = ServeInbox()
    inbox.take({"rebuild": "stock"})
    inbox.take({"cancel": True})
    inbox.take({"rebuild": "order_summary"})
    assert inbox.cancel.is_set() and not inbox.stop.is_set()
    assert queued(inbox) == [{"rebuild": "stock", "cancelled": True},
                             {"rebuild": "order_summary"}]


def test_a_rebuild_asked_right_after_a_cancel_leaves_the_cancel_for_the_one_running():
    """Cancel, then Rebuild of another projection at once: the cancel is still there for the
    rebuild running (it was cleared as the next was queued, and the first ran to its end)."""
    inbox = ServeInbox()
    inbox.take({"rebuild": "stock"})
    running = inbox.commands.get()  # the runner has begun it
    inbox.take({"cancel": True})
    inbox.take({"rebuild": "order_summary"})
    assert inbox.cancel.is_set()
    assert queued(inbox) == [{"rebuild": "order_summary"}]
    assert running["cancelled"]  # (read no more once begun: the event stops it)


def test_the_end_begins_nothing_still_queued():
    inbox = ServeInbox()
    inbox.take({"rebuild": "stock"})
    inbox.take({"retry": "sagas"})
    inbox.end()
    assert inbox.stop.is_set() and inbox.cancel.is_set()
    assert queued(inbox) == [{"rebuild": "stock", "cancelled": True}, {"retry": "sagas"}]
