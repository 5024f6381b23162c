"""Every setting the window remembers, declared once.

Remembered window state (geometry, splitters, column widths) is kept apart from the user's own
lists (recent stores). Tests point QSettings at a temporary folder with `use_settings_folder`.
The settings hold what the user typed (the console's history), so their file is 0600 in a 0700
folder: created so, and made so again if an older version left it readable by others.

Settings that cannot be read (the folder or file another user's, as after a run with sudo) read
as not set, and settings that cannot be saved are not kept: the window runs all the same, and is
told once a run why (`report_problems_to`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from PySide6.QtCore import QByteArray, QSettings

from explorer.common.private_files import create_private, make_private, private_folder
from explorer.store.postgres_url import local_path

ORGANIZATION = "event-explorer"
APPLICATION = "Event Explorer"
MAX_RECENT = 10


def use_settings_folder(folder: Path) -> None:
    """Keep settings as INI files in `folder` (tests, portable use)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


_problem_handler: Callable[[str], None] | None = None
_problem_told = False


def report_problems_to(handler: Callable[[str], None] | None) -> None:
    """Tell `handler`, once a run, why the settings cannot be saved if they cannot."""
    global _problem_handler
    _problem_handler = handler


def _settings(writing: bool = False) -> QSettings:
    """The settings; OSError when `writing` and their file or folder cannot be made private
    (a file that cannot be read is read as empty)."""
    settings = QSettings(QSettings.Format.IniFormat if QSettings.defaultFormat()
                         == QSettings.Format.IniFormat else QSettings.Format.NativeFormat,
                         QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
    try:
        _keep_private(Path(settings.fileName()), create=writing)
    except OSError:
        if writing:
            raise
    return settings


def _keep_private(path: Path, create: bool) -> None:
    """Make the settings file 0600 and its folder 0700: created so before the first write (as
    QSettings rewrites a file it keeps its mode), or made so if an older version left them open.
    Only a file of our own (not the Windows registry, not a macOS plist) in our own folder."""
    if not path.is_absolute() or path.suffix not in (".ini", ".conf"):
        make_private(path)
        return
    if path.parent.name == ORGANIZATION and (create or path.parent.is_dir()):
        private_folder(path.parent)
    if create:
        create_private(path)
    else:
        make_private(path)


def _put(key: str, value: object) -> None:
    """Remember a value, in a file only the user can read; if it cannot be saved, it is not
    kept, and the handler told (once a run)."""
    try:
        settings = _settings(writing=True)
        settings.setValue(key, value)
        settings.sync()
        make_private(settings.fileName())
    except OSError as error:
        _not_saved(error.strerror or str(error))
        return
    if settings.status() == QSettings.Status.AccessError:
        _not_saved("permission denied")


def _not_saved(why: str) -> None:
    global _problem_told
    if _problem_told or _problem_handler is None:
        return
    _problem_told = True
    where = Path(settings_file())
    _problem_handler(
        f"Your settings cannot be saved: {where} cannot be written ({why.lower()}). Recent "
        "stores, the window's layout and the console's history are not kept until it can. "
        "If Event Explorer was run as another user (with sudo, say), give the folder back: "
        f"sudo chown -R $USER '{where.parent}'.")


def settings_file() -> str:
    """Where the settings are kept (a file, or on Windows a registry key)."""
    return _settings().fileName()


def window_state(name: str) -> QByteArray | None:
    """A remembered layout blob (geometry, splitter sizes, header state), or None."""
    value = _settings().value(f"window/{name}")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def save_window_state(name: str, value: QByteArray) -> None:
    _put(f"window/{name}", value)


def window_height() -> int | None:
    """The window's height when its layout was last saved (None if not known)."""
    value = _settings().value("window/height", None)
    try:
        return int(value) if isinstance(value, int | str) else None
    except ValueError:
        return None


def save_window_height(height: int) -> None:
    _put("window/height", height)


def recent_stores() -> list[str]:
    value = _settings().value("stores/recent", [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list
        value = [value]
    return [_store_read(str(v)) for v in value][:MAX_RECENT] if isinstance(value, list) else []


def remember_store(path: str) -> list[str]:
    """Put `path` first in the recent stores; the new list."""
    recent = [path] + [p for p in recent_stores() if p != path]
    _put("stores/recent", [kept_path(p) for p in recent[:MAX_RECENT]])
    return recent[:MAX_RECENT]


def forget_store(path: str) -> list[str]:
    recent = [p for p in recent_stores() if p != path]
    _put("stores/recent", [kept_path(p) for p in recent])
    return recent


def kept_path(path: str) -> str:
    """A store's path as the settings keep it, in a value or a key: one whose name is not
    UTF-8 (Python keeps its bytes as lone surrogates, which a Qt string cannot hold:
    caf\\udce9.evstore came back as caf.evstore, another file; nor can JSON) as a file:// URI of
    its bytes, read back by `_store_read`; any other as it is."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return Path(os.path.abspath(path)).as_uri()
    return path


def _store_read(kept: str) -> str:
    """A store's path as `kept_path` kept it."""
    return local_path(kept) if kept.startswith("file://") else kept


def sagas_enabled(path: str, default: bool) -> bool:
    """Whether this window runs the sagas of the store at `path` (a per-store choice)."""
    value = _per_store("sagas", path)
    if value is None:
        return default
    return value in (True, "true", "1", 1)


def remember_sagas(path: str, enabled: bool) -> None:
    _put(f"sagas/{_key(path)}", enabled)


def _key(path: str) -> str:
    """A settings key for a store's path (QSettings treats slashes as groups): its bytes kept
    where they are not UTF-8 (`kept_path`), so that stores whose names differ in such a byte
    have settings of their own in every format Qt keeps them in."""
    return _plain_key(kept_path(path))


def _plain_key(path: str) -> str:
    return path.replace("/", "|").replace("\\", "|")


def _per_store(group: str, path: str) -> Any:
    """The value kept in `group` for the store at `path` (None: none). A name that is not UTF-8
    was kept before under its path as Python holds it, which an INI file keeps (the byte as
    %UDCE9) and finds again: read there while nothing is kept under its key now, so that its
    choice and watches outlive the key's change."""
    settings = _settings()
    value = settings.value(f"{group}/{_key(path)}", None)
    if value is None and kept_path(path) != path:
        value = settings.value(f"{group}/{_plain_key(path)}", None)
    return value


def console_history() -> list:
    """The command console's history (JSON-ready dicts, newest first); [] if none or unreadable."""
    value = _settings().value("console/history", "")
    try:
        found = orjson.loads(value) if isinstance(value, str | bytes) and value else []
    except orjson.JSONDecodeError:
        return []
    return found if isinstance(found, list) else []


def save_console_history(entries: list) -> None:
    _put("console/history", orjson.dumps(entries).decode())


def welcome_seen() -> bool:
    """Whether the user has seen the first-run welcome through (it then stays away)."""
    return _settings().value("help/welcome-seen", False) in (True, "true", "1", 1)


def remember_welcome_seen(seen: bool = True) -> None:
    _put("help/welcome-seen", seen)


def watches(path: str) -> list[str]:
    """The expressions pinned to the Watch panel for the store at `path` (a per-store view)."""
    value = _per_store("watches", path)
    try:
        found = orjson.loads(value) if isinstance(value, str | bytes) and value else []
    except orjson.JSONDecodeError:
        return []
    return [str(text) for text in found] if isinstance(found, list) else []


def save_watches(path: str, texts: list[str]) -> None:
    _put(f"watches/{_key(path)}", orjson.dumps(texts).decode())
