"""Stored text in the window's cells and labels is shown, never acting: a bidi control (U+202E)
in an event's data cannot reverse the rest of its cell, a line break cannot split it, an escape
sequence shows as one. The event list's cells, the stream tree's names, the JSON tree and view,
the event detail's heading and the read models' cells show them escaped."""

from __future__ import annotations

import unicodedata
from array import array

import orjson
from PySide6.QtCore import Qt

from explorer.browsing.rows import PositionRows
from explorer.store.records import RecordedEvent, StreamInfo, StreamTypeInfo
from explorer.ui.models.event_table import COLUMNS, EventTableModel
from explorer.ui.models.json_tree import JsonTreeModel
from explorer.ui.models.read_model import format_value
from explorer.ui.models.stream_tree import StreamTreeModel
from explorer.ui.models.watches import value_text
from explorer.ui.widgets.event_detail import EventDetail
from explorer.ui.widgets.json_view import with_readable_times

NAME = "Eve\x1b]0;pwned\x07\x1b[2J\nL2\x00\u202eevil"
SHOWN = "Eve\\x1b]0;pwned\\x07\\x1b[2J\\nL2\\x00\\u202eevil"
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DISPLAY, TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole


def acting(text: str, lines: bool = False) -> list[str]:
    """The characters of `text` that would act rather than show (controls, bidi controls, line
    separators); with `lines`, line feeds are allowed."""
    return [c for c in text if not (lines and c == "\n") and (
        unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI)]


def odd_event(position: int = 7) -> RecordedEvent:
    return RecordedEvent(position, "cust_\u202e1", "Cust\x1bomer", 1, "e-\x07",
                         "Customer\u2066Registered", 1, 1_775_412_007_582_000, None,
                         {"name": NAME, "n\u202eote": "tab\there"}, None)


def test_the_event_lists_cells_show_controls_escaped(qtmodeltester):
    model = EventTableModel(lambda generation, page: None)
    generation = model.set_rows(PositionRows(array("q", [7])))
    model.page_loaded(generation, 0, [odd_event()])
    qtmodeltester.check(model)
    for column in range(len(COLUMNS)):
        shown = model.index(0, column).data(DISPLAY)
        assert isinstance(shown, str) and acting(shown) == [], COLUMNS[column]
        assert acting(model.index(0, column).data(TOOLTIP) or "") == []
    data = model.index(0, COLUMNS.index("Data")).data(DISPLAY)
    assert f"name={SHOWN}" in data
    assert model.index(0, COLUMNS.index("Stream")).data(DISPLAY) == "cust_\\u202e1"


def test_the_stream_trees_names_show_controls_escaped(qtmodeltester):
    model = StreamTreeModel()
    model.set_types([StreamTypeInfo("Cust\u202eomer", 1, 1)], 1)
    types = model.index(0, 0, model.all_index())
    model.streams_loaded(model.generation, "Cust\u202eomer",
                         [StreamInfo("cust_\x1b[2J", "Cust\u202eomer", 1, 1, 0)])
    qtmodeltester.check(model)
    stream = model.index(0, 0, types)
    assert types.data(DISPLAY) == "Cust\\u202eomer" and stream.data(DISPLAY) == "cust_\\x1b[2J"
    for index in (types, stream):
        assert acting(index.data(DISPLAY)) == [] and acting(index.data(TOOLTIP), lines=True) == []


def test_the_json_tree_and_values_show_controls_escaped(qtmodeltester):
    model = JsonTreeModel({"data": odd_event().data})
    qtmodeltester.check(model)
    data = model.index(0, 0)
    shown = [model.index(row, column, data).data(role) for row in range(2) for column in (0, 1)
             for role in (DISPLAY, TOOLTIP)]
    assert all(acting(text) == [] for text in shown)
    assert f'"{SHOWN}"' in shown
    assert format_value(NAME) == value_text(NAME) == SHOWN


def test_the_json_view_shows_controls_escaped_and_stays_json():
    value = {"data": {"n\u202eame": "a\u202eb\x85\x7f", "placed_\u202eat": 1_775_412_007_582_000}}
    text, _ = with_readable_times(value)
    assert acting(text, lines=True) == [] and orjson.loads(text) == value


def test_the_event_details_heading_and_json_show_controls_escaped(qtbot):
    detail = EventDetail()
    qtbot.addWidget(detail)
    detail.show_event(odd_event())
    assert acting(detail.header.text()) == [] and "cust_\\u202e1" in detail.header.text()
    assert acting(detail.header.toolTip(), lines=True) == []
    assert acting(detail.subheader.text()) == [] and "Cust\\x1bomer" in detail.subheader.text()
    assert acting(detail.json.toPlainText(), lines=True) == []
    assert orjson.loads(detail.json.toPlainText())["data"]["name"] == NAME
