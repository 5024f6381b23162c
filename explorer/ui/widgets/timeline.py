"""The timeline bar above the event list: the plot of events over time, the position slider,
playback controls, a place to type a position or time, and the "viewing the past" banner.

The bar shows and asks; the TimeTravel controller decides. The pyqtgraph plot is imported on a
thread of its own once the window is up, so that start-up and the first page are not slowed.
"""

from __future__ import annotations

import gc
import importlib
import sys
import time
from array import array

from PySide6.QtCore import Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy,
    QSlider, QToolButton, QVBoxLayout, QWidget,
)

from explorer.formatting import short_time
from explorer.timetravel import Moment, TimelineSamples, parse_place
from explorer.ui.icons import icon
from explorer.ui.time_travel import SPEEDS, TimeTravel

PLOT_HEIGHT = 84
PLOT_MODULE = "explorer.ui.widgets.timeline_plot"
PLOT_DELAY_MS = 2000
GUI_BEAT_MS = 4
GUI_LATE_S = 0.008
GUI_BLOCKED_S = 0.05
STEP_ASIDE_S = 0.002
STEP_ASIDE_BUDGET_S = 1.5
"""While the plot's libraries load: the GUI thread's heartbeat; how late it may be before the
importing thread steps aside, and how late means it is blocked (stepping aside would not help);
for how long each time, and at most in all."""


class _Importer(QThread):
    """Imports the plot's module (numpy, pyqtgraph) without holding up the GUI thread.

    An import is ~300 ms of Python, and the GUI thread needs the same interpreter lock to run
    its slots and paint its models; shared evenly, a 20 ms paint would take 40 ms or more. So
    the importing thread steps aside (sleeps, which frees the lock) whenever the GUI thread's
    heartbeat is a little late, which means it is busy or waiting for the lock: the import takes
    longer, in the background, and the window keeps its pace. A heartbeat very late means the
    GUI thread waits for something else, perhaps this very import (a module it needs too):
    then, and once the time it may spend stepping aside is spent, the import goes at full speed.

    The garbage collector is paused meanwhile (the window's `settle_memory` resumes it once the
    plot is in): an import makes so many objects that it would otherwise trigger full
    collections, each pausing every thread, the GUI's included, for ~100 ms.
    """

    def __init__(self, parent: QWidget, module: str) -> None:
        super().__init__(parent)
        self.module = module
        self._gui_beat = time.perf_counter()
        self._beat = QTimer(self)
        self._beat.setInterval(GUI_BEAT_MS)
        self._beat.timeout.connect(self._gui_alive)
        self.started.connect(self._beat.start)
        self.finished.connect(self._beat.stop)

    def _gui_alive(self) -> None:
        self._gui_beat = time.perf_counter()

    def run(self) -> None:
        budget = [STEP_ASIDE_BUDGET_S]  # seconds, measured: a sleep and regaining the lock

        def step_aside(frame, event, arg) -> None:
            if event == "call" and budget[0] > 0:
                now = time.perf_counter()
                if GUI_LATE_S < now - self._gui_beat < GUI_BLOCKED_S:
                    time.sleep(STEP_ASIDE_S)
                    budget[0] -= time.perf_counter() - now

        gc.disable()
        sys.setprofile(step_aside)  # this thread's only
        try:
            importlib.import_module(self.module)
        except Exception:  # the GUI thread tries again, and says why it failed
            gc.enable()
        finally:
            sys.setprofile(None)


class TimelineBar(QWidget):
    """Signals:
        branch_requested(int): the user wants a what-if branch at this position.
        plot_ready(): the plot is in (its libraries are loaded: start-up is over).
        plot_failed(str): the plot's libraries could not be loaded (why).
    """

    branch_requested = Signal(int)
    plot_ready = Signal()
    plot_failed = Signal(str)

    def __init__(self, travel: TimeTravel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.travel = travel
        self.plot = None
        self._importer: _Importer | None = None
        self.plot_module = PLOT_MODULE
        self._samples: TimelineSamples | None = None
        self._marks: tuple[array, array] = (array("q"), array("q"))
        self._moving_slider = False
        self._read_only = False
        self._build()
        travel.cursor_moved.connect(self._cursor_moved)
        travel.moment_ready.connect(self._moment_ready)
        travel.live_changed.connect(self._live_changed)
        travel.samples_ready.connect(self._samples_ready)
        travel.stream_marks.connect(self._marks_ready)
        travel.playing_changed.connect(self._playing_changed)
        travel.log_extended.connect(self._log_extended)
        self._live_changed(travel.live)

    # -- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        self.banner = QFrame()
        self.banner.setObjectName("past-banner")
        self.banner.setStyleSheet(
            "#past-banner { background: #fff3e0; border: 1px solid #ffb74d; border-radius: 3px; }"
            " #past-banner QLabel { color: #e65100; }")
        self.banner_label = QLabel()
        self.banner_label.setTextFormat(Qt.TextFormat.RichText)
        self.live_button = QPushButton(icon("to-live"), "Back to Live")
        self.live_button.setToolTip("Follow the newest events again (Ctrl+Shift+End)")
        self.live_button.clicked.connect(self.travel.back_to_live)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(8, 2, 4, 2)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.live_button)

        self.plot_holder = QWidget()
        self.plot_holder.setFixedHeight(PLOT_HEIGHT)
        QVBoxLayout(self.plot_holder).setContentsMargins(0, 0, 0, 0)
        self.plot_placeholder = QLabel("Loading the timeline…")
        self.plot_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot_placeholder.setStyleSheet("color: #9e9e9e;")
        self.plot_holder.layout().addWidget(self.plot_placeholder)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Drag to see the whole system as it was at any position")
        self.slider.valueChanged.connect(self._slider_moved)

        def button(name: str, tip: str, slot) -> QToolButton:
            tool = QToolButton()
            tool.setIcon(icon(name))
            tool.setToolTip(tip)
            tool.setAutoRaise(True)
            tool.clicked.connect(slot)
            return tool

        self.first_button = button("first", "First event (Ctrl+Shift+Home)", self.travel.first)
        self.back_button = button("step-back", "One event back (Ctrl+,)",
                                  lambda: self.travel.step(-1))
        self.play_button = button("play", "Play from here (Ctrl+Space)", self.travel.toggle_play)
        self.forward_button = button("step-forward", "One event forward (Ctrl+.)",
                                     lambda: self.travel.step(1))
        self.end_button = button("to-live", "Last event, following live (Ctrl+Shift+End)",
                                 self.travel.back_to_live)
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(speed.label, speed)
        self.speed.setCurrentIndex(SPEEDS.index(self.travel.speed))
        self.speed.setToolTip("Playback speed: events a second, or the events' own pace "
                              "(quiet stretches are skipped)")
        self.speed.currentIndexChanged.connect(
            lambda index: self.travel.set_speed(self.speed.itemData(index)))
        self.in_stream = QCheckBox("In stream")
        self.in_stream.setToolTip("Step and play through the selected stream's events only")
        self.in_stream.toggled.connect(self._in_stream_toggled)
        self.where = QLabel()
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.go_to = QLineEdit()
        self.go_to.setPlaceholderText("Position or time…")
        self.go_to.setToolTip("A position (12345) or a UTC date and time (2026-03-19 10:15:30); "
                              "Enter to go")
        self.go_to.setClearButtonEnabled(True)
        self.go_to.setMaximumWidth(180)
        self.go_to.returnPressed.connect(self._go_to_typed)
        self.go_to.textChanged.connect(lambda _: self._show_problem(""))
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.hide()
        self.axis = QComboBox()
        self.axis.addItems(["By time", "By position"])
        self.axis.setToolTip("What the plot's horizontal axis shows")
        self.axis.currentIndexChanged.connect(self._axis_changed)
        self.fit_button = QToolButton()
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Show the whole log in the plot (zoom with the wheel, "
                                   "drag to pan)")
        self.fit_button.clicked.connect(lambda: self.plot.fit() if self.plot else None)
        self.branch_button = QPushButton(icon("branch"), "What if…")
        self.branch_button.setToolTip("Branch here: try commands against the system as it was "
                                      "at this position, in a sandbox; the store is not changed")
        self.branch_button.clicked.connect(
            lambda: self.branch_requested.emit(self.travel.position))
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("color: #616161;")

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.setSpacing(2)
        for widget in (self.first_button, self.back_button, self.play_button,
                       self.forward_button, self.end_button):
            controls.addWidget(widget)
        controls.addSpacing(4)
        controls.addWidget(self.speed)
        controls.addSpacing(6)
        controls.addWidget(self.in_stream)
        controls.addSpacing(10)
        controls.addWidget(self.where, 1)
        controls.addWidget(self.problem)
        controls.addWidget(self.go_to)
        controls.addSpacing(6)
        controls.addWidget(self.branch_button)

        plot_row = QHBoxLayout()
        plot_row.setContentsMargins(0, 0, 0, 0)
        plot_row.addWidget(self.legend, 1)
        plot_row.addWidget(self.axis)
        plot_row.addWidget(self.fit_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.banner)
        layout.addLayout(plot_row)
        layout.addWidget(self.plot_holder)
        layout.addWidget(self.slider)
        layout.addLayout(controls)

    # -- the plot, loaded late -------------------------------------------------------------

    def load_plot(self) -> None:
        """Import pyqtgraph on a thread, then put the plot in (once)."""
        if self.plot is not None or self._importer is not None:
            return
        self._importer = _Importer(self, self.plot_module)
        self._importer.finished.connect(self._create_plot)
        self._importer.start()

    def _create_plot(self) -> None:
        try:
            module = importlib.import_module(self.plot_module)  # imported already: immediate
        except Exception as error:  # a broken install: the rest of the window still works
            gc.enable()
            reason = f"The timeline plot could not be loaded ({type(error).__name__}: {error})."
            self.plot_placeholder.setText(reason)
            self.plot_failed.emit(reason)
            return
        self.plot = module.TimelinePlot()
        self.plot.setToolTip("Events over time by stream type. Drag the red cursor or click to "
                             "travel; wheel to zoom, drag to pan; triangles mark the selected "
                             "stream's events.")
        self.plot.position_chosen.connect(self.travel.go_to)
        self.plot.time_chosen.connect(self.travel.go_to_time)
        self.plot.sigXRangeChanged.connect(lambda *_: self._update_legend())
        self.plot_placeholder.hide()
        self.plot_holder.layout().addWidget(self.plot)
        self.plot.set_by_time(self.axis.currentIndex() == 0)
        if self._samples is not None:
            self.plot.set_samples(self._samples)
        self.plot.set_marks(*self._marks)
        self._place_plot_cursor()
        self._update_legend()
        self.plot_ready.emit()

    # -- following the controller ----------------------------------------------------------

    def set_store(self, last_position: int, read_only: bool) -> None:
        self._read_only = read_only
        self._samples = None
        self._marks = (array("q"), array("q"))
        self._set_slider(last_position, last_position)
        self.setEnabled(last_position > 0)
        self.where.setText("No events yet" if not last_position else "")
        if self.plot is None and self._importer is None:
            # Importing pyqtgraph holds the interpreter for a few tens of milliseconds at a time:
            # not while the first pages are read and the user starts browsing.
            QTimer.singleShot(PLOT_DELAY_MS, self.load_plot)

    def _samples_ready(self, samples: TimelineSamples) -> None:
        self._samples = samples
        self._set_slider(self.travel.position, max(samples.last_position,
                                                    self.travel.last_position))
        self.setEnabled(samples.last_position > 0)
        if self.plot is not None:
            self.plot.set_samples(samples)
            self._place_plot_cursor()
        self._update_legend()

    def _marks_ready(self, value) -> None:
        _stream, marks = value
        self._marks = marks
        if self.plot is not None:
            self.plot.set_marks(*marks)

    def _cursor_moved(self, position: int) -> None:
        self._set_slider(position, max(self.travel.last_position, position))
        self._show_where(position, None)

    def _moment_ready(self, moment: Moment) -> None:
        self._set_slider(moment.position, max(self.travel.last_position, moment.position))
        event = moment.event
        self._show_where(moment.position, event.timestamp_us if event is not None else None)
        self._place_plot_cursor()
        self._update_banner()

    def _show_where(self, position: int, timestamp_us: int | None) -> None:
        last = self.travel.last_position
        when = f" · {short_time(timestamp_us)} UTC" if timestamp_us is not None else ""
        self.where.setText(f"Position <b>{position:,}</b> of {last:,}{when}")

    def _log_extended(self, last: int) -> None:
        if not self.travel.live:  # in the past the cursor stays; the log's end moves on
            self._set_slider(self.travel.position, last)
            self._show_where(self.travel.position, self._cursor_time())
            self._update_banner()

    def _cursor_time(self) -> int | None:
        moment = self.travel.moment
        if moment is not None and moment.event is not None and \
                moment.position == self.travel.position:
            return moment.event.timestamp_us
        return None

    def _live_changed(self, live: bool) -> None:
        self.banner.setVisible(not live)
        self._update_banner()

    def _update_banner(self) -> None:
        if self.travel.live:
            return
        moment = self.travel.moment
        position = self.travel.position
        last = self.travel.last_position
        when = (f" · {short_time(moment.event.timestamp_us)} UTC"
                if moment is not None and moment.event is not None else "")
        later = last - position
        self.banner_label.setText(
            f"<b>Viewing the past</b>: position {position:,} of {last:,}{when} — "
            f"{later:,} later event{'s' if later != 1 else ''} not applied; new events are "
            "not followed.")

    def _playing_changed(self, playing: bool) -> None:
        self.play_button.setIcon(icon("pause" if playing else "play"))
        self.play_button.setToolTip("Pause (Ctrl+Space)" if playing else
                                    "Play from here (Ctrl+Space)")

    def _place_plot_cursor(self) -> None:
        if self.plot is None:
            return
        moment = self.travel.moment
        exact = (moment.event.timestamp_us if moment is not None and moment.event is not None
                 and moment.position == self.travel.position else None)
        self.plot.set_cursor(self.travel.position, exact)

    def _update_legend(self) -> None:
        samples = self._samples
        if samples is None or not samples.types:
            self.legend.setText("")
            return
        from_plot = importlib.import_module(PLOT_MODULE) if self.plot is not None else None
        parts = []
        for index, name in enumerate(samples.types):
            colour = from_plot.stream_colour(name, index) if from_plot else "#9e9e9e"
            parts.append(f"<span style='color:{colour}'>■</span> {name}")
        bar = f" &nbsp;·&nbsp; one bar: {self.plot.bucket_text()}" if self.plot else ""
        sampled = (f" (estimated from every {samples.weight:,}th event)"
                   if samples.weight > 1 else "")
        self.legend.setText(" &nbsp; ".join(parts) + bar + sampled)

    # -- the user --------------------------------------------------------------------------

    def _set_slider(self, position: int, last: int) -> None:
        """Show a position on the slider, unless the user holds it: the hand wins a drag."""
        self._moving_slider = True
        try:
            self.slider.setRange(min(1, last), last)
            self.slider.setPageStep(max(1, last // 100))
            if not self.slider.isSliderDown():
                self.slider.setValue(position)
        finally:
            self._moving_slider = False

    def _slider_moved(self, value: int) -> None:
        if not self._moving_slider:
            self.travel.go_to(value)

    def _in_stream_toggled(self, on: bool) -> None:
        self.travel.in_stream = on

    def _axis_changed(self, index: int) -> None:
        if self.plot is not None:
            self.plot.set_by_time(index == 0)
            self._place_plot_cursor()
            self._update_legend()

    def _go_to_typed(self) -> None:
        try:
            kind, value = parse_place(self.go_to.text())
        except ValueError as error:
            self._show_problem(str(error))
            return
        if kind == "position":
            if not 1 <= value <= self.travel.last_position:
                self._show_problem(f"Position {value:,} is not in the log: it runs from 1 to "
                                   f"{self.travel.last_position:,}.")
                return
            self.travel.pause()
            self.travel.go_to(value)
        else:
            self.travel.pause()
            self.travel.go_to_time(value)
        self.go_to.selectAll()

    def _show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setToolTip(message)
        self.problem.setVisible(bool(message))
        self.go_to.setStyleSheet("border: 1px solid #c62828;" if message else "")
