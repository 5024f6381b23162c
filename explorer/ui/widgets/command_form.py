"""A form generated from a command's schema: one editor per field, checked as the user types.

The editors, one per kind of field, are in `field_editors`. Validation is the command's own
(`Command.parse`), so the messages are those the command line and scripts give; each shows under
its field, once the field was touched or a send was attempted, on a line kept for it: nothing
moves when a message comes or goes (a long one is cut short, and shown whole as the line's
tooltip).

Signals:
    changed(): a value changed.
    submitted(): Enter in a field (the panel sends).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from explorer.domain.commands import Command, CommandValidationError, FieldProblem
from explorer.domain.forms import form_of
from explorer.ui.timers import single_shot
from explorer.ui.widgets.field_editors import (
    FieldEditor,
    ProblemLabel,
    descendants,
    editor_for,
    field_label,
    values_of,
    with_problem,
)

CHECK_DELAY_MS = 200


class CommandForm(QWidget):
    changed = Signal()
    submitted = Signal()

    def __init__(self, parent: QWidget | None = None, *, label_width: int = 0) -> None:
        super().__init__(parent)
        self.label_width = label_width
        self.command: type[Command] | None = None
        self.editors: dict[str, FieldEditor] = {}
        self.problems: list[FieldProblem] = []
        self._touched: set[str] = set()
        self._show_all = False
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.general = ProblemLabel()
        self._check_timer = single_shot(self, CHECK_DELAY_MS, self.check)

    def set_command(self, command: type[Command] | None,
                    values: dict[str, Any] | None = None) -> None:
        """Build the form of `command` (None: empty), filled with `values` if given."""
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.general = ProblemLabel()
        self.command = command
        self.editors = {}
        self.problems = []
        self._touched = set()
        self._show_all = False
        if command is None:
            return
        for spec in form_of(command):
            editor = editor_for(spec, self._edited, self.submitted.emit)
            self.editors[spec.name] = editor
            label = field_label(spec)
            label.setMinimumWidth(self.label_width)
            self.layout_.addRow(label, with_problem(editor))
        self.layout_.addRow(self.general)
        if values:
            self.set_values(values)
        self.order_tabs()
        self.check()

    def values(self) -> dict[str, Any]:
        """The form's values as the command's JSON input (empty optional fields left out)."""
        return values_of(self.editors)

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill the form (from history, or from an event's command); unknown keys are ignored."""
        for name, editor in self.editors.items():
            if name in values:
                editor.set_value(values[name])
        self._touched = set(values)
        self.order_tabs()  # (rows of a list may have been made)
        self.check()
        self.changed.emit()

    @property
    def edited(self) -> bool:
        """Whether any field was filled in (by hand, or from history or an event)."""
        return bool(self._touched)

    def _edited(self, editor: FieldEditor) -> None:
        for name, top in self.editors.items():
            if top is editor or editor in descendants(top):
                self._touched.add(name)
        if editor in self.editors.values() and len(editor.tab_stops()) > 1:
            self.order_tabs()  # (a row added or removed)
        self._check_timer.start()
        self.changed.emit()

    def order_tabs(self) -> None:
        """Put the fields in the window's Tab order as they are shown, right after the control
        before the form. Editors made when a command is chosen (or a row added) join the focus
        chain at its end, after every other control of the window, so that Tab went from the
        target straight to Send, skipping the form."""
        previous = self._before()
        for stop in (stop for editor in self.editors.values() for stop in editor.tab_stops()):
            if previous is not None:
                QWidget.setTabOrder(previous, stop)
            previous = stop

    def focus_first(self) -> bool:
        """Put the focus in the first field; False if the form has none."""
        for editor in self.editors.values():
            for stop in editor.tab_stops():
                stop.setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return False

    def _before(self) -> QWidget | None:
        """The control Tab stops at before the form (None if there is none)."""
        widget = self.previousInFocusChain()
        while widget is not None and widget is not self and not widget.isWindow():
            if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not self.isAncestorOf(widget):
                return widget
            widget = widget.previousInFocusChain()
        return None

    def check(self) -> Command | None:
        """Validate now; show each touched field's problem. The parsed command, or None."""
        self._check_timer.stop()
        if self.command is None:
            return None
        try:
            parsed = self.command.parse(self.values())
            self.problems = []
        except CommandValidationError as error:
            parsed = None
            self.problems = error.problems
        self._show_problems()
        return parsed

    def reveal_problems(self) -> Command | None:
        """Validate and show every problem, touched or not (a send was attempted)."""
        self._show_all = True
        return self.check()

    def _show_problems(self) -> None:
        labels: dict[str, QLabel] = {"": self.general}
        for name, editor in self.editors.items():
            labels.update(editor.labels(name))
        texts: dict[str, list[str]] = {}
        for problem in self.problems:
            top = problem.field.split(".")[0].split("[")[0]
            if not self._show_all and top and top not in self._touched:
                continue
            path = problem.field
            while path not in labels:
                path = _parent(path)
            rest = problem.field[len(path):].lstrip(".")
            texts.setdefault(path, []).append(f"{rest}: {problem.message}" if rest
                                              else problem.message)
        for path, label in labels.items():
            text = "; ".join(texts.get(path, []))
            label.setText(text)
            label.setVisible(bool(text))

    @property
    def valid(self) -> bool:
        return self.command is not None and not self.problems

def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[:path.rindex("[")]
    return path.rsplit(".", 1)[0] if "." in path else ""
