"""The window's actions, with their shortcuts, icons and tips, in its menus and toolbar.

`add_actions(window)` makes them as the window's attributes (`window.open_action`, ...), the
menus (File, View, Go, Time, Event) and the main toolbar; `show_system_actions` enables those
that need a system. The actions call the window and its parts; Help's are `widgets/help.py`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from explorer.common.names import visible
from explorer.ui import settings
from explorer.ui.field_shortcuts import FieldShortcutGuard
from explorer.ui.icons import icon
from explorer.ui.session import LoadedSystem
from explorer.ui.window.exchange import EventsExchange

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

NEEDS_A_SYSTEM = " (no system is loaded)"
WHAT_IF_TIP = "Try commands against the system as it was at the cursor, in a sandbox"
FIND_WHEN_TIP = "Find when a condition on a stream's state, a read model or the sagas switched"
WATCH_TIP = "Pin a value (a field, a read-model cell, a count) and see it as of the cursor"
LIKE_TIP = "Fill the command console with the command that caused the selected event"


class WindowActions:
    """The attributes `add_actions` gives the window (MainWindow declares them by inheriting
    this): its actions, File > Open Recent, and the guard that keeps their shortcuts working
    in one-line text fields."""

    open_action: QAction
    tab_actions: list[QAction]
    """Alt+1 ...: each bottom tab shown (see _add_tab_actions)."""
    open_ro_action: QAction
    open_database_action: QAction
    new_demo_action: QAction
    load_system_action: QAction
    export_action: QAction
    import_action: QAction
    bug_report_action: QAction
    exchange: EventsExchange
    quit_action: QAction
    refresh_action: QAction
    filter_action: QAction
    goto_action: QAction
    last_action: QAction
    back_action: QAction
    forward_action: QAction
    cause_action: QAction
    copy_action: QAction
    like_action: QAction
    console_action: QAction
    live_action: QAction
    step_back_action: QAction
    step_forward_action: QAction
    play_action: QAction
    first_action: QAction
    to_live_action: QAction
    travel_here_action: QAction
    what_if_action: QAction
    watch_action: QAction
    find_when_action: QAction
    mark_a_action: QAction
    mark_b_action: QAction
    compare_live_action: QAction
    recent_menu: QMenu
    field_shortcuts: FieldShortcutGuard


def _action(window: MainWindow, text: str, slot, shortcut=None, icon_name: str | None = None,
            tip: str = "") -> QAction:
    action = QAction(text, window)
    if icon_name:
        action.setIcon(icon(icon_name))
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def add_actions(w: MainWindow) -> None:
    """The window's actions (as its attributes), menus and toolbar."""
    key = QKeySequence.StandardKey
    w.open_action = _action(w, "&Open Store…", w.choose_store, key.Open, "open",
                            "Open an event store")
    w.open_ro_action = _action(w, "Open Store &Read-Only…", lambda: w.choose_store(read_only=True),
                               "Ctrl+Shift+O", "read-only",
                               "Open a store without any possibility of changing it")
    w.open_database_action = _action(w, "Open &Database…", w.opening.choose_database, None,
                                     None, "Open a store on a PostgreSQL server by its URL")
    w.new_demo_action = _action(w, "&New Demo Store…", w.choose_new_demo_store, key.New,
                                "new-demo", "Create and seed a demo store")
    w.load_system_action = _action(w, "Load &System…", w.choose_system, None, None,
                                   "Choose the system (commands, projections, sagas) to "
                                   "explore the store with")
    w.exchange = EventsExchange(w)
    w.export_action = _action(w, "&Export Events…", w.exchange.export_events, None, None,
                              "Write the selected, listed or all events to a JSON Lines or "
                              "CloudEvents file")
    w.import_action = _action(w, "&Import into New Store…", w.exchange.import_events, None, None,
                              "Make a new store from a JSON Lines or CloudEvents file, and open it")
    w.bug_report_action = _action(w, "Save &Bug Report…", w.exchange.save_bug_report, None, None,
                                  "Save one file with a copy of the store and this view, to "
                                  "send with a bug report")
    w.quit_action = _action(w, "&Quit", w.close, key.Quit)
    w.refresh_action = _action(w, "&Refresh", w.refresh, "F5", "refresh", "Read the store again")
    w.filter_action = _action(w, "&Filter…", w.filter_bar.focus_content, key.Find, "filter",
                              "Filter the events by content")
    w.goto_action = _action(w, "&Go to Position…", w.ask_position, "Ctrl+L", "goto",
                            "Go to a global position: select its event and move the time "
                            "cursor there")
    browser = w.browser
    w.last_action = _action(w, "Go to &Last Event", browser.select_last, "Ctrl+End", "last",
                            "Select the newest event")
    w.back_action = _action(w, "&Back", browser.back, "Alt+Left", "back",
                            "Back to where you were")
    w.forward_action = _action(w, "&Forward", browser.forward, "Alt+Right", "forward",
                               "Forward again")
    w.cause_action = _action(w, "Go to &Cause", browser.go_to_cause, "Alt+Up", "cause",
                             "Go to the event that caused this one")
    w.copy_action = _action(w, "&Copy Event as JSON", w.detail.copy_json, "Ctrl+Shift+C", "copy",
                            "Copy the selected event as JSON")
    w.like_action = _action(w, "Send a Command &Like This…", w.command_like_selected,
                            "Ctrl+Shift+K", "command", LIKE_TIP)
    w.console_action = _action(w, "Command &Console", w.show_console, "F4", "command",
                               "Send commands to aggregates")
    w.live_action = _action(w, "&Live Updates", w.toggle_live, "Ctrl+Shift+L", "live",
                            "Show events appended by any process as they arrive")
    w.live_action.setCheckable(True)
    w.live_action.setChecked(True)
    travel = w.travel
    w.step_back_action = _action(w, "Step &Back", lambda: travel.step(-1), "Ctrl+,",
                                 "step-back", "Move the cursor one event back")
    w.step_forward_action = _action(w, "Step &Forward", lambda: travel.step(1), "Ctrl+.",
                                    "step-forward", "Move the cursor one event forward")
    w.play_action = _action(w, "&Play / Pause", travel.toggle_play, "Ctrl+Space", "play",
                            "Play the events from the cursor on")
    w.first_action = _action(w, "&First Event", travel.first, "Ctrl+Shift+Home", "first",
                             "Move the cursor to the first event")
    w.to_live_action = _action(w, "Back to &Live", travel.back_to_live, "Ctrl+Shift+End",
                               "to-live", "Move the cursor to the newest event and follow")
    w.travel_here_action = _action(w, "&Travel to Selected Event", w.travel_to_selected,
                                   "Ctrl+J", "time-travel",
                                   "See the whole system as it was at this event")
    w.watch_action = _action(w, "Watch a &Value…", w.show_watch, None, "goto", WATCH_TIP)
    w.what_if_action = _action(w, "&What If…", lambda: w.open_what_if(travel.position),
                               "Ctrl+Shift+W", "branch", WHAT_IF_TIP)
    w.find_when_action = _action(w, "Find W&hen…", w.open_find_when, "Ctrl+Shift+F", "filter",
                                 FIND_WHEN_TIP)
    w.mark_a_action = _action(w, "Set &Mark A at Cursor", lambda: w.set_compare_mark("A"),
                              "Ctrl+Shift+A", None, "Mark the cursor's position as A, the "
                              "earlier moment to compare")
    w.mark_b_action = _action(w, "Set Mar&k B at Cursor", lambda: w.set_compare_mark("B"),
                              "Ctrl+Shift+B", None, "Mark the cursor's position as B and "
                              "compare A with it")
    w.compare_live_action = _action(w, "&Compare Cursor to Live", w.compare_to_live, None, None,
                                    "What changed from the cursor to the newest event")
    _add_tab_actions(w)
    _add_menus(w)
    _add_toolbar(w)
    w.back_action.setEnabled(False)
    w.forward_action.setEnabled(False)
    show_store_actions(w, False)


def _add_tab_actions(w: MainWindow) -> None:
    """Alt+1, Alt+2, ... show the bottom tabs in order, the focus in the tab shown, so that
    each is a key away as Commands is (F4): Followers last, offered only while it is shown
    (a store with followers)."""
    tabs = w.bottom_tabs
    order = [index for index in range(tabs.count()) if index != w.followers_tab]
    w.tab_actions = []
    for number, index in enumerate([*order, w.followers_tab], start=1):
        name = tabs.tabText(index)
        action = _action(w, f"&{number} {name}", lambda _=False, i=index: show_tab(w, i),
                         f"Alt+{number}", None, f"Show the {name} tab")
        w.tab_actions.append(action)
    followers = w.tab_actions[-1]
    followers.setEnabled(tabs.isTabVisible(w.followers_tab))
    w.followers_panel.presence_changed.connect(followers.setEnabled)


def show_tab(w: MainWindow, index: int) -> None:
    """Show a bottom tab and put the focus in it: on its first field, list or button."""
    tabs = w.bottom_tabs
    if not tabs.isTabVisible(index):
        return
    tabs.setCurrentIndex(index)
    page = tabs.widget(index)
    if page is None:
        return
    widget = page.nextInFocusChain()
    while widget is not None and widget is not page:
        if (page.isAncestorOf(widget) and widget.isVisibleTo(page) and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        widget = widget.nextInFocusChain()
    tabs.tabBar().setFocus(Qt.FocusReason.ShortcutFocusReason)  # nothing in it takes focus


def store_actions(w: MainWindow) -> tuple[QAction, ...]:
    """The actions that act on an open store's events, its list or its timeline."""
    return (w.export_action, w.refresh_action, w.filter_action, w.goto_action, w.last_action,
            w.cause_action, w.copy_action, w.live_action, w.step_back_action,
            w.step_forward_action, w.play_action, w.first_action, w.to_live_action,
            w.travel_here_action, w.watch_action, w.find_when_action, w.mark_a_action,
            w.mark_b_action, w.compare_live_action)


def show_store_actions(w: MainWindow, store_open: bool) -> None:
    """Before any store is open (none given, or the one given could not be opened), the
    actions on a store's events are off, as are the filters, which have no list to filter."""
    for action in store_actions(w):
        action.setEnabled(store_open)
    w.filter_bar.setEnabled(store_open)


def _add_menus(w: MainWindow) -> None:
    menu = w.menuBar().addMenu("&File")
    menu.addActions([w.open_action, w.open_ro_action, w.open_database_action])
    w.recent_menu = menu.addMenu("Open &Recent")
    menu.addAction(w.new_demo_action)
    menu.addSeparator()
    menu.addAction(w.load_system_action)
    menu.addSeparator()
    menu.addActions([w.export_action, w.import_action, w.bug_report_action])
    menu.addSeparator()
    menu.addAction(w.quit_action)
    menu = w.menuBar().addMenu("&View")
    menu.addActions([w.refresh_action, w.filter_action, w.live_action])
    menu.addSeparator()
    menu.addMenu("&Tabs").addActions(w.tab_actions)
    menu = w.menuBar().addMenu("&Go")
    menu.addActions([w.back_action, w.forward_action, w.cause_action, w.goto_action,
                     w.last_action])
    menu = w.menuBar().addMenu("&Time")
    menu.addActions([w.travel_here_action, w.first_action, w.step_back_action, w.play_action,
                     w.step_forward_action, w.to_live_action])
    menu.addSeparator()
    menu.addAction(w.find_when_action)
    menu.addAction(w.watch_action)
    menu.addActions([w.mark_a_action, w.mark_b_action, w.compare_live_action])
    menu.addSeparator()
    menu.addAction(w.what_if_action)
    menu = w.menuBar().addMenu("&Event")
    menu.addActions([w.copy_action, w.like_action, w.console_action])
    fill_recent_menu(w)
    w.field_shortcuts = FieldShortcutGuard(w)  # Ctrl+End etc. even in a text field


def _add_toolbar(w: MainWindow) -> None:
    toolbar = w.addToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addAction(w.open_action)
    toolbar.addSeparator()
    for action in (w.back_action, w.forward_action, w.cause_action):
        toolbar.addAction(action)
    toolbar.addSeparator()
    for action in (w.goto_action, w.last_action, w.refresh_action, w.live_action):
        toolbar.addAction(action)


def fill_recent_menu(w: MainWindow, recent: list[str] | None = None) -> None:
    """File > Open Recent: the stores opened last (`recent`, else as the settings keep them)."""
    w.recent_menu.clear()
    recent = settings.recent_stores() if recent is None else recent
    for path in recent:
        action = w.recent_menu.addAction(visible(path).replace("&", "&&"))  # a path's '&' is
        # no mark of a shortcut: shown as it is ("R&D", not "RD" with the D underlined); a
        # byte of its name that is not UTF-8 escaped (caf\udce9, not caf: another file)
        action.triggered.connect(lambda _=False, p=path: w.open_store(p))
    w.recent_menu.setEnabled(bool(recent))


def show_system_actions(w: MainWindow, loaded: LoadedSystem) -> None:
    """The actions that need a system are enabled with one, and say so without one."""
    needs_one = NEEDS_A_SYSTEM if loaded.generic else ""
    for action, text in ((w.what_if_action, WHAT_IF_TIP), (w.like_action, LIKE_TIP)):
        action.setEnabled(not loaded.generic)
        action.setStatusTip(text + needs_one)
