"""The runner: keeps a store's projections and sagas up to date, now and as events arrive.

Used by `run` and `project` on the command line and, on a thread of its own, by the window. It
owns its own connections. New events from this process or any other are noticed by polling
`PRAGMA data_version` (a few microseconds a poll; on a server, LISTEN/NOTIFY), so they take
effect within about a poll interval plus the time to handle them.

Several runners may run at once, in processes on one machine or several. Each projection and each
saga manager is advanced by one of them at a time: the one that `claim`s it from the read-model
database (on a server, a session-level advisory lock a name: see
explorer.projections.postgres_readmodels for why a lock and not a lease; in a file, every runner
may, its write lock and the checkpoints re-read in each transaction sharing the work). A runner
that holds some names but not all asks again every CLAIM_EVERY_S, so when the holder dies another
takes over within about that (plus the server noticing, at once for a killed process). No saga
step runs twice across runners whatever happens: a step's command has an id derived from it, so
a second dispatch finds its events stored and does nothing (explorer.sagas.manager). Each runner
says in the read models that it keeps them, and tells its user once of the others it finds
there, and when one stops (explorer.projections.presence: `presence_news`).

Sharing a store means conflicts and, now and then, a lock held by another program for longer
than the busy timeout. Those pass: `run_forever` and `serve` (and `project`) report them and try
again after a short wait, for as long as it takes; only their stop request ends them. Any other
error is a real fault and is raised (or, in `serve`, sent as a message).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any

from pydantic import PlainSerializer

from explorer.common.closable import Closable
from explorer.common.json_form import JsonForm
from explorer.common.names import visible
from explorer.common.timestamps import now_micros
from explorer.domain import CommandService
from explorer.projections import (
    FullTextIndex,
    Projection,
    ProjectionEngine,
    ProjectionStatus,
    fulltext_path,
)
from explorer.projections.database import open_read_models
from explorer.projections.presence import (
    REFRESH_EVERY_S,
    RunnerPresence,
    gone_text,
    others_text,
)
from explorer.projections.timeline_counts import TimelineCounts
from explorer.runtime.inbox import ServeInbox
from explorer.sagas import SagaManager, SagaManagerStatus
from explorer.sagas.backoff import TRANSIENT_ERRORS, Backoff, Stopped
from explorer.sagas.manager import untold
from explorer.store import StoreError, StoreOpenError
from explorer.store.errors import connection_lost
from explorer.store.watch import CommitWatcher
from explorer.system import System
from explorer.system.workspace import open_store, remember_system

POLL_INTERVAL_S = 0.05
CLAIM_EVERY_S = 1.0  # how often a runner that advances only some of the work asks for the rest
LOOK_EVERY_S = 1.0  # how often a runner looks for others keeping the same read models
RATE_WINDOW_S = 5.0
RETRY_MOST_WAIT_S = 0.2  # between attempts after a transient failure of a whole pass
RETRY_REPORT_EVERY_S = 10.0  # while it lasts, `serve` repeats its message this often
CHUNK_POSITIONS = 20_000
"""Positions a projection handles a transaction here (the engine's default is 50,000): what a
chunk holds (its events' rows, its writes) is the runner's peak memory while it catches up.
Catching up the 1M-event demo store from zero: peak RSS 410 MB at 50,000, 321 MB at 20,000,
for 74 and 76 CPU-seconds."""

_ProjectionStatusSaved = Annotated[ProjectionStatus, PlainSerializer(ProjectionStatus.to_dict)]


@dataclass(frozen=True)
class RunnerStatus(JsonForm):
    """A snapshot of what the runner knows, for panels and status lines; `to_dict()` is what
    `run --serve` sends to the window, `from_dict` what the window reads."""

    at: float  # time.time() when taken
    last_position: int
    projections: tuple[_ProjectionStatusSaved, ...]
    sagas: tuple[SagaManagerStatus, ...]
    appended_per_s: float
    handled_per_s: dict[str, float] = field(default_factory=dict)
    busy: bool = False
    sagas_enabled: bool = False
    retrying: str | None = None
    """What passing trouble the runner is waiting out (a lock, ...), if any; it will retry."""
    others: tuple[str, ...] = ()
    """The other runners keeping the same read models, as of the runner's last look, each as
    RunnerPresence.text says it (they share the work)."""
    left_to_others: tuple[str, ...] = ()
    """Of the runner's work (projections' names, sagas' as `saga:NAME`), what another runner
    advances as of its last claim (on a server, where each is advanced by one runner at a
    time; in a file they share all of it: none)."""


@dataclass
class _Sample:
    at: float
    last_position: int
    handled: dict[str, int]


class Runner(Closable):
    """Projections and sagas of one store, the system's own. One thread uses a runner at a time.

    The sagas' commands get the context `system.make_context(**context_options)` (the options
    the system's context does not take are left out: a simulated gateway's failure rate, say).
    A runner whose sagas may write records the system in the store (see
    `workspace.remember_system`; `spec` is how it was named, for one loaded by module path), in
    its next pass, before they write: a store locked by another program is then waited out as
    in any pass, rather than ending the runner as it starts or as its sagas are turned on.
    """

    def __init__(self, location: str, system: System, *, read_only: bool = False,
                 run_sagas: bool = True, context_options: Mapping[str, Any] | None = None,
                 projections: Sequence[Projection] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 spec: str | None = None, clock: Callable[[], int] = now_micros,
                 role: str = "run") -> None:
        # progress: while a store from before the hash chain is linked (see EventStore.open);
        # clock: the time the sagas' events and their steps' commands are stamped with;
        # role: what this runner is, as others are told of it ("run", "window")
        self.system = system
        self._clock = clock
        self.store = open_store(location, system=system, read_only=read_only, progress=progress)
        try:
            self.db = open_read_models(self.store.location, self.store.read_only)
        except BaseException:
            self.store.close()
            raise
        try:
            self.engine = ProjectionEngine(self.store, self.db,
                                           projections if projections is not None
                                           else system.projections(), chunk=CHUNK_POSITIONS)
            local = self.db.local()  # the timeline's histogram, counted first
            if local is None:
                raise StoreOpenError(f"No read-model file for {self.store.location}.")
            self.timeline = TimelineCounts(local)
        except BaseException:
            self.db.close()
            self.store.close()
            raise
        self.read_only = self.store.read_only  # also when it could not be opened for writing
        self._context_options = dict(context_options or {})
        self._spec = spec
        self._system_unrecorded = False  # sagas may write: the store is to name the system
        self.sagas: list[SagaManager] = []
        self.set_sagas(run_sagas)
        self._samples: deque[_Sample] = deque()
        self.busy = False
        self.retrying: str | None = None  # the transient failure being waited out
        self.failed_attempts = 0  # of the pass being retried (0: the last pass went through)
        self.fulltext: FullTextIndex | None = None  # kept up to date once someone built it
        self.advancing: frozenset[str] = frozenset()  # what the last `claim` gave this runner
        self._claimed = False  # whether `advancing` says what a claim gave (not yet asked)
        self.cut: CutRebuild | None = None  # the rebuild `serve` had when its connection was lost
        self.presence = RunnerPresence.mine(role)  # said in the read models by `presence_news`
        self._announced = False
        self._next_look = self._next_refresh = 0.0
        self.others: tuple[RunnerPresence, ...] = ()  # as of the last look
        self._told: dict[str, RunnerPresence] = {}  # the others this runner's user was told of

    def set_sagas(self, enabled: bool) -> None:
        """Run the sagas too, or stop running them (a read-only store never runs them)."""
        if not enabled or self.read_only:
            self.db.release(saga_work(manager) for manager in self.sagas)
            self.sagas = []
            return
        if self.sagas:
            return
        if not self.system.sagas:
            return
        self._system_unrecorded = True  # (recorded by the next pass: a lock there is waited out)
        context = self.system.make_context(**self._context_options)
        service = CommandService(self.store, self.system.domain, context=context,
                                 issued_by="saga:runner", clock=self._clock)
        self.sagas = [SagaManager(saga, service) for saga in self.system.sagas]

    def close(self) -> None:
        try:
            if self._announced:  # (a row left, its process gone, is taken out by the next look)
                with suppress(Exception):
                    self.db.withdraw(self.presence)
            if self.fulltext is not None:
                self.fulltext.close()
            self.db.close()
        finally:
            self.store.close()

    # -- doing the work --------------------------------------------------------------------

    def run_pending(self, should_stop: Callable[[], bool] | None = None,
                    on_retry: Callable[[Exception], None] | None = None,
                    on_progress: Callable[[], None] | None = None) -> int:
        """Handle everything there is to handle, including what sagas' steps append; the
        number of events handled (by sagas and projections together). `on_progress()` is
        called as it goes (after each chunk of a saga's or a projection's events, each pass),
        for status reports: a long catch-up is seen moving.

        A transient failure (TRANSIENT_ERRORS: a lock held too long, a conflict) is raised; with
        `on_retry`, it is reported there instead (see `retrying` and `failed_attempts`) and the
        work tried again after a short wait, until it goes through or `should_stop()` is true.
        """
        total = 0
        backoff = Backoff(should_stop, most_s=RETRY_MOST_WAIT_S)
        progress = (lambda _done, _last: on_progress()) if on_progress is not None else None
        self.busy = True
        try:
            while should_stop is None or not should_stop():
                try:
                    # (the event types' totals of read models made before them, a batch a
                    # pass: the projections and sagas are not held up for the whole log)
                    self.timeline.catch_up(self.store, should_stop=should_stop, type_batches=1)
                    self.engine.take_back()  # (handed over, started over by this code since)
                    self.advancing = self.db.claim(self.work())
                    self._claimed = True
                    waiting: Exception | None = None
                    try:
                        done = self._run_sagas(should_stop, progress)
                    except TRANSIENT_ERRORS as error:  # (the projections only read the store:
                        waiting, done = error, 0  # they go on while the sagas wait for it)
                    done += self.engine.catch_up_all(should_stop=should_stop,
                                                     names=self.advancing, progress=progress)
                    done += self._index_text(should_stop)
                    if waiting is not None:
                        raise waiting
                except TRANSIENT_ERRORS as error:
                    if on_retry is None:
                        raise
                    self.failed_attempts += 1
                    self.retrying = str(error)
                    on_retry(error)
                    try:
                        backoff.wait()
                    except Stopped:
                        break
                    continue
                backoff.reset()
                self.retrying = None
                self.failed_attempts = 0
                total += done
                if done == 0 and not self.timeline.event_types_behind():
                    break
                if on_progress is not None:
                    on_progress()
        finally:
            self.busy = False
        return total

    def _run_sagas(self, should_stop: Callable[[], bool] | None,
                   progress: Callable[[int, int], None] | None) -> int:
        """Carry out the steps of the sagas this runner advances; the events handled."""
        if self._system_unrecorded and self.sagas:  # (before they write)
            remember_system(self.store, self.system, self._spec)
            self._system_unrecorded = False
        return sum(manager.catch_up(should_stop=should_stop, progress=progress)
                   for manager in self.sagas if saga_work(manager) in self.advancing)

    def work(self) -> list[str]:
        """What this runner would advance alone: its projections' names (but those another
        program's code took over: ProjectionEngine.handed_over), its sagas' (`saga:NAME`)."""
        return [*(name for name in self.engine.names if name not in self.engine.handed_over),
                *(saga_work(manager) for manager in self.sagas)]

    def presence_news(self) -> list[str]:
        """Say in the read models that this runner keeps them (refreshed every REFRESH_EVERY_S),
        look for the other runners that do (at most every LOOK_EVERY_S: `others`), and return
        what to tell the user since the last call: others found (once each, while they run),
        and those told of that stopped. `run_forever` and `serve` call it between passes."""
        now = time.monotonic()
        if now < self._next_look:
            return []
        self._next_look = now + LOOK_EVERY_S
        try:
            if not self._announced or now >= self._next_refresh:
                self.db.announce(self.presence)
                self._announced = True
                self._next_refresh = now + REFRESH_EVERY_S
            others = self.db.other_runners(self.presence)
        except TRANSIENT_ERRORS:  # (a lock held long, say: looked at again next time)
            return []
        self.others = tuple(others)
        running = {other.id for other in others}
        news = [gone_text(self._told.pop(told)) for told in list(self._told)
                if told not in running]
        found = [other for other in others if other.id not in self._told]
        if found:
            self._told.update((other.id, other) for other in found)
            news.append(others_text(found))
        return news

    def advances_all(self) -> bool:
        """Whether no other runner advances any of this runner's work (as of the last pass)."""
        return self.advancing.issuperset(self.work())

    def _index_text(self, should_stop: Callable[[], bool] | None) -> int:
        """Index new events for searching, once the full-text index is built (a search in the
        window or `events --search` builds it first: explorer.projections.fulltext)."""
        if self.fulltext is None:
            path = fulltext_path(self.store.location, self.store.read_only)
            if not path.exists():
                return 0
            self.fulltext = FullTextIndex(path)
        if not self.fulltext.built():
            return 0
        return self.fulltext.catch_up(self.store, should_stop=should_stop)

    def run_forever(self, stop: threading.Event,
                    on_status: Callable[[RunnerStatus], None] | None = None,
                    status_every_s: float = 0.5, interval_s: float = POLL_INTERVAL_S,
                    on_note: Callable[[str], None] | None = None) -> None:
        """Keep up until `stop` is set, reporting status now and then (at once when transient
        trouble begins: it is retried, never the end). A saga that faults stops alone (see
        explorer.sagas.manager); its status says so. `on_note(text)`: other runners keeping the
        same read models found, or stopped (presence_news)."""
        commits = CommitWatcher(self.store.data_version)
        next_status = 0.0
        next_claim = time.monotonic() + CLAIM_EVERY_S

        def report(force: bool = False) -> None:
            nonlocal next_status
            if on_status is not None and (force or time.monotonic() >= next_status):
                on_status(self.status())
                next_status = time.monotonic() + status_every_s

        def look() -> None:  # (between passes: for the others running, see presence_news)
            for text in self.presence_news():
                if on_note is not None:
                    on_note(text)

        look()
        while not stop.is_set():
            self.run_pending(stop.is_set, on_retry=lambda error: report(
                force=self.failed_attempts == 1), on_progress=report)
            look()
            report()
            while not stop.wait(interval_s) and not commits.changed():
                look()
                report()
                if not self.advances_all() and time.monotonic() >= next_claim:
                    break  # ask for what another runner advanced: it may have stopped
            next_claim = time.monotonic() + CLAIM_EVERY_S

    def rebuild(self, name: str, progress: Callable[[int, int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> int:
        self.engine.projection(name)  # a clear error for an unknown name
        self.busy = True
        try:
            return self.engine.rebuild(name, progress=progress, should_stop=should_stop)
        finally:
            self.busy = False

    def retry(self, name: str) -> None:
        """Handle a faulted projection's or saga's failing event again: `saga:NAME` is a saga,
        a plain name the projection of that name, else the saga (a saga's instance listing may
        share its saga's name)."""
        for manager in self.sagas:
            if name == saga_work(manager) or (name == manager.saga.name
                                              and name not in self.engine.names):
                manager.retry()
                return
        self.engine.retry(name)

    def skip(self, name: str) -> int:
        return self.engine.skip(name)

    # -- reporting -------------------------------------------------------------------------

    def serve(self, inbox: ServeInbox, emit: Callable[[dict[str, Any]], None],
              status_every_s: float = 0.5,
              between_passes: Callable[[], None] | None = None) -> None:
        """Keep up, and carry out the inbox's commands, until its `stop` is set; report through
        `emit`.

        Commands are dicts: {"rebuild": name}, {"retry": name}, {"skip": name},
        {"sagas": bool}, {"status": true}. Messages are {"status": {...}},
        {"progress": [name, done, last]}, {"finished": name}, {"failed": text} and {"note":
        text} (other runners keeping the same read models found or stopped: presence_news;
        from `run --serve`, across a lost connection).
        The inbox's `cancel` stops a rebuild that is running (what it rebuilt is kept, and the
        rest is caught up as usual). A rebuild the inbox marked {"cancelled": true} (a cancel
        came before it was begun) is not begun. A rebuild that something else stopped (the
        connection to the store's server lost, say) ends as {"finished": name, "cut": text},
        the text saying where it stopped and what comes next; a lost connection is then raised
        (`run --serve` opens the runner again once the server is back: see `cut` and
        `cut_rebuild_note`).
        `between_passes()` is called between passes (never during one or a rebuild), at most
        every `status_every_s`; what it raises ends `serve` (`run --serve` stops so once its
        read models' file is gone).
        """
        commands, stop, cancel = inbox.commands, inbox.stop, inbox.cancel
        next_status = [0.0]

        def report(force: bool = False) -> None:
            if force or time.monotonic() >= next_status[0]:
                next_status[0] = time.monotonic() + status_every_s
                emit({"status": self.status().to_dict()})

        def progress(name: str, done: int, last: int) -> None:
            emit({"progress": [name, done, last]})
            report()

        def guarded(work: Callable[[], object]) -> None:
            try:
                work()
            except (StoreError, ValueError) as error:
                emit({"failed": str(error)})

        next_check = [0.0]

        def check() -> None:
            if between_passes is not None and time.monotonic() >= next_check[0]:
                next_check[0] = time.monotonic() + status_every_s
                between_passes()

        last_retry_message = [0.0]

        def retrying(error: Exception) -> None:
            now = time.monotonic()
            if self.failed_attempts == 1 or now - last_retry_message[0] >= RETRY_REPORT_EVERY_S:
                last_retry_message[0] = now
                emit({"failed": f"{error} The runner keeps retrying."})
                report(force=True)
            else:
                report()

        told: set[tuple[str, int]] = set()

        def tell_faults() -> None:  # a saga that faulted, once each time (the status says it)
            for text in untold(((m.saga.name, m.fault) for m in self.sagas), told):
                emit({"failed": f"{text}. The projections and the other sagas go on; Retry "
                                "in the Sagas tab tries it again."})

        def look() -> None:  # (between passes: for the others running, see presence_news)
            for text in self.presence_news():
                emit({"note": text})

        commits = CommitWatcher(self.store.data_version)
        next_claim = time.monotonic() + CLAIM_EVERY_S
        look()
        while not stop.is_set():
            while True:
                try:
                    command = commands.get_nowait()
                except queue.Empty:
                    break
                if "rebuild" in command:
                    name = command["rebuild"]
                    cancel.clear()  # (a cancel of an earlier rebuild; this one's marks it)
                    if command.get("cancelled"):
                        emit({"finished": name})
                    else:
                        self._serve_rebuild(name, emit, partial(progress, name),
                                            lambda: cancel.is_set() or stop.is_set())
                elif "retry" in command:
                    told.clear()  # (a retry that fails again is said again)
                    guarded(partial(self.retry, command["retry"]))
                elif "skip" in command:
                    guarded(partial(self.skip, command["skip"]))
                elif "sagas" in command:
                    told.clear()
                    self.set_sagas(bool(command["sagas"]))
                report(force=True)
            guarded(lambda: self.run_pending(stop.is_set, on_retry=retrying, on_progress=report))
            tell_faults()
            look()
            report()
            check()
            while not stop.is_set():  # wait for a commit anywhere, or a command
                try:
                    commands_waiting = not commands.empty()
                except Exception:  # a closed queue: stop
                    return
                if commands_waiting:
                    break
                if stop.wait(POLL_INTERVAL_S):
                    return
                if commits.changed():
                    break
                if not self.advances_all() and time.monotonic() >= next_claim:
                    break  # ask for what another runner advanced: it may have stopped
                look()
                report()
                check()
            next_claim = time.monotonic() + CLAIM_EVERY_S

    def _serve_rebuild(self, name: str, emit: Callable[[dict[str, Any]], None],
                       progress: Callable[[int, int], None],
                       should_stop: Callable[[], bool]) -> None:
        """Rebuild `name` for `serve`, its end always said: {"finished": name}, after a
        {"failed": text} for a refusal, or with a "cut" text for a rebuild something stopped
        half-way (a lost connection, passing trouble, a fault in the code: see `serve`)."""
        reached: list[tuple[int, int]] = []

        def rebuilt_to(done: int, last: int) -> None:
            reached[:] = [(done, last)]
            progress(done, last)

        try:
            self.rebuild(name, progress=rebuilt_to, should_stop=should_stop)
        except Exception as error:
            where = reached[0] if reached else None
            if isinstance(error, TRANSIENT_ERRORS):  # (the read models' connection made again,
                emit({"finished": name, "cut": _cut_text(name, where, (  # a lock held long)
                    f"{error_line(error)}. The runner rebuilds the rest as it catches up."))})
                return
            if connection_lost(error):  # (run --serve opens the runner again: see `cut`)
                self.cut = CutRebuild(name, where)
                emit({"finished": name, "cut": self.cut.text()})
                raise
            if isinstance(error, (StoreError, ValueError)):
                emit({"failed": str(error)})
                emit({"finished": name})
                return
            emit({"finished": name, "cut": _cut_text(name, where, (  # a fault: the runner ends
                f"{type(error).__name__}: {error_line(error)}"))})
            raise
        emit({"finished": name})

    def cut_rebuild_note(self, cut: CutRebuild) -> str:
        """What became of a rebuild a lost connection cut (`cut`, the runner before this one's),
        now that this runner is open: said by `run --serve` once the server is back."""
        status = next(p for p in self.engine.statuses() if p.name == cut.name)
        if status.state == "rebuilding":
            return (f"The store's server is back: rebuilding {cut.name} goes on from position "
                    f"{status.checkpoint:,} of {status.rebuild_target or status.last_position:,}.")
        if cut.reached is None:
            return (f"{cut.name} was not rebuilt: the connection to the store's server was lost "
                    f"before its rebuild began, and its rows are as they were ({status.state} at "
                    f"position {status.checkpoint:,}). Rebuild starts it again.")
        return f"{cut.name} is rebuilt ({status.state} at position {status.checkpoint:,})."

    def starting_point(self) -> str:
        """Where this runner, just opened, starts its read models, as a clause: built anew from
        the first event (a read-models file made anew, deleted say, or all of them started
        over), going on from the earliest event one of them has yet to handle, or up to date.
        Said when a runner is started again, so that no one is told it goes on when it starts
        over. "" when it keeps nothing (no projections, no sagas)."""
        checkpoints = [p.checkpoint for p in self.engine.statuses()]
        checkpoints += [manager.checkpoint for manager in self.sagas]
        if not checkpoints:
            return ""
        last = self.store.last_position()
        if last == 0:
            return "the store holds no events yet"
        earliest = min(checkpoints)
        if earliest >= last:
            return f"the read models are up to date (event {last:,} of {last:,})"
        if max(checkpoints) == 0:
            return f"the read models are built anew, from event 1 of {last:,}"
        return f"the read models go on from event {earliest + 1:,} of {last:,}"

    def status(self) -> RunnerStatus:
        projections = tuple(self.engine.statuses())
        sagas = tuple(manager.status() for manager in self.sagas)
        last = self.store.last_position()
        now = time.time()
        handled = {p.name: p.processed for p in projections}
        handled.update({s.name: s.processed for s in sagas})
        self._samples.append(_Sample(now, last, handled))
        while len(self._samples) > 2 and now - self._samples[0].at > RATE_WINDOW_S:
            self._samples.popleft()
        first = self._samples[0]
        span = now - first.at
        appended = (last - first.last_position) / span if span > 0 else 0.0
        rates = {name: max(0.0, (count - first.handled.get(name, count)) / span)
                 if span > 0 else 0.0 for name, count in handled.items()}
        left = tuple(name for name in self.work() if name not in self.advancing) \
            if self._claimed and self.others else ()
        return RunnerStatus(now, last, projections, sagas, max(0.0, appended), rates, self.busy,
                            bool(self.sagas), self.retrying,
                            tuple(other.text() for other in self.others), left)


@dataclass(frozen=True)
class CutRebuild:
    """A rebuild a lost connection to the store's server stopped: its projection, and the
    position it had rebuilt to of the last it was going to (None: no chunk was in yet)."""

    name: str
    reached: tuple[int, int] | None

    def text(self) -> str:
        """What the window is told (and `run --serve`'s next runner says more: see
        Runner.cut_rebuild_note)."""
        if self.reached is None:
            return (f"Rebuilding {self.name} stopped before its first events were rebuilt: the "
                    "connection to the store's server was lost. Once it is back, the runner "
                    "says whether the rebuild goes on.")
        return _cut_text(self.name, self.reached, (
            "the connection to the store's server was lost. What it rebuilt is kept, and the "
            "runner rebuilds the rest once the server is back."))


def error_line(error: BaseException) -> str:
    """An error's first line (the driver's own where SQLAlchemy wraps it), without its full
    stop, as `visible` shows it: a server's message has several."""
    text = str(getattr(error, "orig", None) or error).strip()
    return visible((text.splitlines() or [type(error).__name__])[0].rstrip("."))


def _cut_text(name: str, reached: tuple[int, int] | None, why: str) -> str:
    """One line: a rebuild stopped (where, when known), why, and what comes next."""
    where = f" at position {reached[0]:,} of {reached[1]:,}" if reached is not None else ""
    return f"Rebuilding {name} stopped{where}: {why}"


def saga_work(manager: SagaManager) -> str:
    """The name a saga manager's work is claimed by (beside the projections' names)."""
    return f"saga:{manager.saga.name}"
