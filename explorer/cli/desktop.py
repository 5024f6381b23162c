"""`event-explorer-cli desktop install|uninstall [--prefix DIR] [--replace]`: Event Explorer in
the user's desktop: a launcher entry, icons, and the store's MIME type (see
explorer.cli.desktop_files), written into the freedesktop data folder ($XDG_DATA_HOME, by default
~/.local/share).

Install writes a manifest of what it put there (files with a digest of their content, and the
folders it had to make); uninstall removes exactly that and nothing else. Install never
overwrites a file it did not make (with --replace it keeps it aside as NAME.bak-event-explorer,
which uninstall puts back), nor does uninstall remove one changed since. Install checks every
folder first and takes back what it wrote when a write fails: it happens whole or not at all.
Both are idempotent and print what they did.
Afterwards the desktop's databases are refreshed with update-mime-database,
update-desktop-database and gtk-update-icon-cache, each where it exists (a missing one is
reported, never an error).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import orjson

from explorer.cli.arguments import given
from explorer.cli.desktop_files import (
    APP_ID,
    STORE_MIME_TYPE,
    DesktopInstallError,
    glib_warning,
    installed_files,
    window_command,
)

MANIFEST = f"{APP_ID}/desktop-install.json"
"""Where, under the data folder, install lists what it put there."""
BACKUP_SUFFIX = f".bak-{APP_ID}"
"""`install --replace` keeps a user's own file NAME aside as NAME.bak-event-explorer."""
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
    sha256: dict[str, str] = field(default_factory=dict)
    """The digest of what install wrote in each file: a file holding anything else is not
    Event Explorer's (the user's, or changed by the user), and is neither replaced nor removed."""
    backups: list[str] = field(default_factory=list)
    """The user's own files `install --replace` kept aside as NAME.bak-event-explorer, which
    uninstall puts back."""

    @classmethod
    def read(cls, data: Path) -> Manifest | None:
        path = data / MANIFEST
        if not path.is_file():
            return None
        try:
            raw = orjson.loads(path.read_bytes())
            files = [str(f) for f in raw["files"]]
            command = [str(a) for a in raw.get("exec_command", [])]
            digests = raw.get("sha256")
            return cls(files, [str(d) for d in raw["created_folders"]], command,
                       {str(k): str(v) for k, v in digests.items()} if digests is not None
                       else _digests_as_they_are(data, files),
                       [str(b) for b in raw.get("backups", [])])
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise DesktopInstallError(
                f"the install manifest {path} cannot be read ({error}): remove Event Explorer's "
                "files by hand (applications/, icons/hicolor/*/apps/, mime/packages/ "
                f"{APP_ID}.*) and that file, then install again") from None

    def content(self) -> bytes:
        return orjson.dumps({"files": self.files, "created_folders": self.created_folders,
                             "exec_command": self.exec_command, "sha256": self.sha256,
                             "backups": self.backups}, option=orjson.OPT_INDENT_2)

    def holds_ours(self, data: Path, relative: str) -> bool:
        """Whether `relative` is a file (not a link) holding exactly what the install wrote."""
        path = data / relative
        return (relative in self.files and not path.is_symlink() and path.is_file()
                and _digest(path.read_bytes()) == self.sha256.get(relative))


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _digests_as_they_are(data: Path, files: list[str]) -> dict[str, str]:
    """A manifest from before digests were kept: the files it lists are taken to be what that
    install wrote, as they are now (as that version took them: an earlier release wrote other
    content than this one would), and their digests are kept from the next install on."""
    found = {}
    for relative in files:
        path = data / relative
        if path.is_file() and not path.is_symlink():
            found[relative] = _digest(path.read_bytes())
    return found


def backup_of(path: Path) -> Path:
    """Where `install --replace` keeps the user's own file at `path`."""
    return path.with_name(path.name + BACKUP_SUFFIX)


def data_folder(prefix: str | None) -> Path:
    """PREFIX/share with --prefix; else $XDG_DATA_HOME when it is absolute (the specification
    ignores a relative one), else ~/.local/share."""
    if prefix is not None:
        return Path(prefix).expanduser().absolute() / "share"
    configured = os.environ.get("XDG_DATA_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured)
    return Path.home() / ".local" / "share"


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _folder_problem(folder: Path) -> str | None:
    """Why `folder` cannot be made, or files written in it; None when they can."""
    for place in (folder, *folder.parents):
        if place.is_dir():
            if not os.access(place, os.W_OK | os.X_OK):
                return (f"cannot write in {place} (permission denied): install where you can "
                        "write with --prefix DIR")
            return None
        if _present(place):
            kind = "a file" if place.is_file() else "a link to nothing" if place.is_symlink() \
                else "not a folder"
            return f"{place} is {kind}, not a folder: move it aside"
    return None


@dataclass
class _Plan:
    """What an install does, decided (and checked) before anything is written."""

    manifest: Manifest
    write: dict[Path, bytes] = field(default_factory=dict)
    set_aside: list[Path] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _plan(data: Path, wanted: dict[str, bytes], previous: Manifest, command: list[str],
          replace: bool) -> _Plan:
    """Decide what to write, keep aside and remove; DesktopInstallError, one line for each
    problem, when a folder cannot be made or a file there is not one the install made (unless
    `replace`: then it is kept aside)."""
    plan = _Plan(Manifest([], list(previous.created_folders), command, {},
                          [b for b in previous.backups if b in wanted]))
    problems: dict[str, None] = {}
    for relative, content in wanted.items():
        path = data / relative
        problem = _folder_problem(path.parent)
        if problem is not None:
            problems[problem] = None
            continue
        if path.is_dir() and not path.is_symlink():
            problems[f"{path} is a folder, not a file: move it aside"] = None
            continue
        ours = previous.holds_ours(data, relative)
        if ours or not _present(path):
            plan.manifest.files.append(relative)
            plan.manifest.sha256[relative] = _digest(content)
            if ours and path.read_bytes() == content:
                plan.notes.append(f"unchanged {path}")
            else:
                plan.write[path] = content
        elif path.is_file() and path.read_bytes() == content:
            plan.notes.append(f"kept {path}: it was there already, not made by this install, "
                              "with the same content (uninstall leaves it)")
        elif not replace:
            problems[f"{path} is not one this install made: move it aside, or install with "
                     f"--replace to keep it as {backup_of(path).name} (uninstall puts it "
                     "back)"] = None
        elif _present(backup_of(path)):
            problems[f"{path} is not one this install made, and {backup_of(path)} is there "
                     "already: move one of them aside"] = None
        else:
            plan.set_aside.append(path)
            plan.manifest.backups.append(relative)
            plan.manifest.files.append(relative)
            plan.manifest.sha256[relative] = _digest(content)
            plan.write[path] = content
    problem = _folder_problem((data / MANIFEST).parent)
    if problem is not None:
        problems[problem] = None
    for relative in previous.files:
        if relative in wanted or not _present(data / relative):
            continue
        if previous.holds_ours(data, relative):  # an older install's
            plan.remove.append(relative)
        else:
            plan.notes.append(f"kept {data / relative}: no longer installed, but changed since "
                              "the install wrote it")
    if problems:
        raise DesktopInstallError("\n".join(problems))
    return plan


def _make_folders(folder: Path, undo: list[Callable[[], object]]) -> list[Path]:
    """Make `folder` and its missing parents (taken back by `undo`); those it made."""
    missing = [f for f in (folder, *folder.parents) if not _present(f)]
    folder.mkdir(parents=True, exist_ok=True)
    made = list(reversed(missing))
    undo.extend(f.rmdir for f in made)
    return made


def _note_created(data: Path, made: list[Path], created: list[str]) -> None:
    for folder in made:
        if folder != data and data in folder.parents:
            relative = folder.relative_to(data).as_posix()
            if relative not in created:
                created.append(relative)


def _put(path: Path, content: bytes, undo: list[Callable[[], object]]) -> None:
    """Write `content` to `path`, whole or not at all; `undo` gets what puts it back."""
    before = path.read_bytes() if path.is_file() else None
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(content)
        temporary.replace(path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    undo.append(path.unlink if before is None else lambda: _put(path, before, []))


def _apply(data: Path, plan: _Plan, manifest_note: str) -> list[str]:
    """Carry `plan` out; on an OSError, take back everything done and raise it. What it did."""
    undo: list[Callable[[], object]] = []
    said: list[str] = []
    created = plan.manifest.created_folders
    try:
        _make_folders(data, undo)
        for path in plan.set_aside:
            path.rename(backup_of(path))
            undo.append(partial(backup_of(path).rename, path))
            said.append(f"kept {path} aside as {backup_of(path).name} (yours; uninstall puts "
                        "it back)")
        for path, content in plan.write.items():
            _note_created(data, _make_folders(path.parent, undo), created)
            _put(path, content, undo)
            said.append(f"wrote {path}")
        for relative in plan.remove:
            path = data / relative
            content = path.read_bytes()
            path.unlink()
            undo.append(partial(_put, path, content, []))
            said.append(f"removed {path} (no longer installed)")
        _note_created(data, _make_folders((data / MANIFEST).parent, undo), created)
        manifest = data / MANIFEST
        if manifest.is_file() and manifest.read_bytes() == plan.manifest.content():
            said.append(f"unchanged {manifest}")
        else:
            _put(manifest, plan.manifest.content(), undo)
            said.append(f"wrote {manifest}{manifest_note}")
    except OSError:
        for step in reversed(undo):
            with contextlib.suppress(OSError):
                step()
        raise
    return said


def install(data: Path, say: Callable[[str], None] = print, replace: bool = False) -> int:
    """Write the entry, icons and MIME type under `data`, then refresh the databases. A file
    there that the install did not make is refused (`replace`: kept aside, and put back by
    uninstall); nothing is written unless everything can be."""
    command = window_command()
    wanted = installed_files(command)
    previous = Manifest.read(data) or Manifest()
    plan = _plan(data, wanted, previous, command, replace)
    said = _apply(data, plan, " (what `desktop uninstall` removes)")
    for line in plan.notes + said:
        say(line)
    code = _refresh(data, say)
    say(f"Event Explorer is in the desktop: its launcher runs {' '.join(command)}, and "
        f"*.evstore files open in it ({STORE_MIME_TYPE}).")
    warning = glib_warning(command)
    if warning is not None:
        print(f"warning: {warning}", file=sys.stderr)
    return code


def uninstall(data: Path, say: Callable[[str], None] = print) -> int:
    """Remove what the manifest lists under `data` (and the manifest), then refresh. A listed
    file whose content is no longer what install wrote is left, and said."""
    manifest = Manifest.read(data)
    if manifest is None:
        say(f"nothing to uninstall: there is no {data / MANIFEST}")
        return 0
    for relative in manifest.files:
        _take_out(data, manifest, relative, say)
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


def _take_out(data: Path, manifest: Manifest, relative: str, say: Callable[[str], None]) -> None:
    """Remove one installed file if it holds what install wrote; put back the user's own that
    install --replace kept aside for it."""
    path = data / relative
    if manifest.holds_ours(data, relative):
        path.unlink()
        say(f"removed {path}")
    elif _present(path):
        say(f"kept {path}: it no longer holds what install wrote (changed since); remove it "
            "yourself if you do not want it")
    else:
        say(f"already gone: {path}")
    if relative not in manifest.backups:
        return
    backup = backup_of(path)
    if not _present(backup):
        say(f"cannot put back your own {path}: {backup}, where install kept it, is gone")
    elif _present(path):
        say(f"left your own {path.name} at {backup}, as {path} is still there")
    else:
        backup.rename(path)
        say(f"put back your own {path} (kept aside as {backup.name})")


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
    p.add_argument("--replace", action="store_true",
                   help=f"install: where a file of the same name is there already that the "
                        f"install did not make, keep it aside as NAME{BACKUP_SUFFIX} (uninstall "
                        "puts it back) instead of stopping")


def run_desktop(args: argparse.Namespace) -> int:
    data = data_folder(args.prefix)
    if args.replace and args.action != "install":
        print("error: --replace goes with install (uninstall always puts back what install "
              "kept aside)", file=sys.stderr)
        return 2
    try:
        return install(data, replace=args.replace) if args.action == "install" \
            else uninstall(data)
    except DesktopInstallError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
    except OSError as error:
        where = "into" if args.action == "install" else "from"
        cause = f"{error.strerror}: {error.filename}" if error.filename else str(error)
        undone = "; nothing was changed" if args.action == "install" else ""
        advice = "; choose a folder you can write with --prefix" \
            if isinstance(error, PermissionError) else ""
        print(f"error: cannot {args.action} {where} {data}: {cause}{undone}{advice}",
              file=sys.stderr)
    return 1
