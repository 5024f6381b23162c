"""Build the one-folder bundle that needs no Python: `python packaging/build.py [--out DIR]`.

Runs PyInstaller (the `bundle` extra: `pip install -e '.[bundle]'`) on
packaging/event-explorer.spec with the Python that runs this script, whose environment must
have the app installed. The bundle
is DIR/event-explorer/ (default DIR: dist/ in the checkout): `event-explorer`, the window, and
`event-explorer-cli`, the command line (the same executable by another name; see the spec).
PyInstaller's working files go to DIR/../build/ beside it (build/ for the default), which a
second build reuses.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
SPEC = PACKAGING / "event-explorer.spec"
BUNDLE_NAME = "event-explorer"
EXECUTABLES = ("event-explorer", "event-explorer-cli")


def size_mb(folder: Path) -> float:
    """The bundle's size on disk, in MB (10^6 bytes): the blocks its files take, as `du`."""
    blocks = sum(path.lstat().st_blocks for path in folder.rglob("*"))
    return blocks * 512 / 1e6


def build(out: Path, *, work: Path | None = None, quiet: bool = False) -> Path:
    """Build the bundle into `out` and return its folder (`out`/event-explorer)."""
    if not _has_pyinstaller():
        raise SystemExit("PyInstaller is not installed in this environment: "
                         "pip install -e '.[bundle]' first.")
    out = out.resolve()
    work = (work or out.parent / "build").resolve()
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(out),
               "--workpath", str(work), str(SPEC)]
    if quiet:
        command[3:3] = ["--log-level", "WARN"]
    # not run from the checkout: its own metadata (an egg-info a build left there) would be
    # copied instead of the installed distribution's, whose entry points name the systems
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(command, check=True, cwd=work)
    bundle = out / BUNDLE_NAME
    missing = [name for name in EXECUTABLES if not (bundle / name).exists()]
    if missing:
        raise SystemExit(f"The build made no {', '.join(missing)} in {bundle}.")
    return bundle


def _has_pyinstaller() -> bool:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist",
                        help="the folder to put the bundle in (default: dist/ in the checkout)")
    parser.add_argument("--quiet", action="store_true", help="only PyInstaller's warnings")
    args = parser.parse_args(argv)
    bundle = build(args.out, quiet=args.quiet)
    print(f"Bundle: {bundle} ({size_mb(bundle):.0f} MB)")
    print(f"Window: {bundle / EXECUTABLES[0]}")
    print(f"Command line: {bundle / EXECUTABLES[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
