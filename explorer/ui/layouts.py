"""Rows and columns of widgets, built in one call: a pane's layout reads as what it holds.

`column(...)` lays out a widget whose items stand one under the other, `row(...)` a layout whose
items stand side by side, `wrapping(...)` one whose items go on to another line where the room
runs out (FlowLayout). An item is a widget, a layout, `STRETCH` (the free room goes there)
or `(widget, stretch)` (the widget takes that share of the free room).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLayout,
    QLayoutItem,
    QScrollArea,
    QSizePolicy,
    QSpacerItem,
    QStyle,
    QVBoxLayout,
    QWidget,
)

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
    """The widget in a frameless area that scrolls when it is taller than the room it has. Tab
    stops at the widget's controls, not at the area (where the focus would show nowhere)."""
    area = QScrollArea()
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
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


def wrapping(*items: Item) -> FlowLayout:
    """A layout holding the items side by side, going on to another line, as words do, where
    the room runs out: a row that stays whole in a narrow window. A widget or layout wraps as
    one; `STRETCH` takes the free room of its line (pushing what follows to the line's end)."""
    layout = FlowLayout()
    for item in items:
        if isinstance(item, tuple):
            layout.addWidget(item[0])
        elif isinstance(item, QLayout):
            group = QWidget()
            item.setContentsMargins(0, 0, 0, 0)
            group.setLayout(item)
            layout.addWidget(group)
        elif isinstance(item, QWidget):
            layout.addWidget(item)
        else:
            layout.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding))
    return layout


class FlowLayout(QLayout):
    """Items side by side at their preferred widths, in as many lines as the width needs (see
    `wrapping`). Its minimum width is its widest item's; its height follows its width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt's name)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt's name)
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        shown = self._shown()
        width = sum(i.sizeHint().width() for i in shown) + self._gap() * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return self._with_margins(QSize(width, height))

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt's name)
        shown = self._shown()
        width = max((i.minimumSize().width() for i in shown), default=0)
        height = max((i.minimumSize().height() for i in shown), default=0)
        return self._with_margins(QSize(width, height))

    def _shown(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty() or i.spacerItem() is not None]

    def _gap(self) -> int:
        spacing = self.spacing()
        if spacing >= 0:
            return spacing
        parent = self.parentWidget()
        style = parent.style() if parent is not None else None
        return style.pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing) \
            if style is not None else 6

    def _with_margins(self, size: QSize) -> QSize:
        margins = self.contentsMargins()
        return QSize(size.width() + margins.left() + margins.right(),
                     size.height() + margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, place: bool) -> int:
        """Lay the items out in lines within `rect` (or only measure); the height taken."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        gap, width = self._gap(), max(0, area.width())
        lines: list[list[tuple[QLayoutItem, int]]] = [[]]
        used = 0
        for item in self._shown():
            spacer = item.spacerItem() is not None
            wanted = 0 if spacer else min(item.sizeHint().width(), width)
            wanted = max(wanted, 0 if spacer else item.minimumSize().width())
            if lines[-1] and used + gap + wanted > width and not spacer:
                lines.append([])
                used = 0
            if spacer and not lines[-1]:
                continue  # room at the start of a line is no use
            used += (gap if lines[-1] else 0) + wanted
            lines[-1].append((item, wanted))
        y = area.top()
        for line in lines:
            height = max((i.sizeHint().height() for i, _ in line if i.spacerItem() is None),
                         default=0)
            if place:
                self._place(line, area.left(), y, width, height, gap)
            y += height + gap
        return max(0, y - gap - area.top()) + margins.top() + margins.bottom()

    @staticmethod
    def _place(line: list[tuple[QLayoutItem, int]], left: int, y: int, width: int,
               height: int, gap: int) -> None:
        spacers = [i for i, _ in line if i.spacerItem() is not None]
        free = width - sum(w for _, w in line) - gap * max(0, len(line) - 1)
        share = max(0, free) // len(spacers) if spacers else 0
        x = left
        for item, wanted in line:
            if item.spacerItem() is not None:
                wanted = share
            item_height = min(height, max(item.sizeHint().height(), item.minimumSize().height()))
            item.setGeometry(QRect(x, y + (height - item_height) // 2, wanted, item_height))
            x += wanted + gap


class TallScroller(QScrollArea):
    """A frameless area showing a widget whole across and scrolling it up and down when the
    room is lower than the widget's least height (a bottom tab on a 600-pixel screen): as
    wide at least as the widget needs, as low as a few lines."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # frameless, it shows no focus: Tab goes
        # to the widget's fields (and scrolls to the one it reaches)
        self.setWidget(widget)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        inner = self.widget()
        width = max(inner.minimumSizeHint().width(), inner.minimumWidth()) if inner else 0
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(width + bar, super().minimumSizeHint().height())


class TallerWhenNarrow:
    """For a QWidget whose layout wraps (`wrapping`, a word-wrapped label): its least height is
    what its lines take at its width, so that the layout above it gives it that room rather
    than squeezing it over what lies below (Qt's least sizes do not follow the width)."""

    _height_for: tuple[int, int] = (-1, -1)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        least: QSize = super().minimumSizeHint()  # type: ignore[misc]
        return QSize(least.width(), max(least.height(), self._lines_height()))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)  # type: ignore[misc]
        before = self._height_for[1]
        if self._lines_height() != before:
            self.updateGeometry()  # type: ignore[attr-defined]

    def _lines_height(self) -> int:
        layout = self.layout()  # type: ignore[attr-defined]
        width = self.width()  # type: ignore[attr-defined]
        if layout is None or not layout.hasHeightForWidth() or width <= 0:
            return 0
        height = int(layout.totalHeightForWidth(width))
        self._height_for = (width, height)
        return height
