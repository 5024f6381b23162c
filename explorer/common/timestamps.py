"""Timestamps as the store keeps them: integer microseconds since the Unix epoch, in UTC.

Integers index compactly, compare cheaply and convert to `datetime` only when shown.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_micros() -> int:
    """The current time in microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch for an aware datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """An aware UTC datetime for microseconds since the epoch."""
    seconds, fraction = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=fraction)


def iso(micros: int) -> str:
    """ISO 8601 text in UTC with microseconds and a trailing Z, e.g. 2026-03-19T10:15:30.000000Z."""
    seconds, fraction = divmod(micros, 1_000_000)
    t = time.gmtime(seconds)
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
            f"{t.tm_sec:02d}.{fraction:06d}Z")


def parse_time(text: str) -> int:
    """Microseconds for an ISO 8601 date or date-time; without a zone it is taken as UTC.

    Raises ValueError with a message naming the text and the expected form.
    """
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return to_micros(datetime.fromisoformat(cleaned))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time; use ISO 8601, e.g. 2026-03-19 or 2026-03-19T10:15:30Z"
        ) from None
