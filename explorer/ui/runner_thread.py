"""The runner on a thread of its own: projections (and sagas, when enabled) kept up to date
while the window is open, with requests from the panels (rebuild, cancel, retry, skip)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from explorer.runtime import POLL_INTERVAL_S, Runner
from explorer.store import StoreError

log = logging.getLogger(__name__)
STATUS_EVERY_S = 0.5


class RunnerThread(QThread):
    """Signals:
        status(object): a RunnerStatus, about twice a second and after changes.
        rebuild_progress(str, int, int): a projection, the position rebuilt to, the target.
        rebuild_finished(str): a rebuild ended (done or cancelled).
        failed(str): something went wrong; the message says what.
    """

    status = Signal(object)
    rebuild_progress = Signal(str, int, int)
    rebuild_finished = Signal(str)
    failed = Signal(str)

    def __init__(self, location: str, *, read_only: bool, run_sagas: bool,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runner")
        self.location = location
        self.read_only = read_only
        self._sagas = run_sagas
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._wake = threading.Event()
        self._requests: queue.SimpleQueue[Callable[[Runner], None]] = queue.SimpleQueue()

    # -- requests from the GUI thread ------------------------------------------------------

    def _request(self, action: Callable[[Runner], None]) -> None:
        self._requests.put(action)
        self._wake.set()

    def rebuild(self, name: str) -> None:
        self._cancel.clear()

        def run(runner: Runner) -> None:
            try:
                runner.rebuild(name, progress=lambda done, last: self._progress(
                    runner, name, done, last), should_stop=self._rebuild_stopped)
            finally:
                self.rebuild_finished.emit(name)
        self._request(run)

    def cancel_rebuild(self) -> None:
        self._cancel.set()

    def retry(self, name: str) -> None:
        self._request(lambda runner: runner.retry(name))

    def skip(self, name: str) -> None:
        self._request(lambda runner: runner.skip(name))

    def set_sagas(self, enabled: bool) -> None:
        self._sagas = enabled
        self._request(lambda runner: runner.set_sagas(enabled))

    def stop(self) -> None:
        self._stop.set()
        self._cancel.set()
        self._wake.set()
        self.wait(15_000)

    # -- the thread ------------------------------------------------------------------------

    def _rebuild_stopped(self) -> bool:
        return self._cancel.is_set() or self._stop.is_set()

    def _progress(self, runner: Runner, name: str, done: int, last: int) -> None:
        self.rebuild_progress.emit(name, done, last)
        now = time.monotonic()
        if now >= self._next_status:
            self._next_status = now + STATUS_EVERY_S
            self.status.emit(runner.status())

    def run(self) -> None:
        try:
            runner = Runner(self.location, read_only=self.read_only, run_sagas=self._sagas)
        except (StoreError, OSError) as error:
            self.failed.emit(f"Projections cannot run: {error}")
            return
        self._next_status = 0.0
        try:
            version = runner.store.data_version()
            while not self._stop.is_set():
                self._work(runner)
                self._emit_status(runner)
                while not self._stop.is_set():  # wait for a commit somewhere, or a request
                    if self._wake.wait(POLL_INTERVAL_S):
                        self._wake.clear()
                        break
                    current = runner.store.data_version()
                    if current != version:
                        version = current
                        break
                    self._emit_status(runner)
        finally:
            runner.close()

    def _work(self, runner: Runner) -> None:
        while True:
            try:
                action = self._requests.get_nowait()
            except queue.Empty:
                break
            self._guard(lambda: action(runner))
        self._guard(lambda: runner.run_pending(self._stop.is_set))

    def _guard(self, work: Callable[[], object]) -> None:
        try:
            work()
        except (StoreError, ValueError) as error:
            self.failed.emit(str(error))
        except Exception as error:  # never let the thread die silently
            log.exception("runner failed")
            self.failed.emit(f"The runner failed: {type(error).__name__}: {error}")

    def _emit_status(self, runner: Runner) -> None:
        now = time.monotonic()
        if now >= self._next_status:
            self._next_status = now + STATUS_EVERY_S
            self._guard(lambda: self.status.emit(runner.status()))
