"""Building a full-text index's whole parts in worker processes, several at once.

FTS5 indexes some 70,000 events a second on one core whatever its options, so one process cannot
build the index of a million events in ten seconds. The index is one table per part
(fulltext.PART positions), and a part can be built apart from the others: a catch-up with at
least PARALLEL_FROM whole parts to build starts a worker process a core. A worker is the command
line with explorer.entry.FULLTEXT_WORKER as its first argument (this Python's `-m explorer`, or a
bundle's `event-explorer-cli`: the same from the command line, the window's worker thread and a
bundle, with neither Qt nor multiprocessing's bootstrap in it). It opens the store read-only by
its location, as the catch-up's process did (a server's remembered password and a library
store's cipher key in its environment, never on its command line), then takes parts one at a
time on its stdin, builds each into a temporary file of its own beside the index
(`.INDEX.part-N-HOST-PID`) and says so on its stdout, one JSON object a line.

The catch-up's process moves each finished part into the index, in position order
(fulltext.PartMover: the part's table and the checkpoint in one transaction), so that a process
killed at any moment leaves an index whole up to its checkpoint, and a part found indexed by
another process meanwhile is never moved in twice. A worker that fails or dies ends the parallel
build: the others are stopped, every file they made removed, and the catch-up goes on in its own
process from its checkpoint. Cancelling stops them the same way. A worker whose catch-up died
sees its input end and removes its files; those of a worker killed outright are removed by the
next build on this machine (`remove_abandoned`).
"""

from __future__ import annotations

import bisect
import glob
import logging
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson

from explorer.common.command_line import FULLTEXT_WORKER, command_line, import_path
from explorer.common.processes import process_runs
from explorer.store.event_store import EventStore
from explorer.store.foreign.transcoding import CIPHER_KEY
from explorer.store.postgres_url import remembered_password

if TYPE_CHECKING:
    from explorer.projections.fulltext import FullTextIndex

PARALLEL_FROM = 2
"""Whole parts left to build for a catch-up to start workers (one part is built as fast in the
catch-up's own process: a worker's start-up, ~0.8 s of CPU, would be all it gained)."""
WORKER_BATCH = 20_000
"""Events a worker reads from the store at a time."""
POLL_S = 0.25
"""How often the catch-up looks at `should_stop` while its workers build."""
PROGRESS_EVERY_S = 1.0
"""How often `progress` is called while no part is moved in (it may raise Cancelled)."""
STOP_WAIT_S = 10.0
"""How long a worker whose input was closed may take to end before it is killed."""
HOST = socket.gethostname().replace("/", "_")
"""This machine's name, in a worker's file's (a folder may be shared over a network: only this
machine's processes are known here)."""

log = logging.getLogger(__name__)


def workers_for(parts: int) -> int:
    """How many workers build `parts` whole parts: one a core, no more than the parts; 0 when
    they are not worth starting (too few parts, one core)."""
    if parts < PARALLEL_FROM:
        return 0
    count = min(os.cpu_count() or 1, parts)
    return count if count > 1 else 0


def part_file(index_path: Path, part: int, pid: int) -> Path:
    """The temporary file in which the worker of process `pid` builds part `part`."""
    return index_path.with_name(f".{index_path.name}.part-{part}-{HOST}-{pid}")


def remove_abandoned(index_path: Path) -> None:
    """Remove the part files that workers of this machine which no longer run left beside the
    index (one killed outright never removes its file)."""
    mine = f".{index_path.name}.part-"
    for found in index_path.parent.glob(f"{glob.escape(mine)}*"):
        _part, _, rest = found.name[len(mine):].partition("-")
        pid = rest[len(HOST) + 1:] if rest.startswith(f"{HOST}-") else ""
        if not pid.isdigit():
            continue
        if not process_runs(int(pid)):
            _remove(found)


def _remove(file: Path) -> None:
    for name in (str(file), f"{file}-journal"):
        with suppress(FileNotFoundError):
            os.remove(name)


# -- in the worker process --------------------------------------------------------------------


def serve(requests: IO[bytes] | None = None, replies: IO[bytes] | None = None) -> int:
    """A worker's life: open the store the first line names, say it is ready (with this
    process's id, which names its files), then build each part a line asks for and say so.
    Its input ending (the catch-up is done, or died) ends it, removing any file it made that is
    still there."""
    from explorer.projections.fulltext import build_part_file  # (not at import: a cycle)

    requests = requests or sys.stdin.buffer
    replies = replies or sys.stdout.buffer

    def say(message: dict[str, object]) -> None:
        replies.write(orjson.dumps(message) + b"\n")
        replies.flush()

    opening = requests.readline()
    if not opening:
        return 0
    made: list[Path] = []
    with EventStore.open(orjson.loads(opening)["location"], read_only=True,
                         verify=False) as store:
        try:
            say({"ready": os.getpid()})
            for line in requests:
                job = orjson.loads(line)
                file = part_file(Path(job["index"]), job["part"], os.getpid())
                made.append(file)
                _remove(file)
                with closing(sqlite3.connect(file, isolation_level=None)) as db:
                    count, end = build_part_file(db, job["part"], _texts(
                        store, job["first"], job["last"]))
                say({"built": job["part"], "count": count, "end": end})
        finally:
            for file in made:
                _remove(file)
    return 0


def _texts(store: EventStore, first: int, last: int) -> Iterator[list[tuple[int, str]]]:
    """(position, text) of the events from position `first` to `last`, a batch at a time."""
    after = first - 1
    while after < last:
        rows = store.search_texts(after, min(WORKER_BATCH, last - after))
        if rows and rows[-1][0] > last:
            rows = rows[:bisect.bisect_right(rows, last, key=itemgetter(0))]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


# -- in the catch-up's process ----------------------------------------------------------------


@dataclass(eq=False)
class _Worker:
    """One worker process, and what it is doing."""

    process: subprocess.Popen[bytes]
    pid: int | None = None  # its own (a bundle's program may run Python in a child)
    part: int | None = None  # building
    files: list[Path] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # what it printed that is not ours

    @classmethod
    def start(cls, environment: dict[str, str], replies: _Replies) -> _Worker:
        program, arguments = command_line([FULLTEXT_WORKER])
        process = subprocess.Popen([program, *arguments], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env=environment, creationflags=getattr(
                                       subprocess, "CREATE_NO_WINDOW", 0))  # (Windows)
        worker = cls(process)
        threading.Thread(target=worker._read, args=(replies,), daemon=True,
                         name="fulltext worker output").start()
        return worker

    def _read(self, replies: _Replies) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            replies.put((self, line))
        replies.put((self, None))

    def send(self, message: dict[str, object]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(orjson.dumps(message) + b"\n")
        self.process.stdin.flush()

    def end(self, *, kill: bool) -> None:
        """Close its input (it ends when done) or kill it; wait for it, then remove its files."""
        if kill:
            self.process.kill()
        with suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for file in self.files:
            _remove(file)


_Replies = queue.Queue[tuple[_Worker, bytes | None]]
"""What the workers printed, a line at a time (None: one's output ended)."""


class WorkerFailedError(RuntimeError):
    """A worker ended or said something else than it was asked (the catch-up goes on alone)."""


@dataclass(frozen=True)
class BuiltPart:
    """A part a worker built: in `file`, `count` events, the last at position `end` (0: none)."""

    part: int
    file: Path
    count: int
    end: int


def build_parts(index: FullTextIndex, store: EventStore, parts: list[int], checkpoint: int, *,
                should_stop: Callable[[], bool] | None = None,
                progress: Callable[[int, int], None] | None = None,
                last: int = 0) -> tuple[int, bool]:
    """Build the whole parts `parts` (in order; the index is whole up to the first's start,
    its checkpoint `checkpoint` when they were chosen) in workers and move each into the index
    in order: (events indexed, whether every part was).
    False: a worker failed, or another process indexed some meanwhile (the caller goes on from
    the checkpoint alone), or `should_stop()` became true. `progress(checkpoint, last)` after
    each part moved in and at least once a second (it may raise Cancelled: the workers are
    killed, their files removed, what was moved in kept)."""
    from explorer.projections.fulltext import PART, PartMover  # (not at import: a cycle)

    remove_abandoned(index.path)
    replies: _Replies = queue.Queue()
    environment = _worker_environment(store)
    workers: list[_Worker] = []
    waiting, built = deque(parts), dict[int, BuiltPart]()
    expected, done, moved, finished = checkpoint, 0, 0, False
    next_report = time.monotonic() + PROGRESS_EVERY_S
    try:
        with PartMover(index.path) as mover:
            for _ in range(workers_for(len(parts))):
                workers.append(_Worker.start(environment, replies))
                workers[-1].send({"location": store.location})
            while moved < len(parts):
                if should_stop is not None and should_stop():
                    return done, False
                try:
                    worker, line = replies.get(timeout=POLL_S)
                except queue.Empty:
                    if progress is not None and time.monotonic() >= next_report:
                        progress(expected, max(last, expected))
                        next_report = time.monotonic() + PROGRESS_EVERY_S
                    continue
                _heard(worker, line, built)
                if worker.part is None and waiting and worker.pid is not None:
                    part = waiting.popleft()
                    worker.part = part
                    worker.files.append(part_file(index.path, part, worker.pid))
                    worker.send({"index": str(index.path), "part": part,
                                 "first": part * PART + 1, "last": (part + 1) * PART})
                while moved < len(parts) and parts[moved] in built:
                    ready = built.pop(parts[moved])
                    event_id = store.event_at(ready.end).event_id if ready.end else None
                    if not mover.move_in(ready.part, ready.file, expected, ready.end, event_id):
                        return done, False  # another process indexed it meanwhile
                    _remove(ready.file)
                    expected, done, moved = ready.end or expected, done + ready.count, moved + 1
                    if progress is not None:
                        progress(expected, max(last, expected))
                        next_report = time.monotonic() + PROGRESS_EVERY_S
            finished = True
    except (WorkerFailedError, OSError) as error:  # (OSError: writing to a worker that died)
        log.warning("Building the search index in %d processes failed (%s); it goes on in one.",
                    len(workers), error)
        return done, False
    finally:
        for worker in workers:
            worker.end(kill=not finished)
    return done, True


def _heard(worker: _Worker, line: bytes | None, built: dict[int, BuiltPart]) -> None:
    """Take in a line a worker printed (None: its output ended)."""
    if line is None:
        said = " ".join(worker.said[-3:]) or f"exit status {worker.process.wait()}"
        raise WorkerFailedError(f"a worker ended: {said}")
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError:
        message = None
    if not isinstance(message, dict):  # a traceback, a library's warning
        worker.said.append(line.decode(errors="replace").strip())
    elif "ready" in message:
        worker.pid = int(message["ready"])
    elif worker.part is not None and message.get("built") == worker.part:
        built[worker.part] = BuiltPart(worker.part, worker.files[-1], int(message["count"]),
                                       int(message["end"]))
        worker.part = None
    else:
        raise WorkerFailedError(f"a worker said {line!r}")


def _worker_environment(store: EventStore) -> dict[str, str]:
    """This process's environment, with what a worker needs to open `store` as it was opened
    here: a server's remembered password, a library store's cipher key, this process's import
    path (outside a bundle: the explorer found where this process found it, say beside the
    main.py the window was started with)."""
    environment = dict(os.environ)
    password = remembered_password(store.location)
    if password is not None:
        environment["PGPASSWORD"] = password
    cipher_key = getattr(store, "cipher_key", None)
    if cipher_key:
        environment[CIPHER_KEY] = cipher_key
    if not getattr(sys, "frozen", False):
        environment["PYTHONPATH"] = import_path(environment.get("PYTHONPATH"))
    return environment
