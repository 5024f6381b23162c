"""The Watch panel: a pinned value follows the cursor, a bad expression is said under the field,
a plot over the timeline moves the cursor when clicked, and the watches come back with the
store."""

from __future__ import annotations

import pytest

from explorer.domain import CommandService
from explorer.projections import ReadModelDatabase, read_model_path
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.watch import Series
from explorer.ui import settings
from explorer.ui.models.watches import WatchListModel, WatchRow
from tests.ui.conftest import (
    SHOP,
    WAIT_MS,
    last_position,
    open_shop,
    wait_for_moment,
    wait_for_read_models,
)

FIELD = "prod_101.on_hand"


def on_hand_at(path, position: int):
    with open_shop(path, read_only=True) as store:
        state = TimeMachine(store, None, SHOP).aggregate_at("prod_101", position).state
    return state.get("on_hand")


def pin(qtbot, window, text: str) -> None:
    panel = window.watch_panel
    panel.entry.setText(text)
    rows = panel.model.row_count()
    panel.add_button.click()
    qtbot.waitUntil(lambda: panel.model.row_count() == rows + 1, timeout=WAIT_MS)


def value_of(window, text: str) -> WatchRow:
    return next(row for row in window.watch_panel.model.rows if row.text == text)


def test_a_pinned_value_follows_the_cursor(travelling, qtbot, seeded):
    window = travelling
    window.bottom_tabs.setCurrentIndex(window.watch_tab)
    pin(qtbot, window, FIELD)
    last = last_position(seeded)
    row = value_of(window, FIELD)
    assert row.position == last and row.value == on_hand_at(seeded, last)
    for position in (40, 1, 250):
        window.travel_to(position)
        wait_for_moment(qtbot, window, position)
        qtbot.waitUntil(lambda p=position: value_of(window, FIELD).position == p,
                        timeout=WAIT_MS)
        assert value_of(window, FIELD).value == on_hand_at(seeded, position)
    shown = window.watch_panel.model.index(0, 1).data()
    assert shown == ("none" if row.value is None else f"{value_of(window, FIELD).value:,}")


def test_a_pinned_value_follows_the_log_as_it_grows(travelling, qtbot, seeded):
    window = travelling
    pin(qtbot, window, FIELD)
    last = last_position(seeded)
    before = value_of(window, FIELD).value
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain, issued_by="test").execute(
            "Inventory", "prod_101", "receive_stock", {"quantity": 7})
    wait_for_moment(qtbot, window, last + 1)  # live: the cursor follows
    qtbot.waitUntil(lambda: value_of(window, FIELD).position == last + 1, timeout=WAIT_MS)
    assert value_of(window, FIELD).value == before + 7 == on_hand_at(seeded, last + 1)
    window.travel_to(last)
    qtbot.waitUntil(lambda: value_of(window, FIELD).position == last, timeout=WAIT_MS)
    assert value_of(window, FIELD).value == before


def test_a_count_follows_the_cursor(travelling, qtbot, seeded):
    window = travelling
    wait_for_read_models(qtbot, seeded)
    text = 'count(order_summary where status = "paid")'
    pin(qtbot, window, text)
    with open_shop(seeded, read_only=True) as store, ReadModelDatabase(
            read_model_path(str(seeded), False), read_only=True) as readmodels:
        machine = TimeMachine(store, readmodels, SHOP)
        for position in (300, 900):
            window.travel_to(position)
            qtbot.waitUntil(lambda p=position: value_of(window, text).position == p,
                            timeout=WAIT_MS)
            rows = machine.read_model_at("order_summary", position, 100_000).rows
            assert value_of(window, text).value == sum(r["status"] == "paid" for r in rows)


def test_a_bad_expression_is_said_under_the_field(travelling, qtbot):
    panel = travelling.watch_panel
    panel.entry.setText("prod_101.on_hnd")
    panel.add_button.click()
    qtbot.waitUntil(lambda: not panel.problem.isHidden(), timeout=WAIT_MS)
    assert "no field 'on_hnd'" in panel.problem.text()
    assert panel.model.row_count() == 0 and panel.entry.text() == "prod_101.on_hnd"


def test_the_plot_follows_the_timeline_and_a_click_moves_the_cursor(travelling, qtbot, seeded):
    window = travelling
    window.bottom_tabs.setCurrentIndex(window.watch_tab)
    qtbot.waitUntil(lambda: window.timeline.plot is not None, timeout=WAIT_MS)
    window.timeline.axis.setCurrentIndex(1)  # by position
    panel = window.watch_panel
    pin(qtbot, window, FIELD)
    shown = window.timeline.plot.viewRange()[0]
    panel.plot_selected()
    qtbot.waitUntil(lambda: FIELD in panel.plots and panel.plots[FIELD].series is not None,
                    timeout=WAIT_MS)
    plot = panel.plots[FIELD]
    series: Series = plot.series
    assert plot.isVisible() and not plot.by_time and series.text == FIELD
    xs, ys = plot.line.getData()
    assert window.timeline.plot.viewRange()[0] == shown  # the timeline's range is kept
    assert plot.viewRange()[0] == pytest.approx(shown)  # and is the plot's
    assert xs[0] == series.positions[1] and xs[-1] == series.last  # none before the stream
    assert plot.cursor.value() == window.timeline.plot.cursor.value()
    with qtbot.wait_signal(window.travel.moment_ready, timeout=WAIT_MS):
        plot.choose(120.3)
    wait_for_moment(qtbot, window, 120)
    assert plot.cursor.value() == 120
    window.timeline.axis.setCurrentIndex(0)  # by time: the plot follows
    qtbot.waitUntil(lambda: plot.by_time, timeout=WAIT_MS)
    assert plot.cursor.value() == pytest.approx(window.timeline.plot.x_of(120))


def test_several_watches_are_plotted_stacked_sharing_the_timeline(travelling, qtbot, seeded):
    window = travelling
    window.bottom_tabs.setCurrentIndex(window.watch_tab)
    qtbot.waitUntil(lambda: window.timeline.plot is not None, timeout=WAIT_MS)
    window.timeline.axis.setCurrentIndex(1)  # by position
    panel = window.watch_panel
    wait_for_read_models(qtbot, seeded)
    count = 'count(sagas where status = "completed")'
    for text in (FIELD, count):
        pin(qtbot, window, text)
        panel.view.selectRow(panel.model.texts.index(text))
        panel.plot_button.click()
        qtbot.waitUntil(lambda t=text: t in panel.plots and panel.plots[t].series is not None,
                        timeout=WAIT_MS)
    assert list(panel.plots) == [FIELD, count]
    field_plot, count_plot = panel.plots.values()
    assert field_plot.isVisible() and count_plot.isVisible()
    assert field_plot.y() < count_plot.y()  # stacked, in the order plotted
    shown = window.timeline.plot.viewRange()[0]
    for plot in (field_plot, count_plot):
        assert plot.viewRange()[0] == pytest.approx(shown)
    window.travel_to(120)
    wait_for_moment(qtbot, window, 120)
    assert field_plot.cursor.value() == count_plot.cursor.value() == 120
    assert panel.plot_button.text() == "Unplot"  # the count is selected: plotted
    panel.plot_button.click()
    assert list(panel.plots) == [FIELD] and panel.plot_button.text() == "Plot"
    panel.view.selectRow(0)
    panel.remove_selected()
    assert not panel.plots and not panel.plot_holder.isVisible()


def test_watches_are_saved_with_the_store_and_come_back(travelling, qtbot, seeded):
    from explorer.ui.main_window import MainWindow

    window = travelling
    pin(qtbot, window, FIELD)
    pin(qtbot, window, "prod_102.reserved")
    panel = window.watch_panel
    panel.view.selectRow(0)
    panel.remove_selected()
    assert settings.watches(panel.location) == ["prod_102.reserved"]
    window.close()
    again = MainWindow()
    qtbot.add_widget(again)
    with qtbot.wait_signal(again.store_opened, timeout=WAIT_MS):
        again.open_store(seeded)
    assert again.watch_panel.model.texts == ["prod_102.reserved"]
    qtbot.waitUntil(lambda: again.watch_panel.model.rows[0].position is not None,
                    timeout=WAIT_MS)
    assert again.watch_panel.problem.isHidden()  # not read before the store was open
    again.close()


def test_the_watch_list_model_is_a_sound_qt_model(qtmodeltester):
    model = WatchListModel()
    model.set_rows([WatchRow(FIELD, 5, 10), WatchRow("x.y", problem="no such stream"),
                    WatchRow("order_summary[o].lines", [1, {"a": True}], 3), WatchRow("q")])
    qtmodeltester.check(model)
    model.remove(1)
    model.add(WatchRow("z.z"))
    qtmodeltester.check(model)


def test_text_is_plotted_as_steps_between_labelled_values(qtbot):
    from explorer.ui.widgets.watch_plot import MAX_LEVELS, WatchPlot

    plot = WatchPlot()
    qtbot.add_widget(plot)
    plot.set_axis(False, None)
    statuses = Series("order_summary[o1].status", (0, 5, 9, 14),
                      (None, "placed", "paid", "shipped"), 20)
    assert plot.show_series(statuses) == ""
    assert sorted(label.toPlainText() for label, _y in plot.labels) == ["paid", "placed",
                                                                        "shipped"]
    xs, ys = plot.line.getData()  # a gap before the row exists, then its statuses in order
    assert list(xs) == [5, 9, 9, 14, 14, 20] and list(ys) == [0, 0, 1, 1, 2, 2]
    assert list(plot.line.opts["connect"]) == [True] * 5 + [False]
    gap = Series("order_summary[o1].total", (0, 5, 9, 14), (3, None, 4, 4.5), 20)
    plot.show_series(gap)
    xs, ys = plot.line.getData()  # no line where the row was gone
    assert list(xs) == [0, 5, 9, 14, 14, 20] and list(ys) == [3, 3, 4, 4, 4.5, 4.5]
    assert list(plot.line.opts["connect"]) == [True, False, True, True, True, False]
    many = Series("customers[c].name", tuple(range(MAX_LEVELS + 1)),
                  tuple(f"name {n}" for n in range(MAX_LEVELS + 1)), 30)
    assert "a plot needs numbers" in plot.show_series(many)


def test_time_watch_a_value_opens_the_watch_tab(travelling):
    window = travelling
    window.bottom_tabs.setCurrentIndex(window.travel_tab)
    window.watch_action.trigger()
    assert window.bottom_tabs.currentWidget() is window.watch_panel
    assert window.watch_action in window.menuBar().actions()[3].menu().actions()


def watch_from_menu(qtbot, window, view, point) -> str:
    """Right-click at `point` of `view`, choose "Watch …": the expression pinned."""
    view.customContextMenuRequested.emit(point)
    action = view.watch_menu.actions()[0]
    text = action.text().removeprefix("Watch ").replace("&&", "&")  # (a shown '&')
    action.trigger()
    qtbot.waitUntil(lambda: text in window.watch_panel.model.texts, timeout=WAIT_MS)
    view.watch_menu.close()
    return text


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # the menu, offscreen
def test_watch_this_on_a_state_field_and_a_read_model_cell_pins_them(travelling, qtbot, seeded):
    window = travelling
    wait_for_read_models(qtbot, seeded)
    window.bottom_tabs.setCurrentIndex(window.travel_tab)
    window.travel.set_focus("prod_101")
    window.travel_to(300)
    panel = window.moment_panel
    qtbot.waitUntil(lambda: panel.moment is not None and panel.moment.position == 300
                    and panel.moment.aggregate is not None
                    and panel.moment.aggregate.stream_id == "prod_101", timeout=WAIT_MS)
    tree = panel.state
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(0) == "on_hand")
    text = watch_from_menu(qtbot, window, tree, tree.visualItemRect(item).center())
    assert text == FIELD
    assert window.bottom_tabs.currentWidget() is window.watch_panel
    assert value_of(window, FIELD).value == on_hand_at(seeded, 300)

    window.bottom_tabs.setCurrentIndex(window.travel_tab)
    view, model = panel.views["order_summary"], panel.models["order_summary"]
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=WAIT_MS)
    status = model.index(0, model.columns.index("status"))
    text = watch_from_menu(qtbot, window, view, view.visualRect(status).center())
    assert text == f"order_summary[{model.rows[0]['order_id']}].status"
    key = model.index(0, model.columns.index("order_id"))  # a key never changes: not offered
    view.watch_menu = None
    view.customContextMenuRequested.emit(view.visualRect(key).center())
    assert view.watch_menu is None


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # the menu, offscreen
def test_watch_this_shows_an_ampersand_of_a_key_as_it_is(qtbot):
    """A key holding '&' ("R&D") was shown "Watch ...[RD]" with D underlined, as Qt takes '&'
    for the mark of a shortcut; the expression pinned was right all along."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QListView

    from explorer.ui.widgets.watch_this import offer_watch

    view = QListView()
    qtbot.add_widget(view)
    wanted: list[str] = []
    offer_watch(view, lambda _point: "teams[R&D].budget", wanted.append)
    view.customContextMenuRequested.emit(QPoint(1, 1))
    action = view.watch_menu.actions()[0]
    assert action.text() == "Watch teams[R&&D].budget"  # (shown "Watch teams[R&D].budget")
    action.trigger()
    assert wanted == ["teams[R&D].budget"]
    view.watch_menu.close()
