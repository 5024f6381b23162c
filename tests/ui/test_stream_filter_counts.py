"""The stream browser's filter picks streams in the tree; a stream type's count says so, as
"matching of all" streams, and its tooltip says what selecting the type lists (all its events:
the filter does not pick events), so that the count and the list a click shows agree."""

from __future__ import annotations

from explorer.store.records import StreamTypeInfo
from tests.ui.conftest import WAIT_MS, open_shop


def type_index(window, name: str, column: int = 0):
    model = window.stream_model
    all_index = model.all_index()
    return next(model.index(r, column, all_index) for r in range(model.rowCount(all_index))
                if model.index(r, 0, all_index).data() == name)


def filter_streams(window, qtbot, pattern: str) -> None:
    window.stream_browser.filter.setText(pattern)
    with qtbot.wait_signal(window.stream_model.modelReset, timeout=WAIT_MS):
        window.stream_browser.flush_pattern()


def test_a_types_count_under_a_stream_filter_says_how_many_of_its_streams_match(
        window, qtbot, seeded):
    with open_shop(seeded, read_only=True) as store:
        customers = store.count_streams("Customer")
        customer_events = sum(1 for e in store.read_all() if e.stream_type == "Customer")
        orders = store.count_streams("Order")
    assert type_index(window, "Customer", 1).data() == f"{customers:,} streams"  # no filter: all
    filter_streams(window, qtbot, "order_")
    assert type_index(window, "Customer", 1).data() == f"0 of {customers:,} streams"
    assert type_index(window, "Order", 1).data() == f"{orders:,} of {orders:,} streams"
    tip = type_index(window, "Customer").data(0x03)  # ToolTipRole
    assert f"0 of {customers:,} Customer streams match “order_”" in tip, tip
    assert f"all {customer_events:,} events of the {customers:,} streams" in tip, tip

    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.stream_browser.tree.setCurrentIndex(type_index(window, "Customer"))
    assert window.event_model.rowCount() == customer_events  # as the tooltip says

    filter_streams(window, qtbot, "")
    assert type_index(window, "Customer", 1).data() == f"{customers:,} streams"
    tip = type_index(window, "Customer").data(0x03)
    assert tip == f"{customers:,} Customer streams with {customer_events:,} events"


def test_new_events_under_a_stream_filter_keep_the_matching_counts(window, qtbot, seeded):
    with open_shop(seeded, read_only=True) as store:
        types = store.stream_types()
    customers = next(t for t in types if t.stream_type == "Customer")
    filter_streams(window, qtbot, "order_")
    grown = [StreamTypeInfo(t.stream_type, t.streams + 1, t.events + 1) for t in types]
    window.stream_model.update_counts(grown, window.browser.last_position + len(grown))
    assert type_index(window, "Customer", 1).data() == f"0 of {customers.streams + 1:,} streams"


def test_a_stream_filter_holding_a_nul_is_refused_saying_so(window, qtbot, seeded):
    """A NUL pasted with the filter: SQLite's LIKE ended the pattern there, so the tree counted
    every stream as matching. The window says what is wrong, and the tree stays as it was."""
    with open_shop(seeded, read_only=True) as store:
        customers = store.count_streams("Customer")
    filter_streams(window, qtbot, "order_")
    window.stream_browser.filter.setText("\x00")
    with qtbot.wait_signal(window.browser.failed, timeout=WAIT_MS) as said:
        window.stream_browser.flush_pattern()
    assert said.args[0] == ("The stream filter holds a NUL character (\\0, pasted with the "
                            "text?), which no stream id holds; remove it.")
    assert type_index(window, "Customer", 1).data() == f"0 of {customers:,} streams"
