"""The timeline's axis stays readable: no two labels drawn over each other (a month's "Apr" and
the day ticks' "02" were drawn as "Ap02"), at several widths and spans, by time and by position;
and the cursor stays in the plot, above the labels, at the log's end."""

from __future__ import annotations

from array import array
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from explorer.timetravel.machine import TimelineSamples
from explorer.ui.widgets.timeline_plot import TimelinePlot

SPANS = [  # the 10M bench store's, the demo store's, and others from minutes to a year and a half
    ("2026-01-05 08:00", "2026-04-05 18:00"),
    ("2026-09-01 05:00", "2026-11-30 08:41"),
    ("2026-03-01 00:00", "2026-03-15 00:00"),
    ("2026-01-01 00:00", "2026-01-03 00:00"),
    ("2026-01-01 10:00", "2026-01-01 10:05"),
    ("2026-01-01 00:00", "2027-06-01 00:00"),
]


def micros(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1_000_000)


def even_samples(first: str, last: str, count: int = 500) -> TimelineSamples:
    """`count` events of one stream type, evenly spread from `first` to `last` (UTC)."""
    start, end = micros(first), micros(last)
    positions, timestamps, codes = array("q"), array("q"), array("b")
    for number in range(count):
        positions.append(10_000 * number + 1)
        timestamps.append(start + (end - start) * number // (count - 1))
        codes.append(0)
    return TimelineSamples(positions, timestamps, codes, ("Order",), 1, None, 0)


def labels(plot: TimelinePlot) -> list[tuple[QRectF, str]]:
    """The bottom axis's labels as it would draw them now: (rect in the plot's pixels, text)."""
    axis = plot.getPlotItem().getAxis("bottom")
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _line, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(axis.mapRectToScene(rect), text) for rect, _flags, text in texts]


def overlapping(drawn: list[tuple[QRectF, str]]) -> list[tuple[str, str]]:
    return [(text, other) for number, (rect, text) in enumerate(drawn)
            for other_rect, other in drawn[number + 1:] if rect.intersects(other_rect)]


@pytest.fixture
def shown_plot(qtbot):
    def show(width: int, samples: TimelineSamples) -> TimelinePlot:
        plot = TimelinePlot()
        qtbot.addWidget(plot)
        plot.resize(width, 84)  # the timeline's height in the window
        plot.show()
        qtbot.waitExposed(plot)
        plot.set_samples(samples)
        last = samples.positions[-1]
        plot.set_cursor(last, samples.timestamps[-1])  # live: the cursor at the log's end
        return plot
    return show


@pytest.mark.parametrize("width", [600, 800, 1070, 1500, 2400])
def test_no_two_axis_labels_overlap(qtbot, shown_plot, width):
    for first, last in SPANS:
        plot = shown_plot(width, even_samples(first, last))
        for by_time in (True, False):
            plot.set_by_time(by_time)  # a new axis item: laid out by the event loop
            qtbot.waitUntil(lambda shown=plot: len(labels(shown)) >= 2)  # says where one is
            assert overlapping(labels(plot)) == [], (width, first, last, by_time)
        plot.close()


def test_the_cursor_at_the_end_stays_above_the_labels(qtbot, shown_plot):
    plot = shown_plot(1070, even_samples(*SPANS[0]))
    qtbot.waitUntil(lambda: len(labels(plot)) >= 3)
    view = plot.getViewBox()
    line = plot.cursor.mapRectToScene(plot.cursor.boundingRect()) & view.sceneBoundingRect()
    assert line.width() > 0  # in view: drawn at the log's end
    for rect, text in labels(plot):
        assert not rect.intersects(line), text


def test_positions_on_the_axis_read_as_the_window_writes_them(qtbot, shown_plot):
    plot = shown_plot(1070, even_samples(*SPANS[0]))  # positions 1 to 4,990,001
    plot.set_by_time(False)
    qtbot.waitUntil(lambda: len(labels(plot)) >= 2)
    texts = [text for _rect, text in labels(plot)]
    assert "1,000,000" in texts and not any("e+" in text for text in texts), texts
