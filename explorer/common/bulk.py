"""Pausing Python's cyclic garbage collector during bulk work, in headless processes only.

Bulk work (seeding, rebuilding read models, catching up sagas) creates millions of short-lived
dicts while holding many long-lived ones (caches of aggregates and rows). CPython 3.11's
collector then rescans the long-lived ones over and over, which measured as half or more of the
time spent. None of that work creates reference cycles that matter, so a process that does
nothing else (the command line, the window's runner child) may pause the collector for its
duration.

Pausing it is a switch for the whole process, every thread at once: the window's process never
turns it on, and there `bulk_work()` does nothing. A headless composition root opts in by
running its work inside `collector_pauses_allowed()`.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_allowed = False
_depth = 0
_was_enabled = True


@contextmanager
def collector_pauses_allowed() -> Iterator[None]:
    """Let `bulk_work()` pause the garbage collector in this process while the block runs.

    Only for the body of a process with no GUI thread and nothing else sharing it (the command
    line's `main`).
    """
    global _allowed
    was_allowed, _allowed = _allowed, True
    try:
        yield
    finally:
        _allowed = was_allowed


@contextmanager
def bulk_work() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused, where that is allowed.

    Re-entrant, and safe to use from several threads: the collector resumes when the last
    block ends.
    """
    global _depth, _was_enabled
    if not _allowed:
        yield
        return
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                # What survived the work is mostly long-lived (caches) and acyclic: move it out
                # of the collector's sight, so that re-enabling it does not start a collection
                # of everything at once.
                gc.freeze()
                gc.enable()
