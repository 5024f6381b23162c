"""Store work off the GUI thread: a job runner with its own connection, and a change watcher.

`StoreWorker.submit(job, on_done)` runs `job(context)` on the worker thread, where
`context.store` is the worker's own EventStore; the result comes back to `on_done` on the GUI
thread. Jobs given the same `key` supersede each other: only the newest runs (or finishes), so a
user typing a filter or dragging a scrollbar never queues up stale work.

`ChangeWatcher` polls the store file from a thread of its own and emits `changed` when any
connection (another process, or this process's worker) appended events.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from explorer.common.cancel import Cancelled
from explorer.common.closable import Closable
from explorer.projections import ReadModelDatabase
from explorer.projections.database import ReadModelsMissingError, open_read_models
from explorer.store import EventStore, StoreError
from explorer.store.watch import AppendWatcher
from explorer.system import NO_SYSTEM
from explorer.system.workspace import open_store

log = logging.getLogger(__name__)

Job = Callable[["JobContext"], Any]


class JobContext:
    """What a job sees: the worker's store, and a way to report progress (or learn it is moot)."""

    def __init__(self, core: _WorkerCore, job_id: int) -> None:
        self._core = core
        self.job_id = job_id

    @property
    def store(self) -> EventStore:
        if self._core.store is None:
            raise StoreError("No store is open.")
        return self._core.store

    def set_store(self, store: EventStore | None, *,
                  opened_read_only: bool | None = None) -> None:
        """Make `store` the worker's store (closing the previous one, its read models and what
        jobs kept for it that has a `close`: a full-text index).

        `opened_read_only` says how the window opened the store, when this connection differs
        (a read-only connection to a writable store): it decides where the read models are.
        """
        if self._core.readmodels is not None:
            self._core.readmodels.close()
            self._core.readmodels = None
        if self._core.store is not None:
            self._core.store.close()
        self._core.store = store
        self._core.opened_read_only = (opened_read_only if opened_read_only is not None
                                       else store is not None and store.read_only)
        for kept in self._core.cache.values():  # on this thread, which opened them
            if isinstance(kept, Closable):
                kept.close()
        self._core.cache.clear()

    @property
    def opened_read_only(self) -> bool:
        """Whether the window opened the store read-only: its derived files are then in the
        cache folder (see `set_store`)."""
        return self._core.opened_read_only

    @property
    def cache(self) -> dict[Hashable, Any]:
        """Things jobs keep between runs for the current store (cleared when it changes)."""
        return self._core.cache

    @property
    def readmodels(self) -> ReadModelDatabase:
        """A read-only connection to the store's read models (they are written by the runner),
        opened again once their file was deleted, moved or replaced: the runner then stops, and
        the one started again makes them anew in a file of the same name."""
        if self._core.readmodels is not None and self._core.readmodels.file_changed():
            self._core.readmodels.close()
            self._core.readmodels = None
        if self._core.readmodels is None:
            store = self.store
            try:
                self._core.readmodels = open_read_models(
                    store.location, self._core.opened_read_only, read_only=True)
            except ReadModelsMissingError:
                raise StoreError("The read models are not built yet; they will be shortly."
                                 ) from None
        return self._core.readmodels

    def progress(self, value: Any = None) -> None:
        """Report progress to the GUI; raises Cancelled if the result is no longer wanted."""
        if self.cancelled:
            raise Cancelled()
        if value is not None:
            self._core.progressed.emit(self.job_id, value)

    @property
    def cancelled(self) -> bool:
        return self._core.is_cancelled(self.job_id)


@dataclass
class _Pending:
    job: Job
    key: Hashable | None
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Exception], None] | None
    on_progress: Callable[[Any], None] | None


class _WorkerCore(QObject):
    """Lives on the worker thread; runs jobs in order."""

    finished = Signal(int, object)
    failed = Signal(int, object)
    progressed = Signal(int, object)
    run_job = Signal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self.store: EventStore | None = None
        self.readmodels: ReadModelDatabase | None = None
        self.cache: dict[Hashable, Any] = {}
        self.opened_read_only = False
        self._lock = threading.Lock()
        self._cancelled: set[int] = set()
        self._latest: dict[Hashable, int] = {}
        self._keys: dict[int, Hashable] = {}
        self.run_job.connect(self._run)

    def register(self, job_id: int, key: Hashable | None) -> None:
        with self._lock:
            if key is not None:
                self._latest[key] = job_id
                self._keys[job_id] = key

    def cancel(self, job_id: int) -> None:
        with self._lock:
            self._cancelled.add(job_id)

    def is_cancelled(self, job_id: int) -> bool:
        with self._lock:
            if job_id in self._cancelled:
                return True
            key = self._keys.get(job_id)
            return key is not None and self._latest.get(key) != job_id

    @Slot(int, object)
    def _run(self, job_id: int, job: Job) -> None:
        try:
            if self.is_cancelled(job_id):
                raise Cancelled()
            result = job(JobContext(self, job_id))
            if self.is_cancelled(job_id):
                raise Cancelled()
        except Cancelled:
            self.finished.emit(job_id, Cancelled)
        except Exception as error:  # every failure goes back to the GUI, never lost in a thread
            if not isinstance(error, StoreError | ValueError):
                log.exception("job %s failed", job_id)
            self.failed.emit(job_id, error)
        else:
            self.finished.emit(job_id, result)
        finally:
            with self._lock:
                self._cancelled.discard(job_id)
                key = self._keys.pop(job_id, None)
                if key is not None and self._latest.get(key) == job_id:
                    del self._latest[key]


class StoreWorker(QObject):
    """The GUI thread's handle on the worker thread.

    Signals:
        busy_changed(bool): True while any job is queued or running.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._thread = QThread()
        self._thread.setObjectName("store-worker")
        self._core = _WorkerCore()
        self._core.moveToThread(self._thread)
        self._core.finished.connect(self._on_finished)
        self._core.failed.connect(self._on_failed)
        self._core.progressed.connect(self._on_progress)
        self._thread.start()

    def submit(self, job: Job, on_done: Callable[[Any], None] | None = None, *,
               on_error: Callable[[Exception], None] | None = None,
               on_progress: Callable[[Any], None] | None = None,
               key: Hashable | None = None) -> int:
        """Queue `job`; its result (or error) comes back on the GUI thread. The job's id."""
        job_id = next(self._ids)
        self._pending[job_id] = _Pending(job, key, on_done, on_error, on_progress)
        self._core.register(job_id, key)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._core.run_job.emit(job_id, job)
        return job_id

    def cancel(self, job_id: int) -> None:
        self._core.cancel(job_id)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def _take(self, job_id: int) -> _Pending | None:
        pending = self._pending.pop(job_id, None)
        if not self._pending:
            self.busy_changed.emit(False)
        return pending

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: Any) -> None:
        pending = self._take(job_id)
        if pending is not None and result is not Cancelled and pending.on_done is not None:
            pending.on_done(result)

    @Slot(int, object)
    def _on_failed(self, job_id: int, error: Exception) -> None:
        pending = self._take(job_id)
        if pending is None:
            return
        if pending.on_error is not None:
            pending.on_error(error)
        else:
            log.error("unhandled job error: %s", error)

    @Slot(int, object)
    def _on_progress(self, job_id: int, value: Any) -> None:
        pending = self._pending.get(job_id)
        if pending is not None and pending.on_progress is not None:
            pending.on_progress(value)

    def shutdown(self) -> None:
        """Close the store on the worker thread and stop the thread (once: a window closed
        twice asks again, and a stopped thread would never answer the close, waited for 10 s)."""
        if not self._thread.isRunning():
            return
        for job_id in list(self._pending):
            self._core.cancel(job_id)
        done = threading.Event()

        def close(context: JobContext) -> None:
            context.set_store(None)
            done.set()
        self._core.run_job.emit(0, close)
        done.wait(10)
        self._thread.quit()
        self._thread.wait(10_000)


class ChangeWatcher(QThread):
    """Polls a store file for appended events from a thread and connection of its own.

    Signals:
        changed(int): the new last position, within about `interval_s` of a commit; at once
            when the log already ends after `since` (where the window's view of it ends).
        reconnecting(bool): a store on a server lost its connection (True) and is connecting
            again; False once it is back (it then goes on from where it was).
        gone(bool): the store's file was deleted, moved or replaced since it was opened (True);
            False once it is back.
    """

    changed = Signal(int)
    reconnecting = Signal(bool)
    gone = Signal(bool)

    def __init__(self, path: str, since: int | None = None, interval_s: float = 0.05,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("change-watcher")
        self._path = path
        self._since = since
        self._interval_s = interval_s
        self._stop = threading.Event()

    def run(self) -> None:
        try:
            store = open_store(self._path, system=NO_SYSTEM, read_only=True)
        except StoreError as error:
            log.warning("not watching %s: %s", self._path, error)
            return
        try:
            store.limit_cache(1)  # it only asks whether the file changed
            watcher = AppendWatcher(store, since=self._since)
            lost = gone = False
            while not self._stop.wait(self._interval_s):
                if store.file_changed() != gone:
                    gone = not gone
                    self.gone.emit(gone)
                try:
                    last = watcher.poll()
                except Exception as error:  # a locked or vanished file: keep trying quietly
                    log.debug("watch poll failed: %s", error)
                    last = None
                if getattr(store, "reconnecting", False) != lost:  # (a server's store)
                    lost = not lost
                    self.reconnecting.emit(lost)
                if last is not None:
                    self.changed.emit(last)
        finally:
            if lost:  # (no longer watched: nothing to say about it)
                self.reconnecting.emit(False)
            if gone:
                self.gone.emit(False)
            store.close()

    def stop(self) -> None:
        self._stop.set()
        self.wait(5000)
