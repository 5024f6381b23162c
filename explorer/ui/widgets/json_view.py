"""JSON shown as highlighted text: keys, strings, numbers and literals in their own colours.

A time kept as microseconds since 1970 (a field such as `at`, `scheduled_at` or `outcome_at`)
is shown as a UTC time, underlined; hovering it shows the stored number. A control character
that JSON's escapes leave as it is (DEL, a C1 or bidi control, which would reorder the rest of
its line) is shown escaped, as `visible` shows it. Copying an event (Copy as JSON) copies what
is stored, not this text.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QFont, QHelpEvent, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QToolTip, QWidget

from explorer.common.formatting import clock_time, is_time_field, raw_time
from explorer.common.names import visible_lines
from explorer.ui.models.json_tree import with_long_text_cut

_RULES = [  # later rules win: text inside strings is never coloured as a number
    (re.compile(r"-?\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b"), "#1565c0"),
    (re.compile(r"\b(?:true|false|null)\b"), "#ad1457"),
    (re.compile(r':\s*("(?:[^"\\]|\\.)*")'), "#2e7d32"),  # string values
    (re.compile(r'(?<=[\[,\s])("(?:[^"\\]|\\.)*")(?=\s*[,\]])'), "#2e7d32"),  # strings in lists
    (re.compile(r'"(?:[^"\\]|\\.)*"(?=\s*:)'), "#6a1b9a"),  # keys
]
TIME_COLOUR = "#00695c"
# a field holding a whole number, as orjson's indented output puts it: one to a line
_NUMBER_FIELD = re.compile(r'^(\s*)("(?:[^"\\]|\\.)*"): (-?\d+)(,?)$')


def pretty_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


TimeSpans = dict[int, list[tuple[int, int, int]]]  # line -> (start, end, microseconds)


def with_readable_times(value: Any) -> tuple[str, TimeSpans]:
    """Indented JSON (as `visible_lines` shows it, long strings cut: `with_long_text_cut`) with
    each time field's microseconds written as a UTC time, and where those times are: per line,
    (first column, last column + 1, the stored number)."""
    shown = pretty_json(with_long_text_cut(value))
    lines = visible_lines(shown).split("\n")  # (still JSON: see names.escape)
    spans: TimeSpans = {}
    for number, line in enumerate(lines):
        match = _NUMBER_FIELD.match(line)
        if match is None:
            continue
        indent, key, digits, comma = match.groups()
        micros = int(digits)
        if not is_time_field(orjson.loads(key), micros):
            continue
        shown = f"{clock_time(micros)} UTC"
        start = len(indent) + len(key) + 2
        lines[number] = f"{indent}{key}: {shown}{comma}"
        spans[number] = [(start, start + len(shown), micros)]
    return "\n".join(lines), spans


class JsonHighlighter(QSyntaxHighlighter):
    def __init__(self, document) -> None:
        super().__init__(document)
        self.time_spans: TimeSpans = {}
        self._formats = []
        for pattern, colour in _RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            self._formats.append((pattern, fmt))
        self._time_format = QTextCharFormat()
        self._time_format.setForeground(QColor(TIME_COLOUR))
        self._time_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, fmt in self._formats:
            for match in pattern.finditer(text):
                group = 1 if match.groups() else 0
                self.setFormat(match.start(group), match.end(group) - match.start(group), fmt)
        for start, end, _micros in self.time_spans.get(self.currentBlock().blockNumber(), ()):
            self.setFormat(start, end - start, self._time_format)


class JsonView(QPlainTextEdit):
    """Read-only, monospaced, highlighted JSON; times readable, their stored value on hover."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self._highlighter = JsonHighlighter(self.document())

    def show_value(self, value: Any) -> None:
        text, spans = with_readable_times(value)
        self._highlighter.time_spans = spans
        self.setPlainText(text)

    def show_text(self, text: str) -> None:
        self._highlighter.time_spans = {}
        self.setPlainText(visible_lines(text))

    def stored_time_at(self, point: QPoint) -> int | None:
        """The stored microseconds of the time shown under `point` (viewport coordinates)."""
        cursor = self.cursorForPosition(point)
        block = cursor.block()
        for start, end, micros in self._highlighter.time_spans.get(block.blockNumber(), ()):
            cursor.setPosition(block.position() + start)
            left = self.cursorRect(cursor)
            cursor.setPosition(block.position() + end)
            right = self.cursorRect(cursor)
            if left.left() <= point.x() <= right.left() and left.top() <= point.y() \
                    <= left.bottom():
                return micros
        return None

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            micros = self.stored_time_at(event.pos())
            if micros is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), raw_time(micros), self.viewport())
            return True
        return super().viewportEvent(event)
