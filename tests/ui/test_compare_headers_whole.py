"""The Compare tab's column titles are whole at the window's usual sizes, before any comparison
and after one: the stream types' tree's first title, "Stream type / event type", was cut to
"Stream type / ev" (its column Qt's default 100 px) while the counts' columns took 100 px each."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QTreeWidget


def whole_titles(tree: QTreeWidget) -> None:
    header = tree.header()
    metrics = header.fontMetrics()
    for column in range(tree.columnCount()):
        title = tree.headerItem().text(column)
        assert header.sectionSize(column) >= metrics.horizontalAdvance(title) + 8, title
    assert tree.horizontalScrollBar().maximum() == 0


@pytest.mark.parametrize("size", [(1400, 900), (1024, 700)])
def test_the_stream_types_titles_are_whole(window, qtbot, size):
    window.resize(*size)
    view = window.compare_view
    window.bottom_tabs.setCurrentIndex(window.compare_tab)
    qtbot.waitUntil(view.types.isVisible)
    QApplication.processEvents()
    whole_titles(view.types)
    view.tabs.setCurrentIndex(1)  # Read models
    qtbot.waitUntil(view.models_list.isVisible)
    QApplication.processEvents()
    whole_titles(view.models_list)


def test_a_name_the_tree_cuts_is_whole_on_hover(window, qtbot):
    """The names' column takes the room the counts leave (06f7b68: before, it was as wide as
    its longest name, the tree scrolled sideways): a long event type's name, or a read model's,
    is cut there, and was then nowhere to be read whole. It is whole on hover."""
    from explorer.store.activity import StreamTypeActivity
    from explorer.timetravel.compare import Comparison

    window.resize(1024, 700)
    view = window.compare_view
    window.bottom_tabs.setCurrentIndex(window.compare_tab)
    qtbot.waitUntil(view.types.isVisible)
    long_name = "OrderShippingAddressCorrectedByCustomerServiceAfterDispatch"
    view._show(Comparison(1, 2, 2, 1, 1, [StreamTypeActivity("Order", 1, 1, ((long_name, 1),))]))
    QApplication.processEvents()
    item = view.types.topLevelItem(0).child(0)
    assert item.text(0) == long_name
    room = view.types.header().sectionSize(0) - 2 * view.types.indentation()
    assert view.types.fontMetrics().horizontalAdvance(long_name) > room  # (cut)
    assert item.toolTip(0) == long_name
    assert view.types.topLevelItem(0).toolTip(0) == "Order"
