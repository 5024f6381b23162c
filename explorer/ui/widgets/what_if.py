"""What if: a sandbox branched at a past position, where commands can be tried.

The dialog copies the store as it was at the position into a temporary branch (with progress
and cancel), then lets the user send commands there from a form generated from their schemas.
Each result lists the new events (the sagas' reactions included) and the read-model rows they
changed, each with its values before and after (marked as the As of Cursor tab marks changes).
Export writes the branch's new events as JSON lines; closing discards the branch. The real store
is only ever read.
"""

from __future__ import annotations

import html
import inspect
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.browsing.hints import StoreExamples
from explorer.commanding.sending import writable_types
from explorer.common.formatting import short_time, summarize
from explorer.domain import DomainError
from explorer.domain.commands import CommandError
from explorer.store import StoreError
from explorer.system import System
from explorer.timetravel.machine import diff
from explorer.timetravel.whatif import RowChange, Sandbox
from explorer.ui.icons import icon
from explorer.ui.layouts import STRETCH, column, row, scrolling
from explorer.ui.tones import muted
from explorer.ui.widgets.change_tree import ChangeTree
from explorer.ui.widgets.command_form import CommandForm
from explorer.ui.widgets.command_frame import IdField, ResultLabel
from explorer.ui.widgets.tables import read_only_table
from explorer.ui.worker import JobContext, StoreWorker

LABEL_WIDTH = 110
EXPAND_ROWS_UNDER = 10  # read-model rows changed: fewer open with their fields, more stay shut
ROW_GAP = "   —   "  # between a changed row's key and what changed in it


def takes_failure_rate(system: System) -> bool:
    """Whether the system's command context simulates failures at a rate (the shop's payment
    gateway declines that share of charges)."""
    try:
        return "failure_rate" in inspect.signature(system.domain.make_context).parameters
    except (TypeError, ValueError):
        return False


def _intro(position: int, when: int | None) -> QLabel:
    """What the dialog is: a branch of the store as it was, where nothing touches the store."""
    when_text = f" ({short_time(when)} UTC)" if when else ""
    intro = QLabel(
        f"<b>A branch of the store as it was at position {position:,}</b>{when_text}. "
        "Commands sent here run against that past state, with the sagas and projections "
        "reacting, in a temporary copy. <b>The store itself is never changed.</b>")
    intro.setWordWrap(True)
    intro.setTextFormat(Qt.TextFormat.RichText)
    return intro


class WhatIfDialog(QDialog):

    def __init__(self, location: str, position: int, system: System,
                 parent: QWidget | None = None, *, stream_type: str | None = None,
                 stream_id: str | None = None, when: int | None = None,
                 examples: StoreExamples | None = None) -> None:
        super().__init__(parent)
        self.examples = examples or StoreExamples()  # the store's, for the id field's hint
        self.location = location
        self.position = position
        self.system = system
        self.writable_types = writable_types(system)
        self.sandbox: Sandbox | None = None
        self.worker = StoreWorker(self)
        self._job: int | None = None
        self._made: list[Sandbox] = []  # every branch made, so that none outlives the dialog
        self._sent = 0
        self._discarded = False
        self.setWindowTitle(f"What If… at position {position:,} — {Path(location).name} "
                            f"({system.label})")
        self.setWindowIcon(icon("branch"))
        self.resize(QSize(1000, 720).boundedTo(self.screen().availableGeometry().size()))

        self.progress = QProgressBar()
        self.progress.setFormat("Copying the events up to the position… %p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.addWidget(self._command_pane())
        self.body.addWidget(self._outcome_pane())
        self.body.setSizes([420, 580])
        self.body.setEnabled(False)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the branch's new events as JSON lines")
        self.export_button.clicked.connect(self.export)
        self.export_button.setEnabled(False)
        close = QPushButton("Discard and Close")
        close.setToolTip("Delete the branch; the store is not affected either way")
        close.clicked.connect(self.close)
        self.main_layout = QVBoxLayout(self)
        self.main_layout.addWidget(_intro(position, when))
        self.main_layout.addLayout(row((self.progress, 1), self.cancel_button))
        self.main_layout.addWidget(self.body, 1)
        self.main_layout.addLayout(row(STRETCH, self.export_button, close))

        self.stream_type.currentTextChanged.connect(self._type_changed)
        self.command.currentIndexChanged.connect(self._command_changed)
        self.stream_id.textChanged.connect(lambda _: self._clear_stale_error())
        if stream_type in self.writable_types:
            self.stream_type.setCurrentText(stream_type)
            self.stream_id.setText(stream_id or "")
        self._type_changed(self.stream_type.currentText())
        self._branch()

    def _command_pane(self) -> QWidget:
        """The command: its aggregate type and id, the command, the form, Send."""
        system = self.system
        self.stream_type = QComboBox()
        self.stream_type.addItems(self.writable_types)
        self.id_field = IdField(lambda: system.new_id(self.stream_type.currentText(), "whatif"),
                                "Make up a new id, for a command that creates an aggregate")
        self.stream_id = self.id_field.edit
        self.stream_id.setPlaceholderText("the aggregate's id")
        self.command = QComboBox()
        self.command.setMinimumWidth(220)
        self.failure_rate = QSpinBox()
        self.failure_rate.setRange(0, 100)
        self.failure_rate.setSingleStep(10)
        self.failure_rate.setSuffix(" % of simulated calls fail")
        self.failure_rate.setToolTip("How often the system's simulated services fail in this "
                                     "branch (in the demo shop, the payment gateway declines "
                                     "that share of charges): 100 % makes every one fail, to "
                                     "see the sagas' compensation")
        self.form = CommandForm(label_width=LABEL_WIDTH)
        self.form.submitted.connect(self.send)
        self.send_button = QPushButton(icon("command"), "Send in the Branch")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.result_label = ResultLabel(Qt.TextInteractionFlag.TextSelectableByMouse)
        header = QFormLayout()
        fields = [("Aggregate type", self.stream_type), ("Aggregate id", self.id_field),
                  ("Command", self.command)]
        if takes_failure_rate(system):
            fields.append(("Failures", self.failure_rate))
        for text, field in fields:
            label = QLabel(text)
            label.setMinimumWidth(LABEL_WIDTH)
            header.addRow(label, field)
        return column(header, (scrolling(self.form), 1), self.result_label, self.send_button,
                      margins=(0, 0, 6, 0))

    def _outcome_pane(self) -> QTabWidget:
        """What happened: the branch's new events, and the read-model rows they changed."""
        self.events = read_only_table(["Position", "Stream", "Type", "Data"])
        self.changes = ChangeTree(("Read model row, field", "After", "Before"))
        self.changes.header().resizeSection(0, 200)
        self.outcome = QTabWidget()
        self.outcome.addTab(self.events, "New events in the branch")
        self.outcome.addTab(self.changes, "Read-model changes")
        return self.outcome

    # -- branching -------------------------------------------------------------------------

    def _branch(self) -> None:
        location, position, system = self.location, self.position, self.system

        def branch(context: JobContext) -> Sandbox:
            sandbox = Sandbox.create(location, position, system, progress=lambda done, total:
                                     context.progress((done, total)))
            self._made.append(sandbox)
            return sandbox

        def progressed(value) -> None:
            done, total = value
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            if done >= total:
                self.progress.setFormat("Copying the read models as of the position…")

        self._job = self.worker.submit(branch, self._branched, on_error=self._branch_failed,
                                       on_progress=progressed)

    def _branched(self, sandbox: Sandbox) -> None:
        self._job = None
        self.sandbox = sandbox
        self.progress.hide()
        self.cancel_button.hide()
        self.body.setEnabled(True)
        self.stream_id.setFocus()
        self.result_label.setText(f"Ready: the branch holds events 1 to {self.position:,}.")

    def _branch_failed(self, error: Exception) -> None:
        self._job = None
        self.progress.hide()
        self.cancel_button.hide()
        self.result_label.setText(f"<span style='color:#c62828'>Cannot branch the store: "
                            f"{html.escape(str(error))}</span>")
        self.body.setEnabled(False)
        self.result_label.setParent(None)
        self.main_layout.insertWidget(2, self.result_label)

    # -- the command -----------------------------------------------------------------------

    def _type_changed(self, stream_type: str) -> None:
        self.id_field.show_hint(self.examples, stream_type)
        self.command.blockSignals(True)
        self.command.clear()
        for name, command in self.system.domain.commands.get(stream_type, {}).items():
            self.command.addItem(name.replace("_", " "), name)
            self.command.setItemData(self.command.count() - 1, command.summary(),
                                     Qt.ItemDataRole.ToolTipRole)
        self.command.blockSignals(False)
        self._command_changed()

    def _command_changed(self) -> None:
        name = self.command.currentData()
        stream_type = self.stream_type.currentText()
        self.form.set_command(self.system.domain.command_class(stream_type, name) if name
                              else None)
        self._clear_stale_error()

    def _request_shown(self) -> tuple:
        return (self.stream_type.currentText(), self.command.currentData(),
                self.stream_id.text().strip())

    def _show_error(self, text: str, about: tuple | None = None) -> None:
        """An error about a command and target (by default those in the form now): cleared
        when the form names another."""
        self.result_label.show_error(text, about or self._request_shown())

    def _clear_stale_error(self) -> None:
        self.result_label.clear_stale(self._request_shown())

    def send(self) -> None:
        if self.sandbox is None or self._job is not None:
            return
        stream_id = self.stream_id.text().strip()
        if not stream_id:
            self._show_error("<span style='color:#c62828'>Give the aggregate's id (or "
                                "“New id” for a command that creates one).</span>")
            return
        if self.form.reveal_problems() is None:
            self._show_error("<span style='color:#c62828'>Some fields need attention "
                                "(see the messages under them); nothing was sent.</span>")
            return
        stream_type = self.stream_type.currentText()
        name = self.command.currentData()
        data = self.form.values()
        sandbox = self.sandbox
        if takes_failure_rate(self.system):
            sandbox.context_options["failure_rate"] = self.failure_rate.value() / 100
        before = self._sent

        def run(context: JobContext):
            result = sandbox.execute(stream_type, stream_id, name, data)
            return result, sandbox.new_events(), sandbox.changes()

        self.send_button.setEnabled(False)
        self.result_label.show_result("Sending…")
        about = self._request_shown()
        self._job = self.worker.submit(run, lambda value: self._sent_done(before, value),
                                       on_error=lambda error: self._send_failed(error, about))

    def _sent_done(self, before: int, value) -> None:
        self._job = None
        self.send_button.setEnabled(True)
        result, events, changes = value
        own = len(result.events)
        caused = Sandbox.caused(result, events[before:])
        reactions = len(caused) - own
        due = len(events) - before - len(caused)
        faults = self.sandbox.faults if self.sandbox is not None else []
        self._sent = len(events)
        self.result_label.setText(
            f"<span style='color:#2e7d32'><b>{result.command}</b> on "
            f"{html.escape(result.stream_id)}: {own} event{'s' if own != 1 else ''} "
            f"(version {result.version})"
            + (f", and {reactions} more from the sagas reacting to it" if reactions > 0 else "")
            + ".</span>"
            + (f"<br><span style='color:{muted()}'>{due} other event{'s' if due != 1 else ''}: "
               f"saga work already due at position {self.position:,} (steps scheduled before "
               "it whose commands had not run yet), done as the branch went on; not caused by "
               "this command.</span>" if due > 0 else "")
            + "".join(f"<br><span style='color:#c62828'>{html.escape(fault)}: the sagas' "
                      "reactions in the branch stop there.</span>" for fault in faults))
        self._show_events(events, first_new=before,
                          caused={event.event_id for event in caused})
        self._show_changes(changes)
        self.export_button.setEnabled(bool(events))

    def _send_failed(self, error: Exception, about: tuple | None = None) -> None:
        self._job = None
        self.send_button.setEnabled(True)
        if isinstance(error, DomainError):
            text = f"Refused: {error}"
        elif isinstance(error, CommandError | StoreError | ValueError):
            text = str(error)
        else:
            text = f"The command failed: {error}"
        self._show_error(f"<span style='color:#c62828'>{html.escape(text)}</span><br>"
                         f"<span style='color:{muted()}'>Nothing was written to the branch.</span>",
                         about)

    def _show_events(self, events, first_new: int, caused: set[str]) -> None:
        """The branch's events; those of the last command sent in bold (the events it caused),
        the due work done meanwhile greyed, with a tip saying why."""
        self.events.setRowCount(len(events))
        due = QColor("#757575")
        for line, event in enumerate(events):
            values = (f"{event.position:,}", event.stream_id, event.event_type,
                      summarize(event.data, 200))
            for cell, text in enumerate(values):
                item = QTableWidgetItem(text)
                if event.event_id in caused:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                elif line >= first_new:
                    item.setForeground(due)
                    item.setToolTip("Saga work already due at the branch's position, done as "
                                    "the branch went on: not caused by the command.")
                self.events.setItem(line, cell, item)
        self.events.resizeColumnsToContents()
        self.events.horizontalHeader().resizeSection(3, 300)
        if events:
            self.events.scrollToBottom()

    def _show_changes(self, changes: list[RowChange]) -> None:
        """Each row written in the branch, its fields before and after, what changed marked."""
        self.changes.clear()
        for change in changes:
            fields = diff(change.before or {}, change.values)
            if change.before is None:
                what = "new row"
            elif fields:
                what = f"{len(fields)} changed: " + ", ".join(field.path for field in fields)
            else:
                what = "written again, no change"
            row = QTreeWidgetItem(self.changes, [f"{change.projection} · {change.key}{ROW_GAP}"
                                                 f"{what}"])
            row.setToolTip(0, what)
            row.setFirstColumnSpanned(True)  # the row and what became of it, across the tree
            font = row.font(0)
            font.setBold(True)
            row.setFont(0, font)
            self.changes.add_changes(row, change.values, fields)
            row.setExpanded(len(changes) <= EXPAND_ROWS_UNDER)
        self.outcome.setTabText(1, f"Read-model changes ({len(changes)})")
        self.outcome.setTabText(0, f"New events in the branch ({self.events.rowCount()})")

    # -- export and discard ----------------------------------------------------------------

    def export(self) -> None:
        if self.sandbox is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the Branch's Events",
                                              str(Path.home() / "what-if.jsonl"),
                                              "JSON lines (*.jsonl);;All files (*)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> int:
        assert self.sandbox is not None
        try:
            count = self.sandbox.export(path)
        except OSError as error:
            self.result_label.setText(
                f"<span style='color:#c62828'>Cannot write {html.escape(path)}: "
                f"{html.escape(error.strerror or str(error))}</span>")
            return 0
        self.result_label.setText(f"Exported {count} event{'s' if count != 1 else ''} to "
                                  f"{html.escape(path)}.")
        return count

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.discard()
        super().closeEvent(event)

    def reject(self) -> None:
        self.discard()
        super().reject()

    def discard(self) -> None:
        """Stop any work and delete the branch (once: closing again costs nothing)."""
        if self._job is not None:
            self.worker.cancel(self._job)
            self._job = None
        if not self._discarded:
            self._discarded = True
            self.worker.shutdown()  # waits for the job at hand
        for sandbox in self._made:
            sandbox.discard()
        self._made.clear()
        self.sandbox = None
