"""The bundle that needs no Python (packaging/): the window's `--self-test` it is checked with,
the runner process it starts, and (marked slow: PyInstaller takes minutes) the bundle built by
packaging/build.py, its window started under a virtual X server with a fresh HOME and no Python
anywhere, its CLI seeding and checking a store, and `bench/run.py desktop` measuring it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from bench.desktop_bench import fresh_home, start_window, virtual_display
from explorer.common.command_line import command_line
from explorer.demo.system import SHOP
from explorer.system.workspace import default_demo_store
from explorer.ui.crash_reporting import CrashReporter
from explorer.ui.main_window import MainWindow
from explorer.ui.self_test import SelfTest
from tests.cli.running import seeded_shop

ROOT = Path(__file__).resolve().parents[1]


# -- what the bundle relies on, without building it -----------------------------------------


def test_the_runner_runs_this_python_with_the_command_line_module(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert command_line(["run", "x.evstore"]) == (
        sys.executable, ["-m", "explorer", "run", "x.evstore"])


def test_in_a_bundle_the_runner_is_the_bundled_command_line_beside_the_window(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/event-explorer/event-explorer")
    assert command_line(["run", "x.evstore"]) == (
        "/opt/event-explorer/event-explorer-cli", ["run", "x.evstore"])


def offscreen_home(folder: Path) -> dict[str, str]:
    """This Python's environment, offscreen, with a HOME of its own (no settings of the user's)."""
    return {**fresh_home(folder, "", path=os.environ["PATH"]), "QT_QPA_PLATFORM": "offscreen"}


def test_the_self_test_reports_the_window_its_timeline_and_its_projections(tmp_path):
    store = seeded_shop(tmp_path, orders=60, seed=3)
    start = start_window([sys.executable, "main.py", str(store)], offscreen_home(tmp_path / "h"),
                         cwd=ROOT)
    assert start.status == 0, start.stderr
    assert start.title == "shop.evstore — Demo shop — Event Explorer"
    assert start.stdout.splitlines()[-2:] == ["timeline drawn", "projections running"]
    assert "self-test" not in start.stderr


def test_the_self_test_fails_saying_why_when_the_window_shows_an_error(tmp_path):
    not_a_store = tmp_path / "notes.evstore"
    not_a_store.write_text("shopping list\n")
    start = start_window([sys.executable, "main.py", str(not_a_store)],
                         offscreen_home(tmp_path / "h"), cwd=ROOT)
    assert start.status == 1
    assert start.shown_s is None and not start.drawn
    assert "self-test: an error was shown: " in start.stderr


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the crash dialog, offscreen
def test_the_self_test_fails_at_once_when_an_uncaught_error_is_reported(qtbot, capsys):
    window = MainWindow()
    qtbot.addWidget(window)
    reporter = CrashReporter(None)  # no log: the dialog only
    check = SelfTest(window, reporter)
    check.start()
    try:
        reporter.show_error("ValueError: no such order", "Traceback (most recent call last):\n"
                            "  ...\nValueError: no such order")
        qtbot.waitUntil(lambda: check.status is not None, timeout=5000)
    finally:
        QApplication.setQuitOnLastWindowClosed(True)  # as the check left it for its own exit
        reporter.dialog.close()
        # The check ended the application as it does in the app (QApplication.exit). With no
        # exec() running, that leaves every later event loop of this process (each waitSignal
        # and waitUntil of the tests after this one) to return at once: an exec() quit at once
        # clears it.
        QTimer.singleShot(0, QApplication.quit)
        QApplication.exec()
    assert check.status == 1 and not window.isVisible()
    assert "self-test: an error was shown: An uncaught error: ValueError: no such order" in (
        capsys.readouterr().err)


def test_the_self_test_says_the_timeline_before_the_projections_whichever_came_first(
        qtbot, capsys):
    """Under load the projections' process can report before the plot paints: the lines keep
    their documented order (the bundle's test and bench read them so)."""
    window = MainWindow()
    qtbot.addWidget(window)
    check = SelfTest(window)
    check._runner_status()  # the runner reported; no plot has painted yet
    check._check()
    assert check.status is None and "projections running" not in capsys.readouterr().out


# -- the bundle, built once -----------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    done = subprocess.run([sys.executable, "packaging/build.py", "--out", str(out / "dist"),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "dist" / "event-explorer"


@pytest.fixture(scope="module")
def display():
    with virtual_display() as name:
        yield name


@pytest.mark.slow
def test_the_bundled_window_opens_the_demo_store_without_python(bundle, display, tmp_path):
    home = tmp_path / "home"
    environment = fresh_home(home, display)
    assert not any(name.startswith("PYTHON") or name == "VIRTUAL_ENV" for name in environment)
    start = start_window([str(bundle / "event-explorer")], environment)
    assert start.status == 0, start.stdout + start.stderr
    demo = default_demo_store(SHOP).name
    assert start.title == f"{demo} — Demo shop — Event Explorer"
    assert start.stdout.splitlines()[-2:] == ["timeline drawn", "projections running"]
    assert "Traceback" not in start.stderr and "self-test" not in start.stderr, start.stderr
    assert (home / ".local" / "share" / "event-explorer" / demo).is_file()  # made on first run
    crash_log = home / ".local" / "state" / "event-explorer" / "crash.log"
    logged = crash_log.read_text().splitlines() if crash_log.exists() else []
    assert all(" started (process " in line for line in logged), logged  # a header per run only


@pytest.mark.slow
def test_the_bundled_command_line_seeds_and_checks_a_store(bundle, display, tmp_path):
    environment = fresh_home(tmp_path / "home", display)
    store = tmp_path / "bundled.evstore"
    for arguments in (["seed", str(store), "--orders", "200"], ["check", str(store)]):
        done = subprocess.run([str(bundle / "event-explorer-cli"), *arguments], env=environment,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "No problems found." in done.stdout


@pytest.mark.slow
def test_the_bundle_installs_itself_into_the_desktop_and_knows_its_versions(bundle, display,
                                                                            tmp_path):
    environment = fresh_home(tmp_path / "home", display)
    cli = str(bundle / "event-explorer-cli")
    done = subprocess.run([cli, "desktop", "install"], env=environment, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    share = tmp_path / "home" / ".local" / "share"
    entry = (share / "applications" / "event-explorer.desktop").read_text()
    assert f"Exec={bundle / 'event-explorer'} " in entry  # the bundle's window, by its path
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "event-explorer.svg").is_file()
    assert (share / "mime" / "packages" / "event-explorer.xml").is_file()
    versions = subprocess.run([cli, "--version"], env=environment, capture_output=True,
                              text=True, timeout=300)
    assert versions.returncode == 0, versions.stderr
    assert re.search(r"^Qt +6\.\d+", versions.stdout, re.MULTILINE), versions.stdout


@pytest.mark.slow
def test_the_desktop_bench_measures_the_bundle(bundle):
    done = subprocess.run([sys.executable, "bench/run.py", "desktop", "--bundle", str(bundle),
                           "--rounds", "1", "--orders", "100"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {"bundle_mb", "bundle_start_s", "python_start_s"}
    assert all(value > 0 for value in figures.values())
