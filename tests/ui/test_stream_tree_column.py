"""The stream browser's second column says what each row's number is: All events' count of
events, a stream type's count of its streams, a stream's version (the number of its last event,
not a count), under a title naming both, so that no stream's "v3" stands under "Count"."""

from __future__ import annotations

from PySide6.QtCore import Qt

from explorer.store.records import StreamInfo, StreamTypeInfo
from explorer.ui.models.stream_tree import StreamTreeModel


def test_the_column_names_what_each_row_holds(qtmodeltester):
    model = StreamTreeModel()
    model.set_types([StreamTypeInfo("Order", 2, 7), StreamTypeInfo("Customer", 1, 1)], 8)
    all_index = model.all_index()
    order = model.index(0, 0, all_index)
    model.streams_loaded(model.generation, "Order", [
        StreamInfo("order_1", "Order", 3, 5, 0), StreamInfo("order_2", "Order", 4, 8, 0)])
    qtmodeltester.check(model)
    title = model.headerData(1, Qt.Orientation.Horizontal)
    assert title == "Count / version"
    assert "version" in model.headerData(1, Qt.Orientation.Horizontal,
                                         Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 1).data() == "8"  # the row names them: All events
    assert order.siblingAtColumn(1).data() == "2 streams"
    assert model.index(1, 1, all_index).data() == "1 stream"
    assert model.index(0, 1, order).data() == "v3"

    model.set_types([StreamTypeInfo("Order", 2, 7)], 8, "order_1", {"Order": 1})
    assert model.index(0, 1, model.all_index()).data() == "1 of 2 streams"
    model.set_types([StreamTypeInfo("Customer", 1, 1)], 8, "order_1", {})
    assert model.index(0, 1, model.all_index()).data() == "0 of 1 stream"
