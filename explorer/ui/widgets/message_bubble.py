"""A message in a bubble just under a field, over what lies below it: showing one moves nothing.

A label in a layout that appears with an error pushes its neighbours aside and narrows the panes
around it. The bubble is a child of the field's window, outside every layout, placed under the
field and kept there while the window or its splitters move. It stays until it is cleared, out
of the way while the field does not have focus (an error comes back when the field gets it
again).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QLabel, QWidget

MAX_WIDTH = 460
GAP = 2
PADDING = 6
STYLES = {
    "error": "background: #ffebee; color: #b71c1c; border: 1px solid #e57373;",
    "note": "background: #e3f2fd; color: #0d47a1; border: 1px solid #90caf9;",
    "warning": "background: #fff3e0; color: #e65100; border: 1px solid #ffb74d;",
}
RETURNING = ("error", "warning")  # kinds shown again when the field gets the focus back


class MessageBubble(QLabel):
    """A message under `anchor`: `show_message(text, kind)` with kind "error", "warning" or
    "note", and `clear()`. Its right edge lines up with the field's, inside the window."""

    def __init__(self, anchor: QWidget) -> None:
        super().__init__(anchor)  # until shown: then the window's, to lie over its neighbours
        self.anchor = anchor
        self.kind = ""
        self._watched: list[QWidget] = []
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setObjectName("message-bubble")
        self.hide()
        anchor.installEventFilter(self)

    def show_message(self, text: str, kind: str = "error") -> None:
        window = self.anchor.window()
        if self.parentWidget() is not window:  # the field was placed in its window since
            self.setParent(window)
        self.kind = kind
        self.setStyleSheet(f"#message-bubble {{ {STYLES[kind]} border-radius: 3px;"
                           f" padding: 4px {PADDING}px; }}")
        self.setText(text)
        self._watch()
        self._reveal()

    def _reveal(self) -> None:
        self.place()
        self.show()
        self.raise_()

    def clear(self) -> None:
        self.kind = ""
        self.setText("")
        self.hide()
        self._unwatch()

    def place(self) -> None:
        """Put the bubble under the field, its right edge at the field's, within the window."""
        window = self.parentWidget()
        if window is None:
            return
        margins = self.contentsMargins()
        one_line = (self.fontMetrics().horizontalAdvance(self.text()) + margins.left()
                    + margins.right() + 2 * PADDING + 2)
        width = min(MAX_WIDTH, max(self.anchor.width(), one_line), window.width())
        height = self.heightForWidth(width)
        corner = self.anchor.mapTo(window, QPoint(self.anchor.width(), self.anchor.height()))
        x = max(0, min(corner.x() - width, window.width() - width))
        self.setGeometry(x, corner.y() + GAP, width, height)

    # -- following the field ---------------------------------------------------------------

    def _watch(self) -> None:
        """Follow moves and resizes of the field and of every widget between it and the window
        (splitters, panes): any of them moves the field within the window."""
        self._unwatch()
        widget: QWidget | None = self.anchor.parentWidget()
        while widget is not None:
            widget.installEventFilter(self)
            self._watched.append(widget)
            if widget.isWindow():
                break
            widget = widget.parentWidget()

    def _unwatch(self) -> None:
        for widget in self._watched:
            widget.removeEventFilter(self)
        self._watched.clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind in (QEvent.Type.Move, QEvent.Type.Resize) and self.isVisible():
            self.place()
        elif watched is self.anchor and kind in (QEvent.Type.Hide, QEvent.Type.FocusOut):
            self.hide()  # out of the way of whatever the user turned to
        elif watched is self.anchor and self.kind in RETURNING and (
                kind == QEvent.Type.FocusIn or (kind == QEvent.Type.Show
                                                and self.anchor.hasFocus())):
            self._reveal()
        return False
