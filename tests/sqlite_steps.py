"""Counting the work SQLite does, whatever the machine's speed: the tests that a read costs the
same on a long log as on a short one compare these counts, not times."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any


def sql_steps(connections: sqlite3.Connection | Sequence[sqlite3.Connection],
              work: Callable[[], Any]) -> tuple[Any, int]:
    """What `work` gives, and how many SQLite virtual-machine instructions (in tens) it runs on
    the connection (or connections): the rows its statements read."""
    each = [connections] if isinstance(connections, sqlite3.Connection) else list(connections)
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0
    for connection in each:
        connection.set_progress_handler(step, 10)
    try:
        result = work()
    finally:
        for connection in each:
            connection.set_progress_handler(None, 10)
    return result, steps[0]
