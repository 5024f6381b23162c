"""Before the window is made on Linux: can Qt show it at all?

Qt ends the process (SIGABRT, a core dump) when its platform plug-in cannot start, with a message
that can blame the wrong library: on a machine without `libxcb-icccm.so.4` it says that
"xcb-cursor0 or libxcb-cursor0 is needed". This asks first, in a few milliseconds, whether the
X11 plug-in's system libraries load and whether there is a display, and says what is missing and
how to install it. Where a Wayland display is there too, a missing X11 library makes the window
use Wayland instead.

It does not connect to the display to see whether it answers: an X server (Xvfb, at least) can
refuse a connection made just after another from the same process closed (5% of back-to-back
connections here), so that test made Qt's own connection fail one start in six.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path

from PySide6.QtCore import QLibraryInfo

XCB_LIBRARIES = (
    "libxcb.so.1", "libX11.so.6", "libX11-xcb.so.1", "libxkbcommon.so.0", "libxkbcommon-x11.so.0",
    "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-image.so.0", "libxcb-keysyms.so.1",
    "libxcb-randr.so.0", "libxcb-render.so.0", "libxcb-render-util.so.0", "libxcb-shape.so.0",
    "libxcb-shm.so.0", "libxcb-sync.so.1", "libxcb-util.so.1", "libxcb-xfixes.so.0",
    "libxcb-xkb.so.1", "libGL.so.1",
)
"""The system libraries Qt 6's X11 plug-in (libqxcb.so and libQt6XcbQpa.so.6) is linked with,
beyond those Qt itself needs (read off their ELF headers, PySide6 6.11)."""


def display_problem(environ: MutableMapping[str, str] | None = None, *,
                    library_loads: Callable[[str], bool] | None = None,
                    bundled: Sequence[Path] | None = None) -> str | None:
    """Why the window cannot be shown, in words for the user, or None when it can (or when this
    is not Linux, or Qt is told to use a platform other than X11). May set QT_QPA_PLATFORM to
    "wayland" in `environ` (the process's by default) when X11 cannot be used but Wayland can."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    requested = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if requested not in ("", "xcb"):
        return None
    wayland = bool(environ.get("WAYLAND_DISPLAY")) and not requested
    loads = library_loads or _library_loads
    folders = _bundled_folders() if bundled is None else bundled
    missing = [name for name in XCB_LIBRARIES
               if not loads(name) and not any((folder / name).exists() for folder in folders)]
    if missing:
        if wayland:
            environ["QT_QPA_PLATFORM"] = "wayland"
            return None
        return (f"The window cannot open: Qt needs these system libraries to show it on X11, "
                f"and they are not installed: {', '.join(missing)}. Install them (Debian, "
                f"Ubuntu: sudo apt-get install {' '.join(debian_package(n) for n in missing)}; "
                f"elsewhere, the packages that provide these files) and start it again. The "
                f"command line (event-explorer-cli) works without them.")
    if wayland:
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return ("The window cannot open: there is no display to show it on (DISPLAY is not "
                "set). Start it from a desktop session, or over SSH with X forwarding (ssh -X); "
                "the command line (event-explorer-cli) works without a display.")
    return None


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package of a library by its soname: libxcb-icccm.so.4 is in
    libxcb-icccm4, libxkbcommon-x11.so.0 in libxkbcommon-x11-0 (Debian's naming policy)."""
    match = re.fullmatch(r"(.+)\.so\.(\d+)", library)
    if match is None:
        return library
    name, version = match.group(1).lower(), match.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def _library_loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def _bundled_folders() -> list[Path]:
    """Where a library Qt's plug-in needs may come with the app rather than the system: Qt's
    own library folder, and a frozen bundle's."""
    folders = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath))]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        folders.append(Path(frozen))
    return folders


