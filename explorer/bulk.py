"""Pausing Python's cyclic garbage collector during bulk work.

Bulk work (seeding, rebuilding read models, catching up sagas) creates millions of short-lived
dicts while holding many long-lived ones (caches of aggregates and rows). CPython 3.11's
collector then rescans the long-lived ones over and over, which measured as half or more of the
time spent. None of that work creates reference cycles that matter, so the collector is paused
for its duration (re-entrant, and safe to use from several threads) and resumed afterwards.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def bulk_work() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused."""
    global _depth, _was_enabled
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
                # of everything at once (a pause of the whole process, the GUI thread included).
                gc.freeze()
                gc.enable()
