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
