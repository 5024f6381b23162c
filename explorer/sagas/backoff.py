"""Waiting before retrying a transient failure: jittered, growing waits, cut short by a stop.

A write that conflicts with another writer (ConcurrencyError), or a store locked by another
program for longer than the busy timeout (StoreLockedError), is normal when several processes
share a store: the work is reloaded and tried again, as often as it takes. What ends the retrying
is the caller's stop request, never a count of attempts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from explorer.store.errors import ConcurrencyError, StoreLockedError

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (ConcurrencyError, StoreLockedError)
"""Failures that pass by themselves: retry the work, never give up on it because of them."""

FIRST_WAIT_S = 0.002
MOST_WAIT_S = 0.1
STOP_CHECK_S = 0.02


class Stopped(Exception):  # noqa: N818 - not an error: the caller asked for it
    """Retrying was abandoned because the caller asked to stop; nothing half-done was kept."""


class Backoff:
    """Waits between attempts: random, between half a limit and the limit, which doubles from
    `first_s` up to `most_s`; writers who collided spread out instead of colliding again.

    `should_stop` is asked before and while waiting (every STOP_CHECK_S), so a stop request
    ends a wait within a few tens of milliseconds.
    """

    def __init__(self, should_stop: Callable[[], bool] | None = None, *,
                 first_s: float = FIRST_WAIT_S, most_s: float = MOST_WAIT_S,
                 rng: random.Random | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.should_stop = should_stop
        self.first_s = first_s
        self.most_s = most_s
        self.attempts = 0
        self._rng = rng or random.Random()
        self._sleep = sleep

    def stopping(self) -> bool:
        return self.should_stop is not None and self.should_stop()

    def next_wait_s(self) -> float:
        """How long the next wait lasts (and counts it as an attempt)."""
        limit = min(self.most_s, self.first_s * 2 ** min(self.attempts, 30))
        self.attempts += 1
        return self._rng.uniform(limit / 2, limit)

    def wait(self) -> None:
        """Wait before the next attempt; Stopped if a stop was asked for before or meanwhile."""
        if self.stopping():
            raise Stopped()
        remaining = self.next_wait_s()
        while remaining > 0:
            step = min(remaining, STOP_CHECK_S)
            self._sleep(step)
            remaining -= step
            if self.stopping():
                raise Stopped()

    def reset(self) -> None:
        """The work went through: the next failure starts with short waits again."""
        self.attempts = 0
