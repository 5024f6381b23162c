"""Every setting the window remembers, declared once.

Remembered window state (geometry, splitters, column widths) is kept apart from the user's own
lists (recent stores). Tests point QSettings at a temporary folder with `use_settings_folder`.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "event-explorer"
APPLICATION = "Event Explorer"
MAX_RECENT = 10


def use_settings_folder(folder: Path) -> None:
    """Keep settings as INI files in `folder` (tests, portable use)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def _settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat if QSettings.defaultFormat()
                     == QSettings.Format.IniFormat else QSettings.Format.NativeFormat,
                     QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def window_state(name: str) -> QByteArray | None:
    """A remembered layout blob (geometry, splitter sizes, header state), or None."""
    value = _settings().value(f"window/{name}")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def save_window_state(name: str, value: QByteArray) -> None:
    _settings().setValue(f"window/{name}", value)


def recent_stores() -> list[str]:
    value = _settings().value("stores/recent", [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list
        value = [value]
    return [str(v) for v in value or []][:MAX_RECENT]


def remember_store(path: str) -> list[str]:
    """Put `path` first in the recent stores; the new list."""
    recent = [path] + [p for p in recent_stores() if p != path]
    _settings().setValue("stores/recent", recent[:MAX_RECENT])
    return recent[:MAX_RECENT]


def forget_store(path: str) -> list[str]:
    recent = [p for p in recent_stores() if p != path]
    _settings().setValue("stores/recent", recent)
    return recent


def sagas_enabled(path: str, default: bool) -> bool:
    """Whether this window runs the sagas of the store at `path` (a per-store choice)."""
    value = _settings().value(f"sagas/{_key(path)}", None)
    if value is None:
        return default
    return value in (True, "true", "1", 1)


def remember_sagas(path: str, enabled: bool) -> None:
    _settings().setValue(f"sagas/{_key(path)}", enabled)


def _key(path: str) -> str:
    """A settings key for a path (QSettings treats slashes as groups)."""
    return path.replace("/", "|").replace("\\", "|")


def console_history() -> list:
    """The command console's history (JSON-ready dicts, newest first); [] if none or unreadable."""
    value = _settings().value("console/history", "")
    try:
        found = orjson.loads(value) if isinstance(value, str | bytes) and value else []
    except orjson.JSONDecodeError:
        return []
    return found if isinstance(found, list) else []


def save_console_history(entries: list) -> None:
    _settings().setValue("console/history", orjson.dumps(entries).decode())
