"""The command console: pick a command, fill its generated form, send it, see what happened.

Left, the commands (`CommandList`). Middle, the target (`TargetPicker`), the form and the
result (`SendPanel`). Right, the history (`HistoryPanel`) and demo scripts (`ScriptPanel`). The
parts share a `ConsoleState` and talk by signals; the console composes them, says why a store
takes no commands, and offers what the window calls.

Signals:
    events_written(object): a tuple of the positions a command just appended.
    open_position(int): show the event at this position in the explorer.
"""

from __future__ import annotations

import html
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from explorer.browsing.hints import StoreExamples
from explorer.commanding.sending import (
    CommandRequest,
    Outcome,
    secrets_to_retype,
    without_secret_values,
)
from explorer.domain.commands import Command
from explorer.system import System
from explorer.ui.console.command_list import CommandList
from explorer.ui.console.history_panel import HistoryPanel
from explorer.ui.console.script_panel import ScriptPanel
from explorer.ui.console.send_panel import BUSY, SendPanel
from explorer.ui.console.state import ConsoleState, Target
from explorer.ui.console.target import TargetPicker
from explorer.ui.layouts import column
from explorer.ui.tones import muted
from explorer.ui.worker import StoreWorker

NO_STORE = "Open a store to send commands to it."
READ_ONLY = ("This store is open read-only, and a command writes events. Open it again without "
             "read-only (File > Open Store) to send commands.")


class CommandConsole(QWidget):
    """The console's parts, side by side in a splitter (`split`)."""

    events_written = Signal(object)
    open_position = Signal(int)

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.state = ConsoleState(self)
        # in this order they hear of another store: playback stops before the target is read
        self.script_panel = ScriptPanel(self.state, self._play_step)
        self.send_panel = SendPanel(self.state, worker)
        self.history_panel = HistoryPanel(self.state)
        self.command_list = CommandList(self.state, self.send_panel.holds_input)
        self.target_picker = TargetPicker(self.state, worker, self.command_list.type_for_new_id)
        self._read_only_reason: str | None = None
        self._wire()
        self._lay_out()
        # what the window and older callers reach for by name
        self.search, self.commands = self.command_list.search, self.command_list.commands
        self.form, self.history_model = self.send_panel.form, self.history_panel.model
        self.record_button = self.script_panel.record_button
        self.set_store(None, True)

    def _wire(self) -> None:
        self.send_panel.answered.connect(self._answered)
        self.send_panel.events_written.connect(self.events_written)
        self.send_panel.open_position.connect(self.open_position)
        self.send_panel.reload_asked.connect(self.target_picker.load)
        self.target_picker.loaded.connect(self.command_list.suit)
        self.target_picker.read_failed.connect(self.send_panel.show_result)
        self.history_panel.resend_asked.connect(self.resend)
        self.history_panel.edit_asked.connect(self.edit)
        self.state.store_changed.connect(self._show_refusal)
        self.command_list.search.returnPressed.connect(self.fill_in)
        self.command_list.commands.itemActivated.connect(lambda _item: self.fill_in())

    def _lay_out(self) -> None:
        self.refusal = QLabel()
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet("background: #fff3e0; color: #e65100; padding: 4px;"
                                   " border-radius: 3px;")
        self.refusal.hide()
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.command_list)
        self.split.addWidget(column(self.refusal, self.target_picker, (self.send_panel, 1),
                                    margins=(3, 6, 3, 6)))
        self.split.addWidget(column((self.history_panel, 1), self.script_panel,
                                    margins=(3, 6, 6, 6)))
        self.split.setSizes([220, 520, 420])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.split)
        send = QShortcut(QKeySequence("Ctrl+Return"), self, self.send)
        send.setWhatsThis("Send the command")  # (as the shortcuts list names it)

    # -- what the window tells it ----------------------------------------------------------

    def set_system(self, system: System) -> None:
        """The system whose commands to offer (its aggregates' that take commands)."""
        if system is not self.state.system:
            self.state.set_system(system)

    def set_store(self, location: str | None, read_only: bool,
                  reason: str | None = None) -> None:
        """A store was opened (or none is): read-only stores take no commands; `reason` is why
        one is read-only whatever was asked (a library's store, a folder that cannot be
        written), which opening it again does not change."""
        self._read_only_reason = reason
        self.state.set_store(location, read_only)

    def shutdown(self) -> None:
        """Close the connection commands are sent on and stop its thread (the window closes)."""
        self.send_panel.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override (a console on its own)
        self.shutdown()
        super().closeEvent(event)

    def set_examples(self, examples: StoreExamples) -> None:
        """Examples from the open store, for the id field's hint."""
        self.target_picker.set_examples(examples)

    def select_stream(self, stream_id: str | None) -> None:
        """The browser selected a stream: it becomes the target, unless the user typed one."""
        self.target_picker.select_stream(stream_id)

    def store_changed(self) -> None:
        """Events were appended somewhere: say so if the target moved past the version shown."""
        self.target_picker.check_moved()

    def _show_refusal(self) -> None:
        reason = None if self.state.can_send else (
            NO_STORE if self.state.location is None else
            READ_ONLY if not self._read_only_reason else
            f"Commands are not sent to this store: {self._read_only_reason.rstrip('.')}.")
        self.refusal.setText(reason or "")
        self.refusal.setVisible(bool(reason))

    # -- what is shared --------------------------------------------------------------------

    @property
    def location(self) -> str | None:
        return self.state.location

    @property
    def target(self) -> Target | None:
        return self.state.target

    @property
    def playing(self) -> bool:
        return self.script_panel.playing

    def current_command(self) -> type[Command] | None:
        return self.state.command

    def request(self) -> CommandRequest | None:
        """The request the form describes now (None if no command or target is chosen)."""
        return self.send_panel.request()

    # -- choosing and filling in -----------------------------------------------------------

    def choose_command(self, stream_type: str, name: str) -> None:
        self.command_list.choose(stream_type, name)

    def fill_in(self) -> None:
        """Enter on the command chosen (in the search or the list): the focus goes to what is
        left to fill in, the target while there is none, else the form's first field."""
        if self.state.command is None:
            return
        if not self.state.typed_id or not self.form.focus_first():
            self.target_picker.id_field.edit.setFocus()

    def set_target(self, stream_id: str) -> None:
        self.target_picker.set_target(stream_id)

    def new_id(self) -> None:
        self.target_picker.new_id()

    def prefill(self, request: CommandRequest) -> None:
        """Put a request in the form (from the history, or an event's command) to edit. Its
        secrets are not filled in: they are typed again, or left at their default."""
        self.target_picker.stop_following()
        self._show_request(without_secret_values(request, self.state.system.domain))
        self.send_panel.show_result(f"<span style='color:{muted()}'>Filled in: check the fields, "
                                    "then Send.</span>")

    def _show_request(self, request: CommandRequest) -> None:
        self.command_list.choose(request.stream_type, request.command)
        self.send_panel.fill(request.data)
        self.target_picker.set_target(request.stream_id)

    # -- sending ---------------------------------------------------------------------------

    def send(self) -> None:
        self.send_panel.send()

    def send_request(self, request: CommandRequest, on_done=None) -> bool:
        """Send a request; False if it cannot be sent now (see `SendPanel.send_request`)."""
        return self.send_panel.send_request(request, on_done)

    def retry(self) -> None:
        self.send_panel.retry()

    def _answered(self, request: CommandRequest, outcome: Outcome, location: str | None) -> None:
        entry = self.history_panel.add(request, outcome, location)
        self.script_panel.note(entry.request, outcome)

    def _play_step(self, request: CommandRequest, on_done) -> bool:
        """Show a script's step in the form as it is sent (so the audience sees it), send it."""
        self._show_request(request)
        return self.send_panel.send_request(request, on_done)

    # -- the history -----------------------------------------------------------------------

    def resend(self, row: int) -> None:
        """Send a command from the history again, as it was (against the stream as it is); one
        with a secret the history does not keep goes to the form, for the secret to be typed."""
        entry = self.history_panel.entry(row)
        if entry is None:
            return
        retype = secrets_to_retype(entry.request, self.state.system.domain)
        if retype:
            self.prefill(entry.request)
            self.send_panel.show_result(
                "<span style='color:#ef6c00'>The history does not keep "
                f"{html.escape(', '.join(retype).replace('_', ' '))}: type it again, then "
                "Send.</span>")
            return
        if not self.send_request(replace(entry.request, expected_version=None)):
            self.send_panel.show_result(BUSY if self.state.sending else "")

    def edit(self, row: int) -> None:
        entry = self.history_panel.entry(row)
        if entry is not None:
            self.prefill(entry.request)

    # -- scripts ---------------------------------------------------------------------------

    def play_script(self, path: str) -> bool:
        return self.script_panel.play_script(path)

    def save_recording(self, path: str) -> bool:
        return self.script_panel.save_recording(path)
