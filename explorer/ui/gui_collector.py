"""Garbage collection on the GUI thread only.

Python's cyclic garbage collector runs on whichever thread happens to allocate when a threshold
is passed. In the window's process that is often a worker thread reading the store; when the
garbage it finds holds Qt objects (say, a closed window's widgets in a reference cycle), they
are destroyed on that thread, and Qt and the interpreter lock wait for each other: the window's
tests hung there (the worker in `gc_collect_main` destroying a QObject, the GUI thread deleting
a QMenu), and aborted with "Fatal Python error: Aborted" while "Garbage-collecting".

So while the window runs, the automatic collector is off and the GUI thread collects on a timer,
by the interpreter's own rules (pyqtgraph's GarbageCollector does the same, for the same reason):
the oldest generation past its threshold, and the oldest (a full collection, which walks every
object) only once the objects that reached it since the last full one are a quarter of those it
kept then. It is not a switch that trades safety for speed: the same collections happen, on the
one thread where destroying a Qt object is safe. Without that quarter rule the window walked
every object it holds every second or so of a worker's reading (100-500 ms on a million-event
store under load). A young collection still walks whatever a worker made since the last tick
(its 50,000-value tuples: ~20 ms); a shorter tick made full collections come sooner, and the
window's stalls longer, in bench/debug_window_driver.py.

Once a store is shown, what the process holds then (Qt's, pyqtgraph's and the libraries'
modules, the window's widgets: ~140,000 objects) is frozen (`gc.freeze`): a full collection
walks only what came later, instead of 150-250 ms of walking everything (270-565 ms under load,
in the middle of a compare). The price: a reference cycle among frozen objects that becomes
garbage is not collected until the process ends; objects are frozen only at a store's opening
(no collection first, which would be that walk), when little garbage is about.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 100
OLDEST = 2


class GuiThreadCollector(QObject):
    """Collects garbage on the thread it lives on (make it on the GUI thread) until `stop`."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()
        self._long_lived_total = 0  # objects kept by the last full collection
        self._long_lived_pending = 0  # objects moved to the oldest generation since
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold (the oldest only once
        enough objects are pending there), as the interpreter would."""
        counts = gc.get_count()
        for generation in (OLDEST, 1, 0):
            if counts[generation] <= self._thresholds[generation]:
                continue
            if generation == OLDEST and self._long_lived_pending < self._long_lived_total // 4:
                continue
            self.collect(generation)
            return

    def collect(self, generation: int) -> None:
        """Collect `generation` (and the younger ones), keeping the interpreter's count of
        long-lived objects: those a middle collection moves to the oldest generation, and
        those a full collection keeps."""
        if generation == OLDEST - 1:
            young = len(gc.get_objects(0)) + len(gc.get_objects(1))
            self._long_lived_pending += max(young - gc.collect(generation), 0)
            return
        gc.collect(generation)
        if generation == OLDEST:
            self._long_lived_pending = 0
            self._long_lived_total = len(gc.get_objects(OLDEST))

    def settle(self) -> None:
        """Freeze what the process holds now (call it once a store is shown): later full
        collections walk only newer objects; the frozen count as the long-lived ones."""
        gc.freeze()
        self._long_lived_pending = 0
        self._long_lived_total = gc.get_freeze_count()

    def stop(self) -> None:
        """Collect everything now, here, and give collection back to the interpreter."""
        self._timer.stop()
        gc.unfreeze()
        gc.collect()
        if self._was_enabled:
            gc.enable()
