"""Stream ids are cut in the middle, where they are alike, not at the end that tells them apart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from explorer.ui.models.event_table import DATA, STREAM
from tests.ui.conftest import last_position, wait_for_page


def elide_mode(view, index) -> Qt.TextElideMode:
    """How the view cuts the cell's text too long for it."""
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.textElideMode = view.textElideMode()
    view.itemDelegateForIndex(index).initStyleOption(option, index)
    return option.textElideMode


def test_the_event_lists_stream_ids_are_cut_in_the_middle_its_data_at_the_end(window, qtbot):
    wait_for_page(qtbot, window, 0)
    model = window.event_model
    assert elide_mode(window.table, model.index(0, STREAM)) == Qt.TextElideMode.ElideMiddle
    assert elide_mode(window.table, model.index(0, DATA)) == Qt.TextElideMode.ElideRight


def test_the_stream_browser_cuts_ids_in_the_middle_and_counts_in_few_characters(window,
                                                                                  seeded):
    tree = window.stream_browser.tree
    assert tree.textElideMode() == Qt.TextElideMode.ElideMiddle
    every = window.stream_model.all_index()
    assert every.siblingAtColumn(1).data() == f"{last_position(seeded):,}"  # not "… events"
    assert "events" not in every.siblingAtColumn(1).data()
