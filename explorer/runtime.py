"""The runner: keeps a store's projections and sagas up to date, now and as events arrive.

Used by `run` and `project` on the command line and, on a thread of its own, by the window. It
owns its own connections. New events from this process or any other are noticed by polling
`PRAGMA data_version` (a few microseconds a poll), so they take effect within about a poll
interval plus the time to handle them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from explorer.demo import DEMO_DOMAIN, SAGAS, make_context
from explorer.demo.projections import shop_projections
from explorer.domain import CommandService
from explorer.projections import (
    Projection, ProjectionEngine, ProjectionStatus, ReadModelDatabase, read_model_path,
)
from explorer.sagas import SagaManager, SagaManagerStatus
from explorer.workspace import open_store

POLL_INTERVAL_S = 0.05
RATE_WINDOW_S = 5.0


@dataclass(frozen=True)
class RunnerStatus:
    """A snapshot of what the runner knows, for panels and status lines."""

    at: float  # time.time() when taken
    last_position: int
    projections: tuple[ProjectionStatus, ...]
    sagas: tuple[SagaManagerStatus, ...]
    appended_per_s: float
    handled_per_s: dict[str, float] = field(default_factory=dict)
    busy: bool = False
    sagas_enabled: bool = False


@dataclass
class _Sample:
    at: float
    last_position: int
    handled: dict[str, int]


class Runner:
    """Projections and sagas of one store. One thread uses a runner at a time."""

    def __init__(self, location: str, *, read_only: bool = False, run_sagas: bool = True,
                 payment_failure_rate: float = 0.1, payment_latency_s: float = 0.0,
                 projections: Sequence[Projection] | None = None) -> None:
        self.store = open_store(location, read_only=read_only)
        try:
            self.db = ReadModelDatabase(read_model_path(self.store.location, read_only))
            self.engine = ProjectionEngine(self.store, self.db,
                                           projections if projections is not None
                                           else shop_projections())
        except BaseException:
            self.store.close()
            raise
        self.read_only = read_only
        self._payment = (payment_failure_rate, payment_latency_s)
        self.sagas: list[SagaManager] = []
        self.set_sagas(run_sagas)
        self._samples: deque[_Sample] = deque()
        self.busy = False

    def set_sagas(self, enabled: bool) -> None:
        """Run the sagas too, or stop running them (a read-only store never runs them)."""
        if not enabled or self.read_only:
            self.sagas = []
            return
        if self.sagas:
            return
        failure_rate, latency_s = self._payment
        context = make_context(failure_rate=failure_rate, latency_s=latency_s)
        service = CommandService(self.store, DEMO_DOMAIN, context=context,
                                 issued_by="saga:runner")
        self.sagas = [SagaManager(saga, service) for saga in SAGAS]

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            self.store.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- doing the work --------------------------------------------------------------------

    def run_pending(self, should_stop: Callable[[], bool] | None = None) -> int:
        """Handle everything there is to handle, including what sagas' steps append; the
        number of events handled (by sagas and projections together)."""
        total = 0
        self.busy = True
        try:
            while should_stop is None or not should_stop():
                done = sum(manager.catch_up(should_stop=should_stop) for manager in self.sagas)
                done += self.engine.catch_up_all(should_stop=should_stop)
                total += done
                if done == 0:
                    break
        finally:
            self.busy = False
        return total

    def run_forever(self, stop: threading.Event,
                    on_status: Callable[[RunnerStatus], None] | None = None,
                    status_every_s: float = 0.5, interval_s: float = POLL_INTERVAL_S) -> None:
        """Keep up until `stop` is set, reporting status now and then."""
        version = self.store.data_version()
        next_status = 0.0
        while not stop.is_set():
            self.run_pending(stop.is_set)
            if on_status is not None and time.monotonic() >= next_status:
                on_status(self.status())
                next_status = time.monotonic() + status_every_s
            while not stop.wait(interval_s):
                current = self.store.data_version()
                if current != version:
                    version = current
                    break
                if on_status is not None and time.monotonic() >= next_status:
                    on_status(self.status())
                    next_status = time.monotonic() + status_every_s

    def rebuild(self, name: str, progress: Callable[[int, int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> int:
        self.engine.projection(name)  # a clear error for an unknown name
        self.busy = True
        try:
            return self.engine.rebuild(name, progress=progress, should_stop=should_stop)
        finally:
            self.busy = False

    def retry(self, name: str) -> None:
        self.engine.retry(name)

    def skip(self, name: str) -> int:
        return self.engine.skip(name)

    # -- reporting -------------------------------------------------------------------------

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
        return RunnerStatus(now, last, projections, sagas, max(0.0, appended), rates, self.busy,
                            bool(self.sagas))
