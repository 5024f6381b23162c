"""The explorer window: stream browser, event list with filters, event detail, cause and effect.

It opens stores (File > Open, drag and drop, the command line, recent stores, a new demo store),
shows clear dialogs for files that are not stores, follows appends live, and remembers its layout.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.browsing.hints import StoreExamples
from explorer.commanding.sending import like_event, owner_of
from explorer.store.records import StreamTypeInfo
from explorer.system.workspace import default_demo_store
from explorer.ui import settings
from explorer.ui.console import CommandConsole
from explorer.ui.event_browser import EventBrowser
from explorer.ui.field_shortcuts import FieldShortcutGuard
from explorer.ui.icons import app_icon, icon
from explorer.ui.models.event_table import EventTableModel
from explorer.ui.models.stream_tree import StreamTreeModel
from explorer.ui.runner_process import RunnerProcess
from explorer.ui.store_opening import StoreOpening, StoreSummary, summarise
from explorer.ui.systems import NOTHING_LOADED, LoadedSystem, SystemGate, describe
from explorer.ui.time_cursor import TimeTravel
from explorer.ui.widgets.causality_panel import CausalityPanel
from explorer.ui.widgets.event_detail import EventDetail
from explorer.ui.widgets.filter_bar import FilterBar
from explorer.ui.widgets.help import Help
from explorer.ui.widgets.moment_panel import MomentPanel
from explorer.ui.widgets.monitor_history import MonitorHistory
from explorer.ui.widgets.projections_panel import FaultBadges, ProjectionsPanel
from explorer.ui.widgets.sagas_panel import SagasPanel
from explorer.ui.widgets.stream_browser import StreamBrowser
from explorer.ui.widgets.timeline import TimelineBar
from explorer.ui.worker import ChangeWatcher, JobContext, StoreWorker

if TYPE_CHECKING:  # pyqtgraph is loaded only when the monitor is first shown
    from explorer.ui.widgets.monitor_panel import MonitorPanel

BUSY_DELAY_MS = 150


class MainWindow(QMainWindow):
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
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.summary: StoreSummary | None = None
        self.loaded: LoadedSystem = NOTHING_LOADED
        self.system_dialog = None
        self.watcher: ChangeWatcher | None = None
        self.error_box: QMessageBox | None = None
        self.live = True
        self._missed = 0
        self._latest_position = 0
        self.worker = StoreWorker(self)
        self.opening = StoreOpening(self, self.worker, demo_system)
        self.opening.opened.connect(self._opened)

        self.stream_model = StreamTreeModel()
        self.stream_browser = StreamBrowser(self.stream_model)
        self.event_model = EventTableModel()
        self.table = QTableView()
        self._build_table()
        self.filter_bar = FilterBar()
        self.detail = EventDetail()
        self.causality = CausalityPanel()
        self.browser = EventBrowser(self.worker, self.table, self.event_model, self.stream_model,
                                    self.filter_bar, self.detail, self.causality, self)
        self.runner: RunnerProcess | None = None
        self.monitor_history = MonitorHistory()
        self.monitor: MonitorPanel | None = None
        self.projections_panel = ProjectionsPanel(self.worker)
        self.sagas_panel = SagasPanel(self.worker)
        self.travel = TimeTravel(self)
        self.timeline = TimelineBar(self.travel)
        self.moment_panel = MomentPanel()
        self.console = CommandConsole(self.worker)
        self._select_when_listed: int | None = None
        self._travel_tab_shown = False
        self._list_follows: tuple[int, bool] | None = None
        self._follow_timer = QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.setInterval(0)
        self._follow_timer.timeout.connect(self._follow_cursor_later)
        self.what_if = None
        self._build_layout()
        self._build_actions()
        self._build_status_bar()
        self.fault_badges = FaultBadges(self.projections_panel, self.bottom_tabs, self.statusBar(),
                                        self.gates[0])
        self.fault_badges.open_position.connect(self.show_position)
        self.help = Help(self)  # the Help menu, and the first-run welcome in the detail area
        self._connect()
        self._restore_layout()
        self.show_system(NOTHING_LOADED)

    # -- construction ----------------------------------------------------------------------

    def _build_table(self) -> None:
        table = self.table
        table.setModel(self.event_model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, width in enumerate((84, 176, 150, 64, 190)):
            table.setColumnWidth(column, width)
        header.setSectionsMovable(True)

    def _build_layout(self) -> None:
        list_pane = QWidget()
        list_layout = QVBoxLayout(list_pane)
        list_layout.setContentsMargins(6, 6, 6, 0)
        list_layout.addWidget(self.timeline)
        list_layout.addWidget(self.filter_bar)
        list_layout.addWidget(self.table, 1)
        self.detail_split = QSplitter(Qt.Orientation.Horizontal)
        self.detail_split.addWidget(self.detail)
        self.detail_split.addWidget(self.causality)
        self.detail_split.setSizes([560, 500])
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.detail_split, icon("event"), "Event")
        self.travel_tab = self.bottom_tabs.addTab(self.moment_panel, icon("time-travel"),
                                                  "As of Cursor")
        projections, sagas, console = self.gates = (
            SystemGate(self.projections_panel, "Projections (the read models they build)"),
            SystemGate(self.sagas_panel, "Sagas (the process managers that coordinate "
                                         "aggregates)"),
            SystemGate(self.console, "Commands (their handlers and schemas)"))
        self.console_tab = self.bottom_tabs.addTab(console, icon("command"), "Commands")
        self.bottom_tabs.addTab(projections, icon("stream-type"), "Projections")
        self.bottom_tabs.addTab(sagas, icon("correlation"), "Sagas")
        self.monitor_holder = QWidget()
        QVBoxLayout(self.monitor_holder).setContentsMargins(0, 0, 0, 0)
        self.monitor_loading = QLabel("Loading the charts…")
        self.monitor_loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.monitor_holder.layout().addWidget(self.monitor_loading)
        self.monitor_tab = self.bottom_tabs.addTab(self.monitor_holder, icon("live"), "Monitor")
        self.bottom_tabs.currentChanged.connect(self._tab_changed)
        self.right_split = QSplitter(Qt.Orientation.Vertical)
        self.right_split.addWidget(list_pane)
        self.right_split.addWidget(self.bottom_tabs)
        self.right_split.setSizes([560, 380])
        browser_pane = QWidget()
        browser_layout = QVBoxLayout(browser_pane)
        browser_layout.setContentsMargins(6, 6, 0, 0)
        browser_layout.addWidget(self.stream_browser)
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(browser_pane)
        self.main_split.addWidget(self.right_split)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([290, 1110])
        self.setCentralWidget(self.main_split)
        self.resize(1400, 900)

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.open_action = self._action("&Open Store…", self.choose_store, key.Open, "open",
                                        "Open an event store")
        self.open_ro_action = self._action("Open Store &Read-Only…",
                                           lambda: self.choose_store(read_only=True),
                                           "Ctrl+Shift+O", "read-only",
                                           "Open a store without any possibility of changing it")
        self.new_demo_action = self._action("&New Demo Store…", self.choose_new_demo_store,
                                            key.New, "new-demo", "Create and seed a demo store")
        self.load_system_action = self._action("Load &System…", self.choose_system, None, None,
                                               "Choose the system (commands, projections, "
                                               "sagas) to explore the store with")
        self.quit_action = self._action("&Quit", self.close, key.Quit)
        self.refresh_action = self._action("&Refresh", self.refresh, "F5", "refresh",
                                           "Read the store again")
        self.filter_action = self._action("&Filter…", self.filter_bar.focus_content, key.Find,
                                          "filter", "Filter the events by content")
        self.goto_action = self._action("&Go to Position…", self.ask_position, "Ctrl+L", "goto",
                                        "Go to a global position")
        self.last_action = self._action("Go to &Last Event", self.browser.select_last, "Ctrl+End",
                                        "last", "Select the newest event")
        self.back_action = self._action("&Back", self.browser.back, "Alt+Left", "back",
                                        "Back to where you were")
        self.forward_action = self._action("&Forward", self.browser.forward, "Alt+Right",
                                           "forward", "Forward again")
        self.cause_action = self._action("Go to &Cause", self.browser.go_to_cause, "Alt+Up",
                                         "cause", "Go to the event that caused this one")
        self.copy_action = self._action("&Copy Event as JSON", self.detail.copy_json,
                                        "Ctrl+Shift+C", "copy", "Copy the selected event as JSON")
        self.like_action = self._action("Send a Command &Like This…", self.command_like_selected,
                                        "Ctrl+Shift+K", "command",
                                        "Fill the command console with the command that caused "
                                        "the selected event")
        self.console_action = self._action("Command &Console", self.show_console, "F4",
                                           "command", "Send commands to aggregates")
        self.live_action = self._action("&Live Updates", self.toggle_live, "Ctrl+Shift+L", "live",
                                        "Show events appended by any process as they arrive")
        self.live_action.setCheckable(True)
        self.live_action.setChecked(True)
        travel = self.travel
        self.step_back_action = self._action("Step &Back", lambda: travel.step(-1), "Ctrl+,",
                                             "step-back", "Move the cursor one event back")
        self.step_forward_action = self._action("Step &Forward", lambda: travel.step(1),
                                                "Ctrl+.", "step-forward",
                                                "Move the cursor one event forward")
        self.play_action = self._action("&Play / Pause", travel.toggle_play, "Ctrl+Space", "play",
                                        "Play the events from the cursor on")
        self.first_action = self._action("&First Event", travel.first, "Ctrl+Shift+Home", "first",
                                         "Move the cursor to the first event")
        self.to_live_action = self._action("Back to &Live", travel.back_to_live,
                                           "Ctrl+Shift+End", "to-live",
                                           "Move the cursor to the newest event and follow")
        self.travel_here_action = self._action("&Travel to Selected Event", self.travel_to_selected,
                                               "Ctrl+J", "time-travel",
                                               "See the whole system as it was at this event")
        self.what_if_action = self._action("&What If…", lambda: self.open_what_if(travel.position),
                                           "Ctrl+Shift+W", "branch",
                                           "Try commands against the system as it was at the "
                                           "cursor, in a sandbox")

        menu = self.menuBar().addMenu("&File")
        menu.addActions([self.open_action, self.open_ro_action])
        self.recent_menu = menu.addMenu("Open &Recent")
        menu.addAction(self.new_demo_action)
        menu.addSeparator()
        menu.addAction(self.load_system_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        menu = self.menuBar().addMenu("&View")
        menu.addActions([self.refresh_action, self.filter_action, self.live_action])
        menu = self.menuBar().addMenu("&Go")
        menu.addActions([self.back_action, self.forward_action, self.cause_action,
                         self.goto_action, self.last_action])
        menu = self.menuBar().addMenu("&Time")
        menu.addActions([self.travel_here_action, self.first_action, self.step_back_action,
                         self.play_action, self.step_forward_action, self.to_live_action])
        menu.addSeparator()
        menu.addAction(self.what_if_action)
        menu = self.menuBar().addMenu("&Event")
        menu.addActions([self.copy_action, self.like_action, self.console_action])
        self.fill_recent_menu()
        self.field_shortcuts = FieldShortcutGuard(self)  # Ctrl+End etc. even in a text field

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.open_action)
        toolbar.addSeparator()
        for action in (self.back_action, self.forward_action, self.cause_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (self.goto_action, self.last_action, self.refresh_action, self.live_action):
            toolbar.addAction(action)
        self.back_action.setEnabled(False)
        self.forward_action.setEnabled(False)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.busy_label = QLabel()
        self.read_only_badge = QLabel("READ-ONLY")
        self.read_only_badge.setStyleSheet(
            "background: #ffe082; color: #5d4037; font-weight: bold; padding: 1px 6px;"
            " border-radius: 3px;")
        self.read_only_badge.setToolTip("This store is open read-only: nothing can change it.")
        self.read_only_badge.hide()
        self.live_label = QLabel()
        self.count_label = QLabel()
        self.store_label = QLabel("No store open")
        self.system_label = QLabel()
        self.system_label.setObjectName("system-label")
        self.system_label.setTextFormat(Qt.TextFormat.RichText)
        self.system_label.linkActivated.connect(lambda _: self.choose_system())
        for widget in (self.busy_label, self.busy, self.read_only_badge, self.live_label,
                       self.count_label, self.system_label, self.store_label):
            bar.addPermanentWidget(widget)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self.busy.show)
        self._update_live_label()

    def _connect(self) -> None:
        self.worker.busy_changed.connect(self._busy_changed)
        self.stream_browser.selected.connect(self.browser.show_stream)
        self.stream_browser.pattern_changed.connect(self._stream_pattern_changed)
        self.browser.history_changed.connect(self._history_changed)
        self.browser.rows_ready.connect(self._rows_ready)
        self.browser.scan_progress.connect(self._scan_progress)
        self.browser.failed.connect(lambda message: self.statusBar().showMessage(message, 8000))
        self.browser.live_applied.connect(lambda _: self._update_counts())
        self.detail.copied.connect(lambda _: self.statusBar().showMessage(
            "Copied the event as JSON.", 3000))
        for panel in (self.projections_panel, self.sagas_panel):
            panel.open_position.connect(self.show_position)
        for gate in self.gates:
            gate.load_requested.connect(self.choose_system)
        self.sagas_panel.run_sagas_changed.connect(self._run_sagas_changed)
        self.travel.moment_ready.connect(self._moment_ready)
        self.travel.cursor_moved.connect(self._cursor_moved)
        self.travel.live_changed.connect(self._travel_live_changed)
        self.travel.status_changed.connect(lambda _: self._update_live_label())
        self.travel.playing_changed.connect(lambda playing: self.play_action.setIcon(
            icon("pause" if playing else "play")))
        self.travel.failed.connect(lambda message: self.statusBar().showMessage(message, 8000))
        self.stream_browser.selected.connect(
            lambda _: self.travel.set_focus(self.browser.view.stream_id, self.travel.saga_id))
        self.moment_panel.saga_chosen.connect(self.travel.set_saga)
        self.moment_panel.open_position.connect(self.show_position)
        self.moment_panel.more_rows_wanted.connect(self.travel.show_more_rows)
        self.travel.more_rows.connect(lambda page: self.moment_panel.add_rows(*page))
        self.travel.samples_ready.connect(  # the filters' "To" follows the log's newest event
            lambda samples: self.filter_bar.follow_log_end(samples.timestamps[-1])
            if len(samples.timestamps) else None)
        self.timeline.branch_requested.connect(self.open_what_if)
        self.timeline.plot_ready.connect(self._plot_ready)
        self.timeline.plot_failed.connect(lambda reason: self.monitor_loading.setText(
            reason.replace("timeline plot", "charts")))
        self.table.doubleClicked.connect(lambda index: self.travel_to(
            self.event_model.position(index.row())))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in (self.copy_action, self.cause_action, self.travel_here_action,
                       self.like_action):
            self.table.addAction(action)
        self.stream_browser.selected.connect(
            lambda choice: self.console.select_stream(choice if isinstance(choice, str)
                                                      else None))
        self.console.events_written.connect(self._command_wrote)
        self.console.open_position.connect(self.show_position)
        self.browser.live_applied.connect(self._select_written)
        self.browser.detail_shown.connect(
            lambda event: self.console.select_stream(event.stream_id) if event else None)

    # -- opening stores --------------------------------------------------------------------

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

    def _opened(self, summary: StoreSummary, loaded: LoadedSystem) -> None:
        self.summary = summary
        self.show_system(loaded)
        self.busy_label.clear()
        self._missed = 0
        self._select_when_listed = None  # a position written to the store that was open before
        self._watch(summary.location)
        self.read_only_badge.setVisible(summary.read_only)
        self.read_only_badge.setToolTip(
            f"Writing is off: {summary.read_only_reason}" if summary.read_only_reason
            else "This store is open read-only: nothing can change it.")
        if summary.read_only_reason:
            self.statusBar().showMessage(f"Opened read-only: {summary.read_only_reason}", 15_000)
        self.store_label.setText(summary.location)
        self.store_label.setToolTip(summary.location)
        self.fill_recent_menu(settings.remember_store(summary.location))
        self.filter_bar.set_event_types(summary.event_types)
        self.filter_bar.set_stream_types([t.stream_type for t in summary.stream_types])
        if summary.last_position:
            self.filter_bar.set_time_range(summary.first_time_us, summary.last_time_us)
        self.stream_model.set_types(summary.stream_types, summary.last_position)
        self.show_examples(summary.examples)
        self.stream_browser.filter.blockSignals(True)
        self.stream_browser.filter.clear()
        self.stream_browser.filter.blockSignals(False)
        self.filter_bar.blockSignals(True)
        self.filter_bar.clear()
        self.filter_bar.blockSignals(False)
        self.browser.reset(summary.last_position)
        self.stream_browser.select_all_events()
        self._update_title()
        self._update_counts()
        self._start_runner(summary)
        self._travel_tab_shown = False
        self.moment_panel.clear()
        self.event_model.set_cursor(None)
        self.timeline.set_store(summary.last_position, summary.read_only)
        self.console.set_store(summary.location, summary.read_only)
        self.event_model.set_highlight(())
        self.travel.set_focus(None, None)
        self.travel.open(summary.location, summary.last_position, self.loaded.system,
                         summary.read_only)
        self.store_opened.emit(summary.location)

    def show_examples(self, examples: StoreExamples) -> None:
        """The empty fields' hints, with ids and fields of the store open."""
        self.stream_browser.filter.setPlaceholderText(examples.stream_pattern())
        self.filter_bar.content.setPlaceholderText(examples.content_filter())
        self.console.set_examples(examples)

    def show_error(self, title: str, message: str) -> None:
        """Tell the user about a problem in a dialog that does not block the window."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.error_box = box
        self.error_shown.emit(title, message)

    # -- the system ------------------------------------------------------------------------

    def show_system(self, loaded: LoadedSystem) -> None:
        """Explore with this system from now on: the panels that need one get it (or say that
        none is loaded, and how to load one); the title and the status bar name it."""
        self.loaded = loaded
        system = loaded.system
        for gate in self.gates:
            gate.show_system(loaded)
        self.console.set_system(system)
        self.projections_panel.set_system(system)
        self.sagas_panel.set_system(system)
        self.moment_panel.set_system(system)
        needs_one = "" if not loaded.generic else " (no system is loaded)"
        for action, text in ((self.what_if_action, "Try commands against the system as it was "
                                                   "at the cursor, in a sandbox"),
                             (self.like_action, "Fill the command console with the command "
                                                "that caused the selected event")):
            action.setEnabled(not loaded.generic)
            action.setStatusTip(text + needs_one)
        self.timeline.branch_button.setVisible(not loaded.generic)
        colour = "#c62828" if loaded.note else "#1565c0" if not loaded.generic else "#616161"
        mark = "⚠ " if loaded.note else ""
        self.system_label.setText(f"<a href='load' style='color:{colour}; text-decoration:none'>"
                                  f"{mark}{html.escape(loaded.label)}</a>")
        self.system_label.setToolTip(f"{describe(loaded)}\n\nClick to load another system "
                                     "(File › Load System…).")
        self._update_title()
        self.system_shown.emit(loaded)

    # -- projections and sagas --------------------------------------------------------------

    def _start_runner(self, summary: StoreSummary) -> None:
        """Run the projections (and, if chosen, the sagas) of the open store on a thread."""
        self._stop_runner()
        location = summary.location
        demo = location in self.opening.demo_stores or (
            not self.loaded.generic and Path(location) == default_demo_store(self.loaded.system))
        can_run = not summary.read_only and bool(self.loaded.system.sagas)
        run_sagas = can_run and settings.sagas_enabled(location, demo)
        self.runner = RunnerProcess(location, self.loaded.spec, read_only=summary.read_only,
                                    run_sagas=run_sagas, parent=self)
        self.runner.status.connect(self._runner_status)
        self.runner.failed.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        self.monitor_history.clear()
        self.projections_panel.set_runner(self.runner)
        reason = ("This store is open read-only: sagas would have to write to it."
                  if summary.read_only else "" if can_run else
                  f"{self.loaded.label} has no sagas.")
        self.sagas_panel.reset(can_run=can_run, running=run_sagas, reason=reason)
        self.runner.start()

    def _stop_runner(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None

    def _runner_status(self, status) -> None:
        moment = self.travel.moment
        if moment is not None and any(m.built_to < moment.position
                                      for m in moment.read_models.values()):
            self.travel.refresh()  # the read models caught up a little further
        self.projections_panel.update_status(status)
        self.sagas_panel.update_status(status)
        self.monitor_history.add(status)
        if self.monitor is not None and self.bottom_tabs.currentIndex() == self.monitor_tab:
            self.monitor.redraw()

    def _run_sagas_changed(self, enabled: bool) -> None:
        if self.summary is None or self.runner is None:
            return
        settings.remember_sagas(self.summary.location, enabled)
        self.runner.set_sagas(enabled)
        self.statusBar().showMessage("Sagas run in this window now." if enabled else
                                     "Sagas no longer run in this window.", 5000)

    def _tab_changed(self, index: int) -> None:
        if index != self.monitor_tab:
            return
        if self.timeline.plot is None:
            self.timeline.load_plot()  # pyqtgraph; the monitor follows once the plot is in
        else:
            self._show_monitor()

    def _show_monitor(self) -> None:
        if self.monitor is None:
            from explorer.ui.widgets.monitor_panel import MonitorPanel  # pyqtgraph: loaded late

            self.monitor = MonitorPanel(self.monitor_history)
            self.monitor_loading.hide()
            self.monitor_holder.layout().addWidget(self.monitor)
        self.monitor.redraw()

    def _plot_ready(self) -> None:
        if self.bottom_tabs.currentIndex() == self.monitor_tab:
            self._show_monitor()

    def show_position(self, position: int) -> None:
        """Show the event at a position in the explorer (from the panels)."""
        self.bottom_tabs.setCurrentIndex(0)
        self.browser.go_to_position(position)

    def _watch(self, path: str) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.watcher = ChangeWatcher(path, parent=self)
        self.watcher.changed.connect(self._store_changed)
        self.watcher.start()

    # -- time travel -----------------------------------------------------------------------

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

    def _moment_ready(self, moment) -> None:
        self.moment_panel.show_moment(moment, self.travel.stream_id)
        select = self.travel.stepping and (not self.travel.playing
                                           or self.travel.speed.rate <= 25)
        self._list_follows = (moment.position, select)
        self._follow_timer.start()  # after the panels are painted; only the newest counts

    def _cursor_moved(self, position: int) -> None:
        if not self.travel.live and self._list_follows is None:
            self._list_follows = (position, False)
            self._follow_timer.start()

    def _follow_cursor_later(self) -> None:
        if self._list_follows is not None:
            (position, select), self._list_follows = self._list_follows, None
            self._follow_cursor(position, select)

    def _follow_cursor(self, position: int, select: bool) -> None:
        """Keep the event at the cursor in view in the list (and selected, when stepping)."""
        if self.travel.live:
            self.event_model.set_cursor(None)
            return
        self.event_model.set_cursor(position)
        if select and self.event_model.row_of(position) is not None:
            if self.browser.selected_position() != position:
                self.browser.select_position(position)
            return
        row = self.event_model.rows.row_at_or_before(position)
        if row is not None:
            self.table.scrollTo(self.event_model.index(row, 0),
                                QTableView.ScrollHint.PositionAtCenter)

    def _travel_live_changed(self, live: bool) -> None:
        if live:
            self.event_model.set_cursor(None)
            return
        self.event_model.set_cursor(self.travel.position)
        if not self._travel_tab_shown:  # the first trip to the past: show where it leads
            self._travel_tab_shown = True
            self.bottom_tabs.setCurrentIndex(self.travel_tab)

    def open_what_if(self, position: int) -> None:
        """A sandbox branched at `position`, to try commands without touching the store."""
        if self.summary is None or not position:
            return
        if self.loaded.generic:
            self.statusBar().showMessage("What if needs a system, to run commands: none is "
                                         "loaded (File › Load System…).", 6000)
            return
        from explorer.ui.widgets.what_if import WhatIfDialog

        moment = self.travel.moment
        aggregate = moment.aggregate if moment is not None and moment.position == position \
            else None
        when = moment.event.timestamp_us if aggregate is not None and moment.event else None
        dialog = WhatIfDialog(self.summary.location, position, self.loaded.system, self,
                              stream_type=aggregate.stream_type if aggregate else None,
                              stream_id=aggregate.stream_id if aggregate else None, when=when,
                              examples=self.summary.examples)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.what_if = dialog
        dialog.show()

    # -- commands --------------------------------------------------------------------------

    def tab_of(self, panel: QWidget) -> int:
        """The bottom tab that shows a panel (it, or the SystemGate holding it)."""
        gate = next((gate for gate in self.gates if gate.panel is panel), None)
        return self.bottom_tabs.indexOf(gate or panel)

    def show_console(self) -> None:
        self.bottom_tabs.setCurrentIndex(self.console_tab)
        self.console.search.setFocus()

    def command_like_selected(self) -> None:
        """Fill the console with the command that caused the selected event."""
        event = self.detail.shown_event
        if event is None:
            self.statusBar().showMessage("Select an event first.", 4000)
            return
        system = self.loaded.system
        if self.loaded.generic:
            self.statusBar().showMessage("No system is loaded, so there are no commands to "
                                         "send (File › Load System…).", 6000)
            return
        request = like_event(event, system)
        if request is None:
            command = (event.metadata or {}).get("command")
            reason = (f"{event.stream_id} is written by a saga only." if owner_of(
                system, event.stream_type, event.stream_id) else
                f"No command caused {event.event_type}"
                f"{f' ({command} is not a command of {event.stream_type})' if command else ''}.")
            self.statusBar().showMessage(reason, 6000)
            return
        self.console.prefill(request)
        self.show_console()

    def _command_wrote(self, positions: tuple[int, ...]) -> None:
        """A command from the console wrote these events: show them in the list, highlighted."""
        self.event_model.set_highlight(positions)
        self._select_when_listed = positions[0]
        if self.browser.last_position >= max(positions):
            self._select_written(self.browser.last_position)
        else:
            self.browser.apply_new_events(max(positions))  # sooner than the watcher says

    def _select_written(self, listed_up_to: int) -> None:
        position = self._select_when_listed
        if position is not None and listed_up_to >= position:
            self._select_when_listed = None
            if self.browser.select_position(position):
                self.bottom_tabs.setCurrentIndex(self.console_tab)

    # -- a new demo store ------------------------------------------------------------------

    def choose_new_demo_store(self) -> None:
        self.opening.choose_new_demo()

    def create_demo_store(self, path: str | Path, size: int,
                          system: LoadedSystem | None = None) -> QProgressDialog:
        """Seed a new store (with the loaded system's seeder, else the demo system's) with a
        cancellable progress dialog, then open it."""
        return self.opening.create_demo(path, size, system)

    # -- actions ---------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.summary is None:
            return
        location, system = self.summary.location, self.loaded.system

        def read(context: JobContext) -> StoreSummary:
            return summarise(context.store, system)

        def refreshed(summary: StoreSummary) -> None:
            if summary.location != location:
                return
            self.summary = summary
            self.browser.last_position = summary.last_position
            self.stream_model.set_types(summary.stream_types, summary.last_position,
                                        self.stream_model.pattern)
            self._update_counts()
            self.browser.refresh()

        self.worker.submit(read, refreshed, on_error=lambda e: self.show_error(
            "Cannot refresh", str(e)))

    def ask_position(self) -> None:
        if self.summary is None or not self.summary.last_position:
            return
        last = self.browser.last_position
        current = self.browser.selected_position() or 1
        position, ok = QInputDialog.getInt(self, "Go to Position", f"Position (1 to {last:,}):",
                                           current, 1, last)
        if ok:
            self.browser.go_to_position(position)

    def toggle_live(self, on: bool | None = None) -> None:
        self.live = self.live_action.isChecked() if on is None else on
        self.live_action.setChecked(self.live)
        self.live_action.setIcon(icon("live" if self.live else "paused"))
        if self.live and self._missed:
            self._missed = 0
            self.browser.apply_new_events(self._latest_position)
        self._update_live_label()

    def _store_changed(self, last_position: int) -> None:
        self._latest_position = last_position
        self.travel.log_grew(last_position)
        self.console.store_changed()
        if not self.live:
            self._missed = last_position - self.browser.last_position
            self._update_live_label()
            return
        self.browser.apply_new_events(last_position)

        def counts(context: JobContext) -> list[StreamTypeInfo]:
            return context.store.stream_types()

        self.worker.submit(counts, lambda types: self.stream_model.update_counts(
            types, last_position), key="type-counts", on_error=lambda e: None)

    def _stream_pattern_changed(self, pattern: str) -> None:
        def count(context: JobContext) -> list[StreamTypeInfo]:
            store = context.store
            if not pattern:
                return store.stream_types()
            return [StreamTypeInfo(t.stream_type, store.count_streams(t.stream_type, pattern),
                                   t.events) for t in store.stream_types()]

        def counted(types: list[StreamTypeInfo]) -> None:
            self.stream_model.set_types(types, self.browser.last_position, pattern)
            for row, info in enumerate(types):
                if pattern and info.streams:
                    self.stream_browser.tree.expand(
                        self.stream_model.index(row, 0, self.stream_model.all_index()))

        self.worker.submit(count, counted, key="pattern", on_error=self.browser._job_failed)

    # -- status ----------------------------------------------------------------------------

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()
            self.busy_label.clear()

    def _scan_progress(self, scanned: int, last: int) -> None:
        self.busy_label.setText(f"Filtering… {scanned * 100 // max(last, 1)}%")

    def _rows_ready(self, count: int) -> None:
        self.busy_label.clear()
        self._update_counts(count)

    def _history_changed(self) -> None:
        self.back_action.setEnabled(self.browser.history.can_go_back)
        self.forward_action.setEnabled(self.browser.history.can_go_forward)

    def _update_counts(self, listed: int | None = None) -> None:
        last = self.browser.last_position
        listed = len(self.event_model.rows) if listed is None else listed
        shown = "" if self.browser.view.query().is_everything else f"{listed:,} listed · "
        self.count_label.setText(f"{shown}{last:,} events · last position {last:,}")

    def _update_live_label(self) -> None:
        """What the window follows: the timeline's cursor, as the TimeTravel controller says
        (the banner shows the same), and whether the event list takes in new events."""
        status = self.travel.status()
        missed = f" · {self._missed:,} new" if self._missed else ""
        if not status.live:
            paused = f" · list paused{missed}" if not self.live else ""
            text, colour = (f"◷ Viewing the past · position {status.position:,} of "
                            f"{status.last_position:,}{paused}", "#e65100")
            tip = ("The panels show the system as of the timeline's cursor; later events are "
                   f"not applied. Back to Live: {self.to_live_action.shortcut().toString()}")
        elif self.live:
            text, colour, tip = "● Live", "#2e7d32", "Following the newest events"
        else:
            text, colour = f"❚❚ Paused{missed}", "#ef6c00"
            tip = ("The event list does not take in new events: "
                   f"{self.live_action.shortcut().toString()} resumes")
        self.live_label.setText(text)
        self.live_label.setToolTip(tip)
        if self.live_label.property("colour") != colour:  # restyled only when it changes:
            self.live_label.setProperty("colour", colour)  # the cursor moves it often
            self.live_label.setStyleSheet(f"color: {colour};")

    def _update_title(self) -> None:
        system = self.loaded.label
        if self.summary is None:
            self.setWindowTitle(f"{system} — Event Explorer")
            return
        badge = " [read-only]" if self.summary.read_only else ""
        self.setWindowTitle(f"{Path(self.summary.location).name}{badge} — {system} — "
                            "Event Explorer")

    # -- recent stores, drag and drop, layout ----------------------------------------------

    def fill_recent_menu(self, recent: list[str] | None = None) -> None:
        self.recent_menu.clear()
        recent = settings.recent_stores() if recent is None else recent
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_store(p))
        self.recent_menu.setEnabled(bool(recent))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_store(files[0])

    def _restore_layout(self) -> None:
        geometry = settings.window_state("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.window_state("state")
        if state is not None:
            self.restoreState(state)
        for name, widget in self._remembered().items():
            value = settings.window_state(name)
            if value is not None:
                widget.restoreState(value)

    def _remembered(self) -> dict:
        return {"main-split": self.main_split, "right-split": self.right_split,
                "detail-split": self.detail_split, "event-columns": self.table.horizontalHeader(),
                "projections-split": self.projections_panel.split,
                "moment-split": self.moment_panel.split,
                "console-split": self.console.split,
                "sagas-split": self.sagas_panel.split}

    def save_layout(self) -> None:
        settings.save_window_state("geometry", self.saveGeometry())
        settings.save_window_state("state", self.saveState())
        for name, widget in self._remembered().items():
            settings.save_window_state(name, QByteArray(widget.saveState()))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_layout()
        self._stop_runner()
        if self.watcher is not None:
            self.watcher.stop()
        self.travel.close()
        self.worker.shutdown()
        super().closeEvent(event)

