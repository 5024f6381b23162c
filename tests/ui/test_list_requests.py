"""The event list takes only the list it asked for last: a list asked for earlier whose result
(or progress) comes back late, after a newer one was asked for, is dropped, and leaves the newer
list its pending selection (as when a store opens and another view is asked for at once)."""

from __future__ import annotations

from array import array

from explorer.browsing.rows import build_row_map
from explorer.ui.event_browser import ViewState
from explorer.ui.widgets.filter_bar import Filters
from tests.ui.conftest import WAIT_MS, open_shop


def held_back_list(browser, monkeypatch, view: ViewState):
    """Ask for `view`'s list, holding its job back: (on_done, on_progress) to call late."""
    submit = browser.worker.submit
    held = []

    def holding(job, on_done=None, **options):
        if options.get("key") == "rows" and not held:
            held.append((on_done, options.get("on_progress")))
            return 0
        return submit(job, on_done, **options)

    monkeypatch.setattr(browser.worker, "submit", holding)
    browser.show(view)
    monkeypatch.setattr(browser.worker, "submit", submit)
    return held[0]


def test_a_list_finishing_after_a_newer_one_was_asked_for_is_dropped(qtbot, window, seeded,
                                                                     monkeypatch):
    browser = window.browser
    with open_shop(seeded, read_only=True) as store:
        everything = build_row_map(store, ViewState().query())
        placed = [e.position for e in store.read_all() if e.event_type == "OrderPlaced"]
    late_done, late_progress = held_back_list(browser, monkeypatch, ViewState())
    wanted = placed[7]
    counts: list[int] = []
    browser.rows_ready.connect(counts.append)
    browser.show(ViewState(None, Filters(event_types=("OrderPlaced",))), select=wanted)
    late_progress((10, 20, array("q", range(1, 6))))  # the older list, late
    late_done(everything)
    qtbot.waitUntil(lambda: len(counts) > 0, timeout=WAIT_MS)
    assert counts == [len(placed)]
    rows = browser.events.rows  # read a page at a time: its first, last and the chosen one's
    assert len(rows) == len(placed) and rows.row_of(wanted) == 7
    assert rows.position(0) == placed[0] and rows.last_position == placed[-1]
    assert browser.selected_position() == wanted



def test_going_to_an_event_of_a_page_not_read_yet_keeps_the_type_filter(qtbot, window, seeded):
    browser = window.browser
    with open_shop(seeded, read_only=True) as store:
        placed = [e.position for e in store.read_all() if e.event_type == "OrderPlaced"]
    with qtbot.waitSignal(browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderPlaced",))
    wanted = placed[150]  # a page (100 rows) neither first nor last: not read yet
    assert browser.events.rows.row_of(wanted) is None
    browser.go_to_position(wanted)
    qtbot.waitUntil(lambda: browser.selected_position() == wanted, timeout=WAIT_MS)
    # (failed before: the list's filters were cleared, to show the event among all events)
    assert browser.view.filters.event_types == ("OrderPlaced",)
    assert len(browser.events.rows) == len(placed)


def test_the_list_of_a_type_follows_the_cursor_into_pages_not_read_yet(qtbot, window, seeded):
    browser = window.browser
    with open_shop(seeded, read_only=True) as store:
        placed = [e.position for e in store.read_all() if e.event_type == "OrderPlaced"]
    with qtbot.waitSignal(browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderPlaced",))
    target = placed[150] + 1  # not an OrderPlaced: the list shows row 150, the last before it
    window.travel_to(target)
    table = browser.table

    def shown_rows() -> range:
        top = table.rowAt(0)
        return range(top, table.rowAt(table.viewport().height() - 1) + 1)

    # (failed before: a row whose page was not read was not found, and the list stayed put)
    qtbot.waitUntil(lambda: 150 in shown_rows(), timeout=WAIT_MS)
