"""Searching a table of rows as you type: the field, and what an empty result says.

The field reports what to search for once the user pauses (a debounce), so each keystroke does
not start a query; clearing it or pressing Enter reports at once. When nothing matches, the
table says so over its empty area ("No sagas match “xyz”") with a link that clears the search.

Signals:
    search_changed(str): what to search for now ("" for everything).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractScrollArea, QLineEdit, QWidget

from explorer.ui.icons import icon
from explorer.ui.timers import single_shot
from explorer.ui.tones import muted
from explorer.ui.widgets.empty_list import CLEAR_LINK, EmptyListNotice

DEBOUNCE_MS = 250
"""How long typing must pause before a search starts."""


class SearchBox(QLineEdit):
    """A one-line search field with a clear button; see the module docstring."""

    search_changed = Signal(str)

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.addAction(icon("filter"), QLineEdit.ActionPosition.LeadingPosition)
        self.setToolTip(f"{placeholder}: rows with every word you type, in any column; the "
                        "last part of a word may be unfinished (ab_1 finds ab_105)")
        self._reported = ""
        self._debounce = single_shot(self, DEBOUNCE_MS, self._report)
        self.textChanged.connect(self._typed)
        self.returnPressed.connect(self._report)

    @property
    def search(self) -> str:
        """What is being searched for (the text reported last, trimmed); "" for everything."""
        return self._reported

    def reset(self, text: str = "") -> None:
        """Show `text` (by default, empty the field) without reporting it (another store was
        opened: start afresh; back and forward show an earlier search)."""
        self._debounce.stop()
        self.blockSignals(True)
        self.setText(text)
        self.blockSignals(False)
        self._reported = text.strip()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Escape empties a field that holds a search (as a browser's search field does), at
        once; in an empty one it goes on to the window (a dialog's Escape, say)."""
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)

    def _typed(self, text: str) -> None:
        if not text.strip():
            self._report()  # cleared: everything again, at once
        else:
            self._debounce.start()

    def _report(self) -> None:
        self._debounce.stop()
        text = self.text().strip()
        if text != self._reported:
            self._reported = text
            self.search_changed.emit(text)


class NoRowsNotice(EmptyListNotice):
    """Says over an empty table why it is empty; its Clear link clears `search_box`."""

    def __init__(self, view: QAbstractScrollArea, search_box: SearchBox) -> None:
        super().__init__(view)
        self.clear_requested.connect(search_box.clear)

    def show_empty(self, what: str, search: str = "", among: str = "") -> None:
        """"No sagas match “xyz”" (`what` in the plural; `among` a filter also on, such as
        "among the failed sagas") with a link that clears the search; with no search, "No
        `what`"."""
        if search:
            among = f"<br><span style='color:{muted()}'>{escape(among)}</span>" if among else ""
            text = (f"<b>No {escape(what)} match “{escape(search)}”</b>{among}<br><br>"
                    f"<a href='{CLEAR_LINK}'>Clear the search</a>")
        else:
            text = f"<b>No {escape(what)}</b>"
        self.show_note(text)

