"""`desktop install|uninstall` and the files it did not make: a user's own file of the same name
is refused (or, with --replace, kept aside and put back), an installed file the user changed is
left, a folder that cannot be made stops the install before anything is written, and a launcher
at a path GLib cannot start from a desktop entry is started through env (or said)."""

from __future__ import annotations

import errno
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from explorer.cli import desktop
from explorer.cli.desktop_files import installed_files, window_command
from tests.cli.running import run
from tests.cli.test_desktop import ENTRY, data, files_under, tool

MINE = b"[Desktop Entry]\nType=Application\nName=Mine\nExec=mine %f\n"
BACKUP = ENTRY + ".bak-event-explorer"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh HOME whose data folder is HOME/.local/share."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


def put(folder: Path, files: dict[str, bytes]) -> None:
    for relative, content in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)


def naming_us(folder: Path) -> set[str]:
    """The files under `folder` whose name or content mentions Event Explorer (but the desktop's
    database, which names whatever entry is there)."""
    return {name for name, content in files_under(folder).items()
            if ("event-explorer" in name or b"event-explorer" in content)
            and name != "applications/mimeinfo.cache"}


def test_a_users_own_entry_is_refused_in_one_line_and_nothing_is_written(home, capsys):
    put(data(home), {ENTRY: MINE})
    code, out, err = run(capsys, "desktop", "install")
    assert code == 1
    assert err == (f"error: {data(home) / ENTRY} is not one this install made: move it aside, "
                   "or install with --replace to keep it as "
                   "event-explorer.desktop.bak-event-explorer (uninstall puts it back)\n")
    assert "wrote" not in out
    assert files_under(data(home)) == {ENTRY: MINE}
    assert run(capsys, "desktop", "uninstall")[1].startswith("nothing to uninstall")
    assert files_under(data(home)) == {ENTRY: MINE}


def test_replace_keeps_the_users_file_aside_and_uninstall_puts_it_back(home, capsys):
    put(data(home), {ENTRY: MINE})
    code, out, err = run(capsys, "desktop", "install", "--replace")
    assert code == 0, err
    assert (f"kept {data(home) / ENTRY} aside as event-explorer.desktop.bak-event-explorer"
            in out)
    assert (data(home) / BACKUP).read_bytes() == MINE
    assert b"Exec=" in (data(home) / ENTRY).read_bytes() and \
        (data(home) / ENTRY).read_bytes() != MINE
    code, out, err = run(capsys, "desktop", "install")  # ours now: no --replace needed
    assert code == 0 and f"unchanged {data(home) / ENTRY}" in out, err

    code, out, err = run(capsys, "desktop", "uninstall")
    assert code == 0, err
    assert f"put back your own {data(home) / ENTRY}" in out
    assert (data(home) / ENTRY).read_bytes() == MINE
    assert naming_us(data(home)) == {ENTRY}  # the user's own, under its name; no backup left


def test_a_backup_name_already_taken_is_refused(home, capsys):
    put(data(home), {ENTRY: MINE, BACKUP: b"an older one"})
    code, _, err = run(capsys, "desktop", "install", "--replace")
    assert code == 1
    assert err == (f"error: {data(home) / ENTRY} is not one this install made, and "
                   f"{data(home) / BACKUP} is there already: move one of them aside\n")
    assert files_under(data(home)) == {ENTRY: MINE, BACKUP: b"an older one"}


def test_an_installed_file_the_user_changed_is_neither_overwritten_nor_removed(home, capsys):
    assert run(capsys, "desktop", "install")[0] == 0
    entry = data(home) / ENTRY
    edited = entry.read_bytes().replace(b"Name=", b"Name=My ")
    entry.write_bytes(edited)

    code, _, err = run(capsys, "desktop", "install")
    assert code == 1 and f"error: {entry} is not one this install made" in err
    assert entry.read_bytes() == edited

    code, out, err = run(capsys, "desktop", "uninstall")
    assert code == 0, err
    assert f"kept {entry}: it no longer holds what install wrote (changed since)" in out
    assert entry.read_bytes() == edited
    assert naming_us(data(home)) == {ENTRY}


def test_the_same_file_there_already_is_kept_and_left_by_uninstall(home, capsys):
    ours = installed_files(window_command())[ENTRY]
    put(data(home), {ENTRY: ours})  # e.g. a copy someone else put there
    code, out, err = run(capsys, "desktop", "install")
    assert code == 0, err
    assert f"kept {data(home) / ENTRY}: it was there already, not made by this install" in out
    assert run(capsys, "desktop", "uninstall")[0] == 0
    assert (data(home) / ENTRY).read_bytes() == ours
    assert naming_us(data(home)) == {ENTRY}


def test_replace_goes_with_install_only(home, capsys):
    code, _, err = run(capsys, "desktop", "uninstall", "--replace")
    assert code == 2 and "--replace goes with install" in err


def test_a_file_where_a_folder_goes_stops_the_install_before_anything_is_written(home, capsys):
    put(data(home), {"icons": b"x\n"})
    code, out, err = run(capsys, "desktop", "install")
    assert code == 1
    assert err == f"error: {data(home) / 'icons'} is a file, not a folder: move it aside\n"
    assert out == ""
    assert files_under(data(home)) == {"icons": b"x\n"}
    assert sorted(p.name for p in data(home).iterdir()) == ["icons"]


def failing_at(monkeypatch, name: str) -> None:
    """Make the install's write of the file called `name` fail once, as a full disk would."""
    real = desktop._put
    failed: list[bool] = []

    def put_or_fail(path, content, undo):
        if path.name == name and not failed:
            failed.append(True)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, content, undo)

    monkeypatch.setattr(desktop, "_put", put_or_fail)


def test_a_failure_while_writing_takes_back_what_the_install_wrote(home, monkeypatch, capsys):
    failing_at(monkeypatch, "event-explorer.xml")
    code, out, err = run(capsys, "desktop", "install")
    assert code == 1
    assert err == (f"error: cannot install into {data(home)}: No space left on device: "
                   f"{data(home) / 'mime/packages/event-explorer.xml'}; nothing was changed\n")
    assert out == ""
    assert not data(home).exists()  # nor the folders it had made


def test_a_failed_reinstall_leaves_the_previous_install_as_it_was(home, tmp_path, monkeypatch,
                                                                  capsys):
    assert run(capsys, "desktop", "install")[0] == 0
    before = files_under(data(home))
    moved = tmp_path / "moved" / "event-explorer"
    moved.parent.mkdir()
    moved.write_bytes(b"")
    monkeypatch.setattr(desktop, "window_command", lambda: [str(moved)])
    failing_at(monkeypatch, "desktop-install.json")  # the last write, after the entry's
    code, _, err = run(capsys, "desktop", "install")
    assert code == 1 and "nothing was changed" in err
    assert files_under(data(home)) == before


def launcher_in(folder: Path, monkeypatch) -> Path:
    """An installed `event-explorer` in `folder` (beside the interpreter) that writes the
    arguments it is started with into folder/started."""
    folder.mkdir()
    script = folder / "event-explorer"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$*" > "{folder}/started.tmp"\n'
                      f'mv "{folder}/started.tmp" "{folder}/started"\n')
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(folder / "python3"))
    return folder / "started"


def test_a_launcher_whose_path_holds_a_percent_sign_starts_from_glib(home, tmp_path,
                                                                    monkeypatch, capsys):
    started = launcher_in(tmp_path / "100%u sure", monkeypatch)
    code, _, err = run(capsys, "desktop", "install")
    assert code == 0 and "warning" not in err, err
    entry = data(home) / ENTRY
    validated = subprocess.run([tool("desktop-file-validate"), str(entry)],
                               capture_output=True, text=True, check=False)
    assert validated.returncode == 0 and not validated.stdout.strip(), validated.stdout

    store = tmp_path / "a store.evstore"
    store.write_bytes(b"")
    launched = subprocess.run([tool("gio"), "launch", str(entry), str(store)],
                              capture_output=True, text=True, check=False, timeout=60)
    assert launched.returncode == 0, launched.stderr  # GLib loads the entry and starts it
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.read_text() == str(store)


def test_a_launcher_path_glib_cannot_start_is_warned_about(home, tmp_path, monkeypatch, capsys):
    launcher_in(tmp_path / "a=b%c", monkeypatch)
    code, _, err = run(capsys, "desktop", "install")
    assert code == 0
    assert err == (f"warning: the launcher's program {tmp_path / 'a=b%c' / 'event-explorer'} "
                   "has a '%' in its path, which GLib cannot start from a desktop entry: GNOME "
                   "(and `gio launch`) may not show or open Event Explorer; install it at a path "
                   "without '%'\n")


def test_an_install_from_before_digests_were_kept_is_still_uninstalled(home, capsys):
    assert run(capsys, "desktop", "install")[0] == 0
    manifest = data(home) / "event-explorer" / "desktop-install.json"
    older = orjson.loads(manifest.read_bytes())
    del older["sha256"], older["backups"]
    manifest.write_bytes(orjson.dumps(older))
    code, _, err = run(capsys, "desktop", "uninstall")
    assert code == 0, err
    assert naming_us(data(home)) == set()


def test_an_install_from_before_digests_is_taken_as_it_is_though_this_release_writes_otherwise(
        home, capsys):
    # (its files were taken to hold what this release installs: one that wrote other content
    # had every file refused by install and left behind by uninstall)
    assert run(capsys, "desktop", "install")[0] == 0
    manifest = data(home) / "event-explorer" / "desktop-install.json"
    older = orjson.loads(manifest.read_bytes())
    del older["sha256"], older["backups"]
    manifest.write_bytes(orjson.dumps(older))
    entry = data(home) / "applications" / "event-explorer.desktop"
    entry.write_text(entry.read_text().replace("Development", "Development;Utility"))  # older
    code, _, err = run(capsys, "desktop", "install")
    assert code == 0, err
    assert "Utility" not in entry.read_text()  # replaced by this release's
    assert "sha256" in orjson.loads(manifest.read_bytes())
    code, _, err = run(capsys, "desktop", "uninstall")
    assert code == 0, err
    assert naming_us(data(home)) == set()
