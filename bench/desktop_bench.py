"""`python bench/run.py desktop [--bundle DIR]`: the bundle that needs no Python, in figures.

Builds the one-folder bundle (packaging/build.py) into a temporary folder, or takes the one in
DIR (a build's `event-explorer` folder), and prints: its size on disk; the start of the bundled
window to a window titled with its store; and, in the same run, the start of `python main.py`
to the same. Each start is the window's own `--self-test` (explorer/ui/self_test.py) on one
store seeded first by the bundled CLI, under a virtual X server (Xvfb), with a fresh HOME (its
XDG folders inside: no settings, no read models; "cold" means that: the page cache cannot be
dropped here) and, for the bundle, no Python on the PATH nor any Python variable. The median of
--rounds starts each. Last line: {"bundle_mb", "bundle_start_s", "python_start_s"}.

The helpers here start the bundle as the test of the bundle does (tests/test_bundle.py).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"bundle_mb": 250, "bundle_start_s": 3.0}
SHOWN, DRAWN = "window shown: ", "timeline drawn"
START_TIMEOUT_S = 300


def packaging_build():
    """packaging/build.py as a module (packaging/ is no package: the name is a library's)."""
    spec = importlib.util.spec_from_file_location("event_explorer_build",
                                                  ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def virtual_display() -> Iterator[str]:
    """A virtual X server (Xvfb) on a free display, for the duration: its DISPLAY value."""
    xvfb = shutil.which("Xvfb") or "/usr/bin/Xvfb"
    if not os.path.exists(xvfb):
        raise SystemExit("Xvfb is not installed: apt-get install xvfb (it runs the window "
                         "without a screen).")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1400x900x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as told:
        number = told.readline().strip()
    try:
        if not number:
            raise SystemExit(f"Xvfb did not start (exit status {server.wait(10)}).")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(30)


def fresh_home(folder: Path, display: str, *, path: str | None = None) -> dict[str, str]:
    """An environment of a user who never ran the app: HOME `folder` with its XDG folders
    inside, DISPLAY `display`, and nothing of Python (no PYTHON* variable, no venv; the PATH
    an empty folder unless `path` is given)."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {"HOME": str(folder), "DISPLAY": display, "LANG": "C.UTF-8",
                   "XDG_CONFIG_HOME": str(folder / ".config"),
                   "XDG_DATA_HOME": str(folder / ".local" / "share"),
                   "XDG_STATE_HOME": str(folder / ".local" / "state"),
                   "XDG_CACHE_HOME": str(folder / ".cache"),
                   "XDG_RUNTIME_DIR": str(folder / "runtime")}
    (folder / "runtime").mkdir(mode=0o700, exist_ok=True)
    if path is None:
        (folder / "bin").mkdir(exist_ok=True)
        path = str(folder / "bin")
    environment["PATH"] = path
    return environment


@dataclass
class Start:
    """One start of the window with --self-test: what it printed and when."""

    shown_s: float | None  # process start to the window titled with its store
    title: str
    drawn: bool
    status: int
    stdout: str
    stderr: str


def start_window(command: Sequence[str], environment: dict[str, str], *,
                 cwd: Path | None = None) -> Start:
    """Run the window with `--self-test` (appended) to its end; time its `window shown` line."""
    started = time.perf_counter()
    process = subprocess.Popen([*command, "--self-test"], env=environment, cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown_s, title, lines = None, "", []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith(SHOWN) and shown_s is None:
            shown_s, title = time.perf_counter() - started, line[len(SHOWN):].strip()
    try:
        _, stderr = process.communicate(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    stdout = "".join(lines)
    return Start(shown_s, title, DRAWN in stdout.splitlines(), process.returncode, stdout,
                 stderr)


def seed(cli: Path, store: Path, orders: int, environment: dict[str, str]) -> None:
    done = subprocess.run([str(cli), "seed", str(store), "--orders", str(orders)],
                          env=environment, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"the bundled CLI could not seed {store}:\n{done.stderr}")


def start_time(name: str, command: Sequence[str], environment: dict[str, str]) -> float:
    """One start of the window to a titled window: its seconds (the start must succeed)."""
    start = start_window(command, environment, cwd=ROOT)
    if start.status != 0 or start.shown_s is None:
        raise SystemExit(f"{name} did not start (status {start.status}):\n{start.stdout}\n"
                         f"{start.stderr}")
    return start.shown_s


def timed(commands: dict[str, tuple[Sequence[str], str | None]], display: str,
          rounds: int) -> dict[str, float]:
    """The median time to a titled window of each of `commands` (name: command, PATH or None
    for none), `rounds` starts each, taken in turns (a changing load on the machine falls on
    both alike), each with a fresh HOME."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(1, rounds + 1):
        for name, (command, path) in commands.items():
            with tempfile.TemporaryDirectory(prefix="desktop-bench-home-") as home:
                times[name].append(start_time(name, command,
                                              fresh_home(Path(home), display, path=path)))
        print(f"  round {round_number}: " + ", ".join(
            f"{name} {found[-1]:.2f} s" for name, found in times.items()))
    return {name: statistics.median(found) for name, found in times.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py desktop", description=__doc__)
    parser.add_argument("--bundle", type=Path, help="a built bundle's folder (the one holding "
                        "event-explorer): measured instead of building one")
    parser.add_argument("--rounds", type=int, default=5, help="starts of each (median)")
    parser.add_argument("--orders", type=int, default=2000,
                        help="the store's size in orders (default 2000: the demo store's)")
    args = parser.parse_args(argv)
    build = packaging_build()
    with tempfile.TemporaryDirectory(prefix="desktop-bench-") as scratch_name:
        scratch = Path(scratch_name)
        bundle = args.bundle
        if bundle is None:
            print("building the bundle (packaging/build.py)...", file=sys.stderr)
            bundle = build.build(scratch / "dist", quiet=True)
        window, cli = (bundle / name for name in build.EXECUTABLES)
        bundle_mb = build.size_mb(bundle)
        print(f"bundle: {bundle} {bundle_mb:.0f} MB on disk (target < {TARGETS['bundle_mb']})")
        store = scratch / "bench.evstore"
        with virtual_display() as display:
            seed(cli, store, args.orders, fresh_home(scratch / "seeding-home", display))
            print(f"start to a window titled with {store.name} ({args.orders:,} orders), "
                  f"a fresh HOME each time, median of {args.rounds}:")
            medians = timed({"bundle": ([str(window), str(store)], None),
                             "python main.py": ([sys.executable, "main.py", str(store)],
                                                os.environ["PATH"])}, display, args.rounds)
    bundle_s, python_s = medians["bundle"], medians["python main.py"]
    print(f"bundle start {bundle_s:.2f} s (target < {TARGETS['bundle_start_s']:.0f} s), "
          f"python main.py {python_s:.2f} s")
    print(json.dumps({"bundle_mb": round(bundle_mb, 1), "bundle_start_s": round(bundle_s, 3),
                      "python_start_s": round(python_s, 3)}))
    return 0
