"""Compare two moments in the window: marks A and B on the timeline, the Compare view's counts
and rows equal the core Comparer's, a stream's diff is shown, the summary exported privately."""

from __future__ import annotations

import json

from explorer.common.formatting import count_of
from explorer.common.private_files import is_private
from explorer.projections import ReadModelDatabase, read_model_path
from explorer.projections.changes import RowChange
from explorer.store.activity import StreamActivity
from explorer.timetravel.compare import Comparer, SagaChange
from explorer.ui.compare.models import ComparisonTable, row_cells, saga_cells, stream_cells
from tests.ui.conftest import (
    SHOP,
    WAIT_MS,
    last_position,
    open_shop,
    wait_for_moment,
    wait_for_read_models,
)


def core_answer(path, before, after):
    with open_shop(path, read_only=True) as store, ReadModelDatabase(
            read_model_path(str(path), False), read_only=True) as readmodels:
        comparer = Comparer(store, readmodels, SHOP)
        summary = comparer.summary(before, after)
        streams = comparer.streams(before, after, limit=None)
        rows = comparer.rows("order_summary", before, after, limit=None)
        sagas = comparer.sagas(before, after, limit=None)
        first = comparer.stream(streams[0].stream_id, before, after)
    return summary, streams, rows, sagas, first


def loaded_rows(qtbot, model: ComparisonTable) -> list:
    def all_loaded():
        assert all(model.item(row) is not None for row in range(model.rowCount()))
    qtbot.waitUntil(all_loaded, timeout=WAIT_MS)
    return [model.item(row) for row in range(model.rowCount())]


def compared_window(travelling, qtbot, seeded):
    window = travelling
    wait_for_read_models(qtbot, seeded)
    last = last_position(seeded)
    a, b = last // 3, 2 * last // 3
    window.travel.go_to(a)
    wait_for_moment(qtbot, window, a)
    window.mark_a_action.trigger()
    assert window.timeline.moment_marks == {"A": a}
    window.travel.go_to(b)
    wait_for_moment(qtbot, window, b)
    with qtbot.wait_signal(window.compare_view.compared, timeout=WAIT_MS) as compared:
        window.mark_b_action.trigger()
    assert window.timeline.moment_marks == {"A": a, "B": b}
    assert window.bottom_tabs.currentIndex() == window.compare_tab
    return window, a, b, compared.args[0]


def test_the_compare_view_lists_what_the_comparer_finds(travelling, qtbot, seeded):
    window, a, b, shown = compared_window(travelling, qtbot, seeded)
    summary, streams, rows, sagas, _first = core_answer(seeded, a, b)
    assert shown.to_dict() == summary.to_dict()
    view = window.compare_view
    assert f"{count_of(summary.events, 'event')} in {count_of(summary.streams, 'stream')}" \
        in view.title.text()
    assert view.types.topLevelItemCount() == len(summary.stream_types)
    assert loaded_rows(qtbot, view.streams) == streams
    order_summary = [m.name for m in summary.read_models].index("order_summary")
    view.models_list.setCurrentItem(view.models_list.topLevelItem(order_summary))
    assert loaded_rows(qtbot, view.rows) == rows and rows
    assert loaded_rows(qtbot, view.sagas) == sagas
    changed = next(row for row, change in enumerate(rows) if change.kind == "changed")
    view.row_view.setCurrentIndex(view.rows.index(changed, 0))
    assert view.row_tree.first_change is not None  # the changed fields are marked


def test_selecting_a_stream_shows_its_aggregate_diff(travelling, qtbot, seeded):
    window, a, b, _shown = compared_window(travelling, qtbot, seeded)
    *_, first = core_answer(seeded, a, b)
    view = window.compare_view
    loaded_rows(qtbot, view.streams)
    with qtbot.wait_signal(view.stream_shown, timeout=WAIT_MS) as shown:
        view.stream_view.setCurrentIndex(view.streams.index(0, 0))
    assert shown.args[0] == first
    assert first.stream_id in view.stream_title.text()
    assert view.stream_tree.topLevelItemCount() == len(first.after or first.before)


def test_compare_cursor_to_live_and_a_later_a_refused(travelling, qtbot, seeded):
    window = travelling
    wait_for_read_models(qtbot, seeded)
    last = last_position(seeded)
    window.travel.go_to(last // 2)
    wait_for_moment(qtbot, window, last // 2)
    with qtbot.wait_signal(window.compare_view.compared, timeout=WAIT_MS) as compared:
        window.compare_live_action.trigger()
    assert (compared.args[0].before, compared.args[0].after) == (last // 2, last)
    assert "(live)" in window.compare_view.title.text()
    window.mark_b_action.trigger()  # B at the cursor: A and B equal, nothing changed
    window.travel.go_to(last // 4)
    wait_for_moment(qtbot, window, last // 4)
    window.compare_view.set_mark("A", last)
    with qtbot.wait_signal(window.compare_view.failed, timeout=WAIT_MS) as failed:
        window.compare_view.set_mark("B", last // 4)
    assert "after the second" in failed.args[0]
    assert "after the second" in window.compare_view.title.text()


def test_export_writes_the_summary_to_a_private_file(travelling, qtbot, seeded, tmp_path):
    window, a, b, shown = compared_window(travelling, qtbot, seeded)
    path = tmp_path / "comparison.json"
    window.compare_view.export(str(path))
    assert json.loads(path.read_text()) == json.loads(json.dumps(shown.to_dict()))
    assert is_private(path)


def test_the_comparison_tables_are_sound_qt_models(qtmodeltester):
    streams = ComparisonTable(("Stream", "Type", "Events", "Version"), stream_cells)
    streams.show(2, [StreamActivity("order_001", "Order", 2, 5),
                     StreamActivity("order_002", "Order", 1, 1)])
    qtmodeltester.check(streams)
    changes = [RowChange({"order_id": f"o{n}"}, "changed",
                         {"order_id": f"o{n}", "status": "placed"},
                         {"order_id": f"o{n}", "status": "paid"}, ("status",))
               for n in range(250)]
    rows = ComparisonTable(("Change", "Key", "What changed"), row_cells,
                           kind_of=lambda change: change.kind)
    rows.set_request_page(lambda generation, page: rows.page_loaded(
        generation, page, changes[page * rows.page_size:(page + 1) * rows.page_size]))
    rows.show(len(changes), changes[:3])  # a short first page is not taken for the whole
    qtmodeltester.check(rows)
    assert rows.item(249) == changes[249] and rows.item(42) == changes[42]
    sagas = ComparisonTable(("Saga", "Before", "After", "Reason"), saga_cells)
    sagas.show(1, [SagaChange("s1", "sagas", None, "started")])
    qtmodeltester.check(sagas)
    assert row_cells(rows.item(1)) == ("changed", "o1", "status: placed → paid")


def test_read_models_and_sagas_built_short_of_b_are_said(travelling, qtbot, seeded):
    """A comparison whose read models (a faulted one, one catching up) or sagas are built only
    part of the way to B misses their changes after that: the title says which and how far
    (before, it showed their counts as if whole)."""
    from explorer.projections.changes import ChangeCounts
    from explorer.timetravel.compare import Comparison, ReadModelComparison

    view = travelling.compare_view
    whole = ReadModelComparison("order_summary", "Orders", ChangeCounts(), [], 90)
    short = ReadModelComparison("stock", "Stock", ChangeCounts(), [], 41)
    view._show(Comparison(10, 90, 90, 80, 8, [], [whole, short], sagas_built_to=55))
    text = view.title.text()
    assert "Not yet built up to B" in text and "stock to 41, sagas to 55" in text
    assert "order_summary to" not in text
    view._show(Comparison(10, 90, 90, 80, 8, [], [whole], sagas_built_to=90))
    assert "Not yet built" not in view.title.text()


def test_one_event_compared_is_counted_in_the_singular(travelling, qtbot, seeded):
    window = travelling
    wait_for_read_models(qtbot, seeded)
    last = last_position(seeded)
    window.travel.go_to(last - 1)
    wait_for_moment(qtbot, window, last - 1)
    window.mark_a_action.trigger()
    window.travel.go_to(last)
    wait_for_moment(qtbot, window, last)
    with qtbot.wait_signal(window.compare_view.compared, timeout=WAIT_MS):
        window.mark_b_action.trigger()
    title = window.compare_view.title.text()
    assert "1 event in 1 stream · " in title, title  # not "1 events in 1 streams"
