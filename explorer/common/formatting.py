"""How events, data, times and durations are shown as text; shared by the command line and the
window. Times are UTC; a person reads "2026-11-29 12:41:03" and "2 h 05 m", the raw value is
offered beside it (a tooltip) by whoever shows it."""

from __future__ import annotations

from typing import Any

from explorer.common.timestamps import from_micros

# moments a field may hold, in microseconds since 1970: 2000-01-01 to 2100-01-01 (UTC)
EARLIEST_MICROS = 946_684_800_000_000
LATEST_MICROS = 4_102_444_800_000_000
TIME_FIELD_NAMES = ("at", "timestamp")
TIME_FIELD_SUFFIXES = ("_at", "_at_us", "_time_us")


def short_time(micros: int) -> str:
    """UTC time to the millisecond, e.g. 2026-01-05 08:00:01.123."""
    return from_micros(micros).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def clock_time(micros: int) -> str:
    """UTC time to the second, for people: 2026-11-29 12:41:03 (the raw number if it is no
    time a calendar holds)."""
    try:
        return from_micros(micros).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError, OSError):
        return str(micros)


def raw_time(micros: int) -> str:
    """The stored value of a time and what it means, for a tooltip:
    "1789656368145136 µs since 1970-01-01 UTC (2026-09-17 12:46:08.145136)"."""
    try:
        exact = from_micros(micros).strftime("%Y-%m-%d %H:%M:%S.%f")
    except (ValueError, OverflowError, OSError):
        return f"{micros} µs since 1970-01-01 UTC"
    return f"{micros} µs since 1970-01-01 UTC ({exact})"


def is_time_field(name: str, value: Any) -> bool:
    """Whether a field of event or row data holds a moment in microseconds since 1970: a whole
    number named `at`, `timestamp` or `…_at`, between the years 2000 and 2100."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and EARLIEST_MICROS <= value < LATEST_MICROS
            and (name in TIME_FIELD_NAMES or name.endswith(TIME_FIELD_SUFFIXES)))


def duration(seconds: float) -> str:
    """A span of time for people, two units at most: 350 ms, 12 s, 4 m 05 s, 2 h 05 m,
    86 d 22 h. Negative spans read as their length."""
    seconds = abs(seconds)
    if seconds < 1:
        millis = round(seconds * 1000)
        if millis < 1000:
            return f"{millis} ms"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} m {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} m"
    days, hours = divmod(hours, 24)
    return f"{days:,} d {hours:02d} h"


def time_behind(seconds: float) -> str:
    """How far a reader trails the log in time: "caught up", "12 s behind", "2 h 05 m behind"."""
    return "caught up" if seconds <= 0 else f"{duration(seconds)} behind"


def count_of(number: int, unit: str) -> str:
    """A count with its unit: "1 event", "1,234 events"."""
    return f"{number:,} {unit}{'' if number == 1 else 's'}"


def summarize(data: dict[str, Any], width: int = 100) -> str:
    """A one-line summary of event data: key=value pairs, lists as counts, times as times, cut to
    `width`."""
    parts = []
    length = 0
    for key, value in data.items():
        part = f"{key}={_short_value(value, str(key))}"
        parts.append(part)
        length += len(part) + 1
        if length > width:
            break
    text = " ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_value(value: Any, key: str = "") -> str:
    if is_time_field(key, value):
        return clock_time(value)
    if isinstance(value, str):
        return value if len(value) <= 40 else value[:39] + "…"
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1e12 and value == round(value, 2) else repr(value)
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_short_value(v, str(k))}"
                               for k, v in list(value.items())[:3]) + \
            (", …}" if len(value) > 3 else "}")
    return str(value)
