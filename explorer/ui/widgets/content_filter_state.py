"""What the content filter is doing, beside its field: a scan's progress with a link that stops
it, and an offer to index a path the filter uses (or to remove the index it reads).

    scanning… 42% · stop                   the filter reads every event; matches appear as found
    stopped at 42% · 1,234 matches so far  the list holds what the scan found before the stop
    Index data.total                       a link: make an index on the path (a write)
    data.total is indexed · Remove index   the filter reads the index; a link removes it

Signals:
    stop_requested(): stop the scan (what it found stays listed).
    index_requested(str): make an index on this field.
    remove_requested(str): remove the index on this field.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from explorer.ui.tones import muted

STOP = "stop"
INDEX = "index"
REMOVE = "remove"


class ContentFilterState(QLabel):
    """One line of rich text with links (see the module docstring)."""

    stop_requested = Signal()
    index_requested = Signal(str)
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("content-filter-state")
        self.setContentsMargins(6, 0, 6, 0)  # apart from the field, and off the window's edge
        self.setTextFormat(Qt.TextFormat.RichText)
        self.linkActivated.connect(self._link)
        self.field = ""
        self.hide()

    def show_scanning(self, scanned: int, last: int) -> None:
        percent = scanned * 100 // max(last, 1)
        self._say(f"scanning… {percent}% · <a href='{STOP}'>stop</a>",
                  f"The filter reads every event ({scanned:,} of {last:,} so far); matches are "
                  "listed as they are found. Index a path it uses to make it instant.")

    def show_stopped(self, scanned: int, last: int, found: int) -> None:
        percent = scanned * 100 // max(last, 1)
        self._say(f"stopped at {percent}% · {found:,} matches so far",
                  f"Only events up to position {scanned:,} were read; apply the filter again "
                  "(Enter) to read them all")

    def offer_index(self, field: str) -> None:
        """Offer to index `field` (the filter read every event)."""
        self.field = field
        self._say(f"<a href='{INDEX}'>Index {escape(field)}</a>",
                  f"Make an index on {field} in the store's file, so that filters on it read "
                  "the index instead of every event (a write: the store must be writable)")

    def show_indexed(self, field: str) -> None:
        """The filter reads the index on `field`."""
        self.field = field
        self._say(f"{escape(field)} is indexed · <a href='{REMOVE}'>Remove index</a>",
                  f"The filter reads the index on {field} instead of every event")

    def show_working(self, text: str) -> None:
        self._say(escape(text))

    def show_refusal(self, message: str) -> None:
        self._say(f"<span style='color:#c62828'>{escape(message)}</span>")

    def clear_state(self) -> None:
        self._say("")

    def _say(self, html: str, tooltip: str = "") -> None:
        self.setText(f"<span style='color:{muted()}'>{html}</span>" if html else "")
        self.setToolTip(tooltip)
        self.setVisible(bool(html))

    def _link(self, link: str) -> None:
        if link == STOP:
            self.stop_requested.emit()
        elif link == INDEX:
            self.index_requested.emit(self.field)
        elif link == REMOVE:
            self.remove_requested.emit(self.field)
