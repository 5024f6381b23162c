"""Before the window is made: missing X11 libraries or no display are said, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.ui.display_check import XCB_LIBRARIES, debian_package, display_problem

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="Qt's X11 plug-in and its libraries are Linux's")


def loads_all_but(*missing: str):
    return lambda name: name not in missing


@linux_only
def test_missing_libraries_are_named_with_their_packages() -> None:
    environ = {"DISPLAY": ":0"}
    problem = display_problem(environ, library_loads=loads_all_but(
        "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"), bundled=[])
    assert problem is not None
    assert "libxkbcommon-x11.so.0, libxcb-icccm.so.4" in problem
    assert "sudo apt-get install libxkbcommon-x11-0 libxcb-icccm4" in problem
    assert "event-explorer-cli" in problem
    assert environ == {"DISPLAY": ":0"}


@linux_only
def test_a_library_that_comes_with_the_app_is_not_missing(tmp_path: Path) -> None:
    (tmp_path / "libxcb-cursor.so.0").write_bytes(b"")
    assert display_problem({"DISPLAY": ":0"}, library_loads=loads_all_but("libxcb-cursor.so.0"),
                           bundled=[tmp_path]) is None


@linux_only
def test_wayland_is_used_when_x11_cannot_be() -> None:
    environ = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
    assert display_problem(environ, library_loads=loads_all_but("libxcb-cursor.so.0"),
                           bundled=[]) is None
    assert environ["QT_QPA_PLATFORM"] == "wayland"


@linux_only
def test_another_platform_asked_for_is_left_to_qt() -> None:
    def never(name: str) -> bool:
        raise AssertionError("no library is asked for")

    for platform in ("offscreen", "wayland", "wayland;xcb", "vnc:size=800x600"):
        environ = {"QT_QPA_PLATFORM": platform}
        assert display_problem(environ, library_loads=never, bundled=[]) is None
        assert environ == {"QT_QPA_PLATFORM": platform}


@linux_only
def test_no_display_is_said() -> None:
    for environ in ({}, {"DISPLAY": ""}, {"QT_QPA_PLATFORM": "xcb"}):
        problem = display_problem(environ, library_loads=loads_all_but(), bundled=[])
        assert problem is not None and "DISPLAY is not set" in problem
    assert display_problem({"DISPLAY": ":0"}, library_loads=loads_all_but(), bundled=[]) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, library_loads=loads_all_but(),
                           bundled=[]) is None


def test_debian_package_names() -> None:
    assert [debian_package(name) for name in ("libxcb-keysyms.so.1", "libX11-xcb.so.1",
                                              "libxcb-render-util.so.0", "libGL.so.1",
                                              "odd")] == [
        "libxcb-keysyms1", "libx11-xcb1", "libxcb-render-util0", "libgl1", "odd"]
    assert len(set(XCB_LIBRARIES)) == len(XCB_LIBRARIES)


@linux_only
def test_the_window_says_why_and_ends_without_making_anything(tmp_path: Path) -> None:
    """The real start with no display (over SSH, say): a message and status 1 (before, Qt
    aborted: status -6 and a core dump), and no store or demo store made."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "DISPLAY")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    store = tmp_path / "new.evstore"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), str(store)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("event-explorer: The window cannot open: ")
    assert "Traceback" not in done.stderr and "qt.qpa" not in done.stderr
    assert not store.exists() and not (tmp_path / "data").exists()
    log = tmp_path / "state" / "event-explorer" / "crash.log"
    assert "the window could not open" in log.read_text()

