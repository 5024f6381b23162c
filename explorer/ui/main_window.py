"""The explorer window: stream browser, event list with filters, event detail, cause and effect,
the timeline and the tabs below it.

The window composes its parts and wires them: what is open is the `StoreSession`'s, which
announces it (opened, system changed, changed, refreshed, closed) to the panels that show it;
opening stores is `window/opening.py`'s, the actions and menus `window/actions.py`'s, the status
bar `window/status_bar.py`'s. It remembers its layout and takes stores dropped on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QResizeEvent
from PySide6.QtWidgets import (
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QScrollArea,
    QWidget,
)

from explorer.common.names import visible, visible_lines
from explorer.ui import settings
from explorer.ui.compare.view import CompareView
from explorer.ui.console import CommandConsole
from explorer.ui.event_browser import EventBrowser, event_table_view
from explorer.ui.history_worker import HistoryWorker
from explorer.ui.icons import app_icon, icon
from explorer.ui.models.event_table import EventTableModel
from explorer.ui.models.stream_tree import StreamTreeModel
from explorer.ui.session import NOTHING_LOADED, LoadedSystem, StoreSession, StoreSummary
from explorer.ui.time_cursor import TimeTravel
from explorer.ui.widgets.causality_panel import CausalityPanel
from explorer.ui.widgets.event_detail import EventDetail
from explorer.ui.widgets.filter_bar import FilterBar
from explorer.ui.widgets.find_when import FindWhenBar
from explorer.ui.widgets.followers_panel import FollowersPanel
from explorer.ui.widgets.help import Help
from explorer.ui.widgets.moment_panel import MomentPanel
from explorer.ui.widgets.projections_panel import FaultBadges, ProjectionsPanel
from explorer.ui.widgets.sagas_panel import SagasPanel
from explorer.ui.widgets.stream_browser import StreamBrowser
from explorer.ui.widgets.timeline import TimelineBar
from explorer.ui.widgets.watch_panel import WatchPanel
from explorer.ui.window.actions import (
    WindowActions,
    add_actions,
    fill_recent_menu,
    show_store_actions,
    show_system_actions,
)
from explorer.ui.window.commands import command_like_selected, open_what_if
from explorer.ui.window.cursor_follow import CursorFollow
from explorer.ui.window.event_list import LiveEventList
from explorer.ui.window.first_rows import AfterFirstRows
from explorer.ui.window.fulltext import FullTextSearch
from explorer.ui.window.layout import (
    WindowPanes,
    build_layout,
    height_changed,
    restore_layout,
    save_layout,
)
from explorer.ui.window.opening import StoreOpening
from explorer.ui.window.path_indexes import PathIndexing
from explorer.ui.window.runner_host import RunnerHost
from explorer.ui.window.status_bar import WindowStatus
from explorer.ui.window.systems import LoadSystemDialog
from explorer.ui.worker import StoreWorker

if TYPE_CHECKING:
    from explorer.ui.widgets.what_if import WhatIfDialog  # loaded when first opened

QT_INT_MAX = 2**31 - 1
"""The largest number a Qt spin box holds."""


class MainWindow(QMainWindow, WindowActions, WindowPanes):
    """The window, given by its composition root (explorer/ui/app.py) the system that makes
    demo stores; each store is explored with the system it names or one the user loads.

    Signals:
        store_opened(str): a store is open and its events are being listed.
        error_shown(str, str): a dialog told the user about a problem (title, message).
        system_shown(object): the LoadedSystem the window explores with now.
    """

    store_opened = Signal(str)
    error_shown = Signal(str, str)
    system_shown = Signal(object)

    def __init__(self, demo_system: LoadedSystem | None = None) -> None:
        super().__init__()
        settings.report_problems_to(self._settings_not_saved)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.system_dialog: LoadSystemDialog | None = None
        self.error_box: QMessageBox | None = None
        self.what_if: WhatIfDialog | None = None
        self.worker = StoreWorker(self)
        self.session = StoreSession(self.worker, self)
        self.opening = StoreOpening(self, self.worker, demo_system)

        self.stream_model = StreamTreeModel()
        self.stream_browser = StreamBrowser(self.stream_model)
        self.event_model = EventTableModel()
        self.table = event_table_view(self.event_model)
        self.filter_bar = FilterBar()
        self.detail = EventDetail()
        self.causality = CausalityPanel()
        self.browser = EventBrowser(self.worker, self.table, self.event_model, self.stream_model,
                                    self.filter_bar, self.detail, self.causality, self)
        self.event_list = LiveEventList(self.worker, self.browser, self.event_model,
                                        self.stream_browser, self)
        self.fulltext = FullTextSearch(self.browser, self.filter_bar.search, self)
        self.path_indexing = PathIndexing(self.browser, self.filter_bar.content_state, self)
        self.projections_panel = ProjectionsPanel(self.worker)
        self.sagas_panel = SagasPanel(self.worker)
        self.followers_panel = FollowersPanel(self.worker)
        self.travel = TimeTravel(self)
        self.timeline = TimelineBar(self.travel)
        self.timeline.plot_when_shown = False  # loaded once the first rows are painted
        AfterFirstRows(self.table, self.timeline.load_plot)
        self.moment_panel = MomentPanel()
        self.history = HistoryWorker(self)
        self.find_when = FindWhenBar(self.travel, self.timeline, self.history)
        self.compare_view = CompareView(self.history, self.timeline)
        self.console = CommandConsole(self.worker)
        self.cursor_follow = CursorFollow(self.travel, self.moment_panel, self.browser,
                                          self.event_model, self.table, self)
        self.runner_host = RunnerHost(self.projections_panel, self.sagas_panel, self.travel,
                                      self.timeline, self.opening.demo_stores, self)
        self.watch_panel = WatchPanel(self.travel, self.timeline)
        build_layout(self)
        add_actions(self)
        self.status = WindowStatus(self.statusBar())
        status = self.status  # its labels, as the window's: the opening and the tests read them
        self.busy_label, self.read_only_badge, self.live_label = (
            status.busy_label, status.read_only_badge, status.live_label)
        self.count_label, self.store_label, self.system_label = (
            status.count_label, status.store_label, status.system_label)
        self.fault_badges = FaultBadges(self.projections_panel, self.bottom_tabs, self.statusBar(),
                                        self.bottom_tabs.widget(self.tab_of(self.projections_panel)))
        self.fault_badges.watch(self.sagas_panel, "saga",
                                self.bottom_tabs.widget(self.tab_of(self.sagas_panel)),
                                title=lambda saga: f"Saga {saga.name}")
        self.help = Help(self)  # the Help menu, and the first-run welcome in the detail area
        self._connect_session()
        self._connect()
        restore_layout(self)
        self._update_live_label()
        self.session.show_system(NOTHING_LOADED)

    # -- what is open: the session's -------------------------------------------------------

    @property
    def summary(self) -> StoreSummary | None:
        return self.session.summary

    @property
    def loaded(self) -> LoadedSystem:
        return self.session.loaded

    @property
    def watcher(self):
        return self.session.watcher

    @property
    def runner(self):
        return self.runner_host.runner

    @property
    def monitor(self):
        return self.runner_host.monitor

    @property
    def monitor_history(self):
        return self.runner_host.monitor_history

    @property
    def monitor_loading(self):
        return self.runner_host.monitor_loading

    # -- construction ----------------------------------------------------------------------

    def _connect_session(self) -> None:
        """Who takes the session's news, in the order they take it."""
        session, console = self.session, self.console
        self.opening.opened.connect(session.open)
        session.system_changed.connect(lambda loaded: console.set_system(loaded.system))
        for panel in (self.projections_panel, self.sagas_panel, self.moment_panel):
            session.system_changed.connect(panel.show_system)
        session.system_changed.connect(self._system_changed)
        for subscriber in (self.status, self.filter_bar, self.event_list, self.browser,
                           self.stream_browser):
            session.opened.connect(subscriber.show_store)
        session.opened.connect(self._console_shows_store)
        session.opened.connect(self._store_shown)
        session.opened.connect(self.watch_panel.show_store)
        session.opened.connect(self.followers_panel.show_store)
        session.changed.connect(self.followers_panel.reload)
        session.opened.connect(lambda summary, _loaded: self.projections_panel.log_moved(
            summary.last_position))
        session.changed.connect(self.projections_panel.log_moved)
        session.refreshed.connect(self.followers_panel.reload)
        for part in (self.runner_host, self.cursor_follow, self.timeline, self.travel):
            session.opened.connect(part.show_store)
        session.opened.connect(lambda summary, _loaded: self.store_opened.emit(summary.location))
        self.event_list.taken_in.connect(self.travel.log_grew)  # held while the list is paused
        self.moment_panel.watch_wanted.connect(self.watch_this)
        session.changed.connect(lambda _last: console.store_changed())
        session.changed.connect(self.event_list.store_changed)
        session.reconnecting.connect(self._reconnecting)
        session.gone.connect(self._gone)
        session.opened.connect(self.fulltext.show_store)
        session.changed.connect(self.fulltext.store_changed)
        session.closed.connect(self.fulltext.close)
        session.opened.connect(self.path_indexing.show_store)
        session.closed.connect(self.path_indexing.close)
        self.event_model.rowsInserted.connect(lambda *_: self._update_counts())  # a search grows
        session.types_read.connect(lambda summary: self.filter_bar.set_event_types(
            summary.event_types))  # the stored ones, read after the first page
        session.streams_read.connect(self.stream_browser.streams_read)  # (built after it too)
        session.streams_read.connect(lambda summary: self.filter_bar.set_stream_types(
            [t.stream_type for t in summary.stream_types]))
        session.refreshed.connect(self.event_list.refreshed)
        session.refreshed.connect(lambda _summary: self._update_counts())
        session.refreshed.connect(lambda _summary: self.browser.refresh())
        session.closed.connect(self.runner_host.stop)
        session.closed.connect(self.travel.close)
        session.opened.connect(self.history.show_store)
        session.opened.connect(self.find_when.show_store)
        session.opened.connect(self.compare_view.show_store)
        session.closed.connect(self.history.close)

    def _connect(self) -> None:
        status, browser, travel = self.status, self.browser, self.travel
        self.worker.busy_changed.connect(status.busy_changed)
        status.load_requested.connect(self.choose_system)
        self.runner_host.message.connect(status.say)
        self.fault_badges.open_position.connect(self.show_position)
        self.stream_browser.selected.connect(browser.show_stream)
        browser.view_shown.connect(self.stream_browser.show_choice)
        self.stream_browser.pattern_changed.connect(self.event_list.pattern_changed)
        browser.history_changed.connect(self._history_changed)
        browser.rows_ready.connect(self._rows_ready)
        browser.scan_progress.connect(status.show_scan_progress)
        browser.failed.connect(lambda message: status.say(message, 8000))
        browser.live_applied.connect(lambda _: self._update_counts())
        self.event_list.state_changed.connect(self._update_live_label)
        self.event_list.written_selected.connect(
            lambda: self.bottom_tabs.setCurrentIndex(self.console_tab))
        self.detail.copied.connect(lambda _: status.say("Copied the event as JSON.", 3000))
        for panel in (self.projections_panel, self.sagas_panel, self.moment_panel, self.console):
            panel.open_position.connect(self.show_position)
        for gate in self.gates:
            gate.load_requested.connect(self.choose_system)
        self.bottom_tabs.currentChanged.connect(
            lambda index: self.runner_host.set_monitor_shown(index == self.monitor_tab))
        self.cursor_follow.first_trip.connect(
            lambda: self.bottom_tabs.setCurrentIndex(self.travel_tab))
        travel.status_changed.connect(lambda _: self._update_live_label())
        for label in (self.sagas_panel.count_label, self.projections_panel.rows_label):
            travel.status_changed.connect(label.cursor_moved)
        travel.playing_changed.connect(lambda playing: self.play_action.setIcon(
            icon("pause" if playing else "play")))
        travel.failed.connect(lambda message: status.say(message, 8000))
        self.stream_browser.selected.connect(
            lambda _: travel.set_focus(browser.view.stream_id, travel.saga_id))
        self.moment_panel.saga_chosen.connect(travel.set_saga)
        self.moment_panel.more_rows_wanted.connect(travel.show_more_rows)
        travel.more_rows.connect(lambda page: self.moment_panel.add_rows(*page))
        travel.samples_ready.connect(  # the filters' "To" follows the log's newest event
            lambda samples: self.filter_bar.follow_log_end(samples.timestamps[-1])
            if len(samples.timestamps) and not samples.counting else None)  # (counts so far
        # end where the runner has counted to, not where the log does)
        self.timeline.branch_requested.connect(self.open_what_if)
        self.table.doubleClicked.connect(lambda index: self.travel_to(
            self.event_model.position(index.row())))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in (self.copy_action, self.cause_action, self.travel_here_action,
                       self.like_action):
            self.table.addAction(action)
        self.stream_browser.selected.connect(
            lambda choice: self.console.select_stream(choice if isinstance(choice, str)
                                                      else None))
        self.console.events_written.connect(self.event_list.command_wrote)
        browser.detail_shown.connect(
            lambda event: self.console.select_stream(event.stream_id) if event else None)

    # -- opening stores and systems --------------------------------------------------------

    def choose_store(self, read_only: bool = False) -> None:
        self.opening.choose(read_only)

    def open_store(self, path: str | Path, *, read_only: bool = False, create: bool = False,
                   system: LoadedSystem | None = None) -> None:
        """Open a store (on the worker thread) with `system`, or the one it names; on failure,
        explain and keep the current one. Only with `create` (the user said so) does a missing
        or empty file become a store."""
        self.opening.open(path, read_only=read_only, create=create, system=system)

    def choose_system(self):
        """File > Load System...: load a system and open the store again with it."""
        return self.opening.choose_system()

    def choose_new_demo_store(self) -> None:
        self.opening.choose_new_demo()

    def create_demo_store(self, path: str | Path, size: int,
                          system: LoadedSystem | None = None) -> QProgressDialog:
        """Seed a new store (with the loaded system's seeder, else the demo system's) with a
        cancellable progress dialog, then open it."""
        return self.opening.create_demo(path, size, system)

    def fill_recent_menu(self, recent: list[str] | None = None) -> None:
        fill_recent_menu(self, recent)

    def _console_shows_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        self.console.set_examples(summary.examples)
        self.console.set_store(summary.location, summary.read_only, summary.read_only_reason)

    def _store_shown(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        show_store_actions(self, True)
        self._update_live_label()
        self.fill_recent_menu(settings.remember_store(summary.location))
        self._update_title()
        self._update_counts()

    def _system_changed(self, loaded: LoadedSystem) -> None:
        """Explore with this system from now on: the tabs that need one show their panel (or
        say that none is loaded, and how to load one); the title and the status bar name it."""
        for gate in self.gates:
            gate.show_system(loaded)
        show_system_actions(self, loaded)
        self.timeline.branch_button.setVisible(not loaded.generic)
        self.status.show_system(loaded)
        self._update_title()
        self.system_shown.emit(loaded)

    def show_system(self, loaded: LoadedSystem) -> None:
        self.session.show_system(loaded)

    def show_error(self, title: str, message: str) -> None:
        """Tell the user about a problem in a dialog that does not block the window."""
        title, message = visible(title), visible_lines(message)  # (as the command line's error
        # lines: a path's byte that is not UTF-8, or a control character, escaped)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.error_box = box
        self.error_shown.emit(title, message)

    def _settings_not_saved(self, why: str) -> None:
        if shiboken6.isValid(self):  # (the window that asked to be told may have gone)
            self.show_error("Settings are not saved", why)

    # -- going places ----------------------------------------------------------------------

    def show_position(self, position: int) -> None:
        """Show the event at a position in the explorer (from the panels)."""
        self.bottom_tabs.setCurrentIndex(0)
        self.browser.go_to_position(position)

    def ask_position(self) -> None:
        """Go > Go to Position…, asked starting from where the user is: the time cursor's
        position once it left the live end (the time bar, banner and As of panels show it);
        while it follows live, the selected event's (the cursor only follows the log's end
        then), or the last position with none."""
        if self.summary is None or not self.summary.last_position:
            return
        last = self.browser.last_position
        travel = self.travel
        current = (travel.position if not travel.live
                   else self.browser.selected_position() or travel.position or last)
        current = max(1, min(current, last))
        # (any number may be typed: a spin box bounded by the last position dropped the digits
        # past it, 99999 going to 9 in a log of 51 events, unsaid)
        position, ok = QInputDialog.getInt(self, "Go to Position", f"Position (1 to {last:,}):",
                                           current, 1, QT_INT_MAX)
        if ok and position > last:
            self.status.say(f"Position {position:,} is not in the log: it runs from 1 to "
                            f"{last:,}. Nothing moved.", 8000)
        elif ok:
            self.go_to_position(position)

    def go_to_position(self, position: int) -> None:
        """Go > Go to Position: the event at a global position selected in the list (in all
        events if the list has not it), and the time cursor moved there, so that the whole
        system is shown as it was at it."""
        self.browser.go_to_position(position)
        if self.summary is not None:
            self.travel.pause()
            self.travel.go_to(position)

    def travel_to(self, position: int) -> None:
        """Move the timeline's cursor to a position and show the system as it was there."""
        if self.summary is not None and position:
            self.travel.pause()
            self.travel.go_to(position)
            self.bottom_tabs.setCurrentIndex(self.travel_tab)

    def travel_to_selected(self) -> None:
        position = self.browser.selected_position()
        if position is not None:
            self.travel_to(position)

    def open_find_when(self) -> None:
        """Time > Find When…: the bar, its target the selected stream or the cursor's
        aggregate."""
        aggregate = self.travel.moment.aggregate if self.travel.moment is not None else None
        self.find_when.open(self.browser.view.stream_id
                            or (aggregate.stream_id if aggregate is not None else None))

    def set_compare_mark(self, name: str) -> None:
        """Time > Set Mark A / B at Cursor; with both set, the Compare tab shows them."""
        if self.summary is not None and self.compare_view.set_mark(name, self.travel.position):
            self.bottom_tabs.setCurrentIndex(self.compare_tab)

    def compare_to_live(self) -> None:
        if self.summary is not None:
            self.compare_view.compare_to_live(self.travel.position)
            self.bottom_tabs.setCurrentIndex(self.compare_tab)

    def show_watch(self) -> None:
        """Time > Watch a Value…: the Watch tab, ready to type an expression."""
        self.bottom_tabs.setCurrentIndex(self.watch_tab)
        self.watch_panel.entry.setFocus()

    def watch_this(self, text: str) -> None:
        """"Watch This" in the As of panel: the Watch tab, the expression pinned."""
        self.bottom_tabs.setCurrentIndex(self.watch_tab)
        self.watch_panel.pin(text)

    def open_what_if(self, position: int) -> None:
        """A sandbox branched at `position`, to try commands without touching the store."""
        open_what_if(self, position)

    # -- commands --------------------------------------------------------------------------

    def tab_of(self, panel: QWidget) -> int:
        """The bottom tab that shows a panel (it, or the SystemGate holding it, perhaps in a
        TallScroller)."""
        shown = next((gate for gate in self.gates if gate.panel is panel), None) or panel
        for index in range(self.bottom_tabs.count()):
            page = self.bottom_tabs.widget(index)
            if page is shown or (isinstance(page, QScrollArea) and page.widget() is shown):
                return index
        return -1

    def show_console(self) -> None:
        self.bottom_tabs.setCurrentIndex(self.console_tab)
        self.console.search.setFocus()

    def command_like_selected(self) -> None:
        """Fill the console with the command that caused the selected event."""
        command_like_selected(self)

    # -- the list, live or paused ----------------------------------------------------------

    def refresh(self) -> None:
        self.session.refresh(lambda e: self.show_error("Cannot refresh", str(e)))

    def toggle_live(self, on: bool | None = None) -> None:
        live = self.live_action.isChecked() if on is None else on
        self.live_action.setChecked(live)
        self.live_action.setIcon(icon("live" if live else "paused"))
        self.event_list.set_live(live)

    def _rows_ready(self, count: int) -> None:
        self.busy_label.clear()
        self._update_counts(count)

    def _history_changed(self) -> None:
        self.back_action.setEnabled(self.browser.history.can_go_back)
        self.forward_action.setEnabled(self.browser.history.can_go_forward)

    def _update_counts(self, listed: int | None = None) -> None:
        listed = len(self.event_model.rows) if listed is None else listed
        view = self.browser.view
        self.status.show_counts(listed, self.browser.last_position,
                                view.query().is_everything and not view.filters.search)

    def _reconnecting(self, lost: bool) -> None:
        self.status.reconnecting = lost
        self._update_live_label()

    def _gone(self, gone: bool) -> None:
        self.status.gone = gone
        self._update_live_label()

    def _update_live_label(self) -> None:
        if self.summary is None:  # nothing is followed before a store is open
            self.status.show_no_store()
            return
        self.status.show_following(
            self.travel.status(), self.event_list.live, self.event_list.missed,
            live_keys=self.live_action.shortcut().toString(),
            to_live_keys=self.to_live_action.shortcut().toString())

    def _update_title(self) -> None:
        system = self.loaded.label
        if self.summary is None:
            self.setWindowTitle(f"{system} — Event Explorer")
            return
        badge = " [read-only]" if self.summary.read_only else ""
        self.setWindowTitle(f"{visible(Path(self.summary.location).name)}{badge} — {system} — "
                            "Event Explorer")  # (a name's byte that is not UTF-8: escaped)

    # -- drag and drop, layout, closing ----------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_store(files[0])
        if len(files) > 1:  # (said, not dropped silently)
            others = len(files) - 1
            self.status.say(f"A window shows one store: of the files dropped, "
                            f"{Path(files[0]).name} is opened; the {others:,} other"
                            f"{'s were' if others != 1 else ' was'} not opened.", 15_000)

    def save_layout(self) -> None:
        save_layout(self)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        height_changed(self, event.oldSize().height(), event.size().height())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.opening.stop_loading()
        self.save_layout()
        self.session.close()
        self.console.shutdown()
        self.worker.shutdown()
        super().closeEvent(event)
