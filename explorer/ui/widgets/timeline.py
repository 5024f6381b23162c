"""The timeline bar above the event list: the plot of events over time, the position slider,
playback controls, a place to type a position or time, and the "viewing the past" banner.

The bar shows and asks; the TimeTravel controller decides. The pyqtgraph plot is imported when
the bar is first shown, before the window's first paint, on the GUI thread: pyqtgraph touches Qt
as it loads, which is only safe there. Start-up takes a few hundred milliseconds longer for it,
and nothing stalls once the window is up.
"""

from __future__ import annotations

import html
import importlib
from array import array
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProxyStyle,
    QPushButton,
    QSlider,
    QStyle,
    QStyleHintReturn,
    QStyleOption,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.common.formatting import short_time
from explorer.timetravel.machine import Moment, TimelineSamples, parse_place
from explorer.ui.cursor_moves import SPEEDS, CursorStatus
from explorer.ui.icons import icon
from explorer.ui.layouts import STRETCH, TallerWhenNarrow, wrapping
from explorer.ui.time_cursor import TimeTravel
from explorer.ui.tones import muted
from explorer.ui.widgets.ellipsis_label import EllipsisLabel
from explorer.ui.widgets.message_bubble import MessageBubble

if TYPE_CHECKING:
    from explorer.ui.session import LoadedSystem, StoreSummary
    from explorer.ui.widgets.timeline_plot import TimelinePlot  # imported when first shown

PLOT_HEIGHT = 84
PLOT_MODULE = "explorer.ui.widgets.timeline_plot"
NO_SWITCHES = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))


class ClickToJumpStyle(QProxyStyle):
    """The application's style, except that a left click on a slider's groove puts the handle
    where it was clicked (Qt's default moves it one page step towards the click). The keys'
    page steps and dragging the handle are unchanged."""

    def styleHint(self, hint: QStyle.StyleHint, option: QStyleOption | None = None,  # noqa: N802
                  widget: QWidget | None = None,
                  returnData: QStyleHintReturn | None = None) -> int:  # noqa: N803
        if hint == QStyle.StyleHint.SH_Slider_AbsoluteSetButtons:
            return Qt.MouseButton.LeftButton.value
        return super().styleHint(hint, option, widget, returnData)


class TimelineBar(TallerWhenNarrow, QWidget):
    """Signals:
        branch_requested(int): the user wants a what-if branch at this position.
        plot_ready(): the plot is in (its libraries are loaded).
        plot_failed(str): the plot's libraries could not be loaded (why).
    """

    branch_requested = Signal(int)
    plot_ready = Signal()
    plot_failed = Signal(str)

    def __init__(self, travel: TimeTravel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.travel = travel
        self.plot: TimelinePlot | None = None
        self.plot_error = ""
        self.plot_module = PLOT_MODULE
        self._samples: TimelineSamples | None = None
        self._marks: tuple[array, array] = (array("q"), array("q"))
        self.switches: tuple[np.ndarray, np.ndarray] = NO_SWITCHES  # Find when's, drawn
        self.switch_times: np.ndarray | None = None  # their events' times (microseconds)
        self.moment_marks: dict[str, int] = {}  # Compare's A and B
        self._moving_slider = False
        self._read_only = False
        self._unread: str | None = None  # why the open store's timeline could not be read
        self._build()
        travel.cursor_moved.connect(self._cursor_moved)
        travel.moment_ready.connect(self._moment_ready)
        travel.live_changed.connect(self._live_changed)
        travel.samples_ready.connect(self._samples_ready)
        travel.stream_marks.connect(self._marks_ready)
        travel.playing_changed.connect(self._playing_changed)
        travel.log_extended.connect(self._log_extended)
        travel.status_changed.connect(self._update_banner)
        travel.travelled.connect(self._travelled)
        travel.notice.connect(lambda text: self.problem.show_message(text, "note"))
        travel.failed.connect(self._travel_failed)
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
        self.banner_label.setWordWrap(True)  # on more lines in a narrow window, rather than
        # widening it past the screen (one line took 940 pixels)
        self.live_button = QPushButton(icon("to-live"), "Back to Live")
        self.live_button.setToolTip("Follow the newest events again (Ctrl+Shift+End)")
        self.live_button.clicked.connect(self.travel.back_to_live)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(8, 2, 4, 2)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.live_button)

        self.plot_holder = QWidget()
        self.plot_holder.setFixedHeight(PLOT_HEIGHT)
        self.plot_layout = QVBoxLayout(self.plot_holder)
        self.plot_layout.setContentsMargins(0, 0, 0, 0)
        self.plot_placeholder = QLabel()  # why there is no plot, if it cannot load
        self.plot_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot_placeholder.setStyleSheet("color: #9e9e9e;")
        self.plot_layout.addWidget(self.plot_placeholder)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider_style = ClickToJumpStyle()  # a click on the groove goes where it clicks
        self.slider_style.setParent(self.slider)  # (a widget does not own its style)
        self.slider.setStyle(self.slider_style)
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
        self.where = EllipsisLabel()  # whole on a line of its own in a narrow window; cut
        # short only where even that line is too narrow
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.go_to = QLineEdit()
        self.go_to.setPlaceholderText("Position or time…")
        self.go_to.setToolTip("A position (12345) or a UTC date and time (2026-03-19 10:15:30); "
                              "Enter to go")
        self.go_to.setClearButtonEnabled(True)
        self.go_to.setMaximumWidth(180)
        self.go_to.setMinimumWidth(90)  # a position in the millions whole in a narrow window
        self.go_to.returnPressed.connect(self._go_to_typed)
        self.go_to.textEdited.connect(lambda _: self._show_problem(""))
        self.problem = MessageBubble(self.go_to)  # over the list below: it moves nothing
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
        self.legend.setStyleSheet(f"color: {muted()};")
        self.legend.setWordWrap(True)  # on two lines in a narrow window, rather than cut off

        playback = QHBoxLayout()
        playback.setSpacing(2)
        for widget in (self.first_button, self.back_button, self.play_button,
                       self.forward_button, self.end_button):
            playback.addWidget(widget)
        playback.addSpacing(4)
        playback.addWidget(self.speed)
        playback.addSpacing(6)
        playback.addWidget(self.in_stream)
        going = QHBoxLayout()
        going.addWidget(self.go_to)
        going.addWidget(self.branch_button)
        # on more lines in a narrow window (the cursor's position and time whole), never cut
        controls = wrapping(playback, self.where, STRETCH, going)

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

    # -- the plot, loaded when first shown -------------------------------------------------

    plot_when_shown = True
    """Whether the plot loads when the bar is first shown; the window loads it later, once its
    event list's first rows are in (importing pyqtgraph would delay them)."""

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        if self.plot_when_shown:
            self.load_plot()
        super().showEvent(event)

    def load_plot(self) -> None:
        """Import pyqtgraph and put the plot in (once); a plot that cannot load says why."""
        if self.plot is not None or self.plot_error:
            return
        try:
            module = importlib.import_module(self.plot_module)
        except Exception as error:  # a broken install: the rest of the window still works
            self.plot_error = (f"The timeline plot could not be loaded "
                               f"({type(error).__name__}: {error}).")
            self.plot_placeholder.setText(self.plot_error)
            self.plot_failed.emit(self.plot_error)
            return
        plot: TimelinePlot = module.TimelinePlot()
        self.plot = plot
        plot.setToolTip("Events over time by stream type. Drag the red cursor or click to "
                        "travel; wheel to zoom, drag to pan; triangles mark the selected "
                        "stream's events.")
        plot.position_chosen.connect(self.travel.go_to)
        plot.time_chosen.connect(self.travel.go_to_time)
        plot.sigXRangeChanged.connect(lambda *_: self._update_legend())
        self.plot_placeholder.hide()
        self.plot_layout.addWidget(plot)
        plot.set_by_time(self.axis.currentIndex() == 0)
        if self._samples is not None:
            plot.set_samples(self._samples)
        plot.set_marks(*self._marks)
        plot.set_switches(*self.switches, self.switch_times)
        for name, position in self.moment_marks.items():
            plot.set_moment_mark(name, position)
        self._place_plot_cursor()
        self._update_legend()
        self.plot_ready.emit()

    # -- following the controller ----------------------------------------------------------

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        """A store was opened: the slider spans its events; the cursor waits at the end."""
        self.set_store(summary.last_position, summary.read_only)

    def set_store(self, last_position: int, read_only: bool) -> None:
        self._read_only = read_only
        self._samples = None
        self._unread = None
        self._update_legend()
        self._marks = (array("q"), array("q"))
        self._set_slider(last_position, last_position)
        self.setEnabled(last_position > 0)
        self.where.setText("No events yet" if not last_position else "")
        self._show_problem("")
        self.go_to.setText(f"{last_position:,}" if last_position else "")

    def _samples_ready(self, samples: TimelineSamples) -> None:
        self._samples = samples
        self._set_slider(self.travel.position, max(samples.last_position,
                                                    self.travel.last_position))
        self.setEnabled(max(samples.last_position, self.travel.last_position) > 0)
        if self.plot is not None:
            self.plot.set_samples(samples)
            self._place_plot_cursor()
        self._update_legend()

    def _marks_ready(self, value) -> None:
        _stream, marks = value
        self._marks = marks
        if self.plot is not None:
            self.plot.set_marks(*marks)

    def show_switches(self, positions: np.ndarray, became: np.ndarray,
                      times: np.ndarray | None = None) -> None:
        """Mark where a Find when condition switched (to true or to false): arrays of int64
        positions and of bools, in position order, and of their events' times (int64
        microseconds, -1 where unknown), where the marks go by time."""
        self.switches = (positions, became)
        self.switch_times = times
        if self.plot is not None:
            self.plot.set_switches(positions, became, times)

    def clear_switches(self) -> None:
        self.show_switches(*NO_SWITCHES)

    def show_moment_mark(self, name: str, position: int | None) -> None:
        """Draw Compare's mark `name` ("A" or "B") at a position; None removes it."""
        if position is None:
            self.moment_marks.pop(name, None)
        else:
            self.moment_marks[name] = position
        if self.plot is not None:
            self.plot.set_moment_mark(name, position)

    def _cursor_moved(self, position: int) -> None:
        self._set_slider(position, max(self.travel.last_position, position))
        self._show_where(position, None)
        self._update_play_tip()

    def _moment_ready(self, moment: Moment) -> None:
        self._set_slider(moment.position, max(self.travel.last_position, moment.position))
        event = moment.event
        self._show_where(moment.position, event.timestamp_us if event is not None else None)
        self._place_plot_cursor()

    def _show_where(self, position: int, timestamp_us: int | None) -> None:
        last = self.travel.last_position
        when = f" · {short_time(timestamp_us)} UTC" if timestamp_us is not None else ""
        self.where.setText(f"Position <b>{position:,}</b> of {last:,}{when}")
        self.where.keep_room_for(  # the longest it says: it keeps its line while stepping
            f"Position <b>{last:,}</b> of {last:,} · {short_time(0)} UTC")
        if not (self.go_to.hasFocus() and self.go_to.isModified()):  # not while one types
            self._show_in_box(position)

    def _show_in_box(self, position: int) -> None:
        """The position box shows where the cursor is, selected while the box has focus so
        that typing replaces it; an error about text no longer there goes with it."""
        text = f"{position:,}"
        if self.go_to.text() != text:
            self.go_to.setText(text)
            if self.problem.kind == "error":
                self._show_problem("")
        if self.go_to.hasFocus():
            self.go_to.selectAll()

    def _travelled(self) -> None:
        """The user sent the cursor somewhere: the box shows where it goes, not what was
        typed before, and an old message goes."""
        self.go_to.setModified(False)
        self._show_problem("")

    def _log_extended(self, last: int) -> None:
        if not self.travel.live:  # in the past the cursor stays; the log's end moves on
            self._set_slider(self.travel.position, last)
            self._show_where(self.travel.position, self._cursor_time())
        self._update_play_tip()

    def _cursor_time(self) -> int | None:
        moment = self.travel.moment
        if moment is not None and moment.event is not None and \
                moment.position == self.travel.position:
            return moment.event.timestamp_us
        return None

    def _live_changed(self, live: bool) -> None:
        if live:
            self._show_problem("")  # back to live: an old message is moot
        self._update_banner(self.travel.status())

    def _update_banner(self, status: CursorStatus) -> None:
        self.banner.setVisible(not status.live)
        if status.live:
            return
        when = (f" · {short_time(status.timestamp_us)} UTC"
                if status.timestamp_us is not None else "")
        later = status.later
        if not later:  # at the last event: nothing is left out, but new events will be
            self.banner_label.setText(
                f"<b>Pinned at the last event</b>: position {status.position:,}{when} — "
                "new events are not followed.")
            return
        self.banner_label.setText(
            f"<b>Viewing the past</b>: position {status.position:,} of "
            f"{status.last_position:,}{when} — {later:,} later event{'s' if later != 1 else ''}"
            " not applied; new events are not followed.")

    def _playing_changed(self, playing: bool) -> None:
        self.play_button.setIcon(icon("pause" if playing else "play"))
        self._update_play_tip()

    def _update_play_tip(self) -> None:
        """Pause while playing; else where playing starts: here, or at the last event (where
        the controller plays from the first) from the first event."""
        travel = self.travel
        self.play_button.setToolTip(
            "Pause (Ctrl+Space)" if travel.playing else
            "Play from the first event (Ctrl+Space): the cursor is at the last one"
            if travel.last_position and travel.position >= travel.last_position else
            "Play from here (Ctrl+Space)")

    def _place_plot_cursor(self) -> None:
        if self.plot is None:
            return
        moment = self.travel.moment
        exact = (moment.event.timestamp_us if moment is not None and moment.event is not None
                 and moment.position == self.travel.position else None)
        self.plot.set_cursor(self.travel.position, exact)

    def _travel_failed(self, message: str) -> None:
        """A read of the open store failed: before its timeline was read, that timeline will
        not come (a damaged store, say), and the legend says why rather than stay empty over
        an empty plot (the status bar said it for 8 s only)."""
        if self._samples is not None:
            return
        self._unread = message
        self._update_legend()

    def _update_legend(self) -> None:
        samples = self._samples
        if samples is None and self._unread is not None:
            first = self._unread.split(". ")[0].rstrip(".")
            self.legend.setText(f"<span style='color:#b71c1c'>The timeline could not be read: "
                                f"{html.escape(first)}.</span>")
            self.legend.setToolTip(self._unread)
            return
        self.legend.setToolTip("")
        if samples is None or not samples.types:
            self.legend.setText("Counting the events for the timeline…"
                                if samples is not None and samples.counting else "")
            return
        from_plot = importlib.import_module(PLOT_MODULE) if self.plot is not None else None
        parts = []
        for index, name in enumerate(samples.types):
            colour = from_plot.stream_colour(name, index) if from_plot else "#9e9e9e"
            parts.append(f"<span style='color:{colour}'>■</span> {name}")
        bar = f" &nbsp;·&nbsp; one bar: {self.plot.bucket_text()}" if self.plot else ""
        sampled = (f" (estimated from every {samples.weight:,}th event)"
                   if samples.weight > 1 else " (counting…)" if samples.counting else "")
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
        """An error under the position box (or none): shown over what is below, moving
        nothing, until the next move, edit or Back to Live."""
        if not message and not self.problem.kind:
            return  # nothing shown: every step of playback comes here
        if message:
            self.problem.show_message(message, "error")
        else:
            self.problem.clear()
        self.go_to.setStyleSheet("border: 1px solid #c62828;" if message else "")
