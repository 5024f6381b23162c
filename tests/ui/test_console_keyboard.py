"""The command console used from the keyboard alone: Tab goes from the target through every
field of the form, in the order they are shown, to Send, stopping nowhere the focus cannot be
seen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget


@pytest.fixture
def console(window, qtbot):
    window.show_console()
    qtbot.waitUntil(lambda: window.console.isVisible())
    return window.console


def tab_stops(qtbot, form, start: QWidget, until: QWidget, limit: int = 40) -> list[QWidget]:
    """The widgets Tab gives the focus to, from `start` (focused first) up to `until`, once
    the form's fields are shown (a layout shows what it is given from the event loop)."""
    qtbot.waitUntil(lambda: all(editor.widget.isVisible() for editor in form.editors.values())
                    and all(row[1].isVisible() for row in form.editors["items"].rows))
    start.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start)
    stops: list[QWidget] = []
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        if focused is until:
            return stops
        stops.append(focused)
    raise AssertionError(f"Tab never reached {until.text()!r}: {stops}")


def within(widget: QWidget, ancestor: QWidget) -> bool:
    return widget is ancestor or ancestor.isAncestorOf(widget)


def test_tab_goes_from_the_target_through_the_form_to_send(console, qtbot):
    console.choose_command("Order", "place")
    form = console.form
    target = console.target_picker.id_field.edit
    stops = tab_stops(qtbot, form, target, console.send_panel.send_button)
    fields = [stop for stop in stops if within(stop, form)]
    customer = form.editors["customer_id"].widget
    total = form.editors["total"].widget
    assert fields, f"Tab skipped the form: {stops}"
    assert within(fields[0], customer), "the first field comes first"
    assert any(within(stop, total) for stop in fields)
    tops = [next(name for name, editor in form.editors.items()
                 if within(stop, editor.widget)) for stop in fields]
    assert tops == sorted(tops, key=list(form.editors).index), "fields in the order shown"
    assert not any(isinstance(stop, QScrollArea) for stop in stops), "no stop showing nothing"


def test_a_row_added_is_reached_by_tab_where_it_is_shown(console, qtbot):
    console.choose_command("Order", "place")
    form = console.form
    items = form.editors["items"]
    qtbot.mouseClick(items.add_button, Qt.MouseButton.LeftButton)
    new_row = items.rows[-1][1]
    stops = tab_stops(qtbot, form, console.target_picker.id_field.edit,
                      console.send_panel.send_button)
    in_new_row = [i for i, stop in enumerate(stops) if within(stop, new_row)]
    at_add = [i for i, stop in enumerate(stops) if stop is items.add_button]
    at_total = [i for i, stop in enumerate(stops) if within(stop, form.editors["total"].widget)]
    assert in_new_row and at_add and at_total, stops
    assert max(in_new_row) < at_add[0] < at_total[0], "the new row before its Add button"


def test_enter_in_the_search_goes_to_what_is_to_fill_in(console, qtbot):
    target = console.target_picker.id_field.edit
    target.clear()
    console.search.setFocus()
    qtbot.keyClicks(console.search, "osh")
    qtbot.waitUntil(lambda: console.current_command() is not None
                    and console.current_command().command_name == "ship")
    qtbot.keyClick(console.search, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is target, "no target yet: the target first"
    qtbot.keyClicks(target, "order_000001")
    console.search.setFocus()
    qtbot.keyClick(console.search, Qt.Key.Key_Return)
    first = console.form.editors["carrier"].widget
    focused = QApplication.focusWidget()
    assert within(focused, first), f"then the form's first field, not {focused}"


@pytest.mark.parametrize("value", [None, "2030-06-30"])
@pytest.mark.parametrize("key", [Qt.Key.Key_Tab, Qt.Key.Key_Backtab])
def test_tab_leaves_a_date_field_empty_or_not(console, qtbot, key, value):
    """An optional date left empty ("—") let Tab step through its sections for ever; a date
    given is stepped through (year, month, day), then left."""
    console.choose_command("Inventory", "receive_stock")
    console.form.editors["best_before"].set_value(value)
    best_before = console.form.editors["best_before"].widget
    qtbot.waitUntil(best_before.isVisible)
    best_before.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is best_before)
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), key)
        if QApplication.focusWidget() is not best_before:
            return
    raise AssertionError(f"Tab stayed in the date field ({value})")
