"""What `event-explorer-cli desktop install` puts into a freedesktop data folder: the desktop
entry, the icons and the store's MIME type, each as a path under the folder and its bytes.

`window_command()` is the one place that says how a launcher starts the window (the installed
`event-explorer` script, or the bundle's executable when frozen); the desktop entry's Exec is
made from it, quoted by the Desktop Entry Specification's rules (and started through
/usr/bin/env where GLib would not find the executable itself: see `launcher_command`).
"""

from __future__ import annotations

import shutil
import sys
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from explorer.common.identity import DESKTOP_ID, ICON_SIZES, WINDOW_EXECUTABLE

APP_ID = DESKTOP_ID
"""The desktop file's name (without .desktop): the window's QGuiApplication.desktopFileName."""
ICON_NAME = DESKTOP_ID
"""The icon's name in the hicolor theme, as the desktop entry's Icon= names it."""
STORE_MIME_TYPE = "application/x-event-explorer-store"
WINDOW_SCRIPT = WINDOW_EXECUTABLE
FILE_CODE = "%f"
"""One file per launch: a launcher opening several stores starts one window for each."""

ENV = "/usr/bin/env"
"""Starts the executable of an Exec line whose path GLib cannot look up (see launcher_command)."""
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
"""Characters that make an Exec argument need quotes (Desktop Entry Specification, Exec key)."""


class DesktopInstallError(Exception):
    """The desktop entry cannot be made or installed; the message says what to do."""


def _resources() -> Traversable:
    return files("explorer.resources")


def window_command() -> list[str]:
    """How a launcher starts the window, as an argument vector with an absolute executable:
    frozen (a PyInstaller bundle), the bundle's `event-explorer` beside the running executable;
    otherwise the `event-explorer` script installed beside the running interpreter, else the one
    on PATH. DesktopInstallError when there is none."""
    if getattr(sys, "frozen", False):
        running = Path(sys.executable).absolute()
        window = running.with_name(WINDOW_SCRIPT + running.suffix)
        if not window.is_file():
            raise DesktopInstallError(f"the bundle has no {window.name} beside {running}: "
                                      "rebuild the bundle (packaging/) and install from it")
        return [str(window)]
    suffix = ".exe" if sys.platform == "win32" else ""
    beside = Path(sys.executable).absolute().parent / (WINDOW_SCRIPT + suffix)
    if beside.is_file():
        return [str(beside)]
    found = shutil.which(WINDOW_SCRIPT)
    if found is not None:
        return [str(Path(found).absolute())]
    raise DesktopInstallError(
        f"no {WINDOW_SCRIPT} script beside {sys.executable} nor on PATH: install the package "
        f"first (`pip install .` or `pip install -e .`, which makes the {WINDOW_SCRIPT} script), "
        "then run `event-explorer-cli desktop install` with that installation's Python")


def exec_argument(argument: str) -> str:
    """`argument` as the Exec key writes it: quoted when it holds a reserved character (with
    `"`, backtick, `$` and `\\` escaped inside the quotes), and `%` doubled."""
    argument = argument.replace("%", "%%")
    if not _RESERVED & set(argument):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def string_value(text: str) -> str:
    """`text` as a desktop entry's string value: backslashes and control characters escaped."""
    return (text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r"))


def launcher_command(command: list[str]) -> list[str]:
    """`command` as the Exec line starts it. GLib (GNOME's launcher, `gio launch`) looks the Exec
    line's first word up before it turns `%%` back into `%`, finds no such program, and refuses
    the whole entry; so an executable whose path holds `%` is started by /usr/bin/env, which GLib
    finds (the `%%` in env's argument is expanded as the specification says). Not when the path
    also holds `=` (env would take it for a variable) or there is no /usr/bin/env:
    `glib_warning` then says so."""
    executable = command[0]
    if "%" not in executable or "=" in executable or not Path(ENV).is_file():
        return command
    return [ENV, *command]


def glib_warning(command: list[str]) -> str | None:
    """Why GNOME would not load a desktop entry starting `command`, or None when it would."""
    if "%" not in launcher_command(command)[0]:
        return None
    return (f"the launcher's program {command[0]} has a '%' in its path, which GLib cannot "
            "start from a desktop entry: GNOME (and `gio launch`) may not show or open Event "
            "Explorer; install it at a path without '%'")


def exec_line(command: list[str]) -> str:
    """The desktop entry's Exec value: `command`, then the code for one file."""
    return string_value(" ".join(exec_argument(a) for a in command) + " " + FILE_CODE)


def desktop_entry(command: list[str]) -> str:
    """resources/event-explorer.desktop with its Exec starting `command` (absolute; through
    /usr/bin/env where GLib needs it, see launcher_command)."""
    template = _resources().joinpath(f"{APP_ID}.desktop").read_text(encoding="utf-8")
    lines = template.splitlines()
    execs = [i for i, line in enumerate(lines) if line.startswith("Exec=")]
    if len(execs) != 1:
        raise DesktopInstallError(f"resources/{APP_ID}.desktop has {len(execs)} Exec lines "
                                  "instead of one: fix the file in the package")
    lines[execs[0]] = "Exec=" + exec_line(launcher_command(command))
    return "\n".join(lines) + "\n"


def icon_png(size: int) -> bytes:
    return _resources().joinpath("icons", "hicolor", f"{size}x{size}", "apps",
                                 f"{ICON_NAME}.png").read_bytes()


def installed_files(command: list[str]) -> dict[str, bytes]:
    """Every file the install writes, by its path under the data folder ($XDG_DATA_HOME)."""
    wanted = {
        f"applications/{APP_ID}.desktop": desktop_entry(command).encode(),
        f"icons/hicolor/scalable/apps/{ICON_NAME}.svg":
            _resources().joinpath("icons", "app.svg").read_bytes(),
        f"mime/packages/{APP_ID}.xml":
            _resources().joinpath(f"{APP_ID}-mime.xml").read_bytes(),
    }
    for size in ICON_SIZES:
        wanted[f"icons/hicolor/{size}x{size}/apps/{ICON_NAME}.png"] = icon_png(size)
    return wanted
