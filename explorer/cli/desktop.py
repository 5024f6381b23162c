"""`event-explorer-cli desktop install|uninstall [--prefix DIR]`: Event Explorer in the user's
desktop: a launcher entry, icons, and the store's MIME type (see explorer.cli.desktop_files),
written into the freedesktop data folder ($XDG_DATA_HOME, by default ~/.local/share).

Install writes a manifest of what it put there (files, and the folders it had to make);
uninstall removes exactly that and nothing else. Both are idempotent and print what they did.
Afterwards the desktop's databases are refreshed with update-mime-database,
update-desktop-database and gtk-update-icon-cache, each where it exists (a missing one is
reported, never an error).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from explorer.cli.arguments import given
from explorer.cli.desktop_files import (
    APP_ID,
    STORE_MIME_TYPE,
    DesktopInstallError,
    installed_files,
    window_command,
)

MANIFEST = f"{APP_ID}/desktop-install.json"
"""Where, under the data folder, install lists what it put there."""
MIME_DATABASE = {"XMLnamespaces", "aliases", "generic-icons", "globs", "globs2", "icons", "magic",
                 "mime.cache", "subclasses", "treemagic", "types", "version"}
"""The files update-mime-database generates in a mime folder (besides a folder per media type)."""
DESKTOP_DATABASE = "mimeinfo.cache"
"""The file update-desktop-database generates in an applications folder."""
PACKAGE_OF = {"update-mime-database": "shared-mime-info",
              "update-desktop-database": "desktop-file-utils",
              "gtk-update-icon-cache": "libgtk-3-bin or gtk-update-icon-cache"}
"""The Debian/Ubuntu package each tool comes from, to say what to install."""


@dataclass
class Manifest:
    """What an install put under the data folder, as paths relative to it."""

    files: list[str] = field(default_factory=list)
    created_folders: list[str] = field(default_factory=list)
    exec_command: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, data: Path) -> Manifest | None:
        path = data / MANIFEST
        if not path.is_file():
            return None
        try:
            raw = orjson.loads(path.read_bytes())
            return cls([str(f) for f in raw["files"]], [str(d) for d in raw["created_folders"]],
                       [str(a) for a in raw.get("exec_command", [])])
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            raise DesktopInstallError(
                f"the install manifest {path} cannot be read ({error}): remove Event Explorer's "
                "files by hand (applications/, icons/hicolor/*/apps/, mime/packages/ "
                f"{APP_ID}.*) and that file, then install again") from None

    def content(self) -> bytes:
        return orjson.dumps({"files": self.files, "created_folders": self.created_folders,
                             "exec_command": self.exec_command}, option=orjson.OPT_INDENT_2)


def data_folder(prefix: str | None) -> Path:
    """PREFIX/share with --prefix; else $XDG_DATA_HOME when it is absolute (the specification
    ignores a relative one), else ~/.local/share."""
    if prefix is not None:
        return Path(prefix).expanduser().absolute() / "share"
    configured = os.environ.get("XDG_DATA_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured)
    return Path.home() / ".local" / "share"


def _put(path: Path, content: bytes, say: Callable[[str], None], why: str = "") -> None:
    """Write `content` to `path` (whole or not at all) unless it holds it already."""
    if path.is_file() and path.read_bytes() == content:
        say(f"unchanged {path}")
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    temporary.replace(path)
    say(f"wrote {path}{why}")


def _make_folders(data: Path, folder: Path, created: list[str]) -> None:
    """Make `folder` and its missing parents, noting under `created` those inside `data`."""
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        if made != data and data in made.parents:
            relative = made.relative_to(data).as_posix()
            if relative not in created:
                created.append(relative)


def install(data: Path, say: Callable[[str], None] = print) -> int:
    """Write the entry, icons and MIME type under `data`, then refresh the databases."""
    command = window_command()
    wanted = installed_files(command)
    previous = Manifest.read(data)
    manifest = Manifest(list(wanted), list(previous.created_folders) if previous else [],
                        command)
    if not data.exists():
        _make_folders(data.parent, data, [])
    for relative, content in wanted.items():
        path = data / relative
        _make_folders(data, path.parent, manifest.created_folders)
        _put(path, content, say)
    for relative in previous.files if previous else []:
        if relative not in wanted and (data / relative).is_file():  # an older install's
            (data / relative).unlink()
            say(f"removed {data / relative} (no longer installed)")
    _make_folders(data, (data / MANIFEST).parent, manifest.created_folders)
    _put(data / MANIFEST, manifest.content(), say, " (what `desktop uninstall` removes)")
    code = _refresh(data, say)
    say(f"Event Explorer is in the desktop: its launcher runs {' '.join(command)}, and "
        f"*.evstore files open in it ({STORE_MIME_TYPE}).")
    return code


def uninstall(data: Path, say: Callable[[str], None] = print) -> int:
    """Remove what the manifest lists under `data` (and the manifest), then refresh."""
    manifest = Manifest.read(data)
    if manifest is None:
        say(f"nothing to uninstall: there is no {data / MANIFEST}")
        return 0
    for relative in manifest.files:
        path = data / relative
        if path.is_file():
            path.unlink()
            say(f"removed {path}")
        else:
            say(f"already gone: {path}")
    (data / MANIFEST).unlink()
    say(f"removed {data / MANIFEST}")
    code = _refresh(data, say, created=set(manifest.created_folders))
    for relative in sorted(manifest.created_folders, key=lambda f: f.count("/"), reverse=True):
        folder = data / relative
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            say(f"removed the folder {folder}")
    say("Event Explorer is no longer in the desktop.")
    return code


def _refresh(data: Path, say: Callable[[str], None], created: set[str] | None = None) -> int:
    """Bring the desktop's databases up to date with `data`. Uninstalling (`created` given), a
    database left describing nothing, in a folder the install made, is removed instead."""
    failures = 0
    mime, applications = data / "mime", data / "applications"
    if created is not None and "mime" in created and _empty(mime / "packages"):
        _remove_generated(mime, MIME_DATABASE, say, media_folders=True)
    else:
        failures += _run("update-mime-database", [str(mime)], say)
    if created is not None and "applications" in created and \
            not any(applications.glob("*.desktop")):
        _remove_generated(applications, {DESKTOP_DATABASE}, say)
    else:
        failures += _run("update-desktop-database", [str(applications)], say)
    hicolor = data / "icons" / "hicolor"
    if hicolor.is_dir():
        os.utime(hicolor)  # the icon theme specification: a changed theme folder's time is newer
    if (hicolor / "icon-theme.cache").is_file():
        failures += _run("gtk-update-icon-cache", ["--force", "--ignore-theme-index", "--quiet",
                                                   str(hicolor)], say)
    else:
        say("skipped gtk-update-icon-cache: there is no icon cache in "
            f"{hicolor} (the desktop reads the icon folders themselves)")
    return 1 if failures else 0


def _empty(folder: Path) -> bool:
    return not folder.is_dir() or not any(folder.iterdir())


def _remove_generated(folder: Path, names: set[str], say: Callable[[str], None],
                      media_folders: bool = False) -> None:
    """Remove the database a tool generated in `folder` (describing nothing now)."""
    own = folder / f"{STORE_MIME_TYPE}.xml"  # the type's description, generated from ours
    if media_folders and own.is_file():
        own.unlink()
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry.is_file() and entry.name in names:
            entry.unlink()
        elif media_folders and entry.is_dir() and entry.name != "packages" and _empty(entry):
            entry.rmdir()
    say(f"removed the database the install's refresh had made in {folder}")


def _run(tool: str, arguments: list[str], say: Callable[[str], None]) -> int:
    """Run `tool` if it exists: 0 when it ran (or is missing: said), 1 when it failed."""
    found = shutil.which(tool)
    if found is None:
        say(f"skipped {tool}: not found (it comes with the package {PACKAGE_OF[tool]}); the "
            "desktop picks the change up when its database is next updated")
        return 0
    done = subprocess.run([found, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        say(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        return 1
    say(f"ran {tool} {arguments[-1]}")
    return 0


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    """`desktop install|uninstall`, added with the CLI's own `add`."""
    p = add("desktop", "Put Event Explorer into the desktop for the current user (a launcher "
                       "entry, icons, and the .evstore file type), or take it out again.",
            run_desktop, store=False)
    p.add_argument("action", choices=["install", "uninstall"])
    p.add_argument("--prefix", metavar="DIR", type=given("a folder"),
                   help="install under DIR/share (e.g. /usr/local) instead of $XDG_DATA_HOME "
                        "(default ~/.local/share)")


def run_desktop(args: argparse.Namespace) -> int:
    data = data_folder(args.prefix)
    try:
        return install(data) if args.action == "install" else uninstall(data)
    except DesktopInstallError as error:
        print(f"error: {error}", file=sys.stderr)
    except OSError as error:
        print(f"error: cannot {args.action} into {data}: {error}; choose a folder you can "
              "write with --prefix", file=sys.stderr)
    return 1
