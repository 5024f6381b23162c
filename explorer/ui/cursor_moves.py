"""What the time cursor is asked and what it answers: where to go (a position, a time, steps, a
playback tick), how fast to play, and where it is (`CursorStatus`, which the banner, the timeline
and the status bar all show).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToPosition:
    position: int


@dataclass(frozen=True)
class ToTime:
    timestamp_us: int


@dataclass(frozen=True)
class Step:
    count: int
    stream_id: str | None


@dataclass(frozen=True)
class PlayTo:
    clock_us: int
    stream_id: str | None


Target = ToPosition | ToTime | Step | PlayTo


@dataclass(frozen=True)
class Speed:
    """A playback speed: `rate` events a second, or (real time) `rate` times the events' pace."""

    label: str
    rate: float
    real_time: bool = False


SPEEDS = (Speed("1 event/s", 1), Speed("2 events/s", 2), Speed("5 events/s", 5),
          Speed("25 events/s", 25), Speed("100 events/s", 100), Speed("1,000 events/s", 1000),
          Speed("10,000 events/s", 10_000), Speed("Real time", 1, True),
          Speed("Real time ×10", 10, True), Speed("Real time ×60", 60, True),
          Speed("Real time ×3600", 3600, True))


@dataclass(frozen=True)
class CursorStatus:
    """Where the cursor is and whether it follows the log: the one answer that the banner, the
    timeline and the status bar all show."""

    live: bool
    position: int
    last_position: int
    timestamp_us: int | None  # the time of the event at the cursor, once it has been read

    @property
    def later(self) -> int:
        """Events after the cursor, not applied to what is shown."""
        return max(0, self.last_position - self.position)


MORE_ROWS = 200
"""How many more of a read model's rows as of the cursor "show more" reads at a time."""
