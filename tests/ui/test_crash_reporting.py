"""Crash reporting: an unexpected error is logged privately and shown, and the window lives on.

These tests install the reporter's own exception hooks, so pytest-qt's capture of exceptions in
slots is off for them (`qt_no_exception_capture`); the hooks are restored after each test.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from explorer.ui import crash_reporting
from explorer.ui.crash_reporting import CrashLog, CrashReporter

WAIT_MS = 10_000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def reporter(tmp_path, qtbot):
    reporter = CrashReporter(CrashLog(tmp_path / "state"))
    reporter.install()
    yield reporter
    reporter.uninstall()
    reporter.log.close()
    if reporter.dialog is not None:
        reporter.dialog.close()


def burn_the_basket() -> None:
    raise ValueError("the basket is on fire")


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_shown_logged_and_copied(reporter, qtbot):
    button = QPushButton("Go")
    qtbot.add_widget(button)
    button.show()
    button.clicked.connect(burn_the_basket)

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = reporter.dialog
    qtbot.add_widget(dialog)
    assert dialog.windowTitle() == "Event Explorer hit an unexpected error"
    assert dialog.message.text() == "ValueError: the basket is on fire"
    assert not dialog.isModal()  # the window stays usable
    log = reporter.log.path.read_text()
    assert "uncaught error in thread MainThread" in log
    assert "in burn_the_basket" in log and "ValueError: the basket is on fire" in log
    assert mode(reporter.log.path) == 0o600 and mode(reporter.log.path.parent) == 0o700

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert "Traceback (most recent call last)" in copied and "in burn_the_basket" in copied
    assert dialog.isVisible()  # copying does not close it

    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert button.isVisible()


@pytest.mark.qt_no_exception_capture
def test_errors_that_follow_each_other_share_one_dialog(reporter, qtbot):
    button = QPushButton("Go")
    qtbot.add_widget(button)
    button.show()
    button.clicked.connect(burn_the_basket)

    for _ in range(3):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(),
                    timeout=WAIT_MS)
    qtbot.add_widget(reporter.dialog)
    assert "3 errors so far" in reporter.dialog.message.text()
    assert reporter.dialog.details_text().count("ValueError: the basket is on fire") == 3
    assert reporter.log.path.read_text().count("=== ") == 3


@pytest.mark.qt_no_exception_capture
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # expected
def test_an_error_ending_another_thread_is_logged_without_a_dialog(reporter, qtbot):
    thread = threading.Thread(target=burn_the_basket, name="basket-weaver")
    thread.start()
    thread.join()

    log = reporter.log.path.read_text()
    assert "uncaught error ended thread basket-weaver" in log
    assert "ValueError: the basket is on fire" in log
    assert reporter.dialog is None  # no widget is made off the GUI thread


def test_a_crash_of_the_process_leaves_its_stack_in_the_log(tmp_path):
    folder = tmp_path / "state"
    child = textwrap.dedent(f"""
        import faulthandler, resource, sys
        from pathlib import Path
        from explorer.ui.crash_reporting import install_crash_reporting
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file
        install_crash_reporting(Path({str(folder)!r}))
        faulthandler._sigsegv()
    """)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONFAULTHANDLER"}
    result = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode != 0
    log = (folder / "crash.log").read_text()
    assert "started (process" in log
    assert "Fatal Python error: Segmentation fault" in log and "<string>" in log
    assert mode(folder / "crash.log") == 0o600 and mode(folder) == 0o700


def test_the_log_is_kept_private_and_bounded(tmp_path, monkeypatch):
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    old = folder / "crash.log"
    old.write_text("x" * (crash_reporting.LOG_LIMIT_BYTES + 1))
    old.chmod(0o644)  # as an older version might have left it

    log = CrashLog(folder)
    assert mode(folder) == 0o700 and mode(log.path) == 0o600
    assert log.path.stat().st_size == 0  # the full log was moved aside
    assert (folder / "crash.log.1").stat().st_size == crash_reporting.LOG_LIMIT_BYTES + 1

    monkeypatch.setattr(crash_reporting, "LOG_LIMIT_BYTES", 100)
    log.record("first", "y" * 200)
    log.record("second", "a short one")
    log.close()
    assert "first" in (folder / "crash.log.1").read_text()
    assert "first" not in log.path.read_text() and "second" in log.path.read_text()
    assert mode(log.path) == 0o600


@pytest.mark.qt_no_exception_capture
def test_a_window_that_cannot_start_says_why(tmp_path, qtbot, monkeypatch):
    from explorer.ui import app

    reporters = []

    def install(folder=None):
        reporters.append(CrashReporter(CrashLog(tmp_path / "state")))
        reporters[0].install()
        return reporters[0]

    def broken_window(*_given):
        raise RuntimeError("no window today")

    monkeypatch.setattr(app, "install_crash_reporting", install)
    monkeypatch.setattr(app, "MainWindow", broken_window)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)  # the dialog's event loop
    try:
        assert app.main([]) == 1
        dialog = reporters[0].dialog
        qtbot.add_widget(dialog)
        assert dialog.isVisible() and dialog.message.text() == "RuntimeError: no window today"
        assert "no window today" in reporters[0].log.path.read_text()
    finally:
        reporters[0].uninstall()
        reporters[0].log.close()
