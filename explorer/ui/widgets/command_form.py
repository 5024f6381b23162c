"""A form generated from a command's schema: one editor per field, checked as the user types.

Editors by kind: text (a line edit with the description's example as placeholder), integers and
numbers (spin boxes limited to the field's range; an optional number has an "empty" step below
its minimum), choices (a combo box), yes/no, dates and date-times, nested objects (a group of
their own fields) and lists of rows (a row of editors per item, added and removed with buttons).
Descriptions are tooltips. A secret (a card number) is typed in a password-style edit: dots,
until its Show toggle is on. Validation is the command's own (`Command.parse`), so the messages
are those the command line and scripts give; each shows under its field, once the field was
touched or a send was attempted, on a line kept for it: nothing moves when a message comes or
goes (a long one is cut short, and shown whole as the line's tooltip).

Signals:
    changed(): a value changed.
    submitted(): Enter in a field (the panel sends).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QDateTime, QSize, Qt, QTimeZone, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.domain.commands import Command, CommandValidationError, FieldProblem
from explorer.domain.forms import FieldSpec, form_of
from explorer.ui.timers import single_shot

CHECK_DELAY_MS = 200
EMPTY = "—"
_OMIT = object()


PROBLEM_COLOUR = "#c62828"


class ProblemLabel(QLabel):
    """A field's problem: one line that keeps its place whether shown or not, so the fields
    below never move; a message too long for it is cut short ("…") and whole in the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.setFont(font)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(PROBLEM_COLOUR))
        self.setPalette(palette)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.hide()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self.setToolTip(text)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(0, self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.sizeHint()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.setFont(self.font())
        rect = self.contentsRect()
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                                       rect.width()))
        painter.end()


def _tooltip(spec: FieldSpec) -> str:
    parts = [spec.description or spec.title]
    limits = spec.range_text()
    if limits:
        parts.append(f"({limits})")
    if spec.required:
        parts.append("Required.")
    elif spec.has_default and spec.default not in (None, "") and not spec.secret:
        parts.append(f"Default: {spec.default}.")
    return " ".join(parts)


class _Editor:
    """One field's editor: a widget, its value as JSON, and where its problems show."""

    def __init__(self, spec: FieldSpec, on_change) -> None:
        self.spec = spec
        self.on_change = on_change
        self.problem = ProblemLabel()

    widget: QWidget

    def value(self) -> Any:  # _OMIT leaves the field out (so a default or "required" applies)
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def labels(self, path: str) -> dict[str, QLabel]:
        return {path: self.problem}


class _TextEditor(_Editor):
    def __init__(self, spec: FieldSpec, on_change, on_enter) -> None:
        super().__init__(spec, on_change)
        edit = QLineEdit()
        if spec.max_length:
            edit.setMaxLength(spec.max_length)
        example = spec.example()
        edit.setPlaceholderText(f"e.g. {example}" if example else spec.range_text())
        edit.textEdited.connect(lambda _: on_change(self))
        edit.returnPressed.connect(on_enter)
        self.widget = self.edit = edit
        self.set_value(spec.default if spec.has_default else None)

    def value(self) -> Any:
        text = self.edit.text().strip()
        if text:
            return text
        if self.spec.has_default:
            return self.spec.default
        return None if self.spec.nullable else _OMIT

    def set_value(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))


class _SecretEditor(_TextEditor):
    """A secret's line edit: dots (`Password` echo), with a toggle to show what was typed."""

    def __init__(self, spec: FieldSpec, on_change, on_enter) -> None:
        super().__init__(spec, on_change, on_enter)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData
                                      | Qt.InputMethodHint.ImhNoPredictiveText)
        self.show_button = QToolButton()
        self.show_button.setText("Show")
        self.show_button.setCheckable(True)
        self.show_button.setAutoRaise(True)
        self.show_button.setToolTip(f"Show the {spec.title.lower()} as typed (it is a secret: "
                                    "the history and recordings keep it masked)")
        self.show_button.toggled.connect(self._show)
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.edit, 1)
        row.addWidget(self.show_button)
        self.widget = holder

    def _show(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown
                              else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hide" if shown else "Show")


class _NumberEditor(_Editor):
    """A spin box over the field's range; an optional field gets an empty step below it."""

    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        integer = spec.kind == "integer"
        box = QSpinBox() if integer else QDoubleSpinBox()
        if not integer:
            box.setDecimals(2)
        step = 1 if integer else 0.01
        low = spec.lowest()
        high = spec.highest()
        low = low if low is not None else (-(2**31) + 2 if integer else -1e12)
        high = high if high is not None else (2**31 - 1 if integer else 1e12)
        self.optional = spec.nullable or (not spec.required and not spec.has_default)
        if self.optional:
            low -= step
            box.setSpecialValueText(EMPTY)
        box.setRange(int(low) if integer else low, int(high) if integer else high)
        box.setGroupSeparatorShown(True)
        box.setKeyboardTracking(True)
        box.setAccelerated(True)
        box.valueChanged.connect(lambda _: on_change(self))
        self.widget = self.box = box
        self.set_value(spec.default if spec.has_default else None)

    def value(self) -> Any:
        number = self.box.value()
        if self.optional and number == self.box.minimum():
            return None if self.spec.nullable else _OMIT
        return int(number) if self.spec.kind == "integer" else round(number, 2)

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            self.box.setValue(self.box.minimum())
        else:
            self.box.setValue(value)
        self.box.blockSignals(False)


class _ChoiceEditor(_Editor):
    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        combo = QComboBox()
        self.optional = spec.nullable or (not spec.required and not spec.has_default)
        if self.optional or (spec.required and not spec.has_default):
            combo.addItem(EMPTY, _OMIT)
        for choice in spec.choices:
            combo.addItem(str(choice), choice)
        combo.currentIndexChanged.connect(lambda _: on_change(self))
        self.widget = self.combo = combo
        self.set_value(spec.default if spec.has_default else None)

    def value(self) -> Any:
        value = self.combo.currentData()
        if value is _OMIT:
            return None if self.spec.nullable else _OMIT
        return value

    def set_value(self, value: Any) -> None:
        self.combo.blockSignals(True)
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)


class _BooleanEditor(_Editor):
    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        self.widget = self.check = QCheckBox()
        self.check.toggled.connect(lambda _: on_change(self))
        self.set_value(spec.default if spec.has_default else False)

    def value(self) -> Any:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class _DateEditor(_Editor):
    """A date (or a UTC date and time) with a calendar; optional ones have an "empty" state."""

    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        self.with_time = spec.kind == "datetime"
        edit = QDateTimeEdit() if self.with_time else QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss 'UTC'" if self.with_time else "yyyy-MM-dd")
        if self.with_time:
            edit.setTimeZone(QTimeZone.utc())
        self.optional = spec.nullable or (not spec.required and not spec.has_default)
        if self.optional:
            edit.setMinimumDate(QDate(1900, 1, 1))
            edit.setSpecialValueText(EMPTY)
        edit.dateTimeChanged.connect(lambda _: on_change(self))
        self.widget = self.edit = edit
        self.set_value(spec.default if spec.has_default else None)

    def value(self) -> Any:
        if self.optional and self.edit.date() == self.edit.minimumDate():
            return None if self.spec.nullable else _OMIT
        if self.with_time:
            return self.edit.dateTime().toUTC().toString("yyyy-MM-ddTHH:mm:ssZ")
        return self.edit.date().toString("yyyy-MM-dd")

    def set_value(self, value: Any) -> None:
        self.edit.blockSignals(True)
        if not value:
            if self.optional:
                self.edit.setDate(self.edit.minimumDate())
            else:
                self.edit.setDateTime(QDateTime.currentDateTimeUtc())
        elif self.with_time:
            moment = QDateTime.fromString(str(value).replace("Z", ""), Qt.DateFormat.ISODate)
            moment.setTimeZone(QTimeZone.utc())
            self.edit.setDateTime(moment)
        else:
            self.edit.setDate(QDate.fromString(str(value)[:10], Qt.DateFormat.ISODate))
        self.edit.blockSignals(False)


class _ObjectEditor(_Editor):
    """A nested object: its own fields in a framed form."""

    def __init__(self, spec: FieldSpec, on_change, on_enter, compact: bool = False) -> None:
        super().__init__(spec, on_change)
        self.children = {f.name: _editor(f, on_change, on_enter) for f in spec.fields}
        frame = QFrame()
        if compact:  # a row of a list: the fields side by side
            layout = QHBoxLayout(frame)
            layout.setContentsMargins(0, 0, 0, 0)
            for child in self.children.values():
                child.widget.setToolTip(_tooltip(child.spec))
                layout.addWidget(child.widget, 2 if child.spec.kind == "text" else 1)
        else:
            frame.setFrameShape(QFrame.Shape.StyledPanel)
            layout = QFormLayout(frame)
            layout.setContentsMargins(8, 6, 8, 6)
            for child in self.children.values():
                layout.addRow(_field_label(child.spec), _with_problem(child))
        self.widget = frame

    def value(self) -> Any:
        values = {}
        for name, child in self.children.items():
            value = child.value()
            if value is not _OMIT:
                values[name] = value
        return values

    def set_value(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        for name, child in self.children.items():
            child.set_value(value.get(name, child.spec.empty_value()))

    def labels(self, path: str) -> dict[str, QLabel]:
        found = {path: self.problem}
        for name, child in self.children.items():
            found.update(child.labels(f"{path}.{name}"))
        return found


class _ListEditor(_Editor):
    """Rows of items (an order's lines), each removable, with a button to add one."""

    def __init__(self, spec: FieldSpec, on_change, on_enter) -> None:
        super().__init__(spec, on_change)
        assert spec.item is not None
        self.on_enter = on_enter
        self.rows: list[tuple[_Editor, QWidget, QLabel]] = []
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.grid = QVBoxLayout(frame)
        self.grid.setContentsMargins(6, 4, 6, 4)
        self.grid.setSpacing(2)
        item = spec.item
        if item.kind == "object":  # column titles over the rows
            header = QHBoxLayout()
            for child in item.fields:
                title = QLabel(child.title + (" *" if child.required else ""))
                title.setStyleSheet("color: #616161;")
                title.setToolTip(_tooltip(child))
                header.addWidget(title, 2 if child.kind == "text" else 1)
            header.addSpacing(28)
            self.grid.addLayout(header)
        self.body = QVBoxLayout()
        self.body.setSpacing(2)
        self.grid.addLayout(self.body)
        noun = item.title.lower() if item.title != "item" else "row"
        self.add_button = QPushButton(f"+ Add {noun}")
        self.add_button.setToolTip(f"Add a row ({spec.range_text() or 'any number'})")
        self.add_button.clicked.connect(lambda: self._add(None, user=True))
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addStretch(1)
        self.grid.addLayout(bottom)
        self.widget = frame
        self.set_value(spec.empty_value() or [None])

    def _add(self, value: Any, user: bool = False) -> None:
        item = self.spec.item
        editor = (_ObjectEditor(item, self.on_change, self.on_enter, compact=True)
                  if item.kind == "object" else _editor(item, self.on_change, self.on_enter))
        if value is not None:
            editor.set_value(value)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(editor.widget, 1)
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip("Remove this row")
        line.addWidget(remove)
        problem = ProblemLabel()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(row)
        column.addWidget(problem)
        entry = (editor, holder, problem)
        remove.clicked.connect(lambda: self._remove(entry))
        self.rows.append(entry)
        self.body.addWidget(holder)
        self._update_buttons()
        if user:
            self.on_change(self)

    def _remove(self, entry) -> None:
        self.rows.remove(entry)
        entry[1].setParent(None)
        entry[1].deleteLater()
        self._update_buttons()
        self.on_change(self)

    def _update_buttons(self) -> None:
        limit = self.spec.max_items
        self.add_button.setEnabled(limit is None or len(self.rows) < limit)

    def value(self) -> Any:
        return [value for editor, _, _ in self.rows
                if (value := editor.value()) is not _OMIT]

    def set_value(self, value: Any) -> None:
        for entry in list(self.rows):
            self.rows.remove(entry)
            entry[1].setParent(None)
            entry[1].deleteLater()
        for item in value if isinstance(value, list) else []:
            self._add(item)
        self._update_buttons()

    def labels(self, path: str) -> dict[str, QLabel]:
        found = {path: self.problem}
        for number, (_, _, problem) in enumerate(self.rows):
            found[f"{path}[{number}]"] = problem
        return found


def _editor(spec: FieldSpec, on_change, on_enter) -> _Editor:
    if spec.kind in ("integer", "number"):
        return _NumberEditor(spec, on_change)
    if spec.kind == "choice":
        return _ChoiceEditor(spec, on_change)
    if spec.kind == "boolean":
        return _BooleanEditor(spec, on_change)
    if spec.kind in ("date", "datetime"):
        return _DateEditor(spec, on_change)
    if spec.kind == "object":
        return _ObjectEditor(spec, on_change, on_enter)
    if spec.kind == "list":
        return _ListEditor(spec, on_change, on_enter)
    if spec.secret:
        return _SecretEditor(spec, on_change, on_enter)
    return _TextEditor(spec, on_change, on_enter)


def _field_label(spec: FieldSpec) -> QLabel:
    label = QLabel(spec.title + (" *" if spec.required else ""))
    label.setToolTip(_tooltip(spec))
    return label


def _with_problem(editor: _Editor) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(1)
    editor.widget.setToolTip(_tooltip(editor.spec))
    layout.addWidget(editor.widget)
    layout.addWidget(editor.problem)
    return holder


class CommandForm(QWidget):
    changed = Signal()
    submitted = Signal()

    def __init__(self, parent: QWidget | None = None, *, label_width: int = 0) -> None:
        super().__init__(parent)
        self.label_width = label_width
        self.command: type[Command] | None = None
        self.editors: dict[str, _Editor] = {}
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
            editor = _editor(spec, self._edited, self.submitted.emit)
            self.editors[spec.name] = editor
            label = _field_label(spec)
            label.setMinimumWidth(self.label_width)
            self.layout_.addRow(label, _with_problem(editor))
        self.layout_.addRow(self.general)
        if values:
            self.set_values(values)
        self.check()

    def values(self) -> dict[str, Any]:
        """The form's values as the command's JSON input (empty optional fields left out)."""
        values = {}
        for name, editor in self.editors.items():
            value = editor.value()
            if value is not _OMIT:
                values[name] = value
        return values

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill the form (from history, or from an event's command); unknown keys are ignored."""
        for name, editor in self.editors.items():
            if name in values:
                editor.set_value(values[name])
        self._touched = set(values)
        self.check()
        self.changed.emit()

    @property
    def edited(self) -> bool:
        """Whether any field was filled in (by hand, or from history or an event)."""
        return bool(self._touched)

    def _edited(self, editor: _Editor) -> None:
        for name, top in self.editors.items():
            if top is editor or editor in _descendants(top):
                self._touched.add(name)
        self._check_timer.start()
        self.changed.emit()

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


def _descendants(editor: _Editor) -> list[_Editor]:
    found: list[_Editor] = []
    children = list(getattr(editor, "children", {}).values()) + [
        row[0] for row in getattr(editor, "rows", [])]
    for child in children:
        found.append(child)
        found.extend(_descendants(child))
    return found


def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[:path.rindex("[")]
    return path.rsplit(".", 1)[0] if "." in path else ""
