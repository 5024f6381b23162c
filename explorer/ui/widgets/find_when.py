"""The Find when bar: when did a condition on state switch, and going from switch to switch.

Under the timeline, opened from Time > Find When… It asks for a target (a stream id, a read
model's name or `sagas`) and a condition in the content filter's language (`state.on_hand < 0`
on a stream, `total > 500 and status = "paid"` on a read model). Enter runs the core's FindWhen
on the history worker, marks every switch on the timeline (to true and to false apart) and sends
the cursor to the first switch to true after it; Enter and Shift+Enter then go to the next and
previous switch, whichever way it went. A target or condition that names nothing is said under
its field and moves nothing; a comparison with a value of another type than its field holds in
the data (`state.reserved > 0` on a list) is warned of under the condition. When the log grows,
the search shown is run again after a pause (the marks and counts stay true; the cursor stays).
The target completes read models, `sagas` and stream ids (find_when_targets). Esc closes the
bar and takes the marks away.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from explorer.sagas.instances import SagaInstancesProjection
from explorer.store import StoreError
from explorer.timetravel.when import SAGAS, FindWhen, Switch, Switches, TargetError
from explorer.ui.timers import single_shot
from explorer.ui.tones import panel_background
from explorer.ui.widgets.find_when_targets import TargetCompleter
from explorer.ui.widgets.message_bubble import MessageBubble
from explorer.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from explorer.timetravel.machine import TimeMachine
    from explorer.ui.history_worker import HistoryWorker
    from explorer.ui.session import LoadedSystem, StoreSummary
    from explorer.ui.time_cursor import TimeTravel
    from explorer.ui.widgets.timeline import TimelineBar
    from explorer.ui.worker import JobContext

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
RERUN_MS = 500  # a pause in the log's growth before the search shown is run again


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 'es' if word.endswith('h') else 's'}"


@dataclass(frozen=True)
class Found:
    """What the bar shows of a search, made on the worker: the switches' positions and ways as
    arrays the timeline draws as they are (a read model's switches are made one at a time when
    asked for, explorer.timetravel.when.RowSwitchList: making 100,000 of them on the GUI thread,
    or lists of them, stalled it), and warnings about the condition."""

    switches: Switches
    positions: np.ndarray  # int64, in order
    became: np.ndarray  # bool, each switch's way
    to_true: int
    warnings: tuple[str, ...] = ()
    times: np.ndarray | None = None  # int64 microseconds, each switch's event's (-1: none)

    @classmethod
    def of(cls, switches: Switches, warnings: tuple[str, ...] = (),
           times: Sequence[int] | None = None) -> Found:
        count = len(switches.switches)
        positions = np.fromiter(switches.positions, dtype=np.int64, count=count)
        became = np.fromiter(switches.became, dtype=bool, count=count)
        return cls(switches, positions, became, int(became.sum()), warnings,
                   None if times is None else np.asarray(times, dtype=np.int64))


class FindWhenBar(QFrame):
    """Signals:
        searched(object): the Switches found (after they are marked).
        failed(str): the search was refused or failed; the message is shown under its field.
    """

    searched = Signal(object)
    failed = Signal(str)

    def __init__(self, travel: TimeTravel, timeline: TimelineBar, history: HistoryWorker,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.travel = travel
        self.timeline = timeline
        self.history = history
        self.result: Switches | None = None
        self._to_true = 0  # how many of the result's switches are to true
        self._asked: tuple[str, str] | None = None  # what the result answers
        self._went_to: int | None = None  # the switch the cursor was sent to last
        self._build()
        self._rerun_timer = single_shot(self, RERUN_MS, self._rerun)
        travel.cursor_moved.connect(self._cursor_moved)
        travel.log_extended.connect(self._log_grew)
        self.hide()

    def _build(self) -> None:
        self.setObjectName("find-when")
        self.setStyleSheet(f"#find-when {{ background: {panel_background('#f5f5f5')};"
                           " border: 1px solid palette(midlight); border-radius: 3px; }")
        title = QLabel("<b>Find when</b>")
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.target.setMinimumWidth(150)
        self.target.setToolTip("What to search: a stream id (its aggregate's state), a read "
                               "model's name (its rows) or `sagas`")
        self.target_field = QLineEdit()
        self.target_field.setPlaceholderText("stream id, read model or sagas")
        self.target.setLineEdit(self.target_field)
        self.completer = TargetCompleter(self.target, self.target_field, self.history)
        self.condition = QLineEdit()
        self.condition.setPlaceholderText('state.status = "cancelled"   ·   on_hand < 5')
        self.condition.setToolTip(
            "A condition in the filter's language: state.field on a stream, a read model's "
            "columns on its rows. Enter: search, then next switch; Shift+Enter: previous; "
            "Esc: close")
        self.condition.setClearButtonEnabled(True)
        self.condition_problem = MessageBubble(self.condition)
        self.target_problem = MessageBubble(self.target)
        self.previous_button = self._button("↑", "Previous switch (Shift+Enter)",
                                            lambda: self.go(backwards=True))
        self.next_button = self._button("↓", "Next switch (Enter)", lambda: self.go())
        self.status = StatusLine()  # what fits of it; the whole in its tooltip
        self.status.setMinimumWidth(260)
        close = self._button("✕", "Close and clear the marks (Esc)", self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 3, 3)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.target)
        layout.addWidget(self.condition, 1)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.status, 3)
        layout.addWidget(close)
        for field in (self.condition, self.target_field):
            field.installEventFilter(self)
        self.condition.textEdited.connect(lambda _: self.condition_problem.clear())
        self.target.editTextChanged.connect(lambda _: self.target_problem.clear())

    @staticmethod
    def _button(text: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # -- the store and its targets -----------------------------------------------------------

    def show_store(self, _summary: StoreSummary, loaded: LoadedSystem) -> None:
        """Another store: what it can search, and nothing found yet."""
        self.close_bar()
        projections = loaded.system.projections()
        names = [p.name for p in projections if not isinstance(p, SagaInstancesProjection)]
        if len(names) < len(projections):
            names.append(SAGAS)
        text = self.target.currentText()
        self.target.clear()
        self.target.addItems(names)
        self.target.setEditText(text)
        self.completer.set_fixed(names)

    def open(self, suggested_target: str | None = None) -> None:
        """Show the bar, with `suggested_target` (the selected stream, say) unless one is
        typed already, the condition field focused."""
        if suggested_target and not self.isVisible():
            self.target.setEditText(suggested_target)
        self.show()
        self.condition.setFocus()
        self.condition.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.condition_problem.clear()
        self.target_problem.clear()
        self._forget()

    def _forget(self) -> None:
        self._rerun_timer.stop()
        self.result = None
        self._asked = None
        self._went_to = None
        self.status.set_parts([])
        self.timeline.clear_switches()

    # -- keys ----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in ENTER_KEYS:
                self.enter(backwards=bool(event.modifiers()
                                          & Qt.KeyboardModifier.ShiftModifier))
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)

    def enter(self, backwards: bool = False) -> None:
        """Search what is typed, if not searched yet; else go to the next (previous) switch."""
        if self.result is not None and self._asked == self._question():
            self.go(backwards)
        else:
            self.search()

    def _question(self) -> tuple[str, str]:
        return self.target.currentText().strip(), self.condition.text().strip()

    # -- searching -----------------------------------------------------------------------------

    def search(self) -> None:
        target, condition = question = self._question()
        if not target:
            self._refuse(TargetError("Name what to search: a stream id, a read model or "
                                     "`sagas`."))
            return
        if not condition:
            self._refuse(ValueError('Type a condition, such as state.status = "cancelled".'))
            return
        self.status.set_parts(["Searching…"])
        self._submit(question, self._found, self._refuse)

    def _submit(self, question: tuple[str, str], on_found, on_error) -> None:
        target, condition = question

        def search(machine: TimeMachine, context: JobContext) -> Found:
            finder = FindWhen(machine)
            switches = finder.switches(
                target, condition, progress=lambda done, total: context.progress())
            times = machine.store.timestamps_at(switches.positions)  # (cached: off the GUI's)
            return Found.of(switches, finder.type_warnings(target, condition), times)

        self.history.submit(search, lambda found: on_found(question, found),
                            on_error=on_error, key="find-when")

    def _found(self, question: tuple[str, str], found: Found) -> None:
        self.target_problem.clear()
        self._show_warnings(found)
        switches = found.switches
        self.result, self._asked, self._went_to = switches, question, None
        self._to_true = found.to_true
        self.timeline.show_switches(found.positions, found.became, found.times)
        first = switches.next_after(self._from(), became=True)
        wrapped = first is None and switches.first() is not None
        first = first or switches.first()  # none after the cursor (at the end, say): the first
        if first is not None:
            self._go_to(first, "none after the cursor: the first" if wrapped else "")
        else:
            self._say(None, "never true" if not switches.switches else "")
        self.searched.emit(switches)

    def _show_warnings(self, found: Found) -> None:
        if found.warnings:
            self.condition_problem.show_message(
                "\n".join(f"⚠ {warning}" for warning in found.warnings), "warning")
        else:
            self.condition_problem.clear()

    # -- the log grows: the search shown is run again -----------------------------------------

    def _log_grew(self, _last: int) -> None:
        if self.result is not None and self._asked is not None:
            self._rerun_timer.start()

    def _rerun(self) -> None:
        """The search shown, again over the grown log (its question, whatever is typed since);
        the cursor stays where it is."""
        if self.result is not None and self._asked is not None:
            self._submit(self._asked, self._found_again, self._rerun_failed)

    def _found_again(self, question: tuple[str, str], found: Found) -> None:
        if question != self._asked or self.result is None:
            return  # searched anew, or closed, meanwhile
        self._show_warnings(found)
        switches = found.switches
        self.result, self._to_true = switches, found.to_true
        self.timeline.show_switches(found.positions, found.became, found.times)
        at = self._went_to
        here = switches.next_after(at - 1) if at is not None else None
        self._say(here if here is not None and here.position == at else None, "")
        self.searched.emit(switches)
        if switches.built_to is not None and switches.built_to < self.travel.last_position:
            self._rerun_timer.start()  # its read model is catching up: once more after it

    def _rerun_failed(self, error: Exception) -> None:
        if not isinstance(error, ValueError | StoreError):
            raise error  # the marks shown stay: the last answer, of a shorter log

    def _refuse(self, error: Exception) -> None:
        """Say what was wrong under the field it is about; the cursor stays where it is."""
        if not isinstance(error, ValueError | StoreError):
            raise error
        self._forget()
        bubble = self.target_problem if isinstance(error, TargetError) else \
            self.condition_problem
        bubble.show_message(str(error), "error")
        self.status.set_parts(["<span style='color:#b71c1c'>Not searched: see the message "
                               "below</span>"])
        self.failed.emit(str(error))

    # -- going from switch to switch -----------------------------------------------------------

    def go(self, backwards: bool = False) -> None:
        """To the next switch after the cursor (the previous before it), either way."""
        switches = self.result
        if switches is None:
            self.search()
            return
        here = self._from()
        switch = (switches.previous_before(here) if backwards else switches.next_after(here))
        if switch is None:
            self._say(None, f"no switch {'before' if backwards else 'after'} the cursor")
        else:
            self._go_to(switch)

    def _from(self) -> int:
        return self._went_to if self._went_to is not None else self.travel.position

    def _go_to(self, switch: Switch, note: str = "") -> None:
        self._went_to = switch.position
        self.travel.pause()
        self.travel.go_to(switch.position)
        self._say(switch, note)

    def _cursor_moved(self, position: int) -> None:
        if position != self._went_to:
            self._went_to = None  # moved elsewhere: next and previous start from there

    def _say(self, switch: Switch | None, note: str = "") -> None:
        """The status line: how many switches, how many to true, and where the cursor went."""
        switches = self.result
        if switches is None:
            return
        found = switches.switches
        parts = [f"<b>{plural(len(found), 'switch')}</b>" + (": " if found else "")
                 + (f"{self._to_true:,} to true" if found else "")]
        if switch is not None:
            number = bisect_left(switches.positions, switch.position) + 1
            way = "to true" if switch.became else "to false"
            colour = "#2e7d32" if switch.became else "#616161"
            cause = f" by {switch.event_type}" if switch.event_type else ""
            subject = f" · {switch.subject}" if switches.kind != "stream" else ""
            parts.append(f"<span style='color:{colour}'><b>{way}</b></span> at "
                         f"{switch.position:,} ({number:,} of {len(found):,}){cause}{subject}")
        if note:
            parts.append(note)
        if switches.truncated:
            parts.append(f"only the first {len(found):,} kept")
        if switches.built_to is not None and switches.built_to < self.travel.last_position:
            parts.append(f"read model built to {switches.built_to:,}")
        parts.extend(switches.notes)
        self.status.set_parts(parts)
