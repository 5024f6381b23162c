"""A worker for the questions asked of history: Find when and Compare two moments.

Both may read for a second or more (a long stream folded, a read model's row versions); run on
the time cursor's worker they would hold up scrubbing, so they have a thread and read-only
connections of their own (the store's, and its read models' once built), opened again with each
store the window opens. A job gets the worker's context and the TimeMachine over it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine
from explorer.ui.time_cursor import TRAVEL_CACHE_MB, _machine
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem, StoreSummary

HistoryJob = Callable[[TimeMachine, JobContext], Any]


class HistoryWorker(QObject):
    """Runs history jobs for the store open in the window, one at a time, off the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = StoreWorker(self)
        self.location: str | None = None
        self.generation = 0

    def show_store(self, summary: StoreSummary, loaded: LoadedSystem) -> None:
        """Open the store (read-only) on the worker, with the system it is explored with."""
        self.generation += 1
        self.location = summary.location
        location, system, read_only = summary.location, loaded.system, summary.read_only

        def open_it(context: JobContext) -> None:
            store = open_store(location, system=system, read_only=True)
            store.limit_cache(TRAVEL_CACHE_MB)
            context.set_store(store, opened_read_only=read_only)
            context.cache["system"] = system

        self.worker.submit(open_it, on_error=lambda _error: None, key="open")

    def submit(self, job: HistoryJob, on_done: Callable[[Any], None], *,
               on_error: Callable[[Exception], None], key: Hashable | None = None,
               on_progress: Callable[[Any], None] | None = None) -> int | None:
        """Run `job(machine, context)`; its result goes to `on_done` unless another store was
        opened meanwhile. None (and nothing runs) while no store is open."""
        if self.location is None:
            return None
        generation = self.generation

        def run(context: JobContext) -> Any:
            return job(_machine(context), context)

        def done(result: Any) -> None:
            if generation == self.generation:
                on_done(result)

        def failed(error: Exception) -> None:
            if generation == self.generation:
                on_error(error)

        return self.worker.submit(run, done, on_error=failed, key=key, on_progress=on_progress)

    def close(self) -> None:
        self.location = None
        self.generation += 1
        self.worker.shutdown()
