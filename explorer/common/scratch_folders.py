"""Private scratch folders in the temporary folder that do not outlive the process that made them.

A what-if branch (a copy of a store) and the full-text index of a store this process decrypts
(its plaintext words) live in folders of their own, `event-explorer-<kind>-XXXXXXXX` (0700). The
process removes them when it ends normally, but a process killed (SIGKILL, a crash, a power cut)
cannot; so each folder holds a lock file its process keeps locked (flock) as long as it lives:
the kernel frees the lock when the process ends, however it ends. Whenever a process of ours
makes such a folder, and when the window starts, it removes the folders of ours whose lock is
free (`remove_abandoned`). A folder whose lock another live process holds is left alone, and so
is anything not ours: another name, a link, another user's, or a folder without a lock file
(one made by an older version, which may still be in use).

The lock file is locked under a name of its own before it is given its name, so no other process
finds it unlocked while its folder is in use. Without flock (Windows) folders are removed at exit
only, as before.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

KINDS = ("decrypted", "what-if")
"""The kinds of scratch folder (the part of their name after `event-explorer-`)."""
LOCK = ".owner.lock"
"""The file in each folder that its process keeps locked while it lives."""
_NAME = re.compile(rf"event-explorer-(?:{'|'.join(map(re.escape, KINDS))})-[A-Za-z0-9_]+")

_held: dict[Path, tuple[int, int]] = {}
"""The folders this process made and still holds: the process's id (a forked child inherits
this, and leaves its parent's folders alone) and their lock file's descriptor."""


def make_scratch_folder(kind: str) -> Path:
    """A new private folder (0700) in the temporary folder for this process alone, removed when
    it ends (at exit, or by the next process that makes one if it is killed); the abandoned
    folders of earlier processes are removed first."""
    if kind not in KINDS:
        raise ValueError(f"a scratch folder is of one of the kinds {', '.join(KINDS)}, "
                         f"not {kind!r}")
    remove_abandoned()
    folder = Path(tempfile.mkdtemp(prefix=f"event-explorer-{kind}-"))
    try:
        _held[folder] = os.getpid(), _lock(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def remove_scratch_folder(folder: Path) -> None:
    """Remove a folder made by `make_scratch_folder` (or any folder: it is removed) and let go
    of its lock."""
    shutil.rmtree(folder, ignore_errors=True)
    _, descriptor = _held.pop(Path(folder), (0, -1))
    if descriptor >= 0:
        os.close(descriptor)


def remove_abandoned(parent: Path | None = None) -> list[Path]:
    """Remove the scratch folders in `parent` (the temporary folder) whose process has ended:
    ours by name, owner and kind, holding a lock file that no process holds. The folders
    removed."""
    if sys.platform == "win32":  # pragma: no cover (no flock: removed at exit only)
        return []
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    for name in names:
        folder = parent / name
        if _NAME.fullmatch(name) and folder not in _held and _abandoned(folder):
            removed.append(folder)
    return removed


def _abandoned(folder: Path) -> bool:
    """Whether `folder` is ours and free, in which case it is removed (under its lock, so that
    two processes removing it do not meet)."""
    try:
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        descriptor = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # gone, not ours, or without a lock file: left alone
        return False
    try:
        if not _take(descriptor):  # held by its live process
            return False
        if os.path.lexists(folder / LOCK):  # not removed meanwhile by another process
            shutil.rmtree(folder, ignore_errors=True)
            return True
        return False
    finally:
        os.close(descriptor)


if sys.platform == "win32":  # pragma: no cover (Windows)
    def _lock(folder: Path) -> int:
        """No lock (Windows has no flock): the folder is removed at exit only."""
        return -1

    def _take(descriptor: int) -> bool:
        return False
else:
    import fcntl

    def _lock(folder: Path) -> int:
        """Create `folder`'s lock file, locked, and keep it open: its descriptor."""
        making = folder / (LOCK + ".new")
        descriptor = os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(making, folder / LOCK)
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor

    def _take(descriptor: int) -> bool:
        """Whether the lock of `descriptor`'s file could be taken (none holds it)."""
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


@atexit.register
def _remove_held() -> None:
    """The folders still held are removed as the process ends normally."""
    for folder, (pid, _) in list(_held.items()):
        if pid == os.getpid():
            remove_scratch_folder(folder)
