"""`event-explorer --self-test`: start as usual, check that the window works, say so, and quit.

A diagnostic for an installation or a bundle that needs nothing but the program itself (the
bundle's test and `bench/run.py desktop` use it). The window opens its store (without one, the
demo store, made first if missing) as on any start; the check waits until the window is shown
titled with the open store, then prints `window shown: TITLE`; until the timeline's plot has
painted the store's events, then prints `timeline drawn`; until the projections' process (the
command line's `run`) reports, then prints `projections running`; then it closes the window,
which exits with status 0. An error shown meanwhile (a dialog, an uncaught error, a plot that
cannot load, a projections process that fails), or what is still missing after
SELF_TEST_SECONDS, is printed to stderr, and the window closes with status 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from explorer.common.names import visible
from explorer.ui.crash_reporting import CrashReporter
from explorer.ui.main_window import MainWindow
from explorer.ui.runner_process import RunnerProcess
from explorer.ui.timers import single_shot

SELF_TEST_SECONDS = int(os.environ.get("EXPLORER_SELF_TEST_SECONDS", "120"))
"""How long the check waits for the window and its plot (the demo store is seeded first on a
first start)."""
POLL_MS = 50


class SelfTest(QObject):
    """Watches `window` from the event loop; see the module's docstring."""

    def __init__(self, window: MainWindow, reporter: CrashReporter | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.reporter = reporter  # its dialog shows an uncaught error
        self.status: int | None = None  # once finished
        self.title_shown = False
        self.painted = False  # the plot painted since it had events to draw
        self.drawn = False
        self.runner: RunnerProcess | None = None
        self.runner_reported = False
        self._watched: QObject | None = None
        window.error_shown.connect(self._error)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check)
        self._deadline = single_shot(self, SELF_TEST_SECONDS * 1000, self._timed_out)

    def start(self) -> None:
        self._poll.start()
        self._deadline.start()

    def _check(self) -> None:
        window = self.window
        crashed = self.reporter.dialog if self.reporter is not None else None
        if crashed is not None and crashed.isVisible():
            self._error("An uncaught error", crashed.details_text().strip().splitlines()[-1])
            return
        summary = window.summary
        if not self.title_shown:
            if summary is None or not window.isVisible():
                return
            if not window.windowTitle().startswith(visible(Path(summary.location).name)):
                return
            self.title_shown = True
            self._say(f"window shown: {window.windowTitle()}")
        if window.timeline.plot_error:  # the plot is loaded when the window is first shown
            self._error("No timeline plot", window.timeline.plot_error)
            return
        plot = window.timeline.plot
        if plot is None or not self._has_bars(plot):
            return
        if self._watched is not plot.viewport():
            self._watched = plot.viewport()
            self._watched.installEventFilter(self)
            plot.viewport().update()
            return
        if self.painted and not self.drawn:
            self.drawn = True
            self._say("timeline drawn")
        runner = window.runner_host.runner
        if runner is not None and runner is not self.runner:
            self.runner = runner
            runner.status.connect(self._runner_status)
            runner.failed.connect(lambda why: self._error("Projections", why))
        if self.drawn and self.runner_reported:  # said in this order, whichever came first
            self._say("projections running")
            self._finish(0)

    def _runner_status(self, _status: object = None) -> None:
        self.runner_reported = True

    @staticmethod
    def _has_bars(plot) -> bool:
        return len(plot.positions) > 0 and any(len(bar.opts["x0"]) for bar in plot.bars)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._watched and event.type() == QEvent.Type.Paint:
            self.painted = True
        return False

    def _error(self, title: str, message: str) -> None:
        print(f"self-test: an error was shown: {title}: {message}", file=sys.stderr, flush=True)
        self._finish(1)

    def _timed_out(self) -> None:
        plot = self.window.timeline.plot
        missing = ("no window titled with an open store" if not self.title_shown
                   else "the timeline's plot is not loaded" if plot is None
                   else f"the timeline's plot drew no events ({len(plot.positions)} samples, "
                        f"{sum(1 for bar in plot.bars if len(bar.opts['x0']))} of "
                        f"{len(plot.bars)} stream types drawn, painted since: {self.painted})"
                   if not self.drawn else "no status from the projections' process")
        print(f"self-test: {missing} after {SELF_TEST_SECONDS} s", file=sys.stderr, flush=True)
        self._finish(1)

    def _finish(self, status: int) -> None:
        if self.status is not None:
            return  # finished already (an error while closing)
        self.status = status
        self._poll.stop()
        self._deadline.stop()
        if self._watched is not None:
            self._watched.removeEventFilter(self)
        QApplication.setQuitOnLastWindowClosed(False)  # the status is this check's, not 0
        self.window.close()
        QApplication.exit(status)

    @staticmethod
    def _say(line: str) -> None:
        print(line, flush=True)


def run_self_test(window: MainWindow, reporter: CrashReporter | None = None) -> SelfTest:
    """Start checking `window` (shown, its store being opened) and the crash reporter's dialog;
    the event loop ends with the check's status."""
    check = SelfTest(window, reporter)
    check.start()
    return check
