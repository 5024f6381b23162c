"""The console's form and what became of the command sent from it: the command's title, its
generated form, Send (one command at a time, from any button), Reload and Retry after a
conflict, and the result: the events written (links to them), a business error in plain words,
or a concurrency conflict naming the events that came in between. An error stays only while the
command and target it is about are the ones chosen.

Signals:
    answered(object, object, object): a command's (request, outcome, store location) as its
        answer came, before it is shown (for the history and a recording).
    events_written(object): a tuple of the positions a command just appended.
    open_position(int): show the event at this position in the explorer.
    reload_asked(): read the target's version again.
"""

from __future__ import annotations

import html
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QWidget

from explorer.commanding.sending import CommandRequest, Outcome, OutcomeKind, send
from explorer.domain import CommandService, default_issuer
from explorer.system.workspace import open_store
from explorer.ui.console.state import ConsoleState
from explorer.ui.icons import icon
from explorer.ui.layouts import STRETCH, column, scrolling, wrapping
from explorer.ui.tones import muted
from explorer.ui.widgets.command_form import CommandForm
from explorer.ui.widgets.command_frame import ResultLabel
from explorer.ui.worker import JobContext, StoreWorker

BUSY = ("<span style='color:#ef6c00'>A command is on its way; send this one once it is "
        "answered.</span>")
OTHER_STORE = "Another store was opened before this command went out; nothing was sent."
NO_COMMAND = "Choose a command on the left."


class SendPanel(QWidget):
    """The form, the send row and the result; sends one command at a time, on a worker and a
    connection of its own (`command_worker`): a command waiting for the store's write lock
    (another program's long transaction, up to the busy timeout) holds up none of the window's
    reads, which the shared worker would have queued behind it. The shared worker is asked
    first whether the store is still the one the command was asked for (a store the window
    began opening before is not sent to)."""

    answered = Signal(object, object, object)
    events_written = Signal(object)
    open_position = Signal(int)
    reload_asked = Signal()

    def __init__(self, state: ConsoleState, worker: StoreWorker,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.worker = worker
        self.command_worker = StoreWorker(self)
        self._sending_to: str | None = None  # the store commands go to (read on its thread)
        self._last_request: CommandRequest | None = None
        self._build()
        state.system_changed.connect(self._system_changed)
        state.store_changed.connect(self._store_changed)
        state.command_changed.connect(self._command_changed)
        state.id_changed.connect(self._clear_stale_error)
        for news in (state.target_changed, state.sending_changed):
            news.connect(self._enable_send)

    def _build(self) -> None:
        self.title = QLabel(NO_COMMAND)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.form = CommandForm(label_width=110)
        self.form.submitted.connect(self.send)
        self.send_button = QPushButton(icon("command"), "Send")
        self.send_button.setToolTip("Send the command (Ctrl+Return)")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.retry_button = QPushButton("Reload and Retry")
        self.retry_button.setToolTip("Read the stream's current version and send the same "
                                     "command against it")
        self.retry_button.clicked.connect(self.retry)
        self.retry_button.hide()
        self.check_version = QCheckBox("Refuse if it changed meanwhile")
        self.check_version.setChecked(True)
        self.check_version.setToolTip("Send with the expected version shown: if another writer "
                                      "appended to the stream since, nothing is written and "
                                      "you can reload and retry")
        self.reload_button = QPushButton(icon("refresh"), "Reload")
        self.reload_button.setToolTip("Read the stream's current version again")
        self.reload_button.clicked.connect(self.reload_asked)
        self.result = ResultLabel(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.result.linkActivated.connect(lambda link: self.open_position.emit(int(link)))
        # The result above the send row, which stays at the bottom however many lines it
        # takes (below, a rejection's two lines moved the row up, under the pointer of a user
        # about to click Send again, and out of line with the script panel's row beside it).
        column(self.title, (scrolling(self.form), 1), self.result,
               wrapping(self.send_button, self.retry_button, STRETCH, self.check_version,
                        self.reload_button), into=self)

    # -- what the state says ---------------------------------------------------------------

    def _system_changed(self) -> None:
        self.form.set_command(None)
        self.title.setText(NO_COMMAND)

    def _store_changed(self) -> None:
        if self.state.location != self._sending_to:
            self._sending_to = self.state.location
            self.command_worker.submit(lambda context: context.set_store(None), key="store")
        self._last_request = None  # a retry belongs to the store it conflicted in
        self.retry_button.hide()
        self.show_result("")
        for widget in (self.form, self.reload_button, self.retry_button):
            widget.setEnabled(self.state.can_send)
        self._enable_send()

    def _command_changed(self) -> None:
        command = self.state.command
        if command is None:
            return
        self.title.setText(f"<b>{html.escape(command.stream_type)} › "
                           f"{html.escape(command.command_name.replace('_', ' '))}</b> — "
                           f"{html.escape(command.summary())}")
        if self.form.command is not command:
            self.form.set_command(command)
        self._enable_send()
        self._clear_stale_error()

    def _enable_send(self) -> None:
        state = self.state
        self.send_button.setEnabled(state.can_send and not state.refusal()
                                    and not state.sending)

    def holds_input(self) -> bool:
        """Whether the user has typed into the form."""
        return self.form.edited

    def fill(self, data: dict) -> None:
        """Put these values in the form of the command chosen."""
        if self.state.command is not None:
            self.form.set_command(self.state.command, data)

    # -- the result line -------------------------------------------------------------------

    def show_result(self, text: str) -> None:
        self.result.show_result(text)

    def show_error(self, text: str, about: tuple | None = None) -> None:
        """An error about a command and target (by default those chosen now), shown until
        another command or target is chosen."""
        self.result.show_error(text, about or self.state.chosen())

    def _clear_stale_error(self) -> None:
        """The command or target changed: an error about another one goes (and its Retry)."""
        if self.result.clear_stale(self.state.chosen()):
            self.retry_button.hide()

    # -- sending ---------------------------------------------------------------------------

    def request(self) -> CommandRequest | None:
        """The request the form describes now (None if no command or target is chosen)."""
        command, stream_id, target = self.state.command, self.state.typed_id, self.state.target
        if command is None or not stream_id:
            return None
        expected = None
        if self.check_version.isChecked() and target is not None \
                and target.stream_id == stream_id:
            expected = target.version
        return CommandRequest(command.stream_type, stream_id, command.command_name,
                              self.form.values(), expected)

    def send(self) -> None:
        """Send what the form shows, or say why not."""
        if not self.state.can_send:
            return
        if self.state.sending:
            self.show_result(BUSY)
            return
        problem = self._problem()
        if problem is not None:
            self.show_error(problem)
            return
        request = self.request()
        if request is not None:
            self.send_request(request)

    def _problem(self) -> str | None:
        """Why the form cannot be sent as it is (in rich text), or None."""
        if self.state.command is None:
            return "<span style='color:#c62828'>Choose a command first.</span>"
        if not self.state.typed_id:
            return ("<span style='color:#c62828'>Give the target's id (or “New id” for a "
                    "command that creates an aggregate). Nothing was sent.</span>")
        if self.form.reveal_problems() is None:
            count = len(self.form.problems)
            return (f"<span style='color:#ef6c00'>{count} field"
                    f"{'s need' if count != 1 else ' needs'} attention (see the messages "
                    "under them); nothing was sent.</span>")
        return None

    def send_request(self, request: CommandRequest, on_done=None) -> bool:
        """Send a request on the worker; its outcome is shown and kept in the history. False
        if it cannot be sent now (no writable store, or another command is on its way)."""
        state = self.state
        if not state.can_send or state.sending:
            return False
        location, system = state.location, state.system
        state.set_sending(True)
        self.retry_button.hide()
        self._last_request = request
        self.show_result("Sending…")

        def run(context: JobContext) -> Outcome:
            if location is None or self._sending_to != location:
                return Outcome(OutcomeKind.FAILED, OTHER_STORE)
            key = ("console-service", system.name)
            service = context.cache.get(key)
            if service is not None and context.store.file_changed():
                service = None  # (the window opened the store again since: the file now there)
            if service is None:
                context.set_store(None)  # (the system's before, if another was loaded since)
                context.set_store(open_store(location, system=system, verify=False))
                service = context.cache[key] = CommandService(
                    context.store, system.domain, issued_by=default_issuer("console"),
                    context=system.make_context())
            return send(service, request, system)

        def done(outcome: Outcome) -> None:
            self._sent(request, outcome, location)
            if on_done is not None:
                on_done(outcome)

        def failed(error: Exception) -> None:
            done(Outcome(OutcomeKind.FAILED, str(error)))

        def still_open(context: JobContext) -> bool:  # (after what the window asked before)
            if context.store is None or context.store.location != location:
                return False
            # (the command's own connection would open the file now at the path: one put
            # there since the window opened the store, which the window does not show)
            context.store.refuse_if_gone("send a command")
            return True

        def asked(same_store: bool) -> None:
            if not same_store:
                done(Outcome(OutcomeKind.FAILED, OTHER_STORE))  # opened after this was asked for
                return
            self.command_worker.submit(run, done, on_error=failed)

        self.worker.submit(still_open, asked, on_error=failed)
        return True

    def shutdown(self) -> None:
        """Close the sending connection and stop its thread (the window is closing)."""
        self.command_worker.shutdown()

    def _sent(self, request: CommandRequest, outcome: Outcome, location: str | None) -> None:
        state = self.state
        state.set_sending(False)
        self.answered.emit(request, outcome, location)
        if state.location != location:  # another store was opened meanwhile: history only
            return
        self._show_outcome(request, outcome)
        target = state.target
        if outcome.kind == OutcomeKind.EVENTS and target is not None \
                and target.stream_id == request.stream_id and outcome.version is not None:
            state.set_target(replace(  # this very command moved it
                target, stream_type=request.stream_type, version=outcome.version,
                last_event=(outcome.event_types or (None,))[-1] or target.last_event))
        if outcome.positions:
            self.events_written.emit(outcome.positions)
            # (a read of the target begun while it was on its way, on the window's worker,
            # may not have seen it: read it again, after)
            self.reload_asked.emit()

    def _show_outcome(self, request: CommandRequest, outcome: Outcome) -> None:
        self.retry_button.setVisible(outcome.kind == OutcomeKind.CONFLICT)
        if outcome.kind == OutcomeKind.EVENTS:
            self.show_result(outcome_text(request, outcome))
        else:
            self.show_error(outcome_text(request, outcome),
                            (request.stream_type, request.command, request.stream_id))

    def retry(self) -> None:
        """Reload the target's version, then send the last request against it."""
        request, state = self._last_request, self.state
        if request is None or state.sending or not state.can_send:
            return
        self.retry_button.hide()  # one retry per conflict
        state.set_sending(True)  # from the click until the command goes out
        location = state.location

        def read(context: JobContext):
            if context.store is None or context.store.location != location:
                return OTHER_STORE
            return context.store.stream_head(request.stream_id)

        def reloaded(head) -> None:
            state.set_sending(False)
            if head is OTHER_STORE or state.location != location:
                self.show_result(f"<span style='color:#c62828'>{html.escape(OTHER_STORE)}"
                                 "</span>")
                return
            version = head[1] if head else 0
            self.reload_asked.emit()
            self.send_request(replace(request, expected_version=version
                                      if request.expected_version is not None else None))

        def failed(error: Exception) -> None:
            state.set_sending(False)
            self.show_result(f"<span style='color:#c62828'>{html.escape(str(error))}</span>")

        self.worker.submit(read, reloaded, on_error=failed)


def outcome_text(request: CommandRequest, outcome: Outcome) -> str:
    """How a command ended, in rich text: the events written (links to them), a conflict with
    the events that came in between, or why it was refused or failed."""
    label = html.escape(request.label())
    if outcome.kind == OutcomeKind.EVENTS:
        links = _event_links(zip(outcome.positions, outcome.event_types, strict=True))
        text = (f"<span style='color:#2e7d32'>✓ {label}: "
                f"{links or html.escape(outcome.message)}</span>")
        if outcome.version is not None and outcome.positions:
            text += f" <span style='color:{muted()}'>(now version {outcome.version})</span>"
        return text
    if outcome.kind == OutcomeKind.CONFLICT:
        return (f"<span style='color:#6a1b9a'><b>{label}: changed meanwhile.</b> You saw "
                f"version {outcome.expected}; another writer has taken it to version "
                f"{outcome.actual}{_between(outcome)}. Nothing was written. Reload to see "
                "it, or retry against it.</span>")
    if outcome.kind == OutcomeKind.INVALID:
        return f"<span style='color:#ef6c00'>{label}: {html.escape(outcome.message)}</span>"
    return f"<span style='color:#c62828'>✗ {label}: {html.escape(outcome.message)}</span>"


def _event_links(events) -> str:
    """Links to events, by (position, type): "OrderPaid #1,234, …", each opening its event."""
    return ", ".join(f"<a href='{position}'>{html.escape(event_type)} #{position:,}</a>"
                     for position, event_type in events)


def _between(outcome: Outcome) -> str:
    """", with OrderItemAdded #1,234 (and 3 more)": the events that came in between."""
    if not outcome.between:
        return ""
    behind = (outcome.actual or 0) - (outcome.expected or 0)
    more = behind - len(outcome.between)
    return (" with " + _event_links(outcome.between)
            + (f" and {more:,} more" if more > 0 else ""))
