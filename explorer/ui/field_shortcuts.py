"""Window shortcuts that work whatever has focus: one-line fields give way to them.

A line edit (also inside a spin box, a date edit or an editable combo box) claims Ctrl+Home,
Ctrl+End and their Shift forms, "to the start or end of the document", before any window
shortcut sees them; so with the cursor in the filter box, Ctrl+End (Go to Last Event) did
nothing. In one line those keys only repeat Home and End, so when the window has an action on
one of them the field lets the key through to the action. Every other key stays the field's
(copy, paste, undo, word moves, typing), and multi-line editors keep these too: there they move
through the document.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QWidget

StandardKey = QKeySequence.StandardKey
ONE_LINE_NEEDS_NOT = (StandardKey.MoveToStartOfDocument, StandardKey.MoveToEndOfDocument,
                      StandardKey.SelectStartOfDocument, StandardKey.SelectEndOfDocument)
"""Keys a one-line field claims but does not need: Home and End do the same in one line."""
WINDOW_CONTEXTS = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)


def is_one_line_field(widget: QObject | None) -> bool:
    return isinstance(widget, QLineEdit | QAbstractSpinBox) or (
        isinstance(widget, QComboBox) and widget.isEditable())


class FieldShortcutGuard(QObject):
    """Lets `window`'s action shortcuts through the one-line fields that get focus in it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        app = QApplication.instance()
        assert isinstance(app, QApplication), "a widget exists, so the application has widgets"
        app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and is_one_line_field(new) and new.window() is self.window:
            new.installEventFilter(self)  # once: installing it again only moves it first

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # True: the field never sees the override, and the window's shortcut gets the key
        return (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and any(event.matches(key) for key in ONE_LINE_NEEDS_NOT)
                and self.has_action_for(QKeySequence(event.keyCombination())))

    def has_action_for(self, pressed: QKeySequence) -> bool:
        """True if an enabled action of the window has this key as a window shortcut."""
        for action in self.window.findChildren(QAction):
            if action.isEnabled() and action.shortcutContext() in WINDOW_CONTEXTS and any(
                    key.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch
                    for key in action.shortcuts()):
                return True
        return False
