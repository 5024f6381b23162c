"""Garbage collection on the GUI thread only.

Python's cyclic garbage collector runs on whichever thread happens to allocate when a threshold
is passed. In the window's process that is often a worker thread reading the store; when the
garbage it finds holds Qt objects (say, a closed window's widgets in a reference cycle), they
are destroyed on that thread, and Qt and the interpreter lock wait for each other: the window's
tests hung there (the worker in `gc_collect_main` destroying a QObject, the GUI thread deleting
a QMenu), and aborted with "Fatal Python error: Aborted" while "Garbage-collecting".

So while the window runs, the automatic collector is off and the GUI thread collects on a timer,
generation by generation, by the interpreter's own thresholds (pyqtgraph's GarbageCollector does
the same, for the same reason). It is not a switch that trades safety for speed: the same
collections happen, on the one thread where destroying a Qt object is safe.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 100


class GuiThreadCollector(QObject):
    """Collects garbage on the thread it lives on (make it on the GUI thread) until `stop`."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> None:
        """Collect each generation whose count passed its threshold, as the interpreter would."""
        young, middle, old = gc.get_count()
        first, second, third = self._thresholds
        if young > first:
            gc.collect(0)
            if middle > second:
                gc.collect(1)
                if old > third:
                    gc.collect(2)

    def stop(self) -> None:
        """Collect everything now, here, and give collection back to the interpreter."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
