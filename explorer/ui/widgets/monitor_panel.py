"""Monitoring: events appended per second and each projection's lag, over the last minutes,
as pyqtgraph plots that follow the runner's status live."""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from explorer.ui.tones import muted, plot_colours
from explorer.ui.widgets.monitor_history import WINDOW_S, MonitorHistory

COLOURS = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f"]


class MonitorPanel(QWidget):
    def __init__(self, history: MonitorHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        background, ink = plot_colours()
        pg.setConfigOptions(antialias=True, background=background, foreground=ink)
        self.rate_plot = pg.PlotWidget(title="Events appended per second")
        self.lag_plot = pg.PlotWidget(title="Projection lag (events behind the log)")
        for plot in (self.rate_plot, self.lag_plot):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "seconds ago")
            plot.setXRange(-WINDOW_S, 0, padding=0)
            plot.setMouseEnabled(x=False, y=False)
            plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no Tab stop: nothing to do in it
            plot.setLimits(yMin=0)
            plot.getPlotItem().getViewBox().enableAutoRange(axis="y")
        self.rate_curve = self.rate_plot.plot(pen=pg.mkPen("#1565c0", width=2),
                                              fillLevel=0, brush=(21, 101, 192, 40))
        self.lag_plot.addLegend(offset=(-10, 10))
        self.lag_curves: dict[str, pg.PlotDataItem] = {}
        self.note = QLabel("Samples every half second while a store is open.")
        self.note.setStyleSheet(f"color: {muted()};")
        plots = QHBoxLayout()  # side by side: the bottom of the window is wide, not tall
        plots.addWidget(self.rate_plot, 1)
        plots.addWidget(self.lag_plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(plots, 1)
        layout.addWidget(self.note)
        self.redraw()

    def redraw(self) -> None:
        samples = list(self.history.samples)
        now = time.time()
        xs = [s.at - now for s in samples]
        self.rate_curve.setData(xs, [s.appended_per_s for s in samples])
        names = {p.name: p.title for s in samples for p in s.projections}
        for number, (name, title) in enumerate(names.items()):
            curve = self.lag_curves.get(name)
            if curve is None:
                curve = self.lag_plot.plot(pen=pg.mkPen(COLOURS[number % len(COLOURS)], width=2),
                                           name=title)
                self.lag_curves[name] = curve
            curve.setData(xs, [next((p.lag_events for p in s.projections if p.name == name), 0)
                               for s in samples])
        if samples:
            last = samples[-1]
            behind = sum(p.lag_events for p in last.projections)
            self.note.setText(f"Now: {last.appended_per_s:,.1f} events/s appended; projections "
                              f"{behind:,} events behind in all. Last {WINDOW_S // 60} minutes.")
