"""The event list's search box: every event that mentions some text (Ctrl+K or / to type).

What is typed is checked as it is reported (after a pause in typing, see SearchBox): text with
nothing to search for says so beside the box, and that the list still shows the last search's
events, and changes nothing. Beside the box, too, the state
of the store's full-text index: "indexing… 42%" while it is first built (with a link that stops
it; the next search goes on from there), "catching up…" while it indexes events appended since.

Signals:
    search_changed(str): what to search for now ("" for no search).
    stop_requested(): the user asked to stop building the index.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from explorer.projections.fulltext import SearchTextError, search_query
from explorer.ui.tones import muted
from explorer.ui.widgets.search_box import SearchBox

PLACEHOLDER = "Search every event (Ctrl+K)"
TOOLTIP = ("Events mentioning every word you type, in their data, metadata, type or stream id, "
           "newest first: the newest match is selected, the older ones above it. Ids stay "
           "whole (an id such as ab_0870, a@b.com, 12.5); ab_08* finds words starting so; "
           "\"two words\" finds the words in a row. Combined with the other filters.")
STOP_LINK = "stop"
SHOWN_CHARACTERS = 24
"""Of the search the list still shows, what is said beside the box (the whole on hover)."""


def _shortened(text: str) -> str:
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS - 1] + "…"


class EventSearchField(QWidget):
    """The box and, beside it, what it says about the index (see the module docstring)."""

    search_changed = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = SearchBox(PLACEHOLDER)
        self.box.setObjectName("event-search")
        self.box.setToolTip(TOOLTIP)
        self.box.setMinimumWidth(220)
        self.box.search_changed.connect(self._reported)
        self.state = QLabel()
        self.state.setObjectName("event-search-state")
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.state.linkActivated.connect(self._link)
        self.state.hide()
        self.search = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.box, 1)
        layout.addWidget(self.state)
        for keys in (QKeySequence("Ctrl+K"), QKeySequence("/")):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.setWhatsThis("Search every event")  # (as the shortcuts list names it)
            shortcut.activated.connect(self.focus)

    def focus(self) -> None:
        self.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.box.selectAll()

    def set_search(self, text: str) -> None:
        """Show `text` as the search (back and forward, Clear) without reporting it."""
        self.box.reset(text)
        self.search = text
        self._say("")

    def show_indexing(self, done: int, last: int) -> None:
        """The index is being built: how far it got, with a link that stops it."""
        percent = int(100 * done / last) if last else 100
        self._say(f"indexing… {percent}% <a href='{STOP_LINK}'>stop</a>",
                  f"Building this store's search index ({done:,} of {last:,} events); the "
                  "list shows the matches found so far and grows as it goes")

    def show_catching_up(self) -> None:
        self._say("catching up…", "Indexing the events appended since the last search; their "
                  "matches are added to the list as they are indexed")

    def show_stopped(self, done: int, last: int) -> None:
        percent = int(100 * done / last) if last else 100
        self._say(f"index {percent}% built",
                  "Only the events indexed so far are searched; search again to go on")

    def show_ready(self) -> None:
        self._say("")

    def _reported(self, text: str) -> None:
        if text:
            try:
                search_query(text)
            except SearchTextError as error:  # short beside the box, the whole on hover
                shown = f"“{_shortened(self.search)}”" if self.search else "every event"
                self._say(f"<span style='color:#c62828'>Nothing to search for</span>: the "
                          f"list still shows {escape(shown)}",
                          f"{error} The list is unchanged: it still shows "
                          + (f"the events mentioning “{self.search}”." if self.search
                             else "every event (no search)."))
                return
        self.search = text
        self._say("")
        self.search_changed.emit(text)

    def _say(self, html: str, tooltip: str = "") -> None:
        self.state.setText(f"<span style='color:{muted()}'>{html}</span>" if html else "")
        self.state.setToolTip(tooltip)
        self.state.setVisible(bool(html))

    def _link(self, link: str) -> None:
        if link == STOP_LINK:
            self.stop_requested.emit()
