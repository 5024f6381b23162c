"""A watched value over the whole timeline as a step line, under the same x axis as the
timeline's plot (positions or time, linked to its range) and with the same red cursor; a click
moves the cursor there.

Numbers are drawn as they are; text and booleans as a step between their distinct values, each
labelled. The left axis is hidden (as the timeline's is) so that both plots' x axes line up;
the lowest and highest values are written inside the plot instead.

Imports pyqtgraph: loaded when the user first asks for a plot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from explorer.timetravel.watch import Series
from explorer.ui.models.watches import value_text
from explorer.ui.tones import muted
from explorer.ui.widgets.position_plot import PositionPlot

LINE = pg.mkPen("#1565c0", width=2)
MAX_LEVELS = 12
"""Text values with more distinct values than this are not plotted (a step of what?)."""
XsOf = Callable[[np.ndarray], np.ndarray]
"""Where positions (an array) are along the x axis: the timeline's TimelinePlot.xs_of."""


def positions_as_x(positions: np.ndarray) -> np.ndarray:
    """The x axis in positions, where there is no timeline to follow."""
    return np.asarray(positions, dtype=np.float64)


class WatchPlot(PositionPlot):
    """A watch's value over the log, under the timeline (its x range linked); a click chooses
    the moment (PositionPlot's signals)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.getViewBox().enableAutoRange(x=False, y=False)  # x: the timeline's, linked
        self.series: Series | None = None
        self.xs_of: XsOf = positions_as_x
        self.line = pg.PlotDataItem(pen=LINE)
        self.addItem(self.line)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#d32f2f", width=2))
        self.cursor.setZValue(20)
        self.addItem(self.cursor, ignoreBounds=True)
        self.labels: list[tuple[pg.TextItem, float]] = []
        self.title = pg.TextItem(color=self.ink, anchor=(1, 0))
        self.title.setZValue(30)
        self.addItem(self.title, ignoreBounds=True)
        self._cursor_position = 0
        self.sigRangeChanged.connect(lambda *_: self._place_labels())

    def set_axis(self, by_time: bool, xs_of: XsOf | None) -> None:
        """Time or positions along x, and how positions map to x (the timeline's; None: they
        are the x, where there is no timeline to follow)."""
        self.switch_axis(by_time)
        self.xs_of = xs_of or positions_as_x
        if self.series is not None:
            self.show_series(self.series)
        self.set_cursor(self._cursor_position)

    def show_series(self, series: Series) -> str:
        """Draw `series`; "" or why it cannot be drawn (text with too many values)."""
        self.series = series
        for label, _y in self.labels:
            self.removeItem(label)
        self.labels = []
        values, levels = _levels(series.values)
        if values is None:
            self.line.setData([], [])
            self.title.setText("")
            return (f"{series.text} has more than {MAX_LEVELS} distinct values: a plot needs "
                    "numbers (or a few values, such as statuses).")
        xs = self.xs_of(np.array([*series.positions, max(series.last, series.positions[-1])],
                                 dtype=np.int64))
        ys = np.array(values, dtype=np.float64)
        line_x, line_y, joined = _steps(xs, ys)
        self.line.setData(line_x, line_y, connect=joined)
        if self.getViewBox().linkedView(pg.ViewBox.XAxis) is None:  # no timeline to follow
            self.setXRange(float(xs[0]), float(xs[-1]))
        finite = ys[np.isfinite(ys)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        pad = max((high - low) * 0.12, 0.5)
        self.setYRange(low - pad, high + 2.5 * pad, padding=0)  # room for the title
        shown = levels or {value_text(low): low, value_text(high): high}
        for text, y in shown.items():
            fill = QColor(self.background)
            fill.setAlpha(200)  # readable over the line
            label = pg.TextItem(text, color=muted(), anchor=(0, 0.5), fill=pg.mkBrush(fill))
            label.setZValue(25)
            self.addItem(label, ignoreBounds=True)
            self.labels.append((label, y))
        note = " (thinned to the extremes of each stretch)" if series.thinned else ""
        self.title.setText(series.text + note)
        self._place_labels()
        return ""

    def set_cursor(self, position: int) -> None:
        self._cursor_position = position
        self.cursor.setValue(float(self.xs_of(np.array([position], dtype=np.int64))[0]))

    def _place_labels(self) -> None:
        (left, right), (_bottom, top) = self.viewRange()
        for label, y in self.labels:
            label.setPos(left, y)
        self.title.setPos(right, top)



def _steps(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A step line's points: each value held from its x to the next, rising (or falling) to
    the next value; no line where a value is missing (NaN). `joined[i]`: point i is joined to
    point i + 1."""
    held = np.flatnonzero(np.isfinite(ys[:-1]))
    line_x = np.empty(2 * len(held))
    line_y = np.empty(2 * len(held))
    line_x[0::2], line_x[1::2] = xs[held], xs[held + 1]
    line_y[0::2] = line_y[1::2] = ys[held]
    joined = np.ones(len(line_x), dtype=bool)  # along each value held
    if len(held):
        joined[1::2][:-1] = np.diff(held) == 1  # up or down to the next, unless a gap between
        joined[-1] = False
    return line_x, line_y, joined


def _levels(values: tuple[Any, ...]) -> tuple[list[float] | None, dict[str, float]]:
    """The y of each value (and a repeat of the last, where the line ends): numbers as they
    are (NaN where missing: a gap), other values by the order they first appear in (a
    lifecycle's), with labels. None if there are too many distinct values to plot."""
    ys: list[float]
    if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
           for v in values):
        ys = [float("nan") if v is None else float(v) for v in values]
        return [*ys, ys[-1]], {}
    distinct = list(dict.fromkeys(value_text(v) for v in values if v is not None))
    if len(distinct) > MAX_LEVELS:
        return None, {}
    rank = {text: float(index) for index, text in enumerate(distinct)}
    ys = [float("nan") if v is None else rank[value_text(v)] for v in values]
    return [*ys, ys[-1]], rank
