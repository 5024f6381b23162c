"""Crash reporting: what went wrong is written down, and shown, instead of the window vanishing.

A crash log in the app's state folder (0600 in a 0700 folder, kept under a megabyte by moving a
full log aside) receives Python's fault handler's stacks when the process itself dies (a
segmentation fault, an abort) and the traceback of every Python error no code caught, on any
thread. An error on the GUI thread is also shown in a dialog, with "Copy details" for a report;
the window keeps running. `install_crash_reporting` sets it all up before the window is made.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TextIO

import platformdirs
from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from explorer import __version__
from explorer.common.private_files import PRIVATE_FILE, make_private, private_folder

LOG_NAME = "crash.log"
LOG_LIMIT_BYTES = 1_000_000
"""A log above this size is moved to `crash.log.1` (replacing the one there) and started anew."""
HEADING = "Event Explorer hit an unexpected error"


def default_crash_folder() -> Path:
    """The app's state folder, where the crash log is kept."""
    return platformdirs.user_state_path("event-explorer", appauthor=False)


class CrashLog:
    """The crash log file, open for the whole run (the fault handler writes to it as the
    process dies, when nothing can be opened any more)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = private_folder(folder or default_crash_folder()) / LOG_NAME
        self._lock = threading.Lock()
        self._catching_faults = False
        self._file = self._open()

    def _open(self) -> TextIO:
        if self.path.exists() and self.path.stat().st_size > LOG_LIMIT_BYTES:
            os.replace(self.path, self.path.with_name(f"{LOG_NAME}.1"))
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        make_private(self.path)  # one an older version left readable by others
        return os.fdopen(descriptor, "a", encoding="utf-8")

    def catch_faults(self) -> None:
        """Have Python's fault handler write every thread's stack here if the process crashes."""
        self._write(f"--- {_now()} Event Explorer {__version__} started (process {os.getpid()}); "
                    "a crash of this run is written below\n")
        faulthandler.enable(self._file, all_threads=True)
        self._catching_faults = True

    def record(self, what: str, details: str) -> None:
        """Append an error's traceback, with the time and what it was (e.g. the thread)."""
        self._write(f"=== {_now()} Event Explorer {__version__} (process {os.getpid()}): "
                    f"{what}\n{details.rstrip()}\n")

    def close(self) -> None:
        with self._lock:
            if self._catching_faults:
                faulthandler.disable()
            self._file.close()

    def _write(self, text: str) -> None:
        with self._lock:
            if os.fstat(self._file.fileno()).st_size > LOG_LIMIT_BYTES:
                full, self._file = self._file, self._open()
                if self._catching_faults:  # before the old file closes under the handler
                    faulthandler.enable(self._file, all_threads=True)
                full.close()
            self._file.write(text)
            self._file.flush()


class CrashDialog(QDialog):
    """Tells the user about an unexpected error: its message, its details, where the log is."""

    def __init__(self, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(HEADING)
        self._reports: list[str] = []
        heading = QLabel(f"<b>{HEADING}</b>")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where = f" The details are also in {log_path}." if log_path is not None else ""
        note = QLabel("The window keeps running, but what you were doing may not have finished. "
                      f"Please include the details when you report this.{where}")
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox()
        self.copy_button = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (heading, self.message, note, self.details, buttons):
            layout.addWidget(widget)
        self.resize(640, 420)
        self.finished.connect(lambda _: self._reports.clear())

    def add_error(self, message: str, details: str) -> None:
        """Show one more error (errors that follow one another are kept together)."""
        self._reports.append(details.rstrip())
        count = len(self._reports)
        self.message.setText(message if count == 1 else f"{message}\n({count} errors so far; "
                                                         "all of them are in the details)")
        self.details.setPlainText(self.details_text())

    def details_text(self) -> str:
        return f"Event Explorer {__version__}, Python {sys.version.split()[0]}\n\n" + \
            "\n\n".join(self._reports) + "\n"

    def copy_details(self) -> None:
        QApplication.clipboard().setText(self.details_text())


class CrashReporter:
    """The exception hooks: every uncaught Python error goes to the crash log and, as before,
    to standard error; one on the GUI thread is also shown in a `CrashDialog`."""

    def __init__(self, log: CrashLog | None) -> None:
        self.log = log
        self.dialog: CrashDialog | None = None
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook

    def install(self) -> None:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self.python_error
        threading.excepthook = self.thread_error

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook
        threading.excepthook = self._previous_thread_hook

    def python_error(self, kind: type[BaseException], error: BaseException,
                     trace: TracebackType | None) -> None:
        """`sys.excepthook`: an error nothing caught (in a slot, an event handler, at start)."""
        self._previous_hook(kind, error, trace)
        if issubclass(kind, KeyboardInterrupt):
            return
        details = "".join(traceback.format_exception(kind, error, trace))
        self._record(f"uncaught error in thread {threading.current_thread().name}", details)
        app = QApplication.instance()
        if app is not None and QThread.currentThread() == app.thread():
            self.show_error(f"{kind.__name__}: {error}", details)

    def thread_error(self, args: threading.ExceptHookArgs) -> None:
        """`threading.excepthook`: an error that ended a Python thread (logged, not shown)."""
        self._previous_thread_hook(args)
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "unknown"
        details = "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                     args.exc_traceback))
        self._record(f"uncaught error ended thread {name}", details)

    def show_error(self, message: str, details: str) -> None:
        """Show an error in the dialog (on the GUI thread); it does not block."""
        if self.dialog is None:
            self.dialog = CrashDialog(self.log.path if self.log is not None else None)
        self.dialog.add_error(message, details)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _record(self, what: str, details: str) -> None:
        if self.log is None:
            return
        # a full disk: the error still reaches standard error and the dialog
        with contextlib.suppress(OSError):
            self.log.record(what, details)


def install_crash_reporting(folder: Path | None = None) -> CrashReporter:
    """Open the crash log in `folder` (default: the app's state folder), point the fault handler
    and the exception hooks at it, and return the reporter. Without a writable folder, errors
    still reach standard error and the dialog."""
    try:
        log = CrashLog(folder)
    except OSError as error:
        print(f"Event Explorer: no crash log ({error}); errors are shown but not kept.",
              file=sys.stderr)
        log = None
    if log is not None:
        log.catch_faults()
    reporter = CrashReporter(log)
    reporter.install()
    return reporter


def _now() -> str:
    return datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")
