"""The window's time machine: where the timeline's cursor is, what is shown there, playback, live.

It runs the core's TimeMachine on a worker of its own (its own thread and read-only connections),
so that scrubbing never waits behind the event list's work and the other way round. Requests are
coalesced: while one moment is being read, further moves only update what is wanted next, so a
fast drag shows the newest position as soon as the previous one is shown and never queues up.
"""

from __future__ import annotations

import time
from array import array
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from explorer.common.formatting import short_time
from explorer.store import StoreError
from explorer.system import System
from explorer.system.workspace import open_store
from explorer.timetravel.machine import MAX_SAMPLES, Moment, TimelineSamples, TimeMachine
from explorer.ui.cursor_moves import (
    MORE_ROWS,
    SPEEDS,
    CursorStatus,
    PlayTo,
    Speed,
    Step,
    Target,
    ToPosition,
    ToTime,
)
from explorer.ui.timers import single_shot
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.projections import ReadModelDatabase
    from explorer.ui.session import LoadedSystem, StoreSummary

TICK_MS = 33  # playback updates at most this often (about 30 a second)
SAMPLES_EVERY_MS = 1000  # the timeline's histogram grows with the log at most this often
QUIET_GAP_S = 2.0  # real-time playback skips stretches with nothing happening for longer
TRAVEL_CACHE_MB = 12  # scrubbing seeks all over the file: the OS's cache serves it as well


class TimeTravel(QObject):
    """Signals:
        moment_ready(object): a Moment, the system as of the cursor, to show.
        cursor_moved(int): the cursor is (or is about to be) at this position.
        live_changed(bool): True when the cursor follows the end of the log.
        status_changed(object): the CursorStatus, whenever the cursor, the log's end or
            following live changes.
        travelled(): the cursor was sent somewhere on request (a step, a typed place, the
            slider, playback, back to live), not only following the log.
        notice(str): what the user should know about where a request led (a time before the
            first event or after the last).
        samples_ready(object): TimelineSamples of the whole log (new or grown).
        stream_marks(object): (stream id, (positions, timestamps)) of the focused stream's
            events (arrays; sampled evenly for a very long stream).
        log_extended(int): the log now ends at this position.
        more_rows(object): (name, offset, ReadModelAt or None), a further page of a read
            model's rows as of the cursor, asked for by `show_more_rows`.
        playing_changed(bool)
        failed(str)
    """

    moment_ready = Signal(object)
    cursor_moved = Signal(int)
    live_changed = Signal(bool)
    status_changed = Signal(object)
    travelled = Signal()
    notice = Signal(str)
    samples_ready = Signal(object)
    stream_marks = Signal(object)
    log_extended = Signal(int)
    more_rows = Signal(object)
    playing_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = StoreWorker(self)
        self.location: str | None = None
        self.position = 0
        self._aim = 0  # where the cursor is headed: the newest position asked for
        self.stepping = False  # the cursor moves event by event (steps, slow playback)
        self.last_position = 0
        self.live = True
        self.stream_id: str | None = None
        self.saga_id: str | None = None
        self.samples: TimelineSamples | None = None
        self.moment: Moment | None = None
        self.speed = SPEEDS[3]
        self.in_stream = False
        self._generation = 0
        self._in_flight = False
        self._wanted: Target | None = None
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._tick)
        self._played_at = 0.0
        self._budget = 0.0
        self._clock_us = 0
        self._samples_timer = single_shot(self, SAMPLES_EVERY_MS, self._grow_samples)

    # -- the store -------------------------------------------------------------------------

    def show_store(self, summary: StoreSummary, loaded: LoadedSystem) -> None:
        """A store was opened: travel in it, with no stream or saga in focus."""
        self.set_focus(None, None)
        self.open(summary.location, summary.last_position, loaded.system, summary.read_only)

    def open(self, location: str, last_position: int, system: System,
             read_only: bool = False) -> None:
        """A store was opened in the window, to explore with `system`: start at its end,
        following it live."""
        self.pause()
        self._generation += 1
        self.location = location
        self.last_position = last_position
        self.position = self._aim = last_position
        self.samples = None
        self.moment = None
        self.saga_id = None
        self._wanted = None
        self._in_flight = False
        generation = self._generation

        def open_it(context: JobContext) -> TimelineSamples:
            store = open_store(location, system=system, read_only=True)
            store.limit_cache(TRAVEL_CACHE_MB)
            context.set_store(store, opened_read_only=read_only)
            context.cache["system"] = system
            return _machine(context).samples()

        self.worker.submit(open_it, lambda samples: self._samples_loaded(generation, samples),
                           on_error=self._job_failed, key="open")
        self._set_live(True)
        self._announce()
        self._want(ToPosition(last_position))

    def close(self) -> None:
        self.pause()
        self.worker.shutdown()

    def log_grew(self, last_position: int) -> None:
        """Events up to `last_position` exist now; the cursor follows them when live."""
        if last_position <= self.last_position:
            return
        self.last_position = last_position
        self.log_extended.emit(last_position)
        self._announce()
        if not self._samples_timer.isActive():
            self._samples_timer.start()
        if self.stream_id is not None:
            self._load_marks()
        if self.live:
            self._want(ToPosition(last_position))

    def _grow_samples(self) -> None:
        samples, generation = self.samples, self._generation
        if samples is None:
            return

        def grow(context: JobContext) -> TimelineSamples:
            machine = _machine(context)
            if len(samples.positions) > 2 * MAX_SAMPLES:
                return machine.samples()  # grown far past the limit: sample it afresh
            return machine.samples(after=samples)

        self.worker.submit(grow, lambda grown: self._samples_loaded(generation, grown),
                           on_error=self._job_failed, key="samples")

    def _samples_loaded(self, generation: int, samples: TimelineSamples) -> None:
        if generation == self._generation:
            self.samples = samples
            self.samples_ready.emit(samples)
            if samples.counting and not self._samples_timer.isActive():
                self._samples_timer.start()  # the runner is still counting: ask again soon

    # -- where the cursor goes -------------------------------------------------------------

    def go_to(self, position: int) -> None:
        """Move the cursor to a position (clamped to the log)."""
        position = max(min(1, self.last_position), min(position, self.last_position))
        self.stepping = False
        self._aim = position
        self.travelled.emit()
        self.cursor_moved.emit(position)
        self._set_live(position >= self.last_position)
        self._want(ToPosition(position))

    def go_to_time(self, timestamp_us: int) -> None:
        """Move the cursor to the last event at or before a time; a time before the first event
        shows the first, one after the last the last, each with a `notice` saying so."""
        self.travelled.emit()
        self._set_live(False)
        self._want(ToTime(timestamp_us))

    def step(self, count: int, in_stream: bool | None = None) -> None:
        """Move `count` events forward (or back), in all events or within the focused stream."""
        self.pause()
        self._step(count, in_stream)

    def _step(self, count: int, in_stream: bool | None = None) -> None:
        in_stream = self.in_stream if in_stream is None else in_stream
        stream = self._focused_stream() if in_stream else None
        if stream is None:
            self.go_to(self._aim + count)  # from where the cursor is headed, not where it is
        else:
            self.travelled.emit()
            self._set_live(False)
            self._want(Step(count, stream))
        self.stepping = True  # event by event: the window selects each event as it comes

    def first(self) -> None:
        self.pause()
        self.go_to(1)

    def back_to_live(self) -> None:
        self.pause()
        self.go_to(self.last_position)

    def set_focus(self, stream_id: str | None = None, saga_id: str | None = None) -> None:
        """Show this aggregate (and saga) at the cursor; None: that of the event at the cursor."""
        if (stream_id, saga_id) == (self.stream_id, self.saga_id):
            return
        changed_stream = stream_id != self.stream_id
        self.stream_id, self.saga_id = stream_id, saga_id
        if changed_stream:
            self._load_marks()
        if self.location is not None:
            self._want(ToPosition(self.position))

    def set_saga(self, saga_id: str | None) -> None:
        self.set_focus(self.stream_id, saga_id)

    def refresh(self) -> None:
        """Read the moment at the cursor again (the read models moved on, say)."""
        if self.location is not None and not self._in_flight:
            self._want(ToPosition(self.position))

    def _focused_stream(self) -> str | None:
        if self.stream_id is not None:
            return self.stream_id
        if self.moment is not None and self.moment.event is not None:
            return self.moment.event.stream_id
        return None

    def _set_live(self, live: bool) -> None:
        if live != self.live:
            self.live = live
            self.live_changed.emit(live)
            self._announce()

    def status(self) -> CursorStatus:
        """Where the cursor is (the position shown), and whether it follows the log."""
        moment = self.moment
        timestamp = (moment.event.timestamp_us if moment is not None and moment.event is not None
                     and moment.position == self.position else None)
        return CursorStatus(self.live, self.position, max(self.last_position, self.position),
                            timestamp)

    def _announce(self) -> None:
        self.status_changed.emit(self.status())

    def _want(self, target: Target) -> None:
        if self.location is None:
            return
        if not self._in_flight:
            self._send(target)
        elif isinstance(target, Step) and isinstance(self._wanted, Step) \
                and target.stream_id == self._wanted.stream_id:
            self._wanted = Step(self._wanted.count + target.count, target.stream_id)
        else:
            self._wanted = target

    def _send(self, target: Target) -> None:
        self._in_flight = True
        position, stream_id, saga_id = self.position, self.stream_id, self.saga_id
        generation = self._generation

        gap_us = int(QUIET_GAP_S * self.speed.rate * 1_000_000)

        def read(context: JobContext) -> tuple[Moment, int | None, bool, str]:
            machine = _machine(context)
            clock, stream, note = None, None, ""
            if isinstance(target, ToPosition):
                at = target.position
            elif isinstance(target, ToTime):
                at, note = _position_at_time(context, target.timestamp_us)
            elif isinstance(target, Step):
                stream = target.stream_id
                at = machine.step(position, target.count, stream)
            else:
                stream = target.stream_id
                at, clock = machine.play_time(position, target.clock_us, stream, gap_us)
            ended = machine.step(at, 1, stream) == at  # nothing later: playback stops here
            return machine.moment(at, stream_id=stream_id, saga_id=saga_id), clock, ended, note

        self.worker.submit(read, lambda result: self._moment_read(generation, result),
                           on_error=self._moment_failed)

    def _moment_read(self, generation: int,
                     result: tuple[Moment, int | None, bool, str]) -> None:
        self._in_flight = False
        if generation != self._generation:
            return
        moment, clock, ended, note = result
        self.moment = moment
        self.position = moment.position
        if moment.position > self.last_position:
            self.last_position = moment.position
        if clock is not None and clock > self._clock_us:
            self._clock_us = clock  # a quiet stretch was skipped
        if self._wanted is None:
            self._aim = moment.position
            if ended and self.playing:
                self.pause()  # played to the end (of the log, or of the stream)
                self._set_live(self.position >= self.last_position)
        self.cursor_moved.emit(moment.position)
        self.moment_ready.emit(moment)
        self._announce()
        if note:
            self.notice.emit(note)
        if self._wanted is not None:
            wanted, self._wanted = self._wanted, None
            self._send(wanted)
        elif self.live and self.position < self.last_position:
            self._send(ToPosition(self.last_position))

    def _moment_failed(self, error: Exception) -> None:
        self._in_flight = False
        self._job_failed(error)
        if self._wanted is not None:
            wanted, self._wanted = self._wanted, None
            self._send(wanted)

    def _job_failed(self, error: Exception) -> None:
        self.failed.emit(str(error))

    def _load_marks(self) -> None:
        stream, generation = self.stream_id, self._generation
        if stream is None or self.location is None:
            self.stream_marks.emit((None, (array("q"), array("q"))))
            return

        def read(context: JobContext) -> tuple[array, array]:
            return _machine(context).stream_marks(stream)

        def loaded(marks: tuple[array, array]) -> None:
            if generation == self._generation and stream == self.stream_id:
                self.stream_marks.emit((stream, marks))

        self.worker.submit(read, loaded, on_error=lambda _: None, key="marks")

    def show_more_rows(self, name: str, offset: int) -> None:
        """Read the next page of read model `name`'s rows as of the moment shown, after the
        first `offset`. They come by `more_rows` as (name, offset, ReadModelAt), or with None
        if they could not be read; not at all if another moment is shown by then (even at the
        same position: a projection catching up may have changed what it holds)."""
        moment = self.moment
        if moment is None or self.location is None:
            return
        position = moment.position

        def read(context: JobContext):
            return _machine(context).read_model_at(name, position, MORE_ROWS, offset)

        def loaded(model_at) -> None:
            if self.moment is moment:
                self.more_rows.emit((name, offset, model_at))

        def failed(error: Exception) -> None:
            self._job_failed(error)
            if self.moment is moment:
                self.more_rows.emit((name, offset, None))

        self.worker.submit(read, loaded, on_error=failed, key=f"more-{name}")

    # -- playback --------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self._play_timer.isActive()

    def set_speed(self, speed: Speed) -> None:
        self.speed = speed
        if self.playing:
            self.pause()
            self.play()

    def play(self) -> None:
        """Play forward from the cursor (from the start, if the cursor is at the end)."""
        if self.location is None or self.last_position == 0:
            return
        start_us = None
        if self.position >= self.last_position:
            self.go_to(1)
            samples = self.samples
            start_us = samples.timestamps[0] if samples is not None and samples.timestamps else 0
        self._set_live(False)
        self._start_clock(start_us)
        self._play_timer.start(TICK_MS if self.speed.real_time
                               else max(TICK_MS, int(1000 / self.speed.rate)))
        self.playing_changed.emit(True)

    def _start_clock(self, start_us: int | None = None) -> None:
        self._played_at = time.monotonic()
        self._budget = 0.0
        if start_us is None:
            event = self.moment.event if self.moment is not None else None
            start_us = event.timestamp_us if event is not None else 0
        self._clock_us = start_us

    def pause(self) -> None:
        if self._play_timer.isActive():
            self._play_timer.stop()
            self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._played_at = now - self._played_at, now
        if self.speed.real_time:
            self._clock_us += int(elapsed * self.speed.rate * 1_000_000)
            if not self._in_flight:
                stream = self._focused_stream() if self.in_stream else None
                self._want(PlayTo(self._clock_us, stream))
            return
        self._budget += elapsed * self.speed.rate
        count = int(self._budget)
        if count:
            self._budget -= count
            self._step(count)


def _position_at_time(context: JobContext, timestamp_us: int) -> tuple[int, str]:
    """The last position at or before a time, and a note if the time is outside the log: the
    first event is shown for a time before it, the last for a time after it."""
    store = context.store
    at = store.position_at_time(timestamp_us)
    last = store.last_position()
    if not last:
        return 0, ""
    if at == 0:
        first_us = store.event_at(1).timestamp_us
        return 1, (f"{short_time(timestamp_us)} UTC is before the first event "
                   f"({short_time(first_us)} UTC): showing the first event.")
    if at == last:
        last_us = store.event_at(last).timestamp_us
        if last_us < timestamp_us:
            return at, (f"{short_time(timestamp_us)} UTC is after the last event "
                        f"({short_time(last_us)} UTC): showing the last event.")
    return at, ""


def _machine(context: JobContext) -> TimeMachine:
    """The worker's TimeMachine for the store, made again once its read models exist (a new
    store's runner creates them shortly after it opens), or are opened again (made anew in a
    new file): until they exist it shows no rows."""
    machine = context.cache.get("time_machine")
    try:
        readmodels: ReadModelDatabase | None = context.readmodels
    except StoreError:
        readmodels = None  # not built yet: rows come once they are
    if machine is None or machine.readmodels is not readmodels:
        if readmodels is not None:
            readmodels.limit_cache(TRAVEL_CACHE_MB)
        machine = context.cache["time_machine"] = TimeMachine(context.store, readmodels,
                                                              context.cache["system"])
    return machine
