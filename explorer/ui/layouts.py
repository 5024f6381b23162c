"""Rows and columns of widgets, built in one call: a pane's layout reads as what it holds.

`column(...)` lays out a widget whose items stand one under the other, `row(...)` a layout whose
items stand side by side. An item is a widget, a layout, `STRETCH` (the free room goes there)
or `(widget, stretch)` (the widget takes that share of the free room).
"""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLayout, QScrollArea, QVBoxLayout, QWidget

STRETCH = 1  # an item of a row or column: the free room goes here
Item = QWidget | QLayout | int | tuple[QWidget, int]


def column(*items: Item, margins: tuple[int, int, int, int] = (0, 0, 0, 0),
           into: QWidget | None = None) -> QWidget:
    """A widget (`into`, or a new one) holding the items one under the other, within the
    margins (left, top, right, bottom)."""
    pane = into if into is not None else QWidget()
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(*margins)
    _add(layout, items)
    return pane


def row(*items: Item) -> QHBoxLayout:
    """A layout holding the items side by side."""
    layout = QHBoxLayout()
    _add(layout, items)
    return layout


def scrolling(widget: QWidget) -> QScrollArea:
    """The widget in a frameless area that scrolls when it is taller than the room it has."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


def _add(layout: QBoxLayout, items: tuple[Item, ...]) -> None:
    for item in items:
        if isinstance(item, tuple):
            layout.addWidget(*item)
        elif isinstance(item, QLayout):
            layout.addLayout(item)
        elif isinstance(item, QWidget):
            layout.addWidget(item)
        else:
            layout.addStretch(item)
