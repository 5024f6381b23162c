"""A plot along the log: x is time (the events' timestamps, a date axis) or positions, and a click
chooses the moment under it. The timeline and the watch plot are both such plots.

pyqtgraph is imported here, so this module is imported (by theirs) only when a plot is first shown,
on the GUI thread.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from explorer.ui.tones import plot_colours
from explorer.ui.widgets.timeline_axis import PositionAxis, TimeAxis


class PositionPlot(pg.PlotWidget):
    """Signals:
        position_chosen(int): the user chose a moment, in position mode.
        time_chosen(int): the same, in time mode (microseconds).
    """

    position_chosen = Signal(int)
    time_chosen = Signal(object)  # microseconds do not fit a C int

    def __init__(self, parent: QWidget | None = None) -> None:
        self.date_axis = TimeAxis()
        self.background, self.ink = plot_colours()
        super().__init__(parent, background=self.background,
                         axisItems={"bottom": self.date_axis})
        self._ink_axis()
        self.by_time = True
        item = self.getPlotItem()
        item.hideAxis("left")
        item.setMenuEnabled(False)
        item.hideButtons()
        item.layout.setContentsMargins(4, 2, 8, 0)
        self.setMouseEnabled(x=True, y=False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # no Tab stop: no key acts in a plot,
        # which shows no focus (the timeline's, made last, came last in the Tab order)
        self.scene().sigMouseClicked.connect(self._clicked)

    def switch_axis(self, by_time: bool) -> bool:
        """Time or positions along x; whether that changed anything."""
        if by_time == self.by_time:
            return False
        self.by_time = by_time
        self.getPlotItem().setAxisItems(
            {"bottom": TimeAxis() if by_time else PositionAxis()})
        self._ink_axis()
        return True

    def _ink_axis(self) -> None:
        """The bottom axis drawn in the plot's ink (pyqtgraph's default is its own grey)."""
        axis = self.getPlotItem().getAxis("bottom")
        axis.setPen(self.ink)
        axis.setTextPen(self.ink)

    def clicked_at(self, x: float) -> None:
        """A left click in the plot, at `x`: choose that moment."""
        self.choose(x)

    def choose(self, x: float) -> None:
        if self.by_time:
            self.time_chosen.emit(int(x * 1_000_000))
        else:
            self.position_chosen.emit(max(1, int(round(x))))

    def _clicked(self, event) -> None:
        if event.button() != pg.QtCore.Qt.MouseButton.LeftButton or event.double():
            return
        view = self.getViewBox()
        if view.sceneBoundingRect().contains(event.scenePos()):
            self.clicked_at(view.mapSceneToView(event.scenePos()).x())
