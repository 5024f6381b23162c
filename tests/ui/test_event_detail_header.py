"""The event detail's heading: its position written with thousands separators, as elsewhere in
the window, and on one line however long the stream id, cut short in its middle rather than
wrapped, the whole in its tooltip."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextDocument

from explorer.store.records import RecordedEvent
from explorer.ui.widgets.event_detail import EventDetail
from tests.ui.conftest import WAIT_MS

LONG_STREAM = "fulfilment-order_019b8d2b-8c00-7112-bb54-b3bc6a6d2303-retry-0003"


def long_event(stream_id: str = LONG_STREAM) -> RecordedEvent:
    return RecordedEvent(10_099_038, stream_id, "OrderFulfilment", 12_345, "e-10099038",
                         "ReservationConfirmed", 1, 1_775_412_007_582_000, None,
                         {"order_id": "o1"}, None)


def plain(html: str) -> str:
    """The text shown, its no-break spaces as spaces."""
    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText().replace("\u00a0", " ")


def on_one_line(label) -> bool:
    """The label's text takes one line at the label's width, and no more than that width."""
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setDocumentMargin(0)
    document.setHtml(label.text())
    natural = document.idealWidth()
    document.setTextWidth(label.contentsRect().width())
    return natural <= label.contentsRect().width() and document.lineCount() == 1 and \
        document.documentLayout().documentSize().height() <= label.fontMetrics().height() * 1.5


def test_the_heading_stays_on_one_line_in_the_window(window, qtbot):
    window.resize(1400, 900)  # the window's default size
    qtbot.waitUntil(lambda: window.width() == 1400, timeout=WAIT_MS)
    # as a first run lays it out: a window closed by an earlier test left its layout behind
    window.bottom_tabs.setCurrentIndex(0)
    window.main_split.setSizes([290, 1110])
    window.detail_split.setSizes([560, 500])
    detail = window.detail
    detail.show_event(long_event())
    header = detail.header
    qtbot.waitUntil(lambda: on_one_line(header), timeout=WAIT_MS)
    text = plain(header.text())
    assert text.startswith("ReservationConfirmed")
    assert text.endswith("v12345  ·  position 10,099,038")
    stream = text.split()[2]
    assert "…" in stream and stream.startswith("fulfil") and stream.endswith("-0003")  # middle
    assert LONG_STREAM in header.toolTip() and "10,099,038" in header.toolTip()
    assert header.height() < 2 * header.fontMetrics().height()  # the panel gave it one line


@pytest.mark.parametrize("width", [220, 360, 560, 900])
def test_the_heading_is_cut_short_rather_than_wrapped(qtbot, width):
    detail = EventDetail()
    qtbot.addWidget(detail)
    detail.resize(width, 400)
    detail.show()
    qtbot.waitExposed(detail)
    detail.show_event(long_event())
    assert on_one_line(detail.header)
    text = plain(detail.header.text())
    assert text.endswith("position 10,099,038") or width < 300  # then as much as fits
    assert text.startswith("ReservationConfirmed") or width < 560  # then the type cut short
    detail.show_event(long_event("order_1"))  # a short stream id: nothing to cut at 560 px
    assert on_one_line(detail.header)
    if width >= 560:
        assert plain(detail.header.text()) == \
            "ReservationConfirmed  ·  order_1 v12345  ·  position 10,099,038"
