"""The app's identity: one version everywhere, and `--version` of both faces printing the
versions of the app, Qt, SQLite and Python without a window or a display."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import qVersion

import explorer
from explorer.common import identity

ROOT = Path(__file__).resolve().parents[2]


def without_a_display() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}


def printed_versions(*command: str) -> dict[str, str]:
    done = subprocess.run(list(command), capture_output=True, text=True, cwd=ROOT,
                          env=without_a_display(), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    pairs = [re.split(r"\s{2,}", line, maxsplit=1) for line in done.stdout.splitlines()]
    return {name: version for name, version in pairs}


def expected() -> dict[str, str]:
    return {"Event Explorer": metadata.version("event-explorer"), "Qt": qVersion(),
            "PySide6": identity.installed(*identity.QT_BINDINGS),
            "SQLite": sqlite3.sqlite_version, "Python": platform.python_version()}


def test_the_command_line_prints_the_versions_it_runs_on():
    printed = printed_versions(sys.executable, "-m", "explorer", "--version")
    assert list(printed) == list(expected())
    for name, version in expected().items():
        assert printed[name].strip().startswith(version), (name, printed[name])


def test_the_window_prints_the_versions_without_opening_a_window():
    printed = printed_versions(sys.executable, "main.py", "--version")
    assert {name: value.strip().split(" ")[0] for name, value in printed.items()} == expected()


def test_one_version_everywhere():
    assert identity.app_version() == metadata.version("event-explorer") == explorer.__version__


def test_a_bundled_command_line_asks_the_bundled_window_for_its_qt(tmp_path, monkeypatch):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    window = bundle / "event-explorer"
    window.write_text('#!/bin/sh\n[ "$1" = --qt-version ] && echo 6.99.1\n')
    window.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "event-explorer-cli"))
    monkeypatch.delitem(sys.modules, "PySide6.QtCore")
    assert identity.qt_runtime_version() == "6.99.1"
    window.unlink()
    assert identity.qt_runtime_version().startswith("unknown (")


def test_a_bundle_without_pyside_metadata_still_names_the_loaded_binding(monkeypatch):
    import PySide6

    monkeypatch.setattr(identity, "QT_BINDINGS", ("no-such-distribution",))
    assert dict(identity.runtime_versions(qt_runtime="6.0.0"))["PySide6"] == PySide6.__version__
