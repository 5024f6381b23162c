"""A status line that is never cut at its right edge: one line of rich text made of parts
("12 switches · to true at 1,204 (3 of 12) · read model built to 9,000").

The parts that do not fit the width are left out from the end, an ellipsis says that more
follows, and the tooltip holds the whole line. A QLabel would cut the text mid-word at its edge
(rich text is not elided by Qt), and wrapping would make the bar it sits in grow and shrink as
the user goes from result to result.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

SEPARATOR = " · "
MORE = "…"


class StatusLine(QLabel):
    """A one-line rich-text label of parts, those that fit shown (see the module's docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._parts: list[str] = []

    def set_parts(self, parts: list[str]) -> None:
        """Show these parts of rich text, joined by " · ", as many as fit."""
        self._parts = [part for part in parts if part]
        self.setToolTip(self.whole_text())
        self._fit()

    def whole_text(self) -> str:
        """The whole line, whatever fits."""
        return SEPARATOR.join(self._parts)

    def elided(self) -> bool:
        return self.text() != self.whole_text()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def _fit(self) -> None:
        parts, room = self._parts, self.contentsRect().width()
        shown = self.whole_text()
        for count in range(len(parts), 0, -1):
            shown = SEPARATOR.join(parts[:count]) + ("" if count == len(parts)
                                                    else SEPARATOR + MORE)
            if self._width_of(shown) <= room:
                break
        self.setText(shown)  # the first part alone, if even that does not fit

    def _width_of(self, text: str) -> float:
        document = QTextDocument()
        document.setDefaultFont(self.font())
        document.setDocumentMargin(0)
        document.setHtml(text)
        return document.idealWidth()
