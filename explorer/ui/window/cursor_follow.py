"""The event list follows the timeline's cursor: the event at the cursor is marked and kept in
view, and selected while stepping (or playing slowly); the moment there fills the As of Cursor
panel.

Signals (CursorFollow):
    first_trip(): the cursor left the live end for the first time since the store opened: the
        window shows where it leads.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QTableView

from explorer.browsing.rows import KeysetRows
from explorer.ui.event_browser import EventBrowser
from explorer.ui.models.event_table import EventTableModel
from explorer.ui.session import LoadedSystem, StoreSummary
from explorer.ui.time_cursor import TimeTravel
from explorer.ui.timers import single_shot
from explorer.ui.widgets.moment_panel import MomentPanel

SELECT_WHILE_PLAYING_UP_TO = 25  # events a second: faster playback only scrolls the list


class CursorFollow(QObject):
    """Keeps `browser`'s list (`events` in `table`) and `moment_panel` at `travel`'s cursor."""

    first_trip = Signal()

    def __init__(self, travel: TimeTravel, moment_panel: MomentPanel, browser: EventBrowser,
                 events: EventTableModel, table: QTableView,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.travel = travel
        self.moment_panel = moment_panel
        self.browser = browser
        self.events = events
        self.table = table
        self._tripped = False
        self._list_follows: tuple[int, bool] | None = None  # (position, select) to follow
        self._follow_timer = single_shot(self, 0, self._follow_cursor_later)
        self._list_timer = single_shot(self, 0, self._keep_cursor_in_new_list)
        travel.moment_ready.connect(self._moment_ready)
        travel.cursor_moved.connect(self._cursor_moved)
        travel.live_changed.connect(self._live_changed)
        browser.rows_ready.connect(self._list_made)

    def show_store(self, _summary: StoreSummary, _loaded: LoadedSystem) -> None:
        self._tripped = False
        self.moment_panel.clear()
        self.events.set_cursor(None)

    def _moment_ready(self, moment) -> None:
        self.moment_panel.show_moment(moment, self.travel.stream_id)
        select = self.travel.stepping and (
            not self.travel.playing or self.travel.speed.rate <= SELECT_WHILE_PLAYING_UP_TO)
        self._list_follows = (moment.position, select)
        self._follow_timer.start()  # after the panels are painted; only the newest counts

    def _cursor_moved(self, position: int) -> None:
        if not self.travel.live and self._list_follows is None:
            self._list_follows = (position, False)
            self._follow_timer.start()

    def _list_made(self, _count: int) -> None:
        self._list_timer.start()  # once the list has selected what it selects

    def _keep_cursor_in_new_list(self) -> None:
        """A list was made (another stream, new filters): with no event selected in it, the
        cursor's place is kept in view, not the list's top."""
        if not self.travel.live and self.browser.selected_position() is None \
                and self._list_follows is None:
            self._follow_cursor(self.travel.position, False)

    def _follow_cursor_later(self) -> None:
        if self._list_follows is not None:
            (position, select), self._list_follows = self._list_follows, None
            self._follow_cursor(position, select)

    def _follow_cursor(self, position: int, select: bool) -> None:
        """Keep the event at the cursor in view in the list (and selected, when stepping)."""
        if self.travel.live:
            self.events.set_cursor(None)
            return
        self.events.set_cursor(position)
        if select and self.events.row_of(position) is not None:
            if self.browser.selected_position() != position:
                self.browser.select_position(position)
            return
        rows = self.events.rows
        row = rows.row_at_or_before(position)
        if row is not None:
            self.table.scrollTo(self.events.index(row, 0), QTableView.ScrollHint.PositionAtCenter)
        elif isinstance(rows, KeysetRows):  # a list read a page at a time: find it there
            generation = self.events.generation

            def located(found: int | None) -> None:
                if found is not None and generation == self.events.generation \
                        and self.events.cursor == position:
                    self.table.scrollTo(self.events.index(found, 0),
                                        QTableView.ScrollHint.PositionAtCenter)

            self.browser.worker.submit(lambda context: rows.locate(context.store, position),
                                       located, key="cursor-row", on_error=self.browser.job_failed)

    def _live_changed(self, live: bool) -> None:
        if live:
            self.events.set_cursor(None)
            return
        self.events.set_cursor(self.travel.position)
        if not self._tripped:  # the first trip to the past: show where it leads
            self._tripped = True
            self.first_trip.emit()
