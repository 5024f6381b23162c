"""Files with a user's data, private to that user: files 0600 in folders 0700, whatever the umask.

Settings, the console's history, saved scripts and exports hold what the user typed and the
events of their stores; other users of the machine have no business reading them. A file is
created private (never world-readable for a moment) and an older one found readable by others is
made private again. On systems without POSIX modes (Windows) these do nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
_POSIX = os.name == "posix"


def private_folder(folder: str | Path) -> Path:
    """Create `folder` (and its parents) if missing, and make it 0700: only for a folder the app
    owns (its settings or state folder), never one the user chose for a file."""
    folder = Path(folder)
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    _restrict(folder, PRIVATE_FOLDER)
    return folder


def make_private(path: str | Path) -> None:
    """Make an existing file 0600 (a missing one is left missing)."""
    with contextlib.suppress(FileNotFoundError):
        _restrict(Path(path), PRIVATE_FILE)


@overload
def open_private(path: str | Path, mode: Literal["wb"] = "wb",
                 encoding: None = None) -> BinaryIO: ...
@overload
def open_private(path: str | Path, mode: Literal["w"], encoding: str | None = None) -> TextIO: ...
def open_private(path: str | Path, mode: str = "wb", encoding: str | None = None) -> IO[Any]:
    """Open `path` for writing (truncated; "wb" or "w"), created 0600, or made 0600 if it was
    there with a wider mode."""
    if mode not in ("wb", "w"):
        raise ValueError(f"open_private writes a file (mode 'wb' or 'w'), not {mode!r}")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        if _POSIX:
            os.fchmod(descriptor, PRIVATE_FILE)  # O_CREAT keeps an existing file's mode
        return os.fdopen(descriptor, mode, encoding=encoding if mode == "w" else None)
    except BaseException:
        os.close(descriptor)
        raise


def write_private(path: str | Path, data: bytes) -> None:
    """Write `data` to a file that only its owner can read (see `open_private`)."""
    with open_private(path, "wb") as out:
        out.write(data)


def create_private(path: str | Path) -> None:
    """Create an empty 0600 file at `path` if there is none, so that whatever writes it next
    (QSettings, which keeps a file's mode) never leaves it readable by others."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    make_private(path)


def is_private(path: str | Path) -> bool:
    """Whether neither group nor others may read, write or enter `path`."""
    return not _POSIX or not stat.S_IMODE(os.stat(path).st_mode) & 0o077


def _restrict(path: Path, mode: int) -> None:
    if _POSIX and stat.S_IMODE(os.stat(path).st_mode) & 0o077:
        os.chmod(path, mode)
