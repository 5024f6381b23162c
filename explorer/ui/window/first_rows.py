"""Work that waits for the window's first rows: run once they are painted, not before them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QAbstractItemView


class AfterFirstRows(QObject):
    """Calls `then` once, on the event loop's next turn after `view` first paints rows its
    model read (its first `dataChanged`): what the first rows do not need (the timeline's plot,
    ~0.2 s of importing pyqtgraph) then never delays them."""

    def __init__(self, view: QAbstractItemView, then: Callable[[], None]) -> None:
        super().__init__(view)
        self._view = view
        self._then = then
        view.model().dataChanged.connect(self._rows_in)

    def _rows_in(self) -> None:
        self._view.model().dataChanged.disconnect(self._rows_in)
        self._view.viewport().installEventFilter(self)
        self._view.viewport().update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._then)
        return False
