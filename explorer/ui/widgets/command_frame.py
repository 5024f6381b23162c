"""What surrounds a command's form wherever commands are sent (the console, what-if): the field
for the id of the aggregate it is for, and the line that says how the last one ended.

Signals (IdField):
    made_up(str): New id put a new id in the field.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from explorer.browsing.hints import StoreExamples


class IdField(QWidget):
    """An aggregate's id: a line to type it in, hinted with an id like the open store's, and
    New id, which makes one up (`make_id`, for a command that creates an aggregate)."""

    made_up = Signal(str)

    def __init__(self, make_id: Callable[[], str], new_tip: str, label: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make_id = make_id
        self.edit = QLineEdit()
        self.new_button = QPushButton("New id")
        self.new_button.setToolTip(new_tip)
        self.new_button.clicked.connect(self.make_new)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        if label:
            self.row.addWidget(QLabel(label))
        self.row.addWidget(self.edit, 1)
        self.row.addWidget(self.new_button)

    def text(self) -> str:
        """The id typed, without the spaces around it."""
        return self.edit.text().strip()

    def show_hint(self, examples: StoreExamples, stream_type: str | None) -> None:
        """Hint at an id of this type (or any) as the open store has them."""
        self.edit.setPlaceholderText(examples.stream_id(stream_type))

    def make_new(self) -> None:
        """Put a new id in the field."""
        new = self._make_id()
        self.edit.setText(new)
        self.made_up.emit(new)


class ResultLabel(QLabel):
    """How the last command ended, in rich text. An error is about a command and its target
    (`about`, e.g. (type, command, id)): it stays only while those are the ones chosen, so that
    `clear_stale` with what is chosen now takes it away once another is."""

    def __init__(self, interaction: Qt.TextInteractionFlag, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(interaction)
        self.about: tuple | None = None

    def show_result(self, text: str) -> None:
        """A message about no command in particular (sending, sent, filled in)."""
        self.setText(text)
        self.about = None

    def show_error(self, text: str, about: tuple) -> None:
        """An error about this command and target, shown until another is chosen."""
        self.setText(text)
        self.about = about

    def clear_stale(self, chosen: tuple) -> bool:
        """Take away an error about another command or target than the one chosen now; True if
        one went."""
        if self.about is None or self.about == chosen:
            return False
        self.show_result("")
        return True
