"""The app's identity: its desktop id (the name launchers know it by), its version (the one
function every part asks) and the versions of what it runs on (Qt, SQLite, Python), for
`--version` and reports.

Qt-free: the window hands in the Qt it loaded; the command line, which never loads Qt, asks a
short-lived process of the same installation, so that it reports the Qt the window would run.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

DESKTOP_ID = "event-explorer"
"""The desktop entry's name (event-explorer.desktop), the icon's, and the window's
QGuiApplication.desktopFileName: what launchers and task bars group its windows by."""
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
"""The sizes of the app icon's PNGs (resources/icons/hicolor/NxN/apps/event-explorer.png), drawn
for each size (render_hicolor.py); the SVG serves the others."""
WINDOW_EXECUTABLE = "event-explorer"
"""The window's launcher: pyproject.toml's gui-script, or a bundle's executable."""
DISTRIBUTION = "event-explorer"
"""The distribution's name in pyproject.toml (and so in importlib.metadata)."""
QT_BINDINGS = ("PySide6-Essentials", "PySide6")
"""The distributions that can provide PySide6, the one the app depends on first."""
_ASK_QT = "from PySide6.QtCore import qVersion; print(qVersion())"


@cache
def app_version() -> str:
    """Event Explorer's version: the installed distribution's; run from a source tree that was
    never installed, the version its pyproject.toml declares."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown (not installed)"


def installed(*distributions: str) -> str:
    """The version of the first of `distributions` that is installed, else "not installed"."""
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def qt_runtime_version() -> str:
    """The version of the Qt library the window runs on. Read from Qt itself when this process
    has loaded it; otherwise (the command line) from a short-lived process of the same
    installation, so that the core never loads Qt."""
    loaded = sys.modules.get("PySide6.QtCore")
    if loaded is not None:
        return str(loaded.qVersion())
    if getattr(sys, "frozen", False):  # a bundle: its window executable lies beside this one
        window = Path(sys.executable).with_name(WINDOW_EXECUTABLE + Path(sys.executable).suffix)
        command = [str(window), "--qt-version"]
    else:
        command = [sys.executable, "-c", _ASK_QT]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return f"unknown ({error})"
    if done.returncode != 0 or not done.stdout.strip():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"unknown (Qt could not be loaded: {last})"
    return done.stdout.strip()


def _pyside_version() -> str:
    """PySide6's version by its distribution, else (a bundle without its metadata) by the
    module this process loaded."""
    found = installed(*QT_BINDINGS)
    loaded = sys.modules.get("PySide6")
    if found == "not installed" and loaded is not None:
        return str(getattr(loaded, "__version__", found))
    return found


def runtime_versions(qt_runtime: str | None = None) -> list[tuple[str, str]]:
    """The app and what it runs on, as (name, version) pairs: the first lines of a bug report.
    `qt_runtime`: the Qt version when the caller knows it (see qt_runtime_version)."""
    return [("Event Explorer", app_version()),
            ("Qt", qt_runtime if qt_runtime is not None else qt_runtime_version()),
            ("PySide6", _pyside_version()),
            ("SQLite", sqlite3.sqlite_version),
            ("Python", f"{platform.python_version()} ({platform.python_implementation()})")]


def versions_text(pairs: Sequence[tuple[str, str]]) -> str:
    """`pairs` one a line, the versions aligned: `Event Explorer  0.1.0`."""
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name:<{width}}  {version}" for name, version in pairs)


def add_version_option(parser: argparse.ArgumentParser,
                       pairs: Callable[[], Sequence[tuple[str, str]]] = runtime_versions) -> None:
    """`--version`: print `pairs()` and exit, computed only when asked (finding the Qt version
    may start a process), without a window or a display."""

    class PrintVersions(argparse.Action):
        def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                     values: Any, option_string: str | None = None) -> None:
            print(versions_text(pairs()))
            parser.exit()

    parser.add_argument("--version", action=PrintVersions, nargs=0,
                        help="print the versions of the app, Qt, SQLite and Python, and exit")
