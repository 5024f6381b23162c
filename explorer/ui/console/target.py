"""The console's target: the id of the stream a command is for (typed, made up with New id, or
the stream selected in the browser), and what the store says about it: its type, the version a
command expects and its latest event, or that it is new, or whose it is if the console may not
write to it. A note follows when another writer moves it past the version shown.

Signals:
    loaded(object): the store was asked about the target anew; its `Target`.
    read_failed(str): asking the store failed; what went wrong, in rich text.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from explorer.browsing.hints import StoreExamples
from explorer.ui.console.state import ConsoleState, Target
from explorer.ui.layouts import column
from explorer.ui.timers import single_shot
from explorer.ui.tones import muted
from explorer.ui.widgets.command_frame import IdField
from explorer.ui.worker import JobContext, StoreWorker

TARGET_DELAY_MS = 250  # after the last key typed in the id, the store is asked about it


class TargetPicker(QWidget):
    """The id field with New id and Selected, and what the store says about the target."""

    loaded = Signal(object)
    read_failed = Signal(str)

    def __init__(self, state: ConsoleState, worker: StoreWorker,
                 type_for_new_id: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.worker = worker
        self.examples = StoreExamples()  # the open store's, for the id field's hint
        self.selected_stream: str | None = None
        self._following_selection = True
        self.id_field = IdField(lambda: state.system.new_id(type_for_new_id()),
                                "Make up a new id, for a command that creates an aggregate "
                                "(place, register)", label="Target")
        self.stream_id = self.id_field.edit
        self.stream_id.setPlaceholderText(self.examples.stream_id())
        self.stream_id.textEdited.connect(self._edited)
        self.stream_id.textChanged.connect(state.set_typed_id)
        self.stream_id.returnPressed.connect(self.load)
        self.id_field.made_up.connect(self._made_up)
        self.selected_button = QPushButton("Selected")
        self.selected_button.setToolTip("Send to the stream selected in the stream browser")
        self.selected_button.clicked.connect(self.use_selected_stream)
        self.id_field.row.addWidget(self.selected_button)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # room for a warning under the target ("It has changed since"), so that the form
        # below does not move when one comes
        self.label.setMinimumHeight(2 * self.label.fontMetrics().lineSpacing())
        column(self.id_field, self.label, into=self)
        self._timer = single_shot(self, TARGET_DELAY_MS, self.load)
        state.store_changed.connect(self._store_changed)
        state.command_changed.connect(self._command_changed)
        state.target_changed.connect(self._show)

    # -- choosing the target ---------------------------------------------------------------

    def set_examples(self, examples: StoreExamples) -> None:
        """Examples from the open store, for the id field's hint."""
        self.examples = examples
        command = self.state.command
        self.id_field.show_hint(examples, command.stream_type if command else None)

    def select_stream(self, stream_id: str | None) -> None:
        """The browser selected a stream: it becomes the target, unless the user typed one."""
        self.selected_stream = stream_id
        if stream_id and self._following_selection:
            self.set_target(stream_id)

    def use_selected_stream(self) -> None:
        if self.selected_stream:
            self._following_selection = True
            self.set_target(self.selected_stream)

    def stop_following(self) -> None:
        """The target is the user's choice: a stream selected in the browser no longer moves it."""
        self._following_selection = False

    def set_target(self, stream_id: str) -> None:
        self.stream_id.setText(stream_id)
        self.load()

    def new_id(self) -> None:
        """Make up an id for a new aggregate of the command's type, and aim at it."""
        self.id_field.make_new()

    def _made_up(self, _stream_id: str) -> None:
        self.stop_following()
        self.load()

    def _edited(self, _text: str) -> None:
        self.stop_following()
        self._timer.start()

    def _command_changed(self) -> None:
        command = self.state.command
        if command is not None:
            self.id_field.show_hint(self.examples, command.stream_type)
            self._show()

    def _store_changed(self) -> None:
        for widget in (self.stream_id, self.id_field.new_button, self.selected_button):
            widget.setEnabled(self.state.can_send)
        self.load()

    # -- what the store says ---------------------------------------------------------------

    def load(self) -> None:
        """Ask the store about the target stream: its type, version and latest event."""
        self._timer.stop()
        stream_id = self.stream_id.text().strip()
        if not stream_id or self.state.location is None:
            self.state.set_target(None)
            return

        def read(context: JobContext) -> Target:
            head = context.store.stream_head(stream_id)
            if head is None:
                return Target(stream_id, None, 0, None)
            stream_type, version = head
            last = context.store.read_stream(stream_id, from_version=version)
            return Target(stream_id, stream_type, version, last[0].event_type if last else None)

        def loaded(target: Target) -> None:
            known = self.state.target
            if known is not None and known.stream_id == target.stream_id \
                    and known.version > target.version:
                return  # read before a command sent from here moved it (on its own connection)
            if target.stream_id == self.stream_id.text().strip():
                self.loaded.emit(target)
                self.state.set_target(target)

        self.worker.submit(read, loaded, key="console-target",
                           on_error=lambda error: self.read_failed.emit(
                               f"<span style='color:#c62828'>{html.escape(str(error))}</span>"))

    def check_moved(self) -> None:
        """Events were appended somewhere: say so if the target moved past the version shown."""
        target = self.state.target
        if target is None or self.state.location is None:
            return

        def read(context: JobContext):
            return context.store.stream_head(target.stream_id)

        def compare(head) -> None:
            if self.state.target is target and head is not None \
                    and head[1] != self.state.moved_to:
                self.state.set_moved_to(head[1])

        self.worker.submit(read, compare, key="console-changed", on_error=lambda _: None)

    def _show(self) -> None:
        self.label.setText(describe(self.state))


def describe(state: ConsoleState) -> str:
    """What the store says about the target, in rich text, and whether it takes the command."""
    target, command, refusal = state.target, state.command, state.refusal()
    if target is None:
        return (f"<span style='color:{muted()}'>No target yet: type an id, pick a stream in "
                "the browser, or make a new id.</span>")
    if refusal:
        text = f"<span style='color:#c62828'>{html.escape(refusal)}</span>"
    elif target.stream_type is None:
        kind = command.stream_type if command else "stream"
        text = (f"New {html.escape(kind)} <b>{html.escape(target.stream_id)}</b>: "
                "expected version <b>0</b> (it must not exist yet)")
    else:
        text = (f"{html.escape(target.stream_type)} <b>{html.escape(target.stream_id)}"
                f"</b>: expected version <b>{target.version}</b>"
                f" <span style='color:{muted()}'>(latest: {html.escape(target.last_event or '')})"
                "</span>")
        if command is not None and command.stream_type != target.stream_type:
            text += (f"<br><span style='color:#c62828'>It is a {target.stream_type}; "
                     f"{command.command_name} is a {command.stream_type} command.</span>")
    if state.moved_to is not None and state.moved_to != target.version:
        text += (f"<br><span style='color:#6a1b9a'>It has changed since: now at version "
                 f"{state.moved_to}. Reload to send against that.</span>")
    return text
