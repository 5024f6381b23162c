"""The window's status bar: whether work is running, the read-only badge, what the window
follows (live, paused, or the past at the time cursor), the counts, the system and the store.

Signals (WindowStatus):
    load_requested(): the user clicked the system's name, to load another one.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from explorer.common.names import visible
from explorer.store.errors import LIBRARY_SCHEMA, damage_advice
from explorer.ui.cursor_moves import CursorStatus
from explorer.ui.session import LoadedSystem, StoreSummary
from explorer.ui.timers import single_shot
from explorer.ui.widgets.ellipsis_label import EllipsisLabel
from explorer.ui.window.systems import describe

BUSY_DELAY_MS = 150  # work quicker than this shows no busy bar
READ_ONLY_TIP = "This store is open read-only: nothing can change it."
READ_ONLY_STYLE = ("background: #ffe082; color: #5d4037; font-weight: bold; padding: 1px 6px;"
                   " border-radius: 3px;")
DAMAGED_STYLE = ("background: #c62828; color: white; font-weight: bold; padding: 1px 6px;"
                 " border-radius: 3px;")


class WindowStatus(QObject):
    """The permanent widgets of `bar`, and what they say."""

    load_requested = Signal()

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.bar = bar
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.busy_label = QLabel()
        self.read_only_badge = QLabel("READ-ONLY")
        self.read_only_badge.setStyleSheet(READ_ONLY_STYLE)
        self.read_only_badge.setToolTip(READ_ONLY_TIP)
        self.read_only_badge.hide()
        self.live_label = QLabel()
        self.reconnecting = False
        """A server store's connection is lost and being made again (shown over the rest)."""
        self.gone = False
        """The store's file was deleted, moved or replaced since it was opened (shown over the
        rest)."""
        self.unfollowed: str | None = None
        """Why what other programs append to the open store is not seen (a file read without
        locks: shown instead of Live), or None."""
        self.count_label = QLabel()
        self.store_label = EllipsisLabel("No store open", elide=Qt.TextElideMode.ElideMiddle)
        self.store_label.setTextFormat(Qt.TextFormat.PlainText)  # (a path, never markup)
        self.system_label = QLabel()
        self.system_label.setObjectName("system-label")
        self.system_label.setTextFormat(Qt.TextFormat.RichText)
        self.system_label.linkActivated.connect(lambda _: self.load_requested.emit())
        for widget in (self.busy_label, self.busy, self.read_only_badge, self.live_label,
                       self.count_label, self.system_label, self.store_label):
            bar.addPermanentWidget(widget)
        self._said = ""  # the message `say` shows (its whole text in the bar's tooltip)
        bar.messageChanged.connect(self._message_changed)
        self._busy_timer = single_shot(self, BUSY_DELAY_MS, self.busy.show)

    def say(self, message: str, timeout_ms: int) -> None:
        """Show `message` for `timeout_ms` where the bar's messages go: cut in its middle if it
        is wider than the room left of the permanent widgets (its end, often what to do,
        stays), and whole in the bar's tooltip while it shows."""
        room = self._message_room()
        shown = self.bar.fontMetrics().elidedText(message, Qt.TextElideMode.ElideMiddle, room)
        self._said = shown
        self.bar.showMessage(shown, timeout_ms)
        self.bar.setToolTip(message if shown != message else "")

    def _message_changed(self, text: str) -> None:
        if text != self._said:  # (its time is up, or another message shown past `say`): no
            self.bar.setToolTip("")  # tooltip of a message gone

    def _message_room(self) -> int:
        """The width left for a message: up to the leftmost permanent widget shown."""
        lefts = [widget.x() for widget in self.bar.findChildren(
            QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if widget.isVisible() and widget.x() > 0]
        return max(80, min(lefts, default=self.bar.width()) - 16)

    def busy_changed(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()
            self.busy.setRange(0, 0)  # the next wait's length unknown again
            self.busy_label.clear()

    def show_scan_progress(self, scanned: int, last: int) -> None:
        """A content filter's scan is this far: the bar fills as the label's percentage says
        (it stays a busy bar, full and striped, while nothing says how far a wait has got)."""
        percent = scanned * 100 // max(last, 1)
        self.busy_label.setText(f"Filtering… {percent}%")
        self.busy.setRange(0, 100)
        self.busy.setValue(percent)

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        self.busy_label.clear()
        found = summary.damage
        if found is not None:
            self._show_damaged(summary.location, found,
                               summary.meta.get("schema") == LIBRARY_SCHEMA)
        else:
            self.read_only_badge.setText("READ-ONLY")
            self.read_only_badge.setStyleSheet(READ_ONLY_STYLE)
            self.read_only_badge.setVisible(summary.read_only)
            self.read_only_badge.setToolTip(
                f"Writing is off: {summary.read_only_reason}" if summary.read_only_reason
                else READ_ONLY_TIP)
        if summary.read_only_reason and found is None:
            self.say(f"Opened read-only: {summary.read_only_reason}", 15_000)
        self.unfollowed = None if summary.sees_other_writers else (
            summary.read_only_reason or "it cannot be written here")
        self.store_label.setText(visible(summary.location))  # (a byte not UTF-8: escaped)
        self.store_label.setToolTip(visible(summary.location))

    def _show_damaged(self, location: str, found: str, library: bool = False) -> None:
        """The badge of a store found damaged (shown read-only: it is never written again);
        `library`: an eventsourcing library file's, which salvage does not read."""
        self.read_only_badge.setText("⚠ DAMAGED")
        self.read_only_badge.setStyleSheet(DAMAGED_STYLE)
        self.read_only_badge.setToolTip(
            f"This store is damaged: {found}.\n\nIt is open read-only and shows what can still "
            f"be read; nothing will be written to it. {damage_advice(location, library=library)}")
        self.read_only_badge.show()
        self.say(f"This store is damaged ({found}): shown read-only. The badge says more.",
                 30_000)

    def show_system(self, loaded: LoadedSystem) -> None:
        colour = "#c62828" if loaded.note else "#1565c0" if not loaded.generic else "#616161"
        mark = "⚠ " if loaded.note else ""
        self.system_label.setText(f"<a href='load' style='color:{colour}; text-decoration:none'>"
                                  f"{mark}{html.escape(loaded.label)}</a>")
        self.system_label.setToolTip(f"{describe(loaded)}\n\nClick to load another system "
                                     "(File › Load System…).")

    def show_counts(self, listed: int, last: int, everything: bool) -> None:
        shown = "" if everything else f"{listed:,} listed · "
        self.count_label.setText(f"{shown}{last:,} events · last position {last:,}")

    def show_no_store(self) -> None:
        """No store is open: nothing is followed, live or past."""
        self.live_label.clear()
        self.live_label.setToolTip("")

    def show_following(self, status: CursorStatus, list_live: bool, missed: int, *,
                       live_keys: str, to_live_keys: str) -> None:
        """What the window follows: the timeline's cursor, as the TimeTravel controller says
        (the banner shows the same), and whether the event list takes in new events (`missed`:
        how many arrived while it did not)."""
        new = f" · {missed:,} new" if missed else ""
        if self.reconnecting:
            text, colour = "⟳ Reconnecting…", "#c62828"
            tip = ("The connection to the server was lost: connecting again. The list goes on "
                   "from where it was once it is back.")
        elif self.gone:
            text, colour = "⚠ Store file gone", "#c62828"
            tip = ("The store's file was deleted, moved or replaced by another file since it was "
                   "opened: what shows is what it held, and commands are refused (they would "
                   "not be in the file at its path). Open the store again, where it is now.")
        elif not status.live and not status.later:  # at the last event, not following
            paused = f" · list paused{new}" if not list_live else ""
            text, colour = (f"◷ Pinned at the last event · position {status.position:,}"
                            f"{paused}", "#e65100")
            tip = ("The panels show the system as of the last event; new events are not "
                   f"followed. Back to Live: {to_live_keys}")
        elif not status.live:
            paused = f" · list paused{new}" if not list_live else ""
            text, colour = (f"◷ Viewing the past · position {status.position:,} of "
                            f"{status.last_position:,}{paused}", "#e65100")
            tip = ("The panels show the system as of the timeline's cursor; later events are "
                   f"not applied. Back to Live: {to_live_keys}")
        elif list_live and self.unfollowed is not None:
            text, colour = "◌ Not followed", "#e65100"
            tip = ("The store is read without locks, as one that cannot be written here is, so "
                   "what other programs append to it is not seen: open it again to see what "
                   f"they added. Writing is off: {self.unfollowed}")
        elif list_live:
            text, colour, tip = "● Live", "#2e7d32", "Following the newest events"
        else:
            text, colour = f"❚❚ Paused{new}", "#ef6c00"
            tip = f"The event list does not take in new events: {live_keys} resumes"
        self.live_label.setText(text)
        self.live_label.setToolTip(tip)
        if self.live_label.property("colour") != colour:  # restyled only when it changes:
            self.live_label.setProperty("colour", colour)  # the cursor moves it often
            self.live_label.setStyleSheet(f"color: {colour};")
