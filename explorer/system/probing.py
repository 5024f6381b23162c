"""Loading a user's system without trusting its code: tried first in a child process.

A system's module is the user's code: its import may take seconds (a heavy dependency), never
end (a loop, a network call without a timeout, `input()`), or end the process (`os._exit`, a
crash in a C extension). `GuardedLoad.load(spec)` therefore imports it first in a child process
(the trial) and only once that succeeded in this one: an error there is the load's error, nothing
imported here; a trial past its deadline is reported (`overdue`, which says where its code is
waiting) and either waited for longer or killed, nothing imported here either.

On Linux the child is a fork of this process: it holds the explorer and the libraries already,
so the trial costs what the system's own import costs (and sees exactly the modules this process
has, so it imports what the load here would): on the library example, about 0.1 s of CPU in
the child. Elsewhere (or given a `command`) it is the explorer's command line, `seed --system
SPEC --help`, which loads the system to learn its seeder's options: a new interpreter, about
1.5 s of CPU more.

A system whose module this process already imported from an unchanged file runs none of its
module's code again, and is loaded here at once (the demo shop, loaded at start-up).
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import gc
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from explorer.common.cancel import Cancelled
from explorer.common.command_line import command_line
from explorer.system import System
from explorer.system.discovery import (
    ENTRY_POINT_GROUP,
    NONE,
    SystemLoadError,
    is_module_path,
    load_system,
    loaded_unchanged,
)

END = b"\0"
"""The end of a forked trial's result on its pipe."""
POLL_S = 0.1
"""How often a trial waited for is looked at to see whether it ended without a result."""
DEADLINE_S = 10.0
"""How long a system's trial import may take before the user is asked whether to wait longer."""

ProbeCommand = Callable[[str], tuple[str, list[str]]]
"""The program and arguments of a command line that loads the system `spec` and exits: 0 when
it loaded, 1 with `error: MESSAGE` on stderr when not."""

_FRAME = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d+) in (?P<function>.*)$')
_IMPORTING = ("<frozen importlib", "importlib/__init__.py", "importlib\\__init__.py")
_LIVE: set[ImportProbe] = set()


@dataclass(frozen=True)
class ProbeResult:
    """How a trial import ended: `error` says why the system cannot be loaded, None if it
    loaded."""

    error: str | None = None


class ImportProbe:
    """A trial load of one system in a child process, started at once."""

    def __init__(self, spec: str, deadline_s: float, command: ProbeCommand | None = None) -> None:
        self.spec = spec
        self.deadline_s = deadline_s
        self._traces = self._said = b""
        self._pid = 0
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._result_fd = self._trace_fd = -1
        if command is None and can_fork():
            self._fork()
        else:
            self._run(command or cli_probe(command_line))
        _LIVE.add(self)

    # -- starting ------------------------------------------------------------------------------

    def _fork(self) -> None:
        result_r, result_w = os.pipe()
        trace_r, trace_w = os.pipe()
        with warnings.catch_warnings():  # (3.12 warns of forking with threads: this child
            warnings.simplefilter("ignore", DeprecationWarning)  # runs only its own code)
            pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            _trial(self.spec, self.deadline_s, result_w, trace_w)
        os.close(result_w)
        os.close(trace_w)
        self._pid, self._result_fd, self._trace_fd = pid, result_r, trace_r

    def _run(self, command: ProbeCommand) -> None:
        program, arguments = command(self.spec)
        environment = {**os.environ, "PYTHONPATH": import_path()}
        try:
            self._process = subprocess.Popen(
                [program, *arguments], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=environment)
        except OSError as error:
            raise SystemLoadError(f"Cannot try loading the system {self.spec!r}: {program} "
                                  f"could not be started ({error.strerror}).") from None

    # -- waiting -------------------------------------------------------------------------------

    def wait(self, seconds: float) -> ProbeResult | None:
        """How the trial ended, waiting at most `seconds` for it; None while it goes on."""
        if self._process is not None:
            return self._wait_command(self._process, seconds)
        # Until the trial's result is whole (it ends in END) or the trial has ended: not until
        # its pipe closes, which a process the system's code started may hold open for ever.
        deadline = time.monotonic() + max(0.0, seconds)
        status = None
        while not self._said.endswith(END):
            if select.select([self._result_fd], [], [], POLL_S)[0]:
                chunk = os.read(self._result_fd, 65536)
                if not chunk:
                    break
                self._said += chunk
            elif (reaped := os.waitpid(self._pid, os.WNOHANG))[0]:  # (it wrote before ending)
                status = reaped[1]
                while select.select([self._result_fd], [], [], 0)[0] \
                        and (chunk := os.read(self._result_fd, 65536)):
                    self._said += chunk
                break
            elif time.monotonic() >= deadline:
                return None
        said = self._said
        if status is None:
            with self._lock:
                pid, self._pid = self._pid, 0  # (a kill from another thread: not this pid now)
            _, status = os.waitpid(pid, 0)
        else:
            with self._lock:
                self._pid = 0
        self._end()
        if said.startswith(b"K"):
            return ProbeResult()
        if said.startswith(b"E"):
            return ProbeResult(said[1:].removesuffix(END).decode(errors="replace"))
        return ProbeResult(self._ended_by(status))

    def ended(self) -> bool:
        """Whether the trial has ended (its result is ready for `wait`), without waiting."""
        if self._process is not None:
            return self._process.poll() is not None
        return self._result_fd < 0 or bool(select.select([self._result_fd], [], [], 0)[0])

    def _wait_command(self, process: subprocess.Popen[bytes], seconds: float
                      ) -> ProbeResult | None:
        try:
            _, error_output = process.communicate(timeout=max(0.01, seconds))
        except subprocess.TimeoutExpired:
            return None
        self._end()
        if process.returncode == 0:
            return ProbeResult()
        lines = error_output.decode(errors="replace").strip().splitlines()
        said = next((line for line in reversed(lines) if "error: " in line), "")
        if said and process.returncode == 1:  # (after what the module printed, if anything)
            return ProbeResult(said.partition("error: ")[2])
        return ProbeResult(self._ended_by_code(process.returncode))

    def _ended_by(self, status: int) -> str:
        if os.WIFSIGNALED(status):
            return self._ended_by_code(-os.WTERMSIG(status))
        return self._ended_by_code(os.WEXITSTATUS(status) if os.WIFEXITED(status) else status)

    def _ended_by_code(self, code: int) -> str:
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            how = f"crashed ({name})"
        else:
            how = f"ended the process with exit status {code}"
        return (f"Loading the system {self.spec!r} failed: its code {how} while being imported "
                "(tried in a separate process first: nothing of it was loaded here).")

    def overdue(self, waited_s: float) -> str:
        """What to tell the user when the trial has not ended after `waited_s` seconds: where
        its code is (when it can be seen), and that it is still running."""
        where = self.where()
        at = f": its code is at {where}" if where else ""
        return (f"{self.spec} did not finish importing within {waited_s:.0f} s{at}. It may be "
                "waiting for the network or for input, or be stuck in a loop; nothing of it is "
                "loaded here until it finishes.")

    def where(self, grace_s: float = 1.0) -> str:
        """Where the trial's code was at its last deadline (a fork's: the child dumps its stack
        then), as `FILE line N (in FUNCTION)`; "" if not known."""
        if self._trace_fd < 0:
            return ""
        wait = grace_s
        while select.select([self._trace_fd], [], [], wait)[0]:
            chunk = os.read(self._trace_fd, 65536)
            if not chunk:
                break
            self._traces += chunk
            wait = 0.05
        return describe_stack(self._traces.decode(errors="replace"))

    # -- ending --------------------------------------------------------------------------------

    def kill(self) -> None:
        """End the trial now (from any thread); its result, if asked for, is then an error."""
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()
        else:
            with self._lock, contextlib.suppress(OSError):
                if self._pid and self._result_fd >= 0:  # (not reaped: the pid is the trial's)
                    os.kill(self._pid, signal.SIGKILL)

    def _end(self) -> None:
        _LIVE.discard(self)
        for fd in (self._result_fd, self._trace_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._result_fd = self._trace_fd = -1

    def close(self) -> None:
        """Kill the trial if it still runs, and reap it."""
        if self._process is not None:
            if self._process.poll() is None:
                self.kill()
                self._process.communicate()
        elif self._result_fd >= 0:
            self.kill()
            with self._lock:
                pid, self._pid = self._pid, 0
            if pid:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        self._end()


def _trial(spec: str, deadline_s: float, result_w: int, trace_w: int) -> None:
    """The forked child: load the system, write how that went, and end."""
    try:
        gc.disable()  # the window's objects are copies here: none may be destroyed
        faulthandler.disable()  # (the window's crash log is not the trial's)
        _keep_only_fds(result_w, trace_w)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # input() meets the end of its input, and prints go nowhere
            os.dup2(null, fd)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 (the child's, until it exits)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        os.set_blocking(trace_w, False)  # (a dump the window has not read yet is dropped, never
        faulthandler.dump_traceback_later(deadline_s, repeat=True, file=trace_w)  # waited on)
        try:
            load_system(spec)
            said = b"K"
        except SystemLoadError as error:
            said = b"E" + str(error).encode()
        except BaseException as error:  # (KeyboardInterrupt, say): the trial failed
            said = f"ELoading the system {spec!r} failed: {type(error).__name__}".encode()
        faulthandler.cancel_dump_traceback_later()
        os.write(result_w, said.replace(END, b"?") + END)
    finally:
        os._exit(0)


def _keep_only_fds(*kept: int) -> None:
    """Close every descriptor the window has (its store, the runner's pipes) but `kept` and the
    standard ones: a trial that hangs must not keep the runner's input open."""
    start = 3
    for fd in sorted(kept):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, _max_fd())


def _max_fd() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (ValueError, OSError):
        return 4096


def _needs_main_thread(error: SystemLoadError) -> bool:
    """Whether a load failed only for being made on a thread other than the main one (Python
    sets signal handlers on the main thread alone)."""
    return threading.current_thread() is not threading.main_thread() \
        and "only works in main thread" in str(error)


def can_fork() -> bool:
    """Whether trials fork this process: on Linux, where forking a process with threads is safe
    for a child that runs only Python code of its own and exits."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def import_path() -> str:
    """This process's import path, for a child to import a system's module from where this
    process would (e.g. the folder main.py was started from)."""
    folders = [folder for folder in sys.path if folder and os.path.isdir(folder)]
    inherited = os.environ.get("PYTHONPATH")
    return os.pathsep.join([*folders, *([inherited] if inherited else [])])


def describe_stack(dump: str) -> str:
    """Where the last stack dumped by faulthandler is: its innermost frame, and the line of the
    module being imported that led there (when another)."""
    last = dump.rpartition("Timeout (")[2]
    frames = [m.groupdict() for line in last.splitlines() if (m := _FRAME.match(line))]
    if not frames:
        return ""
    here = frames[0]
    said = f"{here['file']} line {here['line']}, in {here['function']}"
    for inner, outer in zip(frames, frames[1:], strict=False):
        if outer["file"].startswith(_IMPORTING) or outer["file"].endswith(_IMPORTING[1:]):
            if inner is not here and not inner["file"].startswith("<"):
                said += f", reached from {inner['file']} line {inner['line']}"
            break
    return said


def module_of(spec: str) -> str | None:
    """The module a system's spec imports (an installed system's, by its entry point); None
    when loading it runs no code (`none`, a name nothing is installed under)."""
    spec = spec.strip()
    if spec == NONE:
        return None
    if is_module_path(spec):
        return spec.partition(":")[0] or None
    found = next((entry for entry in entry_points(group=ENTRY_POINT_GROUP) if entry.name == spec),
                 None)
    return found.value.partition(":")[0].strip() if found is not None else None


def needs_trial(spec: str) -> bool:
    """Whether loading `spec` would run module code this process has not run: its module is not
    imported yet, or its file changed since."""
    module = module_of(spec)
    return module is not None and not loaded_unchanged(module)


class GuardedLoad:
    """Loads systems on a thread that is not the GUI's, each tried in a child process first.

    `overdue(message)` is asked, on the loading thread, each time a trial passes its deadline:
    True waits as long again, False gives up (the trial is killed, the load fails); while it
    waits for a person's answer, `trial_ended()` says whether that is still needed. `cancel()`
    (from any thread) ends the load in progress with `Cancelled`.
    """

    def __init__(self, deadline_s: float = DEADLINE_S,
                 overdue: Callable[[str], bool] = lambda message: False,
                 command: ProbeCommand | None = None,
                 on_main_thread: Callable[[Callable[[], System]], System] | None = None,
                 ) -> None:
        self.deadline_s = deadline_s
        self.overdue = overdue
        self.command = command
        self.on_main_thread = on_main_thread
        """Runs a load on the main thread and gives its system: for a system whose import
        needs that thread (one setting a signal handler), when loads run on another."""
        self._lock = threading.Lock()
        self._probe: ImportProbe | None = None
        self._cancelled = False

    def load(self, spec: str) -> System:
        """The system `spec` names, loaded here once its trial succeeded."""
        if needs_trial(spec):
            self._try(spec)
        self._check()
        try:
            return load_system(spec)
        except SystemLoadError as error:
            if self.on_main_thread is None or not _needs_main_thread(error):
                raise
        self._check()
        return self.on_main_thread(lambda: load_system(spec))

    def _try(self, spec: str) -> None:
        with self._lock:
            self._check()
            probe = self._probe = ImportProbe(spec, self.deadline_s, self.command)
        try:
            waited = 0.0
            while (result := probe.wait(self.deadline_s)) is None:
                waited += self.deadline_s
                self._check()
                if not self.overdue(probe.overdue(waited)):
                    self._check()
                    raise SystemLoadError(
                        f"{spec} was not loaded: it did not finish importing within "
                        f"{waited:.0f} s{_at(probe.where(0))}.")
            self._check()
            if result.error is not None:
                raise SystemLoadError(result.error)
        finally:
            with self._lock:
                self._probe = None
            probe.close()

    def _check(self) -> None:
        if self._cancelled:
            raise Cancelled

    def trial_ended(self) -> bool:
        """Whether the trial being waited for has ended meanwhile (from any thread): while
        `overdue` waits for the user's answer, a trial that ends need not wait for it."""
        with self._lock:
            return self._probe is None or self._probe.ended()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._probe is not None:
                self._probe.kill()

    @property
    def cancelled(self) -> bool:
        return self._cancelled


def _at(where: str) -> str:
    return f" (its code was at {where})" if where else ""


def cli_probe(command_line: Callable[[list[str]], tuple[str, list[str]]]) -> ProbeCommand:
    """A ProbeCommand over the explorer's command line (`command_line(arguments)` gives its
    program and arguments): `seed --system SPEC --help` loads the system and exits."""
    def command(spec: str) -> tuple[str, list[str]]:
        return command_line(["seed", "--system", spec, "--help"])
    return command


@atexit.register
def _kill_trials() -> None:
    """A trial still running when the process ends is ended with it."""
    for probe in list(_LIVE):
        probe.close()
