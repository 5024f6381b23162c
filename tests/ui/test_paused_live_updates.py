"""Live Updates paused (Ctrl+Shift+L) holds the whole window where it was, not the list alone:
the stream tree's counts, the timeline's cursor and its "of N", and the filters' "To" wait; the
events missed meanwhile are only counted in the status bar. Resuming takes them all in at once."""

from __future__ import annotations

from explorer.domain import CommandService
from tests.ui.conftest import SHOP, WAIT_MS, open_shop, wait_for_moment


def append_elsewhere(window, qtbot, seeded, count: int) -> None:
    """`count` events appended to the store by another connection, as another process would."""
    with qtbot.wait_signal(window.watcher.changed, timeout=WAIT_MS), open_shop(seeded) as store:
        service = CommandService(store, SHOP.domain)
        for n in range(count):
            service.execute("Inventory", "prod_104", "receive_stock", {"quantity": n + 1})


def tree_counts(window) -> tuple[str, str]:
    """The "All events" count and the Inventory type's count of events, as the tree shows."""
    model = window.stream_model
    all_index = model.all_index()
    inventory = next(model.index(r, 0, all_index) for r in range(model.rowCount(all_index))
                     if model.index(r, 0, all_index).data() == "Inventory")
    node = inventory.internalPointer()
    return model.index(0, 1).data(), f"{node.events:,}"


def test_resuming_counts_the_missed_events_in_the_stream_tree(travelling, qtbot, seeded):
    window = travelling
    last = window.browser.last_position
    qtbot.waitUntil(lambda: tree_counts(window)[0] == f"{last:,}", timeout=WAIT_MS)
    inventory_events = int(tree_counts(window)[1].replace(",", ""))
    window.toggle_live(False)
    append_elsewhere(window, qtbot, seeded, 2)
    qtbot.waitUntil(lambda: "Paused · 2 new" in window.live_label.text(), timeout=WAIT_MS)
    assert tree_counts(window) == (f"{last:,}", f"{inventory_events:,}")  # held while paused

    with qtbot.wait_signal(window.browser.live_applied, timeout=WAIT_MS):
        window.toggle_live(True)
    assert window.event_model.rowCount() == last + 2
    qtbot.waitUntil(lambda: tree_counts(window) == (f"{last + 2:,}",
                                                    f"{inventory_events + 2:,}"),
                    timeout=WAIT_MS)


def test_while_paused_the_timeline_stays_where_it_was_and_resuming_catches_it_up(
        travelling, qtbot, seeded):
    window = travelling
    travel, timeline = window.travel, window.timeline
    last = travel.last_position
    to_before = window.filter_bar.to_time.dateTime()
    assert travel.live and travel.position == last
    window.toggle_live(False)
    append_elsewhere(window, qtbot, seeded, 1)
    qtbot.waitUntil(lambda: "Paused · 1 new" in window.live_label.text(), timeout=WAIT_MS)
    assert (travel.position, travel.last_position) == (last, last)
    assert f"Position <b>{last:,}</b> of {last:,}" in timeline.where.text()
    assert not travel._samples_timer.isActive()  # the samples (and the filters' To) wait too
    assert window.filter_bar.to_time.dateTime() == to_before

    window.toggle_live(True)
    wait_for_moment(qtbot, window, last + 1)
    assert travel.live and travel.last_position == last + 1
    qtbot.waitUntil(lambda: f"Position <b>{last + 1:,}</b> of {last + 1:,}"
                    in timeline.where.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.filter_bar.to_time.dateTime() > to_before, timeout=WAIT_MS)


def test_refresh_while_paused_takes_the_new_events_in_everywhere(travelling, qtbot, seeded):
    window = travelling
    last = window.travel.last_position
    window.toggle_live(False)
    append_elsewhere(window, qtbot, seeded, 1)
    qtbot.waitUntil(lambda: "Paused · 1 new" in window.live_label.text(), timeout=WAIT_MS)
    window.refresh_action.trigger()
    qtbot.waitUntil(lambda: window.event_model.rowCount() == last + 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.travel.last_position == last + 1, timeout=WAIT_MS)
    assert "new" not in window.live_label.text()  # listed now: none is missed
    assert "Paused" in window.live_label.text()  # (still paused: later events wait)
