"""A label of one line that gives way in a narrow window: it shows as much of its text as fits,
with "…" where the rest would be, its text() still whole (the timeline's position and time, the
store's path in the status bar)."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QWidget

LEAST_CHARACTERS = 8
"""The least a label gives way to: about this many characters and the "…"."""


class EllipsisLabel(QLabel):
    """A QLabel (rich text or plain, one line) cut short at `elide` ("…" at its end, or in its
    middle for a path) when narrower than its text; as narrow as a few characters."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *,
                 elide: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
        super().__init__(text, parent)
        self.elide = elide
        self._room_for = ""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        least = super().minimumSizeHint()
        room = self.fontMetrics().horizontalAdvance("M" * LEAST_CHARACTERS + "…")
        return QSize(min(least.width(), room), least.height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        if not self._room_for:
            return hint
        margins = self.contentsMargins()
        room = int(self._document(self._room_for).idealWidth() + 1) + margins.left() \
            + margins.right()
        return QSize(max(hint.width(), room), hint.height())

    def keep_room_for(self, text: str) -> None:
        """Ask for the room `text` takes whatever is shown: a label whose text changes at every
        step (the cursor's position) keeps its place, and the line it is on, in a layout."""
        if text != self._room_for:
            self._room_for = text
            self.updateGeometry()

    def _document(self, text: str) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(self.font())
        document.setDocumentMargin(0)
        kind = self.textFormat()
        if kind == Qt.TextFormat.RichText or (
                kind == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)):
            document.setHtml(text)
        else:  # (a path's "<" and "&" are its own characters)
            document.setPlainText(text)
        return document

    def shown_text(self) -> str | None:
        """What the label shows as plain text when its text is cut short; None when whole."""
        document = self._document(self.text())
        room = self.contentsRect().width()
        if document.idealWidth() <= room:
            return None
        return self.fontMetrics().elidedText(document.toPlainText(), self.elide, room)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        shown = self.shown_text()
        if shown is None:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
                         shown)
