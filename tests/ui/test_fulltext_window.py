"""Searching every event in the window: the box lists what a scan of every event finds, with the
other filters; the first search builds the index in batches (the matches so far, then the rest,
"indexing… N%"), which can be stopped and resumed; new events are indexed and listed live; the
newest match is shown first and selected."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from explorer.common.cancel import Cancelled
from explorer.domain import CommandService
from explorer.projections import FullTextIndex, fulltext, fulltext_path
from explorer.store.query import EventQuery
from explorer.ui.window import fulltext as window_fulltext
from explorer.ui.window.fulltext import INDEX_KEY
from tests.projections.test_fulltext import brute_force
from tests.ui.conftest import SHOP, WAIT_MS, open_shop, wait_for_page


def listed(window) -> list[int]:
    rows = window.event_model.rows
    return [rows.position(row) for row in range(len(rows))]


def scan(path, typed: str, query: EventQuery | None = None) -> list[int]:
    with open_shop(path, read_only=True) as store:
        found = brute_force(store, typed)
        if query is not None:
            wanted = set(store.positions(query))
            found = [p for p in found if p in wanted]
        return found


def type_search(qtbot, window, text: str) -> None:
    box = window.filter_bar.search.box
    box.setFocus()
    box.clear()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def wait_until_indexed(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.fulltext._job is None and not window.worker.busy
                    and not window.fulltext.worker.busy, timeout=WAIT_MS)


def an_order_id(path) -> str:
    with open_shop(path, read_only=True) as store:
        placed = store.query(EventQuery(event_types=("OrderShipped",)), limit=12)
        return placed[-1].data["order_id"]


def test_a_search_lists_every_event_mentioning_it_with_the_other_filters(window, qtbot, seeded):
    order = an_order_id(seeded)
    type_search(qtbot, window, order)
    wait_until_indexed(qtbot, window)
    expected = scan(seeded, order)
    qtbot.waitUntil(lambda: listed(window) == expected, timeout=WAIT_MS)
    assert expected and window.filter_bar.filters.search == order
    qtbot.waitUntil(lambda: f"{len(expected):,} listed" in window.count_label.text(),
                    timeout=WAIT_MS)
    assert order in str(wait_for_page(qtbot, window, len(expected) - 1).data)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderShipped", "OrderPlaced"))
    both = scan(seeded, order, EventQuery(event_types=("OrderShipped", "OrderPlaced")))
    assert listed(window) == both and 0 < len(both) < len(expected)
    phrase = f'"Royal Mail" {order[:-1]}*'
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(())
        type_search(qtbot, window, phrase)
    qtbot.waitUntil(lambda: listed(window) == scan(seeded, phrase), timeout=WAIT_MS)
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.clear()
    assert window.filter_bar.search.box.text() == "" and len(listed(window)) > len(expected)


def test_the_first_search_says_how_far_the_index_is_built(window, qtbot, seeded, monkeypatch):
    monkeypatch.setattr(fulltext, "BATCH", 400)
    seen_states = []
    original = window.fulltext._progress

    def progress(value):
        original(value)
        seen_states.append(window.filter_bar.search.state.text())
    monkeypatch.setattr(window.fulltext, "_progress", progress)
    type_search(qtbot, window, "cust_00*")
    wait_until_indexed(qtbot, window)
    expected = scan(seeded, "cust_00*")
    qtbot.waitUntil(lambda: listed(window) == expected, timeout=WAIT_MS)
    assert any("indexing… " in state and "%" in state for state in seen_states)
    assert not window.filter_bar.search.state.isVisible()


def test_stopping_a_build_keeps_what_was_indexed_and_a_new_search_goes_on(window, qtbot, seeded,
                                                                        monkeypatch):
    monkeypatch.setattr(fulltext, "BATCH", 200)
    stopped = []

    def stop_after_first_batch(value):
        type(window.fulltext)._progress(window.fulltext, value)
        if not stopped and value[0] > 0:
            stopped.append(value[0])
            window.filter_bar.search.stop_requested.emit()
    monkeypatch.setattr(window.fulltext, "_progress", stop_after_first_batch)
    type_search(qtbot, window, "OrderPlaced")
    qtbot.waitUntil(lambda: bool(stopped) and window.fulltext._job is None
                    and not window.fulltext.worker.busy, timeout=WAIT_MS)
    assert "built" in window.filter_bar.search.state.text()
    with open_shop(seeded, read_only=True) as store, \
            FullTextIndex(fulltext_path(str(seeded), False)) as index:
        partial = index.checkpoint()
        assert 0 < partial < store.last_position() and not index.built()
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=WAIT_MS)
    assert set(listed(window)) <= set(scan(seeded, "OrderPlaced"))
    assert all(position <= partial for position in listed(window))
    type_search(qtbot, window, "OrderPlaced cust_0*")
    wait_until_indexed(qtbot, window)
    qtbot.waitUntil(lambda: listed(window) == scan(seeded, "OrderPlaced cust_0*"),
                    timeout=WAIT_MS)


def test_new_events_are_indexed_and_listed_live(window, qtbot, seeded):
    type_search(qtbot, window, "prod_103")
    wait_until_indexed(qtbot, window)
    before = listed(window)
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain).execute("Inventory", "prod_103", "receive_stock",
                                                   {"quantity": 2})
        last = store.last_position()
    qtbot.waitUntil(lambda: listed(window) == [*before, last], timeout=WAIT_MS)


def test_ctrl_k_goes_to_the_box_and_nothing_to_search_for_says_so(window, qtbot):
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    box = window.filter_bar.search.box
    qtbot.waitUntil(box.hasFocus, timeout=WAIT_MS)
    rows = window.event_model.rowCount()
    type_search(qtbot, window, " ;; ")
    state = window.filter_bar.search.state
    qtbot.waitUntil(state.isVisible, timeout=WAIT_MS)
    assert "Nothing to search for" in state.text()
    assert "the list still shows every event" in state.text()
    assert window.filter_bar.filters.search == "" and window.event_model.rowCount() == rows
    type_search(qtbot, window, "prod_103")
    qtbot.waitUntil(lambda: window.filter_bar.filters.search == "prod_103", timeout=WAIT_MS)
    box.selectAll()  # typed over: a lone quote, and the list still shows prod_103's events
    qtbot.keyClicks(box, '"')
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Nothing to search for" in state.text(), timeout=WAIT_MS)
    assert "the list still shows “prod_103”" in state.text()
    assert "Nothing to search for in “\"”" in state.toolTip()
    assert state.toolTip().endswith("it still shows the events mentioning “prod_103”.")
    assert window.filter_bar.filters.search == "prod_103"


def test_an_empty_list_says_no_matches_yet_while_the_index_is_built(window, qtbot, monkeypatch):
    monkeypatch.setattr(fulltext, "BATCH", 300)
    notes = []
    shown = window.browser.empty_notice.show_note

    def show_note(text):
        notes.append(text)
        shown(text)
    monkeypatch.setattr(window.browser.empty_notice, "show_note", show_note)
    type_search(qtbot, window, "nowhere_to_be_found")
    wait_until_indexed(qtbot, window)
    assert any("No matches yet" in note and "being built" in note for note in notes), notes
    notice = window.browser.empty_notice
    qtbot.waitUntil(lambda: "No events match" in notice.text(), timeout=WAIT_MS)
    assert "mentioning nowhere_to_be_found" in notice.text() and notice.isVisible()


def test_opening_another_store_closes_the_index_of_the_last_one(window, qtbot, seeded,
                                                               tmp_path):
    type_search(qtbot, window, "OrderPlaced")
    wait_until_indexed(qtbot, window)
    kept = []
    window.worker.submit(lambda context: context.cache[INDEX_KEY], kept.append)
    qtbot.waitUntil(lambda: bool(kept), timeout=WAIT_MS)
    other = tmp_path / "other.evstore"
    other.write_bytes(seeded.read_bytes())
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(other)
    qtbot.waitUntil(lambda: kept[0].database.connection.closed, timeout=WAIT_MS)


def newest_match_selected(window, expected: list[int]) -> bool:
    """The newest of `expected` is the selected row, and on screen."""
    table, current = window.table, window.table.currentIndex()
    return (bool(expected) and current.isValid()
            and window.event_model.position(current.row()) == expected[-1]
            and table.viewport().rect().intersects(table.visualRect(current)))


def test_a_search_selects_its_newest_match_first_with_the_other_filters(window, qtbot, seeded,
                                                                       monkeypatch):
    monkeypatch.setattr(window_fulltext, "NEWEST_PAGE", 5)
    first_lists: list[list[int]] = []
    window.event_model.modelReset.connect(lambda: first_lists.append(listed(window)))
    type_search(qtbot, window, "cust_0*")
    wait_until_indexed(qtbot, window)
    expected = scan(seeded, "cust_0*")
    qtbot.waitUntil(lambda: listed(window) == expected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: newest_match_selected(window, expected), timeout=WAIT_MS)
    assert window.detail.shown_event is not None
    first_lists.clear()
    types = ("OrderPlaced", "OrderShipped")
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(types)
    both = scan(seeded, "cust_0*", EventQuery(event_types=types))
    assert len(both) > 5 and listed(window) == both
    assert first_lists[0] == both[-5:]  # the newest page, before the whole list
    qtbot.waitUntil(lambda: newest_match_selected(window, both), timeout=WAIT_MS)


def test_while_the_index_is_built_the_newest_match_so_far_stays_selected(window, qtbot, seeded,
                                                                         monkeypatch):
    monkeypatch.setattr(fulltext, "BATCH", 300)
    type_search(qtbot, window, "OrderPlaced")
    wait_until_indexed(qtbot, window)
    expected = scan(seeded, "OrderPlaced")
    qtbot.waitUntil(lambda: listed(window) == expected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: newest_match_selected(window, expected), timeout=WAIT_MS)


def test_the_newest_matches_show_with_their_events_before_the_whole_list(window, qtbot, seeded,
                                                                         monkeypatch):
    # the whole list held back, as millions of matches hold it (2.7 s at 10M events): the
    # newest page's rows, the newest match's detail and its cause and effects are shown
    # meanwhile (its events read with the page, the cause's job run before the whole list's),
    # not by jobs queued on the worker behind the whole list
    type_search(qtbot, window, "OrderPlaced")
    wait_until_indexed(qtbot, window)
    monkeypatch.setattr(window_fulltext, "NEWEST_PAGE", 150)  # two of the list's pages
    release = threading.Event()
    whole_list = window_fulltext.all_matching

    def held_back(*args, **kwargs):
        release.wait(60)
        return whole_list(*args, **kwargs)
    monkeypatch.setattr(window_fulltext, "all_matching", held_back)
    expected = scan(seeded, "cust_0*")
    assert len(expected) > 150
    model = window.event_model
    try:
        type_search(qtbot, window, "cust_0*")
        qtbot.waitUntil(lambda: listed(window) == expected[-150:]
                        and all(model.event_at(row) is not None for row in range(150))
                        and newest_match_selected(window, expected)
                        and window.detail.shown_event is not None
                        and window.detail.shown_event.position == expected[-1]
                        and window.causality.model.focus_id == model.event_at(149).event_id,
                        timeout=WAIT_MS)
        assert [model.event_at(row).position for row in range(150)] == expected[-150:]
    finally:
        release.set()
    qtbot.waitUntil(lambda: listed(window) == expected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: newest_match_selected(window, expected), timeout=WAIT_MS)


def test_a_search_superseded_while_its_whole_list_is_read_stops_at_the_next_part(
        window, qtbot, seeded, monkeypatch):
    # a word in every event of 10M is a hundred of the index's parts, 2-3 s: a search typed
    # meanwhile waited for them all on the worker
    monkeypatch.setattr(fulltext, "PART", 200)  # the seeded store's index in many parts
    type_search(qtbot, window, "OrderPlaced")
    wait_until_indexed(qtbot, window)
    holding, release, outcomes = threading.Event(), threading.Event(), []
    whole_list = window_fulltext.all_matching

    def held_back(index, store, text, *args, **kwargs):
        if text == "cust_0*" and not holding.is_set():
            holding.set()
            release.wait(60)
        try:
            found = whole_list(index, store, text, *args, **kwargs)
        except Cancelled:
            outcomes.append((text, "stopped"))
            raise
        outcomes.append((text, "read"))
        return found
    monkeypatch.setattr(window_fulltext, "all_matching", held_back)
    try:
        type_search(qtbot, window, "cust_0*")
        qtbot.waitUntil(holding.is_set, timeout=WAIT_MS)
        type_search(qtbot, window, "prod_103")
    finally:
        release.set()
    expected = scan(seeded, "prod_103")
    qtbot.waitUntil(lambda: listed(window) == expected, timeout=WAIT_MS)
    assert ("cust_0*", "stopped") in outcomes and ("cust_0*", "read") not in outcomes


def test_an_empty_search_list_says_no_matches_yet_until_the_index_is_made(window, qtbot,
                                                                          monkeypatch):
    """The search's list comes back empty before the index job has said how far it is: that
    is "no matches yet", never "No events match" (nothing was searched yet)."""
    release, indexing = threading.Event(), threading.Event()
    opened = window_fulltext.index_of

    def held(context):
        import sys
        if sys._getframe(1).f_code.co_name == "index" and not indexing.is_set():  # the build
            indexing.set()
            assert release.wait(WAIT_MS / 1000), "the test never let the index be made"
        return opened(context)

    monkeypatch.setattr(window_fulltext, "index_of", held)
    notice = window.browser.empty_notice
    with qtbot.waitSignal(window.browser.rows_ready, timeout=WAIT_MS):
        type_search(qtbot, window, "nowhere_to_be_found")
    try:
        qtbot.waitUntil(indexing.is_set, timeout=WAIT_MS)
        qtbot.waitUntil(notice.isVisible, timeout=WAIT_MS)
        assert "No matches yet" in notice.text() and "No events match" not in notice.text()
    finally:
        release.set()
    wait_until_indexed(qtbot, window)
    qtbot.waitUntil(lambda: "No events match" in notice.text(), timeout=WAIT_MS)
    assert "mentioning nowhere_to_be_found" in notice.text()


def test_a_word_upcasting_adds_to_older_events_is_warned_of_under_the_filters(window, qtbot):
    """(Helper M: a search of USD listed the orders stored with a currency and not the older
    ones, shown in USD all the same, saying nothing.)"""
    warning = window.filter_bar.warning
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        type_search(qtbot, window, "USD")
    qtbot.waitUntil(warning.isVisible, timeout=WAIT_MS)
    assert warning.text().startswith("⚠ USD: OrderPlaced events stored at schema version 1 ")
    assert "are searched as stored, before upcasting" in warning.text()
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        type_search(qtbot, window, "prod_103")
    wait_until_indexed(qtbot, window)
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=WAIT_MS)
    assert not warning.isVisible()  # it spoke of the search as it was
