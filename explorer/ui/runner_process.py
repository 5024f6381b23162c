"""The runner in a process of its own, for the window: `python -m explorer run STORE --serve
--system SPEC` (in a bundle, its `event-explorer-cli run ...`), with the system the window
explores the store with.

Keeping projections and sagas up to date is CPU-bound Python. On a thread of the window's
process it would hold the interpreter lock the window needs for every model call Qt makes while
painting (a rebuild measured 200 ms stalls); in its own process it costs the window nothing, and
a crash there cannot take the window with it. Commands go to the process's stdin and status
comes back on its stdout, one JSON object a line; closing stdin stops it. A system loaded by
module path is found by the process as by the window: it gets the window's import path.

A runner process that ends by itself (killed, out of memory, a crash) is started again, and goes
on from the read models' checkpoints (or builds them anew, their file deleted say: the message
saying it was started again says which, as the new process reports it): otherwise the panels
would go on showing its last status ("caught up") while the log moved on. One that ends before
it ever reported, or ends again and again (RESTARTS_AT_MOST within RESTART_WINDOW_S), is not:
the panels are told (`stopped`).
"""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path

import orjson
from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from explorer.common.command_line import command_line, import_path
from explorer.runtime.runner import RunnerStatus
from explorer.store.postgres_url import remembered_password
from explorer.system.discovery import is_module_path

STOP_WAIT_MS = 5000
RESTARTS_AT_MOST = 3
RESTART_WINDOW_S = 60.0


class RunnerProcess(QObject):
    """Signals:
        status(object): a RunnerStatus, about twice a second and after changes.
        rebuild_progress(str, int, int): a projection, the position rebuilt to, the target.
        rebuild_finished(str): a rebuild ended (done, cancelled or cut).
        rebuild_cut(str, str): a projection whose rebuild something stopped half-way (the
            connection to the store's server lost, say), and what the runner says of it:
            where it stopped and what comes next (also said as `failed`); then
            `rebuild_finished`.
        failed(str): something went wrong; the message says what.
        noted(str): news that is not a failure (the store's server is back, say).
        stopped(str): the process ended and was not started again (why, in a sentence): the
            read models and sagas stay where they are, no longer kept up to date.
    """

    status = Signal(object)
    rebuild_progress = Signal(str, int, int)
    rebuild_finished = Signal(str)
    rebuild_cut = Signal(str, str)
    failed = Signal(str)
    noted = Signal(str)
    stopped = Signal(str)

    def __init__(self, location: str, system: str, *, read_only: bool, run_sagas: bool,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.location = location
        self.system = system  # as `--system` takes it: a name, a module path or "none"
        self.read_only = read_only
        self.run_sagas = run_sagas
        self._buffer = b""
        self._stopping = False
        self._reported = False  # the process running now has sent a status
        self._restarts: deque[float] = deque()  # when it was started again, lately
        self.started_ns = 0  # when its process was last started (time.time_ns()): its code
        self._rebuilding: set[str] = set()  # rebuilds asked for and not yet finished
        self._restarted_why: str | None = None  # started again for this; said once it is ready
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)

    def start(self) -> None:
        # No random payment failures: what is sent here (by hand or by a demo script) plays out
        # the same every time; a card ending 0002, 9995 or 0069 is declined, for compensation.
        arguments = ["run", "--serve", "--system", self.system, "--failure-rate", "0"]
        password = remembered_password(self.location)  # given in a server store's URL
        if is_module_path(self.system) or password is not None:
            environment = _with_import_path()
            if password is not None:  # in the runner's environment, never on its command line
                environment.insert("PGPASSWORD", password)
            self.process.setProcessEnvironment(environment)
        if self.read_only:
            arguments.append("--read-only")
        if not self.run_sagas:
            arguments.append("--no-sagas")
        arguments += ["--", _passed(self.location)]  # (a store '-shop.evstore' is no option)
        self._reported = False
        self._buffer = b""
        self.started_ns = time.time_ns()
        self.process.start(*command_line(arguments))

    # -- commands --------------------------------------------------------------------------

    def _send(self, command: dict) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.write(orjson.dumps(command) + b"\n")

    def rebuild(self, name: str) -> None:
        self._rebuilding.add(name)
        self._send({"rebuild": name})

    def cancel_rebuild(self) -> None:
        self._send({"cancel": True})

    def retry(self, name: str) -> None:
        """Handle a faulted projection's failing event again (`saga:NAME`: a saga's)."""
        self._send({"retry": name})

    def retry_saga(self, name: str) -> None:
        """Handle a faulted saga's failing event again (by its name alone, a projection of the
        same name would be retried instead: see Runner.retry)."""
        self.retry(f"saga:{name}")

    def skip(self, name: str) -> None:
        self._send({"skip": name})

    def set_sagas(self, enabled: bool) -> None:
        self.run_sagas = enabled
        self._send({"sagas": enabled})

    def stop(self) -> None:
        """Ask the process to finish (closing its stdin), and wait a little for it."""
        self._stopping = True
        if self.process.state() == QProcess.ProcessState.NotRunning:
            return
        self.process.closeWriteChannel()
        if not self.process.waitForFinished(STOP_WAIT_MS):
            self.process.kill()
            self.process.waitForFinished(STOP_WAIT_MS)

    # -- messages --------------------------------------------------------------------------

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self._message(line)

    def _message(self, line: bytes) -> None:
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            return  # not ours (a library printing): ignore it
        if "ready" in message:
            self._say_restarted(message.get("start") or "")
        elif "status" in message:
            self._reported = True
            self.status.emit(RunnerStatus.from_dict(message["status"]))
        elif "progress" in message:
            name, done, last = message["progress"]
            self.rebuild_progress.emit(name, done, last)
        elif "finished" in message:
            self._rebuilding.discard(message["finished"])
            if message.get("cut"):
                self.rebuild_cut.emit(message["finished"], message["cut"])
                self.failed.emit(message["cut"])
            self.rebuild_finished.emit(message["finished"])
        elif "failed" in message:
            self.failed.emit(message["failed"])
        elif "note" in message:
            self.noted.emit(message["note"])

    def _finished(self, code: int, exit_status) -> None:
        if self._stopping:
            return
        self._say_restarted(None)  # (started again, it ended before it was ready)
        error_output = bytes(self.process.readAllStandardError().data())
        detail = error_output.decode(errors="replace").strip()
        if detail:
            why = detail.splitlines()[-1]
        elif exit_status == QProcess.ExitStatus.CrashExit:
            why = "it was killed or crashed"
        else:
            why = f"exit status {code}"
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > RESTART_WINDOW_S:
            self._restarts.popleft()
        restart = self._reported and len(self._restarts) < RESTARTS_AT_MOST
        for name in sorted(self._rebuilding):
            self.rebuild_cut.emit(name, f"Rebuilding {name} stopped: the projections' runner "
                                        f"ended ({why}). What it rebuilt is kept" + (
                                            "; the runner, started again, goes on with it."
                                            if restart else "."))
            self.rebuild_finished.emit(name)
        self._rebuilding.clear()
        if restart:
            self._restarts.append(now)
            self._restarted_why = why  # (where it goes on from: said by the new process)
            self.start()
            return
        again = " again and again" if self._reported else ""
        self.stopped.emit(f"The projections' runner ended{again} ({why}): the read models and "
                          "sagas are no longer kept up to date. Open the store again to restart "
                          "it.")
        self.failed.emit(f"The projections stopped running: {why}")

    def _say_restarted(self, start: str | None) -> None:
        """Say, once, that the runner ended and was started again, and where the new process
        starts its read models (`start`, as Runner.starting_point says it; None: it ended
        before it said, so nothing is claimed of it)."""
        why, self._restarted_why = self._restarted_why, None
        if why is None:
            return
        self.failed.emit(f"The projections' runner ended ({why}): it was started again" + (
            f"; {start}." if start else "."))

    def _error(self, error) -> None:
        if not self._stopping and error == QProcess.ProcessError.FailedToStart:
            # (no `finished` follows: without this the panels went on showing a runner)
            why = self.process.errorString()
            self.stopped.emit(f"The projections' runner could not be started ({why}): the read "
                              "models and sagas are not kept up to date. Open the store again "
                              "to try again.")
            self.failed.emit(f"The projections could not be started: {why}")


def _passed(location: str) -> str:
    """The store's location as the runner's command line is given it: a file whose name is not
    UTF-8 (kept by Python as its bytes, which a Qt string cannot hold: they became U+FFFD, and
    the runner found no store there) as a file:// URI, its bytes percent-escaped (the command
    line decodes it back: explorer.store.postgres_url.local_path)."""
    try:
        location.encode("utf-8")
    except UnicodeEncodeError:
        return Path(os.path.abspath(location)).as_uri()
    return location


def _with_import_path() -> QProcessEnvironment:
    """The environment with this process's import path first, so that the runner imports a
    system's module from where the window did (e.g. the folder main.py was started from)."""
    environment = QProcessEnvironment.systemEnvironment()
    environment.insert("PYTHONPATH", import_path(environment.value("PYTHONPATH")))
    return environment
