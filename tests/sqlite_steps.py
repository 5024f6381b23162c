"""Counting the work SQLite does, whatever the machine's speed: the tests that a read costs the
same on a long log as on a short one compare these counts, not times."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any


def sql_steps(connection: sqlite3.Connection, work: Callable[[], Any]) -> tuple[Any, int]:
    """What `work` gives, and how many SQLite virtual-machine instructions (in tens) it runs on
    `connection`: the rows its statements read."""
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0
    connection.set_progress_handler(step, 10)
    try:
        result = work()
    finally:
        connection.set_progress_handler(None, 10)
    return result, steps[0]
