"""Every Qt model passes Qt's own model tester, with real data from a store."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from explorer.browsing.causality import build_tree
from explorer.browsing.rows import ContiguousRows, PositionRows, build_row_map, read_rows
from explorer.store.query import EventQuery
from explorer.ui.models.causal_tree import CausalTreeModel
from explorer.ui.models.event_table import MAX_PAGES, PAGE_SIZE, EventTableModel
from explorer.ui.models.json_tree import JsonTreeModel
from explorer.ui.models.read_model import RowsModel
from explorer.ui.models.stream_tree import StreamTreeModel
from tests.ui.conftest import open_shop


def test_the_event_table_model(qtmodeltester, seeded):
    store = open_shop(seeded, read_only=True)
    query = EventQuery()
    model = EventTableModel()
    rows = build_row_map(store, query)

    def request(generation, page):  # load synchronously, as the worker would later
        model.page_loaded(generation, page, read_rows(store, rows, page * PAGE_SIZE, PAGE_SIZE,
                                                      query))
    model.set_request_page(request)
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert model.rowCount() == store.last_position()
    assert model.event_at(0).position == 1
    last = model.rowCount() - 1
    assert model.index(last, 0).data() == f"{store.last_position():,}"
    filtered = EventQuery(event_types=("OrderShipped",))
    rows = build_row_map(store, filtered)
    query = filtered
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert {model.event_at(r).event_type for r in range(model.rowCount())} == {"OrderShipped"}
    store.close()


def test_pages_of_a_stale_list_are_dropped_and_unloaded_rows_show_their_position(qtmodeltester):
    requested = []
    model = EventTableModel(lambda generation, page: requested.append((generation, page)))
    generation = model.set_rows(PositionRows(__import__("array").array("q", [5, 9, 12])))
    assert model.index(1, 0).data() == "9" and model.index(1, 4).data() == "…"
    assert requested == [(generation, 0)]
    model.set_rows(PositionRows(__import__("array").array("q", [1])))
    model.page_loaded(generation, 0, ["stale"])
    assert model.event_at(0) is None
    qtmodeltester.check(model)


def test_a_lists_first_events_read_with_it_are_shown_without_asking_for_their_pages(
        qtmodeltester, seeded):
    store = open_shop(seeded, read_only=True)
    positions = store.positions(EventQuery(event_types=("OrderPlaced",)))[-150:]
    rows = PositionRows(positions)
    events = read_rows(store, rows, 0, len(rows), EventQuery())
    store.close()
    requested = []
    model = EventTableModel(lambda generation, page: requested.append(page))
    model.set_rows(rows, events)
    qtmodeltester.check(model)
    assert [model.event_at(row) for row in range(150)] == events and requested == []
    model.set_rows(rows, events[:120])  # a short page followed by rows: read again
    assert model.event_at(110) is None and model.event_at(0) == events[0]
    assert requested == [1]
    model.set_rows(rows, events[1:])  # not these rows' events: every page read
    assert model.event_at(0) is None and requested == [1, 0]


def test_the_stream_tree_model(qtmodeltester, seeded, qtbot):
    store = open_shop(seeded, read_only=True)
    model = StreamTreeModel()

    def request(generation, stream_type, after, limit):
        model.streams_loaded(generation, stream_type,
                             store.list_streams(stream_type, after=after, limit=limit))
    model.set_request_streams(request)
    model.set_types(store.stream_types(), store.last_position())
    all_index = model.all_index()
    order = next(model.index(r, 0, all_index) for r in range(model.rowCount(all_index))
                 if model.index(r, 0, all_index).data() == "Order")
    assert model.hasChildren(order) and model.rowCount(order) == 0
    assert model.canFetchMore(order)
    model.fetchMore(order)
    assert model.rowCount(order) == 300 and not model.canFetchMore(order)
    qtmodeltester.check(model)
    model.update_counts(store.stream_types(), store.last_position() + 1)
    store.close()


def test_a_tree_model_asked_for_its_parent_without_an_index_names_its_owner(qtmodeltester):
    """parent(index) is the index above (Qt's override); parent() alone stays QObject's."""
    owner = QObject()
    model = JsonTreeModel({"a": {"b": 1}}, owner)
    qtmodeltester.check(model)
    assert model.parent() is owner
    above = model.index(0, 0)
    assert model.parent(model.index(0, 0, above)) == above
    assert not model.parent(above).isValid()


def test_the_json_and_causal_tree_models(qtmodeltester, seeded):
    json_model = JsonTreeModel({"a": 1, "items": [{"x": None}, True], "s": "text"})
    qtmodeltester.check(json_model)
    items = json_model.index(1, 0)
    assert json_model.index(1, 1).data() == "[2 items]" and json_model.rowCount(items) == 2
    store = open_shop(seeded, read_only=True)
    shipped = next(e for e in store.read_all() if e.event_type == "OrderShipped")
    roots = build_tree(store.events_by_correlation(shipped.correlation_id))
    causal = CausalTreeModel()
    causal.set_tree(roots, shipped.event_id)
    qtmodeltester.check(causal)
    assert causal.find(shipped.event_id).isValid()
    assert causal.index(0, 0).data().startswith("place on ")
    store.close()


def test_a_read_model_refresh_asks_again_for_the_pages_shown_and_keeps_them_meanwhile(
        qtmodeltester):
    requested = []
    model = RowsModel(lambda generation, page: requested.append((generation, page)))
    first = model.reset(["order_id", "total"], 150)
    assert model.index(120, 1).data() == "…" and requested == [(first, 1)]
    model.page_loaded(first, 1, [{"order_id": f"o{n}", "total": n} for n in range(100, 150)])
    assert model.index(120, 1).data() == "120"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "order id"
    second = model.refresh(160)  # ten rows more: the shown page is read again, kept meanwhile
    assert second > first and requested[-1] == (second, 1)
    assert model.rowCount() == 160 and model.index(120, 1).data() == "120"
    model.page_loaded(first, 1, [{"order_id": "stale", "total": 0}] * 50)  # dropped
    assert model.index(100, 0).data() == "o100"
    qtmodeltester.check(model)


def test_a_paged_table_keeps_its_newest_pages_and_asks_again_for_one_that_failed():
    requested = []
    model = EventTableModel(lambda generation, page: requested.append(page))
    generation = model.set_rows(ContiguousRows(1, PAGE_SIZE * (MAX_PAGES + 1)))
    for page in range(MAX_PAGES + 1):
        model.page_loaded(generation, page, [f"event {page}"] * PAGE_SIZE)
    requested.clear()
    assert model.event_at(PAGE_SIZE * MAX_PAGES) == f"event {MAX_PAGES}"
    assert model.event_at(0) is None and requested == [0]  # the oldest page was let go
    model.page_failed(generation, 0)
    assert model.event_at(0) is None and requested == [0, 0]  # a failed page is asked again
    assert model.event_at(1) is None and requested == [0, 0]  # once until it arrives
