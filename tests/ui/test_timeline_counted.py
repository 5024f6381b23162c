"""The timeline's plot draws the runner's counts exactly: each bar the sum of whole buckets,
however it is zoomed, by time or by position."""

from __future__ import annotations

from array import array

import numpy as np

from explorer.timetravel.machine import TimelineSamples
from explorer.ui.widgets.timeline_plot import TimelinePlot

MINUTE_US = 60_000_000


def counted_samples() -> TimelineSamples:
    """Two stream types, a bucket each minute for 600 minutes, 7 and 3 events a bucket (Order's
    first at the minute's start, Payment's 20 s in), then the last event."""
    positions, timestamps, codes, counts = array("q"), array("q"), array("b"), array("q")
    for minute in range(600):
        start = minute * MINUTE_US
        for code, (offset, events) in enumerate(((0, 7), (20_000_000, 3))):
            positions.append(minute * 10 + 1 + code * 7)
            timestamps.append(start + offset)
            codes.append(code)
            counts.append(events)
    positions.append(6_000)
    timestamps.append(599 * MINUTE_US + 50_000_000)
    codes.append(0)
    counts.append(0)
    return TimelineSamples(positions, timestamps, codes, ("Order", "Payment"), 1, counts,
                           MINUTE_US)


def bars(plot: TimelinePlot) -> list[tuple[float, float, float]]:
    """(left, right, height) of every stacked bar drawn, all types together."""
    drawn = []
    for bar in plot.bars:
        opts = bar.opts
        drawn += [(x0, x1, y1 - y0) for x0, x1, y0, y1 in
                  zip(opts["x0"], opts["x1"], opts["y0"], opts["y1"], strict=True)]
    return drawn


def test_bars_sum_whole_buckets_at_any_zoom(qtbot):
    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(800, 120)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_samples(counted_samples())
    drawn = bars(plot)
    assert sum(height for _l, _r, height in drawn) == 6_000  # every event, none estimated
    assert plot.bucket % 60 == 0  # a bar is a whole number of minutes
    for left, _right, height in drawn:  # so each bar holds whole buckets of 7 or 3
        assert left % 60 == 0 and height % 1 == 0
    plot.setXRange(600.0, 1_500.0, padding=0)  # 15 minutes: a bar a minute, not a fraction
    plot._rebin()
    assert plot.bucket == 60
    heights = sorted({round(height) for _l, _r, height in bars(plot)})
    assert heights == [3, 7]
    assert plot.bucket_text() == "1 min"


def test_bars_by_position_hold_a_bucket_of_positions_at_least(qtbot):
    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(800, 120)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_samples(counted_samples())
    plot.set_by_time(False)
    assert sum(height for _l, _r, height in bars(plot)) == 6_000
    plot.setXRange(100.0, 200.0, padding=0)  # 100 positions: a bar is a bucket's 10 at least
    plot._rebin()
    assert plot.bucket >= 10
    assert np.isclose(sum(height for _l, _r, height in bars(plot)), 100, atol=10)
