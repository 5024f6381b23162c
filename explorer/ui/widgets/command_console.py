"""The command console: pick a command, fill its generated form, send it, see what happened.

Left, every command of every aggregate type, with a fuzzy search. Middle, the target (the stream
selected in the browser by default, or a new id), the expected version, the form and the
result: the events written (highlighted in the event list), a business error in plain words, or
a concurrency conflict naming the events that came in between (links to them), with Reload and
Retry. An error stays only while the command and target it is about are the ones chosen.
Right, the history: re-send, edit, favourites, and demo scripts (record what is sent; play a
script with a delay between steps).

Signals:
    events_written(object): a tuple of the positions a command just appended.
    open_position(int): show the event at this position in the explorer.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.browsing.hints import StoreExamples
from explorer.commanding.history import History
from explorer.commanding.scripts import (
    Script,
    ScriptError,
    ScriptStep,
    load_script,
    record_script,
    save_script,
)
from explorer.commanding.sending import (
    CONFLICT,
    EVENTS,
    FAILED,
    CommandRequest,
    Outcome,
    owner_of,
    secrets_to_retype,
    send,
    without_secret_values,
    writable_types,
)
from explorer.domain import CommandService, default_issuer
from explorer.domain.commands import Command
from explorer.system import NO_SYSTEM, System
from explorer.ui import settings
from explorer.ui.icons import icon
from explorer.ui.models.history import COMMAND, RESULT, STAR, TIME, HistoryModel
from explorer.ui.widgets.command_form import CommandForm
from explorer.ui.worker import JobContext, StoreWorker

COMMAND_ROLE = Qt.ItemDataRole.UserRole + 21
TARGET_DELAY_MS = 250
SCRIPT_RETRY_MS = 100
BUSY = ("<span style='color:#ef6c00'>A command is on its way; send this one once it is "
        "answered.</span>")
OTHER_STORE = "Another store was opened before this command went out; nothing was sent."
SCRIPT_FILTER = "Demo scripts (*.yaml *.yml *.json);;All files (*)"


@dataclass(frozen=True)
class Target:
    """What the store says about the stream a command is for."""

    stream_id: str
    stream_type: str | None  # None: no such stream yet
    version: int
    last_event: str | None


def fuzzy(query: str, text: str) -> bool:
    """True if the query's characters appear in order in the text (e.g. "oshp" in "Order ship")."""
    position = 0
    text = text.lower()
    for char in query.lower().replace(" ", ""):
        position = text.find(char, position) + 1
        if position == 0:
            return False
    return True


def _store_key(location: str | None) -> str | None:
    """A store as the history notes it: its real path, however it was named when opened."""
    return os.path.realpath(location) if location else None


class CommandConsole(QWidget):
    events_written = Signal(object)
    open_position = Signal(int)

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.system: System = NO_SYSTEM
        self.location: str | None = None
        self.read_only = True
        self.target: Target | None = None
        self._moved_to: int | None = None  # the target's version now, if it moved since read
        self.selected_stream: str | None = None
        self._following_selection = True
        self._sending = False
        self.recording: list[tuple[CommandRequest, Outcome]] | None = None
        self._script: list[tuple[ScriptStep, CommandRequest]] = []
        self._script_total = 0
        self._script_run = 0  # counts playbacks (and stops), so a late outcome knows its own
        self._last_request: CommandRequest | None = None
        self._error_about: tuple | None = None  # the (type, command, target) an error is about
        saved = settings.console_history()
        self.history_model = HistoryModel(History.from_list(saved, NO_SYSTEM.domain), self)
        if self.history_model.history.to_list() != saved:  # e.g. secrets an older version kept
            settings.save_console_history(self.history_model.history.to_list())
        self._build()
        self._fill_commands()
        self._target_timer = QTimer(self)
        self._target_timer.setSingleShot(True)
        self._target_timer.setInterval(TARGET_DELAY_MS)
        self._target_timer.timeout.connect(self._load_target)
        self._script_timer = QTimer(self)
        self._script_timer.setSingleShot(True)
        self._script_timer.timeout.connect(self._next_script_step)
        self.set_store(None, True)

    # -- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        # the commands
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search commands…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type any letters of a command, its type or its description, "
                               "in order: “osh” finds Order ship")
        self.search.textChanged.connect(lambda _: self._fill_commands())
        self.type_filter = QComboBox()
        self.type_filter.currentIndexChanged.connect(lambda _: self._fill_commands())
        self.commands = QListWidget()
        self.commands.currentItemChanged.connect(self._command_chosen)
        left = QWidget()
        layout = QVBoxLayout(left)
        layout.setContentsMargins(6, 6, 3, 6)
        layout.addWidget(self.type_filter)
        layout.addWidget(self.search)
        layout.addWidget(self.commands, 1)

        # the target, the form, the result
        self.stream_id = QLineEdit()
        self.examples = StoreExamples()  # the open store's, for the id field's hint
        self.stream_id.setPlaceholderText(self.examples.stream_id())
        self.stream_id.textEdited.connect(self._id_edited)
        self.stream_id.textChanged.connect(lambda _: self._clear_stale_error())
        self.stream_id.returnPressed.connect(self._load_target)
        self.new_id_button = QPushButton("New id")
        self.new_id_button.setToolTip("Make up a new id, for a command that creates an "
                                      "aggregate (place, register)")
        self.new_id_button.clicked.connect(self.new_id)
        self.selected_button = QPushButton("Selected")
        self.selected_button.setToolTip("Send to the stream selected in the stream browser")
        self.selected_button.clicked.connect(self.use_selected_stream)
        target_row = QHBoxLayout()
        target_row.addWidget(QLabel("Target"))
        target_row.addWidget(self.stream_id, 1)
        target_row.addWidget(self.new_id_button)
        target_row.addWidget(self.selected_button)
        self.target_label = QLabel()
        self.target_label.setTextFormat(Qt.TextFormat.RichText)
        self.target_label.setWordWrap(True)
        self.target_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # room for a warning under the target ("It has changed since"), so that the form
        # below does not move when one comes
        self.target_label.setMinimumHeight(2 * self.target_label.fontMetrics().lineSpacing())
        self.check_version = QCheckBox("Refuse if it changed meanwhile")
        self.check_version.setChecked(True)
        self.check_version.setToolTip("Send with the expected version shown: if another writer "
                                      "appended to the stream since, nothing is written and "
                                      "you can reload and retry")
        self.reload_button = QPushButton(icon("refresh"), "Reload")
        self.reload_button.setToolTip("Read the stream's current version again")
        self.reload_button.clicked.connect(self._load_target)
        self.command_title = QLabel("Choose a command on the left.")
        self.command_title.setTextFormat(Qt.TextFormat.RichText)
        self.command_title.setWordWrap(True)
        self.form = CommandForm(label_width=110)
        self.form.submitted.connect(self.send)
        form_scroll = QScrollArea()
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        form_scroll.setWidget(self.form)
        self.send_button = QPushButton(icon("command"), "Send")
        self.send_button.setToolTip("Send the command (Ctrl+Return)")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.retry_button = QPushButton("Reload and Retry")
        self.retry_button.setToolTip("Read the stream's current version and send the same "
                                     "command against it")
        self.retry_button.clicked.connect(self.retry)
        self.retry_button.hide()
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_button)
        send_row.addWidget(self.retry_button)
        send_row.addStretch(1)
        send_row.addWidget(self.check_version)
        send_row.addWidget(self.reload_button)
        self.result = QLabel()
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.result.linkActivated.connect(lambda link: self.open_position.emit(int(link)))
        self.refusal = QLabel()
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet("background: #fff3e0; color: #e65100; padding: 4px;"
                                   " border-radius: 3px;")
        self.refusal.hide()
        middle = QWidget()
        layout = QVBoxLayout(middle)
        layout.setContentsMargins(3, 6, 3, 6)
        layout.addWidget(self.refusal)
        layout.addLayout(target_row)
        layout.addWidget(self.target_label)
        layout.addWidget(self.command_title)
        layout.addWidget(form_scroll, 1)
        layout.addLayout(send_row)
        layout.addWidget(self.result)
        self.middle = middle

        # the history and scripts
        self.favourites_only = QCheckBox("Favourites only")
        self.favourites_only.toggled.connect(self.history_model.set_favourites_only)
        self.this_store_only = QCheckBox("This store")
        self.this_store_only.setChecked(True)
        self.this_store_only.setToolTip("Only the commands sent to the store that is open "
                                        "(favourites show for every store)")
        self.this_store_only.toggled.connect(lambda _: self._filter_history())
        self.resend_button = QToolButton()
        self.resend_button.setText("Re-send")
        self.resend_button.setToolTip("Send the chosen command again, as it was")
        self.resend_button.clicked.connect(lambda: self.resend(self._history_row()))
        self.edit_button = QToolButton()
        self.edit_button.setText("Edit")
        self.edit_button.setToolTip("Put the chosen command in the form, to change and send")
        self.edit_button.clicked.connect(lambda: self.edit(self._history_row()))
        history_row = QHBoxLayout()
        history_row.addWidget(QLabel("<b>History</b>"))
        history_row.addStretch(1)
        history_row.addWidget(self.this_store_only)
        history_row.addWidget(self.favourites_only)
        history_row.addWidget(self.resend_button)
        history_row.addWidget(self.edit_button)
        self.history = QTableView()
        self.history.setModel(self.history_model)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.verticalHeader().hide()
        self.history.verticalHeader().setDefaultSectionSize(self.history.fontMetrics().height()
                                                             + 6)
        self.history.setShowGrid(False)
        self.history.setWordWrap(False)
        header = self.history.horizontalHeader()
        header.setSectionResizeMode(STAR, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(STAR, 26)
        header.setSectionResizeMode(TIME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COMMAND, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(RESULT, QHeaderView.ResizeMode.ResizeToContents)
        self.history.clicked.connect(self._history_clicked)
        self.history.doubleClicked.connect(lambda index: self.edit(index.row()))
        self.record_button = QPushButton(icon("live"), "Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record the commands you send, to save as a demo script")
        self.record_button.toggled.connect(self._record_toggled)
        self.save_script_button = QPushButton("Save Script…")
        self.save_script_button.setToolTip("Save what was recorded as a JSON or YAML script")
        self.save_script_button.clicked.connect(self._choose_script_to_save)
        self.save_script_button.setEnabled(False)
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
        self.stop_button.clicked.connect(self.stop_script)
        self.stop_button.hide()
        script_row = QHBoxLayout()
        script_row.addWidget(self.record_button)
        script_row.addWidget(self.save_script_button)
        script_row.addStretch(1)
        script_row.addWidget(self.play_button)
        script_row.addWidget(QLabel("every"))
        script_row.addWidget(self.delay)
        script_row.addWidget(self.stop_button)
        self.script_status = QLabel()
        self.script_status.setWordWrap(True)
        self.script_status.setStyleSheet("color: #616161;")
        right = QWidget()
        layout = QVBoxLayout(right)
        layout.setContentsMargins(3, 6, 6, 6)
        layout.addLayout(history_row)
        layout.addWidget(self.history, 1)
        layout.addLayout(script_row)
        layout.addWidget(self.script_status)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(middle)
        self.split.addWidget(right)
        self.split.setSizes([220, 520, 420])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.split)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.send)

    def _fill_commands(self) -> None:
        chosen = self.current_command()
        query = self.search.text().strip()
        only = self.type_filter.currentData()
        self.commands.blockSignals(True)
        self.commands.clear()
        for stream_type in writable_types(self.system):
            if only and stream_type != only:
                continue
            for name, command in self.system.domain.commands[stream_type].items():
                label = f"{stream_type} › {name.replace('_', ' ')}"
                if query and not fuzzy(query, f"{label} {command.summary()}"):
                    continue
                item = QListWidgetItem(label)
                item.setData(COMMAND_ROLE, (stream_type, name))
                item.setToolTip(command.summary())
                self.commands.addItem(item)
                if chosen is not None and (stream_type, name) == (chosen.stream_type,
                                                                  chosen.command_name):
                    self.commands.setCurrentItem(item)
        self.commands.blockSignals(False)
        if self.commands.currentItem() is None and query and self.commands.count() \
                and not (chosen is not None and self.form.edited):
            self.commands.setCurrentRow(0)  # the best match, ready to fill in (unless that
            # would throw away what the user has typed into the form: then they pick one)

    # -- the system, the store and the target ----------------------------------------------

    def set_system(self, system: System) -> None:
        """The system whose commands to offer (its aggregates' that take commands)."""
        if system is self.system:
            return
        self.system = system
        self._command = None
        self.form.set_command(None)
        self.command_title.setText("Choose a command on the left.")
        self.type_filter.blockSignals(True)
        self.type_filter.clear()
        self.type_filter.addItem("All types", None)
        for stream_type in writable_types(system):
            self.type_filter.addItem(stream_type, stream_type)
        self.type_filter.blockSignals(False)
        self.commands.clear()
        self._fill_commands()
        self.history_model.history.domain = system.domain

    def set_examples(self, examples: StoreExamples) -> None:
        """Examples from the open store, for the id field's hint."""
        self.examples = examples
        command = self.current_command()
        self.stream_id.setPlaceholderText(examples.stream_id(command.stream_type if command
                                                             else None))

    def set_store(self, location: str | None, read_only: bool) -> None:
        """A store was opened (or none is): read-only stores take no commands."""
        self.location = location
        self.read_only = read_only
        self.stop_script()
        self.target = None
        self._last_request = None  # a retry belongs to the store it conflicted in
        self.retry_button.hide()
        self._show_result("")
        self._filter_history()
        if location is None:
            self._refuse("Open a store to send commands to it.")
        elif read_only:
            self._refuse("This store is open read-only, and a command writes events. Open it "
                         "again without read-only (File > Open Store) to send commands.")
        else:
            self._refuse(None)
        self._load_target()

    def _filter_history(self) -> None:
        self.history_model.set_store(_store_key(self.location)
                                     if self.this_store_only.isChecked() else None)

    def _refuse(self, reason: str | None) -> None:
        self.refusal.setText(reason or "")
        self.refusal.setVisible(bool(reason))
        writable = reason is None
        for widget in (self.form, self.send_button, self.play_button, self.record_button,
                       self.resend_button, self.new_id_button, self.stream_id,
                       self.selected_button, self.reload_button, self.retry_button):
            widget.setEnabled(writable)

    @property
    def can_send(self) -> bool:
        return self.location is not None and not self.read_only

    def select_stream(self, stream_id: str | None) -> None:
        """The browser selected a stream: it becomes the target, unless the user typed one."""
        self.selected_stream = stream_id
        if stream_id and self._following_selection:
            self.set_target(stream_id)

    def use_selected_stream(self) -> None:
        if self.selected_stream:
            self._following_selection = True
            self.set_target(self.selected_stream)

    def set_target(self, stream_id: str) -> None:
        self.stream_id.setText(stream_id)
        self._load_target()

    def new_id(self) -> None:
        command = self.current_command()
        types = writable_types(self.system)
        stream_type = command.stream_type if command else (self.type_filter.currentData()
                                                          or (types[0] if types else ""))
        self._following_selection = False
        self.set_target(self.system.new_id(stream_type))

    def _id_edited(self, _text: str) -> None:
        self._following_selection = False
        self._target_timer.start()

    def _load_target(self) -> None:
        """Ask the store about the target stream: its type, version and latest event."""
        self._target_timer.stop()
        stream_id = self.stream_id.text().strip()
        if not stream_id or self.location is None:
            self.target = None
            self._show_target()
            return

        def read(context: JobContext) -> Target:
            head = context.store.stream_head(stream_id)
            if head is None:
                return Target(stream_id, None, 0, None)
            stream_type, version = head
            last = context.store.read_stream(stream_id, from_version=version)
            return Target(stream_id, stream_type, version, last[0].event_type if last else None)

        def loaded(target: Target) -> None:
            if target.stream_id == self.stream_id.text().strip():
                self.target = target
                self._moved_to = None
                self._target_loaded(target)

        self.worker.submit(read, loaded, key="console-target",
                           on_error=lambda error: self._show_result(
                               f"<span style='color:#c62828'>{html.escape(str(error))}</span>"))

    def _target_loaded(self, target: Target) -> None:
        command = self.current_command()
        if target.stream_type in writable_types(self.system) and (
                command is None or command.stream_type != target.stream_type):
            self._choose_first_command(target.stream_type)
        self._show_target()

    def _show_target(self) -> None:
        target = self.target
        refusal = owner_of(self.system, target.stream_type, target.stream_id) if target \
            else None
        command = self.current_command()
        if target is None:
            text = "<span style='color:#757575'>No target yet: type an id, pick a stream in " \
                   "the browser, or make a new id.</span>"
        elif refusal:
            text = f"<span style='color:#c62828'>{html.escape(refusal)}</span>"
        elif target.stream_type is None:
            kind = command.stream_type if command else "stream"
            text = (f"New {html.escape(kind)} <b>{html.escape(target.stream_id)}</b>: "
                    "expected version <b>0</b> (it must not exist yet)")
        else:
            text = (f"{html.escape(target.stream_type)} <b>{html.escape(target.stream_id)}"
                    f"</b>: expected version <b>{target.version}</b>"
                    f" <span style='color:#757575'>(latest: {html.escape(target.last_event or '')})"
                    "</span>")
            if command is not None and command.stream_type != target.stream_type:
                text += (f"<br><span style='color:#c62828'>It is a {target.stream_type}; "
                         f"{command.command_name} is a {command.stream_type} command.</span>")
        if target is not None and self._moved_to is not None \
                and self._moved_to != target.version:
            text += (f"<br><span style='color:#6a1b9a'>It has changed since: now at version "
                     f"{self._moved_to}. Reload to send against that.</span>")
        self.target_label.setText(text)
        self.send_button.setEnabled(self.can_send and not refusal and not self._sending)

    def store_changed(self) -> None:
        """Events were appended somewhere: say so if the target moved past the version shown."""
        target = self.target
        if target is None or self.location is None:
            return
        shown = target

        def read(context: JobContext):
            return context.store.stream_head(shown.stream_id)

        def compare(head) -> None:
            if self.target is shown and head is not None and head[1] != self._moved_to:
                self._moved_to = head[1]
                self._show_target()

        self.worker.submit(read, compare, key="console-changed", on_error=lambda _: None)

    # -- the command -----------------------------------------------------------------------

    def current_command(self) -> type[Command] | None:
        item = self.commands.currentItem() if hasattr(self, "commands") else None
        if item is None:
            return getattr(self, "_command", None)
        stream_type, name = item.data(COMMAND_ROLE)
        return self.system.domain.command_class(stream_type, name)

    def choose_command(self, stream_type: str, name: str) -> None:
        for row in range(self.commands.count()):
            if self.commands.item(row).data(COMMAND_ROLE) == (stream_type, name):
                self.commands.setCurrentRow(row)
                return
        self.search.clear()
        self.type_filter.setCurrentIndex(0)
        for row in range(self.commands.count()):
            if self.commands.item(row).data(COMMAND_ROLE) == (stream_type, name):
                self.commands.setCurrentRow(row)
                return

    def _choose_first_command(self, stream_type: str) -> None:
        commands = self.system.domain.commands.get(stream_type, {})
        existing = [n for n, c in commands.items() if c.creates_stream is not True]
        if existing:
            self.choose_command(stream_type, existing[0])

    def _command_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        stream_type, name = item.data(COMMAND_ROLE)
        command = self.system.domain.command_class(stream_type, name)
        self._command = command
        self.stream_id.setPlaceholderText(self.examples.stream_id(stream_type))
        self.command_title.setText(f"<b>{html.escape(stream_type)} › "
                                   f"{html.escape(name.replace('_', ' '))}</b> — "
                                   f"{html.escape(command.summary())}")
        if self.form.command is not command:
            self.form.set_command(command)
        self._show_target()
        self._clear_stale_error()

    def prefill(self, request: CommandRequest) -> None:
        """Put a request in the form (from the history, or an event's command) to edit. Its
        secrets are not filled in: they are typed again, or left at their default."""
        self._following_selection = False
        self.choose_command(request.stream_type, request.command)
        command = self.current_command()
        if command is not None:
            self.form.set_command(command, without_secret_values(request, self.system.domain).data)
        self.stream_id.setText(request.stream_id)
        self._load_target()
        self._show_result("<span style='color:#616161'>Filled in: check the fields, then "
                          "Send.</span>")

    def request(self) -> CommandRequest | None:
        """The request the form describes now (None if no command or target is chosen)."""
        command = self.current_command()
        stream_id = self.stream_id.text().strip()
        if command is None or not stream_id:
            return None
        expected = None
        if self.check_version.isChecked() and self.target is not None \
                and self.target.stream_id == stream_id:
            expected = self.target.version
        return CommandRequest(command.stream_type, stream_id, command.command_name,
                              self.form.values(), expected)

    # -- sending ---------------------------------------------------------------------------

    def send(self) -> None:
        if not self.can_send:
            return
        if self._sending:
            self._show_result(BUSY)
            return
        if self.current_command() is None:
            self._show_error("<span style='color:#c62828'>Choose a command first.</span>")
            return
        if not self.stream_id.text().strip():
            self._show_error("<span style='color:#c62828'>Give the target's id (or “New id” "
                             "for a command that creates an aggregate). Nothing was sent."
                             "</span>")
            return
        if self.form.reveal_problems() is None:
            count = len(self.form.problems)
            self._show_error(f"<span style='color:#ef6c00'>{count} field"
                             f"{'s need' if count != 1 else ' needs'} attention (see the "
                             "messages under them); nothing was sent.</span>")
            return
        request = self.request()
        if request is not None:
            self.send_request(request)

    def send_request(self, request: CommandRequest, on_done=None) -> bool:
        """Send a request on the worker; its outcome is shown and kept in the history. False
        if it cannot be sent now (no writable store, or another command is on its way)."""
        if not self.can_send or self._sending:
            return False
        location, system = self.location, self.system
        self._set_sending(True)
        self.retry_button.hide()
        self._last_request = request
        self._show_result("Sending…")

        def run(context: JobContext) -> Outcome:
            if context.store is None or context.store.location != location:
                return Outcome(FAILED, OTHER_STORE)  # opened after this was asked for
            key = ("console-service", system.name)
            service = context.cache.get(key)
            if service is None:
                service = context.cache[key] = CommandService(
                    context.store, system.domain, issued_by=default_issuer("console"),
                    context=system.make_context())
            return send(service, request, system)

        def done(outcome: Outcome) -> None:
            self._sent(request, outcome, location, same_store=self.location == location)
            if on_done is not None:
                on_done(outcome)

        def failed(error: Exception) -> None:
            done(Outcome("failed", str(error)))

        self.worker.submit(run, done, on_error=failed)
        return True

    def _set_sending(self, sending: bool) -> None:
        """A command is on its way (or no longer): one at a time, from any button."""
        self._sending = sending
        self.resend_button.setEnabled(self.can_send and not sending)
        self._show_target()  # which enables Send if the target takes commands

    def _sent(self, request: CommandRequest, outcome: Outcome, location: str | None,
              same_store: bool = True) -> None:
        self._set_sending(False)
        entry = self.history_model.add(request, outcome, _store_key(location))
        settings.save_console_history(self.history_model.history.to_list())
        if self.recording is not None:  # as the history keeps it: its secrets masked
            self.recording.append((entry.request, outcome))
            self.save_script_button.setEnabled(True)
            self.record_button.setText(f"Recording ({len(self.recording)})")
        if not same_store:  # another store was opened meanwhile: it is history, nothing more
            self._show_target()
            return
        self._show_outcome(request, outcome)
        if outcome.kind == EVENTS and self.target is not None \
                and self.target.stream_id == request.stream_id and outcome.version is not None:
            self.target = replace(self.target, stream_type=request.stream_type,
                                  version=outcome.version,
                                  last_event=(outcome.event_types or (None,))[-1]
                                  or self.target.last_event)
            self._moved_to = None  # this very command moved it
        self._show_target()
        if outcome.positions:
            self.events_written.emit(outcome.positions)

    def _show_outcome(self, request: CommandRequest, outcome: Outcome) -> None:
        self.retry_button.setVisible(outcome.kind == CONFLICT)
        label = html.escape(request.label())
        if outcome.kind == EVENTS:
            links = _event_links(zip(outcome.positions, outcome.event_types, strict=True))
            text = (f"<span style='color:#2e7d32'>✓ {label}: "
                    f"{links or html.escape(outcome.message)}</span>")
            if outcome.version is not None and outcome.positions:
                text += f" <span style='color:#616161'>(now version {outcome.version})</span>"
            self._show_result(text)
            return
        if outcome.kind == CONFLICT:
            text = (f"<span style='color:#6a1b9a'><b>{label}: changed meanwhile.</b> You saw "
                    f"version {outcome.expected}; another writer has taken it to version "
                    f"{outcome.actual}{_between(outcome)}. Nothing was written. Reload to see "
                    "it, or retry against it.</span>")
        elif outcome.kind == "invalid":
            text = (f"<span style='color:#ef6c00'>{label}: {html.escape(outcome.message)}"
                    "</span>")
        else:
            text = f"<span style='color:#c62828'>✗ {label}: {html.escape(outcome.message)}</span>"
        self._show_error(text, (request.stream_type, request.command, request.stream_id))

    def _show_result(self, text: str) -> None:
        self.result.setText(text)
        self._error_about = None

    def _request_shown(self) -> tuple:
        """The command and target the form shows now: (type, command, target id)."""
        command = self.current_command()
        return (command.stream_type if command else None,
                command.command_name if command else None, self.stream_id.text().strip())

    def _show_error(self, text: str, about: tuple | None = None) -> None:
        """An error about a command and target (by default those chosen now), shown until
        another command or target is chosen."""
        self.result.setText(text)
        self._error_about = about or self._request_shown()

    def _clear_stale_error(self) -> None:
        """The command or target changed: an error about another one goes (and its Retry)."""
        if self._error_about is not None and self._error_about != self._request_shown():
            self._show_result("")
            self.retry_button.hide()

    def retry(self) -> None:
        """Reload the target's version, then send the last request against it."""
        request = self._last_request
        if request is None or self._sending or not self.can_send:
            return
        self.retry_button.hide()  # one retry per conflict
        self._set_sending(True)  # from the click until the command goes out
        location = self.location

        def read(context: JobContext):
            if context.store is None or context.store.location != location:
                return OTHER_STORE
            return context.store.stream_head(request.stream_id)

        def reloaded(head) -> None:
            self._set_sending(False)
            if head is OTHER_STORE or self.location != location:
                self._show_result(f"<span style='color:#c62828'>{html.escape(OTHER_STORE)}"
                                  "</span>")
                return
            version = head[1] if head else 0
            self._load_target()
            self.send_request(replace(request, expected_version=version
                                      if request.expected_version is not None else None))

        def failed(error: Exception) -> None:
            self._set_sending(False)
            self._show_result(f"<span style='color:#c62828'>{html.escape(str(error))}</span>")

        self.worker.submit(read, reloaded, on_error=failed)

    # -- history ---------------------------------------------------------------------------

    def _history_row(self) -> int:
        index = self.history.currentIndex()
        return index.row() if index.isValid() else -1

    def _history_clicked(self, index) -> None:
        if index.column() == STAR:
            self.history_model.toggle_favourite(index.row())
            settings.save_console_history(self.history_model.history.to_list())

    def resend(self, row: int) -> None:
        """Send a command from the history again, as it was (against the stream as it is); one
        with a secret the history does not keep goes to the form, for the secret to be typed."""
        entry = self.history_model.entry(row)
        if entry is None:
            return
        retype = secrets_to_retype(entry.request, self.system.domain)
        if retype:
            self.prefill(entry.request)
            self._show_result("<span style='color:#ef6c00'>The history does not keep "
                              f"{html.escape(', '.join(retype).replace('_', ' '))}: type it "
                              "again, then Send.</span>")
            return
        if not self.send_request(replace(entry.request, expected_version=None)):
            self._show_result(BUSY if self._sending else "")

    def edit(self, row: int) -> None:
        entry = self.history_model.entry(row)
        if entry is not None:
            self.prefill(entry.request)

    # -- scripts ---------------------------------------------------------------------------

    def _record_toggled(self, on: bool) -> None:
        if on:
            self.recording = []
            self.record_button.setText("Recording (0)")
            self.save_script_button.setEnabled(False)
        else:
            self.record_button.setText("Record")
            self.save_script_button.setEnabled(bool(self.recording))

    def recorded_script(self) -> Script:
        """What was recorded, as a script that can be played again (see `record_script`)."""
        return record_script(self.recording or [], name="Recorded in the console",
                             delay=self.delay.value(), derived=self.system.derived_streams)

    def _choose_script_to_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Demo Script",
                                              str(Path.home() / "demo.yaml"), SCRIPT_FILTER)
        if path:
            self.save_recording(path)

    def save_recording(self, path: str) -> bool:
        try:
            script = self.recorded_script()
            save_script(path, script)
        except ScriptError as error:
            self.script_status.setText(html.escape(str(error)))
            return False
        except OSError as error:
            self.script_status.setText(f"Cannot write {html.escape(path)}: "
                                       f"{html.escape(str(error.strerror or error))}")
            return False
        skipped = len(self.recording or []) - len(script.steps)
        self.script_status.setText(
            f"Saved {len(script.steps)} steps to {html.escape(path)}"
            + (f" (left out {skipped} that were invalid, conflicted or failed)." if skipped
               else "."))
        return True

    def _choose_script_to_play(self) -> None:
        scripts = self.system.scripts
        start = str(scripts) if scripts is not None and scripts.is_dir() else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Play Demo Script", start, SCRIPT_FILTER)
        if path:
            self.play_script(path)

    def play_script(self, path: str) -> bool:
        """Play a script: one step, then the delay, then the next. False if it cannot be read."""
        if not self.can_send:
            return False
        try:
            script = load_script(path)
        except ScriptError as error:
            self.script_status.setText(f"<span style='color:#c62828'>{html.escape(str(error))}"
                                       "</span>")
            return False
        self.delay.setValue(script.delay)
        self._script_run += 1  # outcomes of an earlier playback's last step no longer count
        self._script = list(zip(script.steps, script.requests(), strict=True))
        self._script_total = len(self._script)
        self._script_name = script.name or Path(path).name
        self._script_failures = 0
        self.play_button.hide()
        self.stop_button.show()
        self._next_script_step(first=True)
        return True

    def _next_script_step(self, first: bool = False) -> None:
        if not self._script:
            self._script_done()
            return
        if self._sending:  # a command sent by hand is on its way: this step goes after it
            self._script_timer.start(SCRIPT_RETRY_MS)
            return
        step, request = self._script.pop(0)
        number = self._script_total - len(self._script)
        note = f": {step.note}" if step.note else ""
        self.script_status.setText(f"{self._script_name}, step {number} of "
                                   f"{self._script_total}{note}")
        self.prefill_quietly(request)
        run = self._script_run

        def done(outcome: Outcome) -> None:
            if run != self._script_run:
                return  # stopped (and perhaps played again) meanwhile
            if outcome.kind != (step.expect or EVENTS):
                self._script_failures += 1
            if self._script:
                wait = self._script[0][0].wait
                self._script_timer.start(int(1000 * (wait if wait is not None
                                                     else self.delay.value())))
            else:
                self._script_done()

        self.send_request(request, on_done=done)

    def prefill_quietly(self, request: CommandRequest) -> None:
        """Show a script's step in the form as it is sent (so the audience sees it)."""
        self.choose_command(request.stream_type, request.command)
        command = self.current_command()
        if command is not None:
            self.form.set_command(command, request.data)
        self.stream_id.setText(request.stream_id)
        self._load_target()

    def _script_done(self) -> None:
        if self._script_total:
            failures = self._script_failures
            self.script_status.setText(
                f"{self._script_name}: {self._script_total} steps played"
                + (f", {failures} did not end as the script expects." if failures else "."))
        self._script = []
        self._script_total = 0
        self.stop_button.hide()
        self.play_button.show()

    def stop_script(self) -> None:
        self._script_run += 1
        if self._script or self._script_timer.isActive():
            self._script_timer.stop()
            self._script = []
            self.script_status.setText("Stopped.")
        self._script_total = 0
        self.stop_button.hide()
        self.play_button.show()

    @property
    def playing(self) -> bool:
        return bool(self._script) or self._script_timer.isActive()


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
