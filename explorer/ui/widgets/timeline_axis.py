"""The x axes of the plots along the log (the timeline, a watch's plot): dates or positions, with
no two tick labels drawn over each other.

pyqtgraph places each level of ticks' labels without looking at the levels above it: a month's
label ("Apr" on the 1st) and the day ticks' ("02", every fifth day) were drawn over each other as
"Ap02". These axes keep a label only if it stays clear of every label placed before it; the
coarser levels are placed first, so the month stays and the day beside it goes.

Imports pyqtgraph: imported (by position_plot) only when a plot is first shown, on the GUI thread.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF

LABEL_GAP = 6.0
"""Pixels kept clear between two labels, so that neighbours read as two."""


def clear_of_each_other(text_specs: list) -> list:
    """The labels (pyqtgraph's text specs: rect, flags, text), coarser levels first, without
    those that would touch a label kept before them."""
    kept: list = []
    taken: list[QRectF] = []
    for spec in text_specs:
        rect = spec[0].adjusted(-LABEL_GAP / 2, 0, LABEL_GAP / 2, 0)
        if any(rect.intersects(other) for other in taken):
            continue
        kept.append(spec)
        taken.append(rect)
    return kept


class _SeparateLabels:
    """Drops the labels that would overlap (mixed into pyqtgraph's axis items)."""

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph override
        specs = super().generateDrawSpecs(p)  # type: ignore[misc]
        if specs is None:  # not laid out yet
            return None
        axis, ticks, texts = specs
        return axis, ticks, clear_of_each_other(texts)


class TimeAxis(_SeparateLabels, pg.DateAxisItem):
    """Dates and times (UTC) along the bottom."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom", utcOffset=0)


class PositionAxis(_SeparateLabels, pg.AxisItem):
    """Positions in the log along the bottom, written as the window writes them ("2,500,000",
    not pyqtgraph's "2.5e+06")."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom")

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        return [f"{value * scale:,.0f}" if spacing * scale >= 1 else f"{value * scale:,g}"
                for value in values]
