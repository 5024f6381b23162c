"""Work that waits for the window's first rows: run once they are painted, not before them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QAbstractItemView

GRACE_MS = 300
"""How long after the first rows are painted `then` waits: a page asked for at once (a jump to
the end, the next page) is read and shown first, not queued behind it."""


class AfterFirstRows(QObject):
    """Calls `then` once, `grace_ms` after `view` first paints rows its model read (its first
    `dataChanged`): what the first rows do not need (the timeline's plot, ~0.2 s of importing
    pyqtgraph) then delays neither them nor a page asked for at once."""

    def __init__(self, view: QAbstractItemView, then: Callable[[], None],
                 grace_ms: int = GRACE_MS) -> None:
        super().__init__(view)
        self._view = view
        self._then = then
        self._grace_ms = grace_ms
        view.model().dataChanged.connect(self._rows_in)

    def _rows_in(self) -> None:
        self._view.model().dataChanged.disconnect(self._rows_in)
        self._view.viewport().installEventFilter(self)
        self._view.viewport().update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(self._grace_ms, self._then)
        return False
