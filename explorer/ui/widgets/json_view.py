"""JSON shown as highlighted text: keys, strings, numbers and literals in their own colours."""

from __future__ import annotations

import re
from typing import Any

import orjson
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QWidget

_RULES = [  # later rules win: text inside strings is never coloured as a number
    (re.compile(r"-?\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b"), "#1565c0"),
    (re.compile(r"\b(?:true|false|null)\b"), "#ad1457"),
    (re.compile(r':\s*("(?:[^"\\]|\\.)*")'), "#2e7d32"),  # string values
    (re.compile(r'(?<=[\[,\s])("(?:[^"\\]|\\.)*")(?=\s*[,\]])'), "#2e7d32"),  # strings in lists
    (re.compile(r'"(?:[^"\\]|\\.)*"(?=\s*:)'), "#6a1b9a"),  # keys
]


def pretty_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


class JsonHighlighter(QSyntaxHighlighter):
    def __init__(self, document) -> None:
        super().__init__(document)
        self._formats = []
        for pattern, colour in _RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            self._formats.append((pattern, fmt))

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, fmt in self._formats:
            for match in pattern.finditer(text):
                group = 1 if match.groups() else 0
                self.setFormat(match.start(group), match.end(group) - match.start(group), fmt)


class JsonView(QPlainTextEdit):
    """Read-only, monospaced, highlighted JSON."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self._highlighter = JsonHighlighter(self.document())

    def show_value(self, value: Any) -> None:
        self.setPlainText(pretty_json(value))

    def show_text(self, text: str) -> None:
        self.setPlainText(text)
