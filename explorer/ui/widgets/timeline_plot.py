"""The timeline's plot: events over time (or over positions) as bars stacked by stream type, a
draggable cursor kept in step with the slider, marks for the focused stream's events, and zoom
and pan along the x axis. Bars are recounted from the samples for whatever range is in view, so
zooming in shows finer buckets.

Imports pyqtgraph: the window loads this module only once its first page is on screen.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from explorer.timetravel.machine import TimelineSamples
from explorer.ui.timers import single_shot
from explorer.ui.widgets.position_plot import PositionPlot

BINS = 240
STREAM_COLOURS = ["#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#546e7a",
                  "#c0ca33", "#d81b60", "#3949ab"]
"""A stream type's colour, by its place among the types in the log (whatever the system)."""
SWITCH_TRUE = pg.mkBrush("#2e7d32")  # where a Find when condition became true
SWITCH_FALSE = pg.mkBrush("#757575")  # where it became false again
MOMENT_COLOURS = {"A": "#3949ab", "B": "#00897b"}  # the compare marks
MOMENT_LABEL_HEIGHTS = {"A": 0.88, "B": 0.4}  # up the plot: close marks show both labels


def stream_colour(stream_type: str, index: int = 0) -> str:
    return STREAM_COLOURS[index % len(STREAM_COLOURS)]


class TimelinePlot(PositionPlot):
    """The events over the log, stacked by stream type; dragging the cursor or clicking chooses
    a moment (PositionPlot's signals)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.positions = np.zeros(0, dtype=np.int64)
        self.seconds = np.zeros(0, dtype=np.float64)
        self.codes = np.zeros(0, dtype=np.int8)
        self.types: tuple[str, ...] = ()
        self.weight = 1
        self.counts: np.ndarray | None = None  # events each sample stands for (counted buckets)
        self.bucket_widths = (0.0, 0.0)  # counted buckets' width: (in seconds, in positions)
        self.bucket = 0.0
        self._marks = np.zeros((0, 2), dtype=np.float64)  # (position, seconds)
        self._cursor_position = 0
        self._cursor_seconds: float | None = None
        self.bars: list[pg.BarGraphItem] = []
        self.getViewBox().setDefaultPadding(0.0)
        self.cursor = pg.InfiniteLine(angle=90, movable=True,
                                      pen=pg.mkPen("#d32f2f", width=2),
                                      hoverPen=pg.mkPen("#b71c1c", width=4))
        self.cursor.setZValue(20)
        self.cursor.sigDragged.connect(self._cursor_dragged)
        self.addItem(self.cursor, ignoreBounds=True)
        self.marks = pg.ScatterPlotItem(symbol="t", size=8, pen=None,
                                        brush=pg.mkBrush(self.ink))
        self.marks.setZValue(10)
        self.addItem(self.marks, ignoreBounds=True)
        self._switches = np.zeros((0, 2), dtype=np.int64)  # (position, became 1 or 0)
        self._switch_seconds: np.ndarray | None = None  # their events' times, NaN if unknown
        # one item a way (one symbol and brush each: per-point lists cost ~3 us a point)
        self.switch_marks = {became: pg.ScatterPlotItem(
            size=9, symbol="t1" if became else "t", brush=SWITCH_TRUE if became else SWITCH_FALSE,
            pen=pg.mkPen(self.background, width=1)) for became in (True, False)}
        for item in self.switch_marks.values():
            item.setZValue(15)
            self.addItem(item, ignoreBounds=True)
        self.moment_marks: dict[str, pg.InfiniteLine] = {}
        self._moment_positions: dict[str, int] = {}
        self._moment_seconds: dict[str, float] = {}  # a mark's time, set at the cursor's
        self._rebin_timer = single_shot(self, 40, self._rebin)
        self.sigXRangeChanged.connect(lambda *_: self._rebin_timer.start())
        self.getViewBox().sigResized.connect(lambda *_: self._rebin_timer.start())

    def close(self) -> bool:
        self._rebin_timer.stop()  # pyqtgraph's close drops the plot item a rebin draws on
        return super().close()

    # -- data ------------------------------------------------------------------------------

    def set_samples(self, samples: TimelineSamples) -> None:
        """New samples of the log; keeps the zoom if the user zoomed in, else shows them all."""
        was_all = self._showing_all()
        self.positions = np.frombuffer(samples.positions, dtype=np.int64).copy()
        self.seconds = np.frombuffer(samples.timestamps, dtype=np.int64) / 1e6
        self.codes = np.frombuffer(samples.type_codes, dtype=np.int8).copy()
        self.counts = (np.frombuffer(samples.counts, dtype=np.int64).astype(np.float64)
                       if samples.counts is not None else None)
        self.bucket_widths = _bucket_widths(samples, self.seconds)
        if list(samples.types) != list(self.types) or len(self.bars) != len(samples.types):
            for bar in self.bars:  # one bar series a stream type, coloured for it
                self.removeItem(bar)
            self.bars = []
            for number, stream_type in enumerate(samples.types):
                bar = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], pen=None,
                                      brush=stream_colour(stream_type, number))
                self.addItem(bar)
                self.bars.append(bar)
        self.types = samples.types
        self.weight = samples.weight
        self._limit()
        if was_all or not len(self.positions):
            self.fit()
        else:
            self._rebin()

    def set_by_time(self, by_time: bool) -> None:
        """Time (the events' timestamps) or positions along the x axis."""
        if not self.switch_axis(by_time):
            return
        self._limit()
        self.fit()
        self._place_cursor()
        self._place_marks()
        self._place_moment_marks()

    def set_marks(self, positions, timestamps) -> None:
        """Mark these events (positions, and their times in microseconds: arrays of int64)."""
        marks = np.empty((len(positions), 2), dtype=np.float64)
        marks[:, 0] = np.frombuffer(positions, dtype=np.int64) if len(positions) else []
        marks[:, 1] = np.frombuffer(timestamps, dtype=np.int64) / 1e6 if len(positions) else []
        self._marks = marks
        self._place_marks()

    def set_switches(self, positions: np.ndarray, became: np.ndarray,
                     times: np.ndarray | None = None) -> None:
        """Mark where a condition switched: green up-triangles where it became true, grey
        down-triangles where it became false (arrays of int64 positions and bools); by time,
        at their events' `times` (int64 microseconds, -1 where unknown), as the cursor is, not
        where the samples would put their positions (a bucket's events all lie between its
        samples: a switch was drawn up to a bucket away from the cursor gone to it)."""
        switches = np.zeros((len(positions), 2), dtype=np.int64)
        switches[:, 0] = positions
        switches[:, 1] = became
        self._switches = switches
        self._switch_seconds = None
        if times is not None and len(times) == len(positions):
            seconds = np.asarray(times, dtype=np.int64) / 1e6
            self._switch_seconds = np.where(np.asarray(times) >= 0, seconds, np.nan)
        self._place_switches()

    def set_moment_mark(self, name: str, position: int | None) -> None:
        """A labelled line at a position (the compare marks A and B); None removes it."""
        line = self.moment_marks.get(name)
        if position is None:
            self._moment_positions.pop(name, None)
            self._moment_seconds.pop(name, None)
            if line is not None:
                line.hide()
            return
        if line is None:
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(MOMENT_COLOURS.get(name, "#3949ab"), width=2,
                                                style=pg.QtCore.Qt.PenStyle.DashLine),
                                   label=name, labelOpts={
                                       "position": MOMENT_LABEL_HEIGHTS.get(name, 0.88),
                                       "color": "#ffffff",
                                       "fill": MOMENT_COLOURS.get(name, "#3949ab")})
            line.setZValue(18)
            self.addItem(line, ignoreBounds=True)
            self.moment_marks[name] = line
        self._moment_positions[name] = position
        self._moment_seconds.pop(name, None)
        if position == self._cursor_position and self._cursor_seconds is not None:
            self._moment_seconds[name] = self._cursor_seconds
        line.setValue(self._moment_x(name))
        line.show()

    def set_cursor(self, position: int, timestamp_us: int | None = None) -> None:
        """Put the cursor at a position (at its time, exact if given, else interpolated)."""
        self._cursor_position = position
        self._cursor_seconds = None if timestamp_us is None else timestamp_us / 1e6
        self._place_cursor()
        if self._cursor_seconds is not None:  # a mark set here before its time was known
            for name, marked in self._moment_positions.items():
                if marked == position and name not in self._moment_seconds:
                    self._moment_seconds[name] = self._cursor_seconds
                    self.moment_marks[name].setValue(self._moment_x(name))

    def fit(self) -> None:
        """Show the whole log."""
        x = self._xs()
        if len(x):
            low, high = float(x[0]), float(x[-1])
            pad = max((high - low) * 0.01, 1.0)
            self.setXRange(low - pad, high + pad, padding=0)
        self._rebin()

    # -- drawing ---------------------------------------------------------------------------

    def _xs(self) -> np.ndarray:
        return self.seconds if self.by_time else self.positions.astype(np.float64)

    def x_of(self, position: int) -> float:
        return float(self.xs_of(np.array([position]))[0])

    def xs_of(self, positions: np.ndarray) -> np.ndarray:
        """Where positions are along x: themselves, or their times (interpolated)."""
        if not self.by_time:
            return np.asarray(positions, dtype=np.float64)
        if not len(self.positions):
            return np.zeros(len(positions))
        return np.interp(positions, self.positions, self.seconds)

    def _showing_all(self) -> bool:
        x = self._xs()
        if not len(x):
            return True
        low, high = self.viewRange()[0]
        return low <= x[0] and high >= x[-1]

    def _limit(self) -> None:
        x = self._xs()
        if len(x):
            span = max(float(x[-1] - x[0]), 1.0)
            self.getViewBox().setLimits(xMin=float(x[0]) - span * 0.05,
                                        xMax=float(x[-1]) + span * 0.05,
                                        minXRange=min(span, 2.0 if self.by_time else 10.0))

    def _rebin(self) -> None:
        """Count the samples in the range in view into BINS stacked bars per stream type."""
        x = self._xs()
        low, high = self.viewRange()[0]
        if not len(x) or high <= low:
            for bar in self.bars:
                bar.setOpts(x0=[], x1=[], y0=[], y1=[])
            return
        self.bucket = (high - low) / BINS
        start, bins = low, BINS
        unit = self.bucket_widths[0 if self.by_time else 1]
        if unit > 0:  # counted buckets: each bar sums whole buckets, the same however zoomed
            self.bucket = unit * max(1, int(np.ceil(self.bucket / unit)))
            start = np.floor(low / self.bucket) * self.bucket
            bins = max(1, int(np.ceil((high - start) / self.bucket)))
        edges = start + self.bucket * np.arange(bins + 1)
        inside = (x >= start) & (x < edges[-1])
        index = ((x[inside] - start) / self.bucket).astype(np.int64).clip(0, bins - 1)
        kinds = max(len(self.types), 1)
        weights = self.counts[inside] if self.counts is not None else None
        counts = np.bincount(index * kinds + self.codes[inside], weights=weights,
                             minlength=bins * kinds).reshape(bins, kinds)
        if weights is None:
            counts = counts * self.weight
        base = np.zeros(bins)
        for code, bar in enumerate(self.bars):
            top = base + counts[:, code]
            shown = counts[:, code] > 0
            bar.setOpts(x0=edges[:-1][shown], x1=edges[1:][shown], y0=base[shown],
                        y1=top[shown])
            base = top
        peak = float(base.max()) if len(base) else 0.0
        self.setYRange(0, max(peak, 1.0) * 1.18, padding=0)
        self._place_marks()
        self._place_switches()
        self._place_moment_marks()

    def _place_cursor(self) -> None:
        if self.by_time and self._cursor_seconds is not None:
            x = self._cursor_seconds
        else:
            x = self.x_of(self._cursor_position)
        self.cursor.blockSignals(True)
        self.cursor.setValue(x)
        self.cursor.blockSignals(False)

    def _place_marks(self) -> None:
        if not len(self._marks):
            self.marks.setData([], [])
            return
        top = self.viewRange()[1][1]
        xs = self._marks[:, 1] if self.by_time else self._marks[:, 0]
        self.marks.setData(xs, np.full(len(xs), top * 0.93))

    def _place_switches(self) -> None:
        """The switches in view, at most one mark a way per pixel column (100,000 switches
        drawn one by one took a third of a second; a column shows one mark however many)."""
        switches = self._switches
        (low, high), (_bottom, top) = self.viewRange()
        xs = self.xs_of(switches[:, 0])
        if self.by_time and self._switch_seconds is not None:
            xs = np.where(np.isnan(self._switch_seconds), xs, self._switch_seconds)
        columns = int(self.getViewBox().width()) or 4_000  # not laid out yet: a wide screen's
        for became, item in self.switch_marks.items():
            shown = xs[(switches[:, 1] == int(became)) & (xs >= low) & (xs <= high)]
            if len(shown) > columns and high > low:
                column = ((shown - low) * (columns / (high - low))).astype(np.int64)
                shown = shown[np.flatnonzero(np.diff(column, prepend=-1))]  # xs are sorted
            item.setData(x=shown, y=np.full(len(shown), top * 0.08))

    def _place_moment_marks(self) -> None:
        for name in self._moment_positions:
            self.moment_marks[name].setValue(self._moment_x(name))

    def _moment_x(self, name: str) -> float:
        """Where a compare mark is: by time, at the time of the cursor it was set at (as the
        cursor is), not where the samples would put its position (up to a bucket away)."""
        seconds = self._moment_seconds.get(name)
        if self.by_time and seconds is not None:
            return seconds
        return self.x_of(self._moment_positions[name])

    # -- the user --------------------------------------------------------------------------

    def _cursor_dragged(self) -> None:
        self.choose(self.cursor.value())

    def clicked_at(self, x: float) -> None:
        self.cursor.setValue(x)
        self.choose(x)

    def bucket_text(self) -> str:
        """How much one bar stands for, e.g. "2 h" or "1,250 positions"."""
        if not self.by_time:
            return f"{self.bucket:,.0f} positions"
        seconds = self.bucket
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
            if seconds >= size:
                return f"{seconds / size:,.1f} {unit}".replace(".0 ", " ")
        return f"{seconds * 1000:,.0f} ms"


def _bucket_widths(samples: TimelineSamples, seconds: np.ndarray) -> tuple[float, float]:
    """How wide counted buckets are along each axis: their width in seconds, and the positions
    one bucket of time holds on average (a bar narrower than that would split a bucket's
    events, all drawn at its first position, from the positions they share with it)."""
    if samples.counts is None or not samples.bucket_us or not len(seconds):
        return 0.0, 0.0
    width = samples.bucket_us / 1e6
    slots = len(np.unique(np.floor(seconds / width)))
    span = samples.positions[-1] - samples.positions[0] + 1
    return width, max(1.0, span / max(slots, 1))
