"""The editors of a command form, one per kind of field, each with its problem line.

Kinds: text (a line edit with the description's example as placeholder), integers and numbers
(spin boxes limited to the field's range; an optional number has an "empty" step below its
minimum), choices (a combo box), yes/no, dates and date-times, nested objects (a group of their
own fields) and lists of rows (a row of editors per item, added and removed with buttons). A
secret (a card number) is typed in a password-style edit: dots, until its Show toggle is on.
Descriptions are tooltips. Each editor's problem shows on a line kept for it (`ProblemLabel`):
nothing moves when a message comes or goes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QDateTime, QSize, Qt, QTimeZone
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

from explorer.domain.forms import FieldSpec
from explorer.ui.tones import muted

EMPTY = "—"  # what an empty optional number, date or choice shows
OMIT = object()
"""An editor's value that leaves its field out (so a default or "required" applies)."""
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


def field_tooltip(spec: FieldSpec) -> str:
    parts = [spec.description or spec.title]
    limits = spec.range_text()
    if limits:
        parts.append(f"({limits})")
    if spec.required:
        parts.append("Required.")
    elif spec.has_default and spec.default not in (None, "") and not spec.secret:
        parts.append(f"Default: {spec.default}.")
    return " ".join(parts)


class FieldEditor:
    """One field's editor: a widget, its value as JSON, and where its problems show."""

    def __init__(self, spec: FieldSpec, on_change) -> None:
        self.spec = spec
        self.on_change = on_change
        self.problem = ProblemLabel()

    widget: QWidget

    def value(self) -> Any:  # OMIT leaves the field out (so a default or "required" applies)
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def labels(self, path: str) -> dict[str, QLabel]:
        return {path: self.problem}

    def tab_stops(self) -> list[QWidget]:
        """The widgets Tab stops at, in the order they are shown."""
        return [self.widget]


class _TextEditor(FieldEditor):
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
        return None if self.spec.nullable else OMIT

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

    def tab_stops(self) -> list[QWidget]:
        return [self.edit, self.show_button]


class _NumberEditor(FieldEditor):
    """A spin box over the field's range; an optional field gets an empty step below it."""

    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        integer = spec.kind == "integer"
        step = 1 if integer else 0.01
        low = spec.lowest()
        high = spec.highest()
        low = low if low is not None else (-(2**31) + 2 if integer else -1e12)
        high = high if high is not None else (2**31 - 1 if integer else 1e12)
        self.optional = spec.nullable or (not spec.required and not spec.has_default)
        if self.optional:
            low -= step
        box: QSpinBox | QDoubleSpinBox
        if integer:
            box = QSpinBox()
            box.setRange(int(low), int(high))
        else:
            box = QDoubleSpinBox()
            box.setDecimals(2)
            box.setRange(low, high)
        if self.optional:
            box.setSpecialValueText(EMPTY)
        box.setGroupSeparatorShown(True)
        box.setKeyboardTracking(True)
        box.setAccelerated(True)
        box.valueChanged.connect(lambda _: on_change(self))
        self.widget = self.box = box
        self.set_value(spec.default if spec.has_default else None)

    def value(self) -> Any:
        number = self.box.value()
        if self.optional and number == self.box.minimum():
            return None if self.spec.nullable else OMIT
        return int(number) if self.spec.kind == "integer" else round(number, 2)

    def set_value(self, value: Any) -> None:
        empty = value is None or isinstance(value, bool) or not isinstance(value, int | float)
        box = self.box
        box.blockSignals(True)
        # Empty: an optional field's empty step, below its range; a required one starts at 0,
        # which the box moves into its range (not at -1e12 for a number without bounds).
        nothing = box.minimum() if self.optional else 0
        if isinstance(box, QSpinBox):  # a float given to an integer field is cut, as Qt would
            box.setValue(int(nothing) if empty else int(value))
        else:
            box.setValue(nothing if empty else value)
        box.blockSignals(False)


class _ChoiceEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        combo = QComboBox()
        self.optional = spec.nullable or (not spec.required and not spec.has_default)
        if self.optional or (spec.required and not spec.has_default):
            combo.addItem(EMPTY, OMIT)
        for choice in spec.choices:
            combo.addItem(str(choice), choice)
        combo.currentIndexChanged.connect(lambda _: on_change(self))
        self.widget = self.combo = combo
        self.set_value(spec.default if spec.has_default else None)

    def value(self) -> Any:
        value = self.combo.currentData()
        if value is OMIT:
            return None if self.spec.nullable else OMIT
        return value

    def set_value(self, value: Any) -> None:
        self.combo.blockSignals(True)
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)


class _BooleanEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        self.widget = self.check = QCheckBox()
        self.check.toggled.connect(lambda _: on_change(self))
        self.set_value(spec.default if spec.has_default else False)

    def value(self) -> Any:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.setChecked(bool(value))


def _date_tab(edit: QDateTimeEdit, forward: bool) -> bool:
    """Tab in a date box: on through its sections (year, month, day...), as Qt does, then to
    the next field; but from an optional one left empty ("—", showing no section) straight
    to the next field, where Qt's stepping through sections never left it."""
    if edit.specialValueText() and edit.date() == edit.minimumDate():
        return QWidget.focusNextPrevChild(edit, forward)
    return QDateTimeEdit.focusNextPrevChild(edit, forward)


class _DateBox(QDateEdit):
    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802 - Qt override
        return _date_tab(self, forward)


class _DateTimeBox(QDateTimeEdit):
    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802 - Qt override
        return _date_tab(self, forward)


class _DateEditor(FieldEditor):
    """A date (or a UTC date and time) with a calendar; optional ones have an "empty" state."""

    def __init__(self, spec: FieldSpec, on_change) -> None:
        super().__init__(spec, on_change)
        self.with_time = spec.kind == "datetime"
        edit = _DateTimeBox() if self.with_time else _DateBox()
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
            return None if self.spec.nullable else OMIT
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


class _ObjectEditor(FieldEditor):
    """A nested object: its own fields in a framed form."""

    def __init__(self, spec: FieldSpec, on_change, on_enter, compact: bool = False) -> None:
        super().__init__(spec, on_change)
        self.children = {f.name: editor_for(f, on_change, on_enter) for f in spec.fields}
        frame = QFrame()
        if compact:  # a row of a list: the fields side by side
            side_by_side = QHBoxLayout(frame)
            side_by_side.setContentsMargins(0, 0, 0, 0)
            for child in self.children.values():
                child.widget.setToolTip(field_tooltip(child.spec))
                side_by_side.addWidget(child.widget, 2 if child.spec.kind == "text" else 1)
        else:
            frame.setFrameShape(QFrame.Shape.StyledPanel)
            form = QFormLayout(frame)
            form.setContentsMargins(8, 6, 8, 6)
            for child in self.children.values():
                form.addRow(field_label(child.spec), with_problem(child))
        self.widget = frame

    def value(self) -> Any:
        return values_of(self.children)

    def set_value(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        for name, child in self.children.items():
            child.set_value(value.get(name, child.spec.empty_value()))

    def labels(self, path: str) -> dict[str, QLabel]:
        found: dict[str, QLabel] = {path: self.problem}
        for name, child in self.children.items():
            found.update(child.labels(f"{path}.{name}"))
        return found

    def tab_stops(self) -> list[QWidget]:
        return [stop for child in self.children.values() for stop in child.tab_stops()]


class _ListEditor(FieldEditor):
    """Rows of items (an order's lines), each removable, with a button to add one."""

    def __init__(self, spec: FieldSpec, on_change, on_enter) -> None:
        super().__init__(spec, on_change)
        if spec.item is None:
            raise ValueError(f"the list field {spec.name} does not say what its items are")
        self.item: FieldSpec = spec.item
        self.on_enter = on_enter
        self.rows: list[tuple[FieldEditor, QWidget, QLabel]] = []
        self.remove_buttons: dict[QWidget, QToolButton] = {}  # a row's holder: its ✕
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
                title.setStyleSheet(f"color: {muted()};")
                title.setToolTip(field_tooltip(child))
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
        item = self.item
        editor = (_ObjectEditor(item, self.on_change, self.on_enter, compact=True)
                  if item.kind == "object" else editor_for(item, self.on_change, self.on_enter))
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
        self.remove_buttons[holder] = remove
        self.body.addWidget(holder)
        self._update_buttons()
        if user:
            self.on_change(self)

    def _remove(self, entry) -> None:
        self.rows.remove(entry)
        self.remove_buttons.pop(entry[1], None)
        entry[1].setParent(None)
        entry[1].deleteLater()
        self._update_buttons()
        self.on_change(self)

    def _update_buttons(self) -> None:
        limit = self.spec.max_items
        self.add_button.setEnabled(limit is None or len(self.rows) < limit)

    def value(self) -> Any:
        return [value for editor, _, _ in self.rows
                if (value := editor.value()) is not OMIT]

    def set_value(self, value: Any) -> None:
        for entry in list(self.rows):
            self.rows.remove(entry)
            self.remove_buttons.pop(entry[1], None)
            entry[1].setParent(None)
            entry[1].deleteLater()
        for item in value if isinstance(value, list) else []:
            self._add(item)
        self._update_buttons()

    def labels(self, path: str) -> dict[str, QLabel]:
        found: dict[str, QLabel] = {path: self.problem}
        for number, (_, _, problem) in enumerate(self.rows):
            found[f"{path}[{number}]"] = problem
        return found

    def tab_stops(self) -> list[QWidget]:
        stops = []
        for editor, holder, _ in self.rows:
            stops += [*editor.tab_stops(), self.remove_buttons[holder]]
        return [*stops, self.add_button]


def editor_for(spec: FieldSpec, on_change, on_enter) -> FieldEditor:
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


def field_label(spec: FieldSpec) -> QLabel:
    label = QLabel(spec.title + (" *" if spec.required else ""))
    label.setToolTip(field_tooltip(spec))
    return label


def with_problem(editor: FieldEditor) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(1)
    editor.widget.setToolTip(field_tooltip(editor.spec))
    layout.addWidget(editor.widget)
    layout.addWidget(editor.problem)
    return holder


def descendants(editor: FieldEditor) -> list[FieldEditor]:
    found: list[FieldEditor] = []
    children = list(getattr(editor, "children", {}).values()) + [
        row[0] for row in getattr(editor, "rows", [])]
    for child in children:
        found.append(child)
        found.extend(descendants(child))
    return found


def values_of(editors: dict[str, FieldEditor]) -> dict[str, Any]:
    """The values of named editors as JSON input, the empty optional ones left out."""
    values = {}
    for name, editor in editors.items():
        value = editor.value()
        if value is not OMIT:
            values[name] = value
    return values
