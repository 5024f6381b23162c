"""Loading a user's system for the window, off the GUI thread and tried in a child first.

A system is the user's code, and importing it may take seconds, never end, or end the process
(see explorer.system.probing). A `SystemLoading` runs one piece of work that loads systems
(`work(load)`, `load(spec)` giving a System) on a thread of its own, each system tried in a
child process before it is imported here; the window stays responsive meanwhile, and the result
or the error comes back by signal. A trial past its deadline is reported (`overdue`), to be
waited for longer or cancelled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from explorer.common.cancel import Cancelled
from explorer.system import System
from explorer.system.discovery import SystemLoadError
from explorer.system.probing import DEADLINE_S, GuardedLoad

ANSWER_POLL_S = 0.1
"""How often a trial past its deadline is looked at while the user is asked about it."""

Work = Callable[[Callable[[str], System]], Any]

_RUNNING: set[SystemLoading] = set()
"""Loadings whose thread runs: kept here (and let go on the GUI thread) so that none is
destroyed on its thread."""


class SystemLoading(QObject):
    """One load of systems on a thread of its own; `start()` begins it.

    Signals:
        succeeded(object): what the work returned (the System, for one load).
        failed(str): why it could not be loaded, in a sentence for the user.
        overdue(str): a trial has not finished within the deadline: what to tell the user.
            Answer with wait_longer() or cancel(); a trial ending before the answer goes on
            without it (succeeded or failed follows).
        ended(): the thread is done (after succeeded or failed, or cancelled).
    """

    succeeded = Signal(object)
    failed = Signal(str)
    overdue = Signal(str)
    ended = Signal()
    _call = Signal(object)

    def __init__(self, work: Work, deadline_s: float = DEADLINE_S,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.work = work
        self.guard = GuardedLoad(deadline_s, self._ask, on_main_thread=self._on_gui_thread)
        self._call.connect(self._run_call)  # (queued: emitted on the loading thread)
        self._answered = threading.Event()
        self._keep_waiting = False
        self.running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.running = True
        _RUNNING.add(self)
        self.ended.connect(self._let_go)
        self._thread = threading.Thread(target=self._run, name="system-loading", daemon=True)
        self._thread.start()

    @property
    def cancelled(self) -> bool:
        return self.guard.cancelled

    def cancel(self) -> None:
        """Stop waiting for the load: a trial still running is killed, and nothing is said of
        the load any more (a load already importing here finishes unheard)."""
        self.guard.cancel()
        self._keep_waiting = False
        self._answered.set()

    def wait_longer(self) -> None:
        """After `overdue`: wait as long again."""
        self._keep_waiting = True
        self._answered.set()

    # -- on the loading thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            result = self.work(self.guard.load)
        except Cancelled:
            pass
        except SystemLoadError as error:
            self._say(self.failed, str(error))
        except Exception as error:  # the user's code failed in a way load_system lets through
            self._say(self.failed, f"Loading the system failed: {type(error).__name__}: {error}")
        else:
            self._say(self.succeeded, result)
        finally:
            self.ended.emit()

    def _say(self, signal: Any, value: object) -> None:
        if not self.cancelled:
            signal.emit(value)

    def _ask(self, message: str) -> bool:
        """Tell of a trial past its deadline, and wait for the answer: wait longer, or not. A
        trial that ends meanwhile is taken without one (it would be waited for)."""
        self._answered.clear()
        self._keep_waiting = False
        self._say(self.overdue, message)
        while not self._answered.wait(ANSWER_POLL_S):
            if self.guard.trial_ended():
                return not self.cancelled
        return self._keep_waiting and not self.cancelled

    def _on_gui_thread(self, load: Callable[[], System]) -> System:
        """`load()` run on the GUI thread, and waited for here (on the loading thread): for a
        system whose import needs the main thread (one that sets a signal handler), once its
        trial showed that the import ends. Cancel ends the wait."""
        box: dict[str, Any] = {}
        done = threading.Event()
        self._call.emit((load, box, done))
        while not done.wait(ANSWER_POLL_S):
            if self.cancelled:
                raise Cancelled
        if "error" in box:
            raise box["error"]
        return box["system"]

    # -- on the GUI thread ---------------------------------------------------------------------

    @Slot(object)
    def _run_call(self, job: tuple[Callable[[], System], dict[str, Any], threading.Event],
                  ) -> None:
        load, box, done = job
        try:
            if self.cancelled:
                box["error"] = Cancelled()
            else:
                box["system"] = load()
        except BaseException as error:  # (given to the loading thread, which raises it)
            box["error"] = error
        finally:
            done.set()

    @Slot()
    def _let_go(self) -> None:
        self.running = False
        if self._thread is not None:  # ended: its thread lets go of it too, before this does
            self._thread.join()
        _RUNNING.discard(self)

