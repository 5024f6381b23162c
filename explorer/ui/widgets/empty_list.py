"""What an empty event list says instead of a blank area: why it is empty and how to undo it.

A label centred over the list's viewport (not a row of the model, so the model stays a plain
list of events): "No events match" with the filters that are on and a Clear link, or "No events
yet" for an empty store.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

from explorer.common.formatting import short_time
from explorer.ui.tones import muted

if TYPE_CHECKING:
    from explorer.ui.widgets.filter_bar import Filters

CLEAR_LINK = "clear-filters"


def describe_filters(filters: Filters) -> list[str]:
    """The filters that are on, one phrase each, for people."""
    parts = []
    if filters.event_types:
        parts.append("event type " + " or ".join(filters.event_types))
    if filters.stream_type:
        parts.append(f"stream type {filters.stream_type}")
    if filters.from_time_us is not None and filters.to_time_us is not None:
        parts.append(f"from {short_time(filters.from_time_us)} to "
                     f"{short_time(filters.to_time_us)} UTC")
    elif filters.from_time_us is not None:
        parts.append(f"from {short_time(filters.from_time_us)} UTC")
    elif filters.to_time_us is not None:
        parts.append(f"up to {short_time(filters.to_time_us)} UTC")
    if filters.content is not None:
        parts.append(f"content {filters.content.text}")
    if filters.search:
        parts.append(f"mentioning {filters.search}")
    return parts


class EmptyListNotice(QLabel):
    """Signals:
        clear_requested(): the user clicked Clear filters.
    """

    clear_requested = Signal()

    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view.viewport())
        self.view = view
        self.setObjectName("empty-list")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet(f"#empty-list {{ color: {muted()}; }}")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.linkActivated.connect(self._link)
        view.viewport().installEventFilter(self)
        self.hide()

    def show_no_match(self, filters: Filters, stream_id: str | None) -> None:
        """The list is empty because of these filters (or, with none, because the store is)."""
        if not filters.active:
            text = "<b>No events yet</b>" if stream_id is None else \
                f"<b>No events in {escape(stream_id)}</b>"
        else:
            shown = "<br>".join(escape(part) for part in describe_filters(filters))
            where = f" in {escape(stream_id)}" if stream_id is not None else ""
            text = (f"<b>No events match</b>{where}<br><span style='color:{muted()}'>{shown}"
                    f"</span><br><br><a href='{CLEAR_LINK}'>Clear filters</a>")
        self.setText(text)
        self._place()
        self.show()

    def show_note(self, text: str) -> None:
        """Say something else over the empty list (rich text)."""
        self.setText(text)
        self._place()
        self.show()

    def _place(self) -> None:
        viewport = self.view.viewport()
        width = min(viewport.width() - 24, 640)
        self.setFixedWidth(max(width, 120))
        height = self.heightForWidth(self.width())
        self.setGeometry((viewport.width() - self.width()) // 2,
                         max(8, (viewport.height() - height) // 3), self.width(), height)

    def _link(self, link: str) -> None:
        if link == CLEAR_LINK:
            self.clear_requested.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
