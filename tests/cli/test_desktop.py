"""`event-explorer-cli desktop install|uninstall`: the files it puts into a temporary HOME,
checked with the freedesktop tools themselves (desktop-file-validate, xdg-mime), and an
uninstall that leaves exactly what was there before."""

from __future__ import annotations

import fnmatch
import shutil
import sqlite3
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from explorer.cli import desktop_files
from explorer.cli.desktop_files import STORE_MIME_TYPE, exec_argument, exec_line
from explorer.common.identity import ICON_SIZES
from tests.cli.running import run, seeded_shop

PACKAGE_OF = {"desktop-file-validate": "desktop-file-utils",
              "update-desktop-database": "desktop-file-utils",
              "xdg-mime": "xdg-utils", "update-mime-database": "shared-mime-info",
              "gio": "libglib2.0-bin"}
ENTRY = "applications/event-explorer.desktop"
ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    """The tool's path; the test fails (never skips) when it is missing, naming the package."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: install the Debian package {PACKAGE_OF[name]} "
                    f"(apt-get install {PACKAGE_OF[name]}; .ci/run does it)")
    return found


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh HOME whose data folder is HOME/.local/share, on a GNOME-like desktop (xdg-mime
    asks GIO, which reads the shared MIME database, as file managers do)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_DIRS", "/usr/local/share:/usr/share")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    return home


def data(home: Path) -> Path:
    return home / ".local" / "share"


def xdg(*arguments: str) -> str:
    done = subprocess.run([tool("xdg-mime"), *arguments], capture_output=True, text=True,
                          check=True, timeout=60)
    return done.stdout.strip()


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


def test_install_gives_a_valid_launcher_that_opens_stores_found_by_name_or_content(
        home, tmp_path, capsys):
    for needed in ("update-mime-database", "update-desktop-database", "gio"):
        tool(needed)
    code, out, err = run(capsys, "desktop", "install")
    assert code == 0, err
    entry = data(home) / ENTRY
    assert f"wrote {entry}" in out and "ran update-mime-database" in out

    validated = subprocess.run([tool("desktop-file-validate"), str(entry)],
                               capture_output=True, text=True, check=False)
    assert validated.returncode == 0 and not validated.stdout.strip(), validated.stdout
    lines = entry.read_text().splitlines()
    launcher = next(line for line in lines if line.startswith("Exec="))
    executable = launcher.removeprefix("Exec=").removesuffix(" %f")
    assert Path(executable).is_absolute() and Path(executable).is_file(), launcher
    assert "MimeType=application/x-event-explorer-store;" in lines  # not every SQLite file

    store = seeded_shop(tmp_path, orders=3, seed=1)
    renamed = store.rename(tmp_path / "a store without its extension")
    plain = tmp_path / "plain.sqlite3"
    with sqlite3.connect(plain) as db:
        db.execute("CREATE TABLE t (x)")
    ours = seeded_shop(tmp_path, orders=3, seed=2)
    assert xdg("query", "filetype", str(ours)) == STORE_MIME_TYPE
    assert xdg("query", "filetype", str(renamed)) == STORE_MIME_TYPE  # by the application id
    assert xdg("query", "filetype", str(plain)) == "application/vnd.sqlite3"
    assert xdg("query", "default", STORE_MIME_TYPE) == "event-explorer.desktop"

    icons = data(home) / "icons" / "hicolor"
    for size in ICON_SIZES:
        assert png_size(icons / f"{size}x{size}" / "apps" / "event-explorer.png") == (size, size)
    assert (icons / "scalable" / "apps" / "event-explorer.svg").read_text().startswith("<svg")


def test_installing_again_changes_nothing_and_uninstall_leaves_nothing(home, capsys):
    code, _, err = run(capsys, "desktop", "install")
    assert code == 0, err
    installed = files_under(data(home))

    code, out, err = run(capsys, "desktop", "install")
    assert code == 0, err
    assert files_under(data(home)) == installed
    assert "wrote" not in out
    assert out.count("unchanged ") == 3 + len(ICON_SIZES) + 1  # the files and the manifest

    code, out, err = run(capsys, "desktop", "uninstall")
    assert code == 0, err
    assert f"removed {data(home) / ENTRY}" in out
    assert files_under(data(home)) == {}
    assert [p for p in data(home).rglob("*")] == []

    code, out, _ = run(capsys, "desktop", "uninstall")
    assert code == 0 and "nothing to uninstall" in out


def test_uninstall_keeps_what_was_there_before(home, capsys):
    tool("update-mime-database")
    theirs = {
        "applications/other.desktop": b"[Desktop Entry]\nType=Application\nName=Other\n"
                                      b"Exec=other %f\nMimeType=text/x-other;\n",
        "mime/packages/other.xml":
            b'<?xml version="1.0"?>\n<mime-info xmlns="http://www.freedesktop.org/standards/'
            b'shared-mime-info"><mime-type type="text/x-other"><glob pattern="*.other"/>'
            b"</mime-type></mime-info>\n",
        "icons/hicolor/48x48/apps/other.png": b"not ours",
        "event-explorer/demo.evstore": b"the user's demo store",
    }
    for relative, content in theirs.items():
        (data(home) / relative).parent.mkdir(parents=True, exist_ok=True)
        (data(home) / relative).write_bytes(content)

    assert run(capsys, "desktop", "install")[0] == 0
    assert run(capsys, "desktop", "uninstall")[0] == 0

    left = files_under(data(home))
    assert {k: left[k] for k in theirs} == theirs
    mentioning = [name for name, content in left.items() if b"event-explorer" in content]
    assert mentioning == [], "uninstall left these naming Event Explorer"


def test_a_missing_tool_is_said_and_skipped(home, tmp_path, monkeypatch, capsys):
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, out, err = run(capsys, "desktop", "install")
    assert code == 0, err
    assert "skipped update-mime-database: not found (it comes with the package " \
           "shared-mime-info)" in out
    assert "skipped update-desktop-database" in out
    assert (data(home) / ENTRY).is_file()


def test_without_an_installed_window_script_it_says_how_to_get_one(home, tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python3"))
    code, out, err = run(capsys, "desktop", "install")
    assert code == 1
    assert "no event-explorer script beside" in err and "pip install" in err
    assert not (data(home) / ENTRY).exists()


def test_a_bundle_installs_its_own_window_executable(tmp_path, monkeypatch):
    bundle = tmp_path / "Event Explorer bundle"
    bundle.mkdir()
    (bundle / "event-explorer-cli").write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "event-explorer-cli"))
    with pytest.raises(desktop_files.DesktopInstallError, match="rebuild the bundle"):
        desktop_files.window_command()
    (bundle / "event-explorer").write_bytes(b"")
    assert desktop_files.window_command() == [str(bundle / "event-explorer")]
    assert desktop_files.desktop_entry(desktop_files.window_command()).count(
        f'Exec="{bundle}/event-explorer" %f\n') == 1


def test_exec_arguments_are_quoted_as_the_specification_says(tmp_path):
    assert exec_argument("/usr/bin/event-explorer") == "/usr/bin/event-explorer"
    assert exec_argument("/opt/My Apps/event-explorer") == '"/opt/My Apps/event-explorer"'
    assert exec_argument('/opt/a"b$c`d/x') == '"/opt/a\\"b\\$c\\`d/x"'
    assert exec_argument("/opt/100%/x") == "/opt/100%%/x"
    # the key's value is itself an escaped string: a backslash inside the quotes is doubled again
    assert exec_line(["/opt/back\\slash/x"]) == '"/opt/back\\\\\\\\slash/x" %f'

    entry = tmp_path / "event-explorer.desktop"
    entry.write_text(desktop_files.desktop_entry(['/opt/odd "dir" $HOME/100%/event-explorer']))
    validated = subprocess.run([tool("desktop-file-validate"), str(entry)],
                               capture_output=True, text=True, check=False)
    assert validated.returncode == 0 and not validated.stdout.strip(), validated.stdout


def test_an_unreadable_manifest_is_explained(home, capsys):
    manifest = data(home) / "event-explorer" / "desktop-install.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{not json")
    code, _, err = run(capsys, "desktop", "uninstall")
    assert code == 1
    assert f"the install manifest {manifest} cannot be read" in err and "by hand" in err


def test_what_install_reads_ships_as_package_data():
    """Every resource the install copies matches pyproject.toml's package data (an editable
    install reads the source tree, so only this catches a file left out of a wheel)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["explorer.resources"]
    needed = ["event-explorer.desktop", "event-explorer-mime.xml", "icons/app.svg",
              *(f"icons/hicolor/{s}x{s}/apps/event-explorer.png" for s in ICON_SIZES)]
    for resource in needed:
        assert (ROOT / "resources" / resource).is_file(), resource
        assert any(fnmatch.fnmatch(resource, p) for p in patterns), resource
