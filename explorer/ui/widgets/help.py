"""Help for the window: the Help menu (Keyboard Shortcuts, About) and a first-run welcome.

`Help(window)` adds them. The shortcuts are read from the window's own actions each time the
list opens, grouped by the menu they are in, and from its QShortcuts (Ctrl+K, Send in the
Commands tab: described by their whatsThis, grouped by the tab they work in), so the list is
never out of date. About names the versions a bug report needs, with a Copy button. The welcome
fills the empty event-detail area on the first run: what the open store is (the demo, or which
of the user's) and things to try; it goes away for good once an event is opened or it is
dismissed (remembered in the settings).
"""

from __future__ import annotations

import html
import platform
import sqlite3
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import PySide6
import sqlalchemy
from PySide6.QtCore import QEvent, QObject, Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer import __version__
from explorer.common.names import visible
from explorer.system.workspace import DEMO_DAYS
from explorer.ui import settings
from explorer.ui.icons import app_icon
from explorer.ui.session import LoadedSystem, StoreSummary, is_demo_store
from explorer.ui.tones import muted, panel_background

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

OpenedDialog = TypeVar("OpenedDialog", bound=QDialog)

NATIVE = QKeySequence.SequenceFormat.NativeText
DISMISS = "dismiss"


def plain(text: str) -> str:
    """A menu or action text as people read it: no & mnemonics, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".")


def keys_of(action: QAction) -> str:
    """An action's shortcuts as shown on this platform ("Ctrl+J"); "" if it has none."""
    return ", ".join(key.toString(NATIVE) for key in action.shortcuts() if not key.isEmpty())


def shortcut_groups(window: QMainWindow) -> list[tuple[str, list[QAction]]]:
    """The window's actions that have a shortcut, by the menu that holds them (in menu order);
    those in no menu last, under "Other"."""
    groups: list[tuple[str, list[QAction]]] = []
    listed: set[int] = set()

    def visit(menu: QMenu, title: str) -> None:
        found = []
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                visit(submenu, f"{title} › {plain(action.text())}")
            elif keys_of(action) and id(action) not in listed:
                listed.add(id(action))
                found.append(action)
        if found:
            groups.append((title, found))

    for entry in window.menuBar().actions():
        menu = entry.menu()
        if isinstance(menu, QMenu):
            visit(menu, plain(entry.text()))
    others = [a for a in window.findChildren(QAction) if keys_of(a) and id(a) not in listed]
    if others:
        groups.append(("Other", others))
    return groups


def shortcut_rows(window: QWidget) -> list[tuple[str, str, str]]:
    """The window's QShortcuts (those not made as actions) as (group, command, keys): the
    command is the shortcut's whatsThis, else its owner's class name in words ("Event
    search"); the group is the tab it works in, else "Window". The shortcuts of one owner
    and command share a row ("Ctrl+K, /")."""
    rows: dict[tuple[str, str], list[str]] = {}
    for shortcut in window.findChildren(QShortcut):
        keys = shortcut.key().toString(NATIVE)
        if not keys:
            continue
        owner = shortcut.parent()
        command = shortcut.whatsThis() or _words(type(owner).__name__)
        rows.setdefault((_tab_of(owner), command), []).append(keys)
    return [(group, command, ", ".join(keys)) for (group, command), keys in rows.items()]


def _words(name: str) -> str:
    """"EventSearch" as "Event search"."""
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).split()
    return " ".join(words).capitalize()


def _tab_of(widget: QObject | None) -> str:
    """The title of the outermost tab `widget` is in ("Commands tab"), else "Window"."""
    found = "Window"
    while widget is not None:
        parent = widget.parent()
        tabs = parent.parent() if parent is not None else None
        if isinstance(tabs, QTabWidget) and isinstance(widget, QWidget) \
                and tabs.indexOf(widget) >= 0:
            found = f"{plain(tabs.tabText(tabs.indexOf(widget)))} tab"
        widget = parent
    return found


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut of the window, from its actions."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Command", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        for title, actions in shortcut_groups(window):
            group = QTreeWidgetItem(self.tree, [title])
            group.setFirstColumnSpanned(True)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for action in actions:
                item = QTreeWidgetItem(group, [plain(action.text()), keys_of(action)])
                item.setToolTip(0, action.statusTip() or plain(action.text()))
            group.setExpanded(True)
        groups: dict[str, QTreeWidgetItem] = {}
        for title, command, keys in shortcut_rows(window):
            if title not in groups:
                group = groups[title] = QTreeWidgetItem(self.tree, [title])
                group.setFirstColumnSpanned(True)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setExpanded(True)
            QTreeWidgetItem(groups[title], [command, keys])
        note = QLabel("Window shortcuts work wherever the focus is; a text field keeps only the "
                      "keys it needs for typing.")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {muted()};")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(460, 560)

    def rows(self) -> list[tuple[str, str, str]]:
        """(menu, command, shortcut) as listed."""
        found = []
        for number in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(number)
            if group is None:
                continue
            for row in range(group.childCount()):
                item = group.child(row)
                if item is not None:
                    found.append((group.text(0), item.text(0), item.text(1)))
        return found


def versions(loaded_system: str = "") -> list[tuple[str, str]]:
    """What a bug report needs to say about this installation (and the system explored)."""
    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [("Event Explorer", __version__),
            ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
            ("Qt", qVersion()),
            ("PySide6", PySide6.__version__),
            ("SQLite", sqlite3.sqlite_version),
            ("SQLAlchemy", sqlalchemy.__version__),
            ("pyqtgraph", installed("pyqtgraph")),  # not imported here: it loads with the charts
            ("Platform", platform.platform()),
            *([("Loaded system", loaded_system)] if loaded_system else [])]


class AboutDialog(QDialog):
    """The app, what it is built on, and a button to copy that for a bug report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Event Explorer")
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<h2>Event Explorer {html.escape(__version__)}</h2>"
                       "Browse, command and time-travel an event-sourced system stored in "
                       "SQLite.")
        title.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(title, 1)
        loaded = getattr(parent, "loaded", None)
        found = versions(f"{loaded.label} ({loaded.spec})" if loaded is not None else "")
        self.text = "\n".join(f"{name}: {version}" for name, version in found)
        rows = "".join(f"<tr><td style='padding-right:12px; color:{muted()}'>{html.escape(name)}"
                       f"</td><td>{html.escape(version)}</td></tr>" for name, version in found)
        table = QLabel(f"<table>{rows}</table>")
        table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy these versions, for a bug report")
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(table)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
        self.copy_button.setText("Copied")


class Welcome(QTextBrowser):
    """The first-run welcome, over the empty event-detail area (see the module docstring)."""

    def __init__(self, window: MainWindow, area: QWidget, shortcuts: QAction) -> None:
        super().__init__(area)
        self.area = area
        self.setObjectName("welcome")
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._link)
        self.setStyleSheet(f"#welcome {{ background: {panel_background('#f5f9ff')};"
                           " border: none; }")
        self.main = window
        self.shortcuts = shortcuts
        self.setHtml(welcome_text(window, shortcuts))
        area.installEventFilter(self)
        self.setGeometry(area.rect())
        self.setVisible(not settings.welcome_seen())

    def show_store(self, summary: StoreSummary, loaded: LoadedSystem) -> None:
        """Say what the store just opened is (the demo store, or which of the user's)."""
        self.setHtml(welcome_text(self.main, self.shortcuts, (summary, loaded)))

    def open_failed(self) -> None:
        """A store could not be opened: if none is, say so (not what the demo store is)."""
        if self.main.session.summary is None:
            self.setHtml(welcome_text(self.main, self.shortcuts, no_store=True))

    def event_shown(self, event: object) -> None:
        """An event is in the detail area now: the welcome has done its job."""
        if event is not None and self.isVisible():
            self.dismiss()

    def dismiss(self) -> None:
        self.hide()
        settings.remember_welcome_seen()

    def show_again(self) -> None:
        self.setGeometry(self.area.rect())
        self.show()
        self.raise_()

    def _link(self, url: QUrl) -> None:
        if url.toString() == DISMISS:
            self.dismiss()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.area and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.area.rect())
        return False


def welcome_text(window: MainWindow, shortcuts: QAction,
                 opened: tuple[StoreSummary, LoadedSystem] | None = None, *,
                 no_store: bool = False) -> str:
    """The welcome for the store `opened` (the demo store, or one of the user's, with the system
    it is read with), naming the window's own keys for what it suggests. Sending a command is
    suggested only where one can be sent (a writable store, a system with commands)."""
    def key(action: QAction) -> str:
        return f"<b>{html.escape(keys_of(action))}</b>"

    summary, loaded = opened if opened is not None else (None, None)
    demo = window.opening.demo_system
    if no_store:  # (the store asked for could not be opened, and none is)
        intro = ("No store is open. File › Open Store opens one of yours; File › New Demo Store "
                 "makes a demo store to try things on. Every change is an event in the list "
                 "above, never changed once written.")
    elif summary is None or loaded is None or is_demo_store(summary.location, loaded,
                                                          window.opening.demo_stores):
        shown = loaded if loaded is not None and not loaded.generic else demo
        about = (f" is made by the <b>{html.escape(shown.system.label)}</b>, {DEMO_DAYS} days "
                 f"of its history: {html.escape(shown.system.description)}"
                 if shown is not None else "")
        intro = (f"The <b>demo store</b> (what opens when the app starts without a store; "
                 f"File › New Demo Store makes another){about} Every change is an event in "
                 "the list above, never changed once written. File › Load System… explores a "
                 "store with your own system's code.")
    else:
        location = summary.location  # (a server's as the status bar names it: no password)
        name = html.escape(visible(location if "://" in location
                                   else Path(location).name or location))
        how = ("with no system's code: its streams and events, but no commands or read models"
               " (File › Load System… gives it yours)" if loaded.generic else
               f"with the code of <b>{html.escape(loaded.label)}</b>")
        intro = (f"This store, <b>{name}</b>, is read {how}. Every change is an event in the "
                 "list above, never changed once written.")
    things = [
        "<li><b>Click an event</b> in the list: its data shows here, and on the right what "
        "caused it and everything else in the same request "
        f"({key(window.cause_action)} goes to the cause).</li>",
        "<li><b>Travel in time</b>: select an event and press "
        f"{key(window.travel_here_action)}, then {key(window.step_back_action)} and "
        f"{key(window.step_forward_action)} to step through the past; the As of Cursor tab "
        f"shows the whole system as it was. {key(window.to_live_action)} comes back.</li>"]
    if loaded is None or (not loaded.generic and any(loaded.system.domain.commands.values())
                          and not (summary is not None and summary.read_only)):
        things.append(
            f"<li><b>Send a command</b>: {key(window.console_action)} opens the Commands tab; "
            "send one and watch its events, and the sagas' reactions, arrive in the list.</li>")
    count = {2: "Two", 3: "Three"}[len(things)]
    return f"""
<h3 style='margin-bottom:4px'>Welcome to Event Explorer</h3>
<p>{intro}</p>
<p>{count} things to try:</p>
<ol>
{"".join(things)}
</ol>
<p>{key(shortcuts)} lists every keyboard shortcut (Help menu). &nbsp;
<a href='{DISMISS}'>Got it</a></p>"""


class Help(QObject):
    """The Help menu and the welcome, added to `window` (the explorer's main window)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.shortcuts_action = self._action("&Keyboard Shortcuts", self.show_shortcuts,
                                             QKeySequence.StandardKey.HelpContents,
                                             "List every keyboard shortcut of the window")
        self.welcome_action = self._action("&Welcome", self.show_welcome, None,
                                           "What the open store is, and things to try")
        self.about_action = self._action("&About Event Explorer", self.show_about, None,
                                         "Versions of the app and what it is built on")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        menu = window.menuBar().addMenu("&Help")
        menu.addActions([self.shortcuts_action, self.welcome_action])
        menu.addSeparator()
        menu.addAction(self.about_action)
        self.menu = menu
        self.welcome = Welcome(window, window.detail, self.shortcuts_action)
        window.browser.detail_shown.connect(self.welcome.event_shown)
        window.session.opened.connect(self.welcome.show_store)
        window.error_shown.connect(lambda _title, _text: self.welcome.open_failed())
        window.session.closed.connect(self.welcome.open_failed)
        self.dialog: QDialog | None = None

    def _action(self, text: str, slot, shortcut, tip: str) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    def show_shortcuts(self) -> ShortcutsDialog:
        return self._open(ShortcutsDialog(self.window))

    def show_about(self) -> AboutDialog:
        return self._open(AboutDialog(self.window))

    def show_welcome(self) -> None:
        self.window.bottom_tabs.setCurrentIndex(0)
        self.welcome.show_again()

    def _open(self, dialog: OpenedDialog) -> OpenedDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.dialog = dialog
        return dialog
