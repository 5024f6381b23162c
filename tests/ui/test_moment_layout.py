"""The As of Cursor tab on a laptop screen: the columns that matter fit, the rest on demand."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from explorer.common.formatting import short_time
from explorer.ui.models.moment_rows import SINCE
from explorer.ui.widgets.moment_panel import column_menu
from tests.ui.conftest import open_shop, wait_for_moment
from tests.ui.test_panels import caught_up


def saga_event(seeded) -> tuple[str, int]:
    """A saga with the most events, and the position of its last."""
    with open_shop(seeded, read_only=True) as store:
        events = [e for e in store.read_all() if e.stream_type == "OrderFulfilment"]
        streams = {}
        for event in events:
            streams.setdefault(event.stream_id, []).append(event)
        longest = max(streams.values(), key=len)
        return longest[-1].stream_id, longest[-1].position


def at_laptop_size(qtbot, window, seeded):
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: caught_up(window), timeout=30_000)  # the sagas' rows are read
    saga_id, position = saga_event(seeded)
    window.travel_to(position)
    wait_for_moment(qtbot, window, position)
    window.moment_panel.saga_chosen.emit(saga_id)  # as clicking it in the list does
    qtbot.waitUntil(lambda: window.travel.moment.saga is not None
                    and window.moment_panel.steps.rowCount() > 0)
    moment = window.travel.moment
    assert moment.saga is not None and len(moment.saga.steps) >= 3
    qtbot.waitUntil(lambda: window.moment_panel.sagas_model.rowCount() > 0)
    QApplication.processEvents()
    return window.moment_panel, moment


def test_the_sagas_and_steps_fit_their_pane_at_1400_by_900(window, qtbot, seeded):
    panel, moment = at_laptop_size(qtbot, window, seeded)
    sagas, model = panel.sagas, panel.sagas_model
    hidden = {model.columns[c] for c in range(model.columnCount()) if sagas.isColumnHidden(c)}
    assert hidden == {SINCE, "saga_id"}  # secondary: the saga id repeats the order id
    assert sagas.horizontalScrollBar().maximum() == 0  # nothing off to the right
    current_step = model.columns.index("current_step")
    assert sagas.columnWidth(current_step) >= 100  # what a running saga is doing
    steps = panel.steps
    assert steps.horizontalScrollBar().maximum() == 0
    metrics = steps.fontMetrics()
    day = short_time(moment.event.timestamp_us)[:10]
    for row in range(steps.rowCount()):
        label = steps.item(row, 0).text()
        assert metrics.horizontalAdvance(label) <= steps.columnWidth(0), label  # not "reserve p…"
        step = moment.saga.steps[row]
        assert step.step in steps.item(row, 0).toolTip() and step.target in \
            steps.item(row, 0).toolTip()
        if step.finished_at_us:
            whole = short_time(step.finished_at_us)
            shown = steps.item(row, 2).text()
            assert shown == (whole[11:19] if whole.startswith(day) else whole[5:16])
            assert f"finished {whole} UTC" in steps.item(row, 2).toolTip()


def test_the_aggregate_gives_its_values_the_room_and_their_whole_text_on_hover(window, qtbot,
                                                                             seeded):
    panel, moment = at_laptop_size(qtbot, window, seeded)
    state = panel.state
    header = state.header()
    assert header.sectionSize(1) >= header.sectionSize(0)  # the values are the point
    if all(change.kind == "added" for change in moment.aggregate.changes):
        assert state.isColumnHidden(2)  # "Before" would say "(new)" on every line
    for number in range(state.topLevelItemCount()):
        item = state.topLevelItem(number)
        assert item.toolTip(1) and item.text(1) in item.toolTip(1)


def test_the_aggregates_columns_are_fitted_again_when_its_pane_changes_width(window, qtbot,
                                                                            seeded):
    panel, _moment = at_laptop_size(qtbot, window, seeded)
    state = panel.state
    state.expandAll()  # a deep state: its indented paths would take the Field column's room
    for width in (260, 700, 320):
        state.resize(width, state.height())
        QApplication.processEvents()
        shown = state.viewport().width()
        assert state.columnWidth(0) <= int(shown * 0.35)  # Field within its share
        assert state.columnWidth(1) >= shown * 0.4  # Value keeps the rest


def test_the_read_models_get_the_widest_share_and_most_of_any_extra(window, qtbot, seeded):
    panel, _moment = at_laptop_size(qtbot, window, seeded)
    before = panel.split.sizes()
    assert before[1] == max(before)
    window.resize(1920, 1050)
    QApplication.processEvents()
    after = panel.split.sizes()
    gains = [new - old for new, old in zip(after, before, strict=True)]
    assert gains[1] > gains[0] and gains[1] > gains[2], (before, after)
    for name, view in panel.views.items():  # no column but the last, stretching, past the limit
        shown = [c for c in range(view.model().columnCount()) if not view.isColumnHidden(c)]
        assert max(view.columnWidth(c) for c in shown[:-1]) <= 160, name
        assert panel.read_model_choice.itemData(list(panel.views).index(name),
                                                Qt.ItemDataRole.ToolTipRole)


def test_a_hidden_column_comes_back_from_the_header_menu(window, qtbot, seeded):
    panel, _moment = at_laptop_size(qtbot, window, seeded)
    view = panel.views["order_summary"]
    since = view.model().columns.index(SINCE)
    assert view.isColumnHidden(since)
    menu = column_menu(view)  # what right-clicking the header shows
    action = next(a for a in menu.actions() if a.text() == "since position")
    assert not action.isChecked() and action.isEnabled()
    action.trigger()
    assert not view.isColumnHidden(since)
    assert next(a for a in column_menu(view).actions() if a.text() == "order id").isChecked()


def test_the_aggregate_s_deep_fields_keep_room_for_their_names_at_1400_by_900(window, qtbot,
                                                                            seeded):
    """(A saga's step's fields, three levels down, were "st…", "ki…", "c…", "d…": the tree's
    indentation took the Field column's 90 px.)"""
    panel, _moment = at_laptop_size(qtbot, window, seeded)
    state = panel.state
    state.expandAll()
    QApplication.processEvents()
    room = state.fontMetrics().horizontalAdvance("kind") + 8  # (a short name, whole)
    deepest = 0
    iterator = [state.topLevelItem(n) for n in range(state.topLevelItemCount())]
    while iterator:
        item = iterator.pop()
        rect = state.visualItemRect(item)
        left = rect.left() if rect.isValid() else 0
        name_room = state.columnWidth(0) - left
        if rect.isValid():
            assert name_room >= room, (item.text(0), name_room)
        depth, parent = 0, item.parent()
        while parent is not None:
            depth, parent = depth + 1, parent.parent()
        deepest = max(deepest, depth)
        iterator.extend(item.child(n) for n in range(item.childCount()))
    assert deepest >= 2
