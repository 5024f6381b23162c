"""How events, data and times are shown as text; shared by the command line and the window."""

from __future__ import annotations

from typing import Any

from explorer.store.timestamps import from_micros


def short_time(micros: int) -> str:
    """UTC time to the millisecond, e.g. 2026-01-05 08:00:01.123."""
    return from_micros(micros).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def summarize(data: dict[str, Any], width: int = 100) -> str:
    """A one-line summary of event data: key=value pairs, lists as counts, cut to `width`."""
    parts = []
    length = 0
    for key, value in data.items():
        part = f"{key}={_short_value(value)}"
        parts.append(part)
        length += len(part) + 1
        if length > width:
            break
    text = " ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_value(value: Any) -> str:
    if isinstance(value, str):
        return value if len(value) <= 40 else value[:39] + "…"
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1e12 and value == round(value, 2) else repr(value)
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_short_value(v)}" for k, v in list(value.items())[:3]) + \
            (", …}" if len(value) > 3 else "}")
    return str(value)
