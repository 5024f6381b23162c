"""Private scratch folders (explorer.common.scratch_folders): the decrypted full-text index and the
what-if branches do not outlive their process, even one killed, and no other folder is touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from explorer.common.scratch_folders import LOCK, make_scratch_folder, remove_abandoned

HOLDS_A_FOLDER = """
import sys
from explorer.{module} import {function}
print({function}({argument}), flush=True)
sys.stdin.read()
"""


def child(tmp_path: Path, module: str = "projections.fulltext",
          function: str = "_decrypted_indexes", argument: str = "") -> tuple[subprocess.Popen[str],
                                                                          Path]:
    """A process that makes a scratch folder in `tmp_path` (its temporary folder) and waits."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDS_A_FOLDER.format(module=module, function=function,
                                                     argument=argument)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)}, cwd=Path(__file__).parents[2])
    assert process.stdout is not None
    folder = Path(process.stdout.readline().strip())
    assert folder.parent == tmp_path and folder.is_dir()
    return process, folder


def killed(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.fixture
def temporary(tmp_path, monkeypatch):
    """This process's temporary folder is `tmp_path` too."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_the_decrypted_index_of_a_killed_process_is_removed_by_the_next_one(tmp_path):
    first, folder = child(tmp_path)
    (folder / "shop.fulltext").write_bytes(b"plaintext words")
    killed(first)
    assert folder.exists()  # nothing could remove it as it died
    second, other = child(tmp_path)
    try:
        assert not folder.exists()
        assert other.is_dir()
    finally:
        killed(second)


def test_a_folder_its_live_process_holds_is_left_alone(temporary):
    process, folder = child(temporary, "common.scratch_folders", "make_scratch_folder",
                            "'what-if'")
    try:
        assert remove_abandoned() == []
        mine = make_scratch_folder("decrypted")
        assert folder.is_dir() and mine.is_dir()
        assert (folder / LOCK).exists()
    finally:
        assert process.stdin is not None
        process.stdin.close()  # it ends normally: it removes its folder itself
        process.wait(timeout=30)
    assert process.returncode == 0 and not folder.exists()
    assert remove_abandoned() == [] and mine.is_dir()  # this process's own


def test_only_our_abandoned_folders_are_removed(temporary):
    process, folder = child(temporary, "common.scratch_folders", "make_scratch_folder",
                            "'what-if'")
    killed(process)
    not_ours = [temporary / "event-explorer-bundle-abc", temporary / "other-what-if-abc",
                temporary / "event-explorer-what-if-old"]  # another kind; no lock file (older)
    for other in not_ours:
        other.mkdir()
    (not_ours[0] / LOCK).touch()
    (not_ours[1] / LOCK).touch()
    link = temporary / "event-explorer-what-if-link"
    link.symlink_to(folder, target_is_directory=True)
    assert remove_abandoned() == [folder]
    assert not folder.exists() and all(other.is_dir() for other in not_ours)
    assert link.is_symlink()


def test_a_what_if_branch_is_a_scratch_folder(temporary):
    from explorer.demo.system import SHOP
    from explorer.system.workspace import open_store
    from explorer.timetravel.whatif import Sandbox

    path = temporary / "shop.evstore"
    with open_store(path, system=SHOP, create=True):
        pass
    sandbox = Sandbox.create(str(path), 0, SHOP)
    assert sandbox.folder.name.startswith("event-explorer-what-if-")
    assert (sandbox.folder / LOCK).exists()
    assert remove_abandoned() == []
    sandbox.discard()
    assert not sandbox.folder.exists()
