"""The console's demo scripts: record what is sent and save it as a script (`Record`, `Save
Script…`), or play one (`Play Script…`): each step shown in the form as it is sent, then the
delay (or the step's own wait), then the next; `Stop` ends it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDoubleSpinBox, QFileDialog, QLabel, QPushButton, QWidget

from explorer.commanding.scripts import (
    Script,
    ScriptError,
    ScriptStep,
    load_script,
    record_script,
    save_script,
)
from explorer.commanding.sending import CommandRequest, Outcome, OutcomeKind
from explorer.ui.console.state import ConsoleState
from explorer.ui.icons import icon
from explorer.ui.layouts import STRETCH, column, row, wrapping
from explorer.ui.timers import single_shot
from explorer.ui.tones import muted

SCRIPT_RETRY_MS = 100  # a step waits this long for a command sent by hand to be answered
SCRIPT_FILTER = "Demo scripts (*.yaml *.yml *.json);;All files (*)"
PlayStep = Callable[[CommandRequest, Callable[[Outcome], None]], bool]


class ScriptPanel(QWidget):
    """Recording and playback. `play_step(request, on_done)` shows a step and sends it, calling
    `on_done(outcome)` when it is answered (False if it cannot be sent now)."""

    def __init__(self, state: ConsoleState, play_step: PlayStep,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._play_step = play_step
        self.recording: list[tuple[CommandRequest, Outcome]] | None = None
        self._script: list[tuple[ScriptStep, CommandRequest]] = []
        self._total = 0
        self._run = 0  # counts playbacks (and stops), so a late outcome knows its own
        self._name = ""
        self._failures = 0
        self._build()
        self._timer = single_shot(self, 0, self._next_step)
        state.store_changed.connect(self._store_changed)

    def _build(self) -> None:
        self.record_button = QPushButton(icon("live"), "Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record the commands you send, to save as a demo script")
        self.record_button.toggled.connect(self._record_toggled)
        self.save_button = QPushButton("Save Script…")
        self.save_button.setToolTip("Save what was recorded as a JSON or YAML script")
        self.save_button.clicked.connect(self._choose_script_to_save)
        self.save_button.setEnabled(False)
        self.play_button = QPushButton(icon("play"), "Play Script…")
        self.play_button.setToolTip("Play a demo script (the system's own are offered first)")
        self.play_button.clicked.connect(self._choose_script_to_play)
        self.delay = QDoubleSpinBox()
        self.delay.setRange(0, 3600)
        self.delay.setSingleStep(0.5)
        self.delay.setValue(2.0)
        self.delay.setSuffix(" s")
        self.delay.setToolTip("Seconds between a script's steps")
        self.stop_button = QPushButton(icon("pause"), "Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {muted()};")
        column(wrapping(self.record_button, self.save_button, STRETCH, self.play_button,
                        row(QLabel("every"), self.delay), self.stop_button),
               self.status, into=self)

    def _store_changed(self) -> None:
        self.stop()
        for widget in (self.play_button, self.record_button):
            widget.setEnabled(self.state.can_send)

    # -- recording -------------------------------------------------------------------------

    def _record_toggled(self, on: bool) -> None:
        if on:
            self.recording = []
            self.record_button.setText("Recording (0)")
            self.save_button.setEnabled(False)
        else:
            self.record_button.setText("Record")
            self.save_button.setEnabled(bool(self.recording))

    def note(self, request: CommandRequest, outcome: Outcome) -> None:
        """A command was answered: record it, if recording (as the history keeps it: its
        secrets masked)."""
        if self.recording is not None:
            self.recording.append((request, outcome))
            self.save_button.setEnabled(True)
            self.record_button.setText(f"Recording ({len(self.recording)})")

    def recorded_script(self) -> Script:
        """What was recorded, as a script that can be played again (see `record_script`)."""
        return record_script(self.recording or [], name="Recorded in the console",
                             delay=self.delay.value(), derived=self.state.system.derived_streams)

    def _choose_script_to_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Demo Script",
                                              str(Path.home() / "demo.yaml"), SCRIPT_FILTER)
        if path:
            self.save_recording(path)

    def save_recording(self, path: str) -> bool:
        """Save what was recorded as a script at `path`; say how it went."""
        try:
            script = self.recorded_script()
            save_script(path, script)
        except ScriptError as error:
            self.status.setText(html.escape(str(error)))
            return False
        except OSError as error:
            self.status.setText(f"Cannot write {html.escape(path)}: "
                                f"{html.escape(str(error.strerror or error))}")
            return False
        skipped = len(self.recording or []) - len(script.steps)
        self.status.setText(
            f"Saved {len(script.steps)} steps to {html.escape(path)}"
            + (f" (left out {skipped} that were invalid, conflicted or failed)." if skipped
               else "."))
        return True

    # -- playing ---------------------------------------------------------------------------

    def _choose_script_to_play(self) -> None:
        scripts = self.state.system.scripts
        start = str(scripts) if scripts is not None and scripts.is_dir() else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Play Demo Script", start, SCRIPT_FILTER)
        if path:
            self.play_script(path)

    def play_script(self, path: str) -> bool:
        """Play a script: one step, then the delay, then the next. False if it cannot be read."""
        if not self.state.can_send:
            return False
        try:
            script = load_script(path)
        except ScriptError as error:
            self.status.setText(f"<span style='color:#c62828'>{html.escape(str(error))}"
                                "</span>")
            return False
        self.delay.setValue(script.delay)
        self._run += 1  # outcomes of an earlier playback's last step no longer count
        self._script = list(zip(script.steps, script.requests(), strict=True))
        self._total = len(self._script)
        self._name = script.name or Path(path).name
        self._failures = 0
        self.play_button.hide()
        self.stop_button.show()
        self._next_step()
        return True

    def _next_step(self) -> None:
        if not self._script:
            self._finished()
            return
        if self.state.sending:  # a command sent by hand is on its way: this step goes after it
            self._timer.start(SCRIPT_RETRY_MS)
            return
        step, request = self._script.pop(0)
        number = self._total - len(self._script)
        note = f": {step.note}" if step.note else ""
        self.status.setText(f"{self._name}, step {number} of {self._total}{note}")
        run = self._run

        def done(outcome: Outcome) -> None:
            if run != self._run:
                return  # stopped (and perhaps played again) meanwhile
            if outcome.kind != (step.expect or OutcomeKind.EVENTS):
                self._failures += 1
            if self._script:
                wait = self._script[0][0].wait
                self._timer.start(int(1000 * (wait if wait is not None else self.delay.value())))
            else:
                self._finished()

        self._play_step(request, done)

    def _finished(self) -> None:
        if self._total:
            failures = self._failures
            self.status.setText(
                f"{self._name}: {self._total} steps played"
                + (f", {failures} did not end as the script expects." if failures else "."))
        self._script = []
        self._total = 0
        self.stop_button.hide()
        self.play_button.show()

    def stop(self) -> None:
        """Stop playing: the step on its way is answered, no other goes."""
        self._run += 1
        if self._script or self._timer.isActive():
            self._timer.stop()
            self._script = []
            self.status.setText("Stopped.")
        self._total = 0
        self.stop_button.hide()
        self.play_button.show()

    @property
    def playing(self) -> bool:
        return bool(self._script) or self._timer.isActive()
