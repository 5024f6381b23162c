"""One single-shot timer set-up for the window's delays, debounces and "later, once" calls.

A widget that waits for a pause in typing, gathers a burst of changes into one reload, or runs
something on the next turn of the event loop makes a single-shot `QTimer` owned by itself (so
Qt ends it with the widget), with an interval and the slot it calls. `start()` restarts the
wait; `stop()` drops a pending call.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


def single_shot(owner: QObject, interval_ms: int, call: Callable[[], object]) -> QTimer:
    """A stopped single-shot timer owned by `owner` that calls `call` `interval_ms` after each
    `start()` (a restart waits anew: a debounce)."""
    if interval_ms < 0:
        raise ValueError(f"a timer's interval is milliseconds from now, not {interval_ms}: "
                         "give 0 or more")
    timer = QTimer(owner)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(call)
    return timer
